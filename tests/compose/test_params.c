/* params.c: defaults, validation naming the field and range, setting from
 * text, and the params left unchanged by a bad value. */
#include "lull/params.h"
#include "support/harness.h"

static void expect_bad(const char *field, const char *value, int err, const char *text) {
  lull_params p = lull_params_default(), before = p;
  lull_diag d = {{0}, {0}};
  ASSERT_EQ_INT(lull_params_set(&p, field, value, &d), err);
  ASSERT_STR_CONTAINS(d.field, field);
  ASSERT_STR_CONTAINS(d.message, text);
  ASSERT_TRUE(memcmp(&p, &before, sizeof p) == 0); /* never half-applied, never clamped */
}

static void test_set_and_validate(void **state) {
  (void)state;
  lull_params p = lull_params_default();
  lull_diag d;
  ASSERT_EQ_INT(lull_params_validate(&p, &d), LULL_OK);
  ASSERT_EQ_INT(lull_params_set(&p, "key", "F#", &d), LULL_OK);
  ASSERT_EQ_INT(p.key, 6);
  ASSERT_EQ_INT(lull_params_set(&p, "key", "Bb", &d), LULL_OK);
  ASSERT_EQ_INT(p.key, 10);
  ASSERT_EQ_INT(lull_params_set(&p, "key", "11", &d), LULL_OK);
  ASSERT_EQ_INT(p.key, 11);
  ASSERT_EQ_INT(lull_params_set(&p, "mode", "minor", &d), LULL_OK);
  ASSERT_EQ_INT(p.mode, LULL_MODE_AEOLIAN);
  ASSERT_EQ_INT(lull_params_set(&p, "mode", "major", &d), LULL_OK);
  ASSERT_EQ_INT(p.mode, LULL_MODE_IONIAN);
  ASSERT_EQ_INT(lull_params_set(&p, "mode", "pentatonic-minor", &d), LULL_OK);
  ASSERT_EQ_INT(p.mode, LULL_MODE_PENTA_MINOR);
  ASSERT_EQ_INT(lull_params_set(&p, "bpm", "30", &d), LULL_OK);
  ASSERT_EQ_INT(lull_params_set(&p, "bpm", "180", &d), LULL_OK);
  ASSERT_EQ_INT(lull_params_set(&p, "intensity", "0", &d), LULL_OK);
  ASSERT_EQ_INT(lull_params_set(&p, "intensity", "1", &d), LULL_OK);
  ASSERT_EQ_INT(lull_params_set(&p, "seed", "18446744073709551615", &d), LULL_OK);
  ASSERT_TRUE(p.seed == UINT64_MAX);
  ASSERT_STR_CONTAINS(lull_mode_name(LULL_MODE_DORIAN), "dorian");
  ASSERT_STR_CONTAINS(lull_key_name(1), "C#");
  ASSERT_EQ_INT(lull_params_default().palette, LULL_PALETTE_CLASSIC);
  for (int k = 0; k < LULL_PALETTE_COUNT; k++) {
    ASSERT_EQ_INT(lull_params_set(&p, "palette", lull_palette_name(k), &d), LULL_OK);
    ASSERT_EQ_INT(p.palette, k);
    ASSERT_EQ_INT(lull_palette_parse(lull_palette_name(k)), k);
    ASSERT_TRUE(strlen(lull_palette_describe(k)) > 20);
  }
  ASSERT_TRUE(lull_palette_name(LULL_PALETTE_COUNT) == NULL && lull_palette_describe(-1) == NULL);
}

static void test_rejections(void **state) {
  (void)state;
  expect_bad("key", "H", LULL_ERANGE, "must be a note name (C, C#, Db, D, ... B) or 0..11, got \"H\"");
  expect_bad("key", "12", LULL_ERANGE, "or 0..11");
  expect_bad("mode", "blues", LULL_ERANGE, "must be one of ionian (major), dorian, phrygian");
  expect_bad("bpm", "29.9", LULL_ERANGE, "must be a number 30..180, got \"29.9\"");
  expect_bad("bpm", "180.5", LULL_ERANGE, "30..180");
  expect_bad("bpm", "fast", LULL_ERANGE, "30..180");
  expect_bad("bpm", "nan", LULL_ERANGE, "30..180");
  expect_bad("intensity", "-0.1", LULL_ERANGE, "must be a number 0..1, got \"-0.1\"");
  expect_bad("intensity", "1.01", LULL_ERANGE, "0..1");
  expect_bad("seed", "-1", LULL_ERANGE, "whole number 0..18446744073709551615");
  expect_bad("seed", "18446744073709551616", LULL_ERANGE, "whole number");
  expect_bad("palette", "jazz", LULL_ERANGE, "must be one of classic, glass, strings, keys, night, tape; got \"jazz\"");
  expect_bad("palette", "", LULL_ERANGE, "classic, glass");
  expect_bad("tempo", "60", LULL_EUNKNOWN, "known: key, mode, bpm, intensity, palette, seed");
  lull_params p = lull_params_default();
  lull_diag d;
  p.bpm = 200;
  ASSERT_EQ_INT(lull_params_validate(&p, &d), LULL_ERANGE);
  ASSERT_STR_CONTAINS(d.field, "bpm");
  ASSERT_STR_CONTAINS(d.message, "30..180, got 200");
  p = lull_params_default(), p.intensity = 2;
  ASSERT_EQ_INT(lull_params_validate(&p, &d), LULL_ERANGE);
  ASSERT_STR_CONTAINS(d.field, "intensity");
  p = lull_params_default(), p.key = 12;
  ASSERT_EQ_INT(lull_params_validate(&p, &d), LULL_ERANGE);
  ASSERT_STR_CONTAINS(d.field, "key");
  p = lull_params_default(), p.mode = LULL_MODE_COUNT;
  ASSERT_EQ_INT(lull_params_validate(&p, &d), LULL_ERANGE);
  ASSERT_STR_CONTAINS(d.field, "mode");
  p = lull_params_default(), p.palette = LULL_PALETTE_COUNT;
  ASSERT_EQ_INT(lull_params_validate(&p, &d), LULL_ERANGE);
  ASSERT_STR_CONTAINS(d.field, "palette");
  ASSERT_STR_CONTAINS(d.message, "classic, glass");
  ASSERT_EQ_INT(lull_params_validate(NULL, &d), LULL_EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_set_and_validate), cmocka_unit_test(test_rejections)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
