/* env.c: the eight-lane ADSR. Segment times within 1 ms, levels within 1 %,
 * release from the current level, click-free retrigger, lanes independent. */
#include <stdlib.h>

#include "dsp/dsp.h"
#include "support/harness.h"

#define FS 48000.0f
#define MS(frames) ((double)(frames) * 1000.0 / FS)

/* Run the envelope frame by frame the way the engine does (never past a
 * segment end) and record lane's level per frame. */
static size_t run(lull_adsr8 *e, int lane, float *out, size_t frames) {
  size_t n = 0;
  while (n < frames) {
    uint32_t left = lull__adsr8_frames_left(e);
    uint32_t chunk = (uint32_t)(frames - n < 64 ? frames - n : 64);
    if (left < chunk) chunk = left;
    for (uint32_t i = 0; i < chunk; i++) {
      out[n++] = e->level[lane];
      e->level += e->step;
    }
    lull__adsr8_advance(e, chunk);
  }
  return n;
}

/* First frame at which level reaches target (from below or above). */
static size_t first_at(const float *x, size_t n, float target, int rising) {
  for (size_t i = 0; i < n; i++)
    if (rising ? x[i] >= target - 1e-6f : x[i] <= target + 1e-6f) return i;
  return n;
}

static void test_seed_pad_envelope(void **state) {
  (void)state;
  lull_adsr_config cfg = {500, 2000, 0.7f, 1000};
  lull_adsr8 e;
  lull__adsr8_init(&e, &cfg, FS);
  lull__adsr8_gate_on(&e, 3);
  size_t n = (size_t)(4.0f * FS);
  float *x = malloc(sizeof(float) * n);
  run(&e, 3, x, n);
  size_t peak = first_at(x, n, 1.0f, 1);
  ASSERT_NEAR(MS(peak), 500.0, 1.0);
  ASSERT_NEAR(x[peak / 2], 0.5, 0.01);                 /* linear attack */
  size_t sus = peak + first_at(x + peak, n - peak, 0.7f, 0);
  ASSERT_NEAR(MS(sus - peak), 2000.0, 1.0);
  ASSERT_NEAR(x[sus + 1000], 0.7, 0.007);              /* sustain within 1 % */
  ASSERT_NEAR(x[(peak + sus) / 2], 0.85, 0.0085);      /* halfway down the decay */
  /* Other lanes never moved. */
  ASSERT_EQ_INT(e.stage[0], LULL_ADSR_IDLE);
  ASSERT_NEAR(e.level[0], 0.0, 0.0);
  /* Release: from 0.7 to 0 in 1000 ms. */
  lull__adsr8_gate_off(&e, 3);
  run(&e, 3, x, n);
  size_t end = first_at(x, n, 0.0f, 0);
  ASSERT_NEAR(MS(end), 1000.0, 1.0);
  ASSERT_NEAR(x[0], 0.7, 0.007);
  ASSERT_EQ_INT(e.stage[3], LULL_ADSR_IDLE);
  free(x);
}

static void test_release_from_current_level(void **state) {
  (void)state;
  lull_adsr_config cfg = {50, 100, 0.8f, 200};
  lull_adsr8 e;
  lull__adsr8_init(&e, &cfg, FS);
  lull__adsr8_gate_on(&e, 0);
  float x[48000];
  run(&e, 0, x, 1200); /* 25 ms: halfway up the attack */
  float at = e.level[0];
  ASSERT_NEAR(at, 0.5, 0.01);
  lull__adsr8_gate_off(&e, 0);
  run(&e, 0, x, 48000);
  ASSERT_NEAR(x[0], at, 1e-6); /* no jump */
  size_t end = first_at(x, 48000, 0.0f, 0);
  ASSERT_NEAR(MS(end), 200.0, 1.0);
  ASSERT_NEAR(x[end / 2], at * 0.5, 0.01);
}

static void test_retrigger_is_continuous(void **state) {
  (void)state;
  lull_adsr_config cfg = {50, 100, 0.8f, 200};
  lull_adsr8 e;
  lull__adsr8_init(&e, &cfg, FS);
  lull__adsr8_gate_on(&e, 5);
  float x[24000];
  run(&e, 5, x, 9600);
  lull__adsr8_gate_off(&e, 5);
  run(&e, 5, x, 4800); /* 100 ms into the release: level 0.4 */
  float before = e.level[5];
  ASSERT_NEAR(before, 0.4, 0.01);
  lull__adsr8_gate_on(&e, 5);
  run(&e, 5, x, 24000);
  /* The largest step is the attack's own slope (1/2400 per frame); the
   * snap to exactly 1 at its end may add float rounding of the ramp. */
  float worst = fabsf(x[0] - before);
  for (int i = 1; i < 24000; i++) worst = fmaxf(worst, fabsf(x[i] - x[i - 1]));
  ASSERT_LE(worst, 1.1 / 2400.0);
  /* From 0.4 at the attack's slope: 1 is reached after 60 % of 50 ms. */
  ASSERT_NEAR(MS(first_at(x, 24000, 1.0f, 1)), 30.0, 1.0);
}

static void test_zero_times(void **state) {
  (void)state;
  lull_adsr_config cfg = {0, 0, 1.0f, 0};
  lull_adsr8 e;
  lull__adsr8_init(&e, &cfg, FS);
  lull__adsr8_gate_on(&e, 1); /* zero-length attack and decay pass at once */
  ASSERT_NEAR(e.level[1], 1.0, 0);
  ASSERT_EQ_INT(e.stage[1], LULL_ADSR_SUSTAIN);
  ASSERT_EQ_INT(lull__adsr8_frames_left(&e), UINT32_MAX);
  lull__adsr8_gate_off(&e, 1);
  ASSERT_EQ_INT(e.stage[1], LULL_ADSR_IDLE);
  ASSERT_NEAR(e.level[1], 0.0, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_seed_pad_envelope),
      cmocka_unit_test(test_release_from_current_level),
      cmocka_unit_test(test_retrigger_is_continuous),
      cmocka_unit_test(test_zero_times),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
