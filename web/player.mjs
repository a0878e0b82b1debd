// The stream player: WebSocket in, Opus decoded by WebCodecs (or by libopus
// in WebAssembly where WebCodecs cannot, or PCM as the last resort), the
// audio handed to the worklet's jitter buffer, and the audio graph around
// it. It reconnects by itself and rejoins at the live edge; the page only
// starts, stops and steers it. Events: 'state', 'hello', 'params',
// 'status', 'error' (CustomEvent, detail = the message).
import { backoffMs } from './params.mjs';

const OPUS = { codec: 'opus', sampleRate: 48000, numberOfChannels: 2 };
const STALL_MS = 4000; // no audio for this long on an open socket: reconnect
const STATUS_MS = 2000;
const RESTART_FRAMES = 10 * 48000; // further back than any burst

export async function opusSupported() {
  if (typeof AudioDecoder === 'undefined') return false;
  try {
    return (await AudioDecoder.isConfigSupported(OPUS)).supported === true;
  } catch {
    return false;
  }
}

// libopus in WebAssembly (npm's opus-decoder, embedded at vendor/), loaded
// once, as a classic script that sets globalThis["opus-decoder"]; a ready
// stereo decoder, or null where it cannot load or run.
let wasmModule = null;
export async function wasmOpusDecoder() {
  if (typeof WebAssembly === 'undefined' || typeof document === 'undefined') return null;
  wasmModule ||= new Promise((resolve) => {
    const s = document.createElement('script');
    s.src = new URL('vendor/opus-decoder.min.js', import.meta.url).href;
    s.onload = () => resolve(globalThis['opus-decoder'] || null);
    s.onerror = () => resolve(null);
    document.head.append(s);
  });
  const mod = await wasmModule;
  if (!mod || !mod.OpusDecoder) return null;
  try {
    const d = new mod.OpusDecoder({ channels: 2, streamCount: 1, coupledStreamCount: 1, channelMappingTable: [0, 1] });
    await d.ready;
    return d;
  } catch {
    return null;
  }
}

export class Player extends EventTarget {
  constructor({ targetMs = 300, codec = 'auto', rate = 0, base = location.href } = {}) {
    super();
    this.targetMs = targetMs;
    this.codecWanted = codec;
    this.rate = rate;
    this.base = base;
    this.station = 'main';
    this.state = 'stopped';
    this.ctx = null;
    this.ws = null;
    this.wanted = false; // the listener wants sound; closes are then drops
    this.attempt = 0;
    this.timer = 0;
    this.work = null; // worklet stats, five times a second
    this.n = { packets: 0, decoded_frames: 0, gaps: 0, reconnects: 0, restarts: 0, drops: 0, stalls: 0, decode_errors: 0, protocol_errors: 0 };
    this.submitted = 0; // stream position decoded up to
    this.lastSeq = null;
    this.lastData = 0;
    this.listeners = null;
    this.gain = 1;
    addEventListener('online', () => this.state === 'reconnecting' && this.connectNow());
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  setState(s) {
    if (this.state === s) return;
    this.state = s;
    this.emit('state', s);
  }

  // Must be called from a user gesture (autoplay policy).
  async start() {
    if (this.wanted) return;
    this.wanted = true;
    if (!this.ctx) {
      const opts = { latencyHint: 'playback' };
      if (this.rate) opts.sampleRate = this.rate;
      this.ctx = new AudioContext(opts);
      const resumed = this.ctx.resume();
      // Opus by WebCodecs, else Opus by WebAssembly (a twelfth of PCM's
      // 1.5 Mbit/s), else PCM.
      this.codec = this.codecWanted;
      this.decoderKind = this.codec === 'pcm' ? null : 'webcodecs';
      if (this.codec === 'auto' || this.codec === 'wasm') {
        if (this.codec === 'auto' && (await opusSupported())) this.codec = 'opus';
        else if ((this.wasm = await wasmOpusDecoder())) (this.codec = 'opus'), (this.decoderKind = 'wasm');
        else (this.codec = 'pcm'), (this.decoderKind = null);
      }
      await this.ctx.audioWorklet.addModule(new URL('worklet.mjs', import.meta.url));
      this.node = new AudioWorkletNode(this.ctx, 'lull-player', {
        numberOfInputs: 0,
        numberOfOutputs: 1,
        outputChannelCount: [2],
        processorOptions: { targetMs: this.targetMs },
      });
      this.node.port.onmessage = (e) => {
        if (e.data.type === 'stats') this.work = e.data;
      };
      this.analyser = this.ctx.createAnalyser();
      this.analyser.fftSize = 4096;
      this.analyser.smoothingTimeConstant = 0.85;
      this.fader = this.ctx.createGain(); // pause and station changes
      this.volume = this.ctx.createGain();
      this.sleeper = this.ctx.createGain(); // the sleep timer's fade
      this.node.connect(this.analyser);
      this.node.connect(this.fader).connect(this.volume).connect(this.sleeper).connect(this.ctx.destination);
      this.volume.gain.value = this.gain;
      // The system may suspend the context (another app takes the device):
      // ask for it back while the listener still wants sound.
      this.ctx.onstatechange = () => {
        if (this.wanted && this.ctx.state === 'suspended') this.ctx.resume().catch(() => {});
      };
      await resumed;
      if (!this.wanted) return;
    }
    await this.ctx.resume();
    const t = this.ctx.currentTime;
    this.fader.gain.cancelScheduledValues(t);
    this.fader.gain.setValueAtTime(1, t);
    this.sleeper.gain.cancelScheduledValues(t);
    this.sleeper.gain.setValueAtTime(1, t);
    this.fresh();
    this.connectNow();
  }

  // Fade out, then close and let the audio thread sleep.
  async stop() {
    if (!this.wanted) return;
    this.wanted = false;
    clearTimeout(this.timer);
    await this.fadeFader(0.15);
    if (this.wanted) return; // started again meanwhile
    this.close();
    this.setState('stopped');
    await this.ctx.suspend();
  }

  async setStation(name) {
    if (name === this.station) return;
    this.station = name;
    if (!this.wanted) return;
    await this.fadeFader(0.06);
    this.close();
    this.fresh();
    this.fader.gain.setValueAtTime(1, this.ctx.currentTime);
    this.connectNow();
  }

  setVolume(gain) {
    this.gain = gain;
    if (this.volume) this.volume.gain.setTargetAtTime(gain, this.ctx.currentTime, 0.03);
  }

  // The sleep timer's long fade: to silence over `seconds`, then stop.
  sleepFade(seconds) {
    if (!this.ctx || !this.wanted) return Promise.resolve();
    const g = this.sleeper.gain, t = this.ctx.currentTime;
    g.cancelScheduledValues(t);
    g.setValueAtTime(g.value || 1, t);
    g.exponentialRampToValueAtTime(0.0001, t + seconds);
    return new Promise((done) => setTimeout(done, seconds * 1000)).then(() => this.stop());
  }

  cancelSleep() {
    if (!this.sleeper) return;
    const g = this.sleeper.gain, t = this.ctx.currentTime;
    g.cancelScheduledValues(t);
    g.setTargetAtTime(1, t, 0.2);
  }

  // A control or status message; false when there is no connection.
  send(msg) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(msg));
    return true;
  }

  stats() {
    const w = this.work || {};
    const out = this.ctx ? (this.ctx.baseLatency || 0) + (this.ctx.outputLatency || 0) : 0;
    return {
      state: this.state,
      station: this.station,
      codec: this.codec || null,
      decoder: this.codec === 'opus' ? this.decoderKind : null, // 'webcodecs' or 'wasm'

      context_rate: this.ctx ? this.ctx.sampleRate : null,
      context_state: this.ctx ? this.ctx.state : null,
      ...this.n,
      playout: w.state || null,
      buffer_ms: w.level_ms ?? 0,
      target_ms: w.target_ms ?? this.targetMs,
      underruns: w.underruns ?? 0,
      ratio: w.ratio ?? 1,
      joins: w.joins ?? 0,
      skips: w.skips ?? 0,
      played_frames: w.played_frames ?? 0,
      rms_db: w.rms_db ?? -200,
      latency_ms: (w.level_ms ?? 0) + out * 1000,
      listeners: this.listeners,
    };
  }

  // ---- inside -------------------------------------------------------------

  fadeFader(seconds) {
    if (!this.fader) return Promise.resolve();
    const g = this.fader.gain, t = this.ctx.currentTime;
    g.cancelScheduledValues(t);
    g.setValueAtTime(g.value, t);
    g.linearRampToValueAtTime(0, t + seconds);
    return new Promise((done) => setTimeout(done, seconds * 1000 + 20));
  }

  // A new start: empty buffer, new decoder, positions from scratch.
  fresh() {
    this.node.port.postMessage({ type: 'reset' });
    this.submitted = 0;
    this.lastSeq = null;
    if (this.decoder && this.decoder.state !== 'closed') this.decoder.close();
    this.decoder = null; // the WebAssembly one carries on: Opus bridges a gap as it would a lost packet
  }

  close() {
    clearInterval(this.ticker);
    if (!this.ws) return;
    const ws = this.ws;
    this.ws = null;
    ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
    try {
      ws.close(1000);
    } catch {
      /* already closed */
    }
  }

  connectNow() {
    clearTimeout(this.timer);
    this.close();
    this.setState(this.attempt ? 'reconnecting' : 'connecting');
    const u = new URL('ws/stream', this.base);
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    u.search = '';
    u.searchParams.set('station', this.station);
    u.searchParams.set('codec', this.codec);
    const ws = new WebSocket(u);
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    this.lastSeq = null;
    ws.onopen = () => {
      this.lastData = performance.now();
      this.ticker = setInterval(() => this.tick(), 1000);
    };
    ws.onmessage = (e) => (typeof e.data === 'string' ? this.onText(e.data) : this.onAudio(e.data));
    ws.onclose = (e) => this.dropped(e);
  }

  dropped(e) {
    this.close();
    if (!this.wanted) return;
    this.n.drops++;
    this.setState('reconnecting');
    const wait = backoffMs(this.attempt++);
    this.emit('reconnecting', { in_ms: wait, code: e.code, reason: e.reason });
    this.timer = setTimeout(() => {
      this.n.reconnects++;
      this.connectNow();
    }, wait);
  }

  tick() {
    const now = performance.now();
    if (now - this.lastData > STALL_MS) {
      // An open socket that carries nothing (a NAT or Wi-Fi that forgot us).
      this.n.stalls++;
      this.dropped({ code: 4000, reason: 'stalled' });
      return;
    }
    if (now - (this.lastStatus || 0) >= STATUS_MS) {
      this.lastStatus = now;
      this.send({ type: 'status' });
    }
  }

  onText(text) {
    let m;
    try {
      m = JSON.parse(text);
    } catch {
      this.n.protocol_errors++;
      return;
    }
    if (m.type === 'status' && m.station) this.listeners = m.station.listeners ? m.station.listeners.total : null;
    if (m.type === 'hello' || m.type === 'params' || m.type === 'status' || m.type === 'error') this.emit(m.type, m);
  }

  onAudio(buf) {
    this.lastData = performance.now();
    if (this.state !== 'live') {
      this.attempt = 0;
      this.setState('live');
    }
    const dv = new DataView(buf);
    for (let o = 0; o + 16 <= buf.byteLength; ) {
      const version = dv.getUint8(o), codec = dv.getUint8(o + 1), len = dv.getUint16(o + 2, true);
      const seq = dv.getUint32(o + 4, true);
      const pos = dv.getUint32(o + 8, true) + dv.getUint32(o + 12, true) * 4294967296;
      if (version !== 1 || o + 16 + len > buf.byteLength || (codec !== 1 && codec !== 2)) {
        this.n.protocol_errors++;
        return;
      }
      const at = o + 16;
      o = at + len;
      this.n.packets++;
      if (this.lastSeq !== null && seq !== ((this.lastSeq + 1) >>> 0)) this.n.gaps++;
      if (this.lastSeq === null && pos + RESTART_FRAMES < this.submitted) {
        // Far behind what we had: not a repeat but a stream that started over.
        this.submitted = 0;
        this.n.restarts++;
        this.node.port.postMessage({ type: 'new-stream' });
      }
      this.lastSeq = seq;
      if (pos < this.submitted) continue; // a repeat: the burst after a reconnect
      this.submitted = pos + 960;
      if (codec === 1) this.decodeOpus(new Uint8Array(buf, at, len), pos);
      else this.decodePcm(buf.slice(at, at + len), pos);
    }
  }

  decodeOpus(bytes, pos) {
    if (this.wasm) {
      const { channelData, samplesDecoded, errors } = this.wasm.decodeFrame(bytes);
      if (errors && errors.length) this.n.decode_errors += errors.length;
      if (samplesDecoded > 0) {
        const r = channelData.length > 1 ? channelData[1] : channelData[0];
        this.toWorklet(channelData[0].slice(0, samplesDecoded), r.slice(0, samplesDecoded), pos);
      }
      return;
    }
    if (!this.decoder) {
      this.decoder = new AudioDecoder({
        output: (d) => this.decoded(d),
        error: () => {
          this.n.decode_errors++;
          this.decoder = null; // a new one on the next packet
        },
      });
      this.decoder.configure(OPUS);
    }
    // Timestamps carry the stream position (in microseconds) through the decoder.
    this.decoder.decode(new EncodedAudioChunk({ type: 'key', timestamp: (pos * 1e6) / 48000, data: bytes }));
  }

  decoded(d) {
    const n = d.numberOfFrames;
    const l = new Float32Array(n), r = new Float32Array(n);
    d.copyTo(l, { planeIndex: 0, format: 'f32-planar' });
    d.copyTo(r, { planeIndex: d.numberOfChannels > 1 ? 1 : 0, format: 'f32-planar' });
    const pos = Math.round((d.timestamp * 48000) / 1e6);
    d.close();
    this.toWorklet(l, r, pos);
  }

  decodePcm(ab, pos) {
    const s = new Int16Array(ab), n = s.length >> 1;
    const l = new Float32Array(n), r = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      l[i] = s[2 * i] / 32768;
      r[i] = s[2 * i + 1] / 32768;
    }
    this.toWorklet(l, r, pos);
  }

  toWorklet(l, r, pos) {
    this.n.decoded_frames += l.length;
    this.node.port.postMessage({ type: 'audio', l, r, pos }, [l.buffer, r.buffer]);
  }
}
