// The player's jitter buffer and playout, free of any browser API so that
// node's test runner can drive it: decoded 48 kHz stereo goes in with its
// stream position; the audio thread takes blocks out at its own rate.
//
// - It starts (and restarts after an underrun) only once the buffer holds
//   its target, then fades in.
// - Before running dry it fades out over the few milliseconds it still
//   holds, counts an underrun and raises its target, so a bad network
//   settles at a depth that plays through; after a quiet minute the target
//   drifts back down.
// - Positions say where audio belongs: a repeat (after a reconnect) is
//   trimmed, a hole becomes a join, and every join or skip is faded out and
//   in around the cut instead of clicking.
// - The drift loop reads a hair faster or slower to hold the target; more
//   than 100 ms too much (smoothed) skips back to the target, faded.

import { DriftLoop } from './drift.mjs';
import { Resampler, HALF } from './resample.mjs';

const SKIP_EXCESS = 0.1; // seconds over the target, smoothed, that a skip takes back

const shape = (x) => {
  const s = Math.sin(0.5 * Math.PI * x);
  return s * s;
};

export class Playout {
  constructor({
    outRate,
    inRate = 48000,
    targetMs = 300,
    maxTargetMs = 2000,
    growMs = 200,
    relaxSeconds = 60,
    startFadeMs = 400,
    fadeMs = 12,
    capacity = 1 << 19, // ~11 s at 48 kHz
  }) {
    this.inRate = inRate;
    this.outRate = outRate;
    this.cap = capacity;
    this.mask = capacity - 1;
    this.l = new Float32Array(capacity);
    this.r = new Float32Array(capacity);
    this.res = new Resampler(inRate, outRate);
    this.drift = new DriftLoop();
    this.frame = new Float32Array(2);
    this.maxTarget = (maxTargetMs * inRate) / 1000;
    this.grow = (growMs * inRate) / 1000;
    this.relax = relaxSeconds * outRate;
    this.startFade = Math.max(1, Math.round((startFadeMs * outRate) / 1000));
    this.fade = Math.max(1, Math.round((fadeMs * inRate) / 1000)); // in input frames
    this.underruns = 0;
    this.joins = 0;
    this.skips = 0;
    this.trimmed = 0;
    this.played = 0; // output frames played (not silence while buffering)
    this.pushed = 0;
    this.sumSq = 0;
    this.sumN = 0;
    this.configure({ targetMs });
    this.w = 0;
    this.read = 0;
    this.reset();
  }

  configure({ targetMs }) {
    this.baseTarget = Math.min(this.maxTarget, (targetMs * this.inRate) / 1000);
    this.target = this.baseTarget;
  }

  // Drop everything and wait for fresh audio (a new station, play after pause).
  reset() {
    this.read = this.w + HALF; // frames behind the read position are history, never played at gain
    this.w = this.read + HALF;
    this.nextPos = null;
    this.marks = []; // {at, to}: read jumps from ring position at to to, faded around it
    this.lastJump = -Infinity;
    this.state = 'buffering';
    this.env = 0; // 0..1, shaped: the start fade-in and the underrun fade-out
    this.envStep = 0;
    this.quiet = 0;
  }

  // The stream started over (a restarted server): positions begin again,
  // and what is still buffered plays out into a faded join.
  newStream() {
    this.nextPos = null;
    if (this.playable() > 0) {
      this.addMark(this.w, this.w);
      this.joins++;
    }
  }

  // Frames ready to interpolate ahead of the read position.
  playable() {
    return this.w - HALF - this.read;
  }

  // Decoded audio for stream position pos (frames at 48 kHz).
  push(l, r, pos) {
    let n = l.length, from = 0;
    if (this.nextPos !== null && pos < this.nextPos) {
      from = Math.min(n, this.nextPos - pos); // already have these
      this.trimmed += from;
      if (from === n) return;
    } else if (this.nextPos !== null && pos > this.nextPos && this.playable() > 0) {
      this.addMark(this.w, this.w);
      this.joins++;
    }
    n -= from;
    if (this.w + n - (this.read - HALF) > this.cap) {
      // Nobody is reading (a suspended context): keep only the newest.
      this.reset();
      this.skips++;
    }
    for (let i = 0; i < n; i++) {
      const m = (this.w + i) & this.mask;
      this.l[m] = l[from + i];
      this.r[m] = r[from + i];
    }
    this.w += n;
    this.pushed += n;
    this.nextPos = pos + from + n;
  }

  addMark(at, to) {
    this.marks = this.marks.filter((m) => m.at < at);
    this.marks.push({ at, to });
  }

  // Fill outL/outR (n frames at outRate).
  process(outL, outR, n) {
    const step0 = this.inRate / this.outRate;
    if (this.state === 'buffering') {
      outL.fill(0, 0, n);
      outR.fill(0, 0, n);
      if (this.playable() >= this.target) {
        // Start at the target exactly: audio that piled up while the
        // context was waking is older than it need be.
        const over = this.playable() - this.target;
        if (over > 0 && !this.marks.length) this.read += Math.floor(over);
        this.state = 'playing';
        this.env = 0;
        this.envStep = 1 / this.startFade;
        this.drift.reset(this.playable() / this.inRate);
      }
      return;
    }
    let step = step0;
    if (this.state === 'playing') {
      const have = this.playable();
      step = step0 * this.drift.update(have / this.inRate, this.target / this.inRate, n / this.outRate);
      if (have - step * n < this.fade) {
        // About to run dry: fade out over what is left.
        this.state = 'stopping';
        this.envStep = -Math.max(this.env, 1e-9) / Math.max(1, Math.min(have, this.fade) / step);
        this.underruns++;
        this.target = Math.min(this.maxTarget, this.target + this.grow);
        this.quiet = 0;
      } else if (this.drift.depth - this.target / this.inRate > SKIP_EXCESS && !this.marks.some((m) => m.to > m.at)) {
        // Too much, for a second (a tab that slept, a stalled audio clock, a
        // decoder that caught up late): more than the drift loop should take
        // back at 0.3 %. Skip to the target, faded, and let the loop start
        // from there.
        const at = this.read + this.fade + step * n;
        this.addMark(at, this.w - HALF - this.target);
        this.drift.reset(this.target / this.inRate);
        this.skips++;
      } else if ((this.quiet += n) > this.relax && this.target > this.baseTarget) {
        this.target = Math.max(this.baseTarget, this.target - this.grow / 4);
        this.quiet = 0;
      }
    } else {
      step = step0 * this.drift.ratio;
    }
    const F = this.fade, res = this.res, fr = this.frame;
    for (let i = 0; i < n; i++) {
      while (this.marks.length && this.read >= this.marks[0].at) {
        const m = this.marks.shift();
        this.read = m.to + (this.read - m.at);
        this.lastJump = m.to;
      }
      let g = shape(this.env);
      if (this.marks.length) {
        const ahead = this.marks[0].at - this.read;
        if (ahead < F) g *= shape(ahead / F);
      }
      const since = this.read - this.lastJump;
      if (since < F) g *= shape(since / F);
      res.at(this.l, this.r, this.mask, this.read, fr);
      outL[i] = fr[0] * g;
      outR[i] = fr[1] * g;
      this.sumSq += fr[0] * fr[0] * g * g;
      this.env += this.envStep;
      if (this.env >= 1) this.env = 1, this.envStep = 0;
      if (this.env <= 0) {
        this.env = 0;
        if (this.state === 'stopping') {
          outL.fill(0, i + 1, n);
          outR.fill(0, i + 1, n);
          this.state = 'buffering';
          this.drift.reset();
          this.read = Math.min(this.read + step, this.w - HALF);
          this.played += i + 1;
          this.sumN += i + 1;
          return;
        }
      }
      this.read += step;
    }
    this.played += n;
    this.sumN += n;
  }

  // Numbers for the page; resets the level meter.
  stats() {
    const s = {
      state: this.state,
      level_ms: (Math.max(0, this.playable()) * 1000) / this.inRate,
      target_ms: (this.target * 1000) / this.inRate,
      base_target_ms: (this.baseTarget * 1000) / this.inRate,
      ratio: this.drift.ratio,
      underruns: this.underruns,
      joins: this.joins,
      skips: this.skips,
      trimmed_frames: this.trimmed,
      pushed_frames: this.pushed,
      played_frames: this.played,
      out_rate: this.outRate,
      rms_db: this.sumN ? 10 * Math.log10(this.sumSq / this.sumN + 1e-20) : -200,
    };
    this.sumSq = 0;
    this.sumN = 0;
    return s;
  }
}
