/* The five voices, with the seed's numbers. Each kernel renders one
 * sub-block of one bank (eight voices in SIMD lanes) and adds it into the
 * dry, reverb-send and delay-send buses. Idle lanes have a zero envelope. */
#include <math.h>

#include "synth/synth_int.h"

const lull_part_spec lull__part_specs[LULL_PART_COUNT] = {
    /* pad: 4-voice chords, A 500 / D 2000 / S 0.7 / R 1000 ms, mix 0.5 */
    [LULL_PART_PAD] = {{500, 2000, 0.7f, 1000}, 0.5f, 0.25f, 0.35f, 0.0f, 0},
    /* lead: monophonic sine, A 50 / D 100 / S 0.8 / R 200 ms, mix 0.7 */
    [LULL_PART_LEAD] = {{50, 100, 0.8f, 200}, 0.7f, 1.0f, 0.30f, 0.25f, 0},
    /* kick: 150 -> 50 Hz over 100 ms, exp(-5 t); a 150 ms tail instead of
     * the seed's cut at 100 ms (which clicked). Percussion mix 0.3. */
    [LULL_PART_KICK] = {{1, 0, 1.0f, 150}, 0.3f, 1.0f, 0.05f, 0.0f, 100},
    /* swell: noise, bandpass 1 kHz Q 2, A 200 / D 1500 / S 0.5 / R 500 ms,
     * 2 s long unless the event says; the bandpass keeps ~1/5 of the noise,
     * so the voice gain restores it. */
    [LULL_PART_SWELL] = {{200, 1500, 0.5f, 500}, 0.3f, 2.0f, 0.60f, 0.0f, 2000},
    /* hat: a short burst of noise above 7 kHz. */
    [LULL_PART_HAT] = {{1, 70, 0.0f, 30}, 0.3f, 0.5f, 0.15f, 0.10f, 71},
};

const lull_part_slots lull__part_slots[LULL_PART_COUNT] = {
    [LULL_PART_PAD] = {LULL_BANK_PAD0, 2, 0, 8},
    [LULL_PART_LEAD] = {LULL_BANK_TONE, 1, 0, 4},
    [LULL_PART_KICK] = {LULL_BANK_TONE, 1, 4, 4},
    [LULL_PART_SWELL] = {LULL_BANK_NOISE, 1, 0, 4},
    [LULL_PART_HAT] = {LULL_BANK_NOISE, 1, 4, 4},
};

#define PAD_DETUNE_CENTS 6.0f
#define LEAD_GLIDE_MS 10.0f
#define KICK_FROM_HZ 150.0f
#define KICK_TO_HZ 50.0f
#define KICK_SWEEP_MS 100.0f
#define KICK_DECAY_PER_S 5.0f
#define SWELL_HZ 1000.0f
#define SWELL_Q 2.0f
#define HAT_HZ 7000.0f

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

void lull__bank_start(lull_bank *b, const lull_wavetable *wt, int lane, int part, int pitch, float velocity,
                      float pan, float glide_from_hz, float sample_rate_hz) {
  const lull_part_spec *spec = &lull__part_specs[part];
  int fresh = !lull__adsr8_active(&b->env, lane);
  float hz = lull__midi_hz((float)pitch);
  /* Constant-power pan: pan in [-1, 1]. */
  float angle = (pan + 1.0f) * (float)M_PI * 0.25f;
  float g = velocity * spec->voice_gain * spec->level;
  b->gain_l[lane] = g * cosf(angle);
  b->gain_r[lane] = g * sinf(angle);
  b->gain_rev[lane] = g * spec->reverb_send;
  b->gain_dly[lane] = g * spec->delay_send;
  b->part[lane] = (uint8_t)part;
  b->pitch[lane] = (uint8_t)pitch;
  b->hz[lane] = hz;
  b->ramp_left[lane] = 0;
  b->dinc[lane] = 0;
  switch (part) {
    case LULL_PART_PAD: {
      float ha = hz * exp2f(-PAD_DETUNE_CENTS / 1200.0f), hb = hz * exp2f(PAD_DETUNE_CENTS / 1200.0f);
      b->inc_a[lane] = lull__hz_to_inc(ha, sample_rate_hz);
      b->inc_b[lane] = lull__hz_to_inc(hb, sample_rate_hz);
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
      if (fresh) b->phase_a[lane] = 0;
      b->amp[lane] = 1.0f;
      b->decay[lane] = 1.0f;
      start_ramp(b, lane, glide_from_hz > 0 ? glide_from_hz : hz, hz, LEAD_GLIDE_MS, sample_rate_hz);
      break;
    case LULL_PART_KICK:
      if (fresh) {
        b->phase_a[lane] = 0; /* sin(0) = 0: the hit starts without a step */
      } else {
        /* Fold the old decay into the envelope so level x amp is continuous. */
        b->env.level[lane] *= b->amp[lane];
      }
      b->amp[lane] = 1.0f;
      b->decay[lane] = expf(-KICK_DECAY_PER_S / sample_rate_hz);
      b->hz[lane] = KICK_FROM_HZ;
      start_ramp(b, lane, KICK_FROM_HZ, KICK_TO_HZ, KICK_SWEEP_MS, sample_rate_hz);
      break;
    case LULL_PART_SWELL:
    case LULL_PART_HAT: {
      int swell = part == LULL_PART_SWELL;
      if (fresh) lull__svf8_reset_lane(&b->svf, lane);
      lull__svf8_set_lane(&b->svf, lane, swell ? SWELL_HZ : HAT_HZ, swell ? SWELL_Q : 0.7071f);
      /* bandpass = k v1; highpass = v0 - k v1 - v2 (k is the lane's 1/Q). */
      float k = b->svf.k[lane];
      b->mix_in[lane] = swell ? 0.0f : 1.0f;
      b->mix_band[lane] = swell ? k : -k;
      b->mix_low[lane] = swell ? 0.0f : -1.0f;
      break;
    }
  }
  lull__adsr8_gate_on(&b->env, lane);
}

/* The kernels write each sample's lanes to y[n]; emit() then applies the
 * per-lane pan and send gains. Transposing 8x8 tiles turns those sums over
 * lanes into vertical multiply-adds over eight samples at a time. */
LULL_VEC void emit(const lull_bank *b, v8f *y, uint32_t frames, const lull_mix_bus *bus, int with_delay) {
  float *const outs[4] = {bus->left, bus->right, bus->reverb, bus->delay};
  const v8f *gains[4] = {&b->gain_l, &b->gain_r, &b->gain_rev, &b->gain_dly};
  int nout = with_delay ? 4 : 3;
  for (uint32_t n = frames; n < ((frames + 7) & ~7u); n++) y[n] = v8f_set1(0);
  for (uint32_t n0 = 0; n0 < frames; n0 += 8) {
    v8f col[8];
    for (int i = 0; i < 8; i++) col[i] = y[n0 + i];
    v8f_transpose8(col); /* col[j][i] = lane j at sample n0 + i */
    uint32_t count = frames - n0 < 8 ? frames - n0 : 8;
    for (int o = 0; o < nout; o++) {
      const v8f g = *gains[o];
      v8f acc = col[0] * g[0];
      for (int j = 1; j < 8; j++) acc += col[j] * g[j];
      float *out = outs[o] + n0;
      if (count == 8) {
        v8f cur;
        __builtin_memcpy(&cur, out, sizeof cur);
        cur += acc;
        __builtin_memcpy(out, &cur, sizeof cur);
      } else {
        for (uint32_t i = 0; i < count; i++) out[i] += acc[i];
      }
    }
  }
}

/* Pad: two detuned band-limited saws through a lowpass (its cutoff moves
 * with the part's LFO at control rate, lull__pool_control). */
LULL_VEC void render_pad(lull_bank *b, v8f *y, uint32_t frames) {
  const float *data = b->wt_data;
  v8u pa = b->phase_a, pb = b->phase_b;
  const v8u ia = b->inc_a, ib = b->inc_b, ta = b->table_a, tb = b->table_b;
  v8f level = b->env.level;
  const v8f step = b->env.step;
  lull_svf8 f = b->svf;
  for (uint32_t n = 0; n < frames; n++) {
    v8f x = (lull__wt_read8(data, ta, pa) + lull__wt_read8(data, tb, pb)) * 0.5f;
    pa += ia;
    pb += ib;
    y[n] = lull__svf8_tick(&f, LULL_SVF_LOWPASS, x) * level;
    level += step;
  }
  b->svf.ic1 = f.ic1;
  b->svf.ic2 = f.ic2;
  b->phase_a = pa;
  b->phase_b = pb;
  b->env.level = level;
}

/* Lead and kick: a sine whose increment may ramp (glide, sweep); the kick
 * also decays exponentially. */
LULL_VEC void render_tone(lull_bank *b, v8f *y, uint32_t frames) {
  v8u phase = b->phase_a, inc = b->inc_a;
  const v8u dinc = (v8u)b->dinc;
  v8f level = b->env.level, amp = b->amp;
  const v8f step = b->env.step, decay = b->decay;
  for (uint32_t n = 0; n < frames; n++) {
    y[n] = lull__sin_turns8(lull__phase_turns8(phase)) * level * amp;
    phase += inc;
    inc += dinc;
    level += step;
    amp *= decay;
  }
  b->phase_a = phase;
  b->inc_a = inc;
  b->env.level = level;
  b->amp = amp;
}

/* Swell and hat: seeded noise through the lane's filter, the response mixed
 * from the filter's outputs per lane. */
LULL_VEC void render_noise(lull_bank *b, v8f *y, uint32_t frames) {
  lull_noise8 noise = b->noise;
  v8f ic1 = b->svf.ic1, ic2 = b->svf.ic2;
  const v8f a1 = b->svf.a1, a2 = b->svf.a2, a3 = b->svf.a3;
  const v8f m0 = b->mix_in, m1 = b->mix_band, m2 = b->mix_low;
  v8f level = b->env.level;
  const v8f step = b->env.step;
  for (uint32_t n = 0; n < frames; n++) {
    v8f v0 = lull__noise8_next(&noise);
    v8f v3 = v0 - ic2;
    v8f v1 = a1 * ic1 + a2 * v3;
    v8f v2 = ic2 + a2 * ic1 + a3 * v3;
    ic1 = v1 + v1 - ic1;
    ic2 = v2 + v2 - ic2;
    y[n] = (m0 * v0 + m1 * v1 + m2 * v2) * level;
    level += step;
  }
  b->noise = noise;
  b->svf.ic1 = ic1;
  b->svf.ic2 = ic2;
  b->env.level = level;
}

LULL_HOT void lull__bank_render(lull_bank *b, const lull_mix_bus *bus, uint32_t frames) {
  v8f y[LULL_MAX_BLOCK];
  switch (b->kind) {
    case LULL_BANK_PAD0:
    case LULL_BANK_PAD1:
      render_pad(b, y, frames);
      emit(b, y, frames, bus, 0);
      break;
    case LULL_BANK_TONE:
      render_tone(b, y, frames);
      emit(b, y, frames, bus, 1);
      break;
    default:
      render_noise(b, y, frames);
      emit(b, y, frames, bus, 1);
      break;
  }
}
