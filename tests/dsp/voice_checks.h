/* Checks shared by the tests of the voice families (fm, pluck): the
 * largest step between frames (clicks), the spectral tilt (brightness), a
 * least-squares line (decay rates). Header-only, static. */
#ifndef LULL_TEST_VOICE_CHECKS_H
#define LULL_TEST_VOICE_CHECKS_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

/* A scene for split invariance: the family's voice behind three calls.
 * start begins it afresh (first note), event(k) is the k-th event (a
 * retrigger, a release), render writes frames. */
typedef struct vc_scene {
  void *voice;
  void (*start)(void *voice);
  void (*event)(void *voice, int k);
  void (*render)(void *voice, float *out, uint32_t frames);
  const size_t *at; /* the events' frames, ascending */
  int events;
} vc_scene;

/* Runs the scene into out[0..n) with renders of the block sizes given
 * (cycled), cut at the events' frames. */
static inline void vc_scene_run(const vc_scene *s, float *out, size_t n, const uint32_t *blocks, size_t nblocks) {
  s->start(s->voice);
  size_t done = 0, b = 0;
  int e = 0;
  while (done < n) {
    size_t m = blocks[b++ % nblocks];
    if (m > n - done) m = n - done;
    if (e < s->events && done + m > s->at[e]) m = s->at[e] - done;
    if (m == 0) {
      s->event(s->voice, e++);
      continue;
    }
    s->render(s->voice, out + done, (uint32_t)m);
    done += m;
  }
}

/* The scene rendered whole and in odd blocks (1, 63, 200, 7, ...): whether
 * the two are bit-identical. *rms: the RMS of it (it must sound). */
static inline int vc_split_invariant(const vc_scene *s, size_t n, double *rms) {
  float *a = malloc(sizeof(float) * n), *b = malloc(sizeof(float) * n);
  const uint32_t whole[] = {(uint32_t)n}, split[] = {1, 63, 200, 7, 4096, 333, 1024, 5};
  vc_scene_run(s, a, n, whole, 1);
  vc_scene_run(s, b, n, split, 8);
  int same = memcmp(a, b, sizeof(float) * n) == 0;
  *rms = sig_rms(a, n, 1);
  free(a);
  free(b);
  return same;
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
