/* The approximations in dsp.h against libm in double precision; the 8-lane
 * forms against the scalar ones. */
#include "dsp/dsp.h"
#include "support/harness.h"

static void test_sin_turns(void **state) {
  (void)state;
  double worst = 0;
  for (int i = -500000; i <= 500000; i++) {
    float x = (float)i / 1000000.0f;
    worst = fmax(worst, fabs(lull__sin_turns(x) - sin(2 * M_PI * (double)x)));
  }
  printf("# sin_turns max error %.3g\n", worst);
  ASSERT_LE(worst, 1e-6);
}

static void test_sin_turns8_matches_scalar(void **state) {
  (void)state;
  for (int i = -4000; i < 4000; i += 8) {
    v8f x;
    for (int j = 0; j < 8; j++) x[j] = (float)(i + j) / 8000.0f;
    v8f y = lull__sin_turns8(x);
    for (int j = 0; j < 8; j++) ASSERT_NEAR(y[j], lull__sin_turns(x[j]), 1e-7);
  }
}

static void test_soft_clip(void **state) {
  (void)state;
  float prev = -2;
  for (int i = -6000; i <= 6000; i++) {
    float x = (float)i / 1000.0f, y = lull__soft_clip(x);
    ASSERT_LE(fabs(y), 1.0);
    ASSERT_GE(y, prev - 1.2e-7f); /* monotonic (to an ulp at the clamp) */
    ASSERT_NEAR(y, -lull__soft_clip(-x), 1e-7);
    if (fabsf(x) <= 3.0f) ASSERT_NEAR(y, tanh((double)x), 0.025);
    prev = y;
  }
  ASSERT_NEAR(lull__soft_clip(0.1f), tanh(0.1), 1e-4); /* transparent when quiet */
}

static void test_hsum_and_transpose(void **state) {
  (void)state;
  v8f a, b, c, d;
  for (int j = 0; j < 8; j++) a[j] = (float)j, b[j] = (float)(10 * j), c[j] = 1.0f, d[j] = (float)(j * j);
  float sa, sb, sc, sd;
  v8f_hsum4(a, b, c, d, &sa, &sb, &sc, &sd);
  ASSERT_NEAR(sa, 28, 0);
  ASSERT_NEAR(sb, 280, 0);
  ASSERT_NEAR(sc, 8, 0);
  ASSERT_NEAR(sd, 140, 0);
  v8f_hsum2(a, b, &sa, &sb);
  ASSERT_NEAR(sa, 28, 0);
  ASSERT_NEAR(sb, 280, 0);
  v8f m[8];
  for (int i = 0; i < 8; i++)
    for (int j = 0; j < 8; j++) m[i][j] = (float)(i * 8 + j);
  v8f_transpose8(m);
  for (int i = 0; i < 8; i++)
    for (int j = 0; j < 8; j++) ASSERT_NEAR(m[i][j], j * 8 + i, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sin_turns),
      cmocka_unit_test(test_sin_turns8_matches_scalar),
      cmocka_unit_test(test_soft_clip),
      cmocka_unit_test(test_hsum_and_transpose),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
