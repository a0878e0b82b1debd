/* station_text.c: a title is 1..64 characters and a description 0..240,
 * counted in code points (so 64 four-byte characters are a title, 65
 * ASCII ones are not); invalid UTF-8 and control characters (C0, DEL, C1)
 * are refused naming the field and the limit; lull_station_create keeps
 * what it is given, or the name and "" when given nothing, and refuses
 * what the checks refuse; the UTF-8 reader gives code points. */
#include <string.h>

#include "stream/stream.h"
#include "support/harness.h"

/* n copies of s, in out (cap bytes). */
static const char *repeat(char *out, size_t cap, const char *s, int n) {
  size_t len = strlen(s), j = 0;
  for (int i = 0; i < n && j + len < cap; i++) memcpy(out + j, s, len), j += len;
  out[j] = 0;
  return out;
}

static void test_lengths_in_characters(void **state) {
  (void)state;
  char buf[2048];
  lull_diag d = {{0}, {0}};
  ASSERT_EQ_INT(lull_station_title_check("Night", &d), LULL_OK);
  ASSERT_EQ_INT(lull_station_title_check(repeat(buf, sizeof buf, "x", 64), &d), LULL_OK);
  ASSERT_EQ_INT(lull_station_title_check(repeat(buf, sizeof buf, "\xf0\x9f\x8c\x99", 64), &d), LULL_OK); /* 🌙: 256 bytes */
  ASSERT_EQ_INT(lull_station_title_check(repeat(buf, sizeof buf, "x", 65), &d), LULL_ERANGE);
  ASSERT_STR_EQ(d.field, "title");
  ASSERT_STR_EQ(d.message, "must be 1..64 characters, got 65");
  ASSERT_EQ_INT(lull_station_title_check("", &d), LULL_ERANGE);
  ASSERT_STR_EQ(d.message, "must be 1..64 characters, got 0");
  ASSERT_EQ_INT(lull_station_description_check("", &d), LULL_OK);
  ASSERT_EQ_INT(lull_station_description_check(repeat(buf, sizeof buf, "\xc3\xa9", 240), &d), LULL_OK);
  ASSERT_EQ_INT(lull_station_description_check(repeat(buf, sizeof buf, "e", 241), &d), LULL_ERANGE);
  ASSERT_STR_EQ(d.field, "description");
  ASSERT_STR_EQ(d.message, "must be 0..240 characters, got 241");
  ASSERT_EQ_INT(lull_station_title_check(NULL, &d), LULL_EINVAL);
}

static void test_control_characters_and_bad_utf8(void **state) {
  (void)state;
  lull_diag d = {{0}, {0}};
  static const char *const bad[] = {"a\tb", "a\nb", "a\rb", "\x1b[31m", "a\x7f", "a\xc2\x85" /* NEL, C1 */};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    ASSERT_EQ_INT(lull_station_title_check(bad[i], &d), LULL_EINVAL);
    ASSERT_STR_CONTAINS(d.message, "control characters");
    ASSERT_STR_CONTAINS(d.message, "1..64 characters");
  }
  ASSERT_EQ_INT(lull_station_description_check("one\ntwo", &d), LULL_EINVAL);
  ASSERT_STR_EQ(d.field, "description");
  ASSERT_STR_EQ(d.message, "must not hold control characters; character 4 is U+000A (a description is 0..240 characters)");
  /* Cut short, overlong, a surrogate, above U+10FFFF, a lone continuation. */
  static const char *const not_utf8[] = {"a\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\x80"};
  for (size_t i = 0; i < sizeof not_utf8 / sizeof *not_utf8; i++) {
    ASSERT_EQ_INT(lull_station_title_check(not_utf8[i], &d), LULL_EINVAL);
    ASSERT_STR_CONTAINS(d.message, "must be UTF-8");
  }
  /* Quotes, backslashes, U+00A0 and U+2028 are text, not control characters. */
  ASSERT_EQ_INT(lull_station_title_check("\"a\" \\ b\xc2\xa0\xe2\x80\xa8", &d), LULL_OK);
}

static void test_utf8_decode(void **state) {
  (void)state;
  uint32_t cp = 0;
  ASSERT_EQ_INT(lull__utf8_decode((const unsigned char *)"A", &cp), 1);
  ASSERT_EQ_INT(cp, 0x41);
  ASSERT_EQ_INT(lull__utf8_decode((const unsigned char *)"\xc3\xa9", &cp), 2);
  ASSERT_EQ_INT(cp, 0xe9);
  ASSERT_EQ_INT(lull__utf8_decode((const unsigned char *)"\xe5\xa4\x9c", &cp), 3);
  ASSERT_EQ_INT(cp, 0x591c);
  ASSERT_EQ_INT(lull__utf8_decode((const unsigned char *)"\xf4\x8f\xbf\xbf", &cp), 4);
  ASSERT_EQ_INT(cp, 0x10ffff);
  ASSERT_EQ_INT(lull__utf8_decode((const unsigned char *)"\xe0\x80\x80", &cp), 0); /* overlong */
}

static void test_station_keeps_its_face(void **state) {
  (void)state;
  lull_station *st = NULL;
  lull_diag d = {{0}, {0}};
  lull_station_config c = {.name = "night", .title = "Night \xe5\xa4\x9c", .description = "Slow, \"dark\"."};
  ASSERT_EQ_INT(lull_station_create(&c, &st, &d), LULL_OK);
  ASSERT_STR_EQ(lull_station_title(st), "Night \xe5\xa4\x9c");
  ASSERT_STR_EQ(lull_station_description(st), "Slow, \"dark\".");
  lull_station_destroy(st);
  ASSERT_EQ_INT(lull_station_create(&(lull_station_config){.name = "plain"}, &st, &d), LULL_OK);
  ASSERT_STR_EQ(lull_station_title(st), "plain");
  ASSERT_STR_EQ(lull_station_description(st), "");
  lull_station_destroy(st);

  char buf[512];
  c.title = repeat(buf, sizeof buf, "x", 65);
  ASSERT_EQ_INT(lull_station_create(&c, &st, &d), LULL_ERANGE);
  ASSERT_TRUE(st == NULL);
  ASSERT_STR_EQ(d.field, "title");
  c.title = NULL;
  c.description = "a\x07";
  ASSERT_EQ_INT(lull_station_create(&c, &st, &d), LULL_EINVAL);
  ASSERT_STR_EQ(d.field, "description");
}

/* A new face while it plays (a reload): checked as at create, all or nothing. */
static void test_a_new_face(void **state) {
  (void)state;
  lull_station *st = NULL;
  lull_diag d = {{0}, {0}};
  ASSERT_EQ_INT(lull_station_create(&(lull_station_config){.name = "night", .title = "Night"}, &st, &d), LULL_OK);
  ASSERT_EQ_INT(lull_station_set_face(st, "Nacht", "Dunkel", &d), LULL_OK);
  lull_station_face f;
  lull_station_get_face(st, &f);
  ASSERT_STR_EQ(f.title, "Nacht");
  ASSERT_STR_EQ(f.description, "Dunkel");
  char buf[512];
  ASSERT_EQ_INT(lull_station_set_face(st, "Ok", repeat(buf, sizeof buf, "y", 241), &d), LULL_ERANGE);
  ASSERT_STR_EQ(d.field, "description");
  ASSERT_EQ_INT(lull_station_set_face(st, "bad\x01", NULL, &d), LULL_EINVAL);
  ASSERT_STR_EQ(d.field, "title");
  lull_station_get_face(st, &f);
  ASSERT_STR_EQ(f.title, "Nacht"); /* neither took */
  ASSERT_STR_EQ(f.description, "Dunkel");
  ASSERT_EQ_INT(lull_station_set_face(st, NULL, NULL, &d), LULL_OK);
  lull_station_get_face(st, &f);
  ASSERT_STR_EQ(f.title, "night"); /* the name, as at create */
  ASSERT_STR_EQ(f.description, "");
  lull_station_destroy(st);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_lengths_in_characters),
      cmocka_unit_test(test_control_characters_and_bad_utf8),
      cmocka_unit_test(test_utf8_decode),
      cmocka_unit_test(test_station_keeps_its_face),
      cmocka_unit_test(test_a_new_face),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
