// Band-limited interpolation of 48 kHz audio at any fractional position: a
// Kaiser-windowed sinc, tabulated at PHASES sub-sample phases and linearly
// interpolated between them. The player reads its ring through this at a
// step of (48000 / context rate) x (drift ratio), so one filter does both
// the rate conversion and the clock-drift correction.

export const TAPS = 48;
export const HALF = TAPS / 2;
const PHASES = 512;
const BETA = 7.5; // ~75 dB stopband

function besselI0(x) {
  let sum = 1, term = 1;
  for (let k = 1; k < 40; k++) {
    term *= (x / (2 * k)) * (x / (2 * k));
    sum += term;
    if (term < sum * 1e-12) break;
  }
  return sum;
}

export class Resampler {
  // Cutoff 1 kHz under the lower Nyquist frequency: Opus carries nothing
  // above 20 kHz, so the 4 kHz transition band folds nothing audible.
  constructor(inRate, outRate) {
    const cutoffHz = 0.5 * Math.min(inRate, outRate) - 1000;
    const fc = cutoffHz / (0.5 * inRate); // of the input Nyquist
    this.table = new Float32Array((PHASES + 1) * TAPS);
    this.delta = new Float32Array((PHASES + 1) * TAPS);
    const i0b = besselI0(BETA);
    for (let p = 0; p <= PHASES; p++) {
      const frac = p / PHASES;
      let sum = 0;
      for (let j = 0; j < TAPS; j++) {
        const x = j - (HALF - 1) - frac; // distance from the read position
        const t = x / HALF;
        const w = Math.abs(t) >= 1 ? 0 : besselI0(BETA * Math.sqrt(1 - t * t)) / i0b;
        const s = x === 0 ? 1 : Math.sin(Math.PI * fc * x) / (Math.PI * fc * x);
        this.table[p * TAPS + j] = fc * s * w;
        sum += fc * s * w;
      }
      // Unity gain at DC for every phase, so no phase-dependent ripple.
      for (let j = 0; j < TAPS; j++) this.table[p * TAPS + j] /= sum;
    }
    for (let p = 0; p < PHASES; p++)
      for (let j = 0; j < TAPS; j++)
        this.delta[p * TAPS + j] = this.table[(p + 1) * TAPS + j] - this.table[p * TAPS + j];
  }

  // Left and right at fractional position pos of the rings l and r (mask =
  // length - 1); needs frames floor(pos) - HALF + 1 .. floor(pos) + HALF.
  // Writes into out[0], out[1].
  at(l, r, mask, pos, out) {
    const i = Math.floor(pos);
    const ph = (pos - i) * PHASES;
    const p = Math.floor(ph);
    const f = ph - p;
    const base = p * TAPS;
    const t = this.table, d = this.delta;
    let a = 0, b = 0;
    let idx = i - HALF + 1;
    for (let j = 0; j < TAPS; j++, idx++) {
      const c = t[base + j] + f * d[base + j];
      const m = idx & mask;
      a += l[m] * c;
      b += r[m] * c;
    }
    out[0] = a;
    out[1] = b;
  }
}
