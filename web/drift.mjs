// Clock drift: the server's clock and the sound card's never agree exactly
// (commonly by 10-200 ppm), so a buffer left alone slowly empties or fills.
// This loop holds the buffer at its target by reading a little faster or
// slower: a PI controller on the smoothed depth, its ratio bounded to
// +-0.3 % (5 cents) and slewed by at most 0.05 % a second, so the pitch
// never steps.
//
// Model: depth error x (s), drift d, correction u = ratio - 1: x' = d - u.
// With u = kp x + ki ∫x the loop is s^2 + kp s + ki; ki = kp^2 / 4 makes it
// critically damped (no overshoot), settling in ~ 4 / kp seconds.

export class DriftLoop {
  constructor({ maxRatio = 0.003, slewPerSecond = 0.0005, kp = 0.05, smoothSeconds = 1 } = {}) {
    this.max = maxRatio;
    this.slew = slewPerSecond;
    this.kp = kp;
    this.ki = (kp * kp) / 4;
    this.smooth = smoothSeconds;
    this.reset();
  }

  // Forget the past: after a start or an underrun the depth starts afresh.
  reset(depthSeconds = null) {
    this.depth = depthSeconds; // smoothed
    this.integral = 0;
    this.ratio = 1;
  }

  // One step: depth and target in seconds, dt the time since the last step.
  // Returns the ratio to read at (> 1: consume faster).
  update(depthSeconds, targetSeconds, dt) {
    if (this.depth === null) this.depth = depthSeconds;
    this.depth += (depthSeconds - this.depth) * Math.min(1, dt / this.smooth);
    const err = this.depth - targetSeconds;
    const want = 1 + this.kp * err + this.ki * (this.integral + err * dt);
    // Integrate only near the target and unsaturated: the integral learns
    // the steady drift, not a transient (no wind-up, no overshoot).
    if (Math.abs(want - 1) < this.max && Math.abs(err) < 0.05) this.integral += err * dt;
    let u = Math.max(-this.max, Math.min(this.max, want - 1));
    const step = this.slew * dt;
    u = Math.max(this.ratio - 1 - step, Math.min(this.ratio - 1 + step, u));
    this.ratio = 1 + u;
    return this.ratio;
  }
}
