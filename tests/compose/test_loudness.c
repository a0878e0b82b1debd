/* The composer through the engine, half an hour at intensities 0.15, 0.45
 * and 0.85 each (EBU R 128 via libebur128): -16 LUFS +- 2 integrated, true
 * peak at or below -1 dBTP; a loudness range (LRA) of at most 8 LU, as calm
 * music has, and passages without the lead within 4 LU of those with it
 * (the bed carries the piece); at least 1 % of the energy above 2.5 kHz at
 * mid intensity (air), and not much above 6 kHz (no harshness).
 * LULL_TEST_SHORT=1, and a sanitizer build, measure ten minutes each.
 * Then every other palette: the same loudness, peak and range. */
#include <ebur128.h>
#include <math.h>
#include <stdlib.h>

#include "lull/engine.h"
#include "support/compose_util.h"
#include "support/harness.h"
#include "support/signal.h"

#define FS 48000u
#define BLOCK 4800u /* 100 ms */
#define FFT_N 8192u

static void measure(int palette, float intensity, uint64_t seed, double minutes) {
  lull_composer *c = make_palette_composer(palette, 9, LULL_MODE_AEOLIAN, 64, intensity, seed);
  lull_engine *e;
  ASSERT_EQ_INT(lull_engine_create(NULL, &e, NULL), LULL_OK);
  ebur128_state *m = ebur128_init(2, FS, EBUR128_MODE_I | EBUR128_MODE_LRA | EBUR128_MODE_TRUE_PEAK | EBUR128_MODE_S);
  float *buf = malloc(sizeof(float) * 2 * BLOCK), *mono = malloc(sizeof(float) * FFT_N);
  lull_event ev[128];
  const uint64_t end = (uint64_t)(minutes * 60 * FS);
  uint64_t lead_until = 0; /* the lead sounds (with its release) until this frame */
  double with_e = 0, without_e = 0, bands[3] = {0};
  size_t with_n = 0, without_n = 0, fill = FFT_N;
  for (uint64_t pos = 0; pos < end; pos += BLOCK) {
    size_t n;
    while ((n = lull__composer_fill(c, pos + BLOCK, ev, 128)) > 0)
      for (size_t i = 0; i < n; i++) {
        ASSERT_EQ_INT(lull_engine_schedule(e, &ev[i]), LULL_OK);
        if (ev[i].part == LULL_PART_LEAD && ev[i].kind == LULL_EVENT_ON) {
          uint64_t u = ev[i].frame + ev[i].duration_frames + FS / 2;
          if (u > lead_until) lead_until = u;
        }
      }
    lull_engine_render(e, buf, BLOCK);
    ebur128_add_frames_float(m, buf, BLOCK);
    /* Each second, from the tenth on: the short-term loudness (3 s), with
     * or without the lead in all of those 3 s. */
    if ((pos + BLOCK) % FS == 0 && pos >= 10 * FS) {
      double st;
      ebur128_loudness_shortterm(m, &st);
      if (st > -70) {
        int lead_in = lead_until > pos + BLOCK - 3 * FS;
        int lead_all = lead_until >= pos + BLOCK; /* (only roughly: rests inside a phrase count as lead) */
        if (!lead_in) without_e += pow(10, st / 10), without_n++;
        else if (lead_all) with_e += pow(10, st / 10), with_n++;
      }
    }
    /* Every ten seconds, a spectrum of the next 8192 frames: energy below
     * 2.5 kHz, 2.5-6 kHz, above 6 kHz. */
    if (pos % (10 * FS) == 0) fill = 0;
    if (fill < FFT_N) {
      for (size_t i = 0; i < BLOCK && fill < FFT_N; i++) mono[fill++] = 0.5f * (buf[2 * i] + buf[2 * i + 1]);
      if (fill == FFT_N && pos > 0) {
        double *spec = sig_spectrum(mono, FFT_N, 1);
        for (size_t k = 1; k <= FFT_N / 2; k++) {
          double hz = (double)k * FS / FFT_N, p = spec[k] * spec[k];
          bands[hz < 2500 ? 0 : hz < 6000 ? 1 : 2] += p;
        }
        free(spec);
      }
    }
  }
  double lufs, lra, tp0, tp1;
  ebur128_loudness_global(m, &lufs);
  ebur128_loudness_range(m, &lra);
  ebur128_true_peak(m, 0, &tp0);
  ebur128_true_peak(m, 1, &tp1);
  double tp = 20 * log10(fmax(tp0, tp1));
  double with_l = 10 * log10(with_e / (double)(with_n ? with_n : 1));
  double without_l = 10 * log10(without_e / (double)(without_n ? without_n : 1));
  double total = bands[0] + bands[1] + bands[2];
  double air = (bands[1] + bands[2]) / total, top = bands[2] / total;
  printf("# %s at intensity %.2f, %.0f min: %.1f LUFS, LRA %.1f LU, true peak %.2f dBTP; short-term with the lead %.1f LUFS "
         "(%zu s), without %.1f LUFS (%zu s); energy above 2.5 kHz %.2f %%, above 6 kHz %.3f %%\n",
         lull_palette_name(palette), (double)intensity, minutes, lufs, lra, tp, with_l, with_n, without_l, without_n, 100 * air, 100 * top);
  ASSERT_NEAR(lufs, -16.0, 2.0);
  ASSERT_LE(tp, -1.0);
  ASSERT_LE(lra, 8.0);
  if (with_n > 30 && without_n > 30) ASSERT_LE(fabs(with_l - without_l), 4.0);
  if (palette == LULL_PALETTE_CLASSIC) { /* the others have their own colour (test_palettes) */
    if (intensity > 0.3f && intensity < 0.6f) ASSERT_GE(air, 0.01);
    ASSERT_LE(top, 0.02);
  }
  ebur128_destroy(&m);
  free(buf), free(mono);
  lull_engine_destroy(e);
  lull__composer_destroy(c);
}

static void test_loudness(void **state) {
  (void)state;
  uint64_t seed = lull_test_seed(31);
  const char *sh = getenv("LULL_TEST_SHORT");
  double minutes = sh && *sh && *sh != '0' ? 10 : 30;
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  minutes = 10; /* the sanitizers slow every frame: the release run measures the half hour */
#endif
  measure(LULL_PALETTE_CLASSIC, 0.15f, seed, minutes);
  measure(LULL_PALETTE_CLASSIC, 0.45f, seed, minutes);
  measure(LULL_PALETTE_CLASSIC, 0.85f, seed, minutes);
}

/* Every other palette as loud as classic, at intensities 0.1, 0.5 and 0.9:
 * three minutes each (under a sanitizer, one minute at 0.5: the release
 * run measures them all). */
static void test_palette_loudness(void **state) {
  (void)state;
  uint64_t seed = lull_test_seed(32);
  double minutes = 3;
  int sanitized = 0;
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  minutes = 1, sanitized = 1;
#endif
  for (int p = LULL_PALETTE_CLASSIC + 1; p < LULL_PALETTE_COUNT; p++) {
    if (!sanitized) measure(p, 0.1f, seed, minutes);
    measure(p, 0.5f, seed, minutes);
    if (!sanitized) measure(p, 0.9f, seed, minutes);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_loudness), cmocka_unit_test(test_palette_loudness)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
