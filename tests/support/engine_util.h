/* Helpers for tests that drive a whole engine through its public API. */
#ifndef LULL_TEST_ENGINE_UTIL_H
#define LULL_TEST_ENGINE_UTIL_H

#include <stdlib.h>

#include "lull/lull.h"

static inline lull_engine *test_engine(int dry) {
  lull_engine_config cfg = {.dry = dry};
  lull_engine *e = NULL;
  if (lull_engine_create(&cfg, &e, NULL) != LULL_OK) abort();
  return e;
}

static inline void test_note(lull_engine *e, uint64_t frame, int part, int kind, int pitch, float vel,
                             uint64_t dur) {
  lull_event ev = {frame, dur, (uint8_t)part, (uint8_t)kind, (uint8_t)pitch, 0, vel};
  if (lull_engine_schedule(e, &ev) != LULL_OK) abort();
}

/* Render frames of stereo into a new buffer, in chunks of chunk frames. */
static inline float *test_render(lull_engine *e, size_t frames, size_t chunk) {
  float *x = malloc(sizeof(float) * 2 * frames);
  for (size_t i = 0; i < frames; i += chunk) lull_engine_render(e, x + 2 * i, frames - i < chunk ? frames - i : chunk);
  return x;
}

#endif
