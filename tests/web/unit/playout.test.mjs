// The jitter buffer and playout: starts full, fades in, survives underruns
// and holes without clicks, trims repeats, skips a backlog.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Playout } from '../../../web/playout.mjs';

const HZ = 440, AMP = 0.5, OUT = 44100, BLOCK = 128;

function packet(pos, n = 960) {
  const l = new Float32Array(n), r = new Float32Array(n);
  for (let i = 0; i < n; i++) l[i] = r[i] = AMP * Math.sin((2 * Math.PI * HZ * (pos + i)) / 48000);
  return [l, r, pos];
}

// Run the audio clock for `seconds`, feeding a packet every 20 ms of
// stream time unless feed(t) says no. Returns the left channel played.
function run(p, seconds, { feed = () => true, state = { pos: 0, t: 0 } } = {}) {
  const out = [], L = new Float32Array(BLOCK), R = new Float32Array(BLOCK);
  const end = state.t + seconds;
  while (state.t < end) {
    while (state.pos / 48000 <= state.t + 0.3 && feed(state.t)) {
      p.push(...packet(state.pos));
      state.pos += 960;
    }
    if (!feed(state.t)) state.pos = Math.max(state.pos, Math.round(state.t * 48000)); // the stream goes on without us
    p.process(L, R, BLOCK);
    out.push(...L);
    state.t += BLOCK / OUT;
  }
  return out;
}

// Largest step between neighbouring samples: a 440 Hz sine at 0.5 moves at
// most 0.031 per sample at 44.1 kHz; a click is a step well beyond.
const maxStep = (a) => a.reduce((m, x, i) => (i ? Math.max(m, Math.abs(x - a[i - 1])) : m), 0);
const peak = (a) => a.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
const SMOOTH = (2 * Math.PI * HZ * AMP) / OUT + 0.005;

function frequency(a) {
  let first = -1, last = -1, n = 0;
  for (let i = 1; i < a.length; i++)
    if (a[i - 1] < 0 && a[i] >= 0) {
      const x = i - 1 + -a[i - 1] / (a[i] - a[i - 1]);
      if (first < 0) first = x;
      last = x;
      n++;
    }
  return ((n - 1) * OUT) / (last - first);
}

test('waits for its target, fades in, then plays at pitch with no underrun', () => {
  const p = new Playout({ outRate: OUT, targetMs: 300 });
  const out = run(p, 6);
  const s = p.stats();
  assert.equal(s.state, 'playing');
  assert.equal(s.underruns, 0);
  const start = out.findIndex((x) => x !== 0);
  assert.ok(start > 0, 'silent until the buffer fills');
  const first = out.slice(start, start + 0.05 * OUT);
  assert.ok(peak(first) < 0.05 * AMP, 'the first 50 ms are faded');
  const steady = out.slice(start + OUT);
  assert.ok(Math.abs(peak(steady) - AMP) < 0.01, 'full level after the fade-in');
  const f = frequency(steady);
  assert.ok(Math.abs(f / HZ - 1) < 0.005, `pitch ${f.toFixed(2)} Hz`);
  assert.ok(maxStep(out) < SMOOTH, `step ${maxStep(out)}`);
  assert.ok(Math.abs(s.level_ms - 300) < 40, `level ${s.level_ms} ms`);
});

test('an underrun fades out, counts, raises the target, and recovers', () => {
  const p = new Playout({ outRate: OUT, targetMs: 300 });
  const state = { pos: 0, t: 0 };
  run(p, 3, { state });
  const out = run(p, 3, { state, feed: (t) => t < 3.5 }); // 2.5 s outage
  let s = p.stats();
  assert.equal(s.underruns, 1);
  assert.equal(s.target_ms, 500);
  assert.ok(maxStep(out) < SMOOTH, `a click of ${maxStep(out)} at the underrun`);
  const silentFrom = out.findIndex((x, i) => i > 0.5 * OUT && out.slice(i, i + 1000).every((y) => y === 0));
  assert.ok(silentFrom > 0.7 * OUT && silentFrom < 0.9 * OUT, `silent after ${silentFrom / OUT} s (buffer 300 ms)`);
  const back = run(p, 3, { state });
  s = p.stats();
  assert.equal(s.state, 'playing');
  assert.equal(s.underruns, 1);
  assert.ok(maxStep(back) < SMOOTH);
  assert.ok(Math.abs(peak(back.slice(-OUT)) - AMP) < 0.01);
});

test('a hole in the stream is a faded join; a repeat is trimmed', () => {
  const p = new Playout({ outRate: OUT, targetMs: 300 });
  const L = new Float32Array(BLOCK), R = new Float32Array(BLOCK);
  let pos = 0, k = 0;
  const out = [];
  for (let t = 0; t < 4; t += BLOCK / OUT) {
    while (pos / 48000 <= t + 0.3) {
      p.push(...packet(pos));
      if (k === 100) p.push(...packet(pos)); // a repeat (a reconnect's burst)
      pos += k++ === 50 ? 960 + 4321 : 960; // a hole of 4321 frames
    }
    p.process(L, R, BLOCK);
    out.push(...L);
  }
  const s = p.stats();
  assert.equal(s.joins, 1);
  assert.equal(s.trimmed_frames, 960);
  assert.equal(s.underruns, 0);
  assert.ok(maxStep(out) < SMOOTH, `a click of ${maxStep(out)} at the join`);
  // the join dips to silence for ~12 ms each side, no longer
  const dip = out.findIndex((x, i) => i > OUT && Math.abs(x) < 1e-3 && Math.abs(out[i + 2]) < 1e-3);
  assert.ok(dip > 0);
});

test('a backlog (a tab that slept) skips to the live edge', () => {
  const p = new Playout({ outRate: OUT, targetMs: 300 });
  const state = { pos: 0, t: 0 };
  run(p, 2, { state });
  for (let i = 0; i < 200; i++, state.pos += 960) p.push(...packet(state.pos)); // 4 s at once
  state.t += 4; // while the audio clock stood still
  assert.ok(p.stats().level_ms > 4000);
  const out = run(p, 1, { state });
  const s = p.stats();
  assert.equal(s.skips, 1);
  assert.ok(Math.abs(s.level_ms - 300) < 80, `level ${s.level_ms} ms`);
  assert.ok(maxStep(out) < SMOOTH);
});

test('more than the ring holds, with nobody reading, keeps the newest', () => {
  const p = new Playout({ outRate: OUT, targetMs: 300 });
  for (let pos = 0; pos < 48000 * 30; pos += 960) p.push(...packet(pos));
  const s = p.stats();
  assert.ok(s.skips >= 1);
  assert.ok(s.level_ms <= 11000);
  const out = run(p, 1, { state: { pos: 48000 * 30, t: 30 } });
  assert.ok(out.some((x) => x !== 0));
});

test('reset returns to buffering and fades in again', () => {
  const p = new Playout({ outRate: OUT, targetMs: 200 });
  const state = { pos: 0, t: 0 };
  run(p, 2, { state });
  p.reset();
  assert.equal(p.stats().state, 'buffering');
  const out = run(p, 2, { state });
  assert.equal(p.stats().state, 'playing');
  assert.ok(maxStep(out) < SMOOTH);
});

test('a stream that starts over joins, faded, after what is buffered', () => {
  const p = new Playout({ outRate: OUT, targetMs: 300 });
  const state = { pos: 48000 * 100, t: 100 };
  run(p, 2, { state });
  p.newStream();
  state.pos = 0; // the server restarted
  const out = run(p, 2, { state: { pos: 0, t: 0 } });
  const s = p.stats();
  assert.equal(s.joins, 1);
  assert.equal(s.underruns, 0);
  assert.equal(s.trimmed_frames, 0);
  assert.ok(maxStep(out) < SMOOTH);
});

test('a surplus of 200 ms (a decoder that caught up late) is skipped back to the target, once', () => {
  const p = new Playout({ outRate: OUT, targetMs: 300 });
  const state = { pos: 0, t: 0 };
  run(p, 2, { state });
  for (let i = 0; i < 10; i++, state.pos += 960) p.push(...packet(state.pos)); // 200 ms early
  state.t += 0.2; // the stream's clock is that far ahead of ours now
  const out = run(p, 3, { state });
  const s = p.stats();
  assert.equal(s.skips, 1);
  assert.equal(s.underruns, 0);
  assert.ok(Math.abs(s.level_ms - 300) < 40, `level ${s.level_ms} ms`);
  assert.ok(maxStep(out) < SMOOTH, `a click of ${maxStep(out)} at the skip`);
});

test('a surplus under 100 ms is left to the drift loop', () => {
  const p = new Playout({ outRate: OUT, targetMs: 300 });
  const state = { pos: 0, t: 0 };
  run(p, 2, { state });
  for (let i = 0; i < 3; i++, state.pos += 960) p.push(...packet(state.pos)); // 60 ms early
  state.t += 0.06;
  run(p, 3, { state });
  assert.equal(p.stats().skips, 0);
});
