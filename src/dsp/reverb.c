/* Feedback delay network reverb (Jot/Stautner-Puckette): eight lines mixed
 * through an orthonormal Hadamard matrix, each line with a gain for the RT60
 * (g = 10^(-3 len / (T60 fs))) and a one-pole damping filter. Four Schroeder
 * allpasses diffuse the input after the pre-delay; two slow LFOs move the
 * line lengths by a fraction of a millisecond so long tails do not ring on
 * fixed modes. Lines are power-of-two rings indexed by one shared position. */
#include <math.h>
#include <string.h>

#include "dsp/dsp.h"

/* Mutually prime lengths at 48 kHz (43..100 ms) and diffusers (2..8 ms). */
static const uint32_t line_len_48k[LULL_REVERB_LINES] = {2053, 2399, 2801, 3203, 3607, 4001, 4409, 4801};
static const uint32_t diff_len_48k[LULL_REVERB_DIFFUSERS] = {142, 107, 379, 277};
#define DIFFUSE_GAIN 0.6f
#define MAX_PREDELAY_MS 200.0f
#define MAX_MOD_MS 2.0f

static uint32_t pow2_at_least(uint32_t n) {
  uint32_t p = 1;
  while (p < n) p <<= 1;
  return p;
}

static uint32_t scaled(uint32_t len48k, float sample_rate_hz) {
  return (uint32_t)lroundf((float)len48k * sample_rate_hz / 48000.0f);
}

static uint32_t line_cap(uint32_t i, float sample_rate_hz) {
  uint32_t mod = (uint32_t)ceilf(MAX_MOD_MS * 0.001f * sample_rate_hz);
  return pow2_at_least(scaled(line_len_48k[i], sample_rate_hz) + mod + 4);
}

size_t lull__reverb_floats(float sample_rate_hz) {
  size_t n = 0;
  for (uint32_t i = 0; i < LULL_REVERB_LINES; i++) n += line_cap(i, sample_rate_hz);
  for (uint32_t i = 0; i < LULL_REVERB_DIFFUSERS; i++) n += pow2_at_least(scaled(diff_len_48k[i], sample_rate_hz) + 1);
  n += pow2_at_least((uint32_t)ceilf(MAX_PREDELAY_MS * 0.001f * sample_rate_hz) + 1);
  return n;
}

void lull__reverb_init(lull_reverb *r, const lull_reverb_config *cfg, float sample_rate_hz, float *mem) {
  r->sample_rate_hz = sample_rate_hz;
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
    uint32_t cap = pow2_at_least(len + 1);
    r->diff[i] = mem;
    r->diff_len[i] = len;
    r->diff_mask[i] = cap - 1;
    mem += cap;
  }
  uint32_t pre_cap = pow2_at_least((uint32_t)ceilf(MAX_PREDELAY_MS * 0.001f * sample_rate_hz) + 1);
  r->pre = mem;
  r->pre_mask = pre_cap - 1;
  float pre_ms = fminf(fmaxf(cfg->predelay_ms, 0.0f), MAX_PREDELAY_MS);
  r->pre_frames = (uint32_t)lroundf(pre_ms * 0.001f * sample_rate_hz);
  /* At or above 0.45 fs damping is off: the decay is then the same at all
   * frequencies (a one-pole at 20 kHz still takes ~1 dB a pass near 10 kHz). */
  r->damp_coef = cfg->damping_hz >= 0.45f * sample_rate_hz ? 0.0f
                                                            : expf(-2.0f * (float)M_PI * cfg->damping_hz / sample_rate_hz);
  float depth_ms = fminf(fmaxf(cfg->mod_depth_ms, 0.0f), MAX_MOD_MS);
  r->mod_depth_frames = depth_ms * 0.001f * sample_rate_hz * 0.5f;
  lull__lfo_init(&r->mod[0], 0.13f, sample_rate_hz, 0.0f);
  lull__lfo_init(&r->mod[1], 0.21f, sample_rate_hz, 0.25f);
  lull__reverb_reset(r);
  lull__reverb_control(r);
}

void lull__reverb_reset(lull_reverb *r) {
  for (uint32_t i = 0; i < LULL_REVERB_LINES; i++) {
    memset(r->line[i], 0, sizeof(float) * (r->mask[i] + 1));
    r->damp_state[i] = 0;
  }
  for (uint32_t i = 0; i < LULL_REVERB_DIFFUSERS; i++) memset(r->diff[i], 0, sizeof(float) * (r->diff_mask[i] + 1));
  memset(r->pre, 0, sizeof(float) * (r->pre_mask + 1));
  r->pos = 0;
}

/* Orthonormal 8x8 Hadamard: three butterfly stages, then 1/sqrt(8). */
LULL_VEC v8f hadamard8(v8f x) {
  const v8f s1 = {1, -1, 1, -1, 1, -1, 1, -1};
  const v8f s2 = {1, 1, -1, -1, 1, 1, -1, -1};
  const v8f s4 = {1, 1, 1, 1, -1, -1, -1, -1};
  x = __builtin_shuffle(x, (v8i){0, 0, 2, 2, 4, 4, 6, 6}) + s1 * __builtin_shuffle(x, (v8i){1, 1, 3, 3, 5, 5, 7, 7});
  x = __builtin_shuffle(x, (v8i){0, 1, 0, 1, 4, 5, 4, 5}) + s2 * __builtin_shuffle(x, (v8i){2, 3, 2, 3, 6, 7, 6, 7});
  x = __builtin_shuffle(x, (v8i){0, 1, 2, 3, 0, 1, 2, 3}) + s4 * __builtin_shuffle(x, (v8i){4, 5, 6, 7, 4, 5, 6, 7});
  return x * 0.35355339059f;
}

LULL_HOT void lull__reverb_control(lull_reverb *r) {
  /* Lines 0-3 follow LFO 0 and lines 4-7 LFO 1, with alternating signs;
   * offsets stay in [0, 2 depth] so the mean length is len - depth. */
  const v8f sign_a = {1, -1, 1, -1, 0, 0, 0, 0}, sign_b = {0, 0, 0, 0, 1, -1, 1, -1};
  float d = r->mod_depth_frames;
  float m0a = lull__lfo_next(&r->mod[0], LULL_CONTROL_FRAMES), m1a = lull__lfo_next(&r->mod[1], LULL_CONTROL_FRAMES);
  float m0b = lull__lfo_next(&r->mod[0], 0), m1b = lull__lfo_next(&r->mod[1], 0);
  r->mod_off = d + d * (sign_a * m0a + sign_b * m1a);
  v8f end = d + d * (sign_a * m0b + sign_b * m1b);
  r->mod_step = (end - r->mod_off) * (1.0f / LULL_CONTROL_FRAMES);
}

void lull__reverb_process(lull_reverb *r, float *out_l, float *out_r, const float *in, size_t frames) {
  if (frames == 0) return;
  v8f off_step = r->mod_step;
  v8f len;
  v8f gain, damp = r->damp_coef + v8f_set1(0), state;
  for (int i = 0; i < LULL_REVERB_LINES; i++) {
    len[i] = (float)r->len[i];
    gain[i] = r->gain[i];
    state[i] = r->damp_state[i];
  }
  const v8f left_w = {1, -1, 1, -1, 1, -1, 1, -1};
  const v8f right_w = {1, 1, -1, -1, 1, 1, -1, -1};
  const v8f in_w = {1, -1, 1, -1, -1, 1, -1, 1};
  uint32_t pos = r->pos;
  v8f off = r->mod_off;
  for (size_t n = 0; n < frames; n++, pos++) {
    /* Pre-delay, then diffusion. */
    r->pre[pos & r->pre_mask] = in[n];
    float x = r->pre[(pos - r->pre_frames) & r->pre_mask] + LULL_TINY; /* keeps the allpasses normal */
    for (int k = 0; k < LULL_REVERB_DIFFUSERS; k++) {
      float *buf = r->diff[k];
      float dl = buf[(pos - r->diff_len[k]) & r->diff_mask[k]];
      float y = dl - DIFFUSE_GAIN * x;
      buf[pos & r->diff_mask[k]] = x + DIFFUSE_GAIN * y;
      x = y;
    }
    /* Read every line at its modulated length (linear interpolation). */
    v8f tap = len - off;
    v8f o;
    for (int i = 0; i < LULL_REVERB_LINES; i++) {
      float t = tap[i];
      uint32_t whole = (uint32_t)t;
      float frac = t - (float)whole;
      const float *buf = r->line[i];
      float a = buf[(pos - whole) & r->mask[i]];
      float b = buf[(pos - whole - 1) & r->mask[i]];
      o[i] = a + frac * (b - a);
    }
    off += off_step;
    /* Damping: one-pole lowpass per line; then decay and mix. */
    state = o + damp * (state - o);
    v8f fb = hadamard8(state * gain) + in_w * x + LULL_TINY;
    for (int i = 0; i < LULL_REVERB_LINES; i++) r->line[i][pos & r->mask[i]] = fb[i];
    float l, rr;
    v8f_hsum2(o * left_w, o * right_w, &l, &rr);
    out_l[n] += l * 0.25f;
    out_r[n] += rr * 0.25f;
  }
  r->pos = pos;
  r->mod_off = off;
  for (int i = 0; i < LULL_REVERB_LINES; i++) r->damp_state[i] = fabsf(state[i]) < 1e-15f ? 0.0f : state[i];
}
