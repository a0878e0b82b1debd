/* sequencer.c and the engine's block splitting: events come out in order of
 * (frame, arrival) and take effect at their exact frame, whatever the
 * caller's block size. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "support/engine_util.h"
#include "support/harness.h"
#include "support/signal.h"
#include "synth/synth_int.h"

static void test_heap_order(void **state) {
  (void)state;
  enum { CAP = 500 };
  lull_seq_item items[CAP];
  lull_seq s;
  lull__seq_init(&s, items, CAP);
  uint64_t seed = lull_test_seed(11);
  for (int i = 0; i < CAP; i++) {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    lull_event ev = {(seed >> 33) % 50, 0, 0, 0, (uint8_t)(i % 128), 0, 0};
    ev.duration_frames = (uint64_t)i; /* arrival order, to check stability */
    ASSERT_EQ_INT(lull__seq_push(&s, &ev), LULL_OK);
  }
  lull_event extra = {0};
  ASSERT_EQ_INT(lull__seq_push(&s, &extra), LULL_EFULL);
  uint64_t last_frame = 0, last_arrival = 0;
  for (int i = 0; i < CAP; i++) {
    const lull_event *ev = lull__seq_peek(&s);
    ASSERT_TRUE(ev != NULL);
    ASSERT_GE(ev->frame, last_frame);
    if (i > 0 && ev->frame == last_frame) ASSERT_GE(ev->duration_frames, last_arrival);
    last_frame = ev->frame;
    last_arrival = ev->duration_frames;
    lull__seq_pop(&s);
  }
  ASSERT_TRUE(lull__seq_peek(&s) == NULL);
}

static void test_event_at_exact_frame(void **state) {
  (void)state;
  const uint64_t at[] = {0, 1, 63, 64, 1000, 4799};
  for (size_t k = 0; k < sizeof at / sizeof at[0]; k++) {
    lull_engine *e = test_engine(1);
    test_note(e, at[k], LULL_PART_KICK, LULL_EVENT_HIT, 36, 1.0f, 0);
    float *x = test_render(e, 9600, 100);
    uint64_t start = at[k] + lull_engine_latency_frames(e);
    for (uint64_t i = 0; i <= start; i++) ASSERT_NEAR(x[2 * i], 0.0, 0.0); /* sin(0) = 0 at the onset */
    ASSERT_TRUE(x[2 * (start + 1)] != 0.0f);
    free(x);
    lull_engine_destroy(e);
  }
}

/* The same events rendered in blocks of 1, 37, 960 and 4096 frames: the
 * output is identical to the bit; in every palette, and through a change
 * to the next one. */
static void block_size_invariance(int palette) {
  const size_t chunks[] = {1, 37, 960, 4096};
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  const size_t frames = 56000; /* past the change and the steals; the sanitizers slow every frame */
#else
  const size_t frames = 96000;
#endif
  float *ref = NULL;
  for (size_t c = 0; c < 4; c++) {
    lull_engine *e = test_engine(0);
    lull_event pal = {0, 0, LULL_CONTROL_PALETTE, LULL_EVENT_SET, 0, 0, (float)palette};
    ASSERT_EQ_INT(lull_engine_schedule(e, &pal), LULL_OK);
    pal.frame = 50001, pal.velocity = (float)((palette + 1) % LULL_PALETTE_COUNT);
    ASSERT_EQ_INT(lull_engine_schedule(e, &pal), LULL_OK);
    for (int i = 0; i < 4; i++) test_note(e, 100 + (uint64_t)i * 7, LULL_PART_PAD, LULL_EVENT_ON, 50 + 3 * i, 0.7f, 60000);
    for (int i = 0; i < 12; i++) test_note(e, 333 + (uint64_t)i * 6007, LULL_PART_LEAD, LULL_EVENT_ON, 62 + i, 0.6f, 5000);
    for (int i = 0; i < 8; i++) test_note(e, 1111 + (uint64_t)i * 11113, LULL_PART_KICK + i % 3, LULL_EVENT_HIT, 80, 0.8f, 0);
    /* Every other part, and a brightness change: the slow modulation moves
     * on grid lines, whatever the blocks. */
    test_note(e, 205, LULL_PART_BASS, LULL_EVENT_ON, 38, 0.7f, 50000);
    for (int i = 0; i < 3; i++) test_note(e, 999 + (uint64_t)i * 20011, LULL_PART_AIR, LULL_EVENT_ON, 86 + 2 * i, 0.6f, 30000);
    for (int i = 0; i < 6; i++) test_note(e, 2222 + (uint64_t)i * 13331, LULL_PART_BELL, LULL_EVENT_ON, 70 + i, 0.6f, 9000);
    lull_event bright = {40001, 0, LULL_CONTROL_BRIGHTNESS, LULL_EVENT_SET, 0, 0, 0.9f};
    ASSERT_EQ_INT(lull_engine_schedule(e, &bright), LULL_OK);
    float *x = test_render(e, frames, chunks[c]);
    if (!ref) ref = x;
    else {
      /* Equal to the bit where anything sounds; in near-silence the
       * denormal guards (1e-20) may round apart: -180 dB is the bar. */
      size_t d = 0;
      while (d < 2 * frames && fabsf(ref[d] - x[d]) <= 1e-9f) d++;
      if (d < 2 * frames)
        printf("# palette %s, blocks of %zu: first differs at frame %zu\n", lull_palette_name(palette), chunks[c], d / 2);
      ASSERT_TRUE(d == 2 * frames);
      free(x);
    }
    lull_engine_destroy(e);
  }
  ASSERT_GE(sig_db(sig_rms(ref, 2 * frames, 1)), -40.0); /* something played */
  free(ref);
}

static void test_block_size_invariance(void **state) {
  (void)state;
  for (int p = 0; p < LULL_PALETTE_COUNT; p++) block_size_invariance(p);
}

/* Strings between notes: the chorus stops and starts by the frame of the
 * palette's change, never by where a block ended (two notes 3 s apart). */
static void test_block_size_invariance_across_silence(void **state) {
  (void)state;
  const size_t chunks[] = {37, 960, 4096};
  const size_t frames = 240000;
  float *ref = NULL;
  for (size_t c = 0; c < 3; c++) {
    lull_engine *e = test_engine(0);
    lull_event pal = {0, 0, LULL_CONTROL_PALETTE, LULL_EVENT_SET, 0, 0, (float)LULL_PALETTE_STRINGS};
    ASSERT_EQ_INT(lull_engine_schedule(e, &pal), LULL_OK);
    test_note(e, 100, LULL_PART_PAD, LULL_EVENT_ON, 57, 0.7f, 20000);
    test_note(e, 200000, LULL_PART_PAD, LULL_EVENT_ON, 60, 0.7f, 20000);
    pal.frame = 120001, pal.velocity = (float)LULL_PALETTE_GLASS; /* and away and back: the chorus's run out */
    ASSERT_EQ_INT(lull_engine_schedule(e, &pal), LULL_OK);
    pal.frame = 190001, pal.velocity = (float)LULL_PALETTE_STRINGS;
    ASSERT_EQ_INT(lull_engine_schedule(e, &pal), LULL_OK);
    float *x = test_render(e, frames, chunks[c]);
    if (!ref) ref = x;
    else {
      double worst = 0;
      for (size_t i = 0; i < 2 * frames; i++) worst = fmax(worst, fabs((double)ref[i] - x[i]));
      printf("# strings across silence, blocks of %zu: largest difference %.3g\n", chunks[c], worst);
      ASSERT_LE(worst, 1e-9);
      free(x);
    }
    lull_engine_destroy(e);
  }
  ASSERT_GE(sig_db(sig_rms(ref + 2 * 200000, 2 * 40000, 1)), -50.0); /* the second note sounded */
  free(ref);
}

static void test_late_events_counted(void **state) {
  (void)state;
  lull_engine *e = test_engine(1);
  float buf[2 * 480];
  lull_engine_render(e, buf, 480);
  test_note(e, 100, LULL_PART_HAT, LULL_EVENT_HIT, 60, 0.5f, 0); /* already past */
  lull_engine_render(e, buf, 480);
  lull_engine_stats st;
  lull_engine_get_stats(e, &st);
  ASSERT_EQ_INT(st.events_late, 1);
  ASSERT_EQ_INT(st.events_applied, 1);
  ASSERT_EQ_INT(st.frames_rendered, 960);
  ASSERT_EQ_INT(lull_engine_position(e), 960);
  lull_engine_destroy(e);
}

static void test_note_off(void **state) {
  (void)state;
  lull_engine *e = test_engine(1);
  test_note(e, 0, LULL_PART_PAD, LULL_EVENT_ON, 60, 0.8f, 0);
  test_note(e, 48000, LULL_PART_PAD, LULL_EVENT_OFF, 60, 0.0f, 0);
  float *x = test_render(e, 48000 * 3, 960);
  lull_engine_stats st;
  lull_engine_get_stats(e, &st);
  ASSERT_EQ_INT(st.voices_active, 0); /* released 1 s in, silent 1 s later */
  free(x);
  lull_engine_destroy(e);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_heap_order), cmocka_unit_test(test_event_at_exact_frame),
      cmocka_unit_test(test_block_size_invariance), cmocka_unit_test(test_block_size_invariance_across_silence),
      cmocka_unit_test(test_late_events_counted),
      cmocka_unit_test(test_note_off),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
