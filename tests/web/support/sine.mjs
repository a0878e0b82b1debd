// A 48 kHz sine read through the player's interpolator at step
// (48000 / outRate) * ratio, against the ideal continuous sine: gain and
// signal-to-error in dB, and how many reads gave the two channels different
// values. Shared by the unit tests and bench/bench_web.mjs.
import { Resampler } from '../../../web/resample.mjs';

const N = 1 << 16;

export function sineResponse(hz, outRate, ratio = 1) {
  const l = new Float32Array(N), r = new Float32Array(N);
  for (let i = 0; i < N; i++) l[i] = r[i] = 0.5 * Math.sin((2 * Math.PI * hz * i) / 48000);
  const res = new Resampler(48000, outRate), out = new Float32Array(2), step = (48000 / outRate) * ratio;
  let sig = 0, err = 0, got = 0, unequal = 0;
  for (let pos = 1000; pos < N - 1000; pos += step) {
    res.at(l, r, N - 1, pos, out);
    const ideal = 0.5 * Math.sin((2 * Math.PI * hz * pos) / 48000);
    sig += ideal * ideal;
    err += (out[0] - ideal) ** 2;
    got += out[0] * out[0];
    if (out[0] !== out[1]) unequal++;
  }
  return { gain: 10 * Math.log10(got / sig), snr: 10 * Math.log10(sig / err), unequal };
}
