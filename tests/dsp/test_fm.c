/* fm.c: sidebands match Bessel functions, no alias above -40 dB at each
 * preset's top note, envelope levels at given times, the glass's decay time,
 * pitch, release to silence, split invariance, retrigger without a click,
 * velocity to brightness, DX feedback's harmonics. */
#include <stdlib.h>

#include "dsp/dsp.h"
#include "support/harness.h"
#include "support/signal.h"
#include "voice_checks.h"

#define FS 48000.0f

static const lull_fm_patch *const presets[] = {&lull__fm_glass, &lull__fm_bell, &lull__fm_epiano, &lull__fm_piano};
static const char *const preset_names[] = {"glass", "bell", "epiano", "piano"};

/* A flat operator: full level from the first frame, held. */
static lull_fm_op_patch flat_op(float ratio, float level) {
  return (lull_fm_op_patch){.ratio = ratio, .level = level, .attack_ms = 0.0f, .decay1_ms = 1000.0f,
                            .decay2_ms = 1000.0f, .release_ms = 100.0f, .l1 = 1.0f, .l2 = 1.0f, .l3 = 1.0f};
}

static int algo_ops_of(lull_fm_algo a) { return a == LULL_FM_ALGO_2_1 ? 2 : a == LULL_FM_ALGO_21_43 || a == LULL_FM_ALGO_4_3_2_1 ? 4 : 3; }

static float *render_note(const lull_fm_patch *p, float fs, float hz, float velocity, size_t n) {
  lull_fm v;
  lull__fm_init(&v, fs);
  lull__fm_start(&v, p, hz, velocity, 1);
  float *x = malloc(sizeof(float) * n);
  lull__fm_render(&v, x, (uint32_t)n);
  return x;
}

static float *render_at_fs(const void *patch, float hz, float velocity, size_t n) {
  return render_note((const lull_fm_patch *)patch, FS, hz, velocity, n);
}

/* Amplitude of a sine near hz in the spectrum sp of n samples: its peak
 * over that of a unit sine at the same hz (so the window's gain and its
 * scalloping cancel). The references are kept (N is the same throughout). */
static double sine_amp_in(const double *sp, size_t n, double hz) {
  static double ref_hz[32], ref[32];
  static int refs = 0;
  int k = 0;
  while (k < refs && ref_hz[k] != hz) k++;
  if (k == refs) {
    ASSERT_TRUE(refs < 32);
    float *s = malloc(sizeof(float) * n);
    for (size_t i = 0; i < n; i++) s[i] = (float)sin(2 * M_PI * hz * (double)i / FS);
    double *r = sig_spectrum(s, n, 1);
    sig_peak_hz(r, n, FS, hz - 20, hz + 20, &ref[k]);
    free(r);
    free(s);
    ref_hz[k] = hz;
    refs++;
  }
  double m;
  sig_peak_hz(sp, n, FS, hz - 20, hz + 20, &m);
  return m / ref[k];
}

static double sine_amp(const float *x, size_t n, double hz) {
  double *sp = sig_spectrum(x, n, 1), a = sine_amp_in(sp, n, hz);
  free(sp);
  return a;
}

static void test_sidebands_match_bessel(void **state) {
  (void)state;
  const double betas[] = {0.5, 1.0, 1.5, 2.0}; /* higher, orders 5 and 6 fold onto -4 at 0 Hz */
  enum { N = 16384, SKIP = 4800 };
  for (int b = 0; b < 4; b++) {
    lull_fm_patch p = {.algo = LULL_FM_ALGO_2_1, .top_hz = 1000.0f};
    p.op[0] = flat_op(1.0f, 0.4f);
    p.op[1] = flat_op(0.2f, (float)betas[b]);
    float *x = render_note(&p, FS, 1000.0f, 1.0f, N + SKIP);
    double jmax = 0, *sp = sig_spectrum(x + SKIP, N, 1);
    for (int k = 0; k <= 8; k++) jmax = fmax(jmax, fabs(jn(k, betas[b])));
    for (int k = -4; k <= 4; k++) {
      double want = fabs(jn(abs(k), betas[b]));
      if (want < 0.01 * jmax) continue;
      double got = sine_amp_in(sp, N, 1000.0 + 200.0 * k) / 0.4;
      printf("# beta %.1f, order %+d: %.4f (J %.4f), %.3f dB\n", betas[b], k, got, want, sig_db(got / want));
      ASSERT_NEAR(sig_db(got / want), 0.0, 0.5);
    }
    free(sp);
    free(x);
  }
}

/* Local maxima of spec at least floor_db under its strongest: each must be
 * within tol_hz of an expected partial of the patch at hz (for every carrier,
 * its frequency plus any integer mix of its tree's modulators, unfolded:
 * only those landing in 0..fs/2). Returns the worst stray peak in dB under
 * the strongest (-inf: none). */
static double worst_stray_db(const double *spec, size_t n, double fs, const double *car_hz, int cars,
                             double mods_hz[][3], const int *nmods, double tol_hz) {
  size_t bins = n / 2 + 1;
  double top = 0;
  for (size_t i = 1; i < bins; i++) top = fmax(top, spec[i]);
  double worst = -INFINITY;
  for (size_t i = 4; i + 4 < bins; i++) {
    int is_peak = 1;
    for (int d = 1; d <= 3; d++) is_peak &= spec[i] >= spec[i - d] && spec[i] >= spec[i + d];
    double db = sig_db(spec[i] / top);
    if (!is_peak || db < -60.0) continue;
    double f = (double)i * fs / (double)n, best = INFINITY;
    for (int c = 0; c < cars; c++) {
      int lim[3] = {0, 0, 0};
      for (int m = 0; m < nmods[c]; m++) lim[m] = nmods[c] == 1 ? 60 : 16;
      for (int a = -lim[0]; a <= lim[0]; a++)
        for (int b = -lim[1]; b <= lim[1]; b++)
          for (int e = -lim[2]; e <= lim[2]; e++) {
            double u = car_hz[c] + a * mods_hz[c][0] + b * mods_hz[c][1] + e * mods_hz[c][2];
            if (fabs(u) > fs / 2) continue; /* beyond Nyquist: a folded one is a stray */
            best = fmin(best, fabs(fabs(u) - f));
          }
    }
    if (best > tol_hz) worst = fmax(worst, db);
  }
  return worst;
}

/* The expected partials of a two-carrier (2 -> 1) + (4 -> 3) patch. */
static double stray_of_21_43(const lull_fm_patch *p, const float *x, size_t n, float fs, float hz) {
  double car[2], mods[2][3] = {{0}}, *spec = sig_spectrum(x, n, 1);
  int nm[2] = {1, 1};
  for (int c = 0; c < 2; c++) {
    car[c] = p->op[2 * c].ratio * hz + p->op[2 * c].detune_hz;
    mods[c][0] = p->op[2 * c + 1].ratio * hz + p->op[2 * c + 1].detune_hz;
  }
  double w = worst_stray_db(spec, n, fs, car, 2, mods, nm, 4.0 * fs / (double)n);
  free(spec);
  return w;
}

static void test_no_alias_at_top_notes(void **state) {
  (void)state;
  enum { N = 16384 };
  for (int i = 0; i < 4; i++) {
    const lull_fm_patch *p = presets[i];
    ASSERT_EQ_INT(p->algo, LULL_FM_ALGO_21_43); /* the expected partials below assume it */
    const float rates[] = {48000.0f, 44100.0f, 22050.0f};
    for (int r = 0; r < 3; r++) {
      float *x = render_note(p, rates[r], p->top_hz, 1.0f, N);
      double w = stray_of_21_43(p, x, N, rates[r], p->top_hz);
      printf("# %s at %.0f Hz, fs %.0f: worst stray peak %.1f dB\n", preset_names[i], (double)p->top_hz,
             (double)rates[r], w);
      ASSERT_LE(w, -40.0);
      free(x);
    }
  }
  /* The check has teeth: naive FM at the glass's top note, index 3 at 3.5,
   * folds sidebands back well above -40 dB. */
  float *x = malloc(sizeof(float) * N);
  for (int i = 0; i < N; i++) {
    double t = i / (double)FS;
    x[i] = (float)(0.3 * sin(2 * M_PI * 2093.0 * t + 3.0 * sin(2 * M_PI * 7325.5 * t)));
  }
  lull_fm_patch naive = lull__fm_glass;
  naive.op[2].level = 0.0f;
  double w = stray_of_21_43(&naive, x, N, FS, 2093.0f);
  printf("# naive FM: worst stray peak %.1f dB\n", w);
  ASSERT_GE(w, -30.0);
  free(x);
}

/* The caps hold for stacks and feedback too (their edges are bounds, so
 * the stray peaks fall well under). Integer ratios: every expected partial
 * is a harmonic of the note, a sparse set (a folded one lands between). */
static void test_no_alias_in_stacks(void **state) {
  (void)state;
  enum { N = 16384 };
  const float hz = 2093.0f;
  lull_fm_patch stack = {.algo = LULL_FM_ALGO_4_3_2_1, .feedback_op = 3, .feedback = 0.5f, .top_hz = hz};
  stack.op[0] = flat_op(1.0f, 0.4f);
  stack.op[1] = flat_op(2.0f, 3.0f);
  stack.op[2] = flat_op(3.0f, 3.0f);
  stack.op[3] = flat_op(1.0f, 3.0f);
  lull_fm_patch pair = {.algo = LULL_FM_ALGO_23_1, .top_hz = hz};
  pair.op[0] = flat_op(1.0f, 0.4f);
  pair.op[1] = flat_op(3.0f, 4.0f);
  pair.op[2] = flat_op(4.0f, 3.0f);
  lull_fm_patch three = {.algo = LULL_FM_ALGO_3_2_1, .top_hz = hz};
  three.op[0] = flat_op(1.0f, 0.4f);
  three.op[1] = flat_op(2.0f, 4.0f);
  three.op[2] = flat_op(5.0f, 4.0f);
  const lull_fm_patch *ps[] = {&stack, &pair, &three};
  const char *names[] = {"4>3>2>1 + feedback", "2+3>1", "3>2>1"};
  for (int i = 0; i < 3; i++) {
    const lull_fm_patch *p = ps[i];
    float *x = render_note(p, FS, hz, 1.0f, N + 4800);
    double car[1] = {hz}, mods[1][3] = {{0}};
    int nm[1] = {algo_ops_of(p->algo) - 1};
    /* a feedback op's harmonics are integer multiples of it: the same set */
    for (int m = 0; m < nm[0]; m++) mods[0][m] = p->op[m + 1].ratio * hz;
    double *sp = sig_spectrum(x + 4800, N, 1);
    double w = worst_stray_db(sp, N, FS, car, 1, mods, nm, 4.0 * FS / N);
    printf("# %s at %.0f Hz: worst stray peak %.1f dB, RMS %.3f\n", names[i], (double)hz, w, sig_rms(x, N, 1));
    ASSERT_LE(w, -40.0);
    ASSERT_GE(sig_rms(x + 4800, N, 1), 0.2); /* the carrier sounds */
    free(sp);
    free(x);
  }
}

/* Amplitude of a steady 1 kHz tone around frame at (10 ms: ten periods). */
static double amp_at(const float *x, size_t at) { return sig_rms(x + at - 240, 480, 1) * sqrt(2.0); }

static void test_envelope_levels(void **state) {
  (void)state;
  lull_fm_patch p = {.algo = LULL_FM_ALGO_2_1, .top_hz = 1000.0f};
  /* Attack 100 ms to 0.5; 60 dB per second to 0.25 (100.3 ms); 60 dB per 2 s
   * to 0.125 (200.7 ms); held; release 60 dB per 500 ms at 1 s. */
  p.op[0] = (lull_fm_op_patch){.ratio = 1.0f, .level = 0.5f, .attack_ms = 100.0f, .decay1_ms = 1000.0f,
                               .decay2_ms = 2000.0f, .release_ms = 500.0f, .l1 = 1.0f, .l2 = 0.5f, .l3 = 0.25f};
  lull_fm v;
  lull__fm_init(&v, FS);
  ASSERT_EQ_INT(lull__fm_active(&v), 0);
  lull__fm_start(&v, &p, 1000.0f, 1.0f, 1);
  enum { N = 96000 };
  float *x = malloc(sizeof(float) * N);
  lull__fm_render(&v, x, 48000);
  ASSERT_NEAR(lull__fm_level(&v), 0.25, 1e-4);
  lull__fm_release(&v);
  lull__fm_render(&v, x + 48000, 48000);
  struct { double t_s, amp; } want[] = {
      {0.050, 0.25},                                 /* half way up the attack */
      {0.150, 0.5 * pow(10, -3.0 * 0.05 / 1.0)},     /* 50 ms into decay 1: -3 dB */
      {0.250, 0.25 * pow(10, -3.0 * 0.0497 / 2.0)},  /* 49.7 ms into decay 2 */
      {0.700, 0.125},                                /* sustain */
      {1.100, 0.125 * pow(10, -3.0 * 0.1 / 0.5)},    /* 100 ms into the release: -12 dB */
      {1.300, 0.125 * pow(10, -3.0 * 0.3 / 0.5)},    /* -36 dB */
  };
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
    double got = amp_at(x, (size_t)(want[i].t_s * FS));
    printf("# %.3f s: %.5f, expected %.5f (%.2f dB)\n", want[i].t_s, got, want[i].amp, sig_db(got / want[i].amp));
    ASSERT_NEAR(sig_db(got / want[i].amp), 0.0, 0.3);
  }
  /* -100 dB (the end) is 1.67 release times after it: silent by 2 s. */
  ASSERT_EQ_INT(lull__fm_active(&v), 0);
  ASSERT_NEAR(lull__fm_level(&v), 0.0, 0.0);
  ASSERT_LE(sig_peak(x + N - 4800, 4800, 1), 0.0);
  free(x);
}

/* T60 from a line fitted to the power in windows of one beat period (the
 * cross term of the detuned pair averages out), from 0.5 s to end_s. */
static double t60_s(const float *x, size_t n, float fs, double window_s, double end_s) {
  size_t w = (size_t)(window_s * fs);
  vc_line line = {0};
  for (double t = 0.5; t + window_s <= end_s && (size_t)((t + window_s) * fs) <= n; t += 0.25)
    vc_line_add(&line, t + window_s / 2, 20 * log10(sig_rms(x + (size_t)(t * fs), w, 1)));
  return -60.0 / vc_line_slope(&line);
}

static void test_glass_decay_time(void **state) {
  (void)state;
  const float hz = 523.2511f; /* C5 */
  const size_t n = (size_t)(7.0f * FS);
  float *x = render_note(&lull__fm_glass, FS, hz, 1.0f, n);
  double want = 12.0 * pow(hz / 261.6256, -0.3), got = t60_s(x, n, FS, 1.0 / 0.35, 7.0);
  printf("# glass at C5: T60 %.2f s (stated %.2f s)\n", got, want);
  ASSERT_NEAR(got, want, 0.2 * want);
  ASSERT_NEAR(want, 9.75, 0.01); /* what the preset's comment says */
  free(x);
  /* The bell: 6 s at C4 (a single carrier's dominates; window 0.5 s). */
  x = render_note(&lull__fm_bell, FS, 261.6256f, 1.0f, (size_t)(4.0f * FS));
  got = t60_s(x, (size_t)(4.0f * FS), FS, 0.5, 4.0);
  printf("# bell at C4: T60 %.2f s (stated 6)\n", got);
  ASSERT_NEAR(got, 6.0, 0.2 * 6.0);
  free(x);
}

static void test_peak_levels(void **state) {
  (void)state;
  const float notes[] = {130.81f, 261.63f, 523.25f};
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 3; j++) {
      float *x = render_note(presets[i], FS, notes[j], 1.0f, 24000);
      double pk = sig_peak(x, 24000, 1), rms = sig_rms(x, 24000, 1);
      printf("# %s at %.0f Hz: peak %.3f, RMS %.3f over 0.5 s\n", preset_names[i], (double)notes[j], pk, rms);
      ASSERT_GE(pk, 0.25);
      ASSERT_LE(pk, 0.5);
      free(x);
    }
}

static void test_pitch(void **state) {
  (void)state;
  const float notes[] = {65.41f, 220.0f, 261.63f, 659.26f, 1046.5f};
  const float rates[] = {48000.0f, 96000.0f, 22050.0f, 192000.0f};
  for (int r = 0; r < 4; r++)
    for (int i = 2; i < 4; i++) /* epiano, piano */
      for (int j = 0; j < 5; j++) {
        size_t n = (size_t)(0.6f * rates[r]), skip = (size_t)(0.2f * rates[r]);
        float *x = render_note(presets[i], rates[r], notes[j], 1.0f, n);
        double f = sig_period_hz(x + skip, n - skip, 1, rates[r], notes[j] * 0.97, notes[j] * 1.03);
        ASSERT_NEAR(f / notes[j], 1.0, 0.005);
        free(x);
      }
}

static void test_release_to_silence(void **state) {
  (void)state;
  for (int i = 0; i < 4; i++) {
    const lull_fm_patch *p = presets[i];
    float release_s = 0;
    for (int k = 0; k < 4; k++) release_s = fmaxf(release_s, p->op[k].release_ms * 0.001f);
    lull_fm v;
    lull__fm_init(&v, FS);
    lull__fm_start(&v, p, 261.6256f, 1.0f, 1);
    float *x = malloc(sizeof(float) * 48000);
    lull__fm_render(&v, x, 24000);
    double before = sig_rms(x + 19200, 4800, 1);
    lull__fm_release(&v);
    ASSERT_EQ_INT(lull__fm_active(&v), 1);
    /* 60 dB in release_s: after 1.5 release_s, -90 dB or more. */
    size_t at = (size_t)(1.5f * release_s * FS);
    size_t left = at + 480;
    float *y = malloc(sizeof(float) * left);
    lull__fm_render(&v, y, (uint32_t)left);
    double after = sig_rms(y + at, 480, 1);
    printf("# %s: %.1f dB 1.5 release times after the release\n", preset_names[i], sig_db(after / before));
    ASSERT_LE(sig_db(after / before), -88.0);
    /* and idle once past -100 dB (1.67 release times) */
    lull__fm_render(&v, x, (uint32_t)(0.2f * release_s * FS) + 1);
    ASSERT_EQ_INT(lull__fm_active(&v), 0);
    lull__fm_render(&v, x, 480);
    ASSERT_LE(sig_peak(x, 480, 1), 0.0);
    free(x);
    free(y);
  }
}

/* A scene: a note, a retrigger at another pitch, a release. */
typedef struct fm_scene {
  lull_fm v;
  const lull_fm_patch *p;
} fm_scene;

static void scene_start(void *x) {
  fm_scene *s = x;
  lull__fm_init(&s->v, FS);
  lull__fm_start(&s->v, s->p, 220.0f, 0.8f, 7);
}

static void scene_event(void *x, int k) {
  fm_scene *s = x;
  if (k == 0) lull__fm_start(&s->v, s->p, 330.0f, 1.0f, 8);
  else lull__fm_release(&s->v);
}

static void scene_render(void *x, float *out, uint32_t frames) { lull__fm_render(&((fm_scene *)x)->v, out, frames); }

static void test_split_invariance(void **state) {
  (void)state;
  const size_t at[] = {10000, 30000};
  for (int i = 0; i < 4; i++) {
    fm_scene s = {.p = presets[i]};
    vc_scene scene = {&s, scene_start, scene_event, scene_render, at, 2};
    double rms;
    ASSERT_TRUE(vc_split_invariant(&scene, 60000, &rms));
    ASSERT_GE(rms, 0.01);
  }
}

static void test_retrigger_without_click(void **state) {
  (void)state;
  enum { AT = 24000, N = 28800 };
  float *x = malloc(sizeof(float) * N), *fresh = malloc(sizeof(float) * (N - AT));
  for (int i = 0; i < 4; i++) {
    lull_fm v;
    lull__fm_init(&v, FS);
    lull__fm_start(&v, presets[i], 261.63f, 0.7f, 1);
    lull__fm_render(&v, x, AT);
    lull__fm_start(&v, presets[i], 329.63f, 1.0f, 2);
    lull__fm_render(&v, x + AT, N - AT);
    lull__fm_init(&v, FS);
    lull__fm_start(&v, presets[i], 329.63f, 1.0f, 2);
    lull__fm_render(&v, fresh, N - AT);
    double steady = vc_max_step(x, AT - 2400, AT), at = vc_max_step(x, AT, AT + 4);
    double after = vc_max_step(x, AT, N), own = vc_max_step(fresh, 1, N - AT);
    printf("# %s: step %.4f at the retrigger (steady %.4f), %.4f after (a fresh note %.4f)\n", preset_names[i], at,
           steady, after, own);
    ASSERT_LE(at, 2.0 * steady);
    ASSERT_LE(after, 1.25 * own);
  }
  free(x);
  free(fresh);
}

static void test_velocity_brightens(void **state) {
  (void)state;
  enum { N = 8192 };
  for (int i = 0; i < 4; i++) {
    double tilt[2];
    vc_velocity_tilts(render_at_fs, presets[i], 261.63f, 0.3f, 1.0f, N, FS, 100, 700, tilt);
    printf("# %s: energy above 700 Hz over below, %.1f dB soft, %.1f dB hard\n", preset_names[i], tilt[0], tilt[1]);
    ASSERT_GE(tilt[1] - tilt[0], 6.0);
  }
}

/* One operator feeding back on itself is y = sin(phi + beta y): harmonics
 * 2 J_n(n beta) / (n beta) (Kepler). The two-sample mean delays it 1.5
 * frames, nothing at 200 Hz. */
static void test_feedback_harmonics(void **state) {
  (void)state;
  enum { N = 16384 };
  const double beta = 0.6;
  lull_fm_patch p = {.algo = LULL_FM_ALGO_2_1, .feedback_op = 0, .feedback = (float)beta, .top_hz = 200.0f};
  p.op[0] = flat_op(1.0f, 0.4f);
  p.op[1] = flat_op(1.0f, 0.0f);
  float *x = render_note(&p, FS, 200.0f, 1.0f, N + 4800);
  double a1 = sine_amp(x + 4800, N, 200.0);
  ASSERT_NEAR(sig_db(a1 / 0.4 / (2 * jn(1, beta) / beta)), 0.0, 0.2);
  for (int n = 2; n <= 4; n++) {
    double want = 2 * jn(n, n * beta) / (n * beta) / (2 * jn(1, beta) / beta);
    double got = sine_amp(x + 4800, N, 200.0 * n) / a1;
    printf("# feedback 0.6, harmonic %d: %.1f dB (Kepler %.1f dB)\n", n, sig_db(got), sig_db(want));
    ASSERT_NEAR(sig_db(got / want), 0.0, 0.5);
  }
  ASSERT_EQ_INT(sig_nonfinite(x, N), 0);
  free(x);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sidebands_match_bessel), cmocka_unit_test(test_no_alias_at_top_notes),
      cmocka_unit_test(test_no_alias_in_stacks),
      cmocka_unit_test(test_envelope_levels),        cmocka_unit_test(test_glass_decay_time),
      cmocka_unit_test(test_peak_levels),            cmocka_unit_test(test_pitch),
      cmocka_unit_test(test_release_to_silence),     cmocka_unit_test(test_split_invariance),
      cmocka_unit_test(test_retrigger_without_click), cmocka_unit_test(test_velocity_brightens),
      cmocka_unit_test(test_feedback_harmonics),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
