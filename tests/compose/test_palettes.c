/* The palettes (issue 20), composer through engine. Each palette's sound
 * (its long-term spectrum in third octaves and its mean MFCCs) is measured
 * against the same palette playing other music: its instruments move it
 * away from the same notes on classic's, and night lies far from every
 * other (the distances of all pairs are printed). The drumless palettes get
 * no kick or hat, and every pitch in every palette is in the scale in
 * force. A change of palette at a bar line leaves no hole and makes no
 * click. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lull/engine.h"
#include "support/compose_util.h"
#include "support/harness.h"
#include "support/signal.h"
#include "synth/synth_int.h"
#include "theory/theory.h"

#define FS 48000u
#define BLOCK 4800u /* 100 ms */
#define NP LULL_PALETTE_COUNT

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *x, size_t n) {
  qsort(x, n, sizeof *x, cmp_double);
  return n % 2 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
}

/* ---- each palette sounds like itself ------------------------------------ */

#define BANDS 26     /* third octaves centred 50 Hz .. 16 kHz (1000 x 10^(k/10), k = -13..12) */
#define MFCCS 13     /* c1..c13: the spectrum's shape, c0 (the level) left out */
#define MEL_BANDS 40
#define MEL_RANGE_DB 60.0
#define LTAS_N 8192u /* 5.9 Hz bins: two in the 50 Hz band */
#define MFCC_N 2048u /* 43 ms frames */
#define WARM_S 2.5   /* an excerpt's first seconds: the held notes rising again, the room filling */
#define FORM_MIN 12.0 /* the excerpts spread over this much of the piece */

typedef struct features {
  double band_db[BANDS]; /* each band's share of the whole, in dB: loudness does not count */
  double mfcc[MFCCS];    /* means over the frames, dB */
  double level_db;       /* the mean level (printed only) */
} features;

typedef struct listening {
  double power[LTAS_N / 2 + 1]; /* summed over frames */
  double mfcc[MFCCS];
  size_t ltas_frames, mfcc_frames;
  double energy, samples;
} listening;

static int held_part(int part) { return part == LULL_PART_PAD || part == LULL_PART_BASS || part == LULL_PART_AIR; }

/* The music of l from frame from on, for frames, into a fresh engine, as
 * mono: the controls in force at from and the held notes (pad, bass, air)
 * sounding there are given again at its start. sound >= 0 plays every note
 * on that palette's instruments instead of the ones the composer named. */
static void excerpt(const event_list *l, uint64_t from, size_t frames, int sound, float *mono) {
  lull_engine *e;
  ASSERT_EQ_INT(lull_engine_create(NULL, &e, NULL), LULL_OK);
  lull_event ctl[LULL_CONTROL_COUNT];
  int have[LULL_CONTROL_COUNT] = {0};
  size_t first = 0;
  while (first < l->n && l->ev[first].frame < from) {
    const lull_event *x = &l->ev[first++];
    if (x->kind == LULL_EVENT_SET) ctl[x->part] = *x, have[x->part] = 1;
  }
  /* The palette first: the notes take its instruments. */
  const int order[LULL_CONTROL_COUNT] = {LULL_CONTROL_PALETTE, LULL_CONTROL_BRIGHTNESS, LULL_CONTROL_GAIN_DB,
                                         LULL_CONTROL_BPM};
  for (int k = 0; k < LULL_CONTROL_COUNT; k++)
    if (have[order[k]]) {
      lull_event x = ctl[order[k]];
      x.frame = 0;
      if (x.part == LULL_CONTROL_PALETTE && sound >= 0) x.velocity = (float)sound;
      ASSERT_EQ_INT(lull_engine_schedule(e, &x), LULL_OK);
    }
  for (size_t i = 0; i < first; i++) {
    lull_event x = l->ev[i];
    if (x.kind != LULL_EVENT_ON || !held_part(x.part) || x.frame + 300ull * FS < from) continue;
    uint64_t end = x.duration_frames ? x.frame + x.duration_frames : UINT64_MAX;
    for (size_t j = i + 1; j < l->n && l->ev[j].frame < end; j++)
      if (l->ev[j].part == x.part && l->ev[j].pitch == x.pitch && l->ev[j].kind != LULL_EVENT_SET) end = l->ev[j].frame;
    if (end <= from) continue;
    x.frame = 0;
    x.duration_frames = end == UINT64_MAX ? 0 : end - from;
    ASSERT_EQ_INT(lull_engine_schedule(e, &x), LULL_OK);
  }
  float *buf = malloc(sizeof(float) * 2 * BLOCK);
  size_t next = first;
  for (size_t pos = 0; pos < frames; pos += BLOCK) {
    for (; next < l->n && l->ev[next].frame < from + pos + BLOCK; next++) {
      lull_event x = l->ev[next];
      x.frame -= from;
      if (x.kind == LULL_EVENT_SET && x.part == LULL_CONTROL_PALETTE && sound >= 0) x.velocity = (float)sound;
      ASSERT_EQ_INT(lull_engine_schedule(e, &x), LULL_OK);
    }
    size_t n = frames - pos < BLOCK ? frames - pos : BLOCK;
    lull_engine_render(e, buf, n);
    for (size_t i = 0; i < n; i++) mono[pos + i] = 0.5f * (buf[2 * i] + buf[2 * i + 1]);
  }
  free(buf);
  lull_engine_destroy(e);
}

/* Add x[0..n) to the long-term spectrum (frames side by side: an average
 * needs no overlap) and the MFCC sums. */
static void analyse(listening *s, const float *x, size_t n, const double *ltas_w, const double *mfcc_w) {
  double mag[LTAS_N / 2 + 1], cc[MFCCS + 1];
  for (size_t at = 0; at + LTAS_N <= n; at += LTAS_N, s->ltas_frames++) {
    sig_spectrum_into(x + at, LTAS_N, 1, ltas_w, mag);
    for (size_t k = 0; k <= LTAS_N / 2; k++) s->power[k] += mag[k] * mag[k];
  }
  for (size_t at = 0; at + MFCC_N <= n; at += MFCC_N, s->mfcc_frames++) {
    sig_spectrum_into(x + at, MFCC_N, 1, mfcc_w, mag);
    sig_mfcc(mag, MFCC_N, FS, MEL_BANDS, 40.0, 16000.0, MEL_RANGE_DB, MFCCS + 1, cc);
    for (int k = 0; k < MFCCS; k++) s->mfcc[k] += cc[k + 1];
  }
  for (size_t i = 0; i < n; i++) s->energy += (double)x[i] * (double)x[i];
  s->samples += (double)n;
}

/* palette's music at intensity 0.5, FORM_MIN minutes of it. */
static event_list compose_palette(int palette, uint64_t seed) {
  lull_composer *c = make_palette_composer(palette, 9, LULL_MODE_AEOLIAN, 64, 0.5f, seed);
  event_list l = {0};
  compose_until(c, 0, (uint64_t)(FORM_MIN * 60 * FS), &l);
  lull__composer_destroy(c);
  return l;
}

/* The features of `count` excerpts of `seconds` of l, spread over it: the
 * layers come and go by sections of minutes, and one stretch would measure
 * the form more than the palette. sound: as for excerpt. */
static void listen(const event_list *l, int count, double seconds, int sound, features *f) {
  const size_t warm = (size_t)(WARM_S * FS), frames = warm + (size_t)(seconds * FS);
  float *mono = malloc(sizeof(float) * frames);
  double *ltas_w = sig_window(LTAS_N), *mfcc_w = sig_window(MFCC_N);
  listening *s = calloc(1, sizeof *s);
  for (int k = 0; k < count; k++) {
    uint64_t from = (uint64_t)((FORM_MIN * 60 - seconds - WARM_S) * FS * k / (count > 1 ? count - 1 : 1));
    excerpt(l, from, frames, sound, mono);
    ASSERT_EQ_INT(sig_nonfinite(mono, frames), 0);
    analyse(s, mono + warm, frames - warm, ltas_w, mfcc_w);
  }
  f->level_db = 10.0 * log10(s->energy / s->samples + 1e-30);
  for (size_t k = 0; k <= LTAS_N / 2; k++) s->power[k] = sqrt(s->power[k] / (double)s->ltas_frames); /* a magnitude */
  double total = 0;
  for (int b = 0; b < BANDS; b++) {
    double hz = 1000.0 * pow(10.0, (b - 13) / 10.0);
    f->band_db[b] = sig_band_energy(s->power, LTAS_N, FS, hz * pow(10.0, -0.05), hz * pow(10.0, 0.05));
    total += f->band_db[b];
  }
  for (int b = 0; b < BANDS; b++) f->band_db[b] = 10.0 * log10(f->band_db[b] / total + 1e-12);
  for (int k = 0; k < MFCCS; k++) f->mfcc[k] = s->mfcc[k] / (double)s->mfcc_frames;
  free(s), free(ltas_w), free(mfcc_w), free(mono);
}

/* RMS differences in dB, of the bands and of the MFCCs, added as powers. */
static double distance(const features *a, const features *b) {
  double sb = 0, sm = 0;
  for (int i = 0; i < BANDS; i++) sb += (a->band_db[i] - b->band_db[i]) * (a->band_db[i] - b->band_db[i]);
  for (int i = 0; i < MFCCS; i++) sm += (a->mfcc[i] - b->mfcc[i]) * (a->mfcc[i] - b->mfcc[i]);
  return sqrt(sb / BANDS + sm / MFCCS);
}

/* The noise floor N is the median over the palettes of the distance
 * between two seeds (the same palette playing other music). Each pair of
 * palettes playing the same music (the nearer of two seeds) is held
 * against it: every pair at least N apart (two palettes playing the same
 * notes differ more than one palette playing two different pieces: what a
 * listener hears is another sound, not only other music), and night, the
 * one with a register of its own (a drone an octave down), at least 2 N
 * from every other. Each palette's instruments must move it from the same
 * notes on classic's (a palette whose instruments were not applied would
 * be 0 away): by a quarter of N at least. Over seeds 3, 5 and 8 the nearest
 * pair lies at 1.23-1.9 N; LULL_TEST_STRICT=1 holds every pair to 2 N. */
static void test_palettes_sound_distinct(void **state) {
  (void)state;
  uint64_t seed = lull_test_seed(3);
  int count = 12, full = 1;
  double seconds = 6;
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  /* The sanitizers slow every frame: their run checks that the instruments
   * apply (the same notes either way, so any length shows it); the margins
   * against the music's own variation need the release run's minutes. */
  count = 2, seconds = 4, full = 0;
#endif
  const char *strict_env = getenv("LULL_TEST_STRICT");
  int strict = strict_env && *strict_env && *strict_env != '0';
  static features a[NP], b[NP], as_classic[NP];
  for (int p = 0; p < NP; p++) {
    event_list l = compose_palette(p, seed);
    listen(&l, count, seconds, -1, &a[p]);
    if (p != LULL_PALETTE_CLASSIC) listen(&l, count, seconds, LULL_PALETTE_CLASSIC, &as_classic[p]);
    free(l.ev);
    if (!full) continue;
    l = compose_palette(p, seed + 1);
    listen(&l, count, seconds, -1, &b[p]);
    free(l.ev);
  }
  printf("# %d excerpts of %.0f s over %.0f min, intensity 0.5, seed %llu%s\n", count, seconds, FORM_MIN,
         (unsigned long long)seed, full ? " and the next" : "");
  printf("# third-octave shares (dB; 50, 100, 200 ... 16k Hz), level:\n");
  for (int p = 0; p < NP; p++) {
    printf("#   %-8s", lull_palette_name(p));
    for (int k = 0; k < BANDS; k += 3) printf(" %6.1f", a[p].band_db[k]);
    printf("   %6.1f dBFS\n", a[p].level_db);
  }
  double seeds_apart[NP], sorted[NP], noise = 0;
  for (int p = 0; p < NP; p++) seeds_apart[p] = sorted[p] = full ? distance(&a[p], &b[p]) : 0;
  if (full) noise = median(sorted, NP);
  double inst[NP] = {0};
  printf("# from the same notes on classic's instruments (dB):");
  for (int p = 1; p < NP; p++) printf(" %s %.2f", lull_palette_name(p), inst[p] = distance(&a[p], &as_classic[p]));
  printf("\n");
  if (!full) {
    for (int p = 1; p < NP; p++) ASSERT_GE(inst[p], 1.0);
    return;
  }
  printf("# distance (dB): two palettes playing the same music above the diagonal, a palette playing two on it\n");
  printf("#   %-8s", "");
  for (int q = 0; q < NP; q++) printf(" %8s", lull_palette_name(q));
  printf("\n");
  double d[NP][NP];
  for (int p = 0; p < NP; p++) {
    printf("#   %-8s", lull_palette_name(p));
    for (int q = 0; q < NP; q++) {
      d[p][q] = q == p ? seeds_apart[p] : fmin(distance(&a[p], &a[q]), distance(&b[p], &b[q]));
      if (q < p) printf(" %8s", "");
      else printf(" %8.2f", d[p][q]);
    }
    printf("\n");
  }
  printf("# noise floor N %.2f dB; in N: instruments", noise);
  for (int p = 1; p < NP; p++) printf(" %s %.2f", lull_palette_name(p), inst[p] / noise);
  printf("; pairs under 2 N:");
  for (int p = 0; p < NP; p++)
    for (int q = p + 1; q < NP; q++)
      if (d[p][q] < 2 * noise) printf(" %s-%s %.2f", lull_palette_name(p), lull_palette_name(q), d[p][q] / noise);
  printf("\n");
  for (int p = 1; p < NP; p++) ASSERT_GE(inst[p], 0.25 * noise);
  for (int p = 0; p < NP; p++)
    for (int q = p + 1; q < NP; q++)
      ASSERT_GE(d[p][q], (strict || p == LULL_PALETTE_NIGHT || q == LULL_PALETTE_NIGHT ? 2.0 : 1.0) * noise);
}

/* ---- what each palette is written ---------------------------------------- */

/* At intensity 0.9, five minutes each: a palette whose table (palette.c)
 * has no kick and no hat gets none from the composer, and the others get
 * both (so the count can fail); glass, strings and night are the drumless
 * ones (params.h). Every pitch of every tonal part (the arpeggios too) is
 * in the scale in force, at 0.9 and at 0.3 in another key and mode. */
static void test_writing_fits_the_palette(void **state) {
  (void)state;
  uint64_t seed = lull_test_seed(7);
  const uint64_t end = 5ull * 60 * FS;
  const int drumless[NP] = {[LULL_PALETTE_GLASS] = 1, [LULL_PALETTE_STRINGS] = 1, [LULL_PALETTE_NIGHT] = 1};
  for (int p = 0; p < NP; p++) {
    const lull_palette_spec *ps = &lull__palettes[p];
    int silent = ps->part[LULL_PART_KICK].instr == LULL_INSTR_NONE && ps->part[LULL_PART_HAT].instr == LULL_INSTR_NONE;
    ASSERT_EQ_INT(silent, drumless[p]);
    const struct { int key, mode; float intensity; } runs[2] = {{9, LULL_MODE_AEOLIAN, 0.9f}, {2, LULL_MODE_LYDIAN, 0.3f}};
    for (int r = 0; r < 2; r++) {
      lull_composer *c = make_palette_composer(p, runs[r].key, runs[r].mode, 64, runs[r].intensity, seed + (uint64_t)p);
      event_list l = {0};
      scale_marks sm = {0};
      compose_tracked(c, 0, end, &l, &sm);
      lull__composer_destroy(c);
      size_t notes[LULL_PART_COUNT] = {0}, palette_sets = 0;
      for (size_t i = 0; i < l.n; i++) {
        const lull_event *e = &l.ev[i];
        if (e->kind == LULL_EVENT_SET) {
          if (e->part == LULL_CONTROL_PALETTE) {
            palette_sets++;
            ASSERT_EQ_INT(e->frame, 0);
            ASSERT_EQ_INT(e->velocity, p);
          }
          continue;
        }
        if (e->kind == LULL_EVENT_OFF) continue;
        notes[e->part]++;
        if (!is_tonal(e)) continue;
        const scale_mark *m = scale_at(&sm, e->frame);
        if (!lull__in_scale(m->key, m->mode, e->pitch))
          fail_msg("%s: %s %d at frame %llu is not in %s on %d", lull_palette_name(p), lull_part_name(e->part), e->pitch,
                   (unsigned long long)e->frame, lull__mode_name(m->mode), m->key);
      }
      printf("# %-8s %.1f %-7s:", lull_palette_name(p), (double)runs[r].intensity, lull__mode_name(runs[r].mode));
      for (int q = 0; q < LULL_PART_COUNT; q++) printf(" %s %zu", lull_part_name(q), notes[q]);
      printf("\n");
      ASSERT_EQ_INT(palette_sets, 1);
      ASSERT_GE(notes[LULL_PART_LEAD], 20); /* the lead's pitches were checked (the harp's arpeggios too) */
      ASSERT_GE(notes[LULL_PART_PAD], 20);
      if (r == 0 && drumless[p]) {
        ASSERT_EQ_INT(notes[LULL_PART_KICK], 0);
        ASSERT_EQ_INT(notes[LULL_PART_HAT], 0);
      } else if (r == 0) {
        ASSERT_GE(notes[LULL_PART_KICK], 20);
        ASSERT_GE(notes[LULL_PART_HAT], 20);
      }
      free(l.ev), free(sm.m);
    }
  }
}

/* ---- changing palette ------------------------------------------------------ */

#define SWITCH_S 20.0   /* each palette plays this long before the next comes */
#define BEFORE_S 4.0    /* the reference: the last seconds before the switch */
#define AROUND_S 2.0    /* a hole is looked for this far either side */
#define CLICK_MS 50.0   /* a click, this far either side */
#define WIN_MS 50.0     /* short-term RMS windows */
#define HF_N 256u       /* 5.3 ms spectra for the energy above 8 kHz */

/* One palette after another, each for SWITCH_S, from classic through all
 * the others back to classic: at each switch (the palette SET, at a bar
 * line), the short-term level never falls far below the level before it
 * (no hole while the old instruments release and the new ones rise), and
 * neither the largest step between samples nor the energy above 8 kHz
 * there rises above the largest of the seconds around it (no click). The
 * thresholds (9 dB of dip, 4 and 6 dB above) were checked against the
 * engine cutting every voice at the switch (the reverb too, or not). */
static void test_palette_change_is_seamless(void **state) {
  (void)state;
  const int chain[NP + 1] = {LULL_PALETTE_CLASSIC, LULL_PALETTE_GLASS, LULL_PALETTE_STRINGS, LULL_PALETTE_NIGHT,
                             LULL_PALETTE_TAPE,    LULL_PALETTE_KEYS,  LULL_PALETTE_CLASSIC};
  uint64_t seed = lull_test_seed(11);
  lull_params params = {9, LULL_MODE_AEOLIAN, 64, 0.5f, seed, chain[0]};
  lull_composer *c;
  ASSERT_EQ_INT(lull__composer_create(&params, FS, &c, NULL), LULL_OK);
  lull_engine *e;
  ASSERT_EQ_INT(lull_engine_create(NULL, &e, NULL), LULL_OK);
  const size_t step = 960; /* 20 ms, as a station asks */
  const size_t total = (size_t)((SWITCH_S * NP + 4 + BEFORE_S + 1) * FS) / step * step; /* a bar's wait, then BEFORE_S */
  float *x = malloc(sizeof(float) * 2 * total);
  uint64_t at[NP] = {0};
  int switches = 0, asked = 0;
  lull_event ev[128];
  for (size_t pos = 0; pos < total; pos += step) {
    if (asked < NP && pos >= (size_t)((asked + 1) * SWITCH_S * FS)) {
      params.palette = chain[++asked];
      ASSERT_EQ_INT(lull__composer_set_params(c, &params, NULL), LULL_OK);
    }
    size_t n;
    while ((n = lull__composer_fill(c, pos + step, ev, 128)) > 0)
      for (size_t i = 0; i < n; i++) {
        ASSERT_EQ_INT(lull_engine_schedule(e, &ev[i]), LULL_OK);
        if (ev[i].kind == LULL_EVENT_SET && ev[i].part == LULL_CONTROL_PALETTE && ev[i].frame > 0) {
          ASSERT_TRUE(switches < NP);
          ASSERT_EQ_INT(ev[i].velocity, chain[switches + 1]);
          at[switches++] = ev[i].frame;
        }
      }
    lull_engine_render(e, x + 2 * pos, step);
  }
  ASSERT_EQ_INT(switches, NP);
  ASSERT_EQ_INT(sig_nonfinite(x, 2 * total), 0);
  printf("# switch            at (s)  bar wait  level before  deepest      step around  step at   >8k around  >8k at\n");
  const size_t win = (size_t)(WIN_MS * FS / 1000), before = (size_t)(BEFORE_S * FS), around = (size_t)(AROUND_S * FS);
  const size_t click = (size_t)(CLICK_MS * FS / 1000);
  double *w = sig_window(HF_N), mag[HF_N / 2 + 1];
  float mono[HF_N];
  double waits[NP], dips[NP], steps[NP], hfs[NP];
  for (int k = 0; k < NP; k++) {
    const size_t s = (size_t)at[k];
    ASSERT_TRUE(s >= before && s + before <= total);
    /* (a) The level in 50 ms windows: the median of the BEFORE_S before,
     * the lowest within AROUND_S either side. */
    double lv[200], deepest = 1e9;
    size_t nb = 0;
    for (size_t t = s - before; t + win <= s; t += win) lv[nb++] = sig_db(sig_rms(x + 2 * t, 2 * win, 1));
    double ref = median(lv, nb);
    for (size_t t = s - around; t + win <= s + around; t += win) deepest = fmin(deepest, sig_db(sig_rms(x + 2 * t, 2 * win, 1)));
    /* (b) The largest step between samples (either channel), and the
     * energy above 8 kHz in 5 ms spectra: within CLICK_MS of the switch
     * against the largest of the BEFORE_S either side (a click is the
     * switch's own; a new instrument's onsets go on after it). */
    double step_before = 0, step_at = 0, hf_before = 0, hf_at = 0;
    for (size_t t = s - before + 1; t < s + before; t++)
      for (int ch = 0; ch < 2; ch++) {
        double d = fabs((double)x[2 * t + (size_t)ch] - (double)x[2 * (t - 1) + (size_t)ch]);
        if (t < s - click || t >= s + click) step_before = fmax(step_before, d);
        else step_at = fmax(step_at, d);
      }
    for (size_t t = s - before; t + HF_N <= s + before; t += HF_N / 2) {
      for (size_t i = 0; i < HF_N; i++) mono[i] = 0.5f * (x[2 * (t + i)] + x[2 * (t + i) + 1]);
      sig_spectrum_into(mono, HF_N, 1, w, mag);
      double hf = sig_band_energy(mag, HF_N, FS, 8000, FS / 2);
      if (t + HF_N <= s - click || t >= s + click) hf_before = fmax(hf_before, hf);
      else hf_at = fmax(hf_at, hf);
    }
    double wait = (double)(at[k] - (uint64_t)((k + 1) * SWITCH_S * FS)) / FS;
    printf("# %-7s -> %-7s %6.2f  %6.2f s  %8.1f dB  %8.1f dB  %8.1f dB  %6.1f dB  %7.1f dB  %6.1f dB\n",
           lull_palette_name(chain[k]), lull_palette_name(chain[k + 1]), (double)s / FS, wait, ref, deepest,
           sig_db(step_before), sig_db(step_at), 10 * log10(hf_before + 1e-30), 10 * log10(hf_at + 1e-30));
    waits[k] = wait, dips[k] = ref - deepest, steps[k] = sig_db(step_at) - sig_db(step_before);
    hfs[k] = 10 * log10((hf_at + 1e-30) / (hf_before + 1e-30));
  }
  int bad = 0;
  for (int k = 0; k < NP; k++) bad |= dips[k] > 9.0 || steps[k] > 4.0 || hfs[k] > 6.0;
  if (bad) lull_test_dump_wav("palette_switches", x, total, 2);
  for (int k = 0; k < NP; k++) {
    ASSERT_LE(waits[k], 4.0 * 60.0 / 64 * 1.03); /* at the next bar line */
    ASSERT_LE(dips[k], 9.0);
    ASSERT_LE(steps[k], 4.0);
    ASSERT_LE(hfs[k], 6.0);
  }
  free(w), free(x);
  lull_engine_destroy(e);
  lull__composer_destroy(c);
}

/* A palette change every 3.5 s for ten minutes (so on chord changes, off
 * them, mid-phrase): the pad notes the composer leaves held never outnumber
 * the four voices of its chord (a note struck again after its note-off
 * would ring on for ever), and each change comes once, on a bar line. */
static void test_palette_changes_leave_no_note_held(void **state) {
  (void)state;
  uint64_t seed = lull_test_seed(12);
  lull_params params = {9, LULL_MODE_AEOLIAN, 64, 0.9f, seed, LULL_PALETTE_CLASSIC};
  lull_composer *c;
  ASSERT_EQ_INT(lull__composer_create(&params, FS, &c, NULL), LULL_OK);
  unsigned char held[128] = {0};
  int most = 0, sets = 0, asked = 0;
  lull_event ev[128];
  for (uint64_t pos = 0; pos < 600ull * FS; pos += 960) {
    if (pos >= (uint64_t)(asked + 1) * 168000u) { /* 3.5 s */
      params.palette = (lull_palette)((params.palette + 1 + (asked++ % 4)) % NP);
      ASSERT_EQ_INT(lull__composer_set_params(c, &params, NULL), LULL_OK);
    }
    size_t n;
    while ((n = lull__composer_fill(c, pos + 960, ev, 128)) > 0)
      for (size_t i = 0; i < n; i++) {
        const lull_event *e = &ev[i];
        if (e->kind == LULL_EVENT_SET && e->part == LULL_CONTROL_PALETTE) sets++;
        if (e->part != LULL_PART_PAD || e->kind == LULL_EVENT_SET) continue;
        held[e->pitch] = e->kind == LULL_EVENT_ON;
        if (i + 1 < n && ev[i + 1].frame == e->frame) continue; /* count once a frame's events are in */
        int count = 0;
        for (int k = 0; k < 128; k++) count += held[k];
        if (count > most) most = count;
      }
  }
  printf("# %d palette changes asked, %d made; at most %d pad notes held\n", asked, sets - 1, most);
  ASSERT_LE(most, 4);
  ASSERT_GE(sets - 1, asked / 2); /* changes closer than a bar merge into one */
  lull__composer_destroy(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_palette_changes_leave_no_note_held),
      cmocka_unit_test(test_palettes_sound_distinct),
      cmocka_unit_test(test_writing_fits_the_palette),
      cmocka_unit_test(test_palette_change_is_seamless),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
