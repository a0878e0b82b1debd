// A calm picture of the music: the spectrum on a log-frequency axis, drawn
// as soft layered hills that breathe with the sound, tinted by the key.
// It draws at most 30 times a second, rests when the page is hidden, and
// moves slowly for people who ask for reduced motion.

const BANDS = 72;
const LO = 40, HI = 14000;

export class Visual {
  constructor(canvas) {
    this.canvas = canvas;
    this.g = canvas.getContext('2d');
    this.analyser = null;
    this.hue = 210;
    this.level = new Float32Array(BANDS);
    this.raw = new Float32Array(BANDS);
    this.data = null;
    this.last = 0;
    this.t = 0;
    this.slow = matchMedia('(prefers-reduced-motion: reduce)').matches;
    this.frame = (ts) => this.draw(ts);
    requestAnimationFrame(this.frame);
  }

  attach(analyser) {
    this.analyser = analyser;
    this.data = new Float32Array(analyser.frequencyBinCount);
  }

  // Band levels 0..1 from the analyser, smoothed again for calm.
  sample() {
    const a = this.analyser;
    if (!a || a.context.state !== 'running') {
      for (let i = 0; i < BANDS; i++) this.level[i] *= 0.92;
      return;
    }
    a.getFloatFrequencyData(this.data);
    const hzPerBin = a.context.sampleRate / a.fftSize;
    const ease = this.slow ? 0.03 : 0.12;
    for (let i = 0; i < BANDS; i++) {
      const f0 = LO * Math.pow(HI / LO, i / BANDS), f1 = LO * Math.pow(HI / LO, (i + 1) / BANDS);
      const b0 = Math.floor(f0 / hzPerBin), b1 = Math.max(b0 + 1, Math.ceil(f1 / hzPerBin));
      let sum = 0;
      for (let b = b0; b < b1 && b < this.data.length; b++) sum += Math.pow(10, this.data[b] / 10);
      const db = 10 * Math.log10(sum / (b1 - b0) + 1e-12) + 3 * Math.log2(f0 / LO); // tilt: pink looks level
      this.raw[i] = Math.max(0, Math.min(1, (db + 90) / 70));
    }
    // Neighbouring bands blend: hills, not needles.
    for (let i = 0; i < BANDS; i++) {
      const v = (this.raw[Math.max(0, i - 1)] + 2 * this.raw[i] + this.raw[Math.min(BANDS - 1, i + 1)]) / 4;
      this.level[i] += (v - this.level[i]) * ease;
    }
  }

  draw(ts) {
    requestAnimationFrame(this.frame);
    if (document.hidden || ts - this.last < (this.slow ? 250 : 33)) return;
    this.t += (ts - this.last) / 1000;
    this.last = ts;
    this.sample();
    const c = this.canvas, g = this.g;
    const dpr = Math.min(2, devicePixelRatio || 1);
    const w = Math.round(c.clientWidth * dpr), h = Math.round(c.clientHeight * dpr);
    if (c.width !== w || c.height !== h) (c.width = w), (c.height = h);
    g.clearRect(0, 0, w, h);
    // Three hills, back to front: the same spectrum, slower and fainter behind.
    for (let layer = 2; layer >= 0; layer--) {
      const hue = (this.hue + layer * 24) % 360;
      const lift = 0.25 + 0.2 * layer;
      const grad = g.createLinearGradient(0, h * 0.2, 0, h);
      grad.addColorStop(0, `hsla(${hue}, 55%, ${62 - layer * 8}%, ${0.5 - layer * 0.12})`);
      grad.addColorStop(1, `hsla(${hue}, 45%, 20%, 0)`);
      g.fillStyle = grad;
      g.beginPath();
      g.moveTo(0, h);
      let px = 0, py = h;
      for (let i = 0; i <= BANDS; i++) {
        const v = this.level[Math.min(BANDS - 1, Math.max(0, i - layer * 3))];
        const sway = 0.02 * Math.sin(this.t * (0.3 + 0.1 * layer) + i * 0.15);
        const x = (i / BANDS) * w;
        const y = h - (h * 0.85) * Math.max(0, v * (1 - 0.25 * layer) + sway * (1 + layer)) - h * 0.04 * lift;
        const mx = (px + x) / 2, my = (py + y) / 2;
        if (i === 0) g.lineTo(x, y);
        else g.quadraticCurveTo(px, py, mx, my);
        px = x;
        py = y;
      }
      g.lineTo(w, py);
      g.lineTo(w, h);
      g.closePath();
      g.fill();
    }
  }
}
