/* delay.c: echoes at beats * 60 / bpm, alternating sides, each quieter by
 * the feedback; a tempo change glides the time to the new value. */
#include <stdlib.h>

#include "dsp/dsp.h"
#include "support/harness.h"

#define FS 48000.0f

/* Index and value of the largest |x| in [from, to). */
static size_t peak_at(const float *x, size_t from, size_t to, float *val) {
  size_t best = from;
  for (size_t i = from; i < to; i++)
    if (fabsf(x[i]) > fabsf(x[best])) best = i;
  *val = fabsf(x[best]);
  return best;
}

static void run(lull_delay *d, float *l, float *r, const float *in, size_t n) {
  static float zero[64];
  for (size_t i = 0; i < n; i += 64) {
    size_t k = n - i < 64 ? n - i : 64;
    lull__delay_control(d);
    lull__delay_process(d, l + i, r + i, in + i, zero, k);
  }
}

static void test_echo_times_and_levels(void **state) {
  (void)state;
  float *mem = calloc(lull__delay_floats(FS, 2.5f), sizeof(float));
  lull_delay d;
  lull__delay_init(&d, FS, 2.5f, 0.75f, 0.35f, 120.0f, mem);
  size_t n = (size_t)(2.0f * FS);
  float *in = calloc(n, sizeof(float)), *l = calloc(n, sizeof(float)), *r = calloc(n, sizeof(float));
  /* A 200 Hz Hann burst: well below the 4 kHz damping. */
  for (int i = 0; i < 480; i++) in[i] = (float)(sin(2 * M_PI * 200.0 * i / FS) * 0.5 * (1 - cos(2 * M_PI * i / 480.0)));
  run(&d, l, r, in, n);
  const size_t t = (size_t)(0.75 * 0.5 * FS); /* 0.75 beat at 120 bpm = 18000 frames */
  float in_peak, e1, e2, e3;
  size_t p0 = peak_at(in, 0, 480, &in_peak);
  size_t p1 = peak_at(l, t - 100, t + 580, &e1);
  size_t p2 = peak_at(r, 2 * t - 100, 2 * t + 580, &e2);
  size_t p3 = peak_at(l, 3 * t - 100, 3 * t + 580, &e3);
  ASSERT_NEAR((double)(p1 - p0), (double)t, 1);
  ASSERT_NEAR((double)(p2 - p0), 2.0 * t, 2);
  ASSERT_NEAR((double)(p3 - p0), 3.0 * t, 3);
  ASSERT_NEAR(e1 / in_peak, 1.0, 0.02);
  ASSERT_NEAR(e2 / e1, 0.35, 0.35 * 0.05);
  ASSERT_NEAR(e3 / e2, 0.35, 0.35 * 0.05);
  float other;
  peak_at(r, t - 100, t + 580, &other); /* the first echo is on the left only */
  ASSERT_LE(other, 1e-6);
  free(in), free(l), free(r), free(mem);
}

static void test_tempo_change_glides(void **state) {
  (void)state;
  float *mem = calloc(lull__delay_floats(FS, 2.5f), sizeof(float));
  lull_delay d;
  lull__delay_init(&d, FS, 2.5f, 0.75f, 0.35f, 120.0f, mem);
  lull__delay_set_bpm(&d, 60.0f);
  float prev = d.time_frames.value;
  size_t n = (size_t)(3.0f * FS); /* 12 time constants */
  float *z = calloc(n, sizeof(float)), *l = calloc(n, sizeof(float)), *r = calloc(n, sizeof(float));
  float worst_step = 0;
  for (size_t i = 0; i < n; i += 64) {
    lull__delay_control(&d);
    lull__delay_process(&d, l + i, r + i, z + i, z + i, 64);
    worst_step = fmaxf(worst_step, fabsf(d.time_frames.value - prev));
    prev = d.time_frames.value;
  }
  ASSERT_NEAR(d.time_frames.value, 0.75 * FS, 2.0); /* 0.75 beat at 60 bpm */
  ASSERT_LE(worst_step, 0.75 * FS * 0.5 * 64 / (0.25 * FS) + 1); /* no jump: <= the first block's glide */
  free(z), free(l), free(r), free(mem);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_echo_times_and_levels),
                                     cmocka_unit_test(test_tempo_change_glides)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
