/* Tempo-synced ping-pong delay: left input feeds the left line, each line's
 * output feeds the other line, so echoes alternate sides. The delay time is
 * beats * 60 / bpm, glided (one-pole, 250 ms) when the tempo changes and read
 * with linear interpolation so the glide is smooth. Feedback is damped. */
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
  d->max_frames = (float)(cap - 2);
  d->beats = beats;
  d->feedback = feedback;
  d->damp_coef = expf(-2.0f * (float)M_PI * 4000.0f / sample_rate_hz);
  lull__smooth_init(&d->time_frames, 0, 250.0f, sample_rate_hz);
  float t = beats_frames(d, bpm);
  d->time_frames.value = d->time_frames.target = t;
  d->time_now = t;
  d->time_step = 0;
  lull__delay_reset(d);
}

void lull__delay_reset(lull_delay *d) {
  memset(d->buf[0], 0, sizeof(float) * (d->mask + 1));
  memset(d->buf[1], 0, sizeof(float) * (d->mask + 1));
  d->pos = 0;
  d->damp_state[0] = d->damp_state[1] = 0;
}

void lull__delay_set_bpm(lull_delay *d, float bpm) { lull__smooth_set(&d->time_frames, beats_frames(d, bpm)); }

void lull__delay_control(lull_delay *d) {
  d->time_now = d->time_frames.value;
  d->time_step = (lull__smooth_next(&d->time_frames, LULL_CONTROL_FRAMES) - d->time_now) / LULL_CONTROL_FRAMES;
}

void lull__delay_process(lull_delay *d, float *out_l, float *out_r, const float *in_l, const float *in_r,
                         size_t frames) {
  const float step = d->time_step;
  float *bl = d->buf[0], *br = d->buf[1];
  const uint32_t mask = d->mask;
  const float fb = d->feedback, c = d->damp_coef;
  float sl = d->damp_state[0], sr = d->damp_state[1];
  uint32_t pos = d->pos;
  float t = d->time_now;
  for (size_t n = 0; n < frames; n++, pos++, t += step) {
    uint32_t whole = (uint32_t)t;
    float frac = t - (float)whole;
    float l = bl[(pos - whole) & mask], l2 = bl[(pos - whole - 1) & mask];
    float r = br[(pos - whole) & mask], r2 = br[(pos - whole - 1) & mask];
    float ol = l + frac * (l2 - l), or_ = r + frac * (r2 - r);
    out_l[n] += ol;
    out_r[n] += or_;
    sl = ol + c * (sl - ol);
    sr = or_ + c * (sr - or_);
    bl[pos & mask] = in_l[n] + fb * sr + LULL_TINY;
    br[pos & mask] = in_r[n] + fb * sl + LULL_TINY;
  }
  d->pos = pos;
  d->time_now = t;
  d->damp_state[0] = fabsf(sl) < 1e-15f ? 0.0f : sl;
  d->damp_state[1] = fabsf(sr) < 1e-15f ? 0.0f : sr;
}
