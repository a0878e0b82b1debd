// The web player keeps up in real time (CTest test_web_player_timing, label
// timing; release builds only, run alone): in headless Chromium against a
// real `lull serve`, wall-clock seconds of Opus, PCM and Opus over WSS play
// without an underrun, the buffer stays near its target, a dropped socket is
// not heard and an outage runs the buffer dry exactly once. What the player
// does (codecs, gaps, steering, reconnects) is player.test.mjs.
//   LULL_BIN  the lull binary
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as h from './support/browser.mjs';

const { sleep, until, stats } = h;
const ctx = h.suite();

test('Opus: ten seconds without an underrun near the buffer target; a blip unheard; an outage dry once', async () => {
  const page = await h.openPage(ctx.browser, ctx.port);
  await page.click('#play');
  await until('live audio', async () => (await stats(page)).playout === 'playing');
  await sleep(10500);
  const s = await stats(page);
  console.log(`# ${JSON.stringify(s)}`);
  assert.ok(s.decoded_frames >= 10.5 * 48000, `decoded ${s.decoded_frames / 48000} s`);
  assert.ok(s.played_frames >= 10 * s.context_rate, `played ${s.played_frames / s.context_rate} s`);
  assert.equal(s.underruns, 0);
  // Near the target: within one 60 ms message of it, plus what a stall of
  // headless Chromium's clock on a busy machine adds (the drift loop takes
  // that back at 0.3 %, ~30 s for 90 ms; seen once: +92 ms).
  assert.ok(Math.abs(s.buffer_ms - s.target_ms) < 120, `buffer ${s.buffer_ms.toFixed(0)} ms, target ${s.target_ms} ms`);

  // A blip: the reconnect comes before the buffer runs out.
  await h.dropSocket(page);
  await sleep(1500);
  let t = await stats(page);
  assert.equal(t.underruns, 0, 'a short drop is not heard');

  // The server dies and comes back: the outage runs the buffer dry once.
  ctx.server.kill('SIGKILL');
  await until('the player to notice', async () => (await stats(page)).state === 'reconnecting');
  await sleep(1500);
  ({ child: ctx.server } = await h.serve(ctx.port));
  await until('playback to resume', async () => {
    const x = await stats(page);
    return x.state === 'live' && x.playout === 'playing';
  }, 15000);
  const back = await stats(page);
  await sleep(2000);
  t = await stats(page);
  assert.ok(t.played_frames - back.played_frames >= 1.8 * t.context_rate, 'playing again');
  assert.equal(t.underruns, 1, 'the outage ran the buffer dry once, faded');
  await page.close();
});

test('PCM (no WebCodecs, no WebAssembly): three seconds without an underrun', async () => {
  const page = await h.openPage(ctx.browser, ctx.port, '', {
    init: () => {
      delete window.AudioDecoder;
      delete window.WebAssembly;
    },
  });
  await page.click('#play');
  await until('PCM audio', async () => (await stats(page)).playout === 'playing');
  await sleep(3000);
  const s = await stats(page);
  assert.equal(s.codec, 'pcm');
  assert.ok(s.decoded_frames >= 3 * 48000);
  assert.equal(s.underruns, 0);
  await page.close();
});

test('Opus over WSS (--tls-cert): three seconds without an underrun', async () => {
  const tls = await h.serveTls();
  try {
    const page = await h.openPage(ctx.browser, tls.port, '', { host: 'lull.test', scheme: 'https' });
    await page.click('#play');
    await until('live audio over WSS', async () => (await stats(page)).playout === 'playing', 10000);
    await sleep(3000);
    const s = await stats(page);
    assert.equal(s.codec, 'opus');
    assert.ok(s.decoded_frames >= 3 * 48000, `decoded ${s.decoded_frames} frames`);
    assert.equal(s.underruns, 0);
    await page.close();
  } finally {
    tls.close();
  }
});
