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
