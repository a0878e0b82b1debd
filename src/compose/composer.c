/* The composer. Time is counted in beats (4 to a bar, 8 bars to a phrase);
 * each bar is planned when the first of its events is needed, as items at
 * fractional beat positions, and handed out as frames only when asked for,
 * so a change of params can still reach every beat not handed out yet.
 *
 * Harmony: chords are stacks of scale degrees (every other step, plus a
 * colour from further up), so every pad note is in the scale by
 * construction. Progressions walk a weighted table per mode, open phrases on
 * the tonic and close them on a cadence chord. The pad's four voices are
 * chosen among all voicings in its register for the least total movement.
 *
 * Everything random comes from xoshiro256** streams seeded from the seed by
 * splitmix64: one stream each for harmony, melody, percussion and form, so
 * a change in one does not shift the others. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compose/compose.h"
#include "theory/theory.h"

#define BEATS_PER_BAR 4
#define BARS_PER_PHRASE 8
#define PLAN_CAP 128
#define PAD_VOICES 4
#define TONIC_MIDI_BASE 48 /* C3: the pad's tonic octave */

/* ---- random numbers ---------------------------------------------------- */

typedef struct rng {
  uint64_t s[4];
} rng;

static uint64_t splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static void rng_seed(rng *r, uint64_t seed, uint64_t stream) {
  uint64_t x = seed ^ (stream * 0xd1b54a32d192ed03ull);
  for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t rng_next(rng *r) { /* xoshiro256** (Blackman & Vigna) */
  uint64_t *s = r->s, result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
  s[2] ^= s[0], s[3] ^= s[1], s[1] ^= s[2], s[0] ^= s[3], s[2] ^= t, s[3] = rotl(s[3], 45);
  return result;
}

static double rng_unit(rng *r) { return (double)(rng_next(r) >> 11) * 0x1p-53; }
static int rng_chance(rng *r, double p) { return rng_unit(r) < p; }
static int rng_range(rng *r, int lo, int hi) { return lo + (int)(rng_unit(r) * (double)(hi - lo + 1)); }

static int rng_weighted(rng *r, const double *w, int n) {
  double total = 0;
  for (int i = 0; i < n; i++) total += w[i];
  if (total <= 0) return 0;
  double x = rng_unit(r) * total;
  for (int i = 0; i < n; i++) {
    if (x < w[i]) return i;
    x -= w[i];
  }
  return n - 1;
}

/* ---- state --------------------------------------------------------------- */

typedef struct item {
  double beat; /* absolute, fractional */
  double duration_beats;
  lull_event ev;
} item;

typedef struct section {
  int phrases, phrase;    /* length and position, in phrases */
  int melody;             /* the lead plays */
  int percussion;         /* percussion may play (intensity decides how much) */
  int chord_bars;         /* 2 or 4 bars a chord */
  int register_shift;     /* semitones the pad sits up or down */
  double density;         /* melody notes, times */
  double brightness;      /* offset to the brightness intensity sets */
} section;

struct lull_composer {
  lull_params p, pending;
  int has_pending;
  double rate;
  rng harmony, melody, percussion, form;

  /* The clock: beat `beat` starts at frame beat_start and lasts beat_len.
   * It only moves over beats that start before what was asked for, so the
   * lengths of later beats are still free to change (a tempo ramp). */
  uint64_t beat;
  double beat_start, beat_len;
  uint64_t ramp_beat; /* this beat has length ramp_len (a tempo change) */
  double ramp_len;
  uint64_t handed_until; /* every event before this frame has been handed out */
  uint64_t harmony_bar;  /* a change already set this bar's chord */

  item plan[PLAN_CAP];
  int plan_count, plan_next;
  uint64_t next_bar; /* the next bar to plan */

  /* Music. */
  int chord_deg, chord_pcs[5], chord_n, chord_root_pc; /* pcs relative to C */
  int pad[PAD_VOICES], pad_count;                      /* sounding pad notes */
  int melody_deg;                                      /* in the current scale, from the tonic */
  int have_melody;
  section sec;
  uint32_t sections;
  uint64_t phrase_index;
  char chord_name[16];
  float last_brightness;
};

static double bpm_len(const lull_composer *c, float bpm) { return 60.0 * c->rate / (double)bpm; }

int lull__composer_create(const lull_params *params, uint32_t sample_rate_hz, lull_composer **out, lull_diag *diag) {
  if (!out) return lull_diag_set(diag, LULL_EINVAL, "out", "must not be NULL");
  *out = NULL;
  int err = lull_params_validate(params, diag);
  if (err) return err;
  if (sample_rate_hz < 8000 || sample_rate_hz > 192000)
    return lull_diag_set(diag, LULL_ERANGE, "sample_rate_hz", "must be 8000..192000, got %u", sample_rate_hz);
  lull_composer *c = calloc(1, sizeof *c);
  if (!c) return lull_diag_set(diag, LULL_ENOMEM, "", "out of memory");
  c->p = *params;
  c->rate = sample_rate_hz;
  rng_seed(&c->harmony, params->seed, 1);
  rng_seed(&c->melody, params->seed, 2);
  rng_seed(&c->percussion, params->seed, 3);
  rng_seed(&c->form, params->seed, 4);
  c->beat_len = bpm_len(c, params->bpm);
  c->ramp_beat = c->harmony_bar = UINT64_MAX;
  c->chord_deg = -1;
  c->last_brightness = -1;
  *out = c;
  return LULL_OK;
}

void lull__composer_destroy(lull_composer *c) { free(c); }

/* ---- harmony -------------------------------------------------------------- */

/* Transitions between degrees of a seven-note mode (I ii iii IV V vi vii in
 * major; i ii III iv v VI VII in minor): the common-practice pulls, softened
 * for ambient music (few dominant-to-tonic clichés, plenty of plagal and
 * submediant motion). */
static const double step7[7][7] = {
    /*        I    ii   iii  IV   V    vi   vii */
    /* I  */ {0.0, 1.0, 0.6, 3.0, 2.0, 3.0, 0.4},
    /* ii */ {1.0, 0.0, 0.6, 1.2, 3.0, 1.2, 0.3},
    /* iii*/ {0.6, 1.0, 0.0, 2.0, 0.6, 3.0, 0.3},
    /* IV */ {3.0, 1.0, 0.6, 0.0, 2.0, 1.5, 0.6},
    /* V  */ {3.5, 0.6, 0.6, 1.2, 0.0, 2.0, 0.3},
    /* vi */ {1.0, 2.0, 1.0, 3.0, 1.5, 0.0, 0.6},
    /* vii*/ {2.0, 0.3, 1.0, 0.6, 0.6, 1.2, 0.0},
};

/* What makes each mode itself: its characteristic chord gets more weight
 * (dorian's major IV, phrygian's bII, lydian's II, mixolydian's bVII,
 * aeolian's VI and VII). */
static double mode_boost(int mode, int deg) {
  switch (mode) {
    case LULL_MODE_DORIAN: return deg == 3 ? 1.8 : 1.0;
    case LULL_MODE_PHRYGIAN: return deg == 1 ? 2.5 : 1.0;
    case LULL_MODE_LYDIAN: return deg == 1 ? 2.5 : 1.0;
    case LULL_MODE_MIXOLYDIAN: return deg == 6 ? 3.0 : 1.0;
    case LULL_MODE_AEOLIAN: return deg == 5 || deg == 6 ? 1.4 : 1.0;
    default: return 1.0;
  }
}

/* Pitch classes (relative to the tonic) of the triad on deg. */
static void triad_pcs(const lull_scale *s, int deg, int out[3]) {
  for (int i = 0; i < 3; i++) out[i] = lull__degree_pc(s, deg + 2 * i);
}

static int is_diminished(const lull_scale *s, int deg) {
  int t[3];
  triad_pcs(s, deg, t);
  return s->size == 7 && (t[1] - t[0] + 12) % 12 == 3 && (t[2] - t[0] + 12) % 12 == 6;
}

static int next_degree(lull_composer *c, const lull_scale *s, int from, int bar_in_phrase, int chord_bars) {
  double w[7] = {0};
  int n = s->size;
  int last = bar_in_phrase == BARS_PER_PHRASE - chord_bars;
  for (int d = 0; d < n; d++) {
    if (bar_in_phrase == 0) {
      /* Phrases open on the tonic, sometimes on its relative. */
      w[d] = d == 0 ? 6.0 : (n == 7 && (d == 5 || d == 2)) ? 1.0 : 0.0;
    } else if (n == 5) {
      w[d] = d == from ? 0.0 : d == 0 ? (last ? 0.5 : 2.0) : 1.0;
    } else if (last) {
      /* Cadence: into the dominant, subdominant or the mode's colour, ready
       * to fall back to the tonic. */
      static const double cadence[7] = {0.0, 0.8, 0.2, 2.5, 3.0, 0.6, 1.2};
      w[d] = d == from ? 0.0 : cadence[d] * mode_boost(c->p.mode, d);
    } else {
      w[d] = (from < 0 ? 1.0 : step7[from][d]) * mode_boost(c->p.mode, d);
    }
    if (is_diminished(s, d)) w[d] *= 0.1;
  }
  return rng_weighted(&c->harmony, w, n);
}

/* The chord on deg: a stacked triad plus, growing with intensity, a colour:
 * a seventh or ninth (two or four steps above the fifth), or the third moved
 * to a second or fourth (sus). Pentatonic modes stack every other note of
 * their five, and colour with the steps in between. */
static void build_chord(lull_composer *c, const lull_scale *s, int deg) {
  double in = (double)c->p.intensity;
  int degs[5] = {deg, deg + 2, deg + 4, 0, 0}, n = 3;
  double u = rng_unit(&c->harmony);
  double p7 = 0.15 + 0.5 * in, p9 = 0.05 + 0.3 * in, psus = 0.1 + 0.2 * in;
  const char *colour = "";
  if (s->size == 5) {
    if (u < p7) degs[n++] = deg + 1, colour = "add";
    else if (u < p7 + psus) degs[n++] = deg + 3, colour = "add";
  } else if (u < psus) {
    degs[1] = deg + (rng_chance(&c->harmony, 0.5) ? 1 : 3);
    colour = degs[1] == deg + 1 ? "sus2" : "sus4";
  } else if (u < psus + p9) {
    degs[n++] = deg + 6;
    degs[n++] = deg + 8;
    colour = "9";
  } else if (u < psus + p9 + p7) {
    degs[n++] = deg + 6;
    colour = "7";
  }
  c->chord_deg = deg;
  c->chord_n = n;
  for (int i = 0; i < n; i++) c->chord_pcs[i] = (c->p.key + lull__degree_pc(s, degs[i])) % 12;
  c->chord_root_pc = c->chord_pcs[0];
  /* A name for the status: root, quality from the triad, colour. */
  int t[3];
  triad_pcs(s, deg, t);
  int third = (t[1] - t[0] + 12) % 12, fifth = (t[2] - t[0] + 12) % 12;
  const char *q = s->size == 5 ? "" : third == 4 ? (fifth == 8 ? "+" : "") : (fifth == 6 ? "dim" : "m");
  if (colour[0] == 's') q = "";
  if (colour[0] == '7' && s->size == 7) {
    int seventh = (lull__degree_pc(s, deg + 6) - t[0] + 12) % 12;
    colour = seventh == 11 ? "maj7" : "7";
  }
  snprintf(c->chord_name, sizeof c->chord_name, "%s%s%s", lull__pitch_class_name(c->chord_root_pc), q, colour);
}

/* The pad's register: four voices from lo to lo + 24, moved by the section. */
static int pad_low(const lull_composer *c) { return 45 + c->sec.register_shift; }

static int contains(const int *a, int n, int x) {
  for (int i = 0; i < n; i++)
    if (a[i] == x) return 1;
  return 0;
}

/* Choose the voicing of the current chord that moves least from the last:
 * every set of four distinct chord notes in the register is tried (a few
 * hundred), scored by total movement, plus penalties for a bass that is
 * not the root, a missing chord tone, and seconds between upper voices. */
static void voice_chord(lull_composer *c, int out[PAD_VOICES]) {
  int lo = pad_low(c), hi = lo + 24;
  int cand[32], nc = 0;
  for (int m = lo; m <= hi && nc < 32; m++)
    if (contains(c->chord_pcs, c->chord_n, m % 12)) cand[nc++] = m;
  int prev[PAD_VOICES] = {lo + 7, lo + 12, lo + 15, lo + 19}; /* first chord: around the middle */
  if (c->pad_count == PAD_VOICES) memcpy(prev, c->pad, sizeof prev);
  memcpy(out, prev, sizeof prev); /* (a register always holds >= 4 chord notes) */
  double best = 1e9;
  for (int a = 0; a < nc; a++)
    for (int b = a + 1; b < nc; b++)
      for (int d = b + 1; d < nc; d++)
        for (int e = d + 1; e < nc; e++) {
          int v[PAD_VOICES] = {cand[a], cand[b], cand[d], cand[e]};
          double cost = 0;
          for (int i = 0; i < PAD_VOICES; i++) cost += abs(v[i] - prev[i]);
          if (v[0] % 12 != c->chord_root_pc) cost += 7;
          for (int k = 0; k < c->chord_n && k < 3; k++) {
            int found = 0;
            for (int i = 0; i < PAD_VOICES; i++) found |= v[i] % 12 == c->chord_pcs[k];
            if (!found) cost += 10;
          }
          for (int i = 1; i + 1 < PAD_VOICES; i++)
            if (v[i + 1] - v[i] < 3) cost += 2;
          if (v[3] - v[0] > 19) cost += 3; /* keep it a pad, not a spread */
          if (cost < best) best = cost, memcpy(out, v, sizeof v);
        }
}

/* ---- planning ------------------------------------------------------------- */

static void add(lull_composer *c, double beat, double dur_beats, int part, int kind, int pitch, float vel) {
  if (c->plan_count == PLAN_CAP) return; /* cannot happen: a bar plans far fewer */
  item *it = &c->plan[c->plan_count++];
  it->beat = beat;
  it->duration_beats = dur_beats;
  it->ev = (lull_event){0, 0, (uint8_t)part, (uint8_t)kind, (uint8_t)pitch, 0, vel};
}

static void add_control(lull_composer *c, double beat, int control, float value) {
  add(c, beat, 0, control, LULL_EVENT_SET, 0, value);
}

/* Move the pad to the current chord at beat: notes it keeps go on
 * sounding, the others are released as the new ones enter. */
static void change_pad(lull_composer *c, double beat) {
  int v[PAD_VOICES];
  voice_chord(c, v);
  /* A little life: each chord is touched a bit differently (velocity) and
   * strummed at its own pace. */
  float vel = (float)(0.52 + 0.25 * (double)c->p.intensity + 0.06 * rng_unit(&c->harmony));
  double strum = 0.01 + 0.02 * rng_unit(&c->harmony);
  for (int i = 0; i < c->pad_count; i++)
    if (!contains(v, PAD_VOICES, c->pad[i])) add(c, beat, 0, LULL_PART_PAD, LULL_EVENT_OFF, c->pad[i], 0);
  for (int i = 0; i < PAD_VOICES; i++)
    if (c->pad_count == 0 || !contains(c->pad, c->pad_count, v[i]))
      add(c, beat + strum * i, 0, LULL_PART_PAD, LULL_EVENT_ON, v[i], vel);
  memcpy(c->pad, v, sizeof v);
  c->pad_count = PAD_VOICES;
}

static void new_section(lull_composer *c) {
  rng *r = &c->form;
  section *s = &c->sec;
  s->phrases = rng_range(r, 2, 5);
  s->phrase = 0;
  s->melody = c->sections == 0 || rng_chance(r, 0.8); /* a listener arriving hears the melody soon */
  s->percussion = rng_chance(r, 0.75);
  s->chord_bars = rng_chance(r, 0.7) ? 2 : 4;
  static const int shifts[4] = {-3, 0, 0, 3};
  s->register_shift = shifts[rng_range(r, 0, 3)];
  s->density = 0.6 + 0.8 * rng_unit(r);
  s->brightness = -0.15 + 0.3 * rng_unit(r);
  c->sections++;
}

static double brightness(const lull_composer *c) {
  /* Intensity sets it; the section and a slow 7-phrase cycle move it. */
  double cyc = 0.08 * sin(2.0 * M_PI * (double)c->phrase_index / 7.0);
  double b = 0.2 + 0.6 * (double)c->p.intensity + c->sec.brightness + cyc;
  return b < 0 ? 0 : b > 1 ? 1 : b;
}

/* Keep loudness near -16 LUFS whatever the intensity: quiet settings are
 * sparse and dark, so they get a little more gain. */
static float gain_db(const lull_composer *c) { return (float)(-2.6 - 3.4 * (double)c->p.intensity); }

static int melody_range_low(const lull_composer *c) { return pad_low(c) + 22; }

/* Melody notes of one bar from beat `from` (absolute) on. */
static void plan_melody(lull_composer *c, const lull_scale *s, uint64_t bar, double from, int bar_in_phrase) {
  if (!c->sec.melody) return;
  rng *r = &c->melody;
  double in = (double)c->p.intensity;
  double cycle = 1.0 + 0.2 * sin(2.0 * M_PI * (double)c->phrase_index / 5.0 + 1.0);
  double target = (0.3 + 4.5 * pow(in, 1.2)) * c->sec.density * cycle;
  if (bar_in_phrase == BARS_PER_PHRASE - 1) target *= 0.5; /* breathe at the phrase's end */
  int n = (int)floor(target + rng_unit(r));
  if (n > 8) n = 8;
  if (n <= 0) return;
  /* Onsets among the bar's eighths, strong beats likelier. */
  static const double weight[8] = {4, 1, 2.5, 1, 3, 1, 2, 1};
  double w[8];
  int on[8] = {0};
  memcpy(w, weight, sizeof w);
  double bar_start = (double)(bar * BEATS_PER_BAR);
  for (int k = 0; k < 8; k++)
    if (bar_start + 0.5 * k < from) w[k] = 0;
  for (int i = 0; i < n; i++) {
    int k = rng_weighted(r, w, 8);
    if (w[k] <= 0) break;
    on[k] = 1;
    w[k] = 0;
  }
  int lo = melody_range_low(c), hi = lo + 19;
  int tonic = TONIC_MIDI_BASE + c->p.key;
  if (!c->have_melody) {
    /* Start in the lower middle of the range: phrases rise first. */
    int start = lo + rng_range(r, 3, 9);
    c->melody_deg = 0;
    while (lull__degree_note(s, tonic, c->melody_deg) < start) c->melody_deg++;
    c->have_melody = 1;
  }
  int dir = bar_in_phrase < BARS_PER_PHRASE / 2 ? 1 : -1; /* the phrase's arc */
  for (int k = 0; k < 8; k++) {
    if (!on[k]) continue;
    int strong = k == 0 || k == 4;
    int deg = c->melody_deg;
    if (strong) {
      /* The nearest chord tone, leaning the arc's way; standing still costs
       * a little, so a line moves when it can. */
      int best = deg, bestd = 99;
      for (int dd = -3; dd <= 3; dd++) {
        int cand = deg + dd, note = lull__degree_note(s, tonic, cand);
        if (note < lo || note > hi) continue;
        int score = 4 * abs(dd) - 2 * (dd * dir > 0) + 3 * (dd == 0);
        if (contains(c->chord_pcs, c->chord_n, note % 12) && score < bestd) best = cand, bestd = score;
      }
      deg = best;
    } else {
      double u = rng_unit(r);
      deg += u < 0.6 ? dir : u < 0.82 ? -dir : u < 0.94 ? 2 * dir : 0;
    }
    /* Stay in range: turn back at the edges. */
    while (lull__degree_note(s, tonic, deg) > hi) deg -= 1, dir = -1;
    while (lull__degree_note(s, tonic, deg) < lo) deg += 1, dir = 1;
    c->melody_deg = deg;
    int next = k + 1;
    while (next < 8 && !on[next]) next++;
    double len = 0.5 * (next - k) * 0.92;
    if (next == 8) len = 0.5 * (8 - k) + (bar_in_phrase == BARS_PER_PHRASE - 1 ? 2.0 : 0.5);
    if (len > 3.0) len = 3.0;
    float vel = (float)(0.42 + 0.12 * strong + 0.12 * in + 0.08 * rng_unit(r));
    add(c, bar_start + 0.5 * k, len, LULL_PART_LEAD, LULL_EVENT_ON, lull__degree_note(s, tonic, deg), vel);
  }
}

/* Percussion: none when quiet; kicks on downbeats, swells at phrase
 * boundaries, hats only when intense. Never busy. */
static void plan_percussion(lull_composer *c, uint64_t bar, double from, int bar_in_phrase) {
  rng *r = &c->percussion;
  double in = (double)c->p.intensity, bar_start = (double)(bar * BEATS_PER_BAR);
  if (bar_start >= from && (bar_in_phrase == 0 || (bar_in_phrase == 4 && in > 0.6)) && in >= 0.15 &&
      rng_chance(r, 0.85))
    add(c, bar_start, 2.0 * BEATS_PER_BAR, LULL_PART_SWELL, LULL_EVENT_HIT, 60, (float)(0.35 + 0.45 * in));
  if (!c->sec.percussion) return;
  if (in >= 0.35 && bar_start >= from && (in >= 0.6 || bar % 2 == 0))
    add(c, bar_start, 0, LULL_PART_KICK, LULL_EVENT_HIT, 36, (float)(0.45 + 0.4 * in));
  if (in >= 0.85 && bar_start + 2 >= from && rng_chance(r, 0.5))
    add(c, bar_start + 2, 0, LULL_PART_KICK, LULL_EVENT_HIT, 36, (float)(0.3 + 0.3 * in));
  if (in >= 0.7)
    for (int b = 0; b < BEATS_PER_BAR; b++) {
      double at = bar_start + b + 0.5;
      if (at >= from && rng_chance(r, (in - 0.6) * 1.5))
        add(c, at, 0, LULL_PART_HAT, LULL_EVENT_HIT, 42, (float)(0.2 + 0.2 * rng_unit(r)));
    }
}

static int by_beat(const void *a, const void *b) {
  const item *x = a, *y = b;
  return x->beat < y->beat ? -1 : x->beat > y->beat;
}

/* Plan bar `bar`: harmony at its start (where the phrase wants a chord),
 * the form at phrase starts, then melody and percussion. */
static void plan_bar(lull_composer *c, uint64_t bar) {
  const lull_scale *s = lull__scale_of(c->p.mode);
  int bar_in_phrase = (int)(bar % BARS_PER_PHRASE);
  double start = (double)(bar * BEATS_PER_BAR);
  c->plan_count = c->plan_next = 0;
  if (bar_in_phrase == 0) {
    if (bar > 0) c->phrase_index++;
    if (bar == 0 || ++c->sec.phrase >= c->sec.phrases) new_section(c);
  }
  if (bar == 0) {
    add_control(c, 0, LULL_CONTROL_BPM, c->p.bpm);
    add_control(c, 0, LULL_CONTROL_GAIN_DB, gain_db(c));
  }
  float b = (float)brightness(c);
  if (b != c->last_brightness) add_control(c, start, LULL_CONTROL_BRIGHTNESS, b), c->last_brightness = b;
  if (bar != c->harmony_bar && (c->chord_deg < 0 || bar_in_phrase % c->sec.chord_bars == 0)) {
    int deg = next_degree(c, s, c->chord_deg, bar_in_phrase, c->sec.chord_bars);
    build_chord(c, s, deg);
    change_pad(c, start);
  }
  plan_melody(c, s, bar, start, bar_in_phrase);
  plan_percussion(c, bar, start, bar_in_phrase);
  qsort(c->plan, (size_t)c->plan_count, sizeof c->plan[0], by_beat);
  c->next_bar = bar + 1;
}

/* ---- the clock and handing out -------------------------------------------- */

static double len_of(const lull_composer *c, uint64_t b) {
  return b == c->ramp_beat ? c->ramp_len : bpm_len(c, c->p.bpm);
}

/* The frame of a (fractional) beat position at or after the clock's beat.
 * The clock moves on only over beats that start before limit; beyond, the
 * frame is computed at the present tempo without fixing anything. */
static double frame_of(lull_composer *c, double beat, double limit) {
  while ((double)(c->beat + 1) <= beat && c->beat_start + c->beat_len < limit) {
    c->beat_start += c->beat_len;
    c->beat++;
    c->beat_len = len_of(c, c->beat);
  }
  double start = c->beat_start, len = c->beat_len;
  for (uint64_t b = c->beat + 1; (double)b <= beat; b++) start += len, len = len_of(c, b);
  return start + (beat - floor(beat)) * len;
}

/* The beat position (fractional) of frame f, within or after the clock's beat. */
static double beat_at(const lull_composer *c, double f) {
  double start = c->beat_start, len = c->beat_len;
  uint64_t b = c->beat;
  while (f >= start + len) start += len, len = len_of(c, ++b);
  return (double)b + (f - start) / len;
}

/* Apply pending params. Harmony and tempo change at beat `at`, the first
 * not handed out: what was planned from there is dropped, the pad moves to
 * the new key's tonic chord and the rest of the bar is planned again; the
 * tempo ramps over that beat. Intensity's glide starts at once, at frame
 * `now`; its writing follows from the next bar. */
static void apply_pending(lull_composer *c, uint64_t at, double now) {
  lull_params old = c->p;
  c->p = c->pending;
  c->has_pending = 0;
  int harmony = old.key != c->p.key || old.mode != c->p.mode;
  uint64_t bar = at / BEATS_PER_BAR;
  int bar_line = at % BEATS_PER_BAR == 0;
  /* Keep what comes before `at`. */
  int keep = c->plan_next;
  while (keep < c->plan_count && c->plan[keep].beat < (double)at) keep++;
  if (harmony || !bar_line) c->plan_count = keep;
  if (old.bpm != c->p.bpm) {
    /* Beat `at` is the ramp (the mean of the old and new lengths). */
    c->ramp_beat = at;
    c->ramp_len = 0.5 * (bpm_len(c, old.bpm) + bpm_len(c, c->p.bpm));
    if (c->beat == at) c->beat_len = c->ramp_len;
    add_control(c, (double)at, LULL_CONTROL_BPM, (float)(60.0 * c->rate / c->ramp_len));
    add_control(c, (double)at + 1, LULL_CONTROL_BPM, c->p.bpm);
  }
  if (old.intensity != c->p.intensity) {
    double b = beat_at(c, now);
    float bright = (float)brightness(c);
    add_control(c, b, LULL_CONTROL_BRIGHTNESS, bright);
    add_control(c, b, LULL_CONTROL_GAIN_DB, gain_db(c));
    c->last_brightness = bright;
  }
  const lull_scale *s = lull__scale_of(c->p.mode);
  if (harmony) {
    build_chord(c, s, 0); /* a new key is announced by its tonic chord */
    change_pad(c, (double)at);
    c->harmony_bar = bar;
  }
  if (!bar_line) {
    /* The rest of this bar again: melody in the new scale, percussion at the
     * new intensity (what was planned there was dropped above). */
    plan_melody(c, s, bar, (double)at, (int)(bar % BARS_PER_PHRASE));
    plan_percussion(c, bar, (double)at, (int)(bar % BARS_PER_PHRASE));
    c->next_bar = bar + 1;
  } else {
    c->next_bar = bar; /* plan_bar writes the whole bar */
  }
  qsort(c->plan + c->plan_next, (size_t)(c->plan_count - c->plan_next), sizeof c->plan[0], by_beat);
}

size_t lull__composer_fill(lull_composer *c, uint64_t until, lull_event *out, size_t cap) {
  size_t n = 0;
  const double limit = (double)until;
  if (c->has_pending) {
    /* The first beat that starts at or after what was handed out. */
    double now = (double)c->handed_until;
    uint64_t at = c->beat;
    while (frame_of(c, (double)at, now) < now) at++;
    apply_pending(c, at, now);
  }
  while (n < cap) {
    if (c->plan_next >= c->plan_count) {
      /* Plan the next bar only once its start is before until. */
      if (frame_of(c, (double)(c->next_bar * BEATS_PER_BAR), limit) >= limit) break;
      plan_bar(c, c->next_bar);
      continue;
    }
    item *it = &c->plan[c->plan_next];
    double f = frame_of(c, it->beat, limit);
    if (f >= limit) break;
    lull_event ev = it->ev;
    ev.frame = (uint64_t)llround(f);
    if (ev.frame < c->handed_until) ev.frame = c->handed_until; /* never behind what was handed out */
    if (it->duration_beats > 0) ev.duration_frames = (uint64_t)llround(it->duration_beats * c->beat_len);
    out[n++] = ev;
    c->plan_next++;
  }
  if (until > c->handed_until && n < cap) c->handed_until = until;
  return n;
}

int lull__composer_set_params(lull_composer *c, const lull_params *params, lull_diag *diag) {
  int err = lull_params_validate(params, diag);
  if (err) return err;
  if (params->seed != c->p.seed)
    return lull_diag_set(diag, LULL_EINVAL, "seed", "cannot change while composing (it fixes the whole piece)");
  c->pending = *params;
  c->has_pending = 1;
  return LULL_OK;
}

void lull__composer_status(const lull_composer *c, lull_composer_status *s) {
  s->params = c->p;
  snprintf(s->chord, sizeof s->chord, "%s", c->chord_name);
  s->bar = c->next_bar ? c->next_bar - 1 : 0;
  s->section = c->sections;
  s->section_phrase = (uint32_t)c->sec.phrase;
  s->section_phrases = (uint32_t)c->sec.phrases;
}
