// The web player in Debian's headless Chromium against a real `lull serve` on
// loopback (support/browser.mjs): what it does, asserted by counts and
// states, however fast the machine runs. Whether it keeps up in real time
// (no underrun, the buffer near its target) is player_timing.test.mjs
// (CTest label timing); here those figures are printed.
//   LULL_BIN       the lull binary
//   LULL_ARTIFACTS where the screenshots go
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as h from './support/browser.mjs';

const { ART, sleep, until, stats } = h;
const ctx = h.suite({ artifacts: true });

const api = (path, init) => h.api(ctx.port, path, init);
const openPage = (search, opts) => h.openPage(ctx.browser, (opts && opts.at) || ctx.port, search, opts);
// The real-time figures, for the log (asserted only by player_timing.test.mjs).
const figures = (what, s) =>
  console.log(`# ${what}: ${s.underruns} underruns, buffer ${(s.buffer_ms - s.target_ms).toFixed(0)} ms from its target`);

test('plays ten seconds of Opus gaplessly, steered from the UI', async () => {
  const page = await openPage();
  await page.click('#play');
  await until('live audio', async () => (await stats(page)).playout === 'playing');
  // 10.5 s decoded and 10 s played, however long that takes here.
  const s = await h.playedFor(page, 10.5);
  console.log(`# ${JSON.stringify(s)}`);
  figures('Opus, 10.5 s', s);
  assert.equal(s.codec, 'opus', 'WebCodecs decodes Opus in Chromium');
  assert.equal(s.state, 'live');
  assert.equal(s.gaps, 0);
  assert.equal(s.decode_errors + s.protocol_errors, 0);
  // The drift loop's bound (a clamp, not a measurement).
  assert.ok(Math.abs(s.ratio - 1) <= 0.003 + 1e-9, `ratio ${s.ratio}`);
  assert.ok(s.rms_db > -40, `played at ${s.rms_db.toFixed(1)} dBFS`);
  // What reaches the analyser (the visual) is sound too.
  const rms = await page.evaluate(() => {
    const a = window.lull.player.analyser, d = new Float32Array(a.fftSize);
    a.getFloatTimeDomainData(d);
    return 10 * Math.log10(d.reduce((x, y) => x + y * y, 0) / d.length + 1e-20);
  });
  assert.ok(rms > -45, `analyser sees ${rms.toFixed(1)} dBFS`);
  await until('the listener count', async () => (await page.textContent('#now-listeners')) === '1');

  // Steer from the UI (behind its disclosure): the server applies it.
  await page.click('#steer-box summary');
  await page.fill('#intensity', '0.8');
  await until('intensity 0.8 on the server', async () => (await api('/api/status')).body.stations[0].params.intensity === 0.8);
  await page.selectOption('#key', 'D');
  await until('key D on the server', async () => (await api('/api/status')).body.stations[0].params.key === 'D');
  // Someone else steers: the UI follows.
  const r = await api('/api/stations/main/params', { method: 'POST', body: JSON.stringify({ mode: 'dorian', bpm: 80 }) });
  assert.equal(r.status, 202);
  await until('the UI to follow', async () => (await page.inputValue('#mode')) === 'dorian' && (await page.inputValue('#bpm')) === '80');
  assert.match(await page.textContent('#now-key'), /^D dorian/);

  // A blip (the socket drops, the server stays): the reconnect's burst
  // overlaps what is buffered, so the stream continues where it was.
  await h.dropSocket(page);
  let t = await h.playedFor(page, 1.5, { from: await stats(page) });
  figures('after a dropped socket', t);
  assert.equal(t.reconnects, 1);
  assert.equal(t.joins, 0, 'the stream continues where it was');

  // The server dies and comes back on the same port: playback resumes.
  const dry = t.underruns;
  ctx.server.kill('SIGKILL');
  await until('the player to notice', async () => (await stats(page)).state === 'reconnecting');
  await sleep(1500); // an outage longer than the buffer
  ({ child: ctx.server } = await h.serve(ctx.port));
  const back = await until('playback to resume', async () => {
    const x = await stats(page);
    return x.state === 'live' && x.playout === 'playing' && x;
  }, 15000);
  t = await h.playedFor(page, 2, { from: back, slack: 0.2 });
  figures('after the outage', t);
  assert.ok(t.rms_db > -40, `resumed at ${t.rms_db.toFixed(1)} dBFS`);
  assert.ok(t.reconnects >= 2);
  assert.equal(t.restarts, 1, 'the new server starts its stream over, and the player sees it');
  assert.ok(t.underruns > dry, 'the outage ran the buffer dry, faded');
  assert.equal(await page.textContent('#s-connection'), 'live');

  await page.click('#status-box summary');
  await sleep(600);
  await page.screenshot({ path: `${ART}/player-desktop.png`, fullPage: true });
  assert.deepEqual(page.errors, []);
  await page.click('#play');
  await until('pause', async () => (await stats(page)).state === 'stopped');
  await page.close();
});

test('a share link asks, then steers its station; Opus in WebAssembly without WebCodecs; station change by card, sleep timer, keyboard, phone', async () => {
  const page = await openPage('?station=night&intensity=0.7&bpm=999', {
    viewport: { width: 390, height: 844 },
    init: () => {
      delete window.AudioDecoder;
      // The media session's handlers, kept where the test can press them (as a lock screen would).
      window.mediaActions = {};
      const set = navigator.mediaSession.setActionHandler.bind(navigator.mediaSession);
      navigator.mediaSession.setActionHandler = (action, fn) => {
        window.mediaActions[action] = fn;
        set(action, fn);
      };
    },
  });
  assert.match(await page.textContent('#message'), /bpm was not valid/);
  await page.keyboard.press('Space'); // the page's shortcut, focus on the body
  await until('audio from night', async () => {
    const x = await stats(page);
    return x.playout === 'playing' && x.station === 'night';
  });
  // A shared station: the link asks before it changes the music for everyone.
  await page.waitForSelector('#link-ask:not([hidden])');
  assert.match(await page.textContent('#link-ask-text'), /change the music for everyone listening to Night: intensity 0\.70\./);
  assert.equal((await api('/api/status')).body.stations[1].params.intensity, 0.4, 'not before the listener says yes');
  await page.click('#link-yes');
  await until("the link's intensity on night", async () => (await api('/api/status')).body.stations[1].params.intensity === 0.7);
  assert.equal(await page.evaluate(() => location.search), '', 'the link asks once, not on every reconnect');
  await until('who changed it, on the page', async () => /^intensity changed to 0\.70 by a listener · /.test(await page.textContent('#changed')));
  assert.equal(await page.isHidden('#link-ask'), true);
  const s = await until('3 s decoded by libopus in WebAssembly', async () => {
    const x = await stats(page);
    return x.decoded_frames >= 3 * 48000 && x;
  }, 30000);
  figures('Opus in WebAssembly, 3 s', s);
  assert.equal(s.codec, 'opus', 'Opus still, not 1.5 Mbit/s of PCM');
  assert.equal(s.decoder, 'wasm');
  assert.equal(s.decode_errors, 0);
  assert.equal(s.gaps, 0);
  assert.ok(s.rms_db > -40, `played at ${s.rms_db.toFixed(1)} dBFS`);
  assert.equal(await page.getAttribute('#play', 'aria-pressed'), 'true');
  const meta = () => page.evaluate(() => {
    const m = navigator.mediaSession.metadata;
    return { title: m.title, artist: m.artist, album: m.album, artwork: m.artwork.map((a) => ({ ...a })) };
  });
  const m = await meta();
  assert.equal(m.title, 'Night', "the station's title");
  assert.match(m.artist, /^D dorian, \d+ bpm$/);
  assert.equal(m.album, await page.textContent('#now-chord'), 'the chord playing');
  // The lock screen's artwork: the station's PNG in six sizes, each that size
  // (its IHDR), and a picture the browser decodes.
  const base = `http://127.0.0.1:${ctx.port}/api/stations/night/artwork.png`;
  assert.deepEqual(m.artwork, [96, 128, 192, 256, 384, 512].map((n) => ({ src: `${base}?size=${n}#D-dorian`, sizes: `${n}x${n}`, type: 'image/png' })));
  const pngs = await page.evaluate(async (art) => Promise.all(art.map(async (a) => {
    const r = await fetch(a.src), b = new Uint8Array(await r.arrayBuffer()), v = new DataView(b.buffer);
    const bitmap = await createImageBitmap(new Blob([b], { type: 'image/png' }));
    return { status: r.status, type: r.headers.get('content-type'), sig: [...b.slice(1, 4)].map((c) => String.fromCharCode(c)).join(''),
      ihdr: String.fromCharCode(...b.slice(12, 16)), w: v.getUint32(16), h: v.getUint32(20), decoded: [bitmap.width, bitmap.height] };
  })), m.artwork);
  for (const [i, n] of [96, 128, 192, 256, 384, 512].entries())
    assert.deepEqual(pngs[i], { status: 200, type: 'image/png', sig: 'PNG', ihdr: 'IHDR', w: n, h: n, decoded: [n, n] });
  // Chromium sets an element's volume: the slider stays; no remote device here: no button.
  assert.equal(await page.isVisible('#volume'), true);
  assert.equal(await page.isHidden('#remote'), true);

  // The lock screen's next and previous: the next card's station (wrapping), then back.
  const onStation = (name) => until(`station ${name} playing`, async () => {
    const x = await stats(page);
    return x.station === name && x.playout === 'playing';
  });
  await page.evaluate(() => window.mediaActions.nexttrack());
  await onStation('main');
  await until('the metadata of main', async () => (await meta()).title === 'Main room');
  assert.match((await meta()).artwork[5].src, /\/api\/stations\/main\/artwork\.png\?size=512#/);
  assert.equal(await page.getAttribute('#cards li[data-station="main"]', 'class'), 'card current');
  await page.evaluate(() => window.mediaActions.nexttrack());
  await onStation('night');
  await page.evaluate(() => window.mediaActions.previoustrack());
  await onStation('main');
  await page.evaluate(() => window.mediaActions.previoustrack());
  await onStation('night');
  await until('the metadata of night', async () => (await meta()).title === 'Night');

  // Another station, from its card: a fade, a new stream, its own params.
  await page.click('#cards li[data-station="main"] .card-play');
  const main = (await api('/api/status')).body.stations[0];
  await until('the main station', async () => {
    const x = await stats(page);
    return x.station === 'main' && x.playout === 'playing' && x.params.key === main.params.key;
  });
  await until('the listener moved', async () => {
    const st = (await api('/api/status')).body.stations;
    return st[0].listeners.total === 1 && st[1].listeners.total === 0;
  }, 10000);

  // From the top, Tab reaches the first station's card, its palette, the
  // next card, its palette, "Listen alone", then the play button; nothing is wider than the phone.
  await page.click('header h1');
  const focused = [];
  for (let i = 0; i < 6; i++) {
    await page.keyboard.press('Tab');
    focused.push(await page.evaluate(() => {
      const a = document.activeElement, card = a.closest('.card');
      return card ? `${card.dataset.station} ${a.tagName.toLowerCase()}` : a.id;
    }));
  }
  assert.deepEqual(focused, ['main button', 'main select', 'night button', 'night select', 'alone', 'play']);
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 390), 'no sideways scrolling');
  await page.screenshot({ path: `${ART}/player-phone.png`, fullPage: true });

  // The sleep timer fades out, then stops.
  await page.evaluate(() => window.lull.sleepIn(3, 2));
  await sleep(2200);
  const g = await page.evaluate(() => window.lull.player.sleeper.gain.value);
  assert.ok(g < 0.2 && g > 0, `half way through the fade the gain is ${g}`);
  assert.equal((await stats(page)).playing, true);
  await until('the timer to stop playback', async () => (await stats(page)).state === 'stopped', 3000);
  assert.equal(await page.getAttribute('#play', 'aria-pressed'), 'false');
  assert.deepEqual(page.errors, []);
  await page.close();
});


test('PCM only as the last resort: without WebCodecs and WebAssembly', async () => {
  const page = await openPage('', {
    init: () => {
      delete window.AudioDecoder;
      delete window.WebAssembly;
    },
  });
  await page.click('#play');
  const s = await until('1 s of PCM', async () => {
    const x = await stats(page);
    return x.decoded_frames >= 48000 && x;
  }, 30000);
  assert.equal(s.codec, 'pcm');
  assert.equal(s.decoder, null);
  assert.deepEqual(page.errors, []);
  await page.click('#play');
  await until('pause', async () => (await stats(page)).state === 'stopped');
  await page.close();
});
test('served over plain HTTP to another machine, the page plays the MP3 stream and says why', async () => {
  const page = await openPage('', { host: 'lull.test' });
  assert.equal(await page.evaluate(() => window.isSecureContext), false);
  assert.match(await page.textContent('#message'), /HTTPS/);
  assert.equal(await page.isChecked('#background'), true);
  assert.equal(await page.isDisabled('#background'), true);
  await page.click('#play');
  await until('the MP3 stream playing', async () => page.evaluate(() => {
    const a = document.getElementById('bg');
    return !a.paused && a.currentTime > 2 && a.error === null;
  }), 10000);
  const s = await stats(page);
  assert.equal(s.background, true);
  assert.equal(s.playing, true);
  assert.match(await page.evaluate(() => document.getElementById('bg').src), /\/stream\.mp3\?station=main$/);
  // Steering still works (by REST) from such a page.
  const want = (await api('/api/status')).body.stations[0].params.mode === 'lydian' ? 'dorian' : 'lydian';
  await page.click('#steer-box summary');
  await page.selectOption('#mode', want);
  await until('the mode steered', async () => (await api('/api/status')).body.stations[0].params.mode === want);
  await page.click('#play');
  assert.equal((await stats(page)).playing, false);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('over HTTPS (--tls-cert) from another machine: the full player, its stream over WSS', async () => {
  const tls = await h.serveTls();
  try {
    const page = await openPage('', { host: 'lull.test', scheme: 'https', at: tls.port });
    assert.equal(await page.evaluate(() => window.isSecureContext), true);
    assert.equal(await page.isDisabled('#background'), false);
    await page.click('#play');
    await until('live audio over WSS', async () => (await stats(page)).playout === 'playing', 10000);
    const s = await until('3 s of Opus over WSS decoded', async () => {
      const x = await stats(page);
      return x.decoded_frames >= 3 * 48000 && x;
    }, 30000);
    figures('Opus over WSS, 3 s', s);
    assert.equal(s.codec, 'opus');
    assert.equal(s.gaps, 0);
    assert.ok(s.rms_db > -40, `played at ${s.rms_db.toFixed(1)} dBFS`);
    assert.match(await page.evaluate(() => window.lull.player.ws.url), /^wss:\/\//);
    assert.deepEqual(page.errors, []);
    await page.close();
  } finally {
    tls.close();
  }
});

test('the palette picker: built from the server\'s list, steers by REST and over the socket, follows others', async () => {
  const status = (await api('/api/status')).body;
  const names = status.palettes.map((p) => p.name);
  assert.ok(names.length >= 2 && names.includes('glass') && names.includes('night'), `palettes ${names}`);
  const page = await openPage();
  await until('the picker built from /api/status', async () =>
    (await page.$$eval('#palette option', (os) => os.map((o) => o.value).join())) === names.join());
  const titles = await page.$$eval('#palette option', (os) => os.map((o) => o.title));
  assert.deepEqual(titles, status.palettes.map((p) => p.about), 'each option carries its line');
  const now = status.stations[0].params.palette;
  await until('the current palette shown', async () =>
    (await page.inputValue('#palette')) === now && (await page.textContent('#now-palette')) === now);

  // Stopped, the page steers by REST.
  await page.click('#steer-box summary');
  await page.selectOption('#palette', 'glass');
  await until('glass on the server', async () => (await api('/api/status')).body.stations[0].params.palette === 'glass');
  const glass = status.palettes.find((p) => p.name === 'glass').about;
  await until("glass's line beside the picker", async () => (await page.textContent('#palette-about')) === glass);

  // Playing, over the socket; and someone else's change reaches the picker.
  await page.click('#play');
  await until('live', async () => (await stats(page)).state === 'live', 10000);
  await page.selectOption('#palette', 'night');
  await until('night on the server', async () => (await api('/api/status')).body.stations[0].params.palette === 'night');
  const r = await api('/api/stations/main/params', { method: 'POST', body: JSON.stringify({ palette: 'strings' }) });
  assert.equal(r.status, 202);
  await until('the picker to follow', async () =>
    (await page.inputValue('#palette')) === 'strings' && (await page.textContent('#now-palette')) === 'strings');
  // A name the server does not know: refused, the allowed ones named, the picker put back.
  await page.evaluate(() => window.lull.player.send({ type: 'control', palette: 'disco' }));
  await until('the refusal shown', async () => /palette: .*classic, glass/.test(await page.textContent('#message')));
  assert.equal(await page.inputValue('#palette'), 'strings');
  assert.equal((await api('/api/status')).body.stations[0].params.palette, 'strings');
  await page.screenshot({ path: `${ART}/player-palette.png`, fullPage: true });
  assert.deepEqual(page.errors, []);
  await page.click('#play');
  await api('/api/stations/main/params', { method: 'POST', body: JSON.stringify({ palette: 'classic' }) });
  await page.close();
});

test('stations as cards: title, description, now playing, listeners, a colour by key; a card plays its station and steers its palette', async () => {
  const card = (name) => `#cards li[data-station="${name}"]`;
  await api('/api/stations/main/params', { method: 'POST', body: JSON.stringify({ key: 'A', mode: 'aeolian' }) });
  await until("the earlier tests' listeners gone", async () => (await api('/api/status')).body.listeners === 0);
  const page = await openPage();
  await until('two cards', async () => (await page.$$('#cards li.card')).length === 2);
  assert.deepEqual(await page.$$eval('#cards li.card', (ls) => ls.map((l) => l.dataset.station)), ['main', 'night'], "the server's order");
  assert.equal(await page.textContent(`${card('main')} .card-title`), 'Main room');
  assert.equal(await page.textContent(`${card('main')} .card-about`), 'Warm, slow and near', 'an escaped comma is a comma');
  assert.equal(await page.textContent(`${card('night')} .card-title`), 'Night');
  assert.equal(await page.textContent(`${card('night')} .card-about`), 'Dark and far away');
  for (const name of ['main', 'night']) {
    assert.equal(await page.textContent(`${card(name)} .card-listeners`), '0 listening');
    assert.match(await page.textContent(`${card(name)} .card-now`), /^[A-G]#? [a-z ()-]+ · \S+$/, `${name} says what plays`);
    // A button, named by its title, saying whether it plays.
    const b = `${card(name)} .card-play`;
    assert.equal(await page.$eval(b, (x) => x.tagName), 'BUTTON');
    assert.equal(await page.getAttribute(b, 'aria-pressed'), 'false');
    assert.equal(await page.$eval(b, (x) => document.getElementById(x.getAttribute('aria-labelledby')).textContent),
      name === 'main' ? 'Main room' : 'Night');
  }
  // A minor and D dorian: different keys, different colours.
  const colour = (name) => page.$eval(card(name), (l) => getComputedStyle(l).backgroundColor);
  const [a, d] = [await colour('main'), await colour('night')];
  assert.notEqual(a, d, `main ${a}, night ${d}`);

  // The steering controls wait behind a closed disclosure that says who hears them.
  assert.equal(await page.$eval('#steer-box', (x) => x.tagName === 'DETAILS' && x.open), false);
  assert.match(await page.textContent('#steer-box summary'), /everyone on this station hears/);
  for (const id of ['key', 'mode', 'palette', 'bpm', 'intensity'])
    assert.equal(await page.$eval(`#${id}`, (x) => x.closest('#steer-box') !== null), true, `#${id} is in Steer`);
  assert.equal(await page.isVisible('#key'), false);
  assert.equal(await page.$('#station'), null, 'no station select: the cards are the switcher');

  // Pressing a card plays its station; the listener shows on its card.
  await page.click(`${card('night')} .card-play`);
  await until('night playing', async () => {
    const x = await stats(page);
    return x.station === 'night' && x.playout === 'playing';
  }, 10000);
  assert.equal(await page.getAttribute(`${card('night')} .card-play`, 'aria-pressed'), 'true');
  assert.equal(await page.getAttribute(`${card('main')} .card-play`, 'aria-pressed'), 'false');
  assert.equal((await stats(page)).params.key, 'D');
  await until('the server counts night', async () => (await api('/api/status')).body.stations[1].listeners.total === 1);
  await until("night's card counts its listener (the cards refresh)", async () =>
    (await page.textContent(`${card('night')} .card-listeners`)) === '1 listening', 15000);

  // "Save the last 10 minutes": the playing station's recent.ogg, which the
  // browser decodes to as long as the server says it is, and not silent.
  await until('the save link for night', async () => /recent\.ogg/.test((await page.getAttribute('#save-recent', 'href')) || ''));
  const saved = await page.evaluate(async () => {
    const a = document.getElementById('save-recent');
    const r = await fetch(a.href);
    const seconds = Number(r.headers.get('x-lull-seconds'));
    const audio = await new OfflineAudioContext(2, 48000, 48000).decodeAudioData(await r.arrayBuffer());
    const ch = audio.getChannelData(0);
    let peak = 0;
    for (let i = 0; i < ch.length; i += 7) peak = Math.max(peak, Math.abs(ch[i]));
    return { href: a.getAttribute('href'), download: a.getAttribute('download'), hidden: a.hidden, seconds, duration: audio.duration, peak };
  });
  console.log(`# recent.ogg from the page: ${saved.seconds} s said, ${saved.duration.toFixed(3)} s decoded, peak ${saved.peak.toFixed(3)}`);
  assert.equal(saved.hidden, false);
  assert.equal(saved.href, 'api/stations/night/recent.ogg?minutes=10');
  assert.equal(saved.download, 'night-recent.ogg');
  assert.ok(saved.seconds >= 5, `the server kept ${saved.seconds} s`);
  assert.ok(Math.abs(saved.duration - saved.seconds) < 0.1, `decoded ${saved.duration} s of ${saved.seconds}`);
  assert.ok(saved.peak > 0.01, `peak ${saved.peak}`);

  // A card's palette picker, built from the server's list, steers its own station.
  const status = (await api('/api/status')).body;
  assert.deepEqual(await page.$$eval(`${card('main')} select option`, (os) => os.map((o) => o.value)), status.palettes.map((p) => p.name));
  const want = status.stations[0].params.palette === 'glass' ? 'tape' : 'glass';
  const nightBefore = status.stations[1].params.palette;
  await page.selectOption(`${card('main')} select`, want);
  await until(`${want} on main`, async () => (await api('/api/status')).body.stations[0].params.palette === want);
  assert.equal((await api('/api/status')).body.stations[1].params.palette, nightBefore, 'night untouched');
  assert.equal(await page.inputValue(`${card('main')} select`), want);
  await page.screenshot({ path: `${ART}/player-cards.png`, fullPage: true });

  // Hidden, the page stops asking for the cards.
  let asked = 0;
  page.on('request', (r) => { if (r.url().endsWith('/api/stations')) asked++; });
  await page.evaluate(() => {
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
    document.dispatchEvent(new Event('visibilitychange'));
  });
  await sleep(10500);
  assert.equal(asked, 0, 'no refresh while hidden');

  // Pressed again, the playing card pauses.
  await page.click(`${card('night')} .card-play`);
  await until('pause', async () => (await stats(page)).state === 'stopped');
  assert.equal(await page.getAttribute(`${card('night')} .card-play`, 'aria-pressed'), 'false');
  assert.deepEqual(page.errors, []);
  await api('/api/stations/main/params', { method: 'POST', body: JSON.stringify({ palette: 'classic' }) });
  await page.close();
});

test('listening alone: a station of your own, steered by its holder only, remembered across a reload', async () => {
  const card = (name) => `#cards li[data-station="${name}"]`;
  const page = await openPage();
  await until('the cards', async () => (await page.$$('#cards li.card')).length === 2);
  assert.equal(await page.textContent('#alone'), 'Listen alone');
  const mainBefore = (await api('/api/stations/main')).body.params;
  await page.click('#alone');
  const mine = await until('playing a station of its own', async () => {
    const x = await stats(page);
    return /^p-[0-9a-f]{16}$/.test(x.station) && x.playout === 'playing' && x;
  }, 15000);
  const name = mine.station;
  assert.equal(await page.textContent(`${card(name)} .card-title`), 'Your station');
  assert.equal(await page.getAttribute(`${card(name)} .card-play`, 'aria-pressed'), 'true');
  assert.equal(await page.textContent('#alone'), 'Your station');
  assert.ok(!JSON.stringify((await api('/api/stations')).body).includes(name), 'no shared list names it');
  const own = (await api(`/api/stations/${name}`)).body;
  assert.equal(own.steer, 'personal');
  assert.ok(own.params.seed >= 1, 'a seed of its own');

  // Steered from the UI, for its listener alone: the shared station stays as it was.
  assert.match(await page.textContent('#steer-box summary'), /only you hear/);
  await page.click('#steer-box summary');
  const key = own.params.key === 'F' ? 'G' : 'F';
  await page.selectOption('#key', key);
  await until(`key ${key} on the personal station`, async () => (await api(`/api/stations/${name}`)).body.params.key === key);
  assert.deepEqual((await api('/api/stations/main')).body.params, mainBefore);
  // Its share link names it and its seed (lull render --seed makes it again).
  const link = await page.evaluate(() => window.lull.shareLink());
  assert.equal(new URL(link).searchParams.get('station'), name);
  assert.equal(new URL(link).searchParams.get('seed'), String(own.params.seed));

  // A second browser (its own storage): hears it, cannot steer it.
  const other = await openPage(`?station=${name}`);
  await until("the other's card for it", async () => (await other.$(card(name))) !== null);
  assert.equal(await other.textContent(`${card(name)} .card-title`), 'Listening alone');
  await other.click(`${card(name)} .card-play`);
  await until('the other plays it', async () => {
    const x = await stats(other);
    return x.station === name && x.playout === 'playing';
  }, 15000);
  assert.equal(await other.isVisible('#steer-box'), false, 'no controls for what it cannot steer');
  assert.match(await other.textContent('#steer-off'), /someone's personal station/);
  const tried = await other.evaluate(async (n) => {
    const rest = await fetch(`api/stations/${n}/params`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key: 'C' }),
    });
    window.lull.player.send({ type: 'control', key: 'C' });
    return rest.status;
  }, name);
  assert.equal(tried, 401);
  await until('the refusal shown', async () => /only the listener who started this station/.test(await other.textContent('#message')));
  assert.equal((await api(`/api/stations/${name}`)).body.params.key, key, 'unchanged by the other');
  await until('two listening', async () => (await api(`/api/stations/${name}`)).body.listeners.total === 2);
  await other.close();

  // Reloaded, the page remembers it while it lives and opens on it.
  await page.reload();
  await until('its card again', async () => (await page.$(card(name))) !== null);
  assert.equal(await page.textContent(`${card(name)} .card-title`), 'Your station');
  assert.equal((await stats(page)).station, name);
  assert.equal(await page.textContent('#alone'), 'Your station');
  assert.deepEqual(page.errors, []);
  await page.screenshot({ path: `${ART}/player-alone.png`, fullPage: true });
  await page.close();
});
