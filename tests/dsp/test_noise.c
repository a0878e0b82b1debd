/* noise.c: seeded, uniform in [-1, 1), white, lanes independent. */
#include <stdlib.h>

#include "dsp/dsp.h"
#include "support/harness.h"
#include "support/signal.h"

enum { N = 1 << 16 };

static void test_seeded(void **state) {
  (void)state;
  uint64_t seed = lull_test_seed(42);
  lull_noise a, b, c;
  lull__noise_init(&a, seed);
  lull__noise_init(&b, seed);
  lull__noise_init(&c, seed + 1);
  int differ = 0;
  for (int i = 0; i < 1000; i++) {
    float x = lull__noise_next(&a), y = lull__noise_next(&b), z = lull__noise_next(&c);
    ASSERT_NEAR(x, y, 0);
    differ += x != z;
  }
  ASSERT_GE(differ, 990);
  lull_noise zero;
  lull__noise_init(&zero, 0); /* seed 0 is valid and not stuck */
  ASSERT_TRUE(lull__noise_next(&zero) != lull__noise_next(&zero));
}

static void test_uniform_and_white(void **state) {
  (void)state;
  lull_noise n;
  lull__noise_init(&n, lull_test_seed(1));
  float *x = malloc(sizeof(float) * N);
  for (int i = 0; i < N; i++) {
    x[i] = lull__noise_next(&n);
    ASSERT_TRUE(x[i] >= -1.0f && x[i] < 1.0f);
  }
  ASSERT_NEAR(sig_mean(x, N, 1), 0.0, 0.01);
  ASSERT_NEAR(sig_rms(x, N, 1), 1.0 / sqrt(3.0), 0.01 / sqrt(3.0));
  /* Flat: energy of the lower and upper half of the spectrum within 0.5 dB. */
  double *spec = sig_spectrum(x, N, 1), lo = 0, hi = 0;
  for (int i = 1; i < N / 4; i++) lo += spec[i] * spec[i];
  for (int i = N / 4; i < N / 2; i++) hi += spec[i] * spec[i];
  ASSERT_NEAR(10 * log10(lo / hi), 0.0, 0.5);
  free(spec);
  free(x);
}

static void test_lanes_uncorrelated(void **state) {
  (void)state;
  lull_noise8 n;
  lull__noise8_init(&n, 9);
  double s[8] = {0}, c01 = 0, c07 = 0;
  for (int i = 0; i < N; i++) {
    v8f v = lull__noise8_next(&n);
    for (int j = 0; j < 8; j++) s[j] += v[j] * v[j];
    c01 += v[0] * v[1];
    c07 += v[0] * v[7];
  }
  ASSERT_LE(fabs(c01 / sqrt(s[0] * s[1])), 0.02);
  ASSERT_LE(fabs(c07 / sqrt(s[0] * s[7])), 0.02);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_seeded), cmocka_unit_test(test_uniform_and_white),
                                     cmocka_unit_test(test_lanes_uncorrelated)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
