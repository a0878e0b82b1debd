/* Test harness: cmocka as the runner, typed asserts that print both values
 * and file:line, the test seed (LULL_TEST_SEED overrides), artefacts (WAV
 * dumps) written under LULL_TEST_ARTIFACTS when a test fails, and scratch
 * folders for tests of files. */
#ifndef LULL_TEST_HARNESS_H
#define LULL_TEST_HARNESS_H

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#define ASSERT_TRUE(cond)                                                      \
  do {                                                                         \
    if (!(cond)) fail_msg("%s:%d: expected %s", __FILE__, __LINE__, #cond);    \
  } while (0)

#define ASSERT_EQ_INT(a, b)                                                                         \
  do {                                                                                              \
    long long a_ = (long long)(a), b_ = (long long)(b);                                             \
    if (a_ != b_) fail_msg("%s:%d: %s = %lld, expected %s = %lld", __FILE__, __LINE__, #a, a_, #b, b_); \
  } while (0)

#define ASSERT_NEAR(a, b, tol)                                                                          \
  do {                                                                                                  \
    double a_ = (double)(a), b_ = (double)(b), t_ = (double)(tol);                                      \
    if (!(fabs(a_ - b_) <= t_))                                                                         \
      fail_msg("%s:%d: %s = %.9g, expected %.9g +- %.3g", __FILE__, __LINE__, #a, a_, b_, t_);          \
  } while (0)

#define ASSERT_LE(a, b)                                                                               \
  do {                                                                                                \
    double a_ = (double)(a), b_ = (double)(b);                                                        \
    if (!(a_ <= b_)) fail_msg("%s:%d: %s = %.9g, expected <= %s = %.9g", __FILE__, __LINE__, #a, a_, #b, b_); \
  } while (0)

#define ASSERT_GE(a, b)                                                                               \
  do {                                                                                                \
    double a_ = (double)(a), b_ = (double)(b);                                                        \
    if (!(a_ >= b_)) fail_msg("%s:%d: %s = %.9g, expected >= %s = %.9g", __FILE__, __LINE__, #a, a_, #b, b_); \
  } while (0)

#define ASSERT_STR_CONTAINS(hay, needle)                                                           \
  do {                                                                                             \
    const char *h_ = (hay), *n_ = (needle);                                                        \
    if (!h_ || !strstr(h_, n_)) fail_msg("%s:%d: \"%s\" does not contain \"%s\"", __FILE__, __LINE__, h_ ? h_ : "(null)", n_); \
  } while (0)

/* Exact string equality: a diag's field is a name, and "" (the whole input)
 * is a value to check like any other (a contains-check with "" cannot fail). */
#define ASSERT_STR_EQ(a, b)                                                                        \
  do {                                                                                             \
    const char *a_ = (a), *b_ = (b);                                                               \
    if (!a_ || strcmp(a_, b_) != 0) fail_msg("%s:%d: %s = \"%s\", expected \"%s\"", __FILE__, __LINE__, #a, a_ ? a_ : "(null)", b_); \
  } while (0)

/* The seed for randomised inputs: LULL_TEST_SEED if set, else dflt. Printed. */
uint64_t lull_test_seed(uint64_t dflt);
/* Write a float WAV to $LULL_TEST_ARTIFACTS/name.wav (for failures). */
void lull_test_dump_wav(const char *name, const float *interleaved, size_t frames, int channels);
/* A scratch folder for a test file's group: lull_test_dir_setup and
 * _teardown are cmocka group fixtures that make lull_test_dir (a fresh
 * /tmp/lull-test-XXXXXX) and remove it with the files in it. */
extern char lull_test_dir[64];
int lull_test_dir_setup(void **state);
int lull_test_dir_teardown(void **state);
/* A folder's entries (not . and ..): what a test left behind; -1 if it
 * cannot be read. */
int lull_test_files_in(const char *dir);

#endif
