/* err.c: every code has a name and a text; diag formatting. */
#include <string.h>

#include "lull/err.h"
#include "support/harness.h"

static void test_names_and_texts(void **state) {
  (void)state;
  ASSERT_STR_CONTAINS(lull_err_name(LULL_EFULL), "LULL_EFULL");
  ASSERT_STR_CONTAINS(lull_strerror(LULL_EFULL), "full");
  ASSERT_STR_CONTAINS(lull_strerror(LULL_OK), "success");
  ASSERT_STR_CONTAINS(lull_strerror(12345), "unknown");
  ASSERT_STR_CONTAINS(lull_err_name(-999), "LULL_E?");
}

static void test_diag(void **state) {
  (void)state;
  lull_diag d;
  ASSERT_EQ_INT(lull_diag_set(&d, LULL_ERANGE, "bpm", "must be %d..%d, got %d", 30, 180, 200), LULL_ERANGE);
  ASSERT_STR_CONTAINS(d.field, "bpm");
  ASSERT_STR_CONTAINS(d.message, "must be 30..180, got 200");
  ASSERT_EQ_INT(lull_diag_set(NULL, LULL_EINVAL, "x", "y"), LULL_EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_names_and_texts), cmocka_unit_test(test_diag)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
