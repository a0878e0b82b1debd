/* timeline.c: changes in order, each applied on top of the last; errors
 * name the entry and field; string values are checked whole; a palette
 * goes by name. */
#include "io/io.h"
#include "support/harness.h"

static void test_parse(void **state) {
  (void)state;
  lull_params start = lull_params_default();
  lull_timeline t;
  lull_diag d;
  const char *text = "[{\"at\": 10, \"key\": \"D\", \"mode\": \"dorian\", \"palette\": \"glass\"}, {\"at\": 20.5, \"bpm\": 90},"
                     " {\"at\": 30, \"intensity\": 0.8, \"key\": 4, \"palette\": \"night\"}]";
  ASSERT_EQ_INT(lull__timeline_parse(text, "t.json", &start, 48000, &t, &d), LULL_OK);
  ASSERT_EQ_INT(t.count, 3);
  ASSERT_EQ_INT(t.changes[0].frame, 480000);
  ASSERT_EQ_INT(t.changes[0].params.key, 2);
  ASSERT_EQ_INT(t.changes[0].params.mode, LULL_MODE_DORIAN);
  ASSERT_EQ_INT(t.changes[0].params.palette, LULL_PALETTE_GLASS); /* by name */
  ASSERT_NEAR(t.changes[0].params.bpm, start.bpm, 0);
  ASSERT_EQ_INT(t.changes[1].frame, 984000);
  ASSERT_NEAR(t.changes[1].params.bpm, 90, 0);
  ASSERT_EQ_INT(t.changes[1].params.mode, LULL_MODE_DORIAN); /* carried on */
  ASSERT_EQ_INT(t.changes[1].params.palette, LULL_PALETTE_GLASS);
  ASSERT_EQ_INT(t.changes[2].params.key, 4);
  ASSERT_NEAR(t.changes[2].params.intensity, 0.8, 1e-6);
  ASSERT_NEAR(t.changes[2].params.bpm, 90, 0);
  ASSERT_EQ_INT(t.changes[2].params.palette, LULL_PALETTE_NIGHT);
  lull__timeline_free(&t);
}

static void expect(const char *text, int err, const char *field, const char *msg) {
  lull_params start = lull_params_default();
  lull_timeline t;
  lull_diag d = {{0}, {0}};
  ASSERT_EQ_INT(lull__timeline_parse(text, "bad.json", &start, 48000, &t, &d), err);
  ASSERT_STR_EQ(d.field, field);
  ASSERT_STR_CONTAINS(d.message, msg);
  ASSERT_TRUE(t.changes == NULL);
}

static void test_errors(void **state) {
  (void)state;
  expect("{\"at\": 1}", LULL_EPARSE, "", "a timeline is a JSON array");
  expect("[1]", LULL_EPARSE, "timeline[0]", "must be an object");
  expect("[{\"key\": \"D\"}]", LULL_ERANGE, "timeline[0].at", "seconds from the start");
  expect("[{\"at\": -1, \"key\": \"D\"}]", LULL_ERANGE, "timeline[0].at", "seconds");
  expect("[{\"at\": 5, \"key\": \"D\"}, {\"at\": 4, \"key\": \"E\"}]", LULL_ERANGE, "timeline[1].at", "in order");
  expect("[{\"at\": 5}]", LULL_EPARSE, "timeline[0]", "changes nothing; give key, mode, bpm, intensity or palette");
  expect("[{\"at\": 5, \"key\": \"X\"}]", LULL_ERANGE, "timeline[0].key", "note name");
  expect("[{\"at\": 5, \"bpm\": 10}]", LULL_ERANGE, "timeline[0].bpm", "30..180");
  expect("[{\"at\": 5, \"intensity\": true}]", LULL_ERANGE, "timeline[0].intensity", "0..1");
  /* A palette by name only, and a known one: the names allowed are given. */
  expect("[{\"at\": 5, \"palette\": 2}]", LULL_ERANGE, "timeline[0].palette",
         "must be one of classic, glass, strings, keys, night, tape");
  expect("[{\"at\": 5, \"palette\": \"jazz\"}]", LULL_ERANGE, "timeline[0].palette", "got \"jazz\"");
  expect("[{\"at\": 5, \"seed\": 3}]", LULL_EINVAL, "timeline[0].seed", "cannot change");
  expect("[{\"at\": 5, \"volume\": 3}]", LULL_EUNKNOWN, "timeline[0].volume", "allowed: at, key, mode, bpm, intensity, palette");
  expect("[{\"at\": 5, \"at\": 6, \"key\": \"D\"}]", LULL_EPARSE, "", "duplicate");
  /* A value is read whole: this is 5.000..., though its first 63
   * characters read 0.5 (fuzz/corpus/timeline/regress-value-cut-short.json). */
  expect("[{\"at\": 0, \"intensity\": \"0.5000000000000000000000000000000000000000000000000000000000000001e1\"}]",
         LULL_ERANGE, "timeline[0].intensity", "0..1");
}

/* A string value is checked whole, never a copy cut short: garbage past the
 * 63rd character is an error, and so is a valid value padded past 63. */
static void test_long_values(void **state) {
  (void)state;
  char text[512], value[256];
  /* "70." and zeros up to 63 characters: a number, and accepted. */
  snprintf(value, sizeof value, "70.%0*d", 60, 0);
  snprintf(text, sizeof text, "[{\"at\": 5, \"bpm\": \"%s\"}]", value);
  lull_params start = lull_params_default();
  lull_timeline t;
  lull_diag d;
  ASSERT_EQ_INT(lull__timeline_parse(text, "t.json", &start, 48000, &t, &d), LULL_OK);
  ASSERT_NEAR(t.changes[0].params.bpm, 70, 0);
  lull__timeline_free(&t);
  /* Garbage after the 63rd character. */
  snprintf(value, sizeof value, "70.%0*dgarbage", 70, 0);
  snprintf(text, sizeof text, "[{\"at\": 5, \"bpm\": \"%s\"}]", value);
  expect(text, LULL_ERANGE, "timeline[0].bpm", "must be a number 30..180");
  snprintf(text, sizeof text, "[{\"at\": 5, \"key\": \"D\"}, {\"at\": 6, \"mode\": \"dorian%064d\"}]", 0);
  expect(text, LULL_ERANGE, "timeline[1].mode", "must be one of");
  /* A valid number, but longer than any value: named, with the limit. */
  snprintf(value, sizeof value, "70.%0*d", 61, 0);
  snprintf(text, sizeof text, "[{\"at\": 5, \"intensity\": 0.5, \"bpm\": \"%s\"}]", value);
  expect(text, LULL_ERANGE, "timeline[0].bpm", "is 64 characters long; a value is at most 63");
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_parse), cmocka_unit_test(test_errors),
                                     cmocka_unit_test(test_long_values)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
