/* The composer through the engine: ten minutes at intensity 0.1, 0.5 and
 * 0.9 each measure -16 LUFS +- 2 integrated with a true peak at or below
 * -1 dBTP (EBU R 128 via libebur128). */
#include <ebur128.h>
#include <stdlib.h>

#include "lull/engine.h"
#include "support/compose_util.h"
#include "support/harness.h"

static void measure(float intensity, uint64_t seed) {
  lull_composer *c = make_composer(9, LULL_MODE_AEOLIAN, 64, intensity, seed);
  lull_engine *e;
  ASSERT_EQ_INT(lull_engine_create(NULL, &e, NULL), LULL_OK);
  ebur128_state *m = ebur128_init(2, 48000, EBUR128_MODE_I | EBUR128_MODE_TRUE_PEAK);
  float *buf = malloc(sizeof(float) * 2 * 4800);
  lull_event ev[128];
  for (uint64_t pos = 0; pos < 10ull * 60 * 48000; pos += 4800) {
    size_t n;
    while ((n = lull__composer_fill(c, pos + 4800, ev, 128)) > 0)
      for (size_t i = 0; i < n; i++) ASSERT_EQ_INT(lull_engine_schedule(e, &ev[i]), LULL_OK);
    lull_engine_render(e, buf, 4800);
    ebur128_add_frames_float(m, buf, 4800);
  }
  double lufs, tp0, tp1;
  ebur128_loudness_global(m, &lufs);
  ebur128_true_peak(m, 0, &tp0);
  ebur128_true_peak(m, 1, &tp1);
  double tp = 20 * log10(fmax(tp0, tp1));
  printf("# intensity %.1f: %.1f LUFS, true peak %.2f dBTP\n", (double)intensity, lufs, tp);
  ASSERT_NEAR(lufs, -16.0, 2.0);
  ASSERT_LE(tp, -1.0);
  ebur128_destroy(&m);
  free(buf);
  lull_engine_destroy(e);
  lull__composer_destroy(c);
}

static void test_loudness(void **state) {
  (void)state;
  uint64_t seed = lull_test_seed(31);
  measure(0.1f, seed);
  measure(0.5f, seed);
  measure(0.9f, seed);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_loudness)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
