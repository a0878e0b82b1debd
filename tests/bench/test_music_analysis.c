/* music_analysis.c (bench/music_stats's figures): a made-up
 * melody with known intervals, phrases, endings, leaps, arcs and recurring
 * cells gives exactly those; percussion, chords and the bass likewise;
 * sines land in their band and spectrogram row; loudness means, the LRA
 * gates and the split by the lead follow EBU R128's arithmetic. (Its PNGs:
 * tests/io/test_png.c.) */
#include <stdlib.h>

#include "music_analysis.h"
#include "support/harness.h"
#include "support/signal.h"

#define PPQ 480 /* at 60 bpm: a beat is a second */

/* A note from beats (at 60 bpm, so seconds too). */
static midi_note note_at(double on_beats, double len_beats, int pitch, int velocity) {
  midi_note n = {1, 0, pitch, velocity, on_beats, on_beats + len_beats, 0, 0};
  n.on_tick = (uint64_t)llround(on_beats * PPQ), n.off_tick = (uint64_t)llround((on_beats + len_beats) * PPQ);
  return n;
}

static void test_key(void **state) {
  (void)state;
  ma_key k;
  ASSERT_EQ_INT(ma_key_init(&k, "A", "aeolian"), 0);
  ASSERT_EQ_INT(k.tonic_pc, 9);
  ASSERT_EQ_INT(k.scale_mask, 1u << 9 | 1u << 11 | 1u << 0 | 1u << 2 | 1u << 4 | 1u << 5 | 1u << 7);
  ASSERT_EQ_INT(k.stable_mask, 1u << 9 | 1u << 0 | 1u << 4); /* A C E */
  ASSERT_EQ_INT(ma_key_init(&k, "Db", "major"), 0);
  ASSERT_EQ_INT(k.stable_mask, 1u << 1 | 1u << 5 | 1u << 8); /* Db F Ab */
  ASSERT_EQ_INT(ma_key_init(&k, "E", "pentatonic-minor"), 0);
  ASSERT_EQ_INT(k.stable_mask, 1u << 4 | 1u << 7 | 1u << 11); /* E G B */
  ASSERT_EQ_INT(ma_key_init(&k, "2", "dorian"), 0);
  ASSERT_EQ_INT(k.tonic_pc, 2);
  ASSERT_EQ_INT(k.stable_mask, 1u << 2 | 1u << 5 | 1u << 9); /* D F A */
  ASSERT_EQ_INT(ma_key_init(&k, "12", "aeolian"), -1);
  ASSERT_EQ_INT(ma_key_init(&k, "H", "aeolian"), -1);
  ASSERT_EQ_INT(ma_key_init(&k, "A#x", "aeolian"), -1);
  ASSERT_EQ_INT(ma_key_init(&k, "A", "locrian"), -2);
  char buf[8];
  ASSERT_STR_EQ(ma_note_name(57, buf), "A3");
  ASSERT_STR_EQ(ma_note_name(61, buf), "C#4");
  ASSERT_STR_EQ(ma_note_name(0, buf), "C-1");
}

static void test_part(void **state) {
  (void)state;
  ma_key k;
  ASSERT_EQ_INT(ma_key_init(&k, "A", "aeolian"), 0);
  /* 300 notes of velocity 100 (more than a byte counts) and one of 70. */
  enum { N = 301 };
  midi_note n[N];
  for (int i = 0; i < N - 1; i++) n[i] = note_at(i * 0.5, 0.25, 69, 100);
  n[N - 1] = note_at(N * 0.5 + 1.0 / 48, 0.25, 70, 70); /* off the grid by 10 ticks; Bb, not in A aeolian */
  ma_part p;
  ma_part_measure(n, N, PPQ, &k, &p);
  ASSERT_EQ_INT(p.notes, N);
  ASSERT_NEAR(p.on_grid, (N - 1) / (double)N, 1e-12);
  ASSERT_NEAR(p.in_scale, (N - 1) / (double)N, 1e-12);
  ASSERT_EQ_INT(p.vel_distinct, 2);
  ASSERT_EQ_INT(p.pitch_lo, 69);
  ASSERT_EQ_INT(p.pitch_hi, 70);
  ASSERT_NEAR(p.vel_mean, (100.0 * (N - 1) + 70) / N, 1e-9);
  ASSERT_NEAR(p.dur_mean_s, 0.25, 1e-9);
  ASSERT_NEAR(p.dur_sd_s, 0, 1e-6);
}

/* Five phrases, one per two-bar window (8 beats), in A aeolian:
 *   1. A B C E in eighths             +2 +1 +4   ends on E (stable), peak last
 *   2. the same a minor third up      +2 +1 +4   ends on G, peak last: cell 1 again
 *   3. A A E D C                      0 +7 -2 -2 a leap back by step, ends on C, peak in the middle
 *   4. A alone                                   ends on the tonic
 *   5. A an octave up, alone                     ends on the tonic: cell 4 again */
static size_t melody(midi_note *n) {
  static const int pitches[5][5] = {{69, 71, 72, 76}, {72, 74, 75, 79}, {69, 69, 76, 74, 72}, {69}, {81}};
  static const int lengths[5] = {4, 4, 5, 1, 1};
  size_t k = 0;
  for (int p = 0; p < 5; p++)
    for (int i = 0; i < lengths[p]; i++) n[k++] = note_at(8.0 * p + 0.5 * i, 0.5, pitches[p][i], 80);
  return k;
}

static void test_lead(void **state) {
  (void)state;
  ma_key k;
  ASSERT_EQ_INT(ma_key_init(&k, "A", "aeolian"), 0);
  midi_note n[16];
  size_t count = melody(n);
  ma_lead l;
  ma_lead_measure(n, count, PPQ, &k, &l);
  ASSERT_EQ_INT(l.phrases, 5);
  ASSERT_EQ_INT(l.notes_max, 5);
  ASSERT_NEAR(l.notes_mean, 3, 1e-12);
  ASSERT_NEAR(l.phrase_max_s, 2.5, 1e-9);
  ASSERT_EQ_INT(l.intervals, 10);
  ASSERT_NEAR(l.repeat, 0.1, 1e-12);
  ASSERT_NEAR(l.step, 0.6, 1e-12);
  ASSERT_NEAR(l.third, 0.2, 1e-12);
  ASSERT_NEAR(l.leap, 0.1, 1e-12);
  ASSERT_NEAR(l.wide, 0, 1e-12);
  ASSERT_NEAR(l.end_tonic, 0.4, 1e-12);
  ASSERT_NEAR(l.end_stable, 0.8, 1e-12);
  ASSERT_EQ_INT(l.leaps, 1);
  ASSERT_NEAR(l.leap_recovered, 1, 1e-12);
  ASSERT_EQ_INT(l.arcs, 3);
  ASSERT_NEAR(l.peak_third[0], 0, 1e-12);
  ASSERT_NEAR(l.peak_third[1], 1.0 / 3, 1e-12);
  ASSERT_NEAR(l.peak_third[2], 2.0 / 3, 1e-12);
  ASSERT_NEAR(l.arc_variety, -(log(1.0 / 3) / 3 + 2 * log(2.0 / 3) / 3) / log(3), 1e-12);
  ASSERT_EQ_INT(l.windows, 5);
  ASSERT_NEAR(l.cells_recur, 0.4, 1e-12);
  ASSERT_EQ_INT(l.windows3, 3);
  ASSERT_NEAR(l.cells3_recur, 1.0 / 3, 1e-12);
  /* A note of cell 2 a 32nd late rounds to the same eighth: the same cell;
   * a semitone higher, it is another. */
  n[5] = note_at(8.5 + 0.125, 0.5, 74, 80);
  ma_lead_measure(n, count, PPQ, &k, &l);
  ASSERT_NEAR(l.cells3_recur, 1.0 / 3, 1e-12);
  n[5] = note_at(8.5, 0.5, 75, 80);
  ma_lead_measure(n, count, PPQ, &k, &l);
  ASSERT_NEAR(l.cells3_recur, 0, 1e-12);
}

static void test_phrase_rule(void **state) {
  (void)state;
  /* A rest just under a beat keeps the phrase; a beat ends it. */
  midi_note n[3] = {note_at(0, 1, 60, 80), note_at(1 + 479.0 / PPQ, 1, 62, 80), note_at(3 + 479.0 / PPQ, 1, 64, 80)};
  uint64_t starts[3];
  ASSERT_EQ_INT(ma_phrase_starts(n, 3, PPQ, starts), 2);
  ASSERT_EQ_INT(starts[1], 3 * PPQ + 479);
  ASSERT_EQ_INT(ma_phrase_starts(n, 0, PPQ, starts), 0);
}

static void test_percussion(void **state) {
  (void)state;
  /* Kicks in bars 0, 1, 2 and 5 of 10. */
  midi_note kick[5] = {note_at(0, 0.25, 36, 100), note_at(4, 0.25, 36, 100), note_at(6, 0.25, 36, 100),
                       note_at(8, 0.25, 36, 100), note_at(20, 0.25, 36, 100)};
  ma_kick k;
  ma_kick_measure(kick, 5, PPQ, 10 * 4 * PPQ, &k);
  ASSERT_EQ_INT(k.bars, 10);
  ASSERT_EQ_INT(k.bars_with, 4);
  ASSERT_EQ_INT(k.longest_run, 3);
  ASSERT_NEAR(k.share, 0.4, 1e-12);
  /* Hats on the beat, the off-beat twice, and a sixteenth. */
  midi_note hat[4] = {note_at(0, 0.1, 42, 60), note_at(0.5, 0.1, 42, 60), note_at(1.25, 0.1, 42, 60),
                      note_at(2.5, 0.1, 42, 60)};
  double share[MA_HAT_DIVISIONS];
  ASSERT_EQ_INT(ma_beat_positions(hat, 4, PPQ, share), 3);
  ASSERT_NEAR(share[0], 0.25, 1e-12);
  ASSERT_NEAR(share[6], 0.25, 1e-12);
  ASSERT_NEAR(share[12], 0.5, 1e-12);
  /* Swells 30, 30 and 45 s apart. */
  midi_note swell[4] = {note_at(0, 2, 60, 70), note_at(30, 2, 60, 70), note_at(60, 2, 60, 70), note_at(105, 2, 60, 70)};
  ma_summary gaps;
  ma_onset_gaps(swell, 4, &gaps);
  ASSERT_EQ_INT(gaps.n, 3);
  ASSERT_NEAR(gaps.mean, 35, 1e-9);
  ASSERT_NEAR(gaps.median, 30, 1e-9);
  ASSERT_NEAR(gaps.sd, sqrt(50), 1e-9);
}

static void test_harmony(void **state) {
  (void)state;
  ma_key k;
  ASSERT_EQ_INT(ma_key_init(&k, "A", "aeolian"), 0);
  /* Am strummed (20 ms apart) for a bar; F under the held C and E for a bar;
   * then G B D for a bar. Bass A3 -> F3 (4 st) -> G3 (2 st). */
  midi_note pad[7] = {note_at(0, 4, 57, 80),    note_at(0.02, 8, 60, 80), note_at(0.04, 8, 64, 80),
                      note_at(4.02, 4, 53, 80), note_at(8, 4, 55, 80),    note_at(8.02, 4, 59, 80),
                      note_at(8.04, 4, 62, 80)};
  uint64_t starts[3] = {0, 9 * PPQ, 20 * PPQ}; /* on Am (still entering), on G, over nothing */
  ma_harmony h;
  ma_harmony_measure(pad, 7, PPQ, &k, starts, 3, &h);
  ASSERT_EQ_INT(h.chords, 3);
  ASSERT_EQ_INT(h.dur_s.n, 2);
  ASSERT_NEAR(h.dur_s.min, 4 - 0.02, 1e-9);
  ASSERT_NEAR(h.dur_s.max, 4.02, 1e-9);
  ASSERT_NEAR(h.dur_bars.median, 1, 0.01);
  ASSERT_NEAR(h.whole_bars, 1, 1e-12); /* a strum is not a change of length */
  ASSERT_EQ_INT(h.lo, 53);
  ASSERT_EQ_INT(h.hi, 64);
  ASSERT_EQ_INT(h.moves, 2);
  ASSERT_NEAR(h.bass_third, 0.5, 1e-12);
  ASSERT_NEAR(h.bass_step, 0.5, 1e-12);
  ASSERT_EQ_INT(h.phrases_over_pad, 2);
  ASSERT_NEAR(h.tonic_phrases, 0.5, 1e-12);
  ASSERT_EQ_INT(h.lines, 1); /* bar 0 only: the pad's last onset comes before bar 8 */
  ASSERT_NEAR(h.tonic_lines, 1, 1e-12);
  /* The F chord held to bar 8 with an A added (F A C E, VI7: not the tonic
   * chord though it holds A C E), then G B D strummed from bar 8. */
  pad[0].off_s = 32, pad[0].off_tick = 32 * PPQ;
  pad[1].off_s = pad[2].off_s = 32, pad[1].off_tick = pad[2].off_tick = 32 * PPQ;
  pad[3] = note_at(4.02, 28, 53, 80);
  for (int i = 4; i < 7; i++) pad[i] = note_at(32 + 0.02 * (i - 4), 4, pad[i].note, 80);
  uint64_t on_vi7 = 5 * PPQ;
  ma_harmony_measure(pad, 7, PPQ, &k, &on_vi7, 1, &h);
  ASSERT_EQ_INT(h.lines, 2);
  ASSERT_NEAR(h.tonic_lines, 0.5, 1e-12); /* Am, then G */
  ASSERT_EQ_INT(h.phrases_over_pad, 1);
  ASSERT_NEAR(h.tonic_phrases, 0, 1e-12);
}

static void test_bands_and_rows(void **state) {
  (void)state;
  enum { N = 8192 };
  const double rate = 48000, hz[3] = {60, 3000, 9000};
  const int band[3] = {0, 4, 5};
  float *x = malloc(N * sizeof *x);
  double *window = sig_window(N), *mag = malloc((N / 2 + 1) * sizeof *mag);
  double *power = malloc((N / 2 + 1) * sizeof *power);
  for (int s = 0; s < 3; s++) {
    for (int i = 0; i < N; i++) x[i] = (float)(0.5 * sin(2 * M_PI * hz[s] * i / rate));
    sig_spectrum_into(x, N, 1, window, mag);
    for (int i = 0; i <= N / 2; i++) power[i] = mag[i] * mag[i];
    double share[MA_BANDS], centroid;
    ma_band_shares(power, N / 2 + 1, N, rate, share, &centroid);
    ASSERT_GE(share[band[s]], 0.999);
    ASSERT_NEAR(centroid, hz[s], hz[s] * 0.02);
    /* The loudest of 200 log rows from 50 Hz to 16 kHz is the sine's. */
    double rows[200] = {0};
    ma_log_rows(power, N / 2 + 1, N, rate, 50, 16000, rows, 200);
    int best = 0;
    for (int r = 1; r < 200; r++)
      if (rows[r] > rows[best]) best = r;
    ASSERT_NEAR(best, floor(log(hz[s] / 50) / log(16000.0 / 50) * 200), 1);
  }
  free(x), free(window), free(mag), free(power);
}

static void test_loudness(void **state) {
  (void)state;
  const double two[2] = {-10, -20}, gated[3] = {-10, -HUGE_VAL, -80};
  ASSERT_NEAR(ma_energy_mean_lufs(two, 2), 10 * log10((0.1 + 0.01) / 2), 1e-9);
  ASSERT_NEAR(ma_energy_mean_lufs(gated, 3), -10, 1e-9);
  ASSERT_TRUE(isinf(ma_energy_mean_lufs(gated + 1, 2)));
  /* Half at -30, half at -20; -45 under the relative gate and -75 under the
   * absolute one are left out. */
  double st[110], lo, hi;
  for (int i = 0; i < 110; i++) st[i] = i < 50 ? -30 : i < 100 ? -20 : i < 105 ? -45 : -75;
  ASSERT_NEAR(ma_lra_bounds(st, 110, &lo, &hi), 10, 1e-9);
  ASSERT_NEAR(lo, -30, 1e-9);
  ASSERT_NEAR(hi, -20, 1e-9);
  /* Short-term values each second from 3 s (windows of 3 s) and a lead
   * note from 10 to 20 s: -15 while it sounds, -30 without, and -5 in the
   * 2 s tail after it, which must count for neither. */
  midi_note lead = note_at(10, 10, 69, 80);
  double v[38];
  for (int i = 0; i < 38; i++) {
    double b = 3 + i;
    v[i] = b > 10 && b - 3 < 20 ? -15 : b > 10 && b - 5 < 20 ? -5 : -30;
  }
  ma_split s;
  ma_loudness_split(v, 38, 3, 1, 3, &lead, 1, 2, &s);
  ASSERT_EQ_INT(s.with, 12);
  ASSERT_EQ_INT(s.without, 24);
  ASSERT_NEAR(s.with_lufs, -15, 1e-9);
  ASSERT_NEAR(s.without_lufs, -30, 1e-9);
  ASSERT_NEAR(s.diff_lu, 15, 1e-9);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_key),        cmocka_unit_test(test_part),        cmocka_unit_test(test_lead),
      cmocka_unit_test(test_phrase_rule), cmocka_unit_test(test_percussion), cmocka_unit_test(test_harmony),
      cmocka_unit_test(test_bands_and_rows), cmocka_unit_test(test_loudness),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
