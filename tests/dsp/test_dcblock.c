/* dcblock.c: DC removed, audio passed. */
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

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_removes_dc_keeps_audio)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
