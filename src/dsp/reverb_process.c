/* The reverb's block kernel (see reverb.c for the network). Compiled twice,
 * generic and for x86-64-v3 (isa.h). Every line is longer than a block, so
 * a block's reads from the lines, the diffusers and the pre-delay are known
 * before it starts and run as vector loads over time; only the damping
 * one-pole carries a dependency from frame to frame. */
#include <math.h>
#include <string.h>

#include "dsp/dsp.h"
#include "dsp/isa.h"

#define DIFFUSE_GAIN 0.6f

/* Schroeder allpass over a block: y = d - g x, buf = x + g y, d = buf[-len].
 * When len >= n every d of the block was written before it (vectorises). */
/* The n frames of a ring at position at, if they lie in one run. */
static inline float *span(float *ring, uint32_t mask, uint32_t at, size_t n) {
  return (at & mask) + n <= (size_t)mask + 1 ? ring + (at & mask) : NULL;
}

static void diffuse(float *buf, uint32_t mask, uint32_t len, uint32_t pos, float *x, size_t n) {
  if (len >= n) {
    /* In the ring itself when neither run wraps (nearly always). */
    float dt[LULL_GRID_FRAMES], wt[LULL_GRID_FRAMES];
    const float *d = span(buf, mask, pos - len, n);
    float *w = span(buf, mask, pos, n);
    if (!d) lull__ring_get(buf, mask, pos - len, dt, n), d = dt;
    float *wp = w ? w : wt;
    for (size_t k = 0; k < n; k++) {
      float y = d[k] - DIFFUSE_GAIN * x[k];
      wp[k] = x[k] + DIFFUSE_GAIN * y;
      x[k] = y;
    }
    if (!w) lull__ring_put(buf, mask, pos, wt, n);
    return;
  }
  for (size_t k = 0; k < n; k++) { /* short lines at low sample rates */
    float y = buf[(pos + k - len) & mask] - DIFFUSE_GAIN * x[k];
    buf[(pos + k) & mask] = x[k] + DIFFUSE_GAIN * y;
    x[k] = y;
  }
}

/* Read line i for the block (lull__tap_read): its taps ramp with the
 * modulation, computed from the control period's start in one loop, so a
 * frame's tap does not depend on how the period was split into blocks. The
 * damped reads carry the line's decay gain and the matrix's 1/sqrt(8). */
static void read_line(const lull_reverb *r, int i, float *damped, float *undamped, size_t n) {
  const float len = (float)r->len[i], off = r->mod_off[i], step = r->mod_step[i];
  float tap[LULL_GRID_FRAMES];
  const int32_t phase = (int32_t)r->mod_phase; /* < 2^16: a signed conversion vectorises */
  for (size_t k = 0; k < n; k++) tap[k] = len - (off + step * (float)(phase + (int32_t)k));
  lull__tap_read(r->line[i], r->mask[i], r->pos, tap, n, r->damp_coef, r->gain[i] * 0.35355339059f, damped, undamped);
}

/* In place across the eight lines, eight frames at a time: the fast
 * Walsh-Hadamard transform (three butterfly stages; the 1/sqrt(8) is in the
 * line gains), then the input, with signs that spread it over the lines. */
static void mix_lines(float (*f)[LULL_GRID_FRAMES], const float *x, float *const out[LULL_REVERB_LINES], size_t n8) {
  for (size_t k = 0; k < n8; k += 8) {
    v8f v0, v1, v2, v3, v4, v5, v6, v7, in;
    memcpy(&v0, &f[0][k], 32), memcpy(&v1, &f[1][k], 32), memcpy(&v2, &f[2][k], 32), memcpy(&v3, &f[3][k], 32);
    memcpy(&v4, &f[4][k], 32), memcpy(&v5, &f[5][k], 32), memcpy(&v6, &f[6][k], 32), memcpy(&v7, &f[7][k], 32);
    memcpy(&in, x + k, 32);
    v8f a0 = v0 + v1, a1 = v0 - v1, a2 = v2 + v3, a3 = v2 - v3, a4 = v4 + v5, a5 = v4 - v5, a6 = v6 + v7, a7 = v6 - v7;
    v8f b0 = a0 + a2, b1 = a1 + a3, b2 = a0 - a2, b3 = a1 - a3, b4 = a4 + a6, b5 = a5 + a7, b6 = a4 - a6, b7 = a5 - a7;
    v0 = (b0 + b4) + in, v1 = (b1 + b5) - in, v2 = (b2 + b6) + in, v3 = (b3 + b7) - in;
    v4 = (b0 - b4) - in, v5 = (b1 - b5) + in, v6 = (b2 - b6) - in, v7 = (b3 - b7) + in;
    memcpy(out[0] + k, &v0, 32), memcpy(out[1] + k, &v1, 32), memcpy(out[2] + k, &v2, 32), memcpy(out[3] + k, &v3, 32);
    memcpy(out[4] + k, &v4, 32), memcpy(out[5] + k, &v5, 32), memcpy(out[6] + k, &v6, 32), memcpy(out[7] + k, &v7, 32);
  }
}

void LULL_ISA_NAME(lull__reverb_process)(lull_reverb *r, float *out_l, float *out_r, const float *in, size_t frames) {
  while (frames > LULL_GRID_FRAMES) { /* blocks are never longer in the engine */
    LULL_ISA_NAME(lull__reverb_process)(r, out_l, out_r, in, LULL_GRID_FRAMES);
    out_l += LULL_GRID_FRAMES, out_r += LULL_GRID_FRAMES, in += LULL_GRID_FRAMES;
    frames -= LULL_GRID_FRAMES;
  }
  if (frames == 0) return;
  const size_t n = frames, n8 = (n + 7) & ~(size_t)7;
  float x[LULL_GRID_FRAMES];
  /* Pre-delay (written first, so a zero pre-delay reads this block), then
   * diffusion. LULL_TINY keeps the allpasses and lines out of denormals. */
  lull__ring_put(r->pre, r->pre_mask, r->pos, in, n);
  const float *pre = span(r->pre, r->pre_mask, r->pos - r->pre_frames, n);
  if (!pre) lull__ring_get(r->pre, r->pre_mask, r->pos - r->pre_frames, x, n), pre = x;
  for (size_t k = 0; k < n; k++) x[k] = pre[k] + LULL_TINY;
  for (int d = 0; d < LULL_REVERB_DIFFUSERS; d++) diffuse(r->diff[d], r->diff_mask[d], r->diff_len[d], r->pos, x, n);

  /* Everything line-major over time: f[i][k] (damped, to be mixed and
   * fed back) and o[i][k] (plain, for the outputs). */
  _Alignas(32) float f[LULL_REVERB_LINES][LULL_GRID_FRAMES];
  _Alignas(32) float o[LULL_REVERB_LINES][LULL_GRID_FRAMES];
  for (int i = 0; i < LULL_REVERB_LINES; i++) {
    read_line(r, i, f[i], o[i], n);
    for (size_t k = n; k < n8; k++) f[i][k] = o[i][k] = 0;
  }
  /* Stereo out: orthogonal sign patterns over the lines. */
  for (size_t k = 0; k < n; k++) {
    float l = (o[0][k] - o[1][k]) + (o[2][k] - o[3][k]) + (o[4][k] - o[5][k]) + (o[6][k] - o[7][k]);
    float rr = (o[0][k] + o[1][k]) - (o[2][k] + o[3][k]) + (o[4][k] + o[5][k]) - (o[6][k] + o[7][k]);
    out_l[k] += 0.25f * l;
    out_r[k] += 0.25f * rr;
  }
  /* Mix straight into each line's ring where the block (padded to eight
   * frames: the pad is written over by the next block before anything
   * reads it) lies in one run; elsewhere through f. */
  for (size_t k = n; k < n8; k++) x[k] = 0;
  float *dst[LULL_REVERB_LINES];
  for (int i = 0; i < LULL_REVERB_LINES; i++) {
    dst[i] = span(r->line[i], r->mask[i], r->pos, n8);
    if (!dst[i]) dst[i] = f[i];
  }
  mix_lines(f, x, dst, n8);
  for (int i = 0; i < LULL_REVERB_LINES; i++)
    if (dst[i] == f[i]) lull__ring_put(r->line[i], r->mask[i], r->pos, f[i], n);
  r->mod_phase += (uint32_t)n;
  r->pos += (uint32_t)n;
  LULL_ISA_LEAVE();
}
