/* reverb.c: decay time (T30 from Schroeder backward integration) matches
 * the configured RT60, the pre-delay holds, the tails of the two channels
 * are decorrelated, modulation is active, and silence after a tail does not
 * leave denormals in the lines even with FTZ off. */
#include <float.h>
#include <stdlib.h>
#include <string.h>

#include "dsp/dsp.h"
#include "support/harness.h"
#include "support/signal.h"

#define FS 48000.0f

typedef struct ir {
  float *l, *r;
  size_t n;
} ir;

static ir impulse_response(const lull_reverb_config *cfg, float seconds, lull_reverb *keep, float **mem_out) {
  float *mem = calloc(lull__reverb_floats(FS), sizeof(float));
  lull_reverb r;
  lull__reverb_init(&r, cfg, FS, mem);
  ir out = {.n = (size_t)(seconds * FS)};
  out.l = calloc(out.n, sizeof(float));
  out.r = calloc(out.n, sizeof(float));
  float in[64] = {0};
  for (size_t n = 0; n < out.n; n += LULL_GRID_FRAMES) {
    in[0] = n == 0 ? 1.0f : 0.0f;
    size_t k = out.n - n < LULL_GRID_FRAMES ? out.n - n : LULL_GRID_FRAMES;
    if (n) lull__reverb_control(&r);
    lull__reverb_process(&r, out.l + n, out.r + n, in, k);
  }
  if (keep) {
    *keep = r;
    *mem_out = mem;
  } else {
    free(mem);
  }
  return out;
}

/* T30 extrapolated to 60 dB from the energy decay curve of the IR through
 * a filter (mode, cutoff). */
static double t30_band(const ir *h, lull_svf_mode mode, float cutoff) {
  float *l = malloc(sizeof(float) * h->n), *r = malloc(sizeof(float) * h->n);
  lull_svf fl, fr;
  lull__svf_init(&fl, FS);
  lull__svf_init(&fr, FS);
  lull__svf_set(&fl, cutoff, 0.7071f);
  lull__svf_set(&fr, cutoff, 0.7071f);
  lull__svf_process(&fl, mode, l, h->l, h->n);
  lull__svf_process(&fr, mode, r, h->r, h->n);
  double *edc = malloc(sizeof(double) * h->n), acc = 0;
  for (size_t i = h->n; i-- > 0;) {
    acc += (double)l[i] * l[i] + (double)r[i] * r[i];
    edc[i] = acc;
  }
  free(l);
  free(r);
  double t5 = -1, t35 = -1;
  for (size_t i = 0; i < h->n; i++) {
    double db = 10 * log10(edc[i] / edc[0]);
    if (t5 < 0 && db <= -5) t5 = (double)i / FS;
    if (t35 < 0 && db <= -35) t35 = (double)i / FS;
  }
  free(edc);
  return 2.0 * (t35 - t5);
}

/* Below 1 kHz: the configured decay is the low-frequency one (the taps'
 * interpolation and the damping take more from the highs on every pass). */
static double t30(const ir *h) { return t30_band(h, LULL_SVF_LOWPASS, 1000.0f); }

static void test_damping_shortens_the_highs(void **state) {
  (void)state;
  lull_reverb_config damped = {6.0f, 0.0f, 0.35f, 0.6f}, open = {6.0f, 0.0f, 0.0f, 0.6f};
  ir a = impulse_response(&damped, 7.0f, NULL, NULL), b = impulse_response(&open, 7.0f, NULL, NULL);
  double lo_a = t30(&a), hi_a = t30_band(&a, LULL_SVF_HIGHPASS, 8000.0f);
  double lo_b = t30(&b), hi_b = t30_band(&b, LULL_SVF_HIGHPASS, 8000.0f);
  printf("# T30 damped: %.2f s low, %.2f s above 8 kHz; undamped: %.2f s, %.2f s\n", lo_a, hi_a, lo_b, hi_b);
  ASSERT_NEAR(lo_a, 6.0, 0.6);       /* the lows keep the configured decay */
  ASSERT_LE(hi_a, 0.5 * lo_a);       /* the highs die at least twice as fast */
  ASSERT_LE(hi_a, 0.85 * hi_b);      /* and damping is what shortened them further
                                      * (the modulated taps' interpolation already
                                      * takes some highs on every pass) */
  ASSERT_NEAR(lo_b, 6.0, 0.6);
  free(a.l), free(a.r), free(b.l), free(b.r);
}

static void test_decay_time(void **state) {
  (void)state;
  const float decays[] = {2.0f, 6.0f, 10.0f};
  for (int k = 0; k < 3; k++) {
    lull_reverb_config cfg = {decays[k], 0.0f, 0.0f, 0.6f};
    ir h = impulse_response(&cfg, decays[k] * 1.2f, NULL, NULL);
    double t = t30(&h);
    printf("# RT60 %.0f s: measured T30 %.2f s\n", (double)decays[k], t);
    ASSERT_NEAR(t, decays[k], decays[k] * 0.10);
    ASSERT_EQ_INT(sig_nonfinite(h.l, h.n) + sig_nonfinite(h.r, h.n), 0);
    free(h.l);
    free(h.r);
  }
}

static void test_predelay_and_stereo(void **state) {
  (void)state;
  lull_reverb_config cfg = {4.0f, 40.0f, 0.35f, 0.6f};
  ir h = impulse_response(&cfg, 3.0f, NULL, NULL);
  size_t first = 0;
  while (first < h.n && h.l[first] == 0.0f && h.r[first] == 0.0f) first++;
  ASSERT_GE(first, (size_t)(0.040f * FS)); /* nothing before the pre-delay */
  ASSERT_LE(first, (size_t)(0.040f * FS) + 2500);
  /* The tail's channels are different signals of similar energy. */
  double ll = 0, rr = 0, lr = 0;
  for (size_t i = (size_t)(0.2f * FS); i < h.n; i++) ll += h.l[i] * h.l[i], rr += h.r[i] * h.r[i], lr += h.l[i] * h.r[i];
  ASSERT_LE(fabs(lr / sqrt(ll * rr)), 0.3);
  ASSERT_NEAR(10 * log10(ll / rr), 0.0, 1.5);
  free(h.l);
  free(h.r);
}

static void test_modulation_moves_the_tail(void **state) {
  (void)state;
  lull_reverb_config still = {4.0f, 0.0f, 0.35f, 0.0f}, moving = {4.0f, 0.0f, 0.35f, 0.6f};
  ir a = impulse_response(&still, 2.0f, NULL, NULL), b = impulse_response(&moving, 2.0f, NULL, NULL);
  /* Early reflections nearly agree; by one second in, the tails differ. */
  double diff = 0, energy = 0;
  for (size_t i = (size_t)FS; i < a.n; i++) diff += pow(a.l[i] - b.l[i], 2), energy += pow(a.l[i], 2);
  ASSERT_GE(diff / energy, 0.05);
  free(a.l), free(a.r), free(b.l), free(b.r);
}

static void test_no_denormals_after_silence(void **state) {
  (void)state;
  lull_reverb_config cfg = {10.0f, 20.0f, 0.35f, 0.6f};
  lull_reverb r;
  float *mem;
  ir h = impulse_response(&cfg, 60.0f, &r, &mem); /* 60 s: far past -60 dB */
  size_t subnormal = 0, total = lull__reverb_floats(FS);
  for (size_t i = 0; i < total; i++) subnormal += mem[i] != 0.0f && fabsf(mem[i]) < FLT_MIN;
  ASSERT_EQ_INT(subnormal, 0);
  free(mem);
  free(h.l);
  free(h.r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_decay_time),
      cmocka_unit_test(test_damping_shortens_the_highs),
      cmocka_unit_test(test_predelay_and_stereo),
      cmocka_unit_test(test_modulation_moves_the_tail),
      cmocka_unit_test(test_no_denormals_after_silence),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
