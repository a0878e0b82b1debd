// The web player's audio path, measured in node (the same modules the
// AudioWorklet runs): the interpolator's response and cost, and how the
// drift loop settles. Figures, not tests: node bench/bench_web.mjs
import { sineResponse } from '../tests/web/support/sine.mjs';
import { DriftLoop } from '../web/drift.mjs';
import { Playout } from '../web/playout.mjs';

console.log('interpolator, 48 kHz read at 44.1 kHz (48 taps, Kaiser beta 7.5):');
for (const hz of [100, 1000, 5000, 10000, 16000, 18000, 19000, 20000, 23500]) {
  const r = sineResponse(hz, 44100);
  console.log(`  ${String(hz).padStart(5)} Hz  gain ${r.gain.toFixed(3).padStart(8)} dB  signal/error ${r.snr.toFixed(1).padStart(6)} dB`);
}

// Cost: the whole playout (ring, fades, drift, interpolation) per second of
// output, as the worklet runs it, in 128-frame blocks.
const p = new Playout({ outRate: 44100, targetMs: 300 });
const pkt = new Float32Array(960).map((_, i) => 0.3 * Math.sin(i / 7));
const L = new Float32Array(128), R = new Float32Array(128);
let pos = 0;
for (let i = 0; i < 20; i++, pos += 960) p.push(pkt, pkt, pos);
const seconds = 20;
let t = 0, spent = 0;
for (let b = 0; b < (seconds * 44100) / 128; b++) {
  while (pos / 48000 < t + 0.3) p.push(pkt, pkt, pos), (pos += 960);
  const t0 = performance.now();
  p.process(L, R, 128);
  spent += performance.now() - t0;
  t += 128 / 44100;
}
console.log(`playout cost: ${(spent / seconds).toFixed(2)} ms of CPU per second of audio (${((spent / seconds) / 10).toFixed(2)} % of a core), ${p.stats().underruns} underruns`);

// Drift: a clock offset appears at t = 0 with the buffer on target; how far
// the depth strays, and when it is back within 5 ms for good.
console.log('drift loop (300 ms target; 60 ms messages, each +-30 ms late or early):');
for (const ppm of [50, 200, 1000, -1000]) {
  const loop = new DriftLoop();
  const dt = 128 / 44100;
  let seed = 7;
  const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  const arrivals = [];
  for (let k = 1; k * 0.06 < 601; k++) arrivals.push((k * 0.06) / (1 + ppm * 1e-6) + (rnd() * 2 - 1) * 0.03);
  arrivals.sort((a, b) => a - b);
  let depth = 0.3, ai = 0, peak = 0, late = 0, sum = 0, n = 0, rsum = 0, rsq = 0;
  for (let s = 0; s < 600; s += dt) {
    while (ai < arrivals.length && arrivals[ai] <= s) depth += 0.06, ai++;
    const r = loop.update(depth, 0.3, dt);
    depth -= r * dt;
    const dev = Math.abs(loop.depth - 0.3);
    peak = Math.max(peak, dev);
    if (s > 300) late = Math.max(late, dev), (sum += depth), n++, (rsum += r), (rsq += r * r);
  }
  const rm = rsum / n, rsd = Math.sqrt(Math.max(0, rsq / n - rm * rm));
  console.log(`  ${String(ppm).padStart(5)} ppm: smoothed depth strays at most ${(peak * 1000).toFixed(1)} ms; last 5 min: ` +
    `mean depth ${(sum / n * 1000).toFixed(1)} ms, smoothed within ${(late * 1000).toFixed(1)} ms, ` +
    `ratio ${((rm - 1) * 1e6).toFixed(0)} ppm +- ${(rsd * 1e6).toFixed(0)} ppm`);
}
