/* pluck.c: pitch within 0.5 % from C1 to C7 at 48 and 96 kHz (C1, C4, C7
 * at 22.05 and 192 kHz too), the fundamental's T60 as the preset says at two
 * pitches, body gain at a resonance, the pluck point's comb, peak levels,
 * velocity to brightness, release to silence, split invariance, retrigger
 * without a click, the kalimba's tine. */
#include <stdlib.h>

#include "dsp/dsp.h"
#include "support/harness.h"
#include "support/signal.h"
#include "voice_checks.h"

#define FS 48000.0f

static const lull_pluck_patch *const presets[] = {&lull__pluck_harp, &lull__pluck_guitar, &lull__pluck_kalimba};
static const char *const preset_names[] = {"harp", "guitar", "kalimba"};

typedef struct voice {
  lull_pluck v;
  float *mem;
} voice;

static void voice_init(voice *x, float fs) {
  x->mem = malloc(sizeof(float) * lull__pluck_floats(fs));
  lull__pluck_init(&x->v, x->mem, fs);
}

static float *render_note(const lull_pluck_patch *p, float fs, float hz, float velocity, size_t n) {
  voice x;
  voice_init(&x, fs);
  static uint64_t seed;
  if (!seed) seed = lull_test_seed(5);
  lull__pluck_start(&x.v, p, hz, velocity, seed);
  float *out = malloc(sizeof(float) * n);
  lull__pluck_render(&x.v, out, (uint32_t)n);
  free(x.mem);
  return out;
}

static float *render_at_fs(const void *patch, float hz, float velocity, size_t n) {
  return render_note((const lull_pluck_patch *)patch, FS, hz, velocity, n);
}

static double midi_hz(int note) { return 440.0 * pow(2.0, (note - 69) / 12.0); }

static void test_memory_size(void **state) {
  (void)state;
  /* two power-of-two lines, each longer than a period of C1 */
  ASSERT_EQ_INT(lull__pluck_floats(48000.0f), 2 * 2048);
  ASSERT_EQ_INT(lull__pluck_floats(96000.0f), 2 * 4096);
  ASSERT_EQ_INT(lull__pluck_floats(22050.0f), 2 * 1024);
  ASSERT_EQ_INT(lull__pluck_floats(192000.0f), 2 * 8192);
}

static void test_pitch(void **state) {
  (void)state;
  const int notes[] = {24, 36, 48, 60, 72, 84, 96, 31, 57, 70, 89, 94};
  /* every note at 48 and 96 kHz; C1, C4 and C7 at the extremes */
  const float rates[] = {48000.0f, 96000.0f, 22050.0f, 192000.0f};
  double worst = 0;
  for (int r = 0; r < 4; r++)
    for (int i = 0; i < 3; i++)
      for (size_t j = 0; j < (r < 2 ? sizeof notes / sizeof notes[0] : 7); j += r < 2 ? 1 : 3) {
        double hz = midi_hz(notes[j]);
        /* after 0.4 s: the kalimba's inharmonic tine is gone */
        size_t skip = (size_t)(0.4f * rates[r]), n = (size_t)(0.2f * rates[r]);
        float *x = render_note(presets[i], rates[r], (float)hz, 1.0f, skip + n);
        double f = sig_period_hz(x + skip, n, 1, rates[r], hz * 0.97, hz * 1.03);
        double err = f / hz - 1.0;
        if (fabs(err) > fabs(worst)) worst = err;
        if (fabs(err) > 0.005)
          printf("# %s, note %d at %.0f Hz: %.3f Hz for %.3f (%.3f %%)\n", preset_names[i], notes[j],
                 (double)rates[r], f, hz, 100 * err);
        ASSERT_NEAR(err, 0.0, 0.005);
        free(x);
      }
  printf("# worst pitch error %.4f %%\n", 100 * worst);
}

/* Amplitude of the partial near hz in x[0..n), relative (window gain and
 * all: only ratios of these are used). */
static double partial(const float *x, size_t n, float fs, double hz) {
  double *sp = sig_spectrum(x, n, 1), m;
  sig_peak_hz(sp, n, fs, hz * 0.97, hz * 1.03, &m);
  free(sp);
  return m;
}

/* T60 of the partial at hz: a line through its level in 8192-frame
 * windows every 0.25 s from 0.3 s to end_s. */
static double partial_t60_s(const float *x, float fs, double hz, double end_s) {
  enum { W = 8192 };
  vc_line line = {0};
  for (double t = 0.3; (t * fs) + W <= end_s * fs; t += 0.25)
    vc_line_add(&line, t + 0.5 * W / fs, 20 * log10(partial(x + (size_t)(t * fs), W, fs, hz)));
  return -60.0 / vc_line_slope(&line);
}

static void test_decay_follows_preset(void **state) {
  (void)state;
  const double hz[] = {130.81, 523.25};
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 2; j++) {
      const lull_pluck_patch *p = presets[i];
      double want = p->t60_s * pow(hz[j] / 261.6256, -p->t60_key), len = fmin(3.0, want * 0.8);
      float *x = render_note(p, FS, (float)hz[j], 1.0f, (size_t)(len * FS));
      double got = partial_t60_s(x, FS, hz[j], len);
      printf("# %s at %.0f Hz: T60 %.2f s (preset %.2f s)\n", preset_names[i], hz[j], got, want);
      ASSERT_NEAR(got, want, 0.25 * want);
      free(x);
    }
}

/* Gain in dB of the body for a sine at hz (steady state). */
static double body_gain_db(const lull_pluck_patch *p, double hz) {
  enum { N = 48000 };
  lull_pluck_body b;
  lull__pluck_body_init(&b, p, FS);
  float *x = malloc(sizeof(float) * N), *y = malloc(sizeof(float) * N);
  for (int i = 0; i < N; i++) x[i] = (float)sin(2 * M_PI * hz * i / FS);
  lull__pluck_body_process(&b, y, x, N);
  double g = sig_rms(y + N / 2, N / 2, 1) / sig_rms(x + N / 2, N / 2, 1);
  free(x);
  free(y);
  return sig_db(g);
}

static void test_body_resonance(void **state) {
  (void)state;
  for (int i = 0; i < 3; i++) {
    const lull_pluck_patch *p = presets[i];
    int top = 0;
    for (int k = 1; k < LULL_PLUCK_BODY; k++)
      if (p->body_gain[k] > p->body_gain[top]) top = k;
    double at = body_gain_db(p, p->body_hz[top]), away = body_gain_db(p, 6000.0);
    printf("# %s body: %+.1f dB at %.0f Hz, %+.1f dB at 6 kHz\n", preset_names[i], at, (double)p->body_hz[top],
           away);
    ASSERT_GE(at - away, 6.0);
    ASSERT_NEAR(away, 0.0, 1.0); /* the dry string passes above the box */
  }
}

/* Energy of harmonics 2, 4 .. 10 over that of 1, 3 .. 9 of a C3 note, in
 * dB (each one's level is random with the noise; their sums are not). */
static double even_over_odd_db(const lull_pluck_patch *p) {
  enum { N = 16384 };
  const double hz = 130.81;
  float *x = render_note(p, FS, (float)hz, 1.0f, N + 2400);
  double sum[2] = {0, 0};
  for (int k = 1; k <= 10; k++) {
    double a = partial(x + 2400, N, FS, k * hz);
    sum[k % 2] += a * a;
  }
  free(x);
  return 10 * log10(sum[0] / sum[1]);
}

static void test_pluck_point_comb(void **state) {
  (void)state;
  /* The harp is plucked at its middle: its even harmonics are notched; the
   * guitar, at 0.18, keeps them. */
  double harp = even_over_odd_db(&lull__pluck_harp), guitar = even_over_odd_db(&lull__pluck_guitar);
  printf("# C3: even harmonics %.1f dB against the odd (harp), %.1f dB (guitar)\n", harp, guitar);
  ASSERT_LE(harp, -25.0);
  ASSERT_GE(guitar, -10.0);
}

static void test_peak_levels(void **state) {
  (void)state;
  const float notes[] = {65.41f, 130.81f, 261.63f, 523.25f, 1046.5f};
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 5; j++) {
      float *x = render_note(presets[i], FS, notes[j], 1.0f, 24000);
      double pk = sig_peak(x, 24000, 1), rms = sig_rms(x, 24000, 1);
      printf("# %s at %.0f Hz: peak %.3f, RMS %.3f over 0.5 s\n", preset_names[i], (double)notes[j], pk, rms);
      ASSERT_GE(pk, 0.2);
      ASSERT_LE(pk, 0.55);
      ASSERT_EQ_INT(sig_nonfinite(x, 24000), 0);
      free(x);
    }
}

static void test_velocity_darkens(void **state) {
  (void)state;
  enum { N = 8192 };
  for (int i = 0; i < 3; i++) {
    double tilt[2];
    vc_velocity_tilts(render_at_fs, presets[i], 196.0f, 0.2f, 1.0f, N, FS, 50, 1000, tilt);
    printf("# %s: energy above 1 kHz over below, %.1f dB soft, %.1f dB hard\n", preset_names[i], tilt[0], tilt[1]);
    ASSERT_GE(tilt[1] - tilt[0], 6.0);
  }
}

static void test_release_to_silence(void **state) {
  (void)state;
  for (int i = 0; i < 3; i++) {
    const lull_pluck_patch *p = presets[i];
    voice x;
    voice_init(&x, FS);
    lull__pluck_start(&x.v, p, 196.0f, 1.0f, 3);
    enum { PRE = 24000 };
    float *y = malloc(sizeof(float) * 2 * FS);
    lull__pluck_render(&x.v, y, PRE);
    double before = sig_rms(y + PRE - 4800, 4800, 1), steady = vc_max_step(y, PRE - 4800, PRE);
    float level = lull__pluck_level(&x.v);
    ASSERT_TRUE(level > 0.05f && level < 1.0f);
    lull__pluck_release(&x.v);
    /* 60 dB in release_ms: after 1.5 of it, 90 dB down (+ the box's ring) */
    size_t at = (size_t)(1.5f * p->release_ms * 0.001f * FS) + 4800;
    lull__pluck_render(&x.v, y, (uint32_t)(at + 960));
    double click = vc_max_step(y, 1, 480), after = sig_rms(y + at, 960, 1);
    printf("# %s: %.1f dB %.0f ms after the release; step %.4f there (steady %.4f)\n", preset_names[i],
           sig_db(after / before), 1000.0 * (double)at / FS, click, steady);
    ASSERT_LE(sig_db(after / before), -85.0);
    ASSERT_LE(click, 1.5 * steady);
    ASSERT_LE(lull__pluck_level(&x.v), 0.001f * level);
    lull__pluck_render(&x.v, y, 48000);
    ASSERT_EQ_INT(lull__pluck_active(&x.v), 0);
    free(y);
    free(x.mem);
  }
}

/* A scene: a note, two retriggers (the second at another pitch, soon
 * after), a release. */
typedef struct pluck_scene {
  voice x;
  const lull_pluck_patch *p;
} pluck_scene;

static void scene_start(void *x) {
  pluck_scene *s = x;
  lull__pluck_init(&s->x.v, s->x.mem, FS);
  lull__pluck_start(&s->x.v, s->p, 220.0f, 0.8f, 7);
}

static void scene_event(void *x, int k) {
  pluck_scene *s = x;
  if (k == 0) lull__pluck_start(&s->x.v, s->p, 220.0f, 1.0f, 8);
  else if (k == 1) lull__pluck_start(&s->x.v, s->p, 293.66f, 0.6f, 9);
  else lull__pluck_release(&s->x.v);
}

static void scene_render(void *x, float *out, uint32_t frames) {
  lull__pluck_render(&((pluck_scene *)x)->x.v, out, frames);
}

static void test_split_invariance(void **state) {
  (void)state;
  const size_t at[] = {10000, 12400, 30000};
  for (int i = 0; i < 3; i++) {
    pluck_scene s = {.p = presets[i]};
    voice_init(&s.x, FS);
    vc_scene scene = {&s, scene_start, scene_event, scene_render, at, 3};
    double rms;
    ASSERT_TRUE(vc_split_invariant(&scene, 60000, &rms));
    ASSERT_GE(rms, 0.01);
    free(s.x.mem);
  }
}

static void test_retrigger_without_click(void **state) {
  (void)state;
  enum { AT = 24000, GAP = 2400, N = AT + 2 * GAP + 4800 };
  float *x = malloc(sizeof(float) * N), *fresh = malloc(sizeof(float) * N);
  for (int i = 0; i < 3; i++) {
    const lull_pluck_patch *p = presets[i];
    voice v;
    voice_init(&v, FS);
    lull__pluck_start(&v.v, p, 261.63f, 1.0f, 1);
    lull__pluck_render(&v.v, x, AT);
    /* retrigger at another pitch, then again 50 ms later (back on the line
     * that is still ringing out) */
    lull__pluck_start(&v.v, p, 329.63f, 0.7f, 2);
    lull__pluck_render(&v.v, x + AT, GAP);
    lull__pluck_start(&v.v, p, 392.0f, 0.7f, 3);
    lull__pluck_render(&v.v, x + AT + GAP, N - AT - GAP);
    /* each retrigger's steps: no more than the new note's own (fresh) and
     * what was sounding just before it (the old note's steps) together */
    const float hz[] = {329.63f, 392.0f};
    const size_t at[] = {AT, AT + GAP};
    for (int k = 0; k < 2; k++) {
      free(v.mem);
      voice_init(&v, FS);
      lull__pluck_start(&v.v, p, hz[k], 0.7f, (uint64_t)(2 + k));
      lull__pluck_render(&v.v, fresh, GAP);
      double own = vc_max_step(fresh, 1, GAP), before = vc_max_step(x, at[k] - 480, at[k]);
      double got = vc_max_step(x, at[k], at[k] + GAP);
      printf("# %s, retrigger %d: largest step %.4f (a fresh note's %.4f, before it %.4f)\n", preset_names[i], k + 1,
             got, own, before);
      ASSERT_LE(got, own + before);
    }
    free(v.mem);
  }
  free(x);
  free(fresh);
}

static void test_kalimba_tine(void **state) {
  (void)state;
  /* the bar's second mode at 5.4x, strong at first, gone after a second */
  enum { N = 8192 };
  const double hz = 261.63;
  float *x = render_note(&lull__pluck_kalimba, FS, (float)hz, 1.0f, 72000);
  double early = partial(x, N, FS, 5.4 * hz) / partial(x, N, FS, hz);
  double late = partial(x + 48000, N, FS, 5.4 * hz) / partial(x + 48000, N, FS, hz);
  printf("# kalimba tine: %.1f dB at the start, %.1f dB after 1 s (re the fundamental)\n", sig_db(early),
         sig_db(late));
  ASSERT_GE(sig_db(early), -20.0);
  ASSERT_LE(sig_db(late), sig_db(early) - 30.0);
  free(x);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_memory_size),          cmocka_unit_test(test_pitch),
      cmocka_unit_test(test_decay_follows_preset), cmocka_unit_test(test_body_resonance),
      cmocka_unit_test(test_pluck_point_comb),     cmocka_unit_test(test_peak_levels),
      cmocka_unit_test(test_velocity_darkens),     cmocka_unit_test(test_release_to_silence),
      cmocka_unit_test(test_split_invariance),     cmocka_unit_test(test_retrigger_without_click),
      cmocka_unit_test(test_kalimba_tine),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
