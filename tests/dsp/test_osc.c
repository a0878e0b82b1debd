/* osc.c: MIDI note to Hz, the phase accumulator and the sine used by lead and kick, against
 * double-precision references. */
#include <stdlib.h>

#include "dsp/dsp.h"
#include "support/harness.h"
#include "support/signal.h"

#define FS 48000.0

static void test_hz_to_inc_exact(void **state) {
  (void)state;
  /* 2^32 per turn: 440 Hz is 440/48000 of a turn per frame. */
  ASSERT_EQ_INT(lull__hz_to_inc(440.0, FS), (long long)llround(440.0 / FS * 4294967296.0));
  ASSERT_EQ_INT(lull__hz_to_inc(0.0, FS), 0);
  ASSERT_NEAR(lull__midi_hz(69.0f), 440.0, 1e-3);
  ASSERT_NEAR(lull__midi_hz(57.0f), 220.0, 1e-3);
  ASSERT_NEAR(lull__midi_hz(60.0f), 261.6256, 1e-3);
}

/* MIDI note to Hz (equal temperament, A4 = 69 = 440 Hz) for every note and
 * the quarter tones between, within 0.01 % of the double-precision formula. */
static void test_midi_hz_every_note(void **state) {
  (void)state;
  double worst = 0;
  for (int q = 0; q <= 4 * 127; q++) {
    const double note = q / 4.0, want = 440.0 * pow(2.0, (note - 69.0) / 12.0);
    const double err = fabs(lull__midi_hz((float)note) - want) / want;
    if (err > worst) worst = err;
    if (!(err <= 1e-4)) fail_msg("note %.2f: %.6f Hz, expected %.6f Hz", note, (double)lull__midi_hz((float)note), want);
  }
  printf("# midi -> Hz: worst relative error %.2g over notes 0..127 in quarter tones\n", worst);
}

static void test_sine_pitch_and_purity(void **state) {
  (void)state;
  const double freqs[] = {50.0, 440.0, 1000.0, 8000.0};
  enum { N = 65536 };
  float *x = malloc(sizeof(float) * N);
  for (size_t k = 0; k < 4; k++) {
    uint32_t phase = 0, inc = lull__hz_to_inc(freqs[k], FS);
    for (int i = 0; i < N; i++, phase += inc) x[i] = lull__sin_turns(lull__phase_turns(phase));
    ASSERT_NEAR(sig_zero_cross_hz(x, N, 1, FS), freqs[k], freqs[k] * 0.001);
    /* Against sin() in double: the approximation error stays below -110 dB. */
    double err = 0;
    phase = 0;
    for (int i = 0; i < N; i++, phase += inc)
      err = fmax(err, fabs((double)x[i] - sin(2 * M_PI * (double)(int32_t)phase / 4294967296.0)));
    ASSERT_LE(err, 3e-6);
  }
  free(x);
}

static void test_inc_resolution(void **state) {
  (void)state;
  /* Every frequency is hit within half a step of the u32 phase (fs / 2^33). */
  for (double hz = 20.0; hz < 20000.0; hz *= 1.0137) {
    double got = (double)lull__hz_to_inc(hz, FS) * FS / 4294967296.0;
    ASSERT_NEAR(got, hz, FS / 8589934592.0 * 1.0001);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_hz_to_inc_exact), cmocka_unit_test(test_midi_hz_every_note),
      cmocka_unit_test(test_sine_pitch_and_purity),
      cmocka_unit_test(test_inc_resolution),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
