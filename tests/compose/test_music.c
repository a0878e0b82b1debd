/* What the composer writes, measured over an hour at intensities 0.15,
 * 0.45 and 0.85 (issue "music that breathes"): motifs that return (two-bar
 * cells recur), short phrases that end on stable degrees, leaps recovered by
 * step, few repeated notes, varied arcs; onsets off the grid; a kick that is
 * a heartbeat; swells on free periods; loops on periods in seconds; slow
 * chords and a bass that steps, pedals, a tempo that breathes, a lead that
 * fades in and out rather than switching. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "support/compose_util.h"
#include "support/harness.h"
#include "theory/theory.h"

#define FS 48000u
#define BPM 64.0f
#define HOUR (60ull * 60 * FS)

typedef struct piece {
  float intensity;
  event_list l;
  scale_marks s;
  /* The tempo map from the BPM controls: beat position of a frame. */
  uint64_t *tf;
  double *tb, *tbpm;
  size_t tn;
} piece;

static void compose_piece(piece *p, float intensity, uint64_t seed) {
  memset(p, 0, sizeof *p);
  p->intensity = intensity;
  lull_composer *c = make_composer(9, LULL_MODE_AEOLIAN, BPM, intensity, seed);
  compose_tracked(c, 0, HOUR, &p->l, &p->s);
  lull__composer_destroy(c);
  size_t n = 0;
  for (size_t i = 0; i < p->l.n; i++) n += p->l.ev[i].kind == LULL_EVENT_SET && p->l.ev[i].part == LULL_CONTROL_BPM;
  p->tf = calloc(n, sizeof *p->tf), p->tb = calloc(n, sizeof *p->tb), p->tbpm = calloc(n, sizeof *p->tbpm);
  double beat = 0;
  for (size_t i = 0; i < p->l.n; i++) {
    const lull_event *e = &p->l.ev[i];
    if (e->kind != LULL_EVENT_SET || e->part != LULL_CONTROL_BPM) continue;
    if (p->tn) beat += (double)(e->frame - p->tf[p->tn - 1]) * p->tbpm[p->tn - 1] / (60.0 * FS);
    p->tf[p->tn] = e->frame, p->tb[p->tn] = beat, p->tbpm[p->tn] = e->velocity;
    p->tn++;
  }
}

static void free_piece(piece *p) { free(p->l.ev), free(p->s.m), free(p->tf), free(p->tb), free(p->tbpm); }

static double beat_of(const piece *p, uint64_t frame) {
  size_t lo = 0, hi = p->tn;
  while (hi - lo > 1) {
    size_t mid = (lo + hi) / 2;
    if (p->tf[mid] <= frame) lo = mid;
    else hi = mid;
  }
  return p->tb[lo] + ((double)frame - (double)p->tf[lo]) * p->tbpm[lo] / (60.0 * FS);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *x, size_t n) {
  qsort(x, n, sizeof *x, cmp_double);
  return n ? x[n / 2] : 0;
}

/* Scale degree of note in the scale in force (-1: not in it). */
static int degree_of(const scale_mark *m, int note) {
  const lull_scale *s = lull__scale_of(m->mode);
  int pc = ((note - m->key) % 12 + 12) % 12;
  for (int d = 0; d < s->size; d++)
    if (s->steps[d] == pc) return d;
  return -1;
}

static int stable(const scale_mark *m, int note) {
  int d = degree_of(m, note), size = lull__scale_of(m->mode)->size;
  return size == 7 ? (d == 0 || d == 2 || d == 4) : (d == 0 || d == 2 || d == 3);
}

/* ---- the melody ------------------------------------------------------------ */

static void test_melody(void **state) {
  (void)state;
  const float ins[3] = {0.15f, 0.45f, 0.85f};
  uint64_t seed = lull_test_seed(19);
  for (int k = 0; k < 3; k++) {
    piece p;
    compose_piece(&p, ins[k], seed);
    const lull_event *lead[40000];
    size_t n = 0;
    for (size_t i = 0; i < p.l.n && n < 40000; i++)
      if (p.l.ev[i].part == LULL_PART_LEAD && p.l.ev[i].kind == LULL_EVENT_ON) lead[n++] = &p.l.ev[i];
    ASSERT_GE(n, 100);
    /* Phrases end at a rest of a bar or more. */
    size_t phrases = 0, longest = 0, run = 0, stable_ends = 0, moves = 0, repeats = 0, leaps = 0, recovered = 0;
    size_t apex[3] = {0}, firsts = 0;
    size_t first = 0;
    for (size_t i = 0; i <= n; i++) {
      int ends = i == n;
      if (i > 0 && i < n) {
        double gap = beat_of(&p, lead[i]->frame) - beat_of(&p, lead[i - 1]->frame + lead[i - 1]->duration_frames);
        ends = gap >= 3.9;
      }
      if (ends && i > 0) {
        phrases++;
        if (run > longest) longest = run;
        stable_ends += stable(scale_at(&p.s, lead[i - 1]->frame), lead[i - 1]->pitch);
        if (run >= 3) {
          size_t top = first;
          for (size_t j = first; j < i; j++)
            if (lead[j]->pitch > lead[top]->pitch) top = j;
          apex[3 * (top - first) / run]++;
          firsts++;
        }
        run = 0;
        first = i;
      }
      if (i == n) break;
      if (run > 0) {
        int d = lead[i]->pitch - lead[i - 1]->pitch;
        moves++;
        repeats += d == 0;
        if (abs(d) >= 5 && abs(d) <= 9 && i + 1 < n) {
          double gap = beat_of(&p, lead[i + 1]->frame) - beat_of(&p, lead[i]->frame + lead[i]->duration_frames);
          if (gap < 3.9) {
            int e = lead[i + 1]->pitch - lead[i]->pitch;
            leaps++;
            recovered += e * d < 0 && abs(e) <= 4;
          }
        }
      }
      run++;
    }
    /* Two-bar cells (onsets in eighths, intervals from the first note):
     * how many were heard before, transposed or not. */
    size_t cells = 0, recurring = 0, cap = 4096, seen_n = 0;
    uint64_t *seen = calloc(cap, sizeof *seen);
    for (size_t i = 0; i < n;) {
      long w = (long)floor(beat_of(&p, lead[i]->frame) / 8.0);
      size_t j = i;
      uint64_t h = 0xcbf29ce484222325ull;
      while (j < n && (long)floor(beat_of(&p, lead[j]->frame) / 8.0) == w) {
        long eighth = lround((beat_of(&p, lead[j]->frame) - 8.0 * (double)w) * 2.0);
        /* Intervals in steps of the scale in force: a motif moved onto
         * another chord keeps its steps, not its semitones. */
        const scale_mark *m = scale_at(&p.s, lead[j]->frame);
        int size = lull__scale_of(m->mode)->size;
        int dj = degree_of(m, lead[j]->pitch) + size * ((lead[j]->pitch - m->key) / 12);
        int di = degree_of(m, lead[i]->pitch) + size * ((lead[i]->pitch - m->key) / 12);
        h = (h ^ (uint64_t)(eighth * 256 + (dj - di + 128))) * 0x100000001b3ull;
        j++;
      }
      if (j - i >= 2) {
        cells++;
        int found = 0;
        for (size_t q = 0; q < seen_n && !found; q++) found = seen[q] == h;
        recurring += found;
        if (!found && seen_n < cap) seen[seen_n++] = h;
      }
      i = j;
    }
    free(seen);
    double rep = (double)repeats / (double)moves, leap = (double)leaps / (double)moves;
    printf("# intensity %.2f: %zu lead notes, %zu phrases (longest %zu notes), %.0f %% end on 1/3/5, "
           "%.1f %% repeated notes, %.1f %% leaps of 5-9 (%.0f %% recovered by step), apex in thirds %zu/%zu/%zu, "
           "%zu two-bar cells, %.0f %% heard before\n",
           (double)ins[k], n, phrases, longest, 100.0 * (double)stable_ends / (double)phrases, 100 * rep, 100 * leap,
           100.0 * (double)recovered / (double)(leaps ? leaps : 1), apex[0], apex[1], apex[2], cells,
           100.0 * (double)recurring / (double)cells);
    ASSERT_LE(longest, 14);                                  /* a dozen or so, then rest */
    ASSERT_GE((double)stable_ends, 0.7 * (double)phrases);  /* endings on stable degrees */
    ASSERT_LE(rep, 0.08);                                    /* repeated notes rare */
    ASSERT_GE(leap, 0.03);                                   /* leaps sometimes */
    ASSERT_GE((double)recovered, 0.6 * (double)leaps);       /* recovered by step */
    for (int t = 0; t < 3; t++) ASSERT_GE((double)apex[t], 0.12 * (double)firsts); /* arcs differ */
    ASSERT_GE((double)recurring, 0.15 * (double)cells);     /* motifs return */
    free_piece(&p);
  }
}

/* ---- time ------------------------------------------------------------------------ */

static int on_grid(const piece *p, uint64_t frame) {
  double b = beat_of(p, frame) * 2.0, ms = fabs(b - round(b)) * 60000.0 / (2.0 * BPM);
  return ms < 1.0;
}

static size_t distinct_velocities(const piece *p, int part) {
  int seen[128] = {0};
  size_t n = 0;
  for (size_t i = 0; i < p->l.n; i++) {
    const lull_event *e = &p->l.ev[i];
    if (e->part != part || e->kind == LULL_EVENT_SET || e->kind == LULL_EVENT_OFF) continue;
    int v = (int)lroundf(e->velocity * 127);
    n += !seen[v];
    seen[v] = 1;
  }
  return n;
}

static void test_off_the_grid(void **state) {
  (void)state;
  const float ins[3] = {0.15f, 0.45f, 0.85f};
  uint64_t seed = lull_test_seed(23);
  for (int k = 0; k < 3; k++) {
    piece p;
    compose_piece(&p, ins[k], seed);
    size_t onsets[LULL_PART_COUNT] = {0}, grid[LULL_PART_COUNT] = {0};
    double swell_t[1000];
    size_t swells = 0;
    long kick_bars = 0, last_kick_bar = -1;
    double bpm_lo = 1e9, bpm_hi = 0;
    for (size_t i = 0; i < p.l.n; i++) {
      const lull_event *e = &p.l.ev[i];
      if (e->kind == LULL_EVENT_SET) {
        if (e->part == LULL_CONTROL_BPM) bpm_lo = fmin(bpm_lo, e->velocity), bpm_hi = fmax(bpm_hi, e->velocity);
        continue;
      }
      if (e->kind == LULL_EVENT_OFF) continue;
      onsets[e->part]++;
      grid[e->part] += on_grid(&p, e->frame);
      if (e->part == LULL_PART_SWELL && swells < 1000) swell_t[swells++] = (double)e->frame / FS;
      if (e->part == LULL_PART_KICK) {
        long bar = (long)floor(beat_of(&p, e->frame) / 4.0);
        kick_bars += bar != last_kick_bar;
        last_kick_bar = bar;
      }
    }
    double bars = beat_of(&p, HOUR) / 4.0;
    double gaps[1000], mean = 0, var = 0;
    for (size_t i = 1; i < swells; i++) gaps[i - 1] = swell_t[i] - swell_t[i - 1], mean += gaps[i - 1];
    mean /= (double)(swells > 1 ? swells - 1 : 1);
    for (size_t i = 1; i < swells; i++) var += (gaps[i - 1] - mean) * (gaps[i - 1] - mean);
    double sd = sqrt(var / (double)(swells > 1 ? swells - 1 : 1));
    printf("# intensity %.2f: on the eighth grid (1 ms): lead %zu/%zu, kick %zu/%zu, hat %zu/%zu; kick in %.0f %% of "
           "bars, %zu velocities; %zu swells every %.1f s (sd %.1f s), %zu velocities; tempo %.1f..%.1f bpm\n",
           (double)ins[k], grid[LULL_PART_LEAD], onsets[LULL_PART_LEAD], grid[LULL_PART_KICK], onsets[LULL_PART_KICK],
           grid[LULL_PART_HAT], onsets[LULL_PART_HAT], 100.0 * (double)kick_bars / bars,
           distinct_velocities(&p, LULL_PART_KICK), swells, mean, sd, distinct_velocities(&p, LULL_PART_SWELL), bpm_lo,
           bpm_hi);
    const int parts[3] = {LULL_PART_LEAD, LULL_PART_KICK, LULL_PART_HAT};
    for (int j = 0; j < 3; j++) ASSERT_LE((double)grid[parts[j]], 0.2 * (double)onsets[parts[j]]);
    /* The tempo breathes: a few percent, no more. */
    ASSERT_GE(bpm_hi - bpm_lo, 0.02 * BPM);
    ASSERT_LE(bpm_hi, 1.03 * BPM);
    ASSERT_GE(bpm_lo, 0.97 * BPM);
    if (ins[k] >= 0.35f) {
      ASSERT_LE((double)kick_bars, 0.75 * bars); /* a heartbeat, not every bar */
      ASSERT_GE(distinct_velocities(&p, LULL_PART_KICK), 12);
    }
    ASSERT_GE(swells, 40);
    ASSERT_GE(sd, 5.0); /* free periods */
    ASSERT_GE(distinct_velocities(&p, LULL_PART_SWELL), 12);
    free_piece(&p);
  }
}

/* Loops: the bell's tones recur on periods of seconds that are not a
 * whole number of half beats, two or three at once. */
static void test_loops(void **state) {
  (void)state;
  piece p;
  compose_piece(&p, 0.45f, lull_test_seed(29));
  /* Intervals between successive onsets of the same pitch. */
  uint64_t last[128] = {0};
  double periods[4000];
  size_t n = 0;
  for (size_t i = 0; i < p.l.n && n < 4000; i++) {
    const lull_event *e = &p.l.ev[i];
    if (e->part != LULL_PART_BELL || e->kind != LULL_EVENT_ON) continue;
    if (last[e->pitch]) periods[n++] = (double)(e->frame - last[e->pitch]) / FS;
    last[e->pitch] = e->frame;
  }
  /* A loop shows as the same interval again and again (to 10 ms). */
  qsort(periods, n, sizeof *periods, cmp_double);
  size_t loops = 0, off_beat = 0;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && periods[j] - periods[i] < 0.01) j++;
    if (j - i >= 3 && periods[i] >= 12.9 && periods[i] <= 37.1) {
      loops++;
      double halves = periods[i] * BPM / 30.0;
      off_beat += fabs(halves - round(halves)) > 0.05;
    }
    i = j;
  }
  printf("# %zu bell intervals; %zu loop periods in 13-37 s, %zu of them off the half beat\n", n, loops, off_beat);
  ASSERT_GE(loops, 20);
  ASSERT_GE((double)off_beat, 0.7 * (double)loops);
  free_piece(&p);
}

/* ---- harmony ------------------------------------------------------------------- */

static void test_harmony(void **state) {
  (void)state;
  const float ins[3] = {0.15f, 0.45f, 0.85f};
  uint64_t seed = lull_test_seed(31);
  for (int k = 0; k < 3; k++) {
    piece p;
    compose_piece(&p, ins[k], seed);
    /* Chord changes: pad onsets more than 0.5 s after the last. */
    double changes[4000], durs[4000];
    size_t nc = 0;
    uint64_t last_on = 0;
    int have = 0;
    for (size_t i = 0; i < p.l.n && nc < 4000; i++) {
      const lull_event *e = &p.l.ev[i];
      if (e->part != LULL_PART_PAD || e->kind != LULL_EVENT_ON) continue;
      if (!have || e->frame - last_on > FS / 2) changes[nc++] = (double)e->frame / FS;
      last_on = e->frame, have = 1;
    }
    for (size_t i = 1; i < nc; i++) durs[i - 1] = changes[i] - changes[i - 1];
    double med = median(durs, nc - 1);
    /* The bass: steps, pedals (a note held across two changes or more). */
    int prev = -1;
    size_t moves = 0, steps = 0, fourths = 0, pedals = 0;
    for (size_t i = 0; i < p.l.n; i++) {
      const lull_event *e = &p.l.ev[i];
      if (e->part != LULL_PART_BASS || e->kind != LULL_EVENT_ON) continue;
      double t0 = (double)e->frame / FS, t1 = (double)(e->frame + e->duration_frames) / FS;
      size_t under = 0;
      for (size_t j = 0; j < nc; j++) under += changes[j] > t0 + 0.5 && changes[j] < t1 - 0.5;
      pedals += under >= 2;
      if (prev >= 0 && e->pitch != prev) {
        int d = abs(e->pitch - prev);
        moves++;
        steps += d >= 1 && d <= 2;
        fourths += d == 5 || d == 7;
      }
      prev = e->pitch;
    }
    printf("# intensity %.2f: %zu chords, median %.1f s; bass: %zu moves, %.0f %% steps, %.0f %% fourths/fifths, "
           "%zu pedals\n",
           (double)ins[k], nc, med, moves, 100.0 * (double)steps / (double)moves, 100.0 * (double)fourths / (double)moves,
           pedals);
    if (ins[k] < 0.3f) ASSERT_GE(med, 15.0); /* tens of seconds when quiet */
    ASSERT_GE(med, 5.0);
    ASSERT_GE((double)steps, 0.45 * (double)moves); /* of the moves (a held bass is not one) */
    ASSERT_LE((double)fourths, 0.25 * (double)moves);
    ASSERT_GE(pedals, 3);
    free_piece(&p);
  }
}

/* ---- layers ------------------------------------------------------------------- */

/* The lead comes and goes over tens of seconds: after it has been away for
 * a minute or more it comes back softly and grows, and it goes away the
 * same way, never at full strength at once. */
static void test_layers_fade(void **state) {
  (void)state;
  size_t turns = 0, soft = 0;
  uint64_t seed = lull_test_seed(37);
  for (uint64_t k = 0; k < 3; k++) {
  piece p;
  compose_piece(&p, 0.45f, seed + k);
  double start[2000], mean[2000], prev_t = -1e9, sum = 0;
  size_t n = 0, count = 0;
  for (size_t i = 0; i <= p.l.n; i++) {
    const lull_event *e = i < p.l.n ? &p.l.ev[i] : NULL;
    if (e && (e->part != LULL_PART_LEAD || e->kind != LULL_EVENT_ON)) continue;
    double t = e ? (double)e->frame / FS : 1e12;
    if (t - prev_t > 10.0 && count && n < 2000) mean[n] = sum / (double)count, n++, sum = 0, count = 0;
    if (!e) break;
    if (!count) start[n] = t;
    sum += e->velocity, count++;
    prev_t = t;
  }
  for (size_t i = 0; i < n; i++) {
    int entry = i == 0 || start[i] - start[i - 1] >= 75.0, exit = i + 1 < n && start[i + 1] - start[i] >= 75.0;
    if (i == 0 || !(entry || exit)) continue;
    double around = 0;
    for (size_t j = 0; j < n; j++)
      if (j != i && fabs(start[j] - start[i]) <= 180.0 && ((entry && j > i) || (exit && j < i)))
        around = fmax(around, mean[j]);
    if (around <= 0) continue;
    turns++;
    soft += mean[i] < 0.75 * around;
  }
  free_piece(&p);
  }
  printf("# lead over three hours: %zu entries and exits after or before a minute away, %zu of them soft\n", turns, soft);
  ASSERT_GE(turns, 6);
  ASSERT_GE((double)soft, 0.7 * (double)turns);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_melody),      cmocka_unit_test(test_off_the_grid), cmocka_unit_test(test_loops),
      cmocka_unit_test(test_harmony),     cmocka_unit_test(test_layers_fade),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
