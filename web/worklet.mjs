// The audio thread: plays decoded audio from the Playout (jitter buffer,
// drift loop, resampling to the context's rate). Audio arrives by
// postMessage; stats go back five times a second.
import { Playout } from './playout.mjs';

class LullPlayer extends AudioWorkletProcessor {
  constructor(options) {
    super();
    this.p = new Playout({ outRate: sampleRate, ...(options.processorOptions || {}) });
    this.since = 0;
    this.port.onmessage = (e) => {
      const m = e.data;
      if (m.type === 'audio') this.p.push(m.l, m.r, m.pos);
      else if (m.type === 'reset') this.p.reset();
      else if (m.type === 'new-stream') this.p.newStream();
      else if (m.type === 'config') this.p.configure(m);
    };
  }

  process(inputs, outputs) {
    const out = outputs[0];
    const n = out[0].length;
    this.p.process(out[0], out[1] || out[0], n);
    if ((this.since += n) >= sampleRate / 5) {
      this.since = 0;
      this.port.postMessage({ type: 'stats', ...this.p.stats() });
    }
    return true;
  }
}

registerProcessor('lull-player', LullPlayer);
