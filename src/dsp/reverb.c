/* Feedback delay network reverb (Jot/Stautner-Puckette): eight lines mixed
 * through an orthonormal Hadamard matrix, each line with a gain for the RT60
 * (g = 10^(-3 len / (T60 fs))) and a one-zero damping filter. Four Schroeder
 * allpasses diffuse the input after the pre-delay; two slow LFOs move the
 * line lengths by a fraction of a millisecond so long tails do not ring on
 * fixed modes. Lines are power-of-two rings indexed by one shared position. */
#include <math.h>
#include <string.h>

#include "dsp/dsp.h"
#include "dsp/isa.h"

/* Mutually prime lengths at 48 kHz (43..100 ms) and diffusers (2..8 ms). */
static const uint32_t line_len_48k[LULL_REVERB_LINES] = {2053, 2399, 2801, 3203, 3607, 4001, 4409, 4801};
static const uint32_t diff_len_48k[LULL_REVERB_DIFFUSERS] = {142, 107, 379, 277};
#define DIFFUSE_GAIN 0.6f
#define MAX_PREDELAY_MS 200.0f
#define MAX_MOD_MS 2.0f

static uint32_t scaled(uint32_t len48k, float sample_rate_hz) {
  return (uint32_t)lroundf((float)len48k * sample_rate_hz / 48000.0f);
}

static uint32_t line_cap(uint32_t i, float sample_rate_hz) {
  uint32_t mod = (uint32_t)ceilf(MAX_MOD_MS * 0.001f * sample_rate_hz);
  return lull__pow2_at_least(scaled(line_len_48k[i], sample_rate_hz) + mod + 4);
}

size_t lull__reverb_floats(float sample_rate_hz) {
  size_t n = 0;
  for (uint32_t i = 0; i < LULL_REVERB_LINES; i++) n += line_cap(i, sample_rate_hz);
  for (uint32_t i = 0; i < LULL_REVERB_DIFFUSERS; i++) n += lull__pow2_at_least(scaled(diff_len_48k[i], sample_rate_hz) + 1);
  n += lull__pow2_at_least((uint32_t)ceilf(MAX_PREDELAY_MS * 0.001f * sample_rate_hz) + 1);
  return n;
}

void lull__reverb_init(lull_reverb *r, const lull_reverb_config *cfg, float sample_rate_hz, float *mem) {
  r->sample_rate_hz = sample_rate_hz;
  r->process = lull__reverb_process_generic;
#if LULL_HAVE_V3
  if (lull__isa_v3()) r->process = lull__reverb_process_v3;
#endif
  r->cfg = *cfg;
  for (uint32_t i = 0; i < LULL_REVERB_LINES; i++) {
    uint32_t cap = line_cap(i, sample_rate_hz);
    r->line[i] = mem;
    r->mask[i] = cap - 1;
    r->len[i] = scaled(line_len_48k[i], sample_rate_hz);
    mem += cap;
    r->gain[i] = powf(10.0f, -3.0f * (float)r->len[i] / (cfg->decay_s * sample_rate_hz));
  }
  for (uint32_t i = 0; i < LULL_REVERB_DIFFUSERS; i++) {
    uint32_t len = scaled(diff_len_48k[i], sample_rate_hz);
    uint32_t cap = lull__pow2_at_least(len + 1);
    r->diff[i] = mem;
    r->diff_len[i] = len;
    r->diff_mask[i] = cap - 1;
    mem += cap;
  }
  uint32_t pre_cap = lull__pow2_at_least((uint32_t)ceilf(MAX_PREDELAY_MS * 0.001f * sample_rate_hz) + 1);
  r->pre = mem;
  r->pre_mask = pre_cap - 1;
  float pre_ms = fminf(fmaxf(cfg->predelay_ms, 0.0f), MAX_PREDELAY_MS);
  r->pre_frames = (uint32_t)lroundf(pre_ms * 0.001f * sample_rate_hz);
  r->damp_coef = fminf(fmaxf(cfg->damping, 0.0f), 0.5f);
  float depth_ms = fminf(fmaxf(cfg->mod_depth_ms, 0.0f), MAX_MOD_MS);
  r->mod_depth_frames = depth_ms * 0.001f * sample_rate_hz * 0.5f;
  lull__lfo_init(&r->mod[0], 0.13f, sample_rate_hz, 0.0f);
  lull__lfo_init(&r->mod[1], 0.21f, sample_rate_hz, 0.25f);
  lull__reverb_reset(r);
  lull__reverb_control(r);
}

void lull__reverb_set_decay(lull_reverb *r, float decay_s, float damping) {
  r->cfg.decay_s = decay_s;
  for (uint32_t i = 0; i < LULL_REVERB_LINES; i++)
    r->gain[i] = powf(10.0f, -3.0f * (float)r->len[i] / (decay_s * r->sample_rate_hz));
  r->damp_coef = fminf(fmaxf(damping, 0.0f), 0.5f);
  r->cfg.damping = r->damp_coef;
}

void lull__reverb_reset(lull_reverb *r) {
  for (uint32_t i = 0; i < LULL_REVERB_LINES; i++) memset(r->line[i], 0, sizeof(float) * (r->mask[i] + 1));
  for (uint32_t i = 0; i < LULL_REVERB_DIFFUSERS; i++) memset(r->diff[i], 0, sizeof(float) * (r->diff_mask[i] + 1));
  memset(r->pre, 0, sizeof(float) * (r->pre_mask + 1));
  r->pos = 0;
}

void lull__reverb_control(lull_reverb *r) {
  /* Lines 0-3 follow LFO 0 and lines 4-7 LFO 1, with alternating signs;
   * offsets stay in [0, 2 depth] so the mean length is len - depth. */
  const v8f sign_a = {1, -1, 1, -1, 0, 0, 0, 0}, sign_b = {0, 0, 0, 0, 1, -1, 1, -1};
  float d = r->mod_depth_frames;
  float m0a = lull__lfo_next(&r->mod[0], LULL_GRID_FRAMES), m1a = lull__lfo_next(&r->mod[1], LULL_GRID_FRAMES);
  float m0b = lull__lfo_next(&r->mod[0], 0), m1b = lull__lfo_next(&r->mod[1], 0);
  r->mod_off = d + d * (sign_a * m0a + sign_b * m1a);
  v8f end = d + d * (sign_a * m0b + sign_b * m1b);
  r->mod_step = (end - r->mod_off) * (1.0f / LULL_GRID_FRAMES);
  r->mod_phase = 0;
}

