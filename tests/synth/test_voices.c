/* voices.c through the engine (dry unless said): each part's pitch,
 * spectrum, envelope and place in the field measured, and the balance of
 * the parts in short-term loudness (EBU R 128, libebur128). */
#include <complex.h>
#include <ebur128.h>
#include <stdlib.h>

#include "support/engine_util.h"
#include "support/harness.h"
#include "support/signal.h"
#include "synth/synth_int.h"

#define FS 48000.0

static double midi_hz(int note) { return 440.0 * pow(2.0, (note - 69) / 12.0); }

/* Mono (left + right) of frames [from, from + n) of a stereo render. */
static float *mono(const float *x, size_t from, size_t n) {
  float *m = malloc(sizeof(float) * n);
  for (size_t i = 0; i < n; i++) m[i] = 0.5f * (x[2 * (from + i)] + x[2 * (from + i) + 1]);
  return m;
}

/* Magnitude of the spectrum's largest bin within 2 % of hz. */
static double partial_mag(const double *spec, size_t n, double hz) {
  double mag;
  sig_peak_hz(spec, n, FS, hz * 0.98, hz * 1.02, &mag);
  return mag;
}

/* Pan of a stretch from its channels' levels, undoing the constant-power
 * law: -1 left .. 1 right. */
static double measured_pan(const float *x, size_t from, size_t n) {
  double l = sig_rms(x + 2 * from, n, 2), r = sig_rms(x + 2 * from + 1, n, 2);
  return atan2(r, l) / (M_PI / 4) - 1.0;
}

/* ---- lead: a struck FM electric piano ---------------------------------- */

static void test_lead_pitch_partials_and_decay(void **state) {
  (void)state;
  const int notes[] = {57, 69, 81};
  for (int k = 0; k < 3; k++) {
    lull_engine *e = test_engine(1);
    test_note(e, 0, LULL_PART_LEAD, LULL_EVENT_ON, notes[k], 0.7f, 4 * 48000);
    float *x = test_render(e, 4 * 48000, 960);
    size_t lat = lull_engine_latency_frames(e);
    double f0 = midi_hz(notes[k]);
    /* Pitch over 1..2.4 s, by the spectrum's peak. */
    float *m = mono(x, lat + 48000, 65536);
    double *spec = sig_spectrum(m, 65536, 1), mag;
    double hz = sig_peak_hz(spec, 65536, FS, f0 * 0.97, f0 * 1.03, &mag);
    free(spec), free(m);
    /* Partials: the 2nd and 3rd harmonics against the fundamental, in
     * the first 85 ms and 2 s later. */
    double ratio_db[2];
    for (int w = 0; w < 2; w++) {
      m = mono(x, lat + 240 + (size_t)w * 96000, 4096);
      spec = sig_spectrum(m, 4096, 1);
      double h1 = partial_mag(spec, 4096, f0), h2 = partial_mag(spec, 4096, 2 * f0), h3 = partial_mag(spec, 4096, 3 * f0);
      ratio_db[w] = 10 * log10((h2 * h2 + h3 * h3) / (h1 * h1));
      if (w == 0) {
        ASSERT_GE(sig_db(h2 / h1), -30.0);
        ASSERT_GE(sig_db(h3 / h1), -30.0);
      }
      free(spec), free(m);
    }
    /* The level: the loudest 100 ms near the start against 3.0-3.1 s. */
    double peak = sig_rms(x + 2 * lat, 4800, 1), late = sig_rms(x + 2 * (lat + 144000), 4800, 1);
    printf("# lead MIDI %d: %.3f Hz (want %.3f); harmonics 2+3 vs 1: %+.1f dB early, %+.1f dB at 2 s; at 3 s %.1f dB "
           "under the start\n",
           notes[k], hz, f0, ratio_db[0], ratio_db[1], sig_db(peak / late));
    ASSERT_NEAR(hz, f0, f0 * 0.005);
    ASSERT_LE(ratio_db[1], ratio_db[0] - 10.0); /* purer as it decays */
    ASSERT_GE(sig_db(peak / late), 9.0);
    free(x);
    lull_engine_destroy(e);
  }
}

/* A very high lead note does not fold back below Nyquist: its tine is left
 * out (C8: 7.03 x 4186 Hz = 29.4 kHz would land at 18.6 kHz) and its index
 * narrowed (its 6th and 7th harmonics would land at 22.9 and 18.7 kHz).
 * The master gain is down 20 dB, so the soft clip's own distortion does not
 * count. */
static void test_lead_high_note_does_not_alias(void **state) {
  (void)state;
  lull_engine_config cfg = {.dry = 1, .master_gain_db = -20.0f};
  lull_engine *e;
  ASSERT_EQ_INT(lull_engine_create(&cfg, &e, NULL), LULL_OK);
  test_note(e, 0, LULL_PART_LEAD, LULL_EVENT_ON, 108, 0.9f, 24000);
  float *x = test_render(e, 24000, 960);
  float *m = mono(x, lull_engine_latency_frames(e) + 240, 8192);
  double *spec = sig_spectrum(m, 8192, 1), f0 = midi_hz(108), fund = partial_mag(spec, 8192, f0), worst = 0;
  const double folded[3] = {48000 - 7.03 * f0, 48000 - 6 * f0, 48000 - 7 * f0};
  for (int i = 0; i < 3; i++) worst = fmax(worst, partial_mag(spec, 8192, folded[i]));
  printf("# lead C8: what folds back, at most %.1f dB under the fundamental\n", sig_db(fund / worst));
  ASSERT_LE(sig_db(worst / fund), -80.0);
  free(spec), free(m), free(x);
  lull_engine_destroy(e);
}

/* No glide: a note's pitch is right within its first 20 ms, even straight
 * after another note. And it is polyphonic: three notes struck 0.3 s apart
 * all still sound (none was cut) 0.4 s after the last. */
static void test_lead_no_glide_and_polyphony(void **state) {
  (void)state;
  lull_engine *e = test_engine(1);
  test_note(e, 0, LULL_PART_LEAD, LULL_EVENT_ON, 69, 0.8f, 9600);
  test_note(e, 36000, LULL_PART_LEAD, LULL_EVENT_ON, 76, 0.8f, 24000); /* after the first has died away */
  float *x = test_render(e, 72000, 512);
  size_t lat = lull_engine_latency_frames(e);
  double hz = sig_period_hz(x + 2 * (36000 + lat), 960, 2, FS, 500, 900);
  printf("# lead E5 in its first 20 ms: %.2f Hz (want 659.26)\n", hz);
  ASSERT_NEAR(hz, 659.255, 659.255 * 0.005);
  free(x);
  lull_engine_destroy(e);

  e = test_engine(1);
  const int chord[3] = {64, 67, 71};
  for (int i = 0; i < 3; i++) test_note(e, (uint64_t)i * 14400, LULL_PART_LEAD, LULL_EVENT_ON, chord[i], 0.7f, 96000);
  x = test_render(e, 96000, 960);
  float *m = mono(x, 2 * 14400 + 19200, 16384);
  double *spec = sig_spectrum(m, 16384, 1), loudest = 0, mags[3];
  for (int i = 0; i < 3; i++) loudest = fmax(loudest, mags[i] = partial_mag(spec, 16384, midi_hz(chord[i])));
  for (int i = 0; i < 3; i++) ASSERT_GE(sig_db(mags[i] / loudest), -12.0);
  free(spec), free(m), free(x);
  lull_engine_destroy(e);
}

/* Successive notes sit at slowly varying places within +- 0.35: over a
 * minute they cover a good part of that, never beyond it, and neighbours
 * are close. */
static void test_lead_wanders_in_stereo(void **state) {
  (void)state;
  lull_engine *e = test_engine(1);
  const int n = 60;
  for (int i = 0; i < n; i++) test_note(e, (uint64_t)i * 48000, LULL_PART_LEAD, LULL_EVENT_ON, 69 + (i % 5), 0.7f, 24000);
  float *x = test_render(e, (size_t)n * 48000, 960);
  size_t lat = lull_engine_latency_frames(e);
  double lo = 1, hi = -1, prev = 0, worst_step = 0;
  for (int i = 0; i < n; i++) {
    double pan = measured_pan(x, (size_t)i * 48000 + lat, 24000);
    lo = fmin(lo, pan), hi = fmax(hi, pan);
    if (i) worst_step = fmax(worst_step, fabs(pan - prev));
    prev = pan;
  }
  printf("# lead over a minute: pan %.2f .. %.2f, largest step between notes %.3f\n", lo, hi, worst_step);
  ASSERT_GE(lo, -0.36);
  ASSERT_LE(hi, 0.36);
  ASSERT_GE(hi - lo, 0.35);
  ASSERT_LE(worst_step, 0.2);
  free(x);
  lull_engine_destroy(e);
}

/* ---- bass, bell -------------------------------------------------------- */

static void test_bass(void **state) {
  (void)state;
  lull_engine *e = test_engine(1);
  test_note(e, 0, LULL_PART_BASS, LULL_EVENT_ON, 33, 0.8f, 0); /* A1, 55 Hz, held */
  test_note(e, 4 * 48000, LULL_PART_BASS, LULL_EVENT_OFF, 33, 0, 0);
  float *x = test_render(e, 6 * 48000, 960);
  size_t lat = lull_engine_latency_frames(e);
  float *m = mono(x, lat + 48000, 131072);
  double *spec = sig_spectrum(m, 131072, 1), mag;
  double hz = sig_peak_hz(spec, 131072, FS, 50, 60, &mag);
  double second = sig_db(partial_mag(spec, 131072, 110) / mag);
  double attack = sig_db(sig_rms(x + 2 * (lat + 4800), 2400, 1) / sig_rms(x + 2 * (lat + 48000), 48000, 1));
  double after = sig_peak(x + 2 * (lat + 4 * 48000 + 76800), 9600, 1);
  printf("# bass A1: %.3f Hz (want 55), octave %.1f dB, at 100 ms %.1f dB under its level, after the release %.1e\n", hz,
         second, -attack, after);
  ASSERT_NEAR(hz, 55.0, 55.0 * 0.005);
  ASSERT_NEAR(second, -18.0, 3.0);
  ASSERT_LE(attack, -12.0); /* a slow attack */
  ASSERT_GE(sig_rms(x + 2 * (lat + 4 * 48000 + 24000), 4800, 1), 0.1 * sig_rms(x + 2 * (lat + 48000), 48000, 1));
  ASSERT_LE(after, 1e-6);   /* released over 1.5 s */
  ASSERT_NEAR(sig_rms(x + 2 * 48000, 48000, 2), sig_rms(x + 2 * 48000 + 1, 48000, 2), 1e-6); /* centred */
  free(spec), free(m), free(x);
  lull_engine_destroy(e);
}

static void test_bell(void **state) {
  (void)state;
  lull_engine *e = test_engine(1);
  test_note(e, 0, LULL_PART_BELL, LULL_EVENT_ON, 76, 0.8f, 3 * 48000); /* E5 */
  float *x = test_render(e, 7 * 48000, 960);
  size_t lat = lull_engine_latency_frames(e);
  const double f0 = 659.255;
  float *m = mono(x, lat + 2400, 32768);
  double *spec = sig_spectrum(m, 32768, 1), mag;
  double hz = sig_peak_hz(spec, 32768, FS, f0 * 0.97, f0 * 1.03, &mag);
  /* Glassy: the 1:3.5 sidebands at 2.5 f and 4.5 f, not harmonics. */
  double side = sig_db(fmax(partial_mag(spec, 32768, 2.5 * f0), partial_mag(spec, 32768, 4.5 * f0)) / mag);
  double h2 = sig_db(partial_mag(spec, 32768, 2 * f0) / mag);
  double start = sig_rms(x + 2 * lat, 9600, 1);
  double at1 = sig_db(sig_rms(x + 2 * (lat + 48000), 9600, 1) / start);
  double at3 = sig_db(sig_rms(x + 2 * (lat + 3 * 48000), 9600, 1) / start);
  double at6 = sig_db(sig_rms(x + 2 * (lat + 6 * 48000), 9600, 1) / start + 1e-12);
  printf("# bell E5: %.3f Hz, sidebands %.1f dB, 2nd harmonic %.1f dB; %.1f / %.1f / %.1f dB at 1 / 3 / 6 s\n", hz, side,
         h2, at1, at3, at6);
  ASSERT_NEAR(hz, f0, f0 * 0.005);
  ASSERT_GE(side, -40.0);
  ASSERT_LE(side, -6.0); /* soft: the tone leads */
  ASSERT_LE(h2, side - 10.0);
  ASSERT_GE(at1, -12.0); /* it rings on */
  ASSERT_LE(at3, -15.0); /* and dies away over 3-6 s */
  ASSERT_LE(at6, -50.0);
  free(spec), free(m), free(x);
  lull_engine_destroy(e);

  /* Placed by pitch and scattered within +- 0.7. */
  e = test_engine(1);
  const int n = 24;
  for (int i = 0; i < n; i++) test_note(e, (uint64_t)i * 48000, LULL_PART_BELL, LULL_EVENT_ON, 64 + i, 0.7f, 4800);
  x = test_render(e, (size_t)n * 48000, 960);
  double lo = 1, hi = -1, low_sum = 0, high_sum = 0;
  for (int i = 0; i < n; i++) {
    double pan = measured_pan(x, (size_t)i * 48000 + lat, 4800);
    lo = fmin(lo, pan), hi = fmax(hi, pan);
    if (i < n / 2) low_sum += pan;
    else high_sum += pan;
  }
  printf("# bells: pan %.2f .. %.2f; low half %.2f, high half %.2f on average\n", lo, hi, low_sum / (n / 2),
         high_sum / (n / 2));
  ASSERT_GE(lo, -0.71);
  ASSERT_LE(hi, 0.71);
  ASSERT_GE(hi - lo, 0.6);
  ASSERT_GE(high_sum - low_sum, 0.0);
  free(x);
  lull_engine_destroy(e);
}

/* ---- air, swell -------------------------------------------------------- */

static void test_air(void **state) {
  (void)state;
  lull_engine *e = test_engine(1);
  test_note(e, 0, LULL_PART_AIR, LULL_EVENT_ON, 88, 0.7f, 30 * 48000); /* E6, 1318.5 Hz */
  float *x = test_render(e, 40 * 48000, 960);
  size_t lat = lull_engine_latency_frames(e);
  const double f0 = midi_hz(88);
  float *m = mono(x, lat + 5 * 48000, 262144);
  double *spec = sig_spectrum(m, 262144, 1);
  double all = sig_band_energy(spec, 262144, FS, 20, 24000);
  double near = sig_band_energy(spec, 262144, FS, f0 * pow(2, -1.0 / 3), f0 * pow(2, 1.0 / 3));
  double slow = sig_db(sig_rms(x + 2 * (lat + 24000), 9600, 1) / sig_rms(x + 2 * (lat + 5 * 48000), 48000, 1));
  double release = sig_db(sig_rms(x + 2 * (lat + 33 * 48000), 9600, 1) / sig_rms(x + 2 * (lat + 20 * 48000), 48000, 1));
  double gone = sig_peak(x + 2 * (lat + 36 * 48000), 48000, 1);
  /* Its pan moves with its LFO: the stereo place per second over 25 s. */
  double lo = 1, hi = -1;
  for (int s = 5; s < 30; s++) {
    double pan = measured_pan(x, lat + (size_t)s * 48000, 48000);
    lo = fmin(lo, pan), hi = fmax(hi, pan);
  }
  printf("# air E6: %.1f %% of its energy within 1/3 octave; at 0.5 s %.1f dB; 3 s into the release %.1f dB; pan %.2f .. "
         "%.2f\n",
         100 * near / all, slow, release, lo, hi);
  ASSERT_GE(near / all, 0.8);
  ASSERT_LE(slow, -12.0);   /* a slow attack */
  ASSERT_GE(release, -20.0); /* and a long release */
  ASSERT_LE(release, -3.0);
  ASSERT_LE(gone, 1e-6);
  ASSERT_GE(hi - lo, 0.05);
  free(spec), free(m), free(x);
  lull_engine_destroy(e);
}

static void test_swell_band_pass(void **state) {
  (void)state;
  lull_engine *e = test_engine(1);
  test_note(e, 0, LULL_PART_SWELL, LULL_EVENT_HIT, 84, 1.0f, 8 * 48000); /* C6, 1046.5 Hz, 8 s */
  float *x = test_render(e, 9 * 48000, 960);
  size_t lat = lull_engine_latency_frames(e);
  const double f0 = midi_hz(84);
  double centre[2], outside_db[2];
  for (int w = 0; w < 2; w++) {
    size_t at = lat + (w ? 6 : 1) * 48000; /* 1.0-1.7 s and 6.0-6.7 s in */
    double want = f0 * pow(2.0, ((w ? 6.0 : 1.0) + 0.34) / 8.0);
    float *m = mono(x, at, 32768);
    double *spec = sig_spectrum(m, 32768, 1);
    double in = sig_band_energy(spec, 32768, FS, want / 2, want * 2);
    double out = sig_band_energy(spec, 32768, FS, 20, want / 2) + sig_band_energy(spec, 32768, FS, want * 2, 24000);
    /* The centre: the spectrum's energy-weighted mean in log frequency. */
    double sw = 0, swl = 0;
    for (size_t i = 1; i < 16384; i++) {
      double f = (double)i * FS / 32768;
      if (f < want / 2 || f > want * 2) continue;
      sw += spec[i] * spec[i], swl += spec[i] * spec[i] * log2(f);
    }
    centre[w] = pow(2.0, swl / sw);
    outside_db[w] = 10 * log10(out / in);
    printf("# swell window %d: centre %.0f Hz (glide wants %.0f), energy beyond an octave %.1f dB\n", w, centre[w], want,
           outside_db[w]);
    ASSERT_NEAR(centre[w], want, want * 0.08);
    ASSERT_LE(outside_db[w], -15.0);
    free(spec), free(m);
  }
  /* It swells: louder 4 s in than 0.5 s in. */
  ASSERT_GE(sig_rms(x + 2 * (lat + 4 * 48000), 9600, 1), 2 * sig_rms(x + 2 * (lat + 24000), 9600, 1));
  free(x);
  lull_engine_destroy(e);

  e = test_engine(1);
  test_note(e, 0, LULL_PART_HAT, LULL_EVENT_HIT, 60, 1.0f, 0);
  x = test_render(e, 24000, 960);
  double *spec = sig_spectrum(x, 8192, 2);
  double band = sig_band_energy(spec, 8192, FS, 5000, 24000), all = sig_band_energy(spec, 8192, FS, 0, 24000);
  ASSERT_GE(band / all, 0.8); /* high-passed */
  ASSERT_LE(sig_peak(x + 2 * 6000, 18000, 2), 1e-6); /* short: over within 125 ms */
  free(spec), free(x);
  lull_engine_destroy(e);
}

/* ---- kick: a heartbeat ------------------------------------------------- */

static void test_kick(void **state) {
  (void)state;
  lull_engine *e = test_engine(1);
  test_note(e, 0, LULL_PART_KICK, LULL_EVENT_HIT, 36, 1.0f, 0);
  float *x = test_render(e, 24000, 960);
  size_t lat = lull_engine_latency_frames(e);
  const float *k = x + 2 * lat;
  double peak = sig_peak(k, 4800, 2), first = sig_peak(k, 96, 2), step = 0;
  for (size_t i = 1; i < 4800; i++) step = fmax(step, fabs((double)k[2 * i] - k[2 * i - 2]));
  printf("# kick: first 2 ms at %.1f %% of its peak, largest step between samples %.2f %% of it\n", 100 * first / peak,
         100 * step / peak);
  ASSERT_LE(first, 0.3 * peak); /* a curved attack, no tick (the 1 ms linear one: 95 %) */
  ASSERT_LE(step, 0.03 * peak);
  /* The sweep: the first cycle near 150 Hz, after 100 ms 50 Hz. */
  double early = sig_zero_cross_hz(k, 960, 2, FS), late = sig_zero_cross_hz(k + 2 * 4800, 2880, 2, FS);
  ASSERT_NEAR(early, 140.0, 15.0);
  ASSERT_NEAR(late, 50.0, 1.0);
  ASSERT_LE(sig_peak(k + 2 * 3840, 960, 2), sig_peak(k + 2 * 480, 960, 2)); /* it decays */
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

/* ---- pad --------------------------------------------------------------- */

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
    double want = midi_hz(notes[i]), mag;
    double got = sig_peak_hz(spec, 65536, FS, want * 0.98, want * 1.02, &mag);
    printf("# pad fundamental %.2f Hz: peak at %.2f Hz, %.1f dB\n", want, got, sig_db(mag / loudest));
    ASSERT_NEAR(got, want, want * 0.005);
    ASSERT_GE(sig_db(mag / loudest), -12.0);
  }
  /* Lowpassed near 1.2 kHz (brightness 0.5): little energy above 5 kHz. */
  ASSERT_LE(10 * log10(sig_band_energy(spec, 65536, FS, 5000, 24000) / sig_band_energy(spec, 65536, FS, 0, 24000)), -30.0);
  free(spec);
  free(x);
  lull_engine_destroy(e);
}

/* Gain of a lane's lowpass at hz, in dB (double-precision reference of the
 * same trapezoidal SVF, from the lane's coefficients). */
static double lane_gain_db(const lull_svf8 *f, int lane, double hz) {
  double g = f->a2[lane] / f->a1[lane], k = f->k[lane];
  double complex z = cexp(I * 2 * M_PI * hz / FS), s = (z - 1) / (z + 1) / g; /* bilinear, prewarped by g */
  return 20 * log10(cabs(1.0 / (s * s + k * s + 1)));
}

/* A pool of its own (the engine is opaque), to read a voice's filter. */
static lull_pool *make_pool(lull_wavetable *wt, float **tables) {
  *tables = malloc(sizeof(float) * lull__wavetable_floats());
  lull__wavetable_init(wt, 48000.0f, *tables);
  lull_pool *p = aligned_alloc(64, (sizeof *p + 63) / 64 * 64);
  lull__pool_init(p, wt, 48000.0f, lull_test_seed(3));
  return p;
}

/* Brightness opens the pad's filter exponentially: -3 dB at 250 Hz, 1.22 kHz
 * and 6 kHz for 0, 0.5 and 1 (each voice within its LFO's +- 4 %); at 1 the
 * chord has a clear share of its energy above 2.5 kHz, at 0 next to none. */
static void test_pad_brightness_range(void **state) {
  (void)state;
  const float levels[3] = {0.0f, 0.5f, 1.0f};
  const double want[3] = {250.0, 1224.7, 6000.0};
  lull_wavetable wt;
  float *tables;
  lull_pool *p = make_pool(&wt, &tables);
  lull_engine *e = test_engine(1);
  for (int i = 0; i < 4; i++) {
    lull__pool_note_on(p, LULL_PART_PAD, 45 + 3 * i, 0.8f, 0, 0);
    test_note(e, 0, LULL_PART_PAD, LULL_EVENT_ON, 45 + 3 * i, 0.8f, 0);
  }
  uint64_t at = 0;
  double high_share[3];
  for (int b = 0; b < 3; b++) {
    lull__smooth_set(&p->brightness, levels[b]);
    for (int t = 0; t < 1000; t++) lull__pool_control(p, (uint64_t)t * LULL_GRID_FRAMES); /* 1.3 s: glided */
    double lowest = 1e9, highest = 0;
    for (int lane = 0; lane < 4; lane++) {
      /* The -3 dB point of the lane by bisection on its response. */
      double lo = 20, hi = 20000;
      for (int it = 0; it < 60; it++) {
        double mid = sqrt(lo * hi);
        if (lane_gain_db(&p->bank[LULL_BANK_PAD0].svf, lane, mid) > -3.0103) lo = mid;
        else hi = mid;
      }
      ASSERT_NEAR(lo, want[b], want[b] * 0.045);
      lowest = fmin(lowest, lo), highest = fmax(highest, lo);
    }
    printf("# brightness %.1f: -3 dB at %.0f .. %.0f Hz over four voices (want %.0f +- 4 %%)", (double)levels[b], lowest,
           highest, want[b]);
    ASSERT_GE(highest / lowest, 1.005); /* each voice's own LFO */
    lull_event set = {at, 0, LULL_CONTROL_BRIGHTNESS, LULL_EVENT_SET, 0, 0, levels[b]};
    ASSERT_EQ_INT(lull_engine_schedule(e, &set), LULL_OK);
    float *x = test_render(e, 3 * 48000, 960); /* the brightness glides for 50 ms */
    at += 3 * 48000;
    double *spec = sig_spectrum(x + 2 * 48000, 65536, 2);
    high_share[b] = sig_band_energy(spec, 65536, FS, 2500, 24000) / sig_band_energy(spec, 65536, FS, 0, 24000);
    printf(", %.3f %% of the energy above 2.5 kHz\n", 100 * high_share[b]);
    free(spec), free(x);
  }
  ASSERT_LE(high_share[0], 1e-4);
  ASSERT_GE(high_share[2], 0.01);
  lull_engine_destroy(e);
  free(p), free(tables);
}

/* Each pad voice moves on its own slow LFOs (periods 20-60 s, seeded): a
 * held note's place in the field drifts over a minute, never in a hurry. */
static void test_pad_slow_lfos(void **state) {
  (void)state;
  lull_wavetable wt;
  float *tables;
  lull_pool *p = make_pool(&wt, &tables);
  double shortest = 1e9, longest = 0;
  for (int k = 0; k < LULL_BANK_COUNT; k++)
    for (int j = 0; j < LULL_LANES; j++)
      for (int i = 0; i < 2; i++) {
        double period_s = 4294967296.0 * LULL_GRID_FRAMES / ((double)p->bank[k].lfo_inc[i][j] * FS);
        shortest = fmin(shortest, period_s), longest = fmax(longest, period_s);
      }
  printf("# LFO periods %.1f .. %.1f s\n", shortest, longest);
  ASSERT_GE(shortest, 20.0);
  ASSERT_LE(longest, 60.0);
  ASSERT_GE(longest - shortest, 20.0); /* spread, not one period */
  free(p), free(tables);
  lull_engine *e = test_engine(1);
  test_note(e, 0, LULL_PART_PAD, LULL_EVENT_ON, 57, 0.8f, 0);
  float *x = test_render(e, 62 * 48000, 960);
  double lo = 1, hi = -1, prev = 0, worst = 0;
  for (int s = 2; s < 62; s++) {
    double pan = measured_pan(x, (size_t)s * 48000, 48000);
    lo = fmin(lo, pan), hi = fmax(hi, pan);
    if (s > 2) worst = fmax(worst, fabs(pan - prev));
    prev = pan;
  }
  printf("# a held pad note over a minute: pan %.3f .. %.3f, at most %.3f a second\n", lo, hi, worst);
  ASSERT_GE(hi - lo, 0.05);
  ASSERT_LE(hi - lo, 0.31);
  ASSERT_LE(worst, 0.06);
  free(x);
  lull_engine_destroy(e);
}

/* ---- balance ----------------------------------------------------------- */

/* Short-term loudness (3 s, EBU R 128) of a render with effects, averaged
 * in power over from_s..to_s. */
static double short_term_lufs(void (*schedule)(lull_engine *), double from_s, double to_s) {
  lull_engine *e = test_engine(0);
  schedule(e);
  ebur128_state *m = ebur128_init(2, 48000, EBUR128_MODE_S);
  float buf[2 * 4800];
  double sum = 0;
  int count = 0;
  for (int b = 0; b < (int)(to_s * 10); b++) {
    lull_engine_render(e, buf, 4800);
    ebur128_add_frames_float(m, buf, 4800);
    double st;
    if (b >= (int)(from_s * 10) && ebur128_loudness_shortterm(m, &st) == EBUR128_SUCCESS && st > -200)
      sum += pow(10, st / 10), count++;
  }
  ebur128_destroy(&m);
  lull_engine_destroy(e);
  return 10 * log10(sum / count);
}

static const int chord[4] = {45, 52, 55, 60}; /* A2 E3 G3 C4 */

static void pad_chord(lull_engine *e) {
  for (int i = 0; i < 4; i++) test_note(e, 0, LULL_PART_PAD, LULL_EVENT_ON, chord[i], 0.65f, 0);
}
/* A typical lead line over the chord: a note every 0.75 s, three in four
 * places (then a rest), velocities 0.5-0.7, 0.6 s long. */
static void pad_and_lead(lull_engine *e) {
  pad_chord(e);
  static const int line[8] = {69, 72, 76, 74, 72, 69, 67, 69};
  for (int i = 0; i < 40; i++)
    if (i % 4 != 3)
      test_note(e, 48000 + (uint64_t)i * 36000, LULL_PART_LEAD, LULL_EVENT_ON, line[i % 8], 0.5f + 0.05f * (float)(i % 5),
                28800);
}
static void bass_alone(lull_engine *e) { test_note(e, 0, LULL_PART_BASS, LULL_EVENT_ON, 33, 0.65f, 0); }
static void air_alone(lull_engine *e) {
  test_note(e, 0, LULL_PART_AIR, LULL_EVENT_ON, 88, 0.6f, 0);
  test_note(e, 0, LULL_PART_AIR, LULL_EVENT_ON, 93, 0.6f, 0);
}
static void bells_alone(lull_engine *e) {
  /* Three loops of single tones, as the composer plays them. */
  static const int tones[3] = {76, 79, 84};
  static const double period_s[3] = {17.3, 23.9, 31.1};
  for (int t = 0; t < 3; t++)
    for (double s = t * 2.1; s < 30; s += period_s[t] / 4)
      test_note(e, (uint64_t)(s * 48000), LULL_PART_BELL, LULL_EVENT_ON, tones[t], 0.6f, 144000);
}

static void kicks_alone(lull_engine *e) {
  for (int i = 0; i < 30; i++) test_note(e, (uint64_t)i * 48000, LULL_PART_KICK, LULL_EVENT_HIT, 36, 0.7f, 0);
}
static void swells_alone(lull_engine *e) {
  test_note(e, 0, LULL_PART_SWELL, LULL_EVENT_HIT, 84, 0.6f, 10 * 48000);
  test_note(e, 14 * 48000, LULL_PART_SWELL, LULL_EVENT_HIT, 79, 0.6f, 10 * 48000);
}
static void hats_alone(lull_engine *e) {
  for (int i = 0; i < 60; i++) test_note(e, (uint64_t)i * 24000, LULL_PART_HAT, LULL_EVENT_HIT, 42, 0.3f, 0);
}

static void test_balance(void **state) {
  (void)state;
  double pad = short_term_lufs(pad_chord, 8, 28), both = short_term_lufs(pad_and_lead, 8, 28);
  double bass = short_term_lufs(bass_alone, 8, 28), air = short_term_lufs(air_alone, 8, 28);
  double bells = short_term_lufs(bells_alone, 8, 28), kicks = short_term_lufs(kicks_alone, 8, 28);
  double swells = short_term_lufs(swells_alone, 3, 24), hats = short_term_lufs(hats_alone, 8, 28);
  printf("# short-term loudness: pad chord %.1f LUFS, with the lead %.1f LUFS (%+.1f LU); against the pad: bass %+.1f, air "
         "%+.1f, bells %+.1f, kick %+.1f, swell %+.1f, hat %+.1f LU\n",
         pad, both, both - pad, bass - pad, air - pad, bells - pad, kicks - pad, swells - pad, hats - pad);
  ASSERT_LE(both - pad, 2.0); /* the pad is the body; the lead adds little */
  ASSERT_GE(both - pad, 0.2); /* but is heard */
  ASSERT_LE(air - pad, -12.0);
  ASSERT_LE(bells - pad, -12.0);
  ASSERT_LE(bass - pad, -8.0);
  ASSERT_NEAR(pad, -16.0, 3.0); /* the body alone is near the station's -16 LUFS */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_lead_pitch_partials_and_decay),
      cmocka_unit_test(test_lead_high_note_does_not_alias),
      cmocka_unit_test(test_lead_no_glide_and_polyphony),
      cmocka_unit_test(test_lead_wanders_in_stereo),
      cmocka_unit_test(test_bass),
      cmocka_unit_test(test_bell),
      cmocka_unit_test(test_air),
      cmocka_unit_test(test_swell_band_pass),
      cmocka_unit_test(test_kick),
      cmocka_unit_test(test_pad_chord_fundamentals),
      cmocka_unit_test(test_pad_brightness_range),
      cmocka_unit_test(test_pad_slow_lfos),
      cmocka_unit_test(test_balance),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
