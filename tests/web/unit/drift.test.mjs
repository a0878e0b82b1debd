// The drift loop: holds the buffer at its target against clock offsets,
// within +-0.3 % and without audible pitch steps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DriftLoop } from '../../../web/drift.mjs';

// Simulate `seconds` of playback at 44.1 kHz in 128-frame blocks, audio
// arriving in 60 ms messages with up to +-jitter s of network jitter, the
// server's clock off by ppm. Returns the trace.
function simulate({ ppm, seconds, jitter = 0.03, start = 0.3, target = 0.3, seed = 1 }) {
  const loop = new DriftLoop();
  const dt = 128 / 44100;
  let rnd = seed;
  const random = () => ((rnd = (rnd * 16807) % 2147483647) / 2147483647);
  let depth = start, t = 0, ratios = [], depths = [], smoothed = [], maxSlew = 0, prev = 1;
  // depth is what has arrived minus what was read, in seconds of audio
  const arrivals = [];
  for (let k = 1; k * 0.06 < seconds + 1; k++) arrivals.push((k * 0.06) / (1 + ppm * 1e-6) + (random() * 2 - 1) * jitter);
  arrivals.sort((a, b) => a - b);
  let ai = 0;
  for (; t < seconds; t += dt) {
    while (ai < arrivals.length && arrivals[ai] <= t) depth += 0.06, ai++;
    const ratio = loop.update(depth, target, dt);
    depth -= ratio * dt;
    maxSlew = Math.max(maxSlew, Math.abs(ratio - prev) / dt);
    prev = ratio;
    ratios.push(ratio);
    depths.push(depth);
    smoothed.push(loop.depth);
  }
  return { ratios, depths, smoothed, maxSlew, loop };
}

const mean = (a) => a.reduce((s, x) => s + x, 0) / a.length;
const lastSeconds = (a, s) => a.slice(a.length - Math.round((s * 44100) / 128));

for (const ppm of [-1000, -200, 0, 200, 1000]) {
  test(`holds the target against a ${ppm} ppm clock offset`, () => {
    const { ratios, depths, maxSlew } = simulate({ ppm, seconds: 300 });
    assert.ok(Math.max(...ratios) <= 1.003 + 1e-12 && Math.min(...ratios) >= 0.997 - 1e-12, 'ratio within +-0.3 %');
    assert.ok(maxSlew <= 0.0005 + 1e-9, `slew ${maxSlew} per second`);
    const settled = mean(lastSeconds(depths, 60));
    assert.ok(Math.abs(settled - 0.3) < 0.01, `depth settles at ${(settled * 1000).toFixed(1)} ms, target 300`);
    const r = mean(lastSeconds(ratios, 60));
    assert.ok(Math.abs(r - (1 + ppm * 1e-6)) < 30e-6, `ratio ${r} tracks the offset`);
    assert.ok(Math.min(...depths) > 0.15, 'never near empty');
  });
}

test('a buffer 200 ms too full drains without overshooting by more than 10 ms', () => {
  // (the depth itself saws by 60 ms as messages land; the loop sees it smoothed)
  const { depths, smoothed } = simulate({ ppm: 0, seconds: 240, start: 0.5, jitter: 0 });
  assert.ok(Math.min(...smoothed) > 0.29, `overshoot to ${(Math.min(...smoothed) * 1000).toFixed(1)} ms`);
  assert.ok(smoothed[Math.round((90 * 44100) / 128)] < 0.31, 'within 10 ms of the target in 90 s');
  assert.ok(Math.abs(mean(lastSeconds(depths, 30)) - 0.3) < 0.01);
});

test('an offset beyond reach saturates at 0.3 % and recovers without wind-up', () => {
  const loop = new DriftLoop();
  const dt = 128 / 44100;
  let depth = 0.3;
  for (let t = 0; t < 60; t += dt) depth += 1.01 * dt - loop.update(depth, 0.3, dt) * dt; // 1 %: out of reach
  assert.ok(Math.abs(loop.ratio - 1.003) < 1e-9);
  depth = 0.3; // the buffer is trimmed back; the offset is gone
  let peak = 0;
  for (let t = 0; t < 120; t += dt) {
    depth += dt - loop.update(depth, 0.3, dt) * dt;
    if (t > 20) peak = Math.max(peak, Math.abs(loop.ratio - 1));
  }
  assert.ok(peak < 0.0015, `still pushing at ${peak} after 20 s`);
  assert.ok(Math.abs(depth - 0.3) < 0.02, `depth ${depth}`);
});
