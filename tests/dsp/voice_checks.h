/* Checks shared by the tests of the voice families (fm, pluck): the
 * largest step between frames (clicks), the spectral tilt (brightness), a
 * least-squares line (decay rates). Header-only, static. */
#ifndef LULL_TEST_VOICE_CHECKS_H
#define LULL_TEST_VOICE_CHECKS_H

#include <math.h>
#include <stdlib.h>

#include "support/signal.h"

/* Largest |x[i] - x[i-1]| for i in [from, to); from >= 1. */
static inline double vc_max_step(const float *x, size_t from, size_t to) {
  double m = 0;
  for (size_t i = from; i < to; i++) m = fmax(m, fabs((double)x[i] - (double)x[i - 1]));
  return m;
}

/* Energy above split_hz (to 20 kHz) over energy from lo_hz to split_hz, dB. */
static inline double vc_tilt_db(const float *x, size_t n, double rate, double lo_hz, double split_hz) {
  double *sp = sig_spectrum(x, n, 1);
  double r = sig_band_energy(sp, n, rate, split_hz, 20000) / sig_band_energy(sp, n, rate, lo_hz, split_hz);
  free(sp);
  return 10 * log10(r);
}

/* A note of a family's patch at fs, malloc'd (the test file's renderer). */
typedef float *vc_render_fn(const void *patch, float hz, float velocity, size_t n);

/* The tilt (vc_tilt_db) of n frames of a note at hz, at velocity soft and
 * at hard: tilt[0], tilt[1]. */
static inline void vc_velocity_tilts(vc_render_fn *render, const void *patch, float hz, float soft, float hard,
                                     size_t n, double rate, double lo_hz, double split_hz, double tilt[2]) {
  const float vel[2] = {soft, hard};
  for (int k = 0; k < 2; k++) {
    float *x = render(patch, hz, vel[k], n);
    tilt[k] = vc_tilt_db(x, n, rate, lo_hz, split_hz);
    free(x);
  }
}

/* A line fitted to points one at a time: vc_line_add, then vc_line_slope. */
typedef struct vc_line { double sx, sy, sxx, sxy; int n; } vc_line;
static inline void vc_line_add(vc_line *l, double x, double y) {
  l->sx += x, l->sy += y, l->sxx += x * x, l->sxy += x * y, l->n++;
}
static inline double vc_line_slope(const vc_line *l) {
  return (l->n * l->sxy - l->sx * l->sy) / (l->n * l->sxx - l->sx * l->sx);
}

#endif
