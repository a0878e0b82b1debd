// The player's interpolator: 48 kHz read at 44.1 kHz (and +-0.3 % drift)
// must keep pitch, level and purity.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Resampler, HALF } from '../../../web/resample.mjs';
import { sineResponse } from '../support/sine.mjs';

// Gain and signal-to-error of a sine read at 48000 / outRate * ratio; both
// channels must always read the same.
function measure(hz, outRate, ratio = 1) {
  const m = sineResponse(hz, outRate, ratio);
  assert.equal(m.unequal, 0);
  return m;
}

test('48 kHz to 44.1 kHz keeps 100 Hz .. 18 kHz within 0.05 dB, 75 dB clean', () => {
  for (const hz of [100, 1000, 5000, 10000, 16000, 18000]) {
    const m = measure(hz, 44100);
    assert.ok(Math.abs(m.gain) < 0.05, `${hz} Hz: gain ${m.gain.toFixed(3)} dB`);
    assert.ok(m.snr > 75, `${hz} Hz: signal to error ${m.snr.toFixed(1)} dB`);
  }
});

test('the band edge: 20 kHz within 1.5 dB (Opus carries nothing above)', () => {
  const m = measure(20000, 44100);
  assert.ok(Math.abs(m.gain) < 1.5, `gain ${m.gain.toFixed(2)} dB`);
});

test('drift correction at +-0.3 % keeps 1 kHz clean at 48 kHz', () => {
  for (const ratio of [0.997, 1.003]) {
    const m = measure(1000, 48000, ratio);
    assert.ok(m.snr > 80, `ratio ${ratio}: ${m.snr.toFixed(1)} dB`);
  }
});

test('content above the cutoff is removed, not folded down', () => {
  // 23.5 kHz in, read at 44.1 kHz: would alias to 20.6 kHz.
  const m = measure(23500, 44100);
  assert.ok(m.gain < -80, `23.5 kHz leaks at ${m.gain.toFixed(1)} dB`);
});

test('reads wrap around the ring', () => {
  const l = new Float32Array(64).fill(0.25), r = new Float32Array(64).fill(-0.25);
  const out = new Float32Array(2);
  new Resampler(48000, 44100).at(l, r, 63, 3.5, out); // taps reach below 0
  assert.ok(Math.abs(out[0] - 0.25) < 1e-4 && Math.abs(out[1] + 0.25) < 1e-4);
  assert.equal(HALF * 2, 48);
});
