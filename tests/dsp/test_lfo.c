/* lfo.c: rate and range, read per block. */
#include "dsp/dsp.h"
#include "support/harness.h"

static void test_rate_and_range(void **state) {
  (void)state;
  lull_lfo l;
  lull__lfo_init(&l, 0.5f, 48000.0f, 0.0f);
  /* One value per 64-frame block over 20 s: 10 cycles, range [-1, 1]. */
  float prev = lull__lfo_next(&l, 64), lo = 1, hi = -1;
  int ups = 0;
  for (int b = 1; b < 20 * 750; b++) {
    float v = lull__lfo_next(&l, 64);
    if (prev < 0 && v >= 0) ups++;
    lo = fminf(lo, v), hi = fmaxf(hi, v);
    prev = v;
  }
  ASSERT_EQ_INT(ups, 9); /* upward crossings at 2, 4, .. 18 s (0 and 20 are the ends) */
  ASSERT_NEAR(lo, -1.0, 1e-3);
  ASSERT_NEAR(hi, 1.0, 1e-3);
  /* A quarter turn after 0.5 s (0.5 Hz): sin(pi/2) = 1. */
  lull_lfo m;
  lull__lfo_init(&m, 0.5f, 48000.0f, 0.0f);
  (void)lull__lfo_next(&m, 24000);
  ASSERT_NEAR(lull__lfo_next(&m, 0), 1.0, 1e-5);
  lull__lfo_init(&m, 0.5f, 48000.0f, 0.25f);
  ASSERT_NEAR(lull__lfo_next(&m, 0), 1.0, 1e-5);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_rate_and_range)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
