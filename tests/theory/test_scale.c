/* scale.c: every mode's intervals, checked twice (against the table written
 * out here, and as the rotation of the major or major-pentatonic scale it
 * is), mode names both ways, membership, and scale degrees that wrap by
 * octaves in both directions. */
#include <stdlib.h>

#include "support/harness.h"
#include "theory/theory.h"

static const struct {
  int mode, size;
  int steps[7];
  const char *name;
} modes[] = {
    {LULL_MODE_IONIAN, 7, {0, 2, 4, 5, 7, 9, 11}, "ionian"},
    {LULL_MODE_DORIAN, 7, {0, 2, 3, 5, 7, 9, 10}, "dorian"},
    {LULL_MODE_PHRYGIAN, 7, {0, 1, 3, 5, 7, 8, 10}, "phrygian"},
    {LULL_MODE_LYDIAN, 7, {0, 2, 4, 6, 7, 9, 11}, "lydian"},
    {LULL_MODE_MIXOLYDIAN, 7, {0, 2, 4, 5, 7, 9, 10}, "mixolydian"},
    {LULL_MODE_AEOLIAN, 7, {0, 2, 3, 5, 7, 8, 10}, "aeolian"},
    {LULL_MODE_PENTA_MAJOR, 5, {0, 2, 4, 7, 9}, "pentatonic-major"},
    {LULL_MODE_PENTA_MINOR, 5, {0, 3, 5, 7, 10}, "pentatonic-minor"},
};
#define N_MODES (int)(sizeof modes / sizeof modes[0])

static void test_every_mode_intervals(void **state) {
  (void)state;
  ASSERT_EQ_INT(N_MODES, LULL_MODE_COUNT);
  for (int m = 0; m < N_MODES; m++) {
    const lull_scale *s = lull__scale_of(modes[m].mode);
    ASSERT_TRUE(s != NULL);
    ASSERT_EQ_INT(s->size, modes[m].size);
    for (int i = 0; i < s->size; i++)
      if (s->steps[i] != modes[m].steps[i])
        fail_msg("%s degree %d: %d semitones, expected %d", modes[m].name, i, s->steps[i], modes[m].steps[i]);
  }
  ASSERT_TRUE(lull__scale_of(-1) == NULL);
  ASSERT_TRUE(lull__scale_of(LULL_MODE_COUNT) == NULL);
}

/* The church modes are the major scale started on degrees 0..5 (ionian,
 * dorian, phrygian, lydian, mixolydian, aeolian); minor pentatonic is the
 * major pentatonic started on its fifth note. */
static void test_modes_are_rotations(void **state) {
  (void)state;
  const lull_scale *major = lull__scale_of(LULL_MODE_IONIAN), *penta = lull__scale_of(LULL_MODE_PENTA_MAJOR);
  for (int r = 0; r < 6; r++) {
    const lull_scale *s = lull__scale_of(LULL_MODE_IONIAN + r);
    for (int i = 0; i < 7; i++) {
      int want = (major->steps[(r + i) % 7] - major->steps[r] + 12) % 12;
      ASSERT_EQ_INT(s->steps[i], want);
    }
  }
  const lull_scale *minor = lull__scale_of(LULL_MODE_PENTA_MINOR);
  for (int i = 0; i < 5; i++) ASSERT_EQ_INT(minor->steps[i], (penta->steps[(4 + i) % 5] - penta->steps[4] + 12) % 12);
  /* Ascending, within the octave, seven or five distinct notes. */
  for (int m = 0; m < LULL_MODE_COUNT; m++) {
    const lull_scale *s = lull__scale_of(m);
    ASSERT_EQ_INT(s->steps[0], 0);
    for (int i = 1; i < s->size; i++) {
      ASSERT_GE(s->steps[i] - s->steps[i - 1], 1);
      ASSERT_LE(s->steps[i] - s->steps[i - 1], 3); /* a minor third at most (pentatonic) */
    }
    ASSERT_LE(s->steps[s->size - 1], 11);
  }
}

static void test_mode_names(void **state) {
  (void)state;
  for (int m = 0; m < N_MODES; m++) {
    ASSERT_STR_EQ(lull__mode_name(modes[m].mode), modes[m].name);
    ASSERT_EQ_INT(lull__mode_parse(modes[m].name), modes[m].mode);
  }
  ASSERT_EQ_INT(lull__mode_parse("major"), LULL_MODE_IONIAN);
  ASSERT_EQ_INT(lull__mode_parse("minor"), LULL_MODE_AEOLIAN);
  ASSERT_EQ_INT(lull__mode_parse("pentatonic_major"), LULL_MODE_PENTA_MAJOR);
  ASSERT_EQ_INT(lull__mode_parse("pentatonic_minor"), LULL_MODE_PENTA_MINOR);
  static const char *const bad[] = {"", "Dorian", "MAJOR", "blues", "pentatonic", "dorian ", "locrian", "aeolian-"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    if (lull__mode_parse(bad[i]) != -1) fail_msg("\"%s\" parsed as a mode", bad[i]);
  ASSERT_EQ_INT(lull__mode_parse(NULL), -1);
  ASSERT_TRUE(lull__mode_name(-1) == NULL);
  ASSERT_TRUE(lull__mode_name(LULL_MODE_COUNT) == NULL);
  /* Every name the error message offers parses; all eight modes are offered. */
  char list[256];
  snprintf(list, sizeof list, "%s", lull__mode_names());
  int seen[LULL_MODE_COUNT] = {0}, words = 0;
  for (char *t = strtok(list, ", ()"); t; t = strtok(NULL, ", ()")) {
    int m = lull__mode_parse(t);
    if (m < 0) fail_msg("\"%s\" is offered but does not parse", t);
    seen[m] = 1, words++;
  }
  ASSERT_EQ_INT(words, 10);
  for (int m = 0; m < LULL_MODE_COUNT; m++) ASSERT_EQ_INT(seen[m], 1);
}

static void test_in_scale(void **state) {
  (void)state;
  for (int m = 0; m < LULL_MODE_COUNT; m++)
    for (int key = 0; key < 12; key++) {
      int in = 0;
      for (int note = 48; note < 60; note++) in += lull__in_scale(key, m, note);
      ASSERT_EQ_INT(in, lull__scale_of(m)->size); /* each scale note once an octave */
      /* The same answer an octave (or six) away, and below MIDI 0. */
      for (int note = 48; note < 60; note++) {
        ASSERT_EQ_INT(lull__in_scale(key, m, note + 12), lull__in_scale(key, m, note));
        ASSERT_EQ_INT(lull__in_scale(key, m, note - 72), lull__in_scale(key, m, note));
      }
    }
  /* D dorian: D E F G A B C, no F# or C#. */
  static const int d_dorian[] = {62, 64, 65, 67, 69, 71, 72};
  for (int i = 0; i < 7; i++) ASSERT_EQ_INT(lull__in_scale(2, LULL_MODE_DORIAN, d_dorian[i]), 1);
  ASSERT_EQ_INT(lull__in_scale(2, LULL_MODE_DORIAN, 66), 0);
  ASSERT_EQ_INT(lull__in_scale(2, LULL_MODE_DORIAN, 73), 0);
  ASSERT_EQ_INT(lull__in_scale(0, -1, 60), 0);
  ASSERT_EQ_INT(lull__in_scale(0, LULL_MODE_COUNT, 60), 0);
}

static void test_degrees_wrap_by_octaves(void **state) {
  (void)state;
  const lull_scale *major = lull__scale_of(LULL_MODE_IONIAN);
  static const int c_major[] = {60, 62, 64, 65, 67, 69, 71, 72, 74};
  for (int d = 0; d < 9; d++) ASSERT_EQ_INT(lull__degree_note(major, 60, d), c_major[d]);
  ASSERT_EQ_INT(lull__degree_note(major, 60, -1), 59);  /* B below */
  ASSERT_EQ_INT(lull__degree_note(major, 60, -7), 48);  /* an octave down */
  ASSERT_EQ_INT(lull__degree_note(major, 60, -8), 47);
  ASSERT_EQ_INT(lull__degree_note(major, 60, 14), 84);  /* two octaves up */
  const lull_scale *penta = lull__scale_of(LULL_MODE_PENTA_MINOR);
  ASSERT_EQ_INT(lull__degree_note(penta, 57, 5), 69);
  ASSERT_EQ_INT(lull__degree_note(penta, 57, -1), 55);
  for (int m = 0; m < LULL_MODE_COUNT; m++) {
    const lull_scale *s = lull__scale_of(m);
    for (int d = -30; d <= 30; d++) {
      int note = lull__degree_note(s, 60, d);
      /* One octave higher every size degrees; in the scale; pc agrees. */
      ASSERT_EQ_INT(lull__degree_note(s, 60, d + s->size), note + 12);
      ASSERT_EQ_INT(lull__in_scale(0, m, note), 1);
      ASSERT_EQ_INT(lull__degree_pc(s, d), ((note - 60) % 12 + 12) % 12);
      ASSERT_GE(lull__degree_note(s, 60, d + 1), note + 1); /* ascending */
    }
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_mode_intervals), cmocka_unit_test(test_modes_are_rotations),
      cmocka_unit_test(test_mode_names),           cmocka_unit_test(test_in_scale),
      cmocka_unit_test(test_degrees_wrap_by_octaves),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
