/* phrase.c: the example files load; every kind of bad input gets an error
 * naming the field or the file position and what is allowed. */
#include <stdlib.h>
#include <string.h>

#include "io/io.h"
#include "support/harness.h"

#ifndef EXAMPLES_DIR
#error EXAMPLES_DIR must name the examples folder
#endif

static void test_example_loads(void **state) {
  (void)state;
  lull_phrase p;
  lull_diag d;
  ASSERT_EQ_INT(lull__phrase_load(EXAMPLES_DIR "/night-in-a.json", 48000, &p, &d), LULL_OK);
  ASSERT_NEAR(p.bpm, 64, 0);
  ASSERT_EQ_INT(p.length_frames, 32 * 45000); /* 32 beats at 64 bpm */
  int pads = 0, leads = 0, hits = 0;
  for (size_t i = 0; i < p.count; i++) {
    pads += p.events[i].part == LULL_PART_PAD;
    leads += p.events[i].part == LULL_PART_LEAD;
    hits += p.events[i].kind == LULL_EVENT_HIT;
    if (i) ASSERT_GE(p.events[i].frame, p.events[i - 1].frame);
  }
  ASSERT_EQ_INT(pads, 5 * 4);
  ASSERT_EQ_INT(leads, 12);
  ASSERT_EQ_INT(hits, 8);
  lull__phrase_free(&p);
}

static void test_units_and_chords(void **state) {
  (void)state;
  lull_phrase p;
  lull_diag d;
  const char *beats = "{\"bpm\": 60, \"chords\": [{\"at\": 0, \"root\": 57, \"type\": \"min7\"},"
                      " {\"at\": 2, \"root\": \"F3\", \"type\": \"maj\"}],"
                      " \"melody\": [{\"at\": 0.5, \"pitch\": \"A4\", \"duration\": 1, \"velocity\": 0.5}]}";
  ASSERT_EQ_INT(lull__phrase_parse(beats, "t", 48000, &p, &d), LULL_OK);
  /* First chord: A C E G, held until beat 2 (96000 frames at 60 bpm). */
  int found = 0;
  for (size_t i = 0; i < p.count; i++) {
    const lull_event *e = &p.events[i];
    if (e->part == LULL_PART_PAD && e->frame == 0) {
      found++;
      ASSERT_EQ_INT(e->duration_frames, 96000);
      ASSERT_TRUE(e->pitch == 57 || e->pitch == 60 || e->pitch == 64 || e->pitch == 67);
    }
    if (e->part == LULL_PART_PAD && e->frame == 96000) ASSERT_TRUE(e->pitch == 53 || e->pitch == 57 || e->pitch == 60 || e->pitch == 65);
    if (e->part == LULL_PART_LEAD) {
      ASSERT_EQ_INT(e->frame, 24000);
      ASSERT_EQ_INT(e->duration_frames, 48000);
      ASSERT_EQ_INT(e->pitch, 69);
      ASSERT_NEAR(e->velocity, 0.5, 1e-6);
    }
  }
  ASSERT_EQ_INT(found, 4);
  lull__phrase_free(&p);
  const char *secs = "{\"time\": \"seconds\", \"bpm\": 120, \"percussion\": [{\"at\": 1.5, \"type\": \"swell\", \"duration\": 3}]}";
  ASSERT_EQ_INT(lull__phrase_parse(secs, "t", 48000, &p, &d), LULL_OK);
  ASSERT_EQ_INT(p.count, 1);
  ASSERT_EQ_INT(p.events[0].frame, 72000);
  ASSERT_EQ_INT(p.events[0].duration_frames, 144000);
  ASSERT_EQ_INT(p.events[0].part, LULL_PART_SWELL);
  ASSERT_EQ_INT(p.length_frames, 4.5 * 48000);
  lull__phrase_free(&p);
}

/* bass, air and bell lines are shaped like the melody and land on their
 * parts; a swell takes a pitch (the centre of its band), C6 when it gives
 * none. */
static void test_other_parts(void **state) {
  (void)state;
  lull_phrase p;
  lull_diag d;
  const char *json = "{\"bpm\": 60, \"bass\": [{\"at\": 0, \"pitch\": \"A1\", \"duration\": 4}],"
                     " \"air\": [{\"at\": 1, \"pitch\": 88, \"duration\": 3, \"velocity\": 0.4}],"
                     " \"bell\": [{\"at\": 2, \"pitch\": \"E5\", \"duration\": 1}],"
                     " \"percussion\": [{\"at\": 0, \"type\": \"swell\", \"pitch\": \"G5\", \"duration\": 2},"
                     "                  {\"at\": 1, \"type\": \"swell\"}]}";
  ASSERT_EQ_INT(lull__phrase_parse(json, "t", 48000, &p, &d), LULL_OK);
  ASSERT_EQ_INT(p.count, 5);
  int seen[LULL_PART_COUNT] = {0};
  for (size_t i = 0; i < p.count; i++) {
    const lull_event *e = &p.events[i];
    seen[e->part]++;
    if (e->part == LULL_PART_BASS) {
      ASSERT_EQ_INT(e->pitch, 33);
      ASSERT_EQ_INT(e->kind, LULL_EVENT_ON);
      ASSERT_EQ_INT(e->duration_frames, 4 * 48000);
    }
    if (e->part == LULL_PART_AIR) {
      ASSERT_EQ_INT(e->pitch, 88);
      ASSERT_EQ_INT(e->frame, 48000);
      ASSERT_NEAR(e->velocity, 0.4, 1e-6);
    }
    if (e->part == LULL_PART_BELL) ASSERT_EQ_INT(e->pitch, 76);
    if (e->part == LULL_PART_SWELL) ASSERT_EQ_INT(e->pitch, e->frame == 0 ? 79 : 84);
  }
  ASSERT_EQ_INT(seen[LULL_PART_BASS], 1);
  ASSERT_EQ_INT(seen[LULL_PART_AIR], 1);
  ASSERT_EQ_INT(seen[LULL_PART_BELL], 1);
  ASSERT_EQ_INT(seen[LULL_PART_SWELL], 2);
  ASSERT_EQ_INT(p.length_frames, 4 * 48000);
  lull__phrase_free(&p);
}

static void expect_error(const char *json, int err, const char *field, const char *text) {
  lull_phrase p;
  lull_diag d;
  memset(&d, 0, sizeof d);
  ASSERT_EQ_INT(lull__phrase_parse(json, "bad.json", 48000, &p, &d), err);
  ASSERT_STR_EQ(d.field, field);
  ASSERT_STR_CONTAINS(d.message, text);
  ASSERT_TRUE(p.events == NULL);
}

static void test_bad_input(void **state) {
  (void)state;
  expect_error("{\"bpm\": 60,\n \"melody\": [}", LULL_EPARSE, "", "bad.json:2:");
  expect_error("[1, 2]", LULL_EPARSE, "", "must be a JSON object");
  expect_error("{}", LULL_EPARSE, "", "nothing to play");
  expect_error("{\"bpm\": 60, \"melody\": []}", LULL_EPARSE, "", "all empty"); /* fuzzer: qsort(NULL) */
  /* An out-of-range onset later in the file must not size the last chord. */
  expect_error("{\"chords\": [{\"at\": 0, \"root\": 50, \"type\": \"maj\"}], \"melody\": [{\"at\": 1e300, \"pitch\": 60, \"duration\": 1}]}",
               LULL_ERANGE, "melody[0].at", "got 1e+300");
  expect_error("{\"bpm\": 60, \"bpm\": 70, \"melody\": []}", LULL_EPARSE, "", "duplicate");
  expect_error("{\"tempo\": 60}", LULL_EUNKNOWN, "tempo", "allowed: bpm time length");
  expect_error("{\"bpm\": 300, \"melody\": []}", LULL_ERANGE, "bpm", "30..180, got 300");
  expect_error("{\"bpm\": \"fast\", \"melody\": []}", LULL_EPARSE, "bpm", "must be a number");
  expect_error("{\"time\": \"bars\", \"melody\": []}", LULL_EUNKNOWN, "time", "\"beats\" or \"seconds\"");
  expect_error("{\"melody\": {}}", LULL_EPARSE, "melody", "must be an array");
  expect_error("{\"melody\": [3]}", LULL_EPARSE, "melody[0]", "must be an object");
  expect_error("{\"melody\": [{\"at\": 0, \"pitch\": 200, \"duration\": 1}]}", LULL_ERANGE, "melody[0].pitch", "0..127, got 200");
  expect_error("{\"melody\": [{\"at\": 0, \"pitch\": \"H4\", \"duration\": 1}]}", LULL_ERANGE, "melody[0].pitch", "not a note");
  expect_error("{\"melody\": [{\"at\": 0, \"pitch\": 60}]}", LULL_EPARSE, "melody[0].duration", "missing");
  /* Found by the fuzzer: a huge octave overflowed the MIDI arithmetic. */
  expect_error("{\"melody\": [{\"at\": 0, \"pitch\": \"C99999999999999999999\", \"duration\": 1}]}", LULL_ERANGE,
               "melody[0].pitch", "not a note");
  expect_error("{\"melody\": [{\"at\": 0, \"pitch\": \"G#9\", \"duration\": 1}]}", LULL_ERANGE, "melody[0].pitch",
               "not a note"); /* MIDI 128 */
  expect_error("{\"melody\": [{\"at\": -1, \"pitch\": 60, \"duration\": 1}]}", LULL_ERANGE, "melody[0].at", "got -1");
  expect_error("{\"melody\": [{\"at\": 0, \"pitch\": 60, \"duration\": 1, \"velocity\": 2}]}", LULL_ERANGE,
               "melody[0].velocity", "0..1");
  expect_error("{\"melody\": [{\"at\": 0, \"pitch\": 60, \"duration\": 1, \"vel\": 1}]}", LULL_EUNKNOWN,
               "melody[0].vel", "allowed: at pitch velocity duration");
  expect_error("{\"chords\": [{\"at\": 0, \"root\": 50, \"type\": \"mystery\"}]}", LULL_EUNKNOWN, "chords[0].type",
               "known: maj, min");
  expect_error("{\"chords\": [{\"at\": 4, \"root\": 50, \"type\": \"maj\"}, {\"at\": 2, \"root\": 50, \"type\": \"maj\"}]}",
               LULL_ERANGE, "chords[1].at", "in order");
  expect_error("{\"chords\": [{\"at\": 0, \"root\": 120, \"type\": \"maj7\"}]}", LULL_ERANGE, "chords[0].root", "leave MIDI");
  expect_error("{\"percussion\": [{\"at\": 0, \"type\": \"snare\"}]}", LULL_EUNKNOWN, "percussion[0].type",
               "kick, swell, hat");
  expect_error("{\"percussion\": [{\"at\": 0, \"type\": \"swell\", \"pitch\": 130}]}", LULL_ERANGE,
               "percussion[0].pitch", "0..127, got 130");
  expect_error("{\"bass\": [{\"at\": 0, \"pitch\": 40}]}", LULL_EPARSE, "bass[0].duration", "missing");
  expect_error("{\"air\": [{\"at\": 0, \"pitch\": \"X9\", \"duration\": 1}]}", LULL_ERANGE, "air[0].pitch", "not a note");
  expect_error("{\"bell\": {}}", LULL_EPARSE, "bell", "must be an array");
  expect_error("{\"bell\": [], \"air\": []}", LULL_EPARSE, "", "all empty");
  expect_error("{\"drone\": []}", LULL_EUNKNOWN, "drone", "percussion bass air bell");
}

static void test_missing_file(void **state) {
  (void)state;
  lull_phrase p;
  lull_diag d;
  ASSERT_EQ_INT(lull__phrase_load("/nonexistent/phrase.json", 48000, &p, &d), LULL_EIO);
  ASSERT_STR_CONTAINS(d.message, "/nonexistent/phrase.json");
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_example_loads), cmocka_unit_test(test_units_and_chords),
                                     cmocka_unit_test(test_other_parts),
                                     cmocka_unit_test(test_bad_input), cmocka_unit_test(test_missing_file)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
