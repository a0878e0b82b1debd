/* The figures of bench/music_stats.c that need no file: a part's notes, the
 * lead's melody, percussion, the pad's harmony, band shares of a spectrum,
 * loudness split by where the lead sounds. Pure functions, so that tests can
 * feed them made-up notes and signals. Notes are midi_read's, sorted by
 * onset; musical positions come from their ticks (4 beats a bar), so a
 * tempo map never moves a bar line. */
#ifndef LULL_BENCH_MUSIC_ANALYSIS_H
#define LULL_BENCH_MUSIC_ANALYSIS_H

#include <stddef.h>
#include <stdint.h>

#include "support/midi_read.h"

#define MA_BEATS_PER_BAR 4
#define MA_CHORD_GROUP_S 0.1 /* pad onsets this close form one chord */
#define MA_BANDS 6           /* <100, 100-400, 400-1k, 1k-2.5k, 2.5k-6k, >6k Hz */
#define MA_HAT_DIVISIONS 24  /* hat positions in 24ths of a beat: 16ths and triplets */

extern const double ma_band_edges_hz[MA_BANDS - 1];
extern const char *const ma_band_names[MA_BANDS];

/* A key: its tonic, the scale's pitch classes and the stable ones (degrees
 * 1, 3 and 5: the tonic triad), as 12-bit masks relative to C. */
typedef struct ma_key {
  int tonic_pc;
  unsigned scale_mask, stable_mask; /* stable: the tonic triad */
} ma_key;

/* Key "A", "C#", "Db" (or a pitch class 0..11) and mode as lull names them (ionian/major, dorian,
 * phrygian, lydian, mixolydian, aeolian/minor, pentatonic-major,
 * pentatonic-minor). 0, -1 for a bad key, -2 for a bad mode. */
int ma_key_init(ma_key *k, const char *key, const char *mode);
/* "A3" for MIDI note 57 (C4 = 60) into buf (at least 8 bytes); returns buf. */
const char *ma_note_name(int note, char *buf);

/* Order statistics of n values (n may be 0: all zero). */
typedef struct ma_summary {
  size_t n;
  double mean, sd, min, median, max;
} ma_summary;
void ma_summarise(const double *x, size_t n, ma_summary *out);

/* Any part. on_grid: share of onsets on the eighth-note grid (tick a
 * multiple of ppq/2: within half a tick, under 1 ms at lull's tempi, of
 * the grid of the tempo map). in_scale: share of pitch classes in the key. */
typedef struct ma_part {
  size_t notes;
  double on_grid, vel_mean, vel_sd;
  int vel_distinct, pitch_lo, pitch_hi;
  double in_scale, dur_mean_s, dur_sd_s;
} ma_part;
void ma_part_measure(const midi_note *n, size_t count, int ppq, const ma_key *k, ma_part *out);

/* The lead's melody. A phrase ends at a silence of at least one beat (from
 * a note's end to the next onset, in ticks). Intervals are counted within
 * phrases, between successive onsets. Arcs: where the highest note of a
 * phrase of 3 notes or more falls (first, middle or last third; variety is
 * the entropy of the three shares over log 3: 0 all alike, 1 even). Cells:
 * two-bar windows from tick 0, each described as its onsets in eighths from
 * the window's start (rounded to the nearest) with their intervals from its
 * first note; the share of non-empty windows (and of those with 3 notes or
 * more) whose description came earlier, in any transposition. */
typedef struct ma_lead {
  size_t intervals;
  double repeat, step, third, leap, wide; /* 0; 1-2; 3-4; 5-9; over 9 semitones */
  size_t phrases, notes_max;
  double notes_mean, phrase_mean_s, phrase_max_s;
  double end_tonic, end_stable;
  size_t leaps;          /* intervals of 5 semitones or more */
  double leap_recovered; /* of them, followed by a step (1-2) the other way */
  size_t arcs;
  double peak_third[3], arc_variety;
  size_t windows, windows3;
  double cells_recur, cells3_recur;
} ma_lead;
void ma_lead_measure(const midi_note *n, size_t count, int ppq, const ma_key *k, ma_lead *out);
/* The onset tick of each lead phrase (the rule above) into starts (count
 * entries at most); returns how many. */
size_t ma_phrase_starts(const midi_note *n, size_t count, int ppq, uint64_t *starts);

/* Kick: bars (of the piece's end_tick) with at least one kick onset, and
 * the longest run of such bars. */
typedef struct ma_kick {
  size_t bars, bars_with, longest_run;
  double share;
} ma_kick;
void ma_kick_measure(const midi_note *n, size_t count, int ppq, uint64_t end_tick, ma_kick *out);
/* Onsets by position within the beat, in MA_HAT_DIVISIONS (rounded to the
 * nearest); share[] gets the shares; returns how many positions are used. */
int ma_beat_positions(const midi_note *n, size_t count, int ppq, double share[MA_HAT_DIVISIONS]);
/* Seconds between successive onsets. */
void ma_onset_gaps(const midi_note *n, size_t count, ma_summary *out);

/* Harmony from the pad: chords are groups of onsets within
 * MA_CHORD_GROUP_S of the group's first; a chord lasts to the next one's
 * first onset (the last is left out). The bass is the lowest pad note
 * sounding just after a chord's last onset; its moves are counted by size
 * (0, 1-2, 3-4, 5 or more semitones). The tonic chord: the pad sounds the
 * tonic triad and no pitch class a semitone above one of its notes (which
 * tells i from VI7 = F A C E in A minor, not from III6 = C E G A in C
 * major); its share is read an eighth of a beat after each lead phrase's
 * start and after every eighth bar line (lull's 8-bar phrases) up to the
 * last pad onset, so that a strummed chord has entered, of those where the
 * pad sounds. */
typedef struct ma_harmony {
  size_t chords;
  ma_summary dur_s, dur_bars;
  double whole_bars; /* share of durations a whole number of bars (within an eighth of a beat: a strum) */
  int lo, hi;
  size_t moves;
  double bass_same, bass_step, bass_third, bass_leap;
  size_t phrases_over_pad, lines;
  double tonic_phrases, tonic_lines; /* shares opening on the tonic chord */
} ma_harmony;
void ma_harmony_measure(const midi_note *pad, size_t count, int ppq, const ma_key *k, const uint64_t *phrase_starts,
                        size_t phrases, ma_harmony *out);

/* Band shares (MA_BANDS) and spectral centroid (Hz) of a power spectrum of
 * an fft_n-point transform (bins = fft_n/2 + 1, bin k at k*rate/fft_n). */
void ma_band_shares(const double *power, size_t bins, size_t fft_n, double rate, double share[MA_BANDS],
                    double *centroid_hz);
/* A power spectrum onto rows log-spaced from lo_hz to hi_hz (row 0 lowest):
 * each row the mean of the bins inside it, or, where the row is narrower
 * than a bin, the power interpolated at its centre. rows[] is added to. */
void ma_log_rows(const double *power, size_t bins, size_t fft_n, double rate, double lo_hz, double hi_hz,
                 double *rows, int nrows);

/* Energy mean of loudness values (10 log10 of the mean of 10^(L/10)) over
 * those above -70 LUFS (EBU R128's absolute gate); -HUGE_VAL if none. */
double ma_energy_mean_lufs(const double *lufs, size_t n);
/* EBU Tech 3342's loudness range from short-term values: gated at -70 LUFS
 * and 20 LU under the energy mean of the rest, then the 10th and 95th
 * percentiles into *lo and *hi. Returns hi - lo (0 with fewer than 2). */
double ma_lra_bounds(const double *short_term, size_t n, double *lo, double *hi);

/* Loudness values where the lead sounds and where it is silent: value i
 * covers [t0_s + i*step_s - window_s, t0_s + i*step_s]; it counts for the
 * lead when a lead note sounds in it, as silent when none sounds in it or
 * in the tail_s before it (release, delay and reverb), else for neither. */
typedef struct ma_split {
  size_t with, without;
  double with_lufs, without_lufs, diff_lu; /* energy means; diff = with - without */
} ma_split;
void ma_loudness_split(const double *lufs, size_t n, double t0_s, double step_s, double window_s,
                       const midi_note *lead, size_t nlead, double tail_s, ma_split *out);

#endif
