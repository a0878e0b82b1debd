/* Tempo-synced ping-pong delay: left input feeds the left line, each line's
 * output feeds the other line, so echoes alternate sides. The delay time is
 * beats * 60 / bpm, glided (one-pole, 250 ms) when the tempo changes and read
 * with linear interpolation so the glide is smooth. Feedback is damped by a
 * one-zero lowpass (no state). A block is read with vector loads when the
 * delay is longer than the block, which it is at any musical setting. */
#include <math.h>
#include <string.h>

#include "dsp/dsp.h"

static uint32_t pow2_at_least(uint32_t n) {
  uint32_t p = 1;
  while (p < n) p <<= 1;
  return p;
}

size_t lull__delay_floats(float sample_rate_hz, float max_seconds) {
  return 2u * pow2_at_least((uint32_t)ceilf(max_seconds * sample_rate_hz) + 2);
}

static float beats_frames(const lull_delay *d, float bpm) {
  float f = d->beats * 60.0f / bpm * d->sample_rate_hz;
  return fminf(fmaxf(f, 1.0f), d->max_frames);
}

void lull__delay_init(lull_delay *d, float sample_rate_hz, float max_seconds, float beats, float feedback,
                      float bpm, float *mem) {
  uint32_t cap = pow2_at_least((uint32_t)ceilf(max_seconds * sample_rate_hz) + 2);
  d->buf[0] = mem;
  d->buf[1] = mem + cap;
  d->mask = cap - 1;
  d->sample_rate_hz = sample_rate_hz;
  d->max_frames = (float)(cap - 4); /* reads reach two frames past the tap */
  d->beats = beats;
  d->feedback = feedback;
  d->damp_coef = 0.5f; /* a zero at Nyquist: each repeat a little darker */
  lull__smooth_init(&d->time_frames, 0, 250.0f, sample_rate_hz);
  float t = beats_frames(d, bpm);
  d->time_frames.value = d->time_frames.target = t;
  d->time_base = t;
  d->time_step = 0;
  d->time_phase = 0;
  lull__delay_reset(d);
}

void lull__delay_reset(lull_delay *d) {
  memset(d->buf[0], 0, sizeof(float) * (d->mask + 1));
  memset(d->buf[1], 0, sizeof(float) * (d->mask + 1));
  d->pos = 0;
}

void lull__delay_set_bpm(lull_delay *d, float bpm) { lull__smooth_set(&d->time_frames, beats_frames(d, bpm)); }

void lull__delay_control(lull_delay *d) {
  d->time_base = d->time_frames.value;
  d->time_step = (lull__smooth_next(&d->time_frames, LULL_GRID_FRAMES) - d->time_base) / LULL_GRID_FRAMES;
  d->time_phase = 0;
}

static void put(float *ring, uint32_t mask, uint32_t at, const float *src, size_t n) {
  size_t i = at & mask, first = n < mask + 1 - i ? n : mask + 1 - i;
  lull__copy_floats(ring + i, src, first);
  lull__copy_floats(ring, src + first, n - first);
}

void lull__delay_process(lull_delay *d, float *out_l, float *out_r, const float *in_l, const float *in_r,
                         size_t frames) {
  while (frames) {
    /* The taps of this block, from the control period's start (split-
     * invariant); a block may not be longer than the shortest tap. */
    float tap[LULL_GRID_FRAMES];
    size_t n = frames < LULL_GRID_FRAMES ? frames : LULL_GRID_FRAMES;
    const int32_t phase = (int32_t)d->time_phase;
    for (size_t k = 0; k < n; k++) tap[k] = d->time_base + d->time_step * (float)(phase + (int32_t)k);
    float shortest = tap[0];
    for (size_t k = 1; k < n; k++) shortest = tap[k] < shortest ? tap[k] : shortest;
    if ((float)n > shortest) n = (size_t)shortest; /* >= 1: taps are clamped to >= 1 frame */
    float dl[LULL_GRID_FRAMES], dr[LULL_GRID_FRAMES], pl[LULL_GRID_FRAMES], pr[LULL_GRID_FRAMES];
    lull__tap_read(d->buf[0], d->mask, d->pos, tap, n, d->damp_coef, d->feedback, dl, pl);
    lull__tap_read(d->buf[1], d->mask, d->pos, tap, n, d->damp_coef, d->feedback, dr, pr);
    for (size_t k = 0; k < n; k++) {
      out_l[k] += pl[k];
      out_r[k] += pr[k];
      /* Ping-pong: each side's damped echo feeds the other line. */
      float wl = in_l[k] + dr[k] + LULL_TINY, wr = in_r[k] + dl[k] + LULL_TINY;
      dl[k] = wl;
      dr[k] = wr;
    }
    put(d->buf[0], d->mask, d->pos, dl, n);
    put(d->buf[1], d->mask, d->pos, dr, n);
    d->pos += (uint32_t)n;
    d->time_phase += (uint32_t)n;
    out_l += n, out_r += n, in_l += n, in_r += n;
    frames -= n;
  }
}
