// The page: controls, status, sleep timer, share link, media session and
// the visual around the Player. `window.lull` exposes the player and its
// stats (the browser tests read them; so can a curious listener).
import { Player } from './player.mjs';
import { Visual } from './visual.mjs';
import { KEYS, MODES, volumeGain, paramsFromSearch, shareLink, changes, keyHue, paletteOptions } from './params.mjs';

const $ = (id) => document.getElementById(id);
const query = new URLSearchParams(location.search);
const shared = paramsFromSearch(location.search);
const el = {
  play: $('play'), playLabel: $('play-label'), volume: $('volume'), message: $('message'),
  steer: $('steer'), station: $('station'), key: $('key'), mode: $('mode'), bpm: $('bpm'), bpmOut: $('bpm-out'),
  palette: $('palette'), paletteAbout: $('palette-about'),
  intensity: $('intensity'), intensityOut: $('intensity-out'), token: $('token'), tokenRow: $('token-row'),
  sleep: $('sleep'), sleepLeft: $('sleep-left'), background: $('background'), share: $('share'), shareUrl: $('share-url'),
  bg: $('bg'),
};

const player = new Player({
  targetMs: clampNum(query.get('target'), 80, 2000, 300),
  codec: ['opus', 'pcm'].includes(query.get('codec')) ? query.get('codec') : 'auto',
  rate: clampNum(query.get('rate'), 8000, 192000, 0),
});
const visual = new Visual($('visual'));
// The station's params as the server last gave them (hello, params,
// /api/status): it owns their defaults (lull_params_default), so the page
// has none, and its controls wait disabled until the first arrive.
let params = {};
let chord = '–';
let pending = Object.keys(changes(shared.params, {})).length ? shared.params : null; // a share link's params
let playing = false; // what the listener asked for
let background = false; // playing through <audio> (MP3)
let dragging = null; // the slider under the pointer: broadcasts do not move it

function clampNum(text, lo, hi, dflt) {
  const x = Number(text);
  return text !== null && text !== '' && x >= lo && x <= hi ? x : dflt;
}

function say(text, kind = '') {
  el.message.textContent = text;
  el.message.className = kind;
}

// ---- controls ---------------------------------------------------------------

for (const k of KEYS) el.key.add(new Option(k, k));
for (const [id, label] of MODES) el.mode.add(new Option(label, id));
if (shared.params.station) setStations([shared.params.station], shared.params.station);
if (shared.bad.length) say(`The link's ${shared.bad.join(', ')} ${shared.bad.length > 1 ? 'were' : 'was'} not valid and left out.`, 'warn');

function setStations(names, current) {
  const have = [...el.station.options].map((o) => o.value);
  if (names.join() !== have.join()) {
    el.station.replaceChildren(...names.map((n) => new Option(n, n)));
  }
  el.station.value = current;
}

// The palettes the server has (/api/status), into the picker: once, and
// again should the server's list change.
let palettes = [];
function setPalettes(list) {
  const opts = paletteOptions(list);
  if (!opts.length || opts.map((o) => o[0]).join() === palettes.map((o) => o[0]).join()) return;
  palettes = opts;
  el.palette.replaceChildren(...opts.map(([value, label, about]) => Object.assign(new Option(label, value), { title: about })));
  showParams({});
}

function showPalette() {
  if (!params.palette) return;
  // A palette the list does not hold yet (an older list): shown all the same.
  if (![...el.palette.options].some((o) => o.value === params.palette)) el.palette.add(new Option(params.palette, params.palette));
  el.palette.value = params.palette;
  const about = palettes.find(([name]) => name === params.palette);
  el.paletteAbout.textContent = about ? about[2] : '';
  $('now-palette').textContent = params.palette;
}

function showParams(p) {
  params = { ...params, ...p };
  if (params.key === undefined) return; // nothing from the server yet
  el.steer.disabled = false;
  if (dragging !== el.key) el.key.value = params.key;
  if (dragging !== el.mode) el.mode.value = params.mode;
  showPalette();
  if (dragging !== el.bpm) el.bpm.value = params.bpm;
  if (dragging !== el.intensity) el.intensity.value = params.intensity;
  el.bpmOut.value = Math.round(el.bpm.value);
  el.intensityOut.value = Number(el.intensity.value).toFixed(2);
  const mode = MODES.find(([id]) => id === params.mode);
  $('now-key').textContent = `${params.key} ${mode ? mode[1] : params.mode}`;
  $('now-bpm').textContent = Math.round(params.bpm);
  visual.hue = keyHue(params.key);
  mediaMetadata();
}

function showNow(c, listeners) {
  if (c) chord = c;
  $('now-chord').textContent = chord;
  if (listeners !== undefined && listeners !== null) $('now-listeners').textContent = listeners;
}

// Send a change: over the socket while playing, else by REST.
async function steer(fields) {
  if (!Object.keys(fields).length) return;
  const token = el.token.value.trim();
  if (player.send({ type: 'control', ...fields, ...(token ? { token } : {}) })) return;
  try {
    const r = await fetch(`api/stations/${encodeURIComponent(player.station)}/params`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(fields),
    });
    const body = await r.json();
    if (!r.ok) refused(body.error);
    else showParams(body.params);
  } catch {
    say('Could not reach the server.', 'warn');
  }
}

function refused(e) {
  if (!e) return;
  if (e.code === 'unauthorized') {
    el.tokenRow.hidden = false;
    el.token.focus();
  }
  say(`${e.field ? e.field + ': ' : ''}${e.message}`, 'warn');
  showParams({}); // put the controls back where the music is
}

el.key.addEventListener('change', () => steer({ key: el.key.value }));
el.mode.addEventListener('change', () => steer({ mode: el.mode.value }));
el.palette.addEventListener('change', () => steer({ palette: el.palette.value }));
for (const [input, out, name, fmt] of [
  [el.bpm, el.bpmOut, 'bpm', (v) => Math.round(v)],
  [el.intensity, el.intensityOut, 'intensity', (v) => v.toFixed(2)],
]) {
  let last = 0, timer = 0;
  const send = () => {
    last = performance.now();
    steer({ [name]: Number(input.value) });
  };
  input.addEventListener('pointerdown', () => (dragging = input));
  input.addEventListener('pointerup', () => (dragging = null));
  input.addEventListener('input', () => {
    out.value = fmt(Number(input.value));
    clearTimeout(timer);
    // While dragging, at most ~6 changes a second (the server allows 10).
    if (performance.now() - last > 160) send();
    else timer = setTimeout(send, 160);
  });
  input.addEventListener('change', () => {
    dragging = null;
    clearTimeout(timer);
    if (Number(input.value) !== params[name]) send();
  });
}

el.token.addEventListener('change', () => sessionStorage.setItem('lull-token', el.token.value));
el.token.value = sessionStorage.getItem('lull-token') || '';

el.station.addEventListener('change', async () => {
  const name = el.station.value;
  if (background) el.bg.src = `stream.mp3?station=${encodeURIComponent(name)}`, el.bg.play().catch(() => {});
  else await player.setStation(name);
  player.station = name;
  refreshStatus();
});

// ---- volume -------------------------------------------------------------------

function applyVolume() {
  const v = Number(el.volume.value);
  player.setVolume(volumeGain(v));
  el.bg.volume = volumeGain(v);
  el.volume.setAttribute('aria-valuetext', `${Math.round(v * 100)} %`);
  localStorage.setItem('lull-volume', String(v));
}
el.volume.value = clampNum(localStorage.getItem('lull-volume'), 0, 1, 0.8);
el.volume.addEventListener('input', applyVolume);
applyVolume();

// ---- play, pause, background ------------------------------------------------------

async function play() {
  playing = true;
  showPlaying();
  background = el.background.checked;
  player.station = el.station.value || player.station;
  if (background) {
    el.bg.src = `stream.mp3?station=${encodeURIComponent(player.station)}`;
    try {
      await el.bg.play();
      say('Playing in background mode (MP3).');
    } catch (e) {
      say(`The browser would not play: ${e.message}`, 'warn');
      playing = false;
      showPlaying();
    }
    return;
  }
  try {
    await player.start();
    visual.attach(player.analyser);
  } catch (e) {
    say(`Could not start audio: ${e.message}`, 'warn');
    playing = false;
    showPlaying();
  }
}

async function pause() {
  playing = false;
  showPlaying();
  cancelSleep();
  el.bg.pause();
  el.bg.removeAttribute('src');
  el.bg.load();
  await player.stop();
}

function showPlaying() {
  el.play.setAttribute('aria-pressed', String(playing));
  el.playLabel.textContent = playing ? 'Pause' : 'Play';
  el.play.title = playing ? 'Pause (Space)' : 'Play (Space)';
  document.body.classList.toggle('playing', playing);
  if ('mediaSession' in navigator) navigator.mediaSession.playbackState = playing ? 'playing' : 'paused';
}

el.play.addEventListener('click', () => (playing ? pause() : play()));
el.background.addEventListener('change', async () => {
  localStorage.setItem('lull-background', el.background.checked ? '1' : '0');
  if (!playing || el.background.checked === background) return;
  await pause();
  await play();
});
const ios = /iPad|iPhone|iPod/.test(navigator.userAgent) || (navigator.platform === 'MacIntel' && navigator.maxTouchPoints > 1);
el.background.checked = localStorage.getItem('lull-background') ? localStorage.getItem('lull-background') === '1' : ios;
// Browsers give AudioWorklet and WebCodecs only to secure pages (HTTPS, or
// this machine): served plainly to another machine, the page plays the MP3
// stream through the system player and says why.
const secure = window.isSecureContext && typeof AudioWorkletNode !== 'undefined';
if (!secure) {
  el.background.checked = true;
  el.background.disabled = true;
  say('This page did not come over HTTPS, so the browser withholds the low-latency player: ' +
    'it plays the MP3 stream instead. Steering still works.', 'warn');
}

document.addEventListener('keydown', (e) => {
  if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
  const t = e.target;
  if (t instanceof HTMLInputElement || t instanceof HTMLSelectElement || t instanceof HTMLTextAreaElement || t instanceof HTMLButtonElement) return;
  if (e.key === ' ' || e.key === 'k' || e.key === 'K') {
    e.preventDefault();
    el.play.click();
  }
});

// ---- player events --------------------------------------------------------------

const STATE_TEXT = { stopped: 'stopped', connecting: 'connecting…', live: 'live', reconnecting: 'reconnecting…' };
player.addEventListener('state', (e) => {
  $('s-connection').textContent = STATE_TEXT[e.detail] || e.detail;
  document.body.dataset.state = e.detail;
  if (e.detail === 'live' && el.message.textContent.startsWith('Connection lost')) say('');
});
player.addEventListener('reconnecting', (e) => {
  say(`Connection lost; trying again in ${(e.detail.in_ms / 1000).toFixed(1)} s.`, 'warn');
});
player.addEventListener('hello', (e) => {
  const h = e.detail;
  setStations(h.stations, h.station);
  el.tokenRow.hidden = h.control !== 'token';
  showParams(h.params);
  showNow(h.chord);
  if (pending && (!pending.station || pending.station === h.station)) {
    steer(changes(pending, h.params));
    pending = null;
    history.replaceState(null, '', location.pathname); // a reconnect must not steer again
  }
});
player.addEventListener('params', (e) => {
  showParams(e.detail.params);
  showNow(e.detail.chord);
});
player.addEventListener('status', (e) => {
  const s = e.detail.station;
  if (s) showNow(s.now && s.now.chord, s.listeners && s.listeners.total);
});
player.addEventListener('error', (e) => refused(e.detail));

// While stopped (or in background mode) the page still shows what plays.
// Playing, the socket says what changes; the palettes still come from here.
async function refreshStatus() {
  if (playing && !background) {
    if (!palettes.length) loadPalettes();
    return;
  }
  try {
    const s = await (await fetch('api/status')).json();
    const names = s.stations.map((x) => x.name);
    const st = s.stations.find((x) => x.name === (el.station.value || player.station)) || s.stations[0];
    setStations(names, st.name);
    setPalettes(s.palettes);
    player.station = st.name;
    showParams(st.params);
    showNow(st.now.chord, st.listeners.total);
    el.tokenRow.hidden = !s.control_token;
  } catch {
    /* the server may be restarting */
  }
}
async function loadPalettes() {
  try {
    setPalettes((await (await fetch('api/status')).json()).palettes);
  } catch {
    /* the next refresh tries again */
  }
}

refreshStatus();
setInterval(refreshStatus, 5000);

// ---- status ---------------------------------------------------------------------

function showStats() {
  const s = player.stats();
  if (background) {
    $('s-connection').textContent = playing ? 'background (MP3)' : 'stopped';
    return;
  }
  $('s-buffer').textContent = s.playout ? `${Math.round(s.buffer_ms)} ms (target ${Math.round(s.target_ms)} ms)` : '–';
  $('s-underruns').textContent = String(s.underruns);
  $('s-latency').textContent = s.playout ? `≈ ${Math.round(s.latency_ms)} ms` : '–';
  $('s-drift').textContent = s.playout ? `${((s.ratio - 1) * 100).toFixed(3)} %` : '–';
  $('s-audio').textContent = s.codec ? `${s.codec}, ${s.context_rate} Hz output, ${s.gaps} gaps, ${s.reconnects} reconnects` : '–';
}
setInterval(showStats, 500);

// ---- sleep timer ------------------------------------------------------------------

let sleepTimer = 0, sleepTick = 0, sleepEnd = 0;
function cancelSleep() {
  clearTimeout(sleepTimer);
  clearInterval(sleepTick);
  sleepEnd = 0;
  el.sleep.value = '0';
  el.sleepLeft.textContent = '';
  player.cancelSleep();
  el.bg.volume = volumeGain(Number(el.volume.value));
}
el.sleep.addEventListener('change', () => {
  const minutes = Number(el.sleep.value);
  if (!minutes) return cancelSleep();
  // The last quarter, at most two minutes, fades slowly to silence.
  sleepIn(minutes * 60, Math.min(120, (minutes * 60) / 4));
  if (!playing) play();
});

// Stop after `seconds`, the last `fade` of them fading out.
function sleepIn(seconds, fade) {
  clearTimeout(sleepTimer);
  clearInterval(sleepTick);
  player.cancelSleep();
  sleepEnd = Date.now() + seconds * 1000;
  sleepTimer = setTimeout(() => {
    if (!playing) return;
    if (background) fadeElement(fade).then(pause);
    else player.sleepFade(fade).then(() => pause());
  }, (seconds - fade) * 1000);
  const tick = () => {
    const left = Math.max(0, sleepEnd - Date.now());
    el.sleepLeft.textContent = left ? `${Math.ceil(left / 60000)} min left` : '';
  };
  tick();
  sleepTick = setInterval(tick, 15000);
}

function fadeElement(seconds) {
  const from = el.bg.volume, t0 = performance.now();
  return new Promise((done) => {
    const step = () => {
      const x = Math.min(1, (performance.now() - t0) / (seconds * 1000));
      el.bg.volume = from * Math.pow(1 - x, 3);
      if (x < 1) setTimeout(step, 250);
      else done();
    };
    step();
  });
}

// ---- share ------------------------------------------------------------------------

el.share.addEventListener('click', async () => {
  if (params.key === undefined) return say('Nothing to share until the server has said what plays.', 'warn');
  const link = shareLink(location.href, el.station.value || player.station, params);
  try {
    await navigator.clipboard.writeText(link);
    say('Share link copied.');
  } catch {
    el.shareUrl.hidden = false;
    el.shareUrl.value = link;
    el.shareUrl.select();
    say('Copy the link below.');
  }
});

// ---- media session ------------------------------------------------------------------

function mediaMetadata() {
  if (!('mediaSession' in navigator)) return;
  const mode = MODES.find(([id]) => id === params.mode);
  navigator.mediaSession.metadata = new MediaMetadata({
    title: `lull · ${el.station.value || player.station}`,
    artist: `${params.key} ${mode ? mode[1] : params.mode}, ${Math.round(params.bpm)} bpm`,
    album: 'endless ambient music',
  });
}
if ('mediaSession' in navigator) {
  navigator.mediaSession.setActionHandler('play', () => playing || play());
  navigator.mediaSession.setActionHandler('pause', () => playing && pause());
  navigator.mediaSession.setActionHandler('stop', () => playing && pause());
}

window.lull = {
  player,
  stats: () => ({ ...player.stats(), playing, background, params: { ...params }, chord }),
  sleepIn, // the sleep timer in seconds (the tests cannot wait 15 minutes)
};
