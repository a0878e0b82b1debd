/* pool.c: the stealing rule (idle, then quietest releasing, then oldest)
 * and that a steal never steps the waveform. */
#include <stdlib.h>

#include "support/engine_util.h"
#include "support/harness.h"
#include "synth/synth_int.h"

static float *tables;
static lull_wavetable wt;

static int setup(void **state) {
  (void)state;
  tables = malloc(sizeof(float) * lull__wavetable_floats());
  lull__wavetable_init(&wt, 48000.0f, tables);
  return 0;
}
static int teardown(void **state) {
  (void)state;
  free(tables);
  return 0;
}

static void test_pool_size(void **state) {
  (void)state;
  ASSERT_GE(LULL_VOICE_COUNT, 32);
  int lanes = 0;
  for (int p = 0; p < LULL_PART_COUNT; p++) lanes += lull__part_slots[p].banks * lull__part_slots[p].lanes;
  ASSERT_EQ_INT(lanes, LULL_VOICE_COUNT);
}

static void test_steals_quietest_release_then_oldest(void **state) {
  (void)state;
  lull_pool *p = aligned_alloc(64, (sizeof *p + 63) / 64 * 64);
  lull__pool_init(p, &wt, 48000.0f, 1);
  /* Fill all 16 pad voices. */
  for (int i = 0; i < 16; i++) lull__pool_note_on(p, LULL_PART_PAD, 40 + i, 0.5f, 0, 0);
  ASSERT_EQ_INT(lull__pool_active_voices(p), 16);
  ASSERT_EQ_INT(p->stolen, 0);
  /* Release two at different times: 41 first (it will be quieter). */
  lull__pool_note_off(p, LULL_PART_PAD, 41);
  lull_mix_bus bus;
  float buf[4][LULL_MAX_BLOCK];
  bus.left = buf[0], bus.right = buf[1], bus.reverb = buf[2], bus.delay = buf[3];
  uint64_t now = 0;
  for (int i = 0; i < 200; i++, now += 64) lull__pool_render(p, &bus, 64, now);
  lull__pool_note_off(p, LULL_PART_PAD, 50);
  for (int i = 0; i < 10; i++, now += 64) lull__pool_render(p, &bus, 64, now);
  lull__pool_note_on(p, LULL_PART_PAD, 90, 0.5f, 0, now);
  ASSERT_EQ_INT(p->stolen, 1);
  /* 41 was the quieter releasing voice: it is gone, 50 still releases. */
  int has41 = 0, has50 = 0, has90 = 0, has40 = 0;
  for (int k = 0; k < 2; k++)
    for (int j = 0; j < 8; j++) {
      has41 |= p->bank[k].pitch[j] == 41;
      has50 |= p->bank[k].pitch[j] == 50;
      has90 |= p->bank[k].pitch[j] == 90;
      has40 |= p->bank[k].pitch[j] == 40;
    }
  ASSERT_TRUE(!has41 && has50 && has90 && has40);
  /* Now two more: first takes 50 (releasing), then the oldest held: 40. */
  lull__pool_note_on(p, LULL_PART_PAD, 91, 0.5f, 0, now);
  lull__pool_note_on(p, LULL_PART_PAD, 92, 0.5f, 0, now);
  has40 = has50 = 0;
  for (int k = 0; k < 2; k++)
    for (int j = 0; j < 8; j++) has40 |= p->bank[k].pitch[j] == 40, has50 |= p->bank[k].pitch[j] == 50;
  ASSERT_TRUE(!has40 && !has50);
  ASSERT_EQ_INT(p->stolen, 3);
  free(p);
}

/* A steal in the middle of a sounding chord: the largest sample-to-sample
 * step around it is no larger than in the chord before it. */
static void test_steal_is_click_free(void **state) {
  (void)state;
  lull_engine *e = test_engine(1);
  for (int i = 0; i < 16; i++) test_note(e, 0, LULL_PART_PAD, LULL_EVENT_ON, 48 + i, 0.8f, 0);
  test_note(e, 96000, LULL_PART_PAD, LULL_EVENT_ON, 84, 0.8f, 0);
  float *x = test_render(e, 120000, 960);
  lull_engine_stats st;
  lull_engine_get_stats(e, &st);
  ASSERT_EQ_INT(st.voices_stolen, 1);
  double before = 0, around = 0;
  for (int i = 48000; i < 96000; i++) before = fmax(before, fabs(x[2 * i] - x[2 * i - 2]));
  for (int i = 96000; i < 100000; i++) around = fmax(around, fabs(x[2 * i] - x[2 * i - 2]));
  printf("# largest step: %.4f before, %.4f around the steal\n", before, around);
  ASSERT_LE(around, before * 1.25);
  free(x);
  lull_engine_destroy(e);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_pool_size),
                                     cmocka_unit_test(test_steals_quietest_release_then_oldest),
                                     cmocka_unit_test(test_steal_is_click_free)};
  return cmocka_run_group_tests(tests, setup, teardown);
}
