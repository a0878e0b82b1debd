/* svf.c: lowpass -3 dB at cutoff (Q 0.707), bandpass peak at its centre,
 * highpass -3 dB at cutoff, stable under a 20 Hz - 20 kHz sweep, and the
 * eight-lane form equal to the scalar one. Gains are measured on sines. */
#include <stdlib.h>

#include "dsp/dsp.h"
#include "support/harness.h"
#include "support/signal.h"

#define FS 48000.0f

/* Steady-state gain in dB of the filter for a sine at hz. */
static double gain_db(float cutoff, float q, lull_svf_mode mode, double hz) {
  lull_svf f;
  lull__svf_init(&f, FS);
  lull__svf_set(&f, cutoff, q);
  enum { N = 48000 };
  float *x = malloc(sizeof(float) * N), *y = malloc(sizeof(float) * N);
  for (int i = 0; i < N; i++) x[i] = (float)sin(2 * M_PI * hz * i / FS);
  lull__svf_process(&f, mode, y, x, N);
  double g = sig_rms(y + N / 2, N / 2, 1) / sig_rms(x + N / 2, N / 2, 1);
  free(x);
  free(y);
  return sig_db(g);
}

static void test_lowpass_cutoff(void **state) {
  (void)state;
  const float cutoffs[] = {100, 1000, 5000, 15000};
  for (int i = 0; i < 4; i++) {
    double db = gain_db(cutoffs[i], 0.7071f, LULL_SVF_LOWPASS, cutoffs[i]);
    printf("# lowpass %g Hz: %.2f dB at cutoff\n", (double)cutoffs[i], db);
    ASSERT_NEAR(db, -3.01, 0.5);
    ASSERT_NEAR(gain_db(cutoffs[i], 0.7071f, LULL_SVF_LOWPASS, cutoffs[i] / 10.0), 0.0, 0.1);
  }
  /* 12 dB per octave: two octaves above 1 kHz is about -24 dB. */
  ASSERT_NEAR(gain_db(1000, 0.7071f, LULL_SVF_LOWPASS, 4000), -24.0, 1.5);
}

static void test_highpass_cutoff(void **state) {
  (void)state;
  ASSERT_NEAR(gain_db(1000, 0.7071f, LULL_SVF_HIGHPASS, 1000), -3.01, 0.5);
  ASSERT_NEAR(gain_db(7000, 0.7071f, LULL_SVF_HIGHPASS, 7000), -3.01, 0.5);
  ASSERT_NEAR(gain_db(1000, 0.7071f, LULL_SVF_HIGHPASS, 12000), 0.0, 0.1);
}

static void test_bandpass_peak(void **state) {
  (void)state;
  const float centres[] = {300, 1000, 4000};
  const float qs[] = {2, 5};
  for (int c = 0; c < 3; c++)
    for (int k = 0; k < 2; k++) {
      double best = -1e9, best_hz = 0;
      for (double hz = centres[c] * 0.8; hz <= centres[c] * 1.2; hz *= 1.002) {
        double g = gain_db(centres[c], qs[k], LULL_SVF_BANDPASS, hz);
        if (g > best) best = g, best_hz = hz;
      }
      ASSERT_NEAR(best_hz, centres[c], centres[c] * 0.02);
      ASSERT_NEAR(best, 0.0, 0.3); /* unity at the centre */
      /* Half an octave off the centre it is well down (more so at higher Q). */
      ASSERT_LE(gain_db(centres[c], qs[k], LULL_SVF_BANDPASS, centres[c] * 1.414), qs[k] > 3 ? -9.0 : -4.0);
    }
}

static void test_sweep_is_stable(void **state) {
  (void)state;
  lull_svf f;
  lull__svf_init(&f, FS);
  lull_noise n;
  lull__noise_init(&n, lull_test_seed(7));
  float x[64], y[64];
  double peak = 0;
  /* 20 Hz -> 20 kHz and back over 4 s, Q 10, coefficients every 64 frames. */
  for (int block = 0; block < 3000; block++) {
    double t = (double)block / 3000.0, up = t < 0.5 ? 2 * t : 2 - 2 * t;
    lull__svf_set(&f, (float)(20.0 * pow(1000.0, up)), 10.0f);
    for (int i = 0; i < 64; i++) x[i] = lull__noise_next(&n);
    for (int mode = 0; mode < 3; mode++) {
      lull_svf g = f;
      lull__svf_process(&g, (lull_svf_mode)mode, y, x, 64);
      if (mode == 0) f = g;
      for (int i = 0; i < 64; i++) {
        ASSERT_TRUE(isfinite(y[i]));
        peak = fmax(peak, fabs(y[i]));
      }
    }
  }
  ASSERT_LE(peak, 50.0); /* resonant, but bounded */
}

static void test_lanes_match_scalar(void **state) {
  (void)state;
  lull_svf8 f8;
  lull_svf f[8];
  lull__svf8_init(&f8, FS);
  for (int j = 0; j < 8; j++) {
    lull__svf_init(&f[j], FS);
    lull__svf_set(&f[j], 200.0f * (float)(j + 1), 0.5f + (float)j);
    lull__svf8_set_lane(&f8, j, 200.0f * (float)(j + 1), 0.5f + (float)j);
  }
  lull_noise n;
  lull__noise_init(&n, 3);
  for (int i = 0; i < 4800; i++) {
    float s = lull__noise_next(&n);
    v8f y = lull__svf8_tick(&f8, LULL_SVF_BANDPASS, v8f_set1(s));
    for (int j = 0; j < 8; j++) {
      float ys;
      lull__svf_process(&f[j], LULL_SVF_BANDPASS, &ys, &s, 1);
      ASSERT_NEAR(y[j], ys, 1e-5);
    }
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_lowpass_cutoff),  cmocka_unit_test(test_highpass_cutoff),
      cmocka_unit_test(test_bandpass_peak),   cmocka_unit_test(test_sweep_is_stable),
      cmocka_unit_test(test_lanes_match_scalar),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
