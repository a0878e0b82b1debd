/* The eight voices: each part's levels, envelope and sends (one row a part),
 * where its voices live, how a lane is set up for a new note, and how the
 * slow modulation (per-voice LFOs, the swell's glide) moves a bank at each
 * grid line. The kernels (kernels.c) render what this sets up. */
#include <math.h>

#include "synth/synth_int.h"

/* Levels: the pad is the body of the mix and the other parts sit on it. A
 * full four-note pad chord and the same chord under a typical lead line
 * measure within 2 LU of each other (short-term loudness, tests/synth/
 * test_voices.c); bass, air and bell are quiet colours (each measured in
 * LU under the pad chord in the same test). */
const lull_part_spec lull__part_specs[LULL_PART_COUNT] = {
    /* pad: A 500 / D 2000 / S 0.7 / R 1000 ms (the seed's shape) */
    [LULL_PART_PAD] = {{500, 2000, 0.7f, 1000}, 1.12f, 0.5f, 0.35f, 0.0f, 0},
    /* lead: the envelope only gates a struck FM tone (fm_voices below): a
     * 5 ms attack, then held at 1 until the note's end, released over
     * 450 ms; the tone decays on its own inside. */
    [LULL_PART_LEAD] = {{5, 0, 1.0f, 450}, 0.58f, 1.0f, 0.30f, 0.20f, 0},
    /* kick: 150 -> 50 Hz over 100 ms, exp(-5 t), a 150 ms tail; a 6 ms
     * smoothstep attack (a linear 1 ms one left a tick). */
    [LULL_PART_KICK] = {{6, 0, 1.0f, 150}, 0.3f, 1.0f, 0.05f, 0.0f, 100},
    /* swell: noise band-passed around its pitch (Q 5), rising over most of
     * its length (the envelope is fitted to each note, swell_envelope);
     * 2 s long unless the event says. The band keeps a small share of the
     * noise's power, so the voice gain restores it (scaled per note). */
    [LULL_PART_SWELL] = {{200, 0, 1.0f, 500}, 0.3f, 3.2f, 0.60f, 0.0f, 2000},
    /* hat: a short burst of noise above 7 kHz. */
    [LULL_PART_HAT] = {{1, 70, 0.0f, 30}, 0.3f, 0.5f, 0.15f, 0.10f, 71},
    /* bass: a sine with a touch of its octave, A 700 / R 1500 ms, centred, dry. */
    [LULL_PART_BASS] = {{700, 0, 1.0f, 1500}, 0.29f, 1.0f, 0.05f, 0.0f, 0},
    /* air: noise resonating at the note (Q 11), A 3.5 s / R 5.5 s. */
    [LULL_PART_AIR] = {{3500, 0, 1.0f, 5500}, 0.094f, 6.0f, 0.55f, 0.10f, 0},
    /* bell: a struck FM bell decaying over seconds; a long release lets the
     * decay finish after the note's end. Mostly heard through the reverb. */
    [LULL_PART_BELL] = {{4, 0, 1.0f, 2500}, 0.145f, 1.0f, 0.70f, 0.15f, 0},
};

const lull_part_slots lull__part_slots[LULL_PART_COUNT] = {
    [LULL_PART_PAD] = {LULL_BANK_PAD0, LULL_PAD_BANKS, 0, 8},
    [LULL_PART_LEAD] = {LULL_BANK_FM, 1, 0, 3},
    [LULL_PART_KICK] = {LULL_BANK_MISC, 1, 4, 1},
    [LULL_PART_SWELL] = {LULL_BANK_MISC, 1, 5, 2},
    [LULL_PART_HAT] = {LULL_BANK_MISC, 1, 7, 1},
    [LULL_PART_BASS] = {LULL_BANK_FM, 1, 6, 2},
    [LULL_PART_AIR] = {LULL_BANK_MISC, 1, 0, 4},
    [LULL_PART_BELL] = {LULL_BANK_FM, 1, 3, 3},
};

#define PAD_DETUNE_CENTS 6.0f
#define PAD_LFO_FILTER 0.04f /* each voice's cutoff moves +- 4 % */
#define PAD_LFO_CENTS 1.5f   /* its pitch drifts +- 1.5 cents */
#define PAD_LFO_PAN 0.15f    /* its pan moves +- 0.15 */
#define KICK_FROM_HZ 150.0f
#define KICK_TO_HZ 50.0f
#define KICK_SWEEP_MS 100.0f
#define KICK_DECAY_PER_S 5.0f
#define SWELL_Q 3.2f /* each of two band-passes in cascade: together -3 dB at about +- 1/10 octave (Q ~5) */
#define SWELL_GLIDE_OCTAVES 1.0f
#define SWELL_REF_HZ 1000.0f /* the voice gain is right for a swell centred here */
#define HAT_HZ 7000.0f
#define AIR_Q 11.0f
#define AIR_LFO_PITCH 0.012f /* the band's centre moves +- 1.2 % (20 cents) */
#define AIR_LFO_PAN 0.35f
#define AIR_REF_HZ 1500.0f

/* FM voices (the FM bank): a carrier at the note, phase-modulated by a
 * modulator at mod_ratio times it, plus an added sine at partial_ratio.
 * Each of amplitude, index and added partial is floor + x, x decaying
 * exponentially from its start with its own time (shorter for higher notes:
 * times scale by (440 Hz / f)^tau_pitch_exp). Index in radians. */
typedef struct fm_voice {
  float mod_ratio, partial_ratio;
  float index0, index_vel, index_floor, index_tau_s;
  float amp_floor, amp_tau_s;
  float partial0, partial_vel, partial_floor, partial_tau_s;
  float tau_pitch_exp;
} fm_voice;

static const fm_voice fm_voices[LULL_PART_COUNT] = {
    /* lead, an electric piano: 1:1 with an index of 1.5-2.5 by velocity
     * falling to 0.3 within a few hundred ms (the bark of the attack), the
     * level falling towards 0.12 over seconds, and a quiet inharmonic tine
     * at 7.03 f gone within ~0.2 s. */
    [LULL_PART_LEAD] = {1.0f, 7.03f, 1.5f, 1.0f, 0.30f, 0.30f, 0.12f, 1.2f, 0.03f, 0.06f, 0.0f, 0.08f, 0.3f},
    /* bell: 1:3.5 at a low index (0.5-1.0), the glassy sidebands fading
     * before the tone, which dies away over 3-6 s. */
    [LULL_PART_BELL] = {3.5f, 1.0f, 0.5f, 0.5f, 0.08f, 1.0f, 0.0f, 0.9f, 0.0f, 0.0f, 0.0f, 1.0f, 0.3f},
    /* bass: 1:1 at a steady index of 0.25: a sine with its octave at
     * -18 dB (J1 + J3) and its twelfth at -42 dB, no added partial. */
    [LULL_PART_BASS] = {1.0f, 1.0f, 0.25f, 0.0f, 0.25f, 1.0f, 1.0f, 1.0f, 0.0f, 0.0f, 0.0f, 1.0f, 0.0f},
};

static void start_ramp(lull_bank *b, int lane, float from_hz, float to_hz, float ms, float sample_rate_hz) {
  uint32_t from = lull__hz_to_inc(from_hz, sample_rate_hz);
  uint32_t to = lull__hz_to_inc(to_hz, sample_rate_hz);
  uint32_t frames = (uint32_t)lroundf(ms * 0.001f * sample_rate_hz);
  b->inc_a[lane] = from;
  if (frames == 0 || from == to) {
    b->inc_a[lane] = to;
    b->dinc[lane] = 0;
    b->ramp_left[lane] = 0;
    return;
  }
  b->dinc[lane] = (int32_t)(((int64_t)to - (int64_t)from) / (int64_t)frames);
  b->ramp_left[lane] = frames;
  b->ramp_target[lane] = to;
}

/* Constant-power pan: pan in [-1, 1], angle (pan + 1) / 8 turns. */
static void put_pan(lull_bank *b, int lane, float pan) {
  float angle = (pan + 1.0f) * 0.125f;
  b->gain_l[lane] = b->gain[lane] * lull__sin_turns(angle + 0.25f);
  b->gain_r[lane] = b->gain[lane] * lull__sin_turns(angle);
}

static float per_sample(float tau_s, float sample_rate_hz) { return expf(-1.0f / (tau_s * sample_rate_hz)); }

/* The smoothstep the kick's envelope goes through, and its inverse (for a
 * retrigger that must continue from the level heard). */
static float smoothstep(float x) { return x * x * (3.0f - 2.0f * x); }
static float smoothstep_inv(float y) {
  y = fminf(fmaxf(y, 0.0f), 1.0f);
  return 0.5f - sinf(asinf(1.0f - 2.0f * y) / 3.0f);
}

static void start_fm(lull_bank *b, int lane, int part, float hz, float velocity, int fresh, float sample_rate_hz) {
  const fm_voice *v = &fm_voices[part];
  float scale = powf(440.0f / hz, v->tau_pitch_exp);
  float two_pi = 6.28318530718f;
  float amp_x = 1.0f - v->amp_floor;
  /* Above 2 kHz the index shrinks with the pitch, so the sidebands that
   * would pass Nyquist (and fold back) stay under -80 dB. */
  float narrow = hz > 2000.0f ? 2000.0f / hz : 1.0f;
  float index_floor = v->index_floor * narrow;
  float index_x = (v->index0 + v->index_vel * velocity) * narrow / two_pi - index_floor / two_pi; /* turns */
  float partial_x = v->partial0 + v->partial_vel * velocity;
  if (!fresh) {
    /* A stolen voice: the level heard so far goes into the envelope (the
     * attack continues from it), and the index and added partial start
     * where they are, so the waveform does not step. */
    float heard = b->amp_floor[lane] + b->amp[lane];
    b->env.level[lane] *= heard;
    index_x = b->index_floor[lane] + b->index[lane] - index_floor / two_pi;
    partial_x = b->partial_floor[lane] + b->partial[lane] - v->partial_floor;
  } else {
    b->phase_a[lane] = 0;
    b->phase_b[lane] = 0;
    b->phase_c[lane] = 0;
  }
  b->inc_a[lane] = lull__hz_to_inc(hz, sample_rate_hz);
  b->inc_b[lane] = lull__hz_to_inc(hz * v->mod_ratio, sample_rate_hz);
  b->inc_c[lane] = lull__hz_to_inc(hz * v->partial_ratio, sample_rate_hz);
  b->amp_floor[lane] = v->amp_floor;
  b->amp[lane] = amp_x;
  b->decay[lane] = per_sample(v->amp_tau_s * scale, sample_rate_hz);
  b->index_floor[lane] = index_floor / two_pi;
  b->index[lane] = index_x;
  b->index_decay[lane] = per_sample(v->index_tau_s * scale, sample_rate_hz);
  if (hz * v->partial_ratio > 0.45f * sample_rate_hz) partial_x = 0; /* above ~21.6 kHz it would alias: left out */
  b->partial_floor[lane] = v->partial_floor;
  b->partial[lane] = partial_x;
  b->partial_decay[lane] = per_sample(v->partial_tau_s * scale, sample_rate_hz);
}

/* The swell's envelope follows its length: it rises over 65 % of it, holds,
 * and falls over 35 % of it after (at least 200 ms and 500 ms). */
static void swell_envelope(lull_bank *b, int lane, uint64_t length_frames, float sample_rate_hz) {
  float ms = (float)length_frames * 1000.0f / sample_rate_hz;
  lull_adsr_config c = {fmaxf(200.0f, 0.65f * ms), 0, 1.0f, fmaxf(500.0f, 0.35f * ms)};
  lull__adsr8_configure_lane(&b->env, lane, &c, sample_rate_hz);
}

void lull__bank_start(lull_bank *b, const lull_wavetable *wt, int lane, int part, int pitch, float velocity,
                      float pan, uint64_t duration_frames, float sample_rate_hz) {
  const lull_part_spec *spec = &lull__part_specs[part];
  int fresh = !lull__adsr8_active(&b->env, lane);
  float hz = lull__midi_hz((float)pitch);
  float g = velocity * spec->voice_gain * spec->level;
  if (part == LULL_PART_SWELL) g *= sqrtf(SWELL_REF_HZ / hz); /* the band's power grows with its centre */
  if (part == LULL_PART_AIR) g *= sqrtf(AIR_REF_HZ / hz);
  b->gain[lane] = g;
  b->pan[lane] = pan;
  put_pan(b, lane, pan);
  b->gain_rev[lane] = g * spec->reverb_send;
  b->gain_dly[lane] = g * spec->delay_send;
  b->part[lane] = (uint8_t)part;
  b->pitch[lane] = (uint8_t)pitch;
  b->hz[lane] = hz;
  b->length[lane] = duration_frames;
  b->ramp_left[lane] = 0;
  b->dinc[lane] = 0;
  switch (part) {
    case LULL_PART_PAD: {
      float ha = hz * exp2f(-PAD_DETUNE_CENTS / 1200.0f), hb = hz * exp2f(PAD_DETUNE_CENTS / 1200.0f);
      b->base_a[lane] = b->inc_a[lane] = lull__hz_to_inc(ha, sample_rate_hz);
      b->base_b[lane] = b->inc_b[lane] = lull__hz_to_inc(hb, sample_rate_hz);
      b->table_a[lane] = lull__wavetable_offset(wt, LULL_WAVE_SAW, ha);
      b->table_b[lane] = lull__wavetable_offset(wt, LULL_WAVE_SAW, hb);
      if (fresh) {
        /* A stolen voice keeps its phase and filter state: no click. */
        b->phase_a[lane] = 0;
        b->phase_b[lane] = 0x40000000u;
        lull__svf8_reset_lane(&b->svf, lane);
      }
      break;
    }
    case LULL_PART_LEAD:
    case LULL_PART_BELL:
    case LULL_PART_BASS: start_fm(b, lane, part, hz, velocity, fresh, sample_rate_hz); break;
    case LULL_PART_KICK:
      b->mix_sine[lane] = 1.0f;
      b->mix_in[lane] = b->mix_band[lane] = b->mix_low[lane] = b->mix_cascade[lane] = 0.0f;
      b->curve[lane] = 1.0f;
      if (fresh) {
        b->phase_a[lane] = 0; /* sin(0) = 0: the hit starts without a step */
      } else {
        /* Fold the old decay into the envelope so that what is heard,
         * smoothstep(level) x amp, is continuous. */
        b->env.level[lane] = smoothstep_inv(smoothstep(b->env.level[lane]) * b->amp[lane]);
      }
      b->amp[lane] = 1.0f;
      b->decay[lane] = expf(-KICK_DECAY_PER_S / sample_rate_hz);
      b->hz[lane] = KICK_FROM_HZ;
      start_ramp(b, lane, KICK_FROM_HZ, KICK_TO_HZ, KICK_SWEEP_MS, sample_rate_hz);
      break;
    case LULL_PART_SWELL:
    case LULL_PART_AIR:
    case LULL_PART_HAT: {
      if (fresh) {
        lull__svf8_reset_lane(&b->svf, lane);
        b->ic3[lane] = b->ic4[lane] = 0;
      }
      float q = part == LULL_PART_SWELL ? SWELL_Q : part == LULL_PART_AIR ? AIR_Q : 0.7071f;
      lull__svf8_set_lane(&b->svf, lane, part == LULL_PART_HAT ? HAT_HZ : hz, q);
      if (part == LULL_PART_SWELL) swell_envelope(b, lane, duration_frames, sample_rate_hz);
      /* bandpass = k v1; highpass = v0 - k v1 - v2 (k is the lane's 1/Q). */
      float k = b->svf.k[lane];
      int hat = part == LULL_PART_HAT;
      b->mix_sine[lane] = 0.0f;
      b->curve[lane] = 0.0f;
      b->mix_cascade[lane] = part == LULL_PART_SWELL ? 1.0f : 0.0f;
      b->mix_in[lane] = hat ? 1.0f : 0.0f;
      b->mix_band[lane] = hat ? -k : k;
      b->mix_low[lane] = hat ? -1.0f : 0.0f;
      break;
    }
  }
  lull__adsr8_gate_on(&b->env, lane);
}

/* The pad bank: every lane's cutoff, pitch and pan from its two LFOs, as
 * vectors. The cutoff's small moves go through tan's first-order expansion
 * around the shared cutoff (g = tan(x), x = pi fc / fs; for +- 4 % the
 * error is below 0.03 %), so the bank needs no tanf. */
static void modulate_pad(lull_bank *b, const lull_pad_filter *pad) {
  const v8f m1 = lull__sin_turns8(lull__phase_turns8(b->lfo_phase[0]));
  const v8f m2 = lull__sin_turns8(lull__phase_turns8(b->lfo_phase[1]));
  const v8f m3 = lull__sin_turns8(lull__phase_turns8(b->lfo_phase[0] + 0x40000000u)); /* m1's cosine */
  v8f g = pad->g + ((1.0f + pad->g * pad->g) * pad->x * PAD_LFO_FILTER) * m1;
  v8f a1 = 1.0f / (1.0f + g * (g + pad->k)), a2 = g * a1, a3 = g * a2;
  lull_svf8 *f = &b->svf;
  f->a1 = a1, f->a2 = a2, f->a3 = a3, f->k = v8f_set1(pad->k);
  f->c11 = 2.0f * a1 - 1.0f, f->c12 = -2.0f * a2, f->c21 = 2.0f * a2, f->c22 = 1.0f - 2.0f * a3;
  f->b1 = 2.0f * a2, f->b2 = 2.0f * a3;
  /* Drift: inc x 2^(cents / 1200), to first order (the error is ~1e-7). */
  v8f ratio = 1.0f + (PAD_LFO_CENTS * 0.693147f / 1200.0f) * m2;
  b->inc_a = (v8u)__builtin_convertvector(__builtin_convertvector((v8i)b->base_a, v8f) * ratio, v8i);
  b->inc_b = (v8u)__builtin_convertvector(__builtin_convertvector((v8i)b->base_b, v8f) * ratio, v8i);
  v8f pan = b->pan + PAD_LFO_PAN * m3;
  pan = v8f_select(pan > 1.0f, v8f_set1(1.0f), v8f_select(pan < -1.0f, v8f_set1(-1.0f), pan));
  v8f angle = (pan + 1.0f) * 0.125f;
  b->gain_l = b->gain * lull__sin_turns8(angle + 0.25f);
  b->gain_r = b->gain * lull__sin_turns8(angle);
}

/* The misc bank's air lanes (their LFOs move the band and the pan) and
 * swell lanes (the band glides up over the note's length): lanes from
 * first to last. */
static void modulate_misc(lull_bank *b, uint64_t now, int first, int last) {
  for (int j = first; j <= last; j++) {
    if (!(b->active & (1u << j))) continue;
    if (b->part[j] == LULL_PART_AIR) {
      float m1 = lull__sin_turns(lull__phase_turns(b->lfo_phase[0][j]));
      float m2 = lull__sin_turns(lull__phase_turns(b->lfo_phase[1][j]));
      lull__svf8_set_lane(&b->svf, j, b->hz[j] * (1.0f + AIR_LFO_PITCH * m1), AIR_Q);
      put_pan(b, j, fminf(fmaxf(b->pan[j] + AIR_LFO_PAN * m2, -0.9f), 0.9f));
    } else if (b->part[j] == LULL_PART_SWELL) {
      uint64_t t = now - b->onset[j], len = b->length[j] ? b->length[j] : 1;
      float frac = t >= len ? 1.0f : (float)t / (float)len;
      lull__svf8_set_lane(&b->svf, j, b->hz[j] * exp2f(SWELL_GLIDE_OCTAVES * frac), SWELL_Q);
    }
  }
}

/* The FM bank's decaying values, flushed to zero at a grid line (so the
 * result does not depend on how the render is split): the added partial
 * and the index's excess once under 1e-6 (-120 dB, and the kernel then
 * skips the partial), the level's excess before it becomes denormal. */
static void flush_fm(lull_bank *b) {
  const v8f zero = v8f_set1(0);
  const v8f small = v8f_set1(1e-6f), tiny = v8f_set1(1e-12f);
  b->amp = v8f_select((b->amp < tiny) & (b->amp > -tiny), zero, b->amp);
  b->index = v8f_select((b->index < small) & (b->index > -small), zero, b->index);
  b->partial = v8f_select((b->partial < small) & (b->partial > -small), zero, b->partial);
}

void lull__bank_modulate(lull_bank *b, const lull_pad_filter *pad, uint64_t now, int lane) {
  if (lane < 0) {
    b->lfo_phase[0] += b->lfo_inc[0];
    b->lfo_phase[1] += b->lfo_inc[1];
  }
  if (!b->active) return;
  switch (b->kind) {
    case LULL_BANK_MISC:
      modulate_misc(b, now, lane < 0 ? 0 : lane, lane < 0 ? LULL_LANES - 1 : lane);
      break;
    case LULL_BANK_FM:
      if (lane < 0) flush_fm(b);
      break;
    default: modulate_pad(b, pad); break; /* the same values for the other lanes */
  }
}
