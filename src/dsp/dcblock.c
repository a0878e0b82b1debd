/* DC blocker: y[n] = x[n] - x[n-1] + r y[n-1], r = exp(-2 pi fc / fs). */
#include <math.h>

#include "dsp/dsp.h"

void lull__dcblock_init(lull_dcblock *d, float cutoff_hz, float sample_rate_hz) {
  d->x1 = d->y1 = 0;
  d->r = expf(-2.0f * (float)M_PI * cutoff_hz / sample_rate_hz);
}

void lull__dcblock_process(lull_dcblock *d, float *out, const float *in, size_t frames) {
  float x1 = d->x1, y1 = d->y1;
  const float r = d->r;
  for (size_t i = 0; i < frames; i++) {
    float x = in[i];
    float y = x - x1 + r * y1;
    x1 = x;
    y1 = y;
    out[i] = y;
  }
  d->x1 = x1;
  d->y1 = fabsf(y1) < 1e-15f ? 0.0f : y1;
}

void lull__dcblock_process2(lull_dcblock *l, lull_dcblock *r, float *left, float *right, size_t frames) {
  float lx1 = l->x1, ly1 = l->y1, rx1 = r->x1, ry1 = r->y1;
  const float lr = l->r, rr = r->r;
  for (size_t i = 0; i < frames; i++) {
    float a = left[i], b = right[i];
    ly1 = a - lx1 + lr * ly1;
    ry1 = b - rx1 + rr * ry1;
    lx1 = a;
    rx1 = b;
    left[i] = ly1;
    right[i] = ry1;
  }
  l->x1 = lx1;
  r->x1 = rx1;
  l->y1 = fabsf(ly1) < 1e-15f ? 0.0f : ly1;
  r->y1 = fabsf(ry1) < 1e-15f ? 0.0f : ry1;
}
