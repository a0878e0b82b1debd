/* ensemble.c: the strings voice's pitch within 0.5 % (48 and 96 kHz, the
 * drone an octave down), its envelope levels, darkness by preset, peak
 * level; the chorus's three LFOs 120 degrees apart (slow and fast), its
 * gain on a sine within 1.5 dB of dry, L/R decorrelation of a string note,
 * depth 0 = dry, glide without zipper; split invariance of both. */
#include <stdlib.h>

#include "dsp/dsp.h"
#include "dsp/isa.h"
#include "support/harness.h"
#include "support/signal.h"
#include "palette_fixture.h"

#define FS 48000.0f

#define wt96 wt48 /* see palette_fixture.h */

static void render_strings(lull_strings *v, float *out, size_t n, uint64_t chunk_seed) {
  size_t i = 0;
  while (i < n) {
    size_t m = next_chunk(&chunk_seed, n - i, 500);
    lull__strings_render(v, out + i, (uint32_t)m);
    i += m;
  }
}

static void test_strings_pitch(void **state) {
  (void)state;
  const lull_strings_patch *patches[] = {&lull__strings_ensemble, &lull__strings_low, &lull__strings_drone};
  const double notes[] = {110.0, 440.0, 1318.5};
  for (int r = 0; r < 2; r++) {
    float fs = r ? 96000.0f : FS;
    const lull_wavetable *wt = r ? &wt96 : &wt48;
    for (int p = 0; p < 3; p++)
      for (int k = 0; k < 3; k++) {
        lull_strings v;
        lull__strings_init(&v, fs);
        lull__strings_start(&v, patches[p], wt, (float)notes[k], 1.0f, 5);
        size_t n = (size_t)(0.45 * fs);
        float *x = malloc(sizeof(float) * n);
        render_strings(&v, x, n, 0);
        double want = notes[k] * patches[p]->pitch_ratio;
        size_t w = (size_t)(0.15 * fs); /* eight periods of the lowest (the drone's 55 Hz) */
        double got = sig_period_hz(x + n - w, w, 1, fs, want * 0.7, want * 1.4);
        if (fabs(got / want - 1) > 0.005)
          fail_msg("%g Hz, patch %d, note %g: %.3f Hz, expected %.3f", (double)fs, p, notes[k], got, want);
        free(x);
      }
  }
}

static void test_strings_envelope_and_level(void **state) {
  (void)state;
  lull_strings v;
  lull__strings_init(&v, FS);
  ASSERT_EQ_INT(lull__strings_active(&v), 0);
  lull__strings_start(&v, &lull__strings_ensemble, &wt48, 440.0f, 1.0f, 7);
  enum { N = 4 * 48000 };
  float *x = malloc(sizeof(float) * N);
  render_strings(&v, x, 19200, 0); /* 0.4 s of a 0.8 s attack */
  ASSERT_NEAR(lull__strings_level(&v), 0.5, 0.01);
  render_strings(&v, x + 19200, 2 * 48000 - 19200, 0);
  ASSERT_NEAR(lull__strings_level(&v), 1.0, 1e-6);
  double peak = sig_peak(x, 2 * 48000, 1), rms = sig_rms(x + 48000, 48000, 1);
  printf("# strings_ensemble A4: peak %.3f, RMS %.3f\n", peak, rms);
  ASSERT_GE(peak, 0.25);
  ASSERT_LE(peak, 0.5);
  lull__strings_release(&v);
  render_strings(&v, x, 2 * 48000, 0); /* the 2 s release: -60 dB */
  ASSERT_NEAR(sig_db(lull__strings_level(&v)), -60.0, 0.5);
  ASSERT_EQ_INT(lull__strings_active(&v), 1);
  render_strings(&v, x, 52800, 0); /* -90 dB at 3 s: idle */
  ASSERT_EQ_INT(lull__strings_active(&v), 0);
  /* A steal keeps the level: no click. */
  lull__strings_start(&v, &lull__strings_low, &wt48, 220.0f, 1.0f, 8);
  render_strings(&v, x, 24000, 0);
  float before = lull__strings_level(&v);
  lull__strings_start(&v, &lull__strings_ensemble, &wt48, 330.0f, 1.0f, 9);
  ASSERT_TRUE(lull__strings_level(&v) == before);
  free(x);
}

/* Share of energy above 3 kHz of A3 for each preset: low darker than
 * ensemble, the drone darkest. */
static double bright_share(const lull_strings_patch *p) {
  lull_strings v;
  lull__strings_init(&v, FS);
  lull__strings_start(&v, p, &wt48, 220.0f, 1.0f, 3);
  enum { N = 3 * 48000 };
  float *x = malloc(sizeof(float) * N);
  render_strings(&v, x, N, 0);
  double *spec = sig_spectrum(x + N - 65536, 65536, 1);
  double share = sig_band_energy(spec, 65536, FS, 3000, 24000) / sig_band_energy(spec, 65536, FS, 20, 24000);
  free(spec), free(x);
  return share;
}

static void test_strings_darkness(void **state) {
  (void)state;
  double e = bright_share(&lull__strings_ensemble), l = bright_share(&lull__strings_low),
         d = bright_share(&lull__strings_drone);
  printf("# energy above 3 kHz: ensemble %.1f dB, low %.1f dB, drone %.1f dB\n", 10 * log10(e), 10 * log10(l),
         10 * log10(d));
  ASSERT_LE(10 * log10(e), -10.0);
  ASSERT_LE(10 * log10(l), 10 * log10(e) - 10.0);
  ASSERT_LE(10 * log10(d), 10 * log10(l) - 10.0);
}

/* Phase in degrees of x's component at hz (x over a whole number of periods). */
static double phase_deg(const float *x, size_t n, double hz, double fs) {
  double re = 0, im = 0;
  for (size_t i = 0; i < n; i++) {
    double w = 2 * M_PI * hz * (double)i / fs;
    re += x[i] * cos(w), im += x[i] * sin(w);
  }
  return atan2(im, re) * 180 / M_PI;
}

static double wrap_deg(double d) {
  while (d < 0) d += 360;
  while (d >= 360) d -= 360;
  return d;
}

static void test_ensemble_lfo_phases(void **state) {
  (void)state;
  lull_ensemble e;
  float *mem = malloc(sizeof(float) * lull__ensemble_floats(FS));
  lull__ensemble_init(&e, mem, FS);
  /* The taps' delays sampled every 16 frames (1.5 kHz: plenty for 6 Hz). */
  enum { HOP = 16, N = 5 * 48000 / HOP }; /* 3 slow periods, 30 fast */
  const double rate = FS / HOP;
  float *tap[3], zero[HOP] = {0}, l[HOP] = {0}, r[HOP] = {0};
  for (int k = 0; k < 3; k++) tap[k] = malloc(sizeof(float) * N);
  for (int i = 0; i < N; i++) {
    for (int k = 0; k < 3; k++) tap[k][i] = e.tap_frames[k] - e.base_frames[k];
    lull__ensemble_process(&e, zero, l, r, HOP);
  }
  const double rates[] = {0.6, 6.0};
  for (int j = 0; j < 2; j++) {
    double p0 = phase_deg(tap[0], N, rates[j], rate);
    double d1 = wrap_deg(phase_deg(tap[1], N, rates[j], rate) - p0), d2 = wrap_deg(phase_deg(tap[2], N, rates[j], rate) - p0);
    printf("# %.1f Hz LFO: taps at 0, %.2f, %.2f degrees\n", rates[j], d1, d2);
    /* The sign of the lead depends on the transform's convention: 120 and 240 either way round. */
    ASSERT_NEAR(fmin(d1, 360 - d1), 120.0, 1.0);
    ASSERT_NEAR(fmin(d2, 360 - d2), 120.0, 1.0);
    ASSERT_NEAR(wrap_deg(d2 - d1), d1, 1.0);
  }
  /* The delays themselves: their base +- (1.5 + 0.12) ms. */
  double lo = 1e9, hi = -1e9;
  for (int i = 0; i < N; i++) lo = fmin(lo, tap[0][i]), hi = fmax(hi, tap[0][i]);
  ASSERT_NEAR(hi, 0.00162 * FS, 0.05 * FS * 0.001);
  ASSERT_NEAR(lo, -0.00162 * FS, 0.05 * FS * 0.001);
  for (int k = 0; k < 3; k++) free(tap[k]);
  free(mem);
}

static void test_ensemble_gain_on_sines(void **state) {
  (void)state;
  /* Flat within 1.5 dB up to 3 kHz; at 6 kHz the wet's 9 kHz lowpass (the
   * BBD's darkness) takes up to 3 dB. */
  const double hz[] = {60.0, 250.0, 440.0, 1000.0, 6000.0};
  for (int h = 0; h < 5; h++) {
    lull_ensemble e;
    float *mem = malloc(sizeof(float) * lull__ensemble_floats(FS));
    lull__ensemble_init(&e, mem, FS);
    enum { N = 5 * 48000 }; /* three periods of the slow LFO */
    float *x = malloc(sizeof(float) * N), *l = calloc(N, sizeof(float)), *r = calloc(N, sizeof(float));
    for (int i = 0; i < N; i++) x[i] = (float)(0.3 * sin(2 * M_PI * hz[h] * i / FS));
    lull__ensemble_process(&e, x, l, r, N);
    double dry = sig_rms(x, N, 1), gl = sig_db(sig_rms(l + 4800, N - 4800, 1) / dry),
           gr = sig_db(sig_rms(r + 4800, N - 4800, 1) / dry);
    printf("# %g Hz: ensemble gain L %+.2f dB, R %+.2f dB\n", hz[h], gl, gr);
    double mid = hz[h] < 5000 ? 0.0 : -1.5, tol = 1.5;
    ASSERT_NEAR(gl, mid, tol);
    ASSERT_NEAR(gr, mid, tol);
    free(x), free(l), free(r), free(mem);
  }
}

static void test_ensemble_stereo_and_depth(void **state) {
  (void)state;
  lull_strings v;
  lull__strings_init(&v, FS);
  lull__strings_start(&v, &lull__strings_ensemble, &wt48, 220.0f, 1.0f, 3);
  lull_ensemble e;
  float *mem = malloc(sizeof(float) * lull__ensemble_floats(FS));
  lull__ensemble_init(&e, mem, FS);
  enum { N = 4 * 48000 };
  float *x = malloc(sizeof(float) * N), *l = calloc(N, sizeof(float)), *r = calloc(N, sizeof(float));
  render_strings(&v, x, N, 0);
  lull__ensemble_process(&e, x, l, r, N / 2);
  double corr = correlation(l + 48000, r + 48000, N / 2 - 48000);
  printf("# saw note through the ensemble: L/R correlation %.3f\n", corr);
  ASSERT_LE(corr, 0.9);
  /* Depth to 0: after the glide the output is the dry input, and the glide
   * moves no faster than the note itself does. */
  lull__ensemble_set_depth(&e, 0.0f);
  lull__ensemble_process(&e, x + N / 2, l + N / 2, r + N / 2, N / 2);
  double err = 0;
  for (int i = N - 24000; i < N; i++) err = fmax(err, fabs((double)l[i] - x[i]) + fabs((double)r[i] - x[i]));
  ASSERT_LE(err, 1e-5);
  double step_in = 0, step_out = 0;
  for (int i = N / 2 - 4800; i < N / 2 + 9600; i++) {
    step_in = fmax(step_in, fabs((double)x[i] - x[i - 1]));
    step_out = fmax(step_out, fabs((double)l[i] - l[i - 1]));
  }
  ASSERT_LE(step_out, 1.5 * step_in);
  free(x), free(l), free(r), free(mem);
}

static void test_split_invariance(void **state) {
  (void)state;
  enum { N = 3 * 48000 };
  float *a = malloc(sizeof(float) * N), *b = malloc(sizeof(float) * N);
  lull_strings x, y;
  lull__strings_init(&x, FS);
  lull__strings_init(&y, FS);
  lull__strings_start(&x, &lull__strings_ensemble, &wt48, 261.6f, 0.9f, 4);
  lull__strings_start(&y, &lull__strings_ensemble, &wt48, 261.6f, 0.9f, 4);
  render_strings(&x, a, N / 2, 0);
  render_strings(&y, b, N / 2, 17);
  lull__strings_release(&x);
  lull__strings_release(&y);
  render_strings(&x, a + N / 2, N / 4, 0);
  render_strings(&y, b + N / 2, N / 4, 18);
  lull__strings_start(&x, &lull__strings_low, &wt48, 130.8f, 1.0f, 5);
  lull__strings_start(&y, &lull__strings_low, &wt48, 130.8f, 1.0f, 5);
  render_strings(&x, a + 3 * N / 4, N / 4, 0);
  render_strings(&y, b + 3 * N / 4, N / 4, 19);
  ASSERT_TRUE(memcmp(a, b, sizeof(float) * N) == 0);
  /* The ensemble on that note, with a depth change, whole and in pieces. */
  lull_ensemble e, f;
  float *m1 = malloc(sizeof(float) * lull__ensemble_floats(FS)), *m2 = malloc(sizeof(float) * lull__ensemble_floats(FS));
  lull__ensemble_init(&e, m1, FS);
  lull__ensemble_init(&f, m2, FS);
  float *l1 = calloc(N, sizeof(float)), *r1 = calloc(N, sizeof(float)), *l2 = calloc(N, sizeof(float)),
        *r2 = calloc(N, sizeof(float));
  lull__ensemble_set_depth(&e, 0.6f);
  lull__ensemble_set_depth(&f, 0.6f);
  lull__ensemble_process(&e, a, l1, r1, N);
  uint64_t s = 23;
  for (size_t i = 0; i < N;) {
    size_t m = 1 + (size_t)(lull__splitmix64(&s) % 600);
    if (m > N - i) m = N - i;
    lull__ensemble_process(&f, a + i, l2 + i, r2 + i, (uint32_t)m);
    i += m;
  }
  ASSERT_TRUE(memcmp(l1, l2, sizeof(float) * N) == 0);
  ASSERT_TRUE(memcmp(r1, r2, sizeof(float) * N) == 0);
  free(a), free(b), free(m1), free(m2), free(l1), free(r1), free(l2), free(r2);
}

/* Four voices in lockstep (lull__strings_render_n) give what each gives
 * alone, bit for bit: different patches, control points out of step, one
 * lane silent throughout, one ending and starting afresh, chunks of every
 * size. The x86-64-v3 kernel agrees with itself the same way and with the
 * generic one to its FMA's rounding. */
typedef struct strings_set {
  lull_strings v[4];
  float *out[4];
} strings_set;

static void set_event(strings_set *s, int ev) {
  switch (ev) {
    case 0: lull__strings_start(&s->v[0], &lull__strings_ensemble, &wt48, 220.0f, 0.9f, 1); break;
    case 1: lull__strings_start(&s->v[1], &lull__strings_low, &wt48, 110.0f, 0.7f, 2); break;
    case 2: lull__strings_start(&s->v[2], &lull__strings_drone, &wt48, 329.6f, 1.0f, 3); break;
    case 3: lull__strings_release(&s->v[0]); break;
    case 4: lull__strings_release(&s->v[1]); break;
    default: lull__strings_start(&s->v[0], &lull__strings_ensemble, &wt48, 293.7f, 0.5f, 4); break;
  }
}

static void render_set(strings_set *s, lull_strings_render_n_fn *fn, int lockstep, size_t n) {
  static const size_t at[] = {0, 1000, 2517, 5000, 60001, 130000};
  for (int k = 0; k < 4; k++) {
    lull__strings_init(&s->v[k], FS);
    s->out[k] = malloc(sizeof(float) * n);
  }
  uint64_t seed = 99;
  size_t i = 0;
  int ev = 0;
  while (i < n) {
    while (ev < 6 && at[ev] == i) set_event(s, ev++);
    size_t m = next_chunk(&seed, n - i, 70);
    if (ev < 6 && at[ev] - i < m) m = at[ev] - i;
    float *o[4] = {s->out[0] + i, s->out[1] + i, s->out[2] + i, s->out[3] + i};
    if (lockstep) {
      lull_strings *v[4] = {&s->v[0], &s->v[1], &s->v[2], &s->v[3]};
      fn(v, 4, o, (uint32_t)m);
    } else {
      for (int k = 0; k < 4; k++) {
        lull_strings *v = &s->v[k];
        fn(&v, 1, &o[k], (uint32_t)m);
      }
    }
    i += m;
  }
}

static void free_set(strings_set *s) {
  for (int k = 0; k < 4; k++) free(s->out[k]);
}

static void test_strings_lockstep(void **state) {
  (void)state;
  enum { N = 3 * 48000 };
  strings_set a, b;
  render_set(&a, lull__strings_render_n_generic, 1, N);
  render_set(&b, lull__strings_render_n_generic, 0, N);
  for (int k = 0; k < 4; k++) ASSERT_TRUE(memcmp(a.out[k], b.out[k], sizeof(float) * N) == 0);
  /* The scenario means something: voices sounding, the silent lane silent,
   * voice 0 ended (idle) between its release and its new start. */
  ASSERT_GE(sig_rms(a.out[0], 48000, 1), 0.002); /* released in its attack */
  ASSERT_GE(sig_rms(a.out[1] + 48000, 48000, 1), 0.02);
  ASSERT_GE(sig_rms(a.out[2] + 48000, 48000, 1), 0.02);
  ASSERT_EQ_INT(sig_peak(a.out[3], N, 1) == 0.0, 1);
  ASSERT_EQ_INT(sig_peak(a.out[0] + 125000, 5000, 1) == 0.0, 1);
  ASSERT_GE(sig_rms(a.out[0] + 131000, N - 131000, 1), 0.01);
  if (LULL_HAVE_V3 && lull__isa_v3()) {
    strings_set c, d;
    render_set(&c, lull__strings_render_n_v3, 1, N);
    render_set(&d, lull__strings_render_n_v3, 0, N);
    double worst = 0;
    for (int k = 0; k < 4; k++) {
      ASSERT_TRUE(memcmp(c.out[k], d.out[k], sizeof(float) * N) == 0);
      for (size_t i = 0; i < N; i++) worst = fmax(worst, fabs((double)c.out[k][i] - a.out[k][i]));
    }
    printf("# generic - v3 at most %.1f dBFS\n", sig_db(worst));
    ASSERT_LE(sig_db(worst), -90.0);
    free_set(&c), free_set(&d);
  }
  free_set(&a), free_set(&b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_strings_pitch),          cmocka_unit_test(test_strings_envelope_and_level),
      cmocka_unit_test(test_strings_darkness),       cmocka_unit_test(test_ensemble_lfo_phases),
      cmocka_unit_test(test_ensemble_gain_on_sines), cmocka_unit_test(test_ensemble_stereo_and_depth),
      cmocka_unit_test(test_split_invariance),       cmocka_unit_test(test_strings_lockstep),
  };
  return cmocka_run_group_tests(tests, wavetable_setup, wavetable_teardown);
}
