/* Music figures from notes and spectra (music_analysis.h). Everything here
 * is a pure function of its arguments; the files, the FFT and the pictures
 * are music_stats.c's. Shares are 0..1 and 0 when nothing was counted. */
#include "music_analysis.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const double ma_band_edges_hz[MA_BANDS - 1] = {100, 400, 1000, 2500, 6000};
const char *const ma_band_names[MA_BANDS] = {"<100", "100-400", "400-1k", "1k-2.5k", "2.5k-6k", ">6k"};

static double share(size_t part, size_t whole) { return whole ? (double)part / (double)whole : 0.0; }

static const struct {
  const char *name;
  int steps[8], count;
} modes[] = {
    {"ionian", {0, 2, 4, 5, 7, 9, 11}, 7},     {"major", {0, 2, 4, 5, 7, 9, 11}, 7},
    {"dorian", {0, 2, 3, 5, 7, 9, 10}, 7},     {"phrygian", {0, 1, 3, 5, 7, 8, 10}, 7},
    {"lydian", {0, 2, 4, 6, 7, 9, 11}, 7},     {"mixolydian", {0, 2, 4, 5, 7, 9, 10}, 7},
    {"aeolian", {0, 2, 3, 5, 7, 8, 10}, 7},    {"minor", {0, 2, 3, 5, 7, 8, 10}, 7},
    {"pentatonic-major", {0, 2, 4, 7, 9}, 5}, {"pentatonic-minor", {0, 3, 5, 7, 10}, 5},
};

static unsigned rotate(unsigned mask, int by) { return ((mask << by) | (mask >> (12 - by))) & 0xfffu; }

int ma_key_init(ma_key *k, const char *key, const char *mode) {
  static const int letter_pc[7] = {9, 11, 0, 2, 4, 5, 7}; /* A B C D E F G */
  int c = toupper((unsigned char)key[0]), pc;
  if (isdigit(c)) { /* a pitch class 0..11, as lull takes it too */
    char *end;
    long n = strtol(key, &end, 10);
    if (*end || n > 11) return -1;
    pc = (int)n;
  } else {
    if (c < 'A' || c > 'G') return -1;
    pc = letter_pc[c - 'A'];
    if (key[1] == '#') pc++;
    else if (key[1] == 'b') pc--;
    if (key[1] && key[(key[1] == '#' || key[1] == 'b') + 1]) return -1;
  }
  k->tonic_pc = (pc + 12) % 12;
  for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
    if (strcmp(mode, modes[i].name) != 0) continue;
    unsigned mask = 0;
    for (int j = 0; j < modes[i].count; j++) mask |= 1u << modes[i].steps[j];
    /* The tonic triad: every mode lull knows has a perfect fifth and one
     * of the two thirds. */
    unsigned stable = 1u | 1u << 7 | (mask & 1u << 4 ? 1u << 4 : 1u << 3);
    k->scale_mask = rotate(mask, k->tonic_pc);
    k->stable_mask = rotate(stable, k->tonic_pc);
    return 0;
  }
  return -2;
}

const char *ma_note_name(int note, char *buf) {
  static const char *const names[12] = {"C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"};
  if (note < 0 || note > 127) return strcpy(buf, "-");
  strcpy(buf, names[note % 12]);
  char *p = buf + strlen(buf);
  int octave = note / 12 - 1;
  if (octave < 0) *p++ = '-', octave = -octave;
  *p++ = (char)('0' + octave);
  *p = 0;
  return buf;
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

void ma_summarise(const double *x, size_t n, ma_summary *out) {
  memset(out, 0, sizeof *out);
  out->n = n;
  if (!n) return;
  double *s = malloc(n * sizeof *s);
  if (!s) abort(); /* a bench program: no figures is the only answer */
  memcpy(s, x, n * sizeof *s);
  qsort(s, n, sizeof *s, by_value);
  double sum = 0, sq = 0;
  for (size_t i = 0; i < n; i++) sum += s[i];
  out->mean = sum / (double)n;
  for (size_t i = 0; i < n; i++) sq += (s[i] - out->mean) * (s[i] - out->mean);
  out->sd = sqrt(sq / (double)n);
  out->min = s[0], out->max = s[n - 1];
  out->median = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  free(s);
}

void ma_part_measure(const midi_note *n, size_t count, int ppq, const ma_key *k, ma_part *out) {
  memset(out, 0, sizeof *out);
  out->notes = count;
  out->pitch_lo = 128, out->pitch_hi = -1;
  uint64_t half = ppq >= 2 ? (uint64_t)ppq / 2 : 1;
  unsigned char seen[128] = {0};
  size_t on_grid = 0, in_scale = 0, durations = 0;
  double vel = 0, vel2 = 0, dur = 0, dur2 = 0;
  for (size_t i = 0; i < count; i++) {
    on_grid += n[i].on_tick % half == 0;
    in_scale += (k->scale_mask >> (n[i].note % 12)) & 1u;
    vel += n[i].velocity, vel2 += (double)n[i].velocity * n[i].velocity;
    if (!seen[n[i].velocity & 127]) seen[n[i].velocity & 127] = 1, out->vel_distinct++;
    if (n[i].note < out->pitch_lo) out->pitch_lo = n[i].note;
    if (n[i].note > out->pitch_hi) out->pitch_hi = n[i].note;
    if (n[i].off_s >= n[i].on_s) {
      double d = n[i].off_s - n[i].on_s;
      dur += d, dur2 += d * d, durations++;
    }
  }
  if (!count) return;
  out->on_grid = share(on_grid, count);
  out->in_scale = share(in_scale, count);
  out->vel_mean = vel / (double)count;
  out->vel_sd = sqrt(fmax(0, vel2 / (double)count - out->vel_mean * out->vel_mean));
  if (durations) {
    out->dur_mean_s = dur / (double)durations;
    out->dur_sd_s = sqrt(fmax(0, dur2 / (double)durations - out->dur_mean_s * out->dur_mean_s));
  }
}

static uint64_t note_end_tick(const midi_note *n) { return n->off_tick > n->on_tick ? n->off_tick : n->on_tick; }
static double note_end_s(const midi_note *n) { return n->off_s > n->on_s ? n->off_s : n->on_s; }

/* Where the phrase that starts at note `from` ends (one past its last). */
static size_t phrase_end(const midi_note *n, size_t count, int ppq, size_t from) {
  uint64_t end = note_end_tick(&n[from]);
  size_t i = from + 1;
  for (; i < count && n[i].on_tick < end + (uint64_t)ppq; i++)
    if (note_end_tick(&n[i]) > end) end = note_end_tick(&n[i]);
  return i;
}

size_t ma_phrase_starts(const midi_note *n, size_t count, int ppq, uint64_t *starts) {
  size_t k = 0;
  for (size_t s = 0; s < count; s = phrase_end(n, count, ppq, s)) starts[k++] = n[s].on_tick;
  return k;
}

/* A two-bar window's description: (eighth, interval from the first note). */
typedef struct cell {
  size_t at, len; /* into the pairs */
} cell;

static void cells(const midi_note *n, size_t count, int ppq, ma_lead *out) {
  uint64_t window = (uint64_t)ppq * 2 * MA_BEATS_PER_BAR, eighth = ppq >= 2 ? (uint64_t)ppq / 2 : 1;
  int *pairs = malloc((2 * count + 1) * sizeof *pairs);
  cell *c = malloc((count + 1) * sizeof *c);
  if (!pairs || !c) abort();
  size_t nc = 0, np = 0, recur = 0, recur3 = 0;
  for (size_t i = 0; i < count;) {
    uint64_t w = n[i].on_tick / window;
    size_t first = i;
    c[nc] = (cell){np, 0};
    for (; i < count && n[i].on_tick / window == w; i++) {
      /* The nearest eighth, kept inside the window (16 eighths). */
      uint64_t e = (n[i].on_tick - w * window + eighth / 2) / eighth;
      pairs[np++] = (int)(e < 4 * MA_BEATS_PER_BAR ? e : 4 * MA_BEATS_PER_BAR - 1);
      pairs[np++] = n[i].note - n[first].note;
      c[nc].len += 2;
    }
    int again = 0;
    for (size_t j = 0; j < nc && !again; j++)
      again = c[j].len == c[nc].len && !memcmp(pairs + c[j].at, pairs + c[nc].at, c[nc].len * sizeof *pairs);
    recur += again;
    if (c[nc].len >= 6) out->windows3++, recur3 += again;
    nc++;
  }
  out->windows = nc;
  out->cells_recur = share(recur, nc);
  out->cells3_recur = share(recur3, out->windows3);
  free(pairs);
  free(c);
}

void ma_lead_measure(const midi_note *n, size_t count, int ppq, const ma_key *k, ma_lead *out) {
  memset(out, 0, sizeof *out);
  size_t by_size[5] = {0}, tonic = 0, stable = 0, recovered = 0, notes = 0, peaks[3] = {0};
  double seconds = 0;
  for (size_t s = 0, e; s < count; s = e) {
    e = phrase_end(n, count, ppq, s);
    size_t len = e - s, top = s;
    double end_s = note_end_s(&n[s]);
    out->phrases++;
    notes += len;
    if (len > out->notes_max) out->notes_max = len;
    for (size_t i = s + 1; i < e; i++) {
      int d = n[i].note - n[i - 1].note, a = abs(d);
      by_size[a == 0 ? 0 : a <= 2 ? 1 : a <= 4 ? 2 : a <= 9 ? 3 : 4]++;
      if (a >= 5 && i + 1 < e) {
        int d2 = n[i + 1].note - n[i].note;
        out->leaps++;
        recovered += abs(d2) >= 1 && abs(d2) <= 2 && (d2 > 0) != (d > 0);
      }
      if (n[i].note > n[top].note) top = i;
      if (note_end_s(&n[i]) > end_s) end_s = note_end_s(&n[i]);
    }
    seconds += end_s - n[s].on_s;
    if (end_s - n[s].on_s > out->phrase_max_s) out->phrase_max_s = end_s - n[s].on_s;
    int last_pc = n[e - 1].note % 12;
    tonic += last_pc == k->tonic_pc;
    stable += (k->stable_mask >> last_pc) & 1u;
    if (len >= 3) out->arcs++, peaks[3 * (top - s) / len]++;
  }
  for (int i = 0; i < 5; i++) out->intervals += by_size[i];
  out->repeat = share(by_size[0], out->intervals), out->step = share(by_size[1], out->intervals);
  out->third = share(by_size[2], out->intervals), out->leap = share(by_size[3], out->intervals);
  out->wide = share(by_size[4], out->intervals);
  out->notes_mean = share(notes, out->phrases);
  out->phrase_mean_s = out->phrases ? seconds / (double)out->phrases : 0;
  out->end_tonic = share(tonic, out->phrases), out->end_stable = share(stable, out->phrases);
  out->leap_recovered = share(recovered, out->leaps);
  double entropy = 0;
  for (int i = 0; i < 3; i++) {
    out->peak_third[i] = share(peaks[i], out->arcs);
    if (peaks[i]) entropy -= out->peak_third[i] * log(out->peak_third[i]);
  }
  out->arc_variety = entropy / log(3);
  cells(n, count, ppq, out);
}

void ma_kick_measure(const midi_note *n, size_t count, int ppq, uint64_t end_tick, ma_kick *out) {
  memset(out, 0, sizeof *out);
  uint64_t bar = (uint64_t)ppq * MA_BEATS_PER_BAR;
  size_t bars = (size_t)((end_tick + bar - 1) / bar);
  if (count && n[count - 1].on_tick / bar >= bars) bars = (size_t)(n[count - 1].on_tick / bar) + 1;
  unsigned char *has = calloc(bars + 1, 1);
  if (!has) abort();
  for (size_t i = 0; i < count; i++) has[n[i].on_tick / bar] = 1;
  size_t run = 0;
  for (size_t b = 0; b < bars; b++) {
    out->bars_with += has[b];
    run = has[b] ? run + 1 : 0;
    if (run > out->longest_run) out->longest_run = run;
  }
  out->bars = bars;
  out->share = share(out->bars_with, bars);
  free(has);
}

int ma_beat_positions(const midi_note *n, size_t count, int ppq, double share_out[MA_HAT_DIVISIONS]) {
  size_t at[MA_HAT_DIVISIONS] = {0};
  for (size_t i = 0; i < count; i++) {
    uint64_t in_beat = n[i].on_tick % (uint64_t)ppq;
    at[(in_beat * MA_HAT_DIVISIONS + (uint64_t)ppq / 2) / (uint64_t)ppq % MA_HAT_DIVISIONS]++;
  }
  int used = 0;
  for (int d = 0; d < MA_HAT_DIVISIONS; d++) {
    share_out[d] = share(at[d], count);
    used += at[d] > 0;
  }
  return used;
}

void ma_onset_gaps(const midi_note *n, size_t count, ma_summary *out) {
  double *gap = malloc((count + 1) * sizeof *gap);
  if (!gap) abort();
  for (size_t i = 1; i < count; i++) gap[i - 1] = n[i].on_s - n[i - 1].on_s;
  ma_summarise(gap, count ? count - 1 : 0, out);
  free(gap);
}

/* The pad notes sounding at tick t (onsets up to t count, notes ending at
 * t do not): their pitch classes as a mask relative to C, and the lowest
 * (-1 if none). */
static unsigned sounding(const midi_note *n, size_t count, uint64_t t, int *low) {
  unsigned mask = 0;
  *low = -1;
  for (size_t i = 0; i < count && n[i].on_tick <= t; i++)
    if (n[i].off_s < 0 || n[i].off_tick > t) {
      mask |= 1u << (n[i].note % 12);
      if (*low < 0 || n[i].note < *low) *low = n[i].note;
    }
  return mask;
}

static int is_tonic_chord(unsigned mask, const ma_key *k) {
  unsigned triad = k->stable_mask, above = ((triad << 1) | (triad >> 11)) & 0xfffu;
  return (mask & triad) == triad && !(mask & above);
}

void ma_harmony_measure(const midi_note *pad, size_t count, int ppq, const ma_key *k, const uint64_t *phrase_starts,
                        size_t phrases, ma_harmony *out) {
  memset(out, 0, sizeof *out);
  out->lo = 128, out->hi = -1;
  for (size_t i = 0; i < count; i++) {
    if (pad[i].note < out->lo) out->lo = pad[i].note;
    if (pad[i].note > out->hi) out->hi = pad[i].note;
  }
  double *secs = malloc((count + 1) * sizeof *secs), *bars = malloc((count + 1) * sizeof *bars);
  if (!secs || !bars) abort();
  uint64_t bar = (uint64_t)ppq * MA_BEATS_PER_BAR;
  size_t durations = 0, whole = 0, by_size[4] = {0};
  int prev_bass = -1;
  for (size_t s = 0, e; s < count; s = e) {
    for (e = s + 1; e < count && pad[e].on_s - pad[s].on_s <= MA_CHORD_GROUP_S; e++) {}
    out->chords++;
    if (e < count) {
      uint64_t ticks = pad[e].on_tick - pad[s].on_tick, off = ticks % bar;
      secs[durations] = pad[e].on_s - pad[s].on_s;
      bars[durations++] = (double)ticks / (double)bar;
      whole += off <= (uint64_t)ppq / 8 || off >= bar - (uint64_t)ppq / 8;
    }
    int bass;
    sounding(pad, count, pad[e - 1].on_tick, &bass);
    if (bass >= 0 && prev_bass >= 0) {
      int a = abs(bass - prev_bass);
      by_size[a == 0 ? 0 : a <= 2 ? 1 : a <= 4 ? 2 : 3]++;
    }
    if (bass >= 0) prev_bass = bass;
  }
  ma_summarise(secs, durations, &out->dur_s);
  ma_summarise(bars, durations, &out->dur_bars);
  out->whole_bars = share(whole, durations);
  out->moves = by_size[0] + by_size[1] + by_size[2] + by_size[3];
  out->bass_same = share(by_size[0], out->moves), out->bass_step = share(by_size[1], out->moves);
  out->bass_third = share(by_size[2], out->moves), out->bass_leap = share(by_size[3], out->moves);
  uint64_t after = (uint64_t)ppq / 8, line = bar * 8;
  size_t tonic = 0;
  int low;
  for (size_t i = 0; i < phrases; i++) {
    unsigned mask = sounding(pad, count, phrase_starts[i] + after, &low);
    if (low < 0) continue;
    out->phrases_over_pad++;
    tonic += is_tonic_chord(mask, k);
  }
  out->tonic_phrases = share(tonic, out->phrases_over_pad);
  tonic = 0;
  for (uint64_t t = 0; count && t <= pad[count - 1].on_tick; t += line) {
    unsigned mask = sounding(pad, count, t + after, &low);
    if (low < 0) continue;
    out->lines++;
    tonic += is_tonic_chord(mask, k);
  }
  out->tonic_lines = share(tonic, out->lines);
  free(secs);
  free(bars);
}

void ma_band_shares(const double *power, size_t bins, size_t fft_n, double rate, double share_out[MA_BANDS],
                    double *centroid_hz) {
  double sum[MA_BANDS] = {0}, total = 0, moment = 0;
  for (size_t k = 0; k < bins; k++) {
    double f = (double)k * rate / (double)fft_n;
    int b = 0;
    while (b < MA_BANDS - 1 && f >= ma_band_edges_hz[b]) b++;
    sum[b] += power[k];
    total += power[k];
    moment += f * power[k];
  }
  for (int b = 0; b < MA_BANDS; b++) share_out[b] = total > 0 ? sum[b] / total : 0;
  *centroid_hz = total > 0 ? moment / total : 0;
}

void ma_log_rows(const double *power, size_t bins, size_t fft_n, double rate, double lo_hz, double hi_hz,
                 double *rows, int nrows) {
  double df = rate / (double)fft_n, ratio = hi_hz / lo_hz;
  for (int r = 0; r < nrows; r++) {
    double f0 = lo_hz * pow(ratio, (double)r / nrows), f1 = lo_hz * pow(ratio, (double)(r + 1) / nrows);
    size_t k0 = (size_t)ceil(f0 / df), k1 = (size_t)ceil(f1 / df); /* bins in [f0, f1) */
    if (k1 > bins) k1 = bins;
    if (k1 > k0) {
      double s = 0;
      for (size_t k = k0; k < k1; k++) s += power[k];
      rows[r] += s / (double)(k1 - k0);
      continue;
    }
    double x = sqrt(f0 * f1) / df, frac = x - floor(x);
    size_t k = (size_t)x;
    if (k + 1 < bins) rows[r] += power[k] * (1 - frac) + power[k + 1] * frac;
  }
}

double ma_energy_mean_lufs(const double *lufs, size_t n) {
  double sum = 0;
  size_t used = 0;
  for (size_t i = 0; i < n; i++)
    if (lufs[i] > -70) sum += pow(10, lufs[i] / 10), used++;
  return used ? 10 * log10(sum / (double)used) : -HUGE_VAL;
}

double ma_lra_bounds(const double *short_term, size_t n, double *lo, double *hi) {
  *lo = *hi = -HUGE_VAL;
  double gate = ma_energy_mean_lufs(short_term, n) - 20;
  double *v = malloc((n + 1) * sizeof *v);
  if (!v) abort();
  size_t m = 0;
  for (size_t i = 0; i < n; i++)
    if (short_term[i] > -70 && short_term[i] >= gate) v[m++] = short_term[i];
  double range = 0;
  if (m >= 2) {
    qsort(v, m, sizeof *v, by_value);
    *lo = v[(size_t)((double)(m - 1) * 0.10 + 0.5)];
    *hi = v[(size_t)((double)(m - 1) * 0.95 + 0.5)];
    range = *hi - *lo;
  }
  free(v);
  return range;
}

void ma_loudness_split(const double *lufs, size_t n, double t0_s, double step_s, double window_s,
                       const midi_note *lead, size_t nlead, double tail_s, ma_split *out) {
  memset(out, 0, sizeof *out);
  double *with = malloc((n + 1) * sizeof *with), *without = malloc((n + 1) * sizeof *without);
  if (!with || !without) abort();
  for (size_t i = 0; i < n; i++) {
    double b = t0_s + (double)i * step_s, a = b - window_s;
    int sounds = 0, near = 0;
    for (size_t j = 0; j < nlead && lead[j].on_s < b && !sounds; j++) {
      double end = note_end_s(&lead[j]);
      sounds |= end > a;
      near |= end > a - tail_s;
    }
    if (sounds) with[out->with++] = lufs[i];
    else if (!near) without[out->without++] = lufs[i];
  }
  out->with_lufs = ma_energy_mean_lufs(with, out->with);
  out->without_lufs = ma_energy_mean_lufs(without, out->without);
  out->diff_lu = isfinite(out->with_lufs) && isfinite(out->without_lufs) ? out->with_lufs - out->without_lufs : 0;
  free(with);
  free(without);
}
