/* smooth.c: one-pole smoother time constant; block form equals per-sample. */
#include "dsp/dsp.h"
#include "support/harness.h"

static void test_time_constant(void **state) {
  (void)state;
  lull_smooth s;
  lull__smooth_init(&s, 0.0f, 50.0f, 48000.0f);
  lull__smooth_set(&s, 1.0f);
  for (int i = 0; i < 2400; i++) lull__smooth_tick(&s); /* 50 ms */
  ASSERT_NEAR(s.value, 1.0 - exp(-1.0), 0.002);
  for (int i = 0; i < 4 * 2400; i++) lull__smooth_tick(&s); /* 250 ms in all */
  ASSERT_GE(s.value, 0.99);
}

static void test_block_equals_ticks(void **state) {
  (void)state;
  lull_smooth a, b;
  lull__smooth_init(&a, 0.2f, 30.0f, 48000.0f);
  lull__smooth_init(&b, 0.2f, 30.0f, 48000.0f);
  lull__smooth_set(&a, -0.7f);
  lull__smooth_set(&b, -0.7f);
  for (int k = 0; k < 40; k++) {
    for (int i = 0; i < 64; i++) lull__smooth_tick(&a);
    ASSERT_NEAR(lull__smooth_next(&b, 64), a.value, 1e-4);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_time_constant), cmocka_unit_test(test_block_equals_ticks)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
