/* wavetable.c + osc.c: band-limited saw and square. Frequency within 0.1 %,
 * and at 5 kHz every alias at least 40 dB below the fundamental. */
#include <stdlib.h>

#include "dsp/dsp.h"
#include "support/harness.h"
#include "support/signal.h"

#define FS 48000.0f
#define N 65536

static float *tables;
static lull_wavetable wt;

static int setup(void **state) {
  (void)state;
  tables = malloc(sizeof(float) * lull__wavetable_floats());
  lull__wavetable_init(&wt, FS, tables);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  free(tables);
  return 0;
}

static float *render(lull_wave wave, float hz) {
  lull_osc o;
  lull__osc_init(&o, &wt);
  lull__osc_set_hz(&o, &wt, wave, hz);
  float *x = calloc(N, sizeof *x);
  lull__osc_process(&o, x, N);
  return x;
}

/* Worst component that is not a harmonic of f0, relative to the fundamental. */
static double worst_alias_db(const float *x, double f0) {
  double *spec = sig_spectrum(x, N, 1);
  double fund;
  sig_peak_hz(spec, N, FS, f0 * 0.99, f0 * 1.01, &fund);
  double worst = 0;
  double bin_hz = FS / N;
  for (size_t i = 2; i < N / 2; i++) {
    double f = (double)i * bin_hz;
    double h = f / f0, dist = fabs(h - round(h)) * f0;
    if (round(h) >= 1 && dist < 8 * bin_hz) continue; /* a harmonic's main lobe */
    if (spec[i] > worst) worst = spec[i];
  }
  free(spec);
  return sig_db(worst / fund);
}

static void test_saw_alias_5k(void **state) {
  (void)state;
  float *x = render(LULL_WAVE_SAW, 5000.0f);
  double db = worst_alias_db(x, 5000.0);
  printf("# 5 kHz saw: worst alias %.1f dB\n", db);
  if (db > -40) lull_test_dump_wav("saw_5k", x, N, 1);
  ASSERT_LE(db, -40.0);
  free(x);
}

static void test_square_alias_5k(void **state) {
  (void)state;
  float *x = render(LULL_WAVE_SQUARE, 5000.0f);
  double db = worst_alias_db(x, 5000.0);
  printf("# 5 kHz square: worst alias %.1f dB\n", db);
  ASSERT_LE(db, -40.0);
  free(x);
}

static void test_alias_across_range(void **state) {
  (void)state;
  const float freqs[] = {55.0f, 440.0f, 1234.5f, 3000.0f, 7777.0f, 11000.0f};
  for (size_t i = 0; i < sizeof freqs / sizeof freqs[0]; i++) {
    float *x = render(LULL_WAVE_SAW, freqs[i]);
    double db = worst_alias_db(x, freqs[i]);
    printf("# saw %.1f Hz: worst non-harmonic %.1f dB\n", (double)freqs[i], db);
    ASSERT_LE(db, -40.0);
    free(x);
  }
}

static void test_frequency(void **state) {
  (void)state;
  const float freqs[] = {27.5f, 110.0f, 440.0f, 1000.0f, 3520.0f, 5000.0f};
  for (int w = 0; w < LULL_WAVE_COUNT; w++)
    for (size_t i = 0; i < sizeof freqs / sizeof freqs[0]; i++) {
      float *x = render((lull_wave)w, freqs[i]);
      double hz = sig_zero_cross_hz(x, N, 1, FS);
      ASSERT_NEAR(hz, freqs[i], (double)freqs[i] * 0.001);
      free(x);
    }
}

static void test_saw_shape(void **state) {
  (void)state;
  /* A 100 Hz saw rises: mean slope positive, peak near 1 (Gibbs <= 1.2). */
  float *x = render(LULL_WAVE_SAW, 100.0f);
  double peak = sig_peak(x, N, 1);
  ASSERT_GE(peak, 0.95);
  ASSERT_LE(peak, 1.2);
  ASSERT_NEAR(sig_mean(x, 48000, 1), 0.0, 1e-3);
  /* Against additive synthesis in double of the band's harmonics (the
   * 90-128 Hz band keeps 171: 171 x 128 Hz < 22 kHz). */
  double worst = 0, sq = 0;
  for (int i = 0; i < 960; i++) {
    double ref = 0, t = 100.0 * i / FS;
    for (int k = 1; k <= 171; k++) ref += ((k & 1) ? 2.0 : -2.0) / (M_PI * k) * sin(2 * M_PI * k * t);
    worst = fmax(worst, fabs(x[i] - ref));
    sq += (x[i] - ref) * (x[i] - ref);
  }
  double rms = sqrt(sq / 960);
  printf("# 100 Hz saw vs additive reference: max error %.2g, rms %.2g\n", worst, rms);
  /* Linear interpolation of a 2048-point table: at most (1/2048)^2/8 x
   * max|f''| = 0.011 at the jump, far less along the ramp. */
  ASSERT_LE(worst, 0.011);
  ASSERT_LE(rms, 1e-3);
  free(x);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_saw_alias_5k),  cmocka_unit_test(test_square_alias_5k),
      cmocka_unit_test(test_alias_across_range), cmocka_unit_test(test_frequency),
      cmocka_unit_test(test_saw_shape),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
