/* chord.c: chord qualities by name and alias, and their pad voicings.
 * (Pitch names: test_pitch.c.) */
#include "support/harness.h"
#include "theory/theory.h"

static void test_find_and_voice(void **state) {
  (void)state;
  int v[4];
  lull__chord_voice(lull__chord_find("min7"), 57, v);
  ASSERT_EQ_INT(v[0], 57);
  ASSERT_EQ_INT(v[1], 60);
  ASSERT_EQ_INT(v[2], 64);
  ASSERT_EQ_INT(v[3], 67);
  lull__chord_voice(lull__chord_find("maj"), 60, v); /* a triad doubles its root */
  ASSERT_EQ_INT(v[0], 60);
  ASSERT_EQ_INT(v[1], 64);
  ASSERT_EQ_INT(v[2], 67);
  ASSERT_EQ_INT(v[3], 72);
  lull__chord_voice(lull__chord_find("min9"), 50, v); /* a ninth leaves out the fifth */
  ASSERT_EQ_INT(v[0], 50);
  ASSERT_EQ_INT(v[1], 53);
  ASSERT_EQ_INT(v[2], 60);
  ASSERT_EQ_INT(v[3], 64);
  ASSERT_TRUE(lull__chord_find("m7") == lull__chord_find("min7"));
  ASSERT_TRUE(lull__chord_find("dom7") == lull__chord_find("7"));
  ASSERT_TRUE(lull__chord_find("minor") == lull__chord_find("min"));
  ASSERT_TRUE(lull__chord_find("mi") == NULL);
  ASSERT_TRUE(lull__chord_find("") == NULL);
  ASSERT_TRUE(lull__chord_find(NULL) == NULL);
}

static void test_every_listed_name_is_found(void **state) {
  (void)state;
  char names[256];
  snprintf(names, sizeof names, "%s", lull__chord_names());
  int count = 0;
  for (char *t = strtok(names, ", "); t; t = strtok(NULL, ", ")) {
    ASSERT_TRUE(lull__chord_find(t) != NULL);
    count++;
  }
  ASSERT_EQ_INT(count, 18);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_find_and_voice),
                                     cmocka_unit_test(test_every_listed_name_is_found)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
