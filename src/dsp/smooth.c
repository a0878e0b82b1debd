/* One-pole parameter smoother: coef = 1 - exp(-1 / (tau fs)). */
#include <math.h>

#include "dsp/dsp.h"

void lull__smooth_init(lull_smooth *s, float value, float time_ms, float sample_rate_hz) {
  s->value = s->target = value;
  float frames = time_ms * 0.001f * sample_rate_hz;
  s->coef = frames <= 1.0f ? 1.0f : 1.0f - expf(-1.0f / frames);
  s->keep_grid = powf(1.0f - s->coef, (float)LULL_GRID_FRAMES);
}

float lull__smooth_next(lull_smooth *s, size_t frames) {
  /* Closed form of frames ticks: the distance shrinks by (1 - coef)^frames. */
  if (s->value == s->target) return s->value; /* settled: what the formula gives */
  float keep = frames == LULL_GRID_FRAMES ? s->keep_grid : powf(1.0f - s->coef, (float)frames);
  s->value = s->target + (s->value - s->target) * keep;
  if (fabsf(s->value - s->target) < 1e-9f) s->value = s->target;
  return s->value;
}
