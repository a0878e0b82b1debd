/* delay.c: echoes at the left and right times in seconds, alternating
 * sides, each quieter by the feedback; the slow modulation keeps each echo
 * within its depth of the base time and moves the taps without a jump. */
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

/* An impulse: a 2 ms Hann pulse (one-signed, so its peak is one place;
 * its energy is well below the damping) into the left line; the echoes'
 * peaks measured. */
static void echoes(float mod_ms, size_t at[3], float level[3], float *other) {
  float *mem = calloc(lull__delay_floats(FS, 1.5f), sizeof(float));
  lull_delay d;
  lull_delay_config cfg = {0.83f, 1.29f, 0.35f, mod_ms};
  lull__delay_init(&d, &cfg, FS, 1.5f, mem);
  size_t n = (size_t)(4.0f * FS);
  float *in = calloc(n, sizeof(float)), *l = calloc(n, sizeof(float)), *r = calloc(n, sizeof(float));
  for (int i = 0; i < 96; i++) in[i] = (float)(0.5 * (1 - cos(2 * M_PI * i / 96.0)));
  run(&d, l, r, in, n);
  float in_peak;
  size_t p0 = peak_at(in, 0, 96, &in_peak);
  const size_t tl = (size_t)(0.83 * FS), tr = (size_t)(1.29 * FS);
  at[0] = peak_at(l, tl - 400, tl + 880, &level[0]) - p0;          /* left, after the left time */
  at[1] = peak_at(r, tl + tr - 400, tl + tr + 880, &level[1]) - p0; /* right, after both */
  at[2] = peak_at(l, 2 * tl + tr - 400, 2 * tl + tr + 880, &level[2]) - p0;
  for (int i = 0; i < 3; i++) level[i] /= in_peak;
  peak_at(r, tl - 400, tl + 880, other); /* the first echo is on the left only */
  free(in), free(l), free(r), free(mem);
}

static void test_echo_times_and_levels(void **state) {
  (void)state;
  size_t at[3];
  float level[3], other;
  echoes(0.0f, at, level, &other);
  printf("# echoes at %.4f s (L), %.4f s (R), %.4f s (L)\n", at[0] / (double)FS, at[1] / (double)FS, at[2] / (double)FS);
  ASSERT_NEAR((double)at[0], 0.83 * FS, 1);
  ASSERT_NEAR((double)at[1], (0.83 + 1.29) * FS, 2);
  ASSERT_NEAR((double)at[2], (2 * 0.83 + 1.29) * FS, 3);
  ASSERT_NEAR(level[0], 1.0, 0.03);
  ASSERT_NEAR(level[1] / level[0], 0.35, 0.35 * 0.05);
  ASSERT_NEAR(level[2] / level[1], 0.35, 0.35 * 0.05);
  ASSERT_LE(other, 1e-6);
  /* Neither time is a whole number of beats at any tempo the engine takes
   * near a common one, nor a simple ratio of the other. */
  ASSERT_GE(fabs(1.29 / 0.83 - 1.5), 0.05);
}

/* With the modulation on, every echo stays within its depth (1.5 ms) of
 * the unmodulated one, and it does move. */
static void test_modulation_within_depth(void **state) {
  (void)state;
  size_t still[3], moved[3];
  float level[3], other;
  echoes(0.0f, still, level, &other);
  echoes(1.5f, moved, level, &other);
  double most = 0;
  for (int i = 0; i < 3; i++) {
    double diff = fabs((double)moved[i] - (double)still[i]);
    printf("# echo %d moved by %.2f ms\n", i, diff / FS * 1e3);
    ASSERT_LE(diff, (i + 1) * 1.5e-3 * FS + 2); /* echo i passed i + 1 times, each within the depth */
    most = fmax(most, diff);
  }
  ASSERT_GE(most, 3.0); /* it moves */
}

/* The taps glide: from one control period to the next a tap moves by far
 * less than a frame (no zipper, no jump). */
static void test_taps_glide(void **state) {
  (void)state;
  float *mem = calloc(lull__delay_floats(FS, 1.5f), sizeof(float));
  lull_delay d;
  lull_delay_config cfg = {0.83f, 1.29f, 0.35f, 1.5f};
  lull__delay_init(&d, &cfg, FS, 1.5f, mem);
  float z[64] = {0}, l[64], r[64], prev[2] = {d.time_base[0], d.time_base[1]}, worst = 0, lo = 1e9f, hi = 0;
  for (int i = 0; i < 48000 * 30 / 64; i++) {
    lull__delay_control(&d);
    lull__delay_process(&d, l, r, z, z, 64);
    for (int c = 0; c < 2; c++) {
      worst = fmaxf(worst, fabsf(d.time_base[c] - prev[c]));
      prev[c] = d.time_base[c];
    }
    lo = fminf(lo, d.time_base[0]), hi = fmaxf(hi, d.time_base[0]);
  }
  printf("# left tap %.2f..%.2f frames, largest step per period %.4f frames\n", (double)lo, (double)hi, (double)worst);
  ASSERT_LE(worst, 0.05);
  ASSERT_NEAR(hi - lo, 2 * 1.5e-3 * FS, 3); /* 30 s covers the left LFO's whole swing */
  free(mem);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_echo_times_and_levels),
                                     cmocka_unit_test(test_modulation_within_depth),
                                     cmocka_unit_test(test_taps_glide)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
