/* engine.c: config validation naming each field, the abuse sweep over the
 * public entry points, determinism, and the output's bounds. */
#include <stdlib.h>
#include <string.h>

#include "support/engine_util.h"
#include "support/harness.h"
#include "support/signal.h"

static void expect_bad_config(lull_engine_config cfg, const char *field, const char *range) {
  lull_engine *e = (lull_engine *)&cfg; /* must be reset to NULL */
  lull_diag d;
  memset(&d, 0, sizeof d);
  ASSERT_EQ_INT(lull_engine_create(&cfg, &e, &d), LULL_ERANGE);
  ASSERT_TRUE(e == NULL);
  ASSERT_STR_CONTAINS(d.field, field);
  ASSERT_STR_CONTAINS(d.message, range);
}

static void test_config_validation(void **state) {
  (void)state;
  expect_bad_config((lull_engine_config){.sample_rate_hz = 8000}, "sample_rate_hz", "22050..192000");
  expect_bad_config((lull_engine_config){.bpm = 200}, "bpm", "30..180");
  expect_bad_config((lull_engine_config){.bpm = -5}, "bpm", "30..180");
  expect_bad_config((lull_engine_config){.bpm = NAN}, "bpm", "30..180");
  expect_bad_config((lull_engine_config){.reverb_decay_s = 11}, "reverb_decay_s", "2..10");
  expect_bad_config((lull_engine_config){.master_gain_db = 30}, "master_gain_db", "-24..24");
  expect_bad_config((lull_engine_config){.event_capacity = (1u << 20) + 1}, "event_capacity", "1..");
  lull_engine *e = NULL;
  ASSERT_EQ_INT(lull_engine_create(NULL, &e, NULL), LULL_OK); /* NULL config = defaults */
  lull_engine_destroy(e);
  ASSERT_EQ_INT(lull_engine_create(NULL, NULL, NULL), LULL_EINVAL);
  lull_engine_config c44 = {.sample_rate_hz = 44100};
  ASSERT_EQ_INT(lull_engine_create(&c44, &e, NULL), LULL_OK);
  lull_engine_destroy(e);
}

static void test_abuse_sweep(void **state) {
  (void)state;
  lull_engine_destroy(NULL);
  lull_engine *e = test_engine(0);
  lull_event ok = {0, 0, LULL_PART_LEAD, LULL_EVENT_ON, 60, 0, 0.5f};
  lull_event bad = ok;
  ASSERT_EQ_INT(lull_engine_schedule(NULL, &ok), LULL_EINVAL);
  ASSERT_EQ_INT(lull_engine_schedule(e, NULL), LULL_EINVAL);
  bad.part = LULL_PART_COUNT;
  ASSERT_EQ_INT(lull_engine_schedule(e, &bad), LULL_EINVAL);
  bad = ok, bad.kind = 7;
  ASSERT_EQ_INT(lull_engine_schedule(e, &bad), LULL_EINVAL);
  bad = ok, bad.pitch = 128;
  ASSERT_EQ_INT(lull_engine_schedule(e, &bad), LULL_EINVAL);
  bad = ok, bad.velocity = 1.5f;
  ASSERT_EQ_INT(lull_engine_schedule(e, &bad), LULL_EINVAL);
  bad = ok, bad.velocity = NAN;
  ASSERT_EQ_INT(lull_engine_schedule(e, &bad), LULL_EINVAL);
  ASSERT_EQ_INT(lull_engine_set_bpm(e, 29.9f), LULL_ERANGE);
  ASSERT_EQ_INT(lull_engine_set_bpm(e, 90.0f), LULL_OK);
  lull_engine_render(e, NULL, 0); /* zero frames: nothing happens */
  ASSERT_EQ_INT(lull_engine_position(e), 0);
  /* The heap fills and says so; nothing is lost before that. */
  int accepted = 0;
  while (lull_engine_schedule(e, &ok) == LULL_OK) accepted++;
  ASSERT_EQ_INT(accepted, 4096);
  ASSERT_EQ_INT(lull_engine_schedule(e, &ok), LULL_EFULL);
  float buf[2 * 64];
  lull_engine_render(e, buf, 64); /* 4096 lead notes at one frame: all steal, none crash */
  lull_engine_release_all(e);
  lull_engine_destroy(e);
}

static void schedule_phrase(lull_engine *e) {
  const int chord[2][4] = {{45, 52, 55, 60}, {41, 48, 52, 57}};
  for (int bar = 0; bar < 8; bar++) {
    uint64_t t = (uint64_t)bar * 96000;
    for (int i = 0; i < 4; i++) test_note(e, t, LULL_PART_PAD, LULL_EVENT_ON, chord[bar % 2][i], 0.8f, 96000);
    for (int b = 0; b < 4; b++) test_note(e, t + (uint64_t)b * 24000, LULL_PART_LEAD, LULL_EVENT_ON, 64 + (bar + b) % 5, 0.7f, 18000);
    test_note(e, t, LULL_PART_KICK, LULL_EVENT_HIT, 36, 0.9f, 0);
    test_note(e, t + 48000, LULL_PART_SWELL, LULL_EVENT_HIT, 60, 0.6f, 48000);
    test_note(e, t + 60000, LULL_PART_HAT, LULL_EVENT_HIT, 60, 0.5f, 0);
  }
}

static void test_deterministic_and_sane(void **state) {
  (void)state;
  const size_t frames = 8 * 96000;
  lull_engine *a = test_engine(0), *b = test_engine(0);
  schedule_phrase(a);
  schedule_phrase(b);
  float *x = test_render(a, frames, 960), *y = test_render(b, frames, 960);
  ASSERT_TRUE(memcmp(x, y, sizeof(float) * 2 * frames) == 0);
  ASSERT_EQ_INT(sig_nonfinite(x, 2 * frames), 0);
  double peak = sig_peak(x, 2 * frames, 1), rms = sig_rms(x, 2 * frames, 1);
  double dc_l = sig_mean(x, frames, 2), dc_r = sig_mean(x + 1, frames, 2);
  printf("# phrase: peak %.2f dBFS, rms %.2f dBFS, dc %.2g %.2g\n", sig_db(peak), sig_db(rms), dc_l, dc_r);
  ASSERT_LE(sig_db(peak), -1.0);
  ASSERT_LE(fabs(dc_l), 1e-3);
  ASSERT_LE(fabs(dc_r), 1e-3);
  ASSERT_GE(sig_db(rms), -30.0);
  ASSERT_LE(sig_db(rms), -8.0);
  if (sig_db(peak) > -1.0) lull_test_dump_wav("engine_phrase", x, frames, 2);
  free(x);
  free(y);
  lull_engine_destroy(a);
  lull_engine_destroy(b);
}

static void test_limiter_holds_when_driven(void **state) {
  (void)state;
  lull_engine_config cfg = {.master_gain_db = 24.0f};
  lull_engine *e;
  ASSERT_EQ_INT(lull_engine_create(&cfg, &e, NULL), LULL_OK);
  schedule_phrase(e);
  for (int i = 0; i < 16; i++) test_note(e, 1000, LULL_PART_PAD, LULL_EVENT_ON, 40 + i, 1.0f, 0);
  const size_t frames = 4 * 96000;
  float *x = test_render(e, frames, 333);
  ASSERT_LE(sig_peak(x, 2 * frames, 1), pow(10.0, -1.0 / 20.0) + 1e-6);
  lull_engine_stats st;
  lull_engine_get_stats(e, &st);
  ASSERT_LE(st.limiter_gain_min, 0.999); /* it did have to work */
  free(x);
  lull_engine_destroy(e);
}

static void test_dry_has_no_tail(void **state) {
  (void)state;
  lull_engine *dry = test_engine(1), *wet = test_engine(0);
  test_note(dry, 0, LULL_PART_LEAD, LULL_EVENT_ON, 69, 0.8f, 4800);
  test_note(wet, 0, LULL_PART_LEAD, LULL_EVENT_ON, 69, 0.8f, 4800);
  float *x = test_render(dry, 96000, 960), *y = test_render(wet, 96000, 960);
  /* 0.5 s after the release has ended: silence dry, a tail with effects. */
  ASSERT_LE(sig_peak(x + 2 * 48000, 48000, 1), 1e-6);
  ASSERT_GE(sig_rms(y + 2 * 48000, 48000, 1), 1e-4);
  free(x), free(y);
  lull_engine_destroy(dry);
  lull_engine_destroy(wet);
}

/* The delay runs free of the tempo: an engine at 60 bpm and one at 150 bpm
 * that is told 90 bpm midway (LULL_CONTROL_BPM and lull_engine_set_bpm)
 * render the same bits. */
static void test_tempo_moves_nothing(void **state) {
  (void)state;
  lull_engine_config c60 = {.bpm = 60}, c150 = {.bpm = 150};
  lull_engine *a, *b;
  ASSERT_EQ_INT(lull_engine_create(&c60, &a, NULL), LULL_OK);
  ASSERT_EQ_INT(lull_engine_create(&c150, &b, NULL), LULL_OK);
  schedule_phrase(a);
  schedule_phrase(b);
  lull_event bpm = {96000, 0, LULL_CONTROL_BPM, LULL_EVENT_SET, 0, 0, 90.0f};
  ASSERT_EQ_INT(lull_engine_schedule(b, &bpm), LULL_OK);
  bpm.velocity = 200.0f;
  ASSERT_EQ_INT(lull_engine_schedule(b, &bpm), LULL_EINVAL); /* still validated */
  const size_t frames = 3 * 96000;
  float *x = test_render(a, frames, 960);
  ASSERT_EQ_INT(lull_engine_set_bpm(b, 31.0f), LULL_OK);
  float *y = test_render(b, frames, 960);
  ASSERT_TRUE(memcmp(x, y, sizeof(float) * 2 * frames) == 0);
  free(x), free(y);
  lull_engine_destroy(a);
  lull_engine_destroy(b);
}

/* Grains read the voices' dry mix, not the output: at the master's +24 dB
 * a held shimmer over one bell dies away with them (it fed on itself when
 * it read the output: a level pinned at -6 dBFS). */
static void test_grains_do_not_feed_on_themselves(void **state) {
  (void)state;
  lull_engine_config cfg = {.master_gain_db = 24.0f};
  lull_engine *e;
  ASSERT_EQ_INT(lull_engine_create(&cfg, &e, NULL), LULL_OK);
  lull_event pal = {0, 0, LULL_CONTROL_PALETTE, LULL_EVENT_SET, 0, 0, (float)LULL_PALETTE_NIGHT};
  ASSERT_EQ_INT(lull_engine_schedule(e, &pal), LULL_OK);
  test_note(e, 100, LULL_PART_BELL, LULL_EVENT_ON, 76, 0.8f, 48000);
  test_note(e, 200, LULL_PART_SWELL, LULL_EVENT_ON, 64, 0.8f, 0); /* held: only the source can end it */
  const size_t frames = 40 * 48000;
  float *x = test_render(e, frames, 960);
  double early = sig_db(sig_rms(x + 2 * 48000, 2 * 48000, 1)), late = sig_db(sig_rms(x + 2 * (frames - 48000), 2 * 48000, 1));
  printf("# night, +24 dB, a held shimmer over one bell: %.1f dBFS at 1-2 s, %.1f dBFS at 39-40 s\n", early, late);
  ASSERT_GE(early, -40.0);
  ASSERT_LE(late, -70.0);
  free(x);
  lull_engine_destroy(e);
}

/* The profile (lull bench --stages): off, no ticks counted; on, the stages
 * that ran count, the ones that did not (dry: delay and reverb) count
 * nothing, and the samples are the same as without it. */
static void test_profile_counts_the_stages_that_ran(void **state) {
  (void)state;
  float *x[2];
  lull_engine_stats st[2];
  for (int on = 0; on < 2; on++) {
    lull_engine_config cfg = {.dry = 1, .profile = on};
    lull_engine *e;
    ASSERT_EQ_INT(lull_engine_create(&cfg, &e, NULL), LULL_OK);
    test_note(e, 100, LULL_PART_PAD, LULL_EVENT_ON, 57, 0.8f, 24000);
    x[on] = test_render(e, 48000, 333);
    lull_engine_get_stats(e, &st[on]);
    lull_engine_destroy(e);
  }
  ASSERT_TRUE(memcmp(x[0], x[1], sizeof(float) * 2 * 48000) == 0);
  for (int k = 0; k < LULL_STAGE_COUNT; k++) ASSERT_TRUE(st[0].stage_ticks[k] == 0);
#if defined(__x86_64__) || defined(__i386__)
  ASSERT_TRUE(st[1].stage_ticks[LULL_STAGE_VOICES] > 0);
  ASSERT_TRUE(st[1].stage_ticks[LULL_STAGE_MASTER] > 0);
  ASSERT_TRUE(st[1].stage_ticks[LULL_STAGE_LIMITER] > 0);
#endif
  ASSERT_TRUE(st[1].stage_ticks[LULL_STAGE_DELAY] == 0 && st[1].stage_ticks[LULL_STAGE_REVERB] == 0);
  for (int k = 0; k < LULL_STAGE_COUNT; k++) ASSERT_TRUE(lull_stage_name(k) != NULL);
  ASSERT_TRUE(lull_stage_name(LULL_STAGE_COUNT) == NULL && lull_stage_name(-1) == NULL);
  free(x[0]), free(x[1]);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_config_validation), cmocka_unit_test(test_abuse_sweep),
      cmocka_unit_test(test_deterministic_and_sane), cmocka_unit_test(test_limiter_holds_when_driven),
      cmocka_unit_test(test_dry_has_no_tail), cmocka_unit_test(test_tempo_moves_nothing),
      cmocka_unit_test(test_grains_do_not_feed_on_themselves), cmocka_unit_test(test_profile_counts_the_stages_that_ran),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
