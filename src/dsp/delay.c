/* Free-running ping-pong delay: left input feeds the left line, each line's
 * output feeds the other line, so echoes alternate sides. Each line has its
 * own time in seconds (not beats: the echoes drift against the bar and
 * against each other), moved by a slow sine of a few milliseconds (periods
 * 19.7 s and 27.1 s, themselves sharing no beat) and read with linear
 * interpolation so the motion is smooth. Feedback is damped by a one-zero
 * lowpass (no state). A block is read with vector loads when the delay is
 * longer than the block, which it always is here. */
#include <math.h>
#include <string.h>

#include "dsp/dsp.h"
#include "dsp/isa.h"

#define MOD_LEFT_HZ (1.0f / 19.7f)
#define MOD_RIGHT_HZ (1.0f / 27.1f)

#ifndef LULL_ISA_SUFFIX /* the generic build only: the v3 one has just the processing */
size_t lull__delay_floats(float sample_rate_hz, float max_seconds) {
  return 2u * lull__pow2_at_least((uint32_t)ceilf(max_seconds * sample_rate_hz) + 2);
}

static float clamp_frames(const lull_delay *d, float f) { return fminf(fmaxf(f, 1.0f), d->max_frames); }

/* The tap of side c at the LFO's current phase. */
static float tap_now(const lull_delay *d, int c) {
  float m = lull__sin_turns(lull__phase_turns(d->mod[c].phase));
  return clamp_frames(d, d->time_frames[c] + d->mod_depth_frames * m);
}

void lull__delay_init(lull_delay *d, const lull_delay_config *cfg, float sample_rate_hz, float max_seconds,
                      float *mem) {
  uint32_t cap = lull__pow2_at_least((uint32_t)ceilf(max_seconds * sample_rate_hz) + 2);
  d->buf[0] = mem;
  d->buf[1] = mem + cap;
  d->mask = cap - 1;
  d->sample_rate_hz = sample_rate_hz;
  d->max_frames = (float)(cap - 4); /* reads reach two frames past the tap */
  d->feedback = cfg->feedback;
  d->damp_coef = 0.5f; /* a zero at Nyquist: each repeat a little darker */
  d->mod_depth_frames = cfg->mod_depth_ms * 0.001f * sample_rate_hz;
  d->time_frames[0] = cfg->left_s * sample_rate_hz;
  d->time_frames[1] = cfg->right_s * sample_rate_hz;
  lull__lfo_init(&d->mod[0], MOD_LEFT_HZ, sample_rate_hz, 0.0f);
  lull__lfo_init(&d->mod[1], MOD_RIGHT_HZ, sample_rate_hz, 0.37f);
  for (int c = 0; c < 2; c++) {
    d->time_base[c] = tap_now(d, c);
    d->time_step[c] = 0;
  }
  d->time_phase = 0;
  d->process = lull__delay_process_generic;
#if LULL_HAVE_V3
  if (lull__isa_v3()) d->process = lull__delay_process_v3;
#endif
  lull__delay_reset(d);
}

void lull__delay_reset(lull_delay *d) {
  memset(d->buf[0], 0, sizeof(float) * (d->mask + 1));
  memset(d->buf[1], 0, sizeof(float) * (d->mask + 1));
  d->pos = 0;
}

void lull__delay_control(lull_delay *d) {
  for (int c = 0; c < 2; c++) {
    d->time_base[c] = tap_now(d, c);
    lull__lfo_next(&d->mod[c], LULL_GRID_FRAMES);
    d->time_step[c] = (tap_now(d, c) - d->time_base[c]) / LULL_GRID_FRAMES;
  }
  d->time_phase = 0;
}
#endif

void LULL_ISA_NAME(lull__delay_process)(lull_delay *d, float *out_l, float *out_r, const float *in_l,
                                        const float *in_r, size_t frames) {
  while (frames) {
    /* The taps of this block, from the control period's start (split-
     * invariant); a block may not be longer than the shortest tap. */
    float tap[2][LULL_GRID_FRAMES];
    size_t n = frames < LULL_GRID_FRAMES ? frames : LULL_GRID_FRAMES;
    const int32_t phase = (int32_t)d->time_phase;
    float shortest = d->max_frames;
    for (int c = 0; c < 2; c++) {
      for (size_t k = 0; k < n; k++) tap[c][k] = d->time_base[c] + d->time_step[c] * (float)(phase + (int32_t)k);
      /* A tap is monotonic in k (each rounding is), so its least is at an
       * end; a running minimum here would not vectorise. */
      shortest = fminf(shortest, fminf(tap[c][0], tap[c][n - 1]));
    }
    if ((float)n > shortest) n = (size_t)shortest; /* >= 1: taps are clamped to >= 1 frame */
    float dl[LULL_GRID_FRAMES], dr[LULL_GRID_FRAMES], pl[LULL_GRID_FRAMES], pr[LULL_GRID_FRAMES];
    lull__tap_read(d->buf[0], d->mask, d->pos, tap[0], n, d->damp_coef, d->feedback, dl, pl);
    lull__tap_read(d->buf[1], d->mask, d->pos, tap[1], n, d->damp_coef, d->feedback, dr, pr);
    for (size_t k = 0; k < n; k++) {
      out_l[k] += pl[k];
      out_r[k] += pr[k];
      /* Ping-pong: each side's damped echo feeds the other line. */
      float wl = in_l[k] + dr[k] + LULL_TINY, wr = in_r[k] + dl[k] + LULL_TINY;
      dl[k] = wl;
      dr[k] = wr;
    }
    lull__ring_put(d->buf[0], d->mask, d->pos, dl, n);
    lull__ring_put(d->buf[1], d->mask, d->pos, dr, n);
    d->pos += (uint32_t)n;
    d->time_phase += (uint32_t)n;
    out_l += n, out_r += n, in_l += n, in_r += n;
    frames -= n;
  }
  LULL_ISA_LEAVE(); /* GCC left it dirty here in the AddressSanitizer build */
}
