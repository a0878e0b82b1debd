/* formant.c: the vowel "a" peaks at each formant, 6 dB above the valleys
 * beside it (sine sweeps), "a" and "u" differ at a's F2, the morph moves
 * F1 between neighbours, a saw keeps its RMS across vowels (the
 * normalisation); the choir's pitch within 0.5 % (48 and 96 kHz), its vowel
 * drifting within the patch range, its envelope and level, split
 * invariance. */
#include <stdlib.h>

#include "dsp/dsp.h"
#include "support/harness.h"
#include "support/signal.h"
#include "palette_fixture.h"

#define FS 48000.0f

#define wt96 wt48 /* see palette_fixture.h */

/* Steady-state gain in dB of the filter at vowel for a sine at hz. */
static double gain_db(int voice, float vowel, double hz) {
  lull_formant f;
  lull__formant_init(&f, FS);
  lull__formant_set_voice(&f, voice);
  lull__formant_set_vowel(&f, vowel);
  enum { N = 9600 };
  float x[N], y[N];
  for (int i = 0; i < N; i++) x[i] = (float)sin(2 * M_PI * hz * i / FS);
  lull__formant_process(&f, y, x, N);
  return sig_db(sig_rms(y + N / 2, N / 2, 1) / sig_rms(x + N / 2, N / 2, 1));
}

/* The lowest gain between lo and hi (log steps). */
static double valley_db(int voice, float vowel, double lo, double hi) {
  double v = 1e9;
  for (double hz = lo; hz <= hi; hz *= 1.03) v = fmin(v, gain_db(voice, vowel, hz));
  return v;
}

static void test_vowel_a_peaks(void **state) {
  (void)state;
  /* Tenor a: F 650, 1080, 2650 Hz. */
  double f1 = gain_db(LULL_FORMANT_TENOR, 0, 650), f2 = gain_db(LULL_FORMANT_TENOR, 0, 1080),
         f3 = gain_db(LULL_FORMANT_TENOR, 0, 2650);
  double v12 = valley_db(LULL_FORMANT_TENOR, 0, 700, 1000), v23 = valley_db(LULL_FORMANT_TENOR, 0, 1200, 2500);
  printf("# tenor a: F1 %.1f, F2 %.1f, F3 %.1f dB; valleys %.1f (F1-F2), %.1f dB (F2-F3)\n", f1, f2, f3, v12, v23);
  ASSERT_NEAR(f1, 0.0, 1.5); /* "a" is the reference: unity at F1 */
  ASSERT_GE(f1, v12 + 6.0);
  ASSERT_GE(f2, v12 + 6.0);
  ASSERT_GE(f2, v23 + 6.0);
  ASSERT_GE(f3, v23 + 6.0);
  ASSERT_GE(f3, gain_db(LULL_FORMANT_TENOR, 0, 4000) + 6.0);
  /* Soprano a: 800, 1150 Hz. */
  double s1 = gain_db(LULL_FORMANT_SOPRANO, 0, 800), s2 = gain_db(LULL_FORMANT_SOPRANO, 0, 1150),
         sv = valley_db(LULL_FORMANT_SOPRANO, 0, 850, 1100);
  printf("# soprano a: F1 %.1f, F2 %.1f dB, valley %.1f dB\n", s1, s2, sv);
  ASSERT_GE(s1, sv + 6.0);
  ASSERT_GE(s2, sv + 6.0);
}

static void test_a_differs_from_u(void **state) {
  (void)state;
  double a = gain_db(LULL_FORMANT_TENOR, 0, 1080), u = gain_db(LULL_FORMANT_TENOR, 4, 1080);
  printf("# at a's F2 (1080 Hz): a %.1f dB, u %.1f dB\n", a, u);
  ASSERT_GE(a - u, 10.0);
  /* And u is the darker at its own F1. */
  ASSERT_GE(gain_db(LULL_FORMANT_TENOR, 4, 350), gain_db(LULL_FORMANT_TENOR, 0, 350) + 6.0);
}

/* Halfway from a (F1 650) to e (F1 400): the F1 peak near 525 Hz. */
static void test_morph(void **state) {
  (void)state;
  double best = -1e9, best_hz = 0;
  for (double hz = 440; hz <= 620; hz += 2) {
    double g = gain_db(LULL_FORMANT_TENOR, 0.5f, hz);
    if (g > best) best = g, best_hz = hz;
  }
  printf("# vowel 0.5: F1 peak at %.0f Hz\n", best_hz);
  ASSERT_NEAR(best_hz, 525.0, 15.0);
}

/* A 150 Hz saw through each vowel: RMS within 4 dB of vowel a's. */
static void test_normalised(void **state) {
  (void)state;
  enum { N = 24000 };
  float *x = malloc(sizeof(float) * N), *y = malloc(sizeof(float) * N);
  for (int i = 0; i < N; i++) x[i] = (float)(2.0 * fmod(150.0 * i / FS, 1.0) - 1.0);
  for (int voice = 0; voice < 2; voice++) {
    double ref = 0;
    for (int vw = 0; vw < 5; vw++) {
      lull_formant f;
      lull__formant_init(&f, FS);
      lull__formant_set_voice(&f, voice);
      lull__formant_set_vowel(&f, (float)vw);
      lull__formant_process(&f, y, x, N);
      double db = sig_db(sig_rms(y + N / 2, N / 2, 1));
      if (vw == 0) ref = db;
      printf("# voice %d vowel %d: %.1f dB\n", voice, vw, db);
      ASSERT_NEAR(db, ref, 4.0);
    }
  }
  free(x), free(y);
}

static void render_choir(lull_choir *v, float *out, size_t n, uint64_t chunk_seed) {
  size_t i = 0;
  while (i < n) {
    size_t m = next_chunk(&chunk_seed, n - i, 500);
    lull__choir_render(v, out + i, (uint32_t)m);
    i += m;
  }
}

static void test_choir_pitch(void **state) {
  (void)state;
  const lull_choir_patch *patches[] = {&lull__choir_ooh, &lull__choir_aah};
  const double notes[] = {110.0, 440.0, 880.0};
  for (int r = 0; r < 2; r++) {
    float fs = r ? 96000.0f : FS;
    for (int p = 0; p < 2; p++)
      for (int k = 0; k < 3; k++) {
        lull_choir v;
        lull__choir_init(&v, fs);
        lull__choir_start(&v, patches[p], r ? &wt96 : &wt48, (float)notes[k], 1.0f, 11);
        size_t n = (size_t)(0.6 * fs);
        float *x = malloc(sizeof(float) * n);
        render_choir(&v, x, n, 0);
        size_t w = (size_t)(0.15 * fs);
        double got = sig_period_hz(x + n - w, w, 1, fs, notes[k] * 0.7, notes[k] * 1.4);
        if (fabs(got / notes[k] - 1) > 0.005)
          fail_msg("%g Hz, patch %d: %.3f Hz, expected %.3f", (double)fs, p, got, notes[k]);
        free(x);
      }
  }
}

static void test_choir_drift_envelope_level(void **state) {
  (void)state;
  const lull_choir_patch *patches[] = {&lull__choir_ooh, &lull__choir_aah};
  for (int p = 0; p < 2; p++) {
    lull_choir v;
    lull__choir_init(&v, FS);
    ASSERT_EQ_INT(lull__choir_active(&v), 0);
    lull__choir_start(&v, patches[p], &wt48, 220.0f, 1.0f, lull_test_seed(13));
    float *x = malloc(sizeof(float) * 48000);
    size_t half = (size_t)(patches[p]->attack_s * FS / 2);
    render_choir(&v, x, half, 0);
    ASSERT_NEAR(lull__choir_level(&v), 0.5, 0.01);
    double lo = 1e9, hi = -1e9, peak = 0, rms = 0;
    for (int s = 0; s < 16; s++) { /* 16 s */
      render_choir(&v, x, 48000, 0);
      lo = fmin(lo, v.vowel_pos), hi = fmax(hi, v.vowel_pos);
      peak = fmax(peak, sig_peak(x, 48000, 1));
      rms += sig_rms(x, 48000, 1) / 16;
    }
    printf("# patch %d: vowel %.2f .. %.2f (range %.2f .. %.2f), peak %.3f, RMS %.3f\n", p, lo, hi,
           (double)patches[p]->vowel_lo, (double)patches[p]->vowel_hi, peak, rms);
    ASSERT_GE(lo, patches[p]->vowel_lo - 1e-4);
    ASSERT_LE(hi, patches[p]->vowel_hi + 1e-4);
    ASSERT_GE(hi - lo, 0.5 * (patches[p]->vowel_hi - patches[p]->vowel_lo));
    ASSERT_GE(peak, 0.2);
    ASSERT_LE(peak, 0.5);
    lull__choir_release(&v);
    for (int s = 0; s < 4; s++) render_choir(&v, x, 48000, 0); /* -90 dB at 3.75 s */
    ASSERT_EQ_INT(lull__choir_active(&v), 0);
    free(x);
  }
}

static void test_choir_split_invariance(void **state) {
  (void)state;
  enum { N = 3 * 48000 };
  float *a = malloc(sizeof(float) * N), *b = malloc(sizeof(float) * N);
  lull_choir x, y;
  lull__choir_init(&x, FS);
  lull__choir_init(&y, FS);
  lull__choir_start(&x, &lull__choir_aah, &wt48, 261.6f, 0.9f, 4);
  lull__choir_start(&y, &lull__choir_aah, &wt48, 261.6f, 0.9f, 4);
  render_choir(&x, a, N / 2, 0);
  render_choir(&y, b, N / 2, 17);
  lull__choir_release(&x);
  lull__choir_release(&y);
  render_choir(&x, a + N / 2, N / 4, 0);
  render_choir(&y, b + N / 2, N / 4, 18);
  float before = lull__choir_level(&x);
  lull__choir_start(&x, &lull__choir_ooh, &wt48, 130.8f, 1.0f, 5);
  lull__choir_start(&y, &lull__choir_ooh, &wt48, 130.8f, 1.0f, 5);
  ASSERT_TRUE(lull__choir_level(&x) == before); /* a steal starts from where it is */
  render_choir(&x, a + 3 * N / 4, N / 4, 0);
  render_choir(&y, b + 3 * N / 4, N / 4, 19);
  ASSERT_TRUE(memcmp(a, b, sizeof(float) * N) == 0);
  ASSERT_EQ_INT(sig_nonfinite(a, N), 0);
  free(a), free(b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_vowel_a_peaks),       cmocka_unit_test(test_a_differs_from_u),
      cmocka_unit_test(test_morph),               cmocka_unit_test(test_normalised),
      cmocka_unit_test(test_choir_pitch),         cmocka_unit_test(test_choir_drift_envelope_level),
      cmocka_unit_test(test_choir_split_invariance),
  };
  return cmocka_run_group_tests(tests, wavetable_setup, wavetable_teardown);
}
