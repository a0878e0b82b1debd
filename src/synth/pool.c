/* The voice pool: a fixed set of banks (two for the pad, one shared by lead
 * and kick, one by swell and hat), allocated with the engine. Stealing rule, when a part has no idle
 * voice: take its releasing voice with the lowest level, else its oldest
 * voice. A stolen voice is retriggered from its current level with its phase
 * and filter state kept, so the change of note never steps the waveform. */
#include <math.h>
#include <string.h>

#include "synth/synth_int.h"

#define PAD_LFO_HZ 0.5f
#define PAD_CUTOFF_LOW_HZ 1000.0f
#define PAD_CUTOFF_HIGH_HZ 1200.0f
#define PAD_Q 0.7071f
#define BRIGHTNESS_GLIDE_MS 50.0f

/* Pad notes take pan positions in turn, so a chord spreads across the field. */
static const float pad_pans[4] = {-0.6f, 0.2f, -0.2f, 0.6f};

void lull__pool_init(lull_pool *p, const lull_wavetable *wt, float sample_rate_hz, uint64_t seed) {
  memset(p, 0, sizeof *p);
  p->render = lull__bank_render_generic;
  p->soft_clip = lull__soft_clip_block_generic;
  p->dcblock = lull__dcblock_stereo_generic;
#if LULL_HAVE_V3
  if (lull__isa_v3()) {
    p->render = lull__bank_render_v3;
    p->soft_clip = lull__soft_clip_block_v3;
    p->dcblock = lull__dcblock_stereo_v3;
  }
#endif
  p->wt = wt;
  p->sample_rate_hz = sample_rate_hz;
  for (int k = 0; k < LULL_BANK_COUNT; k++) {
    lull_bank *b = &p->bank[k];
    b->kind = (uint8_t)k;
    b->wt_data = wt->data;
    lull__adsr8_reset(&b->env);
    lull__svf8_init(&b->svf, sample_rate_hz);
    lull__noise8_init(&b->noise, seed ^ (0x9e3779b97f4a7c15ull * (uint64_t)(k + 1)));
    b->decay = v8f_set1(1.0f);
    b->amp = v8f_set1(1.0f);
    for (int j = 0; j < LULL_LANES; j++) b->release_at[j] = UINT64_MAX;
  }
  for (int part = 0; part < LULL_PART_COUNT; part++) {
    const lull_part_slots *s = &lull__part_slots[part];
    for (int k = s->first_bank; k < s->first_bank + s->banks; k++)
      for (int j = s->first_lane; j < s->first_lane + s->lanes; j++) {
        lull__adsr8_configure_lane(&p->bank[k].env, j, &lull__part_specs[part].adsr, sample_rate_hz);
        p->bank[k].part[j] = (uint8_t)part;
      }
  }
  lull__lfo_init(&p->pad_lfo, PAD_LFO_HZ, sample_rate_hz, 0.0f);
  lull__smooth_init(&p->brightness, 0.5f, BRIGHTNESS_GLIDE_MS, sample_rate_hz);
  lull__pool_control(p);
}

void lull__pool_control(lull_pool *p) {
  float lfo = lull__lfo_next(&p->pad_lfo, LULL_GRID_FRAMES);
  /* Brightness scales the seed's 1000-1200 Hz by 2^(2 (b - 0.5)): a quarter
   * at 0, four times at 1. exp2f per tick, not per sample. */
  float b = lull__smooth_next(&p->brightness, LULL_GRID_FRAMES);
  float scale = exp2f(2.0f * (b - 0.5f));
  p->pad_cutoff_hz = scale * (PAD_CUTOFF_LOW_HZ + (PAD_CUTOFF_HIGH_HZ - PAD_CUTOFF_LOW_HZ) * 0.5f * (lfo + 1.0f));
  p->pad_coefs = lull__svf_coefs(p->pad_cutoff_hz, PAD_Q, p->sample_rate_hz);
  for (int k = LULL_BANK_PAD0; k < LULL_BANK_PAD0 + LULL_PAD_BANKS; k++)
    for (int j = 0; j < LULL_LANES; j++)
      if (p->bank[k].active & (1u << j)) lull__svf8_put_lane(&p->bank[k].svf, j, p->pad_coefs);
}

/* Choose the lane for a new note of part: idle first, then the quietest
 * releasing voice, then the oldest. */
static lull_bank *choose(lull_pool *p, int part, int *lane_out, int *stolen) {
  lull_bank *best_rel = NULL, *best_old = NULL;
  int rel_lane = 0, old_lane = 0;
  float rel_level = 2.0f;
  uint64_t old_serial = UINT64_MAX;
  const lull_part_slots *s = &lull__part_slots[part];
  for (int k = s->first_bank; k < s->first_bank + s->banks; k++) {
    lull_bank *b = &p->bank[k];
    for (int j = s->first_lane; j < s->first_lane + s->lanes; j++) {
      if (!lull__adsr8_active(&b->env, j)) {
        *lane_out = j;
        *stolen = 0;
        return b;
      }
      if (b->env.stage[j] == LULL_ADSR_RELEASE && b->env.level[j] < rel_level) {
        rel_level = b->env.level[j];
        best_rel = b;
        rel_lane = j;
      }
      if (b->serial[j] < old_serial) {
        old_serial = b->serial[j];
        best_old = b;
        old_lane = j;
      }
    }
  }
  *stolen = 1;
  if (best_rel) {
    *lane_out = rel_lane;
    return best_rel;
  }
  *lane_out = old_lane;
  return best_old;
}

void lull__pool_note_on(lull_pool *p, int part, int pitch, float velocity, uint64_t duration_frames, uint64_t now) {
  const lull_part_spec *spec = &lull__part_specs[part];
  float glide_from = 0;
  if (part == LULL_PART_LEAD) {
    /* Monophonic: the held note is released (its release still sounds). */
    lull__pool_note_off(p, part, -1);
    glide_from = p->last_lead_hz;
  }
  int lane, stolen;
  lull_bank *b = choose(p, part, &lane, &stolen);
  if (stolen) p->stolen++;
  float pan = 0;
  if (part == LULL_PART_PAD) pan = pad_pans[p->pan_cycle++ & 3];
  if (part == LULL_PART_HAT) pan = (p->pan_cycle & 1) ? 0.3f : -0.3f;
  lull__bank_start(b, p->wt, lane, part, pitch, velocity, pan, glide_from, p->sample_rate_hz);
  if (part == LULL_PART_PAD) lull__svf8_put_lane(&b->svf, lane, p->pad_coefs);
  if (part == LULL_PART_LEAD) p->last_lead_hz = b->hz[lane];
  b->serial[lane] = ++p->serial;
  b->held[lane] = 1;
  b->active |= (uint8_t)(1u << lane);
  if (duration_frames == 0 && spec->default_ms > 0)
    duration_frames = (uint64_t)(spec->default_ms * 0.001f * p->sample_rate_hz + 0.5f);
  b->release_at[lane] = duration_frames ? now + duration_frames : UINT64_MAX;
}

/* pitch < 0 releases every held note of the part. */
void lull__pool_note_off(lull_pool *p, int part, int pitch) {
  const lull_part_slots *s = &lull__part_slots[part];
  for (int k = s->first_bank; k < s->first_bank + s->banks; k++) {
    lull_bank *b = &p->bank[k];
    for (int j = s->first_lane; j < s->first_lane + s->lanes; j++) {
      if (!b->held[j] || (pitch >= 0 && b->pitch[j] != pitch)) continue;
      b->held[j] = 0;
      b->release_at[j] = UINT64_MAX;
      lull__adsr8_gate_off(&b->env, j);
    }
  }
}

void lull__pool_release_all(lull_pool *p) {
  for (int part = 0; part < LULL_PART_COUNT; part++) lull__pool_note_off(p, part, -1);
}

uint32_t lull__pool_frames_to_change(const lull_pool *p, uint64_t now) {
  uint64_t m = UINT32_MAX;
  for (int k = 0; k < LULL_BANK_COUNT; k++) {
    const lull_bank *b = &p->bank[k];
    if (!b->active) continue;
    uint64_t e = lull__adsr8_frames_left(&b->env);
    if (e < m) m = e;
    for (int j = 0; j < LULL_LANES; j++) {
      if (b->ramp_left[j] && b->ramp_left[j] < m) m = b->ramp_left[j];
      if (b->release_at[j] != UINT64_MAX) {
        uint64_t r = b->release_at[j] > now ? b->release_at[j] - now : 0;
        if (r < m) m = r;
      }
    }
  }
  return m < 1 ? 1u : (uint32_t)m;
}

int lull__pool_render(lull_pool *p, const lull_mix_bus *bus, uint32_t frames, uint64_t now) {
  uint64_t end = now + frames;
  int sounded = 0;
  for (int k = 0; k < LULL_BANK_COUNT; k++) {
    lull_bank *b = &p->bank[k];
    if (!b->active) continue;
    sounded = 1;
    p->render(b, bus, frames);
    lull__adsr8_advance(&b->env, frames);
    for (int j = 0; j < LULL_LANES; j++) {
      if (b->ramp_left[j]) {
        b->ramp_left[j] -= frames;
        if (b->ramp_left[j] == 0) { /* land exactly on the target pitch */
          b->inc_a[j] = b->ramp_target[j];
          b->dinc[j] = 0;
        }
      }
      if (b->release_at[j] <= end) {
        b->release_at[j] = UINT64_MAX;
        b->held[j] = 0;
        lull__adsr8_gate_off(&b->env, j);
      }
      if (!lull__adsr8_active(&b->env, j)) {
        b->active &= (uint8_t)~(1u << j);
        b->held[j] = 0;
        /* An idle kick lane would keep decaying into denormals. */
        b->amp[j] = 1.0f;
        b->decay[j] = 1.0f;
      }
    }
  }
  return sounded;
}

uint32_t lull__pool_active_voices(const lull_pool *p) {
  uint32_t n = 0;
  for (int k = 0; k < LULL_BANK_COUNT; k++) n += (uint32_t)__builtin_popcount(p->bank[k].active);
  return n;
}
