/* texture.c: the wind's centre moves within its band (log-frequency
 * centroid in windows, at 48 and 96 kHz); rain's drop count per second
 * within 20 % of the patch density and its energy in the drops' band; the
 * surf's swell period within the patch range (autocorrelation of the RMS
 * envelope); the brush's energy in 2-6 kHz and silence after its length;
 * L/R decorrelation, levels at velocity 1, split invariance, a retrigger
 * that keeps the level. */
#include <stdlib.h>

#include "dsp/dsp.h"
#include "support/harness.h"
#include "support/signal.h"
#include "palette_fixture.h"

#define FS 48000.0f

/* Render n frames in chunks of random size (chunk_seed 0: in one call). */
static void render(lull_texture *v, float *l, float *r, size_t n, uint64_t chunk_seed) {
  size_t i = 0;
  while (i < n) {
    size_t m = next_chunk(&chunk_seed, n - i, 500);
    lull__texture_render(v, l + i, r + i, (uint32_t)m);
    i += m;
  }
}

/* Mean of log2(frequency) weighted by power per octave (power / hz: white
 * noise weighs the same in every octave) over 50 Hz .. 0.45 fs. */
static double log_centroid(const double *spec, size_t n, double fs) {
  double num = 0, den = 0;
  for (size_t k = 1; k <= n / 2; k++) {
    double hz = (double)k * fs / (double)n;
    if (hz < 50 || hz > 0.45 * fs) continue;
    double p = spec[k] * spec[k] / hz;
    num += p * log2(hz);
    den += p;
  }
  return num / den;
}

static void wind_centroids(float fs) {
  lull_texture v;
  lull__texture_init(&v, fs);
  lull__texture_start(&v, &lull__texture_wind, 500.0f, 1.0f, lull_test_seed(3));
  size_t n = (size_t)((fs > 50000 ? 10 : 18) * fs), skip = (size_t)(4 * fs), win = fs > 50000 ? 16384 : 8192;
  float *l = malloc(sizeof(float) * n), *r = malloc(sizeof(float) * n);
  render(&v, l, r, n, 0);
  double lo = 1e9, hi = -1e9, centre = log2(500.0);
  double *w = sig_window(win), *mag = malloc(sizeof(double) * (win / 2 + 1));
  for (size_t at = skip; at + win <= n; at += win) {
    sig_spectrum_into(l + at, win, 1, w, mag);
    double c = log_centroid(mag, win, fs);
    lo = fmin(lo, c), hi = fmax(hi, c);
  }
  printf("# %g Hz: wind centroid %.0f .. %.0f Hz (band 250 .. 1000 Hz)\n", (double)fs, exp2(lo), exp2(hi));
  ASSERT_GE(lo, centre - 1.2); /* within the band (and its skirts) */
  ASSERT_LE(hi, centre + 1.2);
  ASSERT_GE(hi - lo, fs > 50000 ? 0.5 : 0.8); /* it moves: much of the 2-octave band */
  double rms = sig_rms(l + skip, n - skip, 1);
  printf("# wind RMS %.3f, L/R correlation %.3f\n", rms, correlation(l + skip, r + skip, n - skip));
  ASSERT_GE(rms, 0.04);
  ASSERT_LE(rms, 0.11);
  ASSERT_LE(sig_peak(l, n, 1), 0.6);
  ASSERT_LE(fabs(correlation(l + skip, r + skip, n - skip)), 0.1);
  free(w), free(mag), free(l), free(r);
}

static void test_wind_sweep(void **state) {
  (void)state;
  wind_centroids(FS);
  wind_centroids(96000.0f);
}

static void test_rain_density(void **state) {
  (void)state;
  lull_texture v;
  lull__texture_init(&v, FS);
  lull__texture_start(&v, &lull__texture_rain, 0.0f, 1.0f, lull_test_seed(5));
  enum { N = 6 * 48000 };
  float *l = malloc(sizeof(float) * N), *r = malloc(sizeof(float) * N);
  render(&v, l, r, N, 0);
  double per_s = (double)v.drops / 6.0;
  printf("# rain: %.1f drops/s (patch %.0f)\n", per_s, (double)lull__texture_rain.density_hz);
  ASSERT_NEAR(per_s, lull__texture_rain.density_hz, 0.2 * lull__texture_rain.density_hz);
  /* The drops ring in 2-8 kHz: most of the energy after the attack is there. */
  double *spec = sig_spectrum(l + 2 * 48000, 131072, 1); /* after the attack */
  double band = sig_band_energy(spec, 131072, FS, 1800, 9000), all = sig_band_energy(spec, 131072, FS, 20, 24000);
  double rms = sig_rms(l + 2 * 48000, N - 2 * 48000, 1), corr = correlation(l, r, N);
  printf("# rain: %.0f %% of energy in 1.8-9 kHz, RMS %.3f, peak %.3f, L/R correlation %.3f\n", 100 * band / all, rms,
         sig_peak(l, N, 1), corr);
  ASSERT_GE(band / all, 0.6);
  ASSERT_GE(rms, 0.02);
  ASSERT_LE(rms, 0.1);
  ASSERT_LE(sig_peak(l, N, 1), 0.6);
  ASSERT_LE(fabs(corr), 0.3);
  free(spec), free(l), free(r);
}

static void test_surf_period(void **state) {
  (void)state;
  lull_texture v;
  lull__texture_init(&v, FS);
  lull__texture_start(&v, &lull__texture_surf, 0.0f, 1.0f, lull_test_seed(7));
  enum { SECONDS = 40, N = SECONDS * 48000, HOP = 4800, W = N / HOP };
  float *l = malloc(sizeof(float) * N), *r = malloc(sizeof(float) * N);
  render(&v, l, r, N, 0);
  /* RMS envelope in 0.1 s windows after the attack, mean removed. */
  double env[W], mean = 0;
  int first = 40;
  for (int k = 0; k < W; k++) env[k] = sig_rms(l + (size_t)k * HOP, HOP, 1);
  for (int k = first; k < W; k++) mean += env[k] / (W - first);
  double best = -1, best_lag = 0;
  for (int lag = 30; lag <= 160; lag++) { /* 3 .. 16 s */
    double ac = 0, e0 = 0;
    for (int k = first; k + lag < W; k++) ac += (env[k] - mean) * (env[k + lag] - mean), e0 += (env[k] - mean) * (env[k] - mean);
    ac /= e0;
    if (ac > best) best = ac, best_lag = lag * 0.1;
  }
  double rms = sig_rms(l + 4 * 48000, N - 4 * 48000, 1), corr = correlation(l, r, N);
  printf("# surf: period %.1f s (autocorrelation %.2f), RMS %.3f, peak %.3f, L/R correlation %.3f\n", best_lag, best, rms,
         sig_peak(l, N, 1), corr);
  ASSERT_GE(best_lag, lull__texture_surf.swell_min_s);
  ASSERT_LE(best_lag, lull__texture_surf.swell_max_s);
  ASSERT_GE(best, 0.3);
  ASSERT_GE(rms, 0.03);
  ASSERT_LE(rms, 0.12);
  ASSERT_LE(sig_peak(l, N, 1), 0.6);
  ASSERT_LE(fabs(corr), 0.1);
  /* Brighter at the crest: the spectral centroid follows the level. */
  double *w = sig_window(4096), mag[2049], loud = 0, quiet = 1e9;
  size_t loud_at = 0, quiet_at = 0;
  for (size_t at = 8 * 48000; at + 4096 <= (size_t)N; at += 4096) {
    double e = sig_rms(l + at, 4096, 1);
    if (e > loud) loud = e, loud_at = at;
    if (e < quiet) quiet = e, quiet_at = at;
  }
  sig_spectrum_into(l + loud_at, 4096, 1, w, mag);
  double loud_c = log_centroid(mag, 4096, FS);
  sig_spectrum_into(l + quiet_at, 4096, 1, w, mag);
  double quiet_c = log_centroid(mag, 4096, FS);
  printf("# surf: centroid %.0f Hz in the trough, %.0f Hz at the crest\n", exp2(quiet_c), exp2(loud_c));
  ASSERT_GE(loud_c - quiet_c, 1.0);
  free(w), free(l), free(r);
}

static void test_brush(void **state) {
  (void)state;
  lull_texture v;
  lull__texture_init(&v, FS);
  lull__texture_start(&v, &lull__texture_brush, 0.0f, 1.0f, lull_test_seed(9));
  enum { N = 16384 };
  float l[N], r[N];
  render(&v, l, r, N, 0);
  size_t len = (size_t)(lull__texture_brush.length_s * FS);
  double peak = fmax(sig_peak(l, N, 1), sig_peak(r, N, 1));
  double tail = fmax(sig_peak(l + len, N - len, 1), sig_peak(r + len, N - len, 1));
  double *spec = sig_spectrum(l, N, 1);
  double band = sig_band_energy(spec, N, FS, 2000, 6000), all = sig_band_energy(spec, N, FS, 20, 24000);
  /* Its level 10 ms before the end: -60 dB from the top, near enough. */
  double late = sig_rms(l + len - 960, 480, 1), early = sig_rms(l + 240, 480, 1);
  printf("# brush: peak %.3f, %.0f %% in 2-6 kHz, %.1f dB near the end, L/R correlation %.3f\n", peak,
         100 * band / all, sig_db(late / early), correlation(l, r, len));
  ASSERT_GE(peak, 0.25);
  ASSERT_LE(peak, 0.5);
  ASSERT_GE(band / all, 0.8);
  ASSERT_TRUE(tail == 0.0);
  ASSERT_LE(sig_db(late / early), -40.0);
  ASSERT_EQ_INT(lull__texture_active(&v), 0);
  ASSERT_LE(fabs(correlation(l, r, len)), 0.2);
  free(spec);
}

/* Whole and split renders (with a release and a retrigger) compare equal. */
static void test_split_invariance(void **state) {
  (void)state;
  const lull_texture_patch *patches[] = {&lull__texture_wind, &lull__texture_rain, &lull__texture_surf,
                                         &lull__texture_brush};
  enum { N = 3 * 48000 };
  float *a[2], *b[2];
  for (int c = 0; c < 2; c++) a[c] = malloc(sizeof(float) * N), b[c] = malloc(sizeof(float) * N);
  for (int p = 0; p < 4; p++) {
    lull_texture x, y;
    lull__texture_init(&x, FS);
    lull__texture_init(&y, FS);
    lull__texture_start(&x, patches[p], 300.0f, 0.8f, 42);
    lull__texture_start(&y, patches[p], 300.0f, 0.8f, 42);
    render(&x, a[0], a[1], N / 2, 0);
    render(&y, b[0], b[1], N / 2, 11 + (uint64_t)p);
    lull__texture_release(&x);
    lull__texture_release(&y);
    render(&x, a[0] + N / 2, a[1] + N / 2, N / 4, 0);
    render(&y, b[0] + N / 2, b[1] + N / 2, N / 4, 21 + (uint64_t)p);
    lull__texture_start(&x, patches[p], 400.0f, 1.0f, 43);
    lull__texture_start(&y, patches[p], 400.0f, 1.0f, 43);
    render(&x, a[0] + 3 * N / 4, a[1] + 3 * N / 4, N / 4, 0);
    render(&y, b[0] + 3 * N / 4, b[1] + 3 * N / 4, N / 4, 31 + (uint64_t)p);
    ASSERT_TRUE(memcmp(a[0], b[0], sizeof(float) * N) == 0);
    ASSERT_TRUE(memcmp(a[1], b[1], sizeof(float) * N) == 0);
    ASSERT_TRUE(sig_rms(a[0], N, 1) > 0.001);
    ASSERT_EQ_INT(sig_nonfinite(a[0], N) + sig_nonfinite(a[1], N), 0);
  }
  for (int c = 0; c < 2; c++) free(a[c]), free(b[c]);
}

/* Release: silent and inactive within 1.5 release times; a retrigger
 * (stealing) starts from the level it finds. */
static void test_release_and_retrigger(void **state) {
  (void)state;
  lull_texture v;
  lull__texture_init(&v, FS);
  ASSERT_EQ_INT(lull__texture_active(&v), 0);
  lull__texture_start(&v, &lull__texture_wind, 400.0f, 1.0f, 1);
  enum { N = 48000 };
  float *l = malloc(sizeof(float) * N), *r = malloc(sizeof(float) * N);
  render(&v, l, r, N, 0); /* a third of the attack */
  float before = lull__texture_level(&v);
  ASSERT_NEAR(before, 1.0 / 3.0, 0.01);
  lull__texture_start(&v, &lull__texture_wind, 600.0f, 1.0f, 2);
  ASSERT_TRUE(lull__texture_level(&v) == before);
  render(&v, l, r, N, 0);
  ASSERT_NEAR(lull__texture_level(&v), 2.0 / 3.0, 0.01);
  lull__texture_release(&v);
  for (int s = 0; s < 6 && lull__texture_active(&v); s++) render(&v, l, r, N, 0);
  ASSERT_EQ_INT(lull__texture_active(&v), 0); /* -90 dB at 1.5 x 4 s */
  render(&v, l, r, N, 0);
  ASSERT_TRUE(sig_peak(l, N, 1) == 0.0);
  free(l), free(r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_wind_sweep),       cmocka_unit_test(test_rain_density),
      cmocka_unit_test(test_surf_period),      cmocka_unit_test(test_brush),
      cmocka_unit_test(test_split_invariance), cmocka_unit_test(test_release_and_retrigger),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
