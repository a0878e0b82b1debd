/* voices.c through the engine (dry): the seed's voices measured. */
#include <stdlib.h>

#include "support/engine_util.h"
#include "support/harness.h"
#include "support/signal.h"

#define FS 48000.0

static void test_lead_a440(void **state) {
  (void)state;
  const int notes[] = {57, 69, 81};
  for (int k = 0; k < 3; k++) {
    lull_engine *e = test_engine(1);
    test_note(e, 0, LULL_PART_LEAD, LULL_EVENT_ON, notes[k], 0.8f, 0);
    float *x = test_render(e, 72000, 960);
    double want = 440.0 * pow(2.0, (notes[k] - 69) / 12.0);
    double hz = sig_zero_cross_hz(x + 2 * 9600, 48000, 2, FS); /* after glide and attack */
    printf("# lead MIDI %d: %.3f Hz (want %.3f)\n", notes[k], hz, want);
    ASSERT_NEAR(hz, want, want * 0.005);
    /* Centred: both channels equal. Level: sustain 0.8 x velocity 0.8 x mix
     * 0.7 x pan 0.707, a sine of peak ~0.317 (the soft clip bends it ~3 %). */
    ASSERT_NEAR(sig_rms(x + 2 * 24000, 24000, 2), sig_rms(x + 2 * 24000 + 1, 24000, 2), 1e-6);
    ASSERT_NEAR(sig_peak(x + 2 * 24000, 24000, 2), 0.8 * 0.8 * 0.7 * 0.7071 * 0.95, 0.02);
    free(x);
    lull_engine_destroy(e);
  }
}

static void test_lead_glides_and_releases_overlap(void **state) {
  (void)state;
  lull_engine *e = test_engine(1);
  test_note(e, 0, LULL_PART_LEAD, LULL_EVENT_ON, 69, 0.8f, 24000);
  test_note(e, 24000, LULL_PART_LEAD, LULL_EVENT_ON, 76, 0.8f, 24000); /* E5, 659.26 Hz */
  float *x = test_render(e, 48000, 512);
  uint32_t lat = lull_engine_latency_frames(e);
  /* During the new note's first 150 ms the old note's release still sounds:
   * both pitches are in the spectrum. */
  double *spec = sig_spectrum(x + 2 * (24000 + lat + 480), 4096, 2), m440, m659;
  sig_peak_hz(spec, 4096, FS, 420, 460, &m440);
  sig_peak_hz(spec, 4096, FS, 640, 680, &m659);
  ASSERT_GE(m440, 0.02);
  ASSERT_GE(m659, 0.02);
  free(spec);
  /* The glide: 10 ms after the onset the new pitch has arrived. */
  double hz = sig_zero_cross_hz(x + 2 * (24000 + lat + 9600), 9600, 2, FS);
  ASSERT_NEAR(hz, 659.255, 659.255 * 0.005);
  free(x);
  lull_engine_destroy(e);
}

static void test_pad_chord_fundamentals(void **state) {
  (void)state;
  lull_engine *e = test_engine(1);
  const int notes[4] = {45, 48, 52, 55}; /* A2 min7 */
  for (int i = 0; i < 4; i++) test_note(e, 0, LULL_PART_PAD, LULL_EVENT_ON, notes[i], 0.8f, 0);
  float *x = test_render(e, 96000 + 65536, 960);
  double *spec = sig_spectrum(x + 2 * 96000, 65536, 2);
  double loudest = 0;
  for (size_t i = 1; i < 32768; i++) loudest = fmax(loudest, spec[i]);
  for (int i = 0; i < 4; i++) {
    double want = 440.0 * pow(2.0, (notes[i] - 69) / 12.0), mag;
    double got = sig_peak_hz(spec, 65536, FS, want * 0.98, want * 1.02, &mag);
    printf("# pad fundamental %.2f Hz: peak at %.2f Hz, %.1f dB\n", want, got, sig_db(mag / loudest));
    ASSERT_NEAR(got, want, want * 0.005);
    ASSERT_GE(sig_db(mag / loudest), -12.0);
  }
  /* Lowpassed near 1-1.2 kHz: little energy above 5 kHz. */
  double hi = 0, all = 0;
  for (size_t i = 1; i < 32768; i++) {
    all += spec[i] * spec[i];
    if ((double)i * FS / 65536 > 5000) hi += spec[i] * spec[i];
  }
  ASSERT_LE(10 * log10(hi / all), -30.0);
  free(spec);
  free(x);
  lull_engine_destroy(e);
}

static void test_kick_sweep_and_decay(void **state) {
  (void)state;
  lull_engine *e = test_engine(1);
  test_note(e, 0, LULL_PART_KICK, LULL_EVENT_HIT, 36, 1.0f, 0);
  float *x = test_render(e, 24000, 960);
  uint32_t lat = lull_engine_latency_frames(e);
  const float *k = x + 2 * lat;
  /* The first cycle is near 150 Hz, after 100 ms it is 50 Hz. */
  double early = sig_zero_cross_hz(k, 960, 2, FS), late = sig_zero_cross_hz(k + 2 * 4800, 2880, 2, FS);
  ASSERT_NEAR(early, 140.0, 15.0);
  ASSERT_NEAR(late, 50.0, 1.0);
  /* Exponential decay: the peak of the second 20 ms is below the first's. */
  ASSERT_LE(sig_peak(k + 2 * 3840, 960, 2), sig_peak(k, 960, 2));
  /* Over by 250 ms (100 ms body + 150 ms tail); what remains is the DC
   * blocker settling (16 ms time constant), under -80 dB by 350 ms. */
  lull_engine_stats st;
  lull_engine_get_stats(e, &st);
  ASSERT_EQ_INT(st.voices_active, 0);
  ASSERT_LE(sig_peak(k + 2 * 16800, 4800, 2), 1e-4);
  ASSERT_GE(sig_peak(k + 2 * 4800, 960, 2), 0.05);
  free(x);
  lull_engine_destroy(e);
}

static void test_swell_and_hat_spectra(void **state) {
  (void)state;
  lull_engine *e = test_engine(1);
  test_note(e, 0, LULL_PART_SWELL, LULL_EVENT_HIT, 60, 1.0f, 0);
  float *x = test_render(e, 96000, 960);
  double *spec = sig_spectrum(x + 2 * 9600, 32768, 2), band = 0, all = 0;
  for (size_t i = 1; i < 16384; i++) {
    double f = (double)i * FS / 32768;
    all += spec[i] * spec[i];
    if (f > 500 && f < 2000) band += spec[i] * spec[i];
  }
  ASSERT_GE(band / all, 0.75); /* bandpass at 1 kHz, Q 2 */
  /* ADSR 200 ms attack: the loudest stretch is near 200 ms. */
  ASSERT_GE(sig_rms(x + 2 * 9600, 1200, 2), 2 * sig_rms(x + 2 * 1200, 1200, 2));
  free(spec);
  free(x);
  lull_engine_destroy(e);

  e = test_engine(1);
  test_note(e, 0, LULL_PART_HAT, LULL_EVENT_HIT, 60, 1.0f, 0);
  x = test_render(e, 24000, 960);
  spec = sig_spectrum(x, 8192, 2);
  band = all = 0;
  for (size_t i = 1; i < 4096; i++) {
    all += spec[i] * spec[i];
    if ((double)i * FS / 8192 > 5000) band += spec[i] * spec[i];
  }
  ASSERT_GE(band / all, 0.8); /* high-passed */
  ASSERT_LE(sig_peak(x + 2 * 6000, 18000, 2), 1e-6); /* short: over within 125 ms */
  free(spec);
  free(x);
  lull_engine_destroy(e);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_lead_a440),
      cmocka_unit_test(test_lead_glides_and_releases_overlap),
      cmocka_unit_test(test_pad_chord_fundamentals),
      cmocka_unit_test(test_kick_sweep_and_decay),
      cmocka_unit_test(test_swell_and_hat_spectra),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
