/* tape.c: amount 0 is an exact D-frame delay (also after a round trip to
 * amount 1), the wow/flutter pitch wobble of a 1 kHz sine within its stated
 * depth (at 48 and 96 kHz), the THD of a -10 dBFS sine, the hiss level and
 * its L/R independence, the head bump and roll-off, a glide without steps,
 * and whole renders equal to split ones. */
#include <stdlib.h>

#include "dsp/dsp.h"
#include "support/harness.h"
#include "support/signal.h"

#define FS 48000.0f

typedef struct rig {
  lull_tape t;
  float *mem;
} rig;

static void rig_init(rig *r, float fs, uint64_t seed) {
  r->mem = malloc(sizeof(float) * lull__tape_floats(fs));
  lull__tape_init(&r->t, r->mem, fs, seed);
}

/* Process n frames in chunks of varying size (the engine cuts anywhere). */
static void process_chunked(lull_tape *t, float *l, float *r, size_t n, uint64_t seed) {
  size_t i = 0;
  while (i < n) {
    size_t m = 1 + (size_t)(lull__splitmix64(&seed) % 700);
    if (m > n - i) m = n - i;
    lull__tape_process(t, l + i, r + i, (uint32_t)m);
    i += m;
  }
}

static void fill_sine(float *x, size_t n, double hz, double amp, float fs) {
  for (size_t i = 0; i < n; i++) x[i] = (float)(amp * sin(2 * M_PI * hz * (double)i / fs));
}

static void fill_noise(float *x, size_t n, uint64_t seed) {
  lull_noise ns;
  lull__noise_init(&ns, seed);
  for (size_t i = 0; i < n; i++) x[i] = 0.5f * lull__noise_next(&ns);
}

static void test_latency(void **state) {
  (void)state;
  rig r;
  rig_init(&r, FS, 1);
  ASSERT_EQ_INT(lull__tape_latency_frames(&r.t), 144);
  free(r.mem);
  rig_init(&r, 96000.0f, 1);
  ASSERT_EQ_INT(lull__tape_latency_frames(&r.t), 288);
  free(r.mem);
}

/* out[i] == in[i - D] exactly over n frames starting at frame offset. */
static void assert_delayed(const float *in, const float *out, size_t n, uint32_t d) {
  for (size_t i = d; i < n; i++) {
    if (out[i] != in[i - d]) fail_msg("frame %zu: %.9g, expected %.9g", i, (double)out[i], (double)in[i - d]);
  }
}

static void test_amount_zero_is_exact_delay(void **state) {
  (void)state;
  rig r;
  rig_init(&r, FS, lull_test_seed(11));
  enum { N = 48000 };
  float *inl = malloc(sizeof(float) * N), *inr = malloc(sizeof(float) * N);
  float *l = malloc(sizeof(float) * N), *rr = malloc(sizeof(float) * N);
  fill_noise(inl, N, 5);
  fill_noise(inr, N, 6);
  memcpy(l, inl, sizeof(float) * N);
  memcpy(rr, inr, sizeof(float) * N);
  process_chunked(&r.t, l, rr, N, 3);
  uint32_t d = lull__tape_latency_frames(&r.t);
  for (uint32_t i = 0; i < d; i++) ASSERT_TRUE(l[i] == 0.0f && rr[i] == 0.0f);
  assert_delayed(inl, l, N, d);
  assert_delayed(inr, rr, N, d);
  /* Up to 1 and back to 0: once the glide has settled, exact again. */
  lull__tape_set_amount(&r.t, 1.0f);
  lull__tape_snap(&r.t);
  process_chunked(&r.t, l, rr, N, 4);
  lull__tape_set_amount(&r.t, 0.0f);
  for (int s = 0; s < 3; s++) {
    fill_noise(l, N, 7);
    memcpy(rr, l, sizeof(float) * N);
    process_chunked(&r.t, l, rr, N, 8);
  }
  ASSERT_TRUE(r.t.amount == 0.0f);
  fill_noise(inl, N, 9);
  memcpy(l, inl, sizeof(float) * N);
  memcpy(rr, inl, sizeof(float) * N);
  process_chunked(&r.t, l, rr, N, 10);
  assert_delayed(inl, l, N, d);
  assert_delayed(inl, rr, N, d);
  free(inl), free(inr), free(l), free(rr), free(r.mem);
}

/* Peak relative frequency deviation of a 1 kHz sine through the tape at
 * amount 1: periods from upward zero crossings eight cycles apart (averaging
 * the hiss's jitter; flutter at 9.3 Hz barely moves in 8 ms). */
static double wobble(float fs, double *lo, double *hi) {
  rig r;
  rig_init(&r, fs, lull_test_seed(21));
  lull__tape_set_amount(&r.t, 1.0f);
  lull__tape_snap(&r.t);
  size_t n = (size_t)(8 * fs);
  float *l = malloc(sizeof(float) * n), *rr = malloc(sizeof(float) * n);
  fill_sine(l, n, 1000.0, 0.316, fs);
  memcpy(rr, l, sizeof(float) * n);
  process_chunked(&r.t, l, rr, n, 1);
  double *cross = malloc(sizeof(double) * 9000);
  size_t nc = 0;
  for (size_t i = (size_t)(0.05 * fs); i + 1 < n && nc < 9000; i++)
    if (l[i] <= 0 && l[i + 1] > 0) cross[nc++] = (double)i + l[i] / (double)(l[i] - l[i + 1]);
  *lo = 1e9, *hi = -1e9;
  for (size_t k = 0; k + 8 < nc; k++) {
    double f = 8.0 * fs / (cross[k + 8] - cross[k]);
    double dev = f / 1000.0 - 1.0;
    if (dev < *lo) *lo = dev;
    if (dev > *hi) *hi = dev;
  }
  free(cross), free(l), free(rr), free(r.mem);
  return fmax(-*lo, *hi);
}

static void test_wow_flutter_depth(void **state) {
  (void)state;
  const float rates[] = {48000.0f, 96000.0f};
  for (int k = 0; k < 2; k++) {
    double lo, hi, peak = wobble(rates[k], &lo, &hi);
    printf("# %g Hz: pitch deviation %+.3f %% .. %+.3f %%\n", (double)rates[k], 100 * lo, 100 * hi);
    ASSERT_LE(peak, 0.0027); /* stated: 0.25 % at most (all four sines aligned) */
    ASSERT_GE(hi, 0.0010);   /* it does wobble, both ways */
    ASSERT_LE(lo, -0.0010);
  }
}

/* THD (harmonics 2..9 over the fundamental, as a ratio) and H2, H3 in dB
 * relative to the fundamental, of a -10 dBFS 1 kHz sine at amount 1. */
static void test_thd(void **state) {
  (void)state;
  rig r;
  rig_init(&r, FS, lull_test_seed(31));
  lull__tape_set_amount(&r.t, 1.0f);
  lull__tape_snap(&r.t);
  enum { N = 65536 };
  float *l = malloc(sizeof(float) * N), *rr = malloc(sizeof(float) * N);
  fill_sine(l, N, 1000.0, 0.316, FS);
  memcpy(rr, l, sizeof(float) * N);
  lull__tape_process(&r.t, l, rr, N);
  double *spec = sig_spectrum(l + N / 2, N / 2, 1);
  double f1 = sig_band_energy(spec, N / 2, FS, 960, 1040), harm = 0, h[10] = {0};
  for (int k = 2; k <= 9; k++) {
    h[k] = sig_band_energy(spec, N / 2, FS, 1000.0 * k - 40.0 * k, 1000.0 * k + 40.0 * k);
    harm += h[k];
  }
  double thd = sqrt(harm / f1);
  printf("# THD %.2f %%, H2 %.1f dB, H3 %.1f dB\n", 100 * thd, sig_db(sqrt(h[2] / f1)), sig_db(sqrt(h[3] / f1)));
  ASSERT_GE(thd, 0.015);
  ASSERT_LE(thd, 0.03);
  ASSERT_GE(sig_db(sqrt(h[2] / f1)), -42.0); /* the asymmetry's even harmonic */
  ASSERT_GE(sig_db(sqrt(h[3] / f1)), -42.0);
  free(spec), free(l), free(rr), free(r.mem);
}

static void test_hiss(void **state) {
  (void)state;
  rig r;
  rig_init(&r, FS, lull_test_seed(41));
  lull__tape_set_amount(&r.t, 1.0f);
  lull__tape_snap(&r.t);
  enum { N = 96000 };
  float *l = calloc(N, sizeof(float)), *rr = calloc(N, sizeof(float));
  process_chunked(&r.t, l, rr, N, 2);
  double dl = sig_db(sig_rms(l, N, 1)), dr = sig_db(sig_rms(rr, N, 1));
  double lr = 0, ll = 0, rrs = 0;
  for (int i = 0; i < N; i++) lr += (double)l[i] * rr[i], ll += (double)l[i] * l[i], rrs += (double)rr[i] * rr[i];
  double corr = lr / sqrt(ll * rrs);
  printf("# hiss %.2f / %.2f dBFS RMS, L/R correlation %.4f\n", dl, dr, corr);
  ASSERT_NEAR(dl, -66.0, 2.0);
  ASSERT_NEAR(dr, -66.0, 2.0);
  ASSERT_LE(fabs(corr), 0.05);
  /* Pink-ish: more energy per Hz below 1.5 kHz than above 6 kHz. */
  double *spec = sig_spectrum(l, 65536, 1);
  double low = sig_band_energy(spec, 65536, FS, 100, 1500) / 1400, high = sig_band_energy(spec, 65536, FS, 6000, 20000) / 14000;
  ASSERT_GE(sig_db(sqrt(low / high)), 6.0);
  free(spec), free(l), free(rr), free(r.mem);
}

/* Gain in dB of a quiet sine (no saturation to speak of) at amount 1. */
static double tape_gain_db(double hz) {
  rig r;
  rig_init(&r, FS, 51);
  lull__tape_set_amount(&r.t, 1.0f);
  lull__tape_snap(&r.t);
  enum { N = 48000 };
  float *l = malloc(sizeof(float) * N), *rr = malloc(sizeof(float) * N), *x = malloc(sizeof(float) * N);
  fill_sine(x, N, hz, 0.05, FS);
  memcpy(l, x, sizeof(float) * N);
  memcpy(rr, x, sizeof(float) * N);
  lull__tape_process(&r.t, l, rr, N);
  double g = sig_db(sig_rms(l + N / 2, N / 2, 1) / sig_rms(x + N / 2, N / 2, 1));
  free(l), free(rr), free(x), free(r.mem);
  return g;
}

static void test_head_bump_and_rolloff(void **state) {
  (void)state;
  double bump = tape_gain_db(90), mid = tape_gain_db(1000), top = tape_gain_db(16000);
  printf("# gain: 90 Hz %+.2f dB, 1 kHz %+.2f dB, 16 kHz %+.2f dB\n", bump, mid, top);
  ASSERT_NEAR(bump, 2.0, 0.7);
  ASSERT_NEAR(mid, 0.0, 0.5);
  ASSERT_LE(top, -5.0);
}

static void test_glide_has_no_step(void **state) {
  (void)state;
  rig r;
  rig_init(&r, FS, lull_test_seed(61));
  enum { N = 4 * 48000 };
  float *l = malloc(sizeof(float) * N), *rr = malloc(sizeof(float) * N);
  fill_sine(l, N, 1000.0, 0.316, FS);
  memcpy(rr, l, sizeof(float) * N);
  lull__tape_process(&r.t, l, rr, 24000);
  lull__tape_set_amount(&r.t, 1.0f);
  lull__tape_process(&r.t, l + 24000, rr + 24000, 48000);
  ASSERT_NEAR(r.t.amount, 0.5, 0.001); /* 2 s per unit, linear */
  lull__tape_process(&r.t, l + 72000, rr + 72000, N - 72000);
  ASSERT_TRUE(r.t.amount == 1.0f);
  double step = 0;
  for (int i = 1; i < N; i++) step = fmax(step, fabs((double)l[i] - l[i - 1]));
  /* The sine's own largest step is 0.316 * 2 pi 1000 / 48000 = 0.0414. */
  printf("# largest step through the glide %.4f\n", step);
  ASSERT_LE(step, 0.046);
  free(l), free(rr), free(r.mem);
}

static void test_split_invariance(void **state) {
  (void)state;
  enum { N = 3 * 48000 };
  float *a[2], *b[2];
  for (int c = 0; c < 2; c++) {
    a[c] = malloc(sizeof(float) * N);
    b[c] = malloc(sizeof(float) * N);
    fill_noise(a[c], N, 70 + (uint64_t)c);
    memcpy(b[c], a[c], sizeof(float) * N);
  }
  rig x, y;
  rig_init(&x, FS, 77);
  rig_init(&y, FS, 77);
  lull__tape_set_amount(&x.t, 0.7f);
  lull__tape_set_amount(&y.t, 0.7f);
  lull__tape_process(&x.t, a[0], a[1], N / 2);
  process_chunked(&y.t, b[0], b[1], N / 2, 5);
  lull__tape_set_amount(&x.t, 0.0f);
  lull__tape_set_amount(&y.t, 0.0f);
  lull__tape_process(&x.t, a[0] + N / 2, a[1] + N / 2, N / 2);
  process_chunked(&y.t, b[0] + N / 2, b[1] + N / 2, N / 2, 6);
  ASSERT_TRUE(memcmp(a[0], b[0], sizeof(float) * N) == 0);
  ASSERT_TRUE(memcmp(a[1], b[1], sizeof(float) * N) == 0);
  for (int c = 0; c < 2; c++) free(a[c]), free(b[c]);
  free(x.mem), free(y.mem);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_latency),           cmocka_unit_test(test_amount_zero_is_exact_delay),
      cmocka_unit_test(test_wow_flutter_depth), cmocka_unit_test(test_thd),
      cmocka_unit_test(test_hiss),              cmocka_unit_test(test_head_bump_and_rolloff),
      cmocka_unit_test(test_glide_has_no_step), cmocka_unit_test(test_split_invariance),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
