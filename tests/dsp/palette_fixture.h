/* Shared by the palette voices' tests (issue 20): one set of band-limited
 * tables for the group, L/R correlation, and the chunk sizes of a split
 * render. Header-only: each test is its own executable. */
#ifndef LULL_TEST_PALETTE_FIXTURE_H
#define LULL_TEST_PALETTE_FIXTURE_H

#include <math.h>
#include <stdlib.h>

#include "dsp/dsp.h"

/* The tables' build is slow under sanitizers, so there is one set, built
 * for 48 kHz; the 96 kHz voices read it too (fewer harmonics than they
 * could have, the same pitch). */
static lull_wavetable wt48 __attribute__((unused));
static float *wt_mem __attribute__((unused));

static inline int wavetable_setup(void **state) {
  (void)state;
  wt_mem = malloc(sizeof(float) * lull__wavetable_floats());
  lull__wavetable_init(&wt48, 48000.0f, wt_mem);
  return 0;
}

static inline int wavetable_teardown(void **state) {
  (void)state;
  free(wt_mem);
  return 0;
}

/* Normalised correlation of a and b (1: the same up to gain). */
static inline double correlation(const float *a, const float *b, size_t n) {
  double ab = 0, aa = 0, bb = 0;
  for (size_t i = 0; i < n; i++) ab += (double)a[i] * b[i], aa += (double)a[i] * a[i], bb += (double)b[i] * b[i];
  return ab / sqrt(aa * bb + 1e-30);
}

/* The next piece of a render of `left` frames: all of it when *seed is 0,
 * else 1..max frames drawn from *seed. */
static inline size_t next_chunk(uint64_t *seed, size_t left, size_t max) {
  size_t m = *seed ? 1 + (size_t)(lull__splitmix64(seed) % max) : left;
  return m < left ? m : left;
}

#endif
