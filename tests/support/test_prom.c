/* The exposition format checker (support/prom.c) proves it can fail: a
 * well-formed text passes and gives its values back, and each way a text
 * can break lull's promises is refused, named. */
#include <math.h>
#include <stdlib.h>

#include "support/harness.h"
#include "support/prom.h"

#define GOOD_HEAD                                                              \
  "# HELP a_requests_total Requests.\n# TYPE a_requests_total counter\n"      \
  "a_requests_total 7\n"                                                       \
  "# HELP a_lead_seconds Lead.\n# TYPE a_lead_seconds gauge\n"                 \
  "a_lead_seconds{station=\"m\\\"a\\\\in\\n\"} 0.06\n"

#define HIST_HEAD "# HELP a_wait_seconds Wait.\n# TYPE a_wait_seconds histogram\n"
#define GOOD_HIST                                                              \
  HIST_HEAD "a_wait_seconds_bucket{k=\"x\",le=\"0.001\"} 1\n"                  \
  "a_wait_seconds_bucket{k=\"x\",le=\"0.01\"} 3\n"                             \
  "a_wait_seconds_bucket{k=\"x\",le=\"+Inf\"} 4\n"                             \
  "a_wait_seconds_sum{k=\"x\"} 0.5\na_wait_seconds_count{k=\"x\"} 4\n"

static void test_good_text_passes(void **state) {
  (void)state;
  prom_doc d;
  char err[256];
  int rc = prom_check(GOOD_HEAD GOOD_HIST "\n# a comment\n", &d, err, sizeof err);
  if (rc) fail_msg("refused: %s", err);
  ASSERT_EQ_INT(d.n_families, 3);
  ASSERT_NEAR(prom_value(&d, "a_requests_total", ""), 7, 0);
  ASSERT_NEAR(prom_value(&d, "a_lead_seconds", "station=\"m\\\"a\\\\in\\n\""), 0.06, 1e-12);
  ASSERT_NEAR(prom_value(&d, "a_wait_seconds_count", "k=\"x\""), 4, 0);
  ASSERT_TRUE(isnan(prom_value(&d, "a_wait_seconds_count", "k=\"y\"")));
  ASSERT_STR_EQ(prom_family_of(&d, "a_wait_seconds")->type, "histogram");
  prom_free(&d);
}

static void test_broken_texts_are_refused(void **state) {
  (void)state;
  static const struct {
    const char *text, *why;
  } bad[] = {
      {"# TYPE a_total counter\na_total 1\n", "has no # HELP"},
      {"# HELP a_total A.\na_total 1\n", "has no # TYPE"},
      {"# HELP a_total A.\n# HELP a_total B.\n# TYPE a_total counter\na_total 1\n", "a second # HELP"},
      {"# HELP a_total A.\n# TYPE a_total counter\n# TYPE a_total counter\na_total 1\n", "a second # TYPE"},
      {"# HELP a_total A.\na_total 1\n# TYPE a_total counter\n", "after its samples"},
      {"# HELP a_total A.\n# TYPE a_total counter\na_total{s=\"1\"} 1\n# HELP b B.\n# TYPE b gauge\nb 1\na_total{s=\"2\"} 1\n",
       "not in one group"},
      {"# HELP a A.\n# TYPE a counter\na 1\n", "does not end in _total"},
      {"# HELP a_total A.\n# TYPE a_total gauge\na_total 1\n", "is not a counter"},
      {"# HELP a_lead_ms A.\n# TYPE a_lead_ms gauge\na_lead_ms 60\n", "ms is not a base unit"},
      {"# HELP a_encode_us_mean A.\n# TYPE a_encode_us_mean gauge\na_encode_us_mean 1\n", "not a base unit"},
      {"# HELP a_bytes_sent_total A.\n# TYPE a_bytes_sent_total counter\na_bytes_sent_total 1\n", "not at the end"},
      {"# HELP a A.\n# TYPE a gauge\na{s=\"x\\q\"} 1\n", "bad escape"},
      {"# HELP a A.\n# TYPE a gauge\na{s=\"x\"y\"} 1\n", "labels not separated"},
      {"# HELP a A.\n# TYPE a gauge\na{s=\"x\",s=\"y\"} 1\n", "twice"},
      {"# HELP a A.\n# TYPE a gauge\na 1\na 2\n", "twice"},
      {"# HELP a A.\n# TYPE a gauge\na one\n", "is not a number"},
      {"# HELP a A.\n# TYPE a gauge\na 1", "no line feed"},
      {"# HELP a A.\n# TYPE a meter\na 1\n", "unknown type"},
      {HIST_HEAD "a_wait_seconds_bucket{le=\"0.01\"} 3\na_wait_seconds_bucket{le=\"0.001\"} 3\n"
                 "a_wait_seconds_bucket{le=\"+Inf\"} 3\na_wait_seconds_sum 1\na_wait_seconds_count 3\n",
       "not above the one before"},
      {HIST_HEAD "a_wait_seconds_bucket{le=\"0.001\"} 3\na_wait_seconds_bucket{le=\"0.01\"} 2\n"
                 "a_wait_seconds_bucket{le=\"+Inf\"} 3\na_wait_seconds_sum 1\na_wait_seconds_count 3\n",
       "not cumulative"},
      {HIST_HEAD "a_wait_seconds_bucket{le=\"0.001\"} 3\na_wait_seconds_bucket{le=\"+Inf\"} 3\n"
                 "a_wait_seconds_sum 1\na_wait_seconds_count 4\n",
       "+Inf bucket 3 but _count 4"},
      {HIST_HEAD "a_wait_seconds_bucket{le=\"0.001\"} 3\na_wait_seconds_sum 1\na_wait_seconds_count 3\n", "no +Inf bucket"},
      {HIST_HEAD "a_wait_seconds_bucket{le=\"0.001\"} 3\na_wait_seconds_bucket{le=\"+Inf\"} 3\na_wait_seconds_count 3\n",
       "no _sum"},
      {HIST_HEAD "a_wait_seconds_bucket{le=\"fast\"} 3\na_wait_seconds_bucket{le=\"+Inf\"} 3\n"
                 "a_wait_seconds_sum 1\na_wait_seconds_count 3\n",
       "is not a number"},
      {HIST_HEAD "a_wait_seconds_bucket 3\na_wait_seconds_sum 1\na_wait_seconds_count 3\n", "has no le"},
      {HIST_HEAD "a_wait_seconds 3\n", "a plain sample of a histogram"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    prom_doc d;
    char err[256];
    int rc = prom_check(bad[i].text, &d, err, sizeof err);
    prom_free(&d);
    if (rc == 0) fail_msg("case %zu passed, expected \"%s\":\n%s", i, bad[i].why, bad[i].text);
    if (!strstr(err, bad[i].why)) fail_msg("case %zu: \"%s\", expected \"%s\"", i, err, bad[i].why);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_good_text_passes),
      cmocka_unit_test(test_broken_texts_are_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
