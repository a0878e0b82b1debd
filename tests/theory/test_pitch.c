/* pitch.c: note names to pitch classes and back. Every natural, sharp and
 * flat spelling (enharmonics and either letter case included) against a
 * table written out here, and every malformed name refused with -1. */
#include "support/harness.h"
#include "theory/theory.h"

static void test_every_spelling(void **state) {
  (void)state;
  static const struct {
    const char *name;
    int pc;
  } names[] = {
      {"C", 0},   {"C#", 1},  {"Db", 1},  {"D", 2},   {"D#", 3},  {"Eb", 3},  {"E", 4},  {"F", 5},
      {"F#", 6},  {"Gb", 6},  {"G", 7},   {"G#", 8},  {"Ab", 8},  {"A", 9},   {"A#", 10}, {"Bb", 10},
      {"B", 11},
      /* enharmonics across the letter boundaries wrap around the octave */
      {"Cb", 11}, {"B#", 0},  {"E#", 5},  {"Fb", 4},
      /* the letter in either case; the flat sign is always a small b */
      {"a", 9},   {"c#", 1},  {"bb", 10}, {"b", 11},  {"g", 7},
  };
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    const int pc = lull__pitch_class_parse(names[i].name);
    if (pc != names[i].pc) fail_msg("\"%s\" parsed as %d, expected %d", names[i].name, pc, names[i].pc);
  }
}

static void test_bad_names_refused(void **state) {
  (void)state;
  static const char *const bad[] = {
      "",    "H",  "h",  "X#", "#",   "C##", "Cbb", "C#b", "Cb#", "CB", "C4", "C#4",
      " C",  "C ", "Do", "c-", "C\t", "1",   "11",  "♯",   "C♯",  "B♭",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    const int pc = lull__pitch_class_parse(bad[i]);
    if (pc != -1) fail_msg("\"%s\" parsed as %d, expected -1", bad[i], pc);
  }
  ASSERT_EQ_INT(lull__pitch_class_parse(NULL), -1);
}

static void test_names_of_pitch_classes(void **state) {
  (void)state;
  static const char *const sharps[12] = {"C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"};
  for (int pc = 0; pc < 12; pc++) {
    ASSERT_STR_EQ(lull__pitch_class_name(pc), sharps[pc]);
    ASSERT_EQ_INT(lull__pitch_class_parse(lull__pitch_class_name(pc)), pc); /* round trip */
  }
  ASSERT_TRUE(lull__pitch_class_name(-1) == NULL);
  ASSERT_TRUE(lull__pitch_class_name(12) == NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_every_spelling), cmocka_unit_test(test_bad_names_refused),
                                     cmocka_unit_test(test_names_of_pitch_classes)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
