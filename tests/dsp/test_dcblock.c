/* dcblock.c: DC removed, audio passed; the stereo scan is the same filter. */
#include <stdlib.h>

#include "dsp/dsp.h"
#include "support/harness.h"
#include "support/signal.h"

static void test_removes_dc_keeps_audio(void **state) {
  (void)state;
  enum { N = 96000 };
  float *x = malloc(sizeof(float) * N);
  lull_dcblock d;
  lull__dcblock_init(&d, 10.0f, 48000.0f);
  for (int i = 0; i < N; i++) x[i] = 0.5f + 0.25f * (float)sin(2 * M_PI * 440.0 * i / 48000.0);
  lull__dcblock_process(&d, x, x, N);
  ASSERT_LE(fabs(sig_mean(x + N / 2, N / 2, 1)), 1e-3);
  ASSERT_NEAR(sig_db(sig_rms(x + N / 2, N / 2, 1) / (0.25 / sqrt(2.0))), 0.0, 0.05);
  free(x);
}

/* The master's stereo blocker runs eight frames a step as a scan
 * (lull__dcblock_scan): the same filter as the recurrence, computed in
 * double, within 4e-6 (-108 dBFS; the recurrence in float is off by about
 * 1e-6 itself) on music-level noise with a DC offset, in blocks of
 * lengths that leave tails of every size, on both channels. */
static void test_scan_is_the_recurrence(void **state) {
  (void)state;
  enum { N = 48000 };
  float *l = malloc(sizeof(float) * N), *r = malloc(sizeof(float) * N);
  double *ref = malloc(sizeof(double) * N);
  lull_noise nz;
  lull__noise_init(&nz, lull_test_seed(4));
  for (int i = 0; i < N; i++) l[i] = 0.2f + 0.5f * lull__noise_next(&nz), r[i] = -l[i];
  lull_dcblock dl, dr;
  lull__dcblock_init(&dl, 10.0f, 48000.0f);
  lull__dcblock_init(&dr, 10.0f, 48000.0f);
  double x1 = 0, y1 = 0;
  for (int i = 0; i < N; i++) {
    y1 = (double)dl.r * y1 + ((double)l[i] - x1);
    x1 = l[i];
    ref[i] = y1;
  }
  const size_t lengths[] = {64, 1, 7, 8, 9, 15, 16, 17, 63};
  double most = 0;
  for (size_t i = 0, k = 0; i < N; k++) {
    size_t n = lengths[k % 9] < N - i ? lengths[k % 9] : N - i;
    lull__dcblock_process2(&dl, &dr, l + i, r + i, n);
    i += n;
  }
  for (int i = 0; i < N; i++) {
    most = fmax(most, fabs(l[i] - ref[i]));
    ASSERT_EQ_INT(r[i] == -l[i], 1); /* the channels are the same filter */
  }
  printf("# scan against the recurrence in double: at most %.3g\n", most);
  ASSERT_LE(most, 4e-6);
  ASSERT_LE(fabs(sig_mean(l + N / 2, N / 2, 1)), 1e-2); /* the 0.2 is gone */
  free(l), free(r), free(ref);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_removes_dc_keeps_audio),
                                     cmocka_unit_test(test_scan_is_the_recurrence)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
