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
    [LULL_PART_PAD] = {LULL_BANK_PAD0, LULL_PAD_BANKS, 0, 8},
    [LULL_PART_LEAD] = {LULL_BANK_MISC, 1, 0, 2},
    [LULL_PART_KICK] = {LULL_BANK_MISC, 1, 2, 2},
    [LULL_PART_SWELL] = {LULL_BANK_MISC, 1, 4, 2},
    [LULL_PART_HAT] = {LULL_BANK_MISC, 1, 6, 2},
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
      b->mix_sine[lane] = 1.0f;
      b->mix_in[lane] = b->mix_band[lane] = b->mix_low[lane] = 0.0f;
      if (fresh) b->phase_a[lane] = 0;
      b->amp[lane] = 1.0f;
      b->decay[lane] = 1.0f;
      start_ramp(b, lane, glide_from_hz > 0 ? glide_from_hz : hz, hz, LEAD_GLIDE_MS, sample_rate_hz);
      break;
    case LULL_PART_KICK:
      b->mix_sine[lane] = 1.0f;
      b->mix_in[lane] = b->mix_band[lane] = b->mix_low[lane] = 0.0f;
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
      b->mix_sine[lane] = 0.0f;
      b->mix_in[lane] = swell ? 0.0f : 1.0f;
      b->mix_band[lane] = swell ? k : -k;
      b->mix_low[lane] = swell ? 0.0f : -1.0f;
      break;
    }
  }
  lull__adsr8_gate_on(&b->env, lane);
}

