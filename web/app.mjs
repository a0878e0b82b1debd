// The page: station cards, controls, status, sleep timer, share link, the
// device's media controls (device.mjs) and the visual around the Player. `window.lull` exposes the player and its
// stats (the browser tests read them; so can a curious listener).
import { Player } from './player.mjs';
import { Visual } from './visual.mjs';
import { KEYS, MODES, volumeGain, paramsFromSearch, shareLink, changes, keyHue, paletteOptions, changeText, linkQuestion, modeLabel } from './params.mjs';
import { cardColour, nowText, listenersText, stationCards, recentLink } from './cards.mjs';
import { neighbour } from './media.mjs';
import * as personal from './personal.mjs';
import * as device from './device.mjs';

const $ = (id) => document.getElementById(id);
const query = new URLSearchParams(location.search);
const shared = paramsFromSearch(location.search);
const el = {
  play: $('play'), playLabel: $('play-label'), volume: $('volume'), message: $('message'),
  cards: $('cards'), steerBox: $('steer-box'), steer: $('steer'), key: $('key'), mode: $('mode'), bpm: $('bpm'), bpmOut: $('bpm-out'),
  palette: $('palette'), paletteAbout: $('palette-about'),
  intensity: $('intensity'), intensityOut: $('intensity-out'), token: $('token'), tokenRow: $('token-row'),
  sleep: $('sleep'), sleepLeft: $('sleep-left'), background: $('background'), share: $('share'), shareUrl: $('share-url'),
  saveRecent: $('save-recent'),
  bg: $('bg'), changed: $('changed'), steerOff: $('steer-off'), steerWho: $('steer-who'),
  alone: $('alone'), aloneHint: $('alone-hint'),
  ask: $('link-ask'), askText: $('link-ask-text'), askYes: $('link-yes'), askNo: $('link-no'),
};

const player = new Player({
  targetMs: clampNum(query.get('target'), 80, 2000, 300),
  codec: ['opus', 'pcm', 'wasm'].includes(query.get('codec')) ? query.get('codec') : 'auto',
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
let mine = personal.remembered(localStorage); // the listener's personal station {station, token, seed}
const { isPersonal } = personal;

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
if (shared.params.station) player.station = shared.params.station;
if (shared.bad.length) say(`The link's ${shared.bad.join(', ')} ${shared.bad.length > 1 ? 'were' : 'was'} not valid and left out.`, 'warn');

// The palettes the server has (/api/status), into the pickers (the Steer
// panel's and each card's): once, and again should the server's list change.
let palettes = [];
const paletteList = () => palettes.map(([value, label, about]) => Object.assign(new Option(label, value), { title: about }));
function setPalettes(list) {
  const opts = paletteOptions(list);
  if (!opts.length || opts.map((o) => o[0]).join() === palettes.map((o) => o[0]).join()) return;
  palettes = opts;
  el.palette.replaceChildren(...paletteList());
  for (const c of cards.values()) c.palette.replaceChildren(...paletteList());
  showParams({});
  showCards();
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
  $('now-key').textContent = `${params.key} ${modeLabel(params.mode)}`;
  $('now-bpm').textContent = Math.round(params.bpm);
  visual.hue = keyHue(params.key);
  mediaMetadata();
}

// The playing station's last change of params, "key changed to D by a
// listener · 10 s ago", kept current while it shows.
let change = null;
let changeAt = 0; // performance.now() of the change, from the server's ago_ms
function showChange(c) {
  if (c === undefined) return; // a message that does not say
  change = c;
  changeAt = performance.now() - (c && c.ago_ms > 0 ? c.ago_ms : 0);
  showChangeText();
}
function showChangeText() {
  el.changed.textContent = change ? changeText(change, params, performance.now() - changeAt) : '';
}
setInterval(showChangeText, 5000);

// Who may steer the playing station: "open", "token" or "none" (the
// controls hidden, and said why).
function steerMode(mode) {
  const own = mode === 'personal' && mine && mine.station === player.station;
  const off = mode === 'none' || (mode === 'personal' && !own);
  el.steerBox.hidden = off;
  el.steerOff.hidden = !off;
  el.steerOff.textContent = mode === 'none' ? 'This station plays as its operator set it: nobody can steer it.'
    : "This is someone's personal station: only they can steer it. \u201cListen alone\u201d starts one of your own.";
  el.steerWho.textContent = own ? '(your station: only you hear your changes)' : '(everyone on this station hears your changes)';
  el.tokenRow.hidden = mode !== 'token';
}

// A share link's params for a shared station: asked before they change the
// music for everyone; a station nobody steers is only played.
function askLink(h) {
  const fields = changes(pending, h.params);
  const title = h.title || h.station;
  pending = null;
  history.replaceState(null, '', location.pathname); // a reconnect must not ask again
  if (!Object.keys(fields).length) return;
  if (h.control === 'none') return say(`This link's settings were not applied: ${title} plays as its operator set it.`, 'warn');
  if (h.control === 'personal') {
    // One's own station changes for nobody else; someone else's is only heard.
    if (mine && mine.station === h.station) return steer(fields);
    return say("This link plays someone's personal station: you hear it as they steer it.", '');
  }
  el.askText.textContent = linkQuestion(fields, title);
  el.ask.hidden = false;
  const done = (yes) => {
    el.ask.hidden = true;
    el.askYes.onclick = el.askNo.onclick = null;
    if (yes) steer(fields);
  };
  el.askYes.onclick = () => done(true);
  el.askNo.onclick = () => done(false);
  el.askYes.focus();
}

function showNow(c, listeners) {
  if (c) chord = c;
  $('now-chord').textContent = chord;
  mediaMetadata();
  if (listeners !== undefined && listeners !== null) $('now-listeners').textContent = listeners;
}

// Send a change: over the socket while playing, else by REST.
async function steer(fields) {
  if (!Object.keys(fields).length) return;
  const token = personal.tokenFor(player.station, mine, el.token.value.trim());
  if (player.send({ type: 'control', ...fields, ...(token ? { token } : {}) })) return;
  await steerByRest(player.station, fields);
}

// A change to any station by REST (a card's palette picker, or the Steer
// panel while stopped): its params as the server took them, or null.
async function steerByRest(station, fields) {
  const token = personal.tokenFor(station, mine, el.token.value.trim());
  try {
    const r = await fetch(`api/stations/${encodeURIComponent(station)}/params`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(fields),
    });
    const body = await r.json();
    if (!r.ok) return refused(body.error), null;
    showStation(station, { params: body.params });
    if (station === player.station) showParams(body.params);
    return body.params;
  } catch {
    say('Could not reach the server.', 'warn');
    return null;
  }
}

function refused(e) {
  if (!e) return;
  if (e.code === 'unauthorized' && !isPersonal(player.station)) {
    el.tokenRow.hidden = false;
    el.steerBox.open = true; // the token field is in there
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

// ---- station cards ------------------------------------------------------------

// name -> the last word on each station ({title, params, now, listeners...}
// from /api/stations, then hello and params messages), and its card's parts.
const stations = new Map();
const cards = new Map();

function makeCard(name) {
  const id = `card-${name}`; // names are [a-z0-9-]: safe as ids
  const li = document.createElement('li');
  li.className = 'card';
  li.dataset.station = name;
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'card-play';
  button.setAttribute('aria-pressed', 'false');
  button.setAttribute('aria-labelledby', `${id}-title`);
  button.setAttribute('aria-describedby', `${id}-about ${id}-now ${id}-listeners`);
  const part = (cls, suffix) => {
    const span = document.createElement('span');
    span.className = cls;
    span.id = `${id}-${suffix}`;
    button.append(span);
    return span;
  };
  const c = { li, button, title: part('card-title', 'title'), about: part('card-about', 'about'),
    now: part('card-now', 'now'), listeners: part('card-listeners', 'listeners') };
  const label = document.createElement('label');
  label.className = 'card-palette';
  label.append('Palette ');
  c.palette = document.createElement('select');
  c.palette.disabled = true;
  c.palette.append(...paletteList());
  label.append(c.palette);
  li.append(button, label);
  button.addEventListener('click', () => chooseStation(name));
  c.palette.addEventListener('change', async () => {
    const want = c.palette.value;
    if (!(await steerByRest(name, { palette: want }))) c.palette.value = stations.get(name).params.palette || ''; // refused: put it back
  });
  return c;
}

// The cards as the stations are: built when the list changes, else updated.
function showCards() {
  const names = [...stations.keys()];
  if (names.join() !== [...cards.keys()].join()) {
    cards.clear();
    for (const n of names) cards.set(n, makeCard(n));
    el.cards.replaceChildren(...[...cards.values()].map((c) => c.li));
  }
  for (const [name, c] of cards) {
    const s = stations.get(name);
    // One's own personal station says so (the server names it for anyone).
    const own = mine && mine.station === name;
    c.title.textContent = own ? 'Your station' : s.title;
    c.about.textContent = own ? 'Only you can steer it. It ends 10 minutes after you stop listening.' : s.description;
    c.about.hidden = !c.about.textContent;
    c.now.textContent = nowText(s.now, s.params);
    c.listeners.textContent = listenersText(s.listeners);
    const { hue, light } = cardColour(s.params.key, s.params.mode);
    // CSSOM, not a style attribute: the page's CSP allows no inline styles.
    c.li.style.setProperty('--hue', String(hue));
    c.li.style.setProperty('--light', `${light}%`);
    const current = name === player.station;
    c.button.setAttribute('aria-pressed', String(current && playing));
    c.li.classList.toggle('current', current);
    if (s.params.palette) {
      if (![...c.palette.options].some((o) => o.value === s.params.palette)) c.palette.add(new Option(s.params.palette, s.params.palette));
      if (document.activeElement !== c.palette) c.palette.value = s.params.palette;
      c.palette.disabled = s.steer === 'none';
      c.palette.title = s.steer === 'none' ? 'this station plays as its operator set it' : '';
    }
  }
  showSaveRecent();
}

// "Save the last 10 minutes" of the station playing (or about to): a plain
// download link, hidden when the server keeps no recent audio of it.
function showSaveRecent() {
  const s = stations.get(player.station);
  const link = s ? recentLink(s.name, s.recentMinutes) : null;
  el.saveRecent.hidden = !link;
  if (!link) return;
  el.saveRecent.href = link.href;
  el.saveRecent.download = link.download;
  el.saveRecent.textContent = link.text;
}

// What is known of one station (a partial entry; fields left undefined
// are not known), onto its card.
function showStation(name, part) {
  const s = stations.get(name);
  if (!s) return;
  const known = (o) => Object.fromEntries(Object.entries(o || {}).filter(([, v]) => v !== undefined));
  const p = known(part);
  stations.set(name, { ...s, ...p, params: { ...s.params, ...known(p.params) }, now: { ...s.now, ...known(p.now) } });
  showCards();
}

function setStations(list) {
  const fresh = stationCards(list);
  if (!fresh.length) return;
  // The lists name shared stations only: a personal one's card stays.
  const kept = [...stations.values()].filter((s) => isPersonal(s.name));
  stations.clear();
  for (const s of fresh) stations.set(s.name, s);
  for (const s of kept) stations.set(s.name, s);
  showCards();
}

// A personal station's card, from what the server said of it (GET
// /api/stations/NAME or a hello).
function addPersonal(info) {
  const [card] = stationCards([info]);
  if (!card) return;
  stations.set(card.name, card);
  showCards();
}

// A personal station that is no more (it ended while nobody listened): its
// card goes, and the page moves to the first shared station.
function personalEnded(name) {
  stations.delete(name);
  if (mine && mine.station === name) personal.forget(localStorage), (mine = null);
  showAlone();
  say('That personal station has ended (each ends 10 minutes after its last listener leaves).', 'warn');
  const first = [...stations.keys()][0];
  if (first) chooseStation(first);
}

// "Listen alone": one's personal station, started (with the mood playing
// now) unless it lives already, then played.
async function listenAlone() {
  if (!(mine && stations.has(mine.station))) {
    el.alone.disabled = true;
    const r = await personal.startPersonal(localStorage, fetch, params);
    el.alone.disabled = false;
    if (!r.ok) return say(`No station of your own just now: ${r.message}.`, 'warn');
    mine = { station: r.station, token: r.token, seed: r.seed };
    addPersonal({ name: r.station, params: r.params, steer: 'personal', listeners: 0 });
    showAlone();
  }
  await chooseStation(mine.station);
}
el.alone.addEventListener('click', listenAlone);

function showAlone() {
  const live = mine && stations.has(mine.station);
  el.alone.textContent = live ? 'Your station' : 'Listen alone';
  el.aloneHint.textContent = live ? 'plays for you alone, as you steer it'
    : 'a station of your own, composed for you: only you can steer it';
}

// A card pressed: its station plays (or, playing already, pauses).
async function chooseStation(name) {
  if (name === player.station) return playing ? pause() : play();
  if (playing && background) {
    player.station = name;
    el.bg.src = `stream.mp3?station=${encodeURIComponent(name)}`;
    el.bg.play().catch(() => {});
  } else {
    await player.setStation(name);
  }
  const s = stations.get(name);
  if (s) showParams(s.params), showNow(s.now.chord, s.listeners);
  showCards();
  if (!playing) await play();
}

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
  showCards();
  device.playbackState(playing);
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
player.addEventListener('reconnecting', async (e) => {
  say(`Connection lost; trying again in ${(e.detail.in_ms / 1000).toFixed(1)} s.`, 'warn');
  const name = player.station;
  if (!isPersonal(name)) return;
  try {
    if ((await fetch(`api/stations/${encodeURIComponent(name)}`)).status === 404 && name === player.station) personalEnded(name);
  } catch {
    /* the server itself is away: the player keeps trying */
  }
});
player.addEventListener('hello', (e) => {
  const h = e.detail;
  if (h.stations.join() !== [...stations.keys()].filter((n) => !isPersonal(n)).join()) refreshStations();
  if (!stations.has(h.station) && isPersonal(h.station))
    addPersonal({ name: h.station, title: h.title, description: h.description, params: h.params, steer: h.steer, listeners: 1 });
  showStation(h.station, { title: h.title, description: h.description, params: h.params, now: { chord: h.chord } });
  steerMode(h.control);
  showParams(h.params);
  showChange(h.change);
  showNow(h.chord);
  if (pending && (!pending.station || pending.station === h.station)) askLink(h);
});
player.addEventListener('params', (e) => {
  showParams(e.detail.params);
  showChange(e.detail.change);
  showNow(e.detail.chord);
  showStation(e.detail.station, { params: e.detail.params, now: { chord: e.detail.chord } });
});
player.addEventListener('status', (e) => {
  const s = e.detail.station;
  if (s) showNow(s.now && s.now.chord, s.listeners && s.listeners.total);
  // The playing station's card, sooner than the next refresh.
  const [card] = stationCards([s]);
  if (card) showStation(card.name, card);
});
player.addEventListener('error', (e) => refused(e.detail));

// Every station's card from /api/stations (cheap: no metrics), every 10 s
// while the page is visible; stopped (or in background mode) the page shows
// what plays from it too. Playing, the socket says what changes.
async function refreshStations() {
  try {
    setStations((await (await fetch('api/stations')).json()).stations);
    const s = stations.get(player.station);
    if (s && !(playing && !background)) {
      showParams(s.params), showNow(s.now.chord, s.listeners);
      steerMode(s.steer);
      showChange(s.change);
    }
  } catch {
    /* the server may be restarting */
  }
  if (!palettes.length) loadStatus();
}
// Once: the palettes, whether steering needs a token, and a first look at
// the stations (the server names the first when the link named none of its).
async function loadStatus() {
  try {
    const s = await (await fetch('api/status')).json();
    setPalettes(s.palettes);
    el.tokenRow.hidden = !s.control_token;
    setStations(s.stations);
    await restorePersonal();
    if (!stations.has(player.station) && stations.size) player.station = stations.keys().next().value;
    const st = stations.get(player.station);
    if (st && !playing) showParams(st.params), showNow(st.now.chord, st.listeners);
    showCards();
  } catch {
    /* the next refresh tries again */
  }
}

// Once, at load: one's own personal station (while it lives) and the one a
// link names, as cards; the page opens on the one the link names, else on
// one's own.
async function restorePersonal() {
  mine = await personal.stillThere(localStorage, fetch);
  if (mine && mine.info) addPersonal(mine.info);
  const named = shared.params.station;
  if (isPersonal(named) && !stations.has(named)) {
    try {
      const r = await fetch(`api/stations/${encodeURIComponent(named)}`);
      if (r.ok) addPersonal(await r.json());
      else say('The personal station this link names has ended (they end 10 minutes after their last listener leaves).', 'warn');
    } catch {
      /* the server may be restarting */
    }
  }
  if (!named && mine && stations.has(mine.station)) player.station = mine.station;
  showAlone();
}

let refreshTimer = 0;
function refreshWhileVisible() {
  clearInterval(refreshTimer);
  refreshTimer = 0;
  if (document.hidden) return;
  refreshStations();
  refreshTimer = setInterval(refreshStations, 10000);
}
document.addEventListener('visibilitychange', refreshWhileVisible);
loadStatus().then(() => {
  if (!document.hidden && !refreshTimer) refreshTimer = setInterval(refreshStations, 10000);
});

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
  const link = window.lull.shareLink();
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
  const s = stations.get(player.station);
  device.showMedia({ name: player.station, title: s ? s.title : player.station, ...params, chord });
}
device.mediaKeys({
  play: () => playing || play(),
  pause: () => playing && pause(),
  // The next or previous card's station, as pressing it would.
  step: (by) => {
    const name = neighbour([...stations.keys()], player.station, by);
    if (name) chooseStation(name);
  },
});
device.audioSessionPlayback();
device.resumeAfterInterruption(player);
device.volumeWhereSettable($('volume-control'));
// To another device: the MP3 stream, through the system player.
device.remotePlayback(el.bg, $('remote'), async () => {
  if (playing && background) return;
  el.background.checked = true;
  localStorage.setItem('lull-background', '1');
  if (playing) await pause();
  await play();
});

window.lull = {
  player,
  stats: () => ({ ...player.stats(), playing, background, params: { ...params }, chord }),
  sleepIn, // the sleep timer in seconds (the tests cannot wait 15 minutes)
  shareLink: () => shareLink(location.href, player.station, params), // what "Copy share link" copies
};
