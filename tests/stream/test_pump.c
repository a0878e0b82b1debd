/* pump.c: its audio is the hand-written composer -> engine loop's, bit for
 * bit; blocks end at every timeline change and at the piece's end; a phrase
 * plays pass after pass; the tap sees what the engine was handed; errors
 * come back after the block, which is still rendered. */
#include <stdlib.h>

#include "compose/compose.h"
#include "lull/engine.h"
#include "stream/stream.h"
#include "support/harness.h"

#define FS 48000u

static lull_params params_seeded(uint64_t seed) {
  lull_params p = lull_params_default();
  p.seed = seed;
  return p;
}

/* A tap that keeps what it sees (up to 4096 events) and can be told to fail. */
typedef struct seen {
  lull_event ev[4096];
  size_t n;
  int fail;
} seen;

static int keep(void *user, const lull_event *ev, size_t n, lull_diag *diag) {
  seen *s = user;
  if (s->fail) return lull_diag_set(diag, LULL_ENOMEM, "", "the tap is full");
  for (size_t i = 0; i < n && s->n < 4096; i++) s->ev[s->n++] = ev[i];
  return LULL_OK;
}

/* A station's pump against the loop the station used to write itself: the
 * same composer and engine, asked 20 ms at a time. */
static void test_same_audio_as_the_plain_loop(void **state) {
  (void)state;
  uint64_t seed = lull_test_seed(7);
  lull_params p = params_seeded(seed);
  lull_pump_config pc = {.params = p};
  lull_pump *pump;
  ASSERT_EQ_INT(lull__pump_create(&pc, &pump, NULL), LULL_OK);
  ASSERT_TRUE(lull__pump_total_frames(pump) == UINT64_MAX); /* endless */
  lull_composer *c;
  lull_engine *e;
  lull_engine_config ec = {.bpm = p.bpm, .seed = p.seed};
  ASSERT_EQ_INT(lull__composer_create(&p, FS, &c, NULL), LULL_OK);
  ASSERT_EQ_INT(lull_engine_create(&ec, &e, NULL), LULL_OK);
  static float ref[2 * 960];
  lull_params changed = p;
  changed.key = 2;
  changed.intensity = 0.9f;
  for (uint64_t k = 0; k < 1500; k++) { /* 30 s, a change at 12 s */
    if (k == 600) {
      ASSERT_EQ_INT(lull__pump_set_params(pump, &changed, NULL), LULL_OK);
      ASSERT_EQ_INT(lull__composer_set_params(c, &changed, NULL), LULL_OK);
    }
    lull_event ev[7]; /* any batch size gives the same events */
    size_t n;
    while ((n = lull__composer_fill(c, (k + 1) * 960, ev, 7)) > 0)
      for (size_t i = 0; i < n; i++) ASSERT_EQ_INT(lull_engine_schedule(e, &ev[i]), LULL_OK);
    lull_engine_render(e, ref, 960);
    float *pcm;
    size_t frames;
    ASSERT_EQ_INT(lull__pump_next(pump, &pcm, &frames, NULL), LULL_OK);
    ASSERT_EQ_INT(frames, 960);
    if (memcmp(pcm, ref, sizeof ref) != 0) fail_msg("block %llu differs (seed %llu)", (unsigned long long)k, (unsigned long long)seed);
  }
  lull_composer_status a, b;
  lull__pump_status(pump, &a);
  lull__composer_status(c, &b);
  ASSERT_EQ_INT(a.params.key, 2);
  ASSERT_EQ_INT(a.bar, b.bar);
  ASSERT_TRUE(strcmp(a.chord, b.chord) == 0);
  lull__pump_destroy(pump);
  lull__composer_destroy(c);
  lull_engine_destroy(e);
}

static void test_blocks_end_at_changes_and_at_the_end(void **state) {
  (void)state;
  lull_params p = params_seeded(lull_test_seed(3));
  /* Two changes at one frame, one off the block grid, one at the piece's
   * end and one in its tail. */
  static const uint64_t at[] = {100000, 100000, 300001, 480000, 500000};
  lull_timeline_change ch[5];
  for (int i = 0; i < 5; i++) ch[i] = (lull_timeline_change){at[i], p};
  ch[0].params.key = 2;
  ch[1].params.key = 2, ch[1].params.bpm = 90;
  for (int i = 2; i < 5; i++) ch[i].params = ch[1].params;
  ch[2].params.intensity = 0.8f;
  ch[3].params.intensity = 0.8f, ch[3].params.key = 5;
  ch[4].params = ch[3].params;
  lull_timeline t = {ch, 5};
  seen *s = calloc(1, sizeof *s);
  lull_pump_config pc = {.params = p, .timeline = &t, .music_frames = 480000, .block_frames = 4096,
                         .tap = keep, .tap_user = s};
  lull_pump *pump;
  ASSERT_EQ_INT(lull__pump_create(&pc, &pump, NULL), LULL_OK);
  uint64_t total = lull__pump_total_frames(pump);
  ASSERT_GE(total, 480000 + 360000); /* the music, 7.5 s of tails, the limiter's lookahead */
  ASSERT_LE(total, 480000 + 360000 + 480);
  uint64_t pos = 0;
  int started_at[5] = {0};
  float *pcm;
  size_t frames;
  for (;;) {
    ASSERT_EQ_INT(lull__pump_next(pump, &pcm, &frames, NULL), LULL_OK);
    if (frames == 0) break;
    ASSERT_LE(frames, 4096);
    for (int i = 0; i < 5; i++) {
      ASSERT_TRUE(!(pos < at[i] && at[i] < pos + frames)); /* no block crosses a change */
      started_at[i] |= pos == at[i];
    }
    pos += frames;
  }
  ASSERT_EQ_INT(pos, total);
  for (int i = 0; i < 5; i++) ASSERT_TRUE(started_at[i]);
  ASSERT_EQ_INT(lull__pump_next(pump, &pcm, &frames, NULL), LULL_OK); /* the end stays the end */
  ASSERT_EQ_INT(frames, 0);
  /* The composer heard the changes within the piece (those from its end
   * on come too late to be heard); nothing was handed out past the end. */
  lull_composer_status st;
  lull__pump_status(pump, &st);
  ASSERT_NEAR(st.params.bpm, 90, 0);
  ASSERT_NEAR(st.params.intensity, 0.8, 1e-6);
  ASSERT_EQ_INT(st.params.key, 2);
  ASSERT_GE(s->n, 10);
  for (size_t i = 0; i < s->n; i++) ASSERT_TRUE(s->ev[i].frame < 480000);
  for (size_t i = 1; i < s->n; i++) ASSERT_TRUE(s->ev[i - 1].frame <= s->ev[i].frame);
  lull__pump_destroy(pump);
  free(s);
}

static void test_phrase_passes(void **state) {
  (void)state;
  lull_event ev[3] = {{0, 12000, LULL_PART_PAD, LULL_EVENT_ON, 57, 0, 0.8f},
                      {1000, 2000, LULL_PART_LEAD, LULL_EVENT_ON, 69, 0, 0.6f},
                      {20000, 0, LULL_PART_KICK, LULL_EVENT_HIT, 60, 0, 0.7f}};
  lull_phrase ph = {60, 24000, ev, 3};
  seen *s = calloc(1, sizeof *s);
  lull_pump_config pc = {.phrase = &ph, .loops = 3, .block_frames = 1000, .dry = 1, .tap = keep, .tap_user = s};
  lull_pump *pump;
  ASSERT_EQ_INT(lull__pump_create(&pc, &pump, NULL), LULL_OK);
  uint64_t total = lull__pump_total_frames(pump);
  ASSERT_GE(total, 3 * 24000 + 72000); /* dry: 1.5 s of tails */
  ASSERT_LE(total, 3 * 24000 + 72000 + 480);
  float *pcm;
  size_t frames;
  uint64_t pos = 0;
  double energy = 0;
  do {
    ASSERT_EQ_INT(lull__pump_next(pump, &pcm, &frames, NULL), LULL_OK);
    for (size_t i = 0; i < 2 * frames; i++) energy += (double)pcm[i] * pcm[i];
    pos += frames;
  } while (frames);
  ASSERT_EQ_INT(pos, total);
  ASSERT_GE(energy, 1.0);
  ASSERT_EQ_INT(s->n, 9);
  for (size_t i = 0; i < 9; i++) {
    ASSERT_EQ_INT(s->ev[i].frame, ev[i % 3].frame + i / 3 * 24000);
    ASSERT_EQ_INT(s->ev[i].pitch, ev[i % 3].pitch);
  }
  lull_diag d;
  ASSERT_EQ_INT(lull__pump_set_params(pump, &(lull_params){0}, &d), LULL_ESTATE);
  lull_composer_status st;
  lull__pump_status(pump, &st);
  ASSERT_EQ_INT(st.bar, 0);
  lull__pump_destroy(pump);
  free(s);
}

static void test_errors_come_after_the_block(void **state) {
  (void)state;
  lull_event ev[10];
  for (int i = 0; i < 10; i++) ev[i] = (lull_event){0, 4800, LULL_PART_PAD, LULL_EVENT_ON, (uint8_t)(50 + i), 0, 0.5f};
  lull_phrase ph = {60, 48000, ev, 10};
  lull_pump_config pc = {.phrase = &ph, .event_capacity = 4};
  lull_pump *pump;
  lull_diag d = {{0}, {0}};
  ASSERT_EQ_INT(lull__pump_create(&pc, &pump, &d), LULL_OK);
  float *pcm;
  size_t frames;
  ASSERT_EQ_INT(lull__pump_next(pump, &pcm, &frames, &d), LULL_EFULL);
  ASSERT_STR_CONTAINS(d.message, "more than 4 events within 960 frames");
  ASSERT_EQ_INT(frames, 960); /* rendered all the same */
  lull__pump_destroy(pump);

  seen *s = calloc(1, sizeof *s);
  s->fail = 1;
  lull_pump_config tapped = {.params = params_seeded(1), .tap = keep, .tap_user = s};
  ASSERT_EQ_INT(lull__pump_create(&tapped, &pump, &d), LULL_OK);
  ASSERT_EQ_INT(lull__pump_next(pump, &pcm, &frames, &d), LULL_ENOMEM);
  ASSERT_STR_CONTAINS(d.message, "the tap is full");
  ASSERT_EQ_INT(frames, 960);
  s->fail = 0;
  ASSERT_EQ_INT(lull__pump_next(pump, &pcm, &frames, &d), LULL_OK);
  lull__pump_destroy(pump);
  free(s);

  lull_pump_config big = {.params = params_seeded(1), .block_frames = 65537};
  ASSERT_EQ_INT(lull__pump_create(&big, &pump, &d), LULL_ERANGE);
  ASSERT_STR_CONTAINS(d.field, "block_frames");
  lull_pump_config fast = {.params = params_seeded(1)};
  fast.params.bpm = 500;
  ASSERT_EQ_INT(lull__pump_create(&fast, &pump, &d), LULL_ERANGE);
  ASSERT_STR_CONTAINS(d.field, "bpm");
  ASSERT_TRUE(pump == NULL);
  ASSERT_EQ_INT(lull__pump_create(&fast, NULL, &d), LULL_EINVAL);
  lull__pump_destroy(NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_same_audio_as_the_plain_loop),
                                     cmocka_unit_test(test_blocks_end_at_changes_and_at_the_end),
                                     cmocka_unit_test(test_phrase_passes),
                                     cmocka_unit_test(test_errors_come_after_the_block)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
