/* The composer. Time is counted in beats (4 to a bar); each bar is planned
 * when the first of its events is needed, as items at fractional beat
 * positions, and handed out as frames only when asked for, so a change of
 * params can still reach every beat not handed out yet.
 *
 * What it writes, and why (issue "music that breathes"):
 * - Harmony: chords are stacks of scale degrees, so every note is in the
 *   scale in force. Phrases are 2-5 chords of unequal lengths (long at low
 *   intensity: tens of seconds), open mostly but not always on the tonic and
 *   close on a cadence chord. The bass steps: inversions are chosen for the
 *   smallest bass move; some phrases hold a pedal under changing chords.
 *   Some sections travel to a neighbouring mode or key and come home.
 * - Layers (lead, bass, air, loops, percussion) fade in and out over tens of
 *   seconds (their velocities glide) instead of switching at a phrase line;
 *   the pad is always there: it is the body.
 * - Melody: each section draws a motif (3-6 notes, intervals and rhythm)
 *   and develops it: repeated, moved onto the chord of the moment,
 *   inverted, stretched, cut to a fragment; a phrase is at most a dozen
 *   notes, ends on a stable degree and is followed by rest.
 * - Loops (Eno's tape loops): two or three short loops of scale tones with
 *   periods in seconds that share no beat, anchored in time, not in bars.
 * - Off the grid: onsets humanised by tens of milliseconds, durations
 *   varied, the tempo breathes a few percent over minutes; swells come on
 *   free periods, the kick is a heartbeat, hats move.
 *
 * Everything random comes from xoshiro256** streams seeded from the seed by
 * splitmix64: one stream each for harmony, melody, percussion, form and
 * loops, so a change in one does not shift the others. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compose/compose.h"
#include "theory/theory.h"

#define BEATS_PER_BAR 4
#define PLAN_CAP 256
#define PAD_VOICES 4
#define TONIC_MIDI_BASE 48 /* C3: the pad's tonic octave */
#define CHORDS_MAX 5
#define MOTIF_MAX 6
#define PHRASE_NOTES 12 /* a melodic phrase: at most a dozen notes, then rest */
#define STMTS_MAX 4
#define LOOPS_MAX 3
#define LOOP_TONES 3
#define FADE_S 30.0    /* a layer fades fully in or out over this long */
#define HUMAN_MS 35.0  /* the largest delay of a humanised onset */
#define BASS_LO 31     /* G1 */
#define AIR_LO 96      /* C7: above the lead, where the air is */
#define AIR_HI 108
#define NO_DEG (-1000) /* an item that is not a scale degree */
#define HELD_MAX 16    /* held notes of a part sounding at once, counted at hand-out */

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
static int rng_sign(rng *r) { return rng_chance(r, 0.5) ? 1 : -1; }

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

static double clampd(double x, double lo, double hi) { return x < lo ? lo : x > hi ? hi : x; }

/* ---- how each palette is written for ------------------------------------- */

enum { LEAD_NONE = 0, LEAD_MOTIF, LEAD_ARP };

typedef struct writing {
  int drums, swells, lead;
  double lead_density; /* times the chance of each further statement (motif) or arpeggio (harp) */
  double loop_period;  /* loop periods times this: bells sparser */
  double bell_beats;   /* a loop tone's length: long decays ring on */
  int pad_shift;       /* semitones the pad moves (none today: the drone voice itself sounds an octave down) */
  int lead_shift;
  double air_beats;    /* > 0: the air is a bed of notes this long, one at a time; < 0: no air */
} writing;

static const writing writings[LULL_PALETTE_COUNT] = {
    [LULL_PALETTE_CLASSIC] = {1, 1, LEAD_MOTIF, 1.0, 1.0, 3.0, 0, 0, 0},
    /* Glass: the harp arpeggiates the chord; bells sparse with long decays; rain for air. */
    [LULL_PALETTE_GLASS] = {0, 1, LEAD_ARP, 1.0, 1.5, 10.0, 0, 0, 48},
    /* Strings: the ensemble holds the voice-led chord; the harp arpeggiates,
     * less often; a rare glass bell; no air. */
    [LULL_PALETTE_STRINGS] = {0, 1, LEAD_ARP, 0.6, 2.2, 10.0, 0, -12, -1},
    /* Keys: the piano plays the motifs; kalimba loops short; brushes; no air. */
    [LULL_PALETTE_KEYS] = {1, 0, LEAD_MOTIF, 1.0, 0.8, 2.0, 0, 0, -1},
    /* Night: the drone (its voice sounds an octave down), few and slow lead notes, sparse bells, wind. */
    [LULL_PALETTE_NIGHT] = {0, 1, LEAD_MOTIF, 0.35, 2.0, 12.0, 0, 0, 64},
    /* Tape: the piano plays the motifs; guitar loops; surf for air; brushes. */
    [LULL_PALETTE_TAPE] = {1, 1, LEAD_MOTIF, 0.9, 1.0, 4.0, 0, 0, 40},
};

/* ---- state --------------------------------------------------------------- */

typedef struct item {
  double beat; /* absolute, fractional */
  double duration_beats;
  int deg;     /* the scale degree it sounds (NO_DEG: none), to move it to another scale */
  int order;   /* planning order: equal beats keep it */
  lull_event ev;
} item;

/* The layers that come and go; the pad stays. */
enum { L_LEAD, L_BASS, L_AIR, L_LOOPS, L_PERC, LAYERS };

typedef struct section {
  int phrases, phrase;    /* length and position, in harmonic phrases */
  int register_shift;     /* semitones the pad sits up or down */
  double density;         /* melody statements, times */
  double brightness;      /* offset to the brightness intensity sets */
  double target[LAYERS];  /* where each layer's presence glides to */
} section;

/* A motif: intervals in scale steps from its first note, onsets and
 * lengths in beats. */
typedef struct motif {
  int n;
  int step[MOTIF_MAX];
  double at[MOTIF_MAX], dur[MOTIF_MAX];
  double pickup; /* where in its two bars it starts */
} motif;

/* A note of the melodic phrase being played: its degree is fixed only when
 * its bar is planned (rel steps from its statement's anchor, which is the
 * chord tone of that moment nearest the line). */
typedef struct mnote {
  double beat, dur;
  int rel, stmt, last;
  double vel;
} mnote;

/* A tape loop: tones at fixed offsets within a period in seconds. */
typedef struct loop {
  double period_s;
  int n;
  int deg[LOOP_TONES];
  double next_s[LOOP_TONES]; /* the tone's next time */
  double vel;
} loop;

struct lull_composer {
  lull_params p, pending;
  int has_pending;
  float daylight; /* 0 night .. 1 midday; < 0: no day cycle */
  double rate;
  rng harmony, melody, percussion, form, loops;

  /* The clock: beat `beat` starts at frame beat_start and lasts beat_len.
   * It only moves over beats that start before what was asked for, so the
   * lengths of later beats are still free to change (a tempo ramp). */
  uint64_t beat;
  double beat_start, beat_len;
  uint64_t ramp_beat; /* this beat has length ramp_len (a tempo change) */
  double ramp_len;
  double breath_bars, breath_phase; /* the tempo's slow breathing */
  uint64_t handed_until; /* every event before this frame has been handed out */

  item plan[PLAN_CAP];
  int plan_count, plan_next, plan_order;
  item spill;          /* where an item goes when the plan is full */
  uint64_t lost;       /* items that found the plan full (should stay 0) */
  uint64_t last_frame; /* the frame of the last event handed out */

  /* What the held parts sound as events are handed out: pad notes until
   * their OFF, bass and air until their length runs out (or an OFF). A
   * change of key releases exactly these. */
  int pad_on[HELD_MAX], pad_on_n;
  int held_pitch[2][HELD_MAX], held_n[2]; /* [0] bass, [1] air */
  uint64_t held_end[2][HELD_MAX];
  uint64_t next_bar; /* the next bar to plan */
  uint64_t bar_frame; /* where the last bar planned starts */

  /* Where the music is: home is the params' key and mode. */
  int key, mode, excursion;
  uint64_t scale_since; /* frame where the scale in force began */

  /* Harmony. */
  int chord_deg, chord_pcs[5], chord_n, chord_root_pc; /* pcs relative to C */
  int pad[HELD_MAX], pad_count;                        /* pad notes sounding after the last change (ascending) */
  int pad_at_switch[HELD_MAX], pad_at_switch_n;        /* the pad at a palette change's bar line */
  int chord_beats[CHORDS_MAX], chords, chord_i;         /* the phrase's chord plan */
  double next_chord_beat, phrase_beats;
  int pedal, pedal_note;  /* the bass holds pedal_note this phrase */
  int air[2], air_count;  /* the air notes of the current chord */
  char chord_name[16];

  /* Melody. */
  motif motif;
  mnote mel[PHRASE_NOTES];
  int mel_count, mel_next;
  int anchor[STMTS_MAX], shift[STMTS_MAX];
  double rest_until; /* beat: the next melodic phrase starts no earlier */
  int melody_deg, have_melody;
  int leap; /* the last move, in steps, if it was a leap to recover from */

  loop loop[LOOPS_MAX];
  int loop_count;
  double next_swell_s;

  const writing *w;     /* the palette's, from the next bar */
  int palette_switch;   /* the next bar brings the palette in */
  double arp_until;     /* beat: the harp's next arpeggio starts no earlier */
  double air_bed_until; /* beat: the air bed's next note */

  section sec;
  double pres[LAYERS];
  uint32_t sections;
  uint64_t phrase_index;
  float last_brightness, last_bpm;
};

static double tempo_len(const lull_composer *c, float bpm, uint64_t beat);

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
  c->daylight = -1.0f;
  c->w = &writings[params->palette];
  c->rate = sample_rate_hz;
  rng_seed(&c->harmony, params->seed, 1);
  rng_seed(&c->melody, params->seed, 2);
  rng_seed(&c->percussion, params->seed, 3);
  rng_seed(&c->form, params->seed, 4);
  rng_seed(&c->loops, params->seed, 5);
  /* Breathing: a period of 50-90 bars (minutes at any tempo), from the seed. */
  c->breath_bars = 50.0 + 40.0 * rng_unit(&c->form);
  c->breath_phase = 2.0 * M_PI * rng_unit(&c->form);
  c->ramp_beat = UINT64_MAX;
  c->beat_len = tempo_len(c, params->bpm, 0);
  c->key = params->key;
  c->mode = params->mode;
  c->chord_deg = -1;
  c->last_brightness = c->last_bpm = -1;
  *out = c;
  return LULL_OK;
}

void lull__composer_destroy(lull_composer *c) { free(c); }

static const lull_scale *scale_now(const lull_composer *c) { return lull__scale_of(c->mode); }
static int tonic_midi(const lull_composer *c) { return TONIC_MIDI_BASE + c->key; }

/* ---- the clock ------------------------------------------------------------ */

/* The tempo breathes a few percent over minutes: two slow sines per bar. */
static double breath(const lull_composer *c, uint64_t beat) {
  double bar = (double)(beat / BEATS_PER_BAR);
  return 1.0 + 0.018 * sin(2.0 * M_PI * bar / c->breath_bars + c->breath_phase) +
         0.008 * sin(2.0 * M_PI * bar / (c->breath_bars * 2.37));
}

static double day_offset(const lull_composer *c);

static double tempo_len(const lull_composer *c, float bpm, uint64_t beat) {
  double t = clampd((double)bpm * breath(c, beat) * (1.0 + 0.06 * day_offset(c)), LULL_BPM_MIN, LULL_BPM_MAX);
  return 60.0 * c->rate / t;
}

static double len_of(const lull_composer *c, uint64_t b) {
  return b == c->ramp_beat ? c->ramp_len : tempo_len(c, c->p.bpm, b);
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

/* ---- planning helpers ------------------------------------------------------ */

static item *add(lull_composer *c, double beat, double dur_beats, int part, int kind, int pitch, float vel) {
  /* A bar plans far fewer than PLAN_CAP, and steering replaces what it
   * planned before: a full plan is a fault, counted (the status has it). */
  if (c->plan_count == PLAN_CAP) {
    c->lost++;
    return &c->spill;
  }
  item *it = &c->plan[c->plan_count++];
  it->beat = beat;
  it->duration_beats = dur_beats;
  it->deg = NO_DEG;
  it->order = c->plan_order++;
  vel = vel < 0.0f ? 0.0f : vel > 1.0f ? 1.0f : vel;
  it->ev = (lull_event){0, 0, (uint8_t)part, (uint8_t)kind, (uint8_t)pitch, 0, vel};
  return it;
}

static void add_control(lull_composer *c, double beat, int control, float value) {
  add(c, beat, 0, control, LULL_EVENT_SET, 0, 0)->ev.velocity = value;
}

/* A late onset: up to max_ms after beat, never past the bar's end (so each
 * bar's notes sound within it, in its scale). */
static double human(const lull_composer *c, rng *r, double beat, double bar_end, double max_ms) {
  double b = beat + rng_unit(r) * max_ms * 0.001 * c->rate / c->beat_len;
  return b < bar_end - 0.01 ? b : beat;
}

static int contains(const int *a, int n, int x) {
  for (int i = 0; i < n; i++)
    if (a[i] == x) return 1;
  return 0;
}

static int is_chord_tone(const lull_composer *c, int note) { return contains(c->chord_pcs, c->chord_n, note % 12); }

static int stable_degree(const lull_scale *s, int deg) {
  int d = ((deg % s->size) + s->size) % s->size;
  return s->size == 7 ? (d == 0 || d == 2 || d == 4) : (d == 0 || d == 2 || d == 3);
}

/* The note of deg in the current scale, folded by octaves into [lo, hi]. */
static int fold_degree(const lull_composer *c, int deg, int lo, int hi) {
  const lull_scale *s = scale_now(c);
  while (lull__degree_note(s, tonic_midi(c), deg) > hi) deg -= s->size;
  while (lull__degree_note(s, tonic_midi(c), deg) < lo) deg += s->size;
  return deg;
}

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

static int next_degree(lull_composer *c, const lull_scale *s, int from, int first, int last) {
  double w[7] = {0};
  int n = s->size;
  for (int d = 0; d < n; d++) {
    if (first) {
      /* Phrases open on the tonic less than half the time: its relative,
       * the subdominant and the mode's colour open them too. */
      static const double open7[7] = {3.0, 0.5, 0.6, 1.3, 0.4, 1.6, 0.3};
      w[d] = n == 7 ? open7[d] * mode_boost(c->mode, d) : d == 0 ? 2.0 : 0.8;
      if (d == from) w[d] *= 0.3;
    } else if (n == 5) {
      w[d] = d == from ? 0.0 : d == 0 ? (last ? 0.5 : 2.0) : 1.0;
    } else if (last) {
      /* Cadence: into the dominant, subdominant or the mode's colour, ready
       * to fall back to the tonic. */
      static const double cadence[7] = {0.0, 0.8, 0.2, 2.5, 3.0, 0.6, 1.2};
      w[d] = d == from ? 0.0 : cadence[d] * mode_boost(c->mode, d);
    } else {
      w[d] = (from < 0 ? 1.0 : step7[from][d]) * mode_boost(c->mode, d);
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
  for (int i = 0; i < n; i++) c->chord_pcs[i] = (c->key + lull__degree_pc(s, degs[i])) % 12;
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
static int pad_low(const lull_composer *c) { return 45 + c->sec.register_shift + c->w->pad_shift; }

/* The bass's pitch class for the chord: root, third or fifth, whichever
 * moves least from the last bass (a step, mostly), the root preferred,
 * above all where a phrase opens. */
static int choose_bass_pc(lull_composer *c, int first) {
  if (c->pad_count < PAD_VOICES) return c->chord_root_pc;
  int prev = c->pad[0], best = c->chord_root_pc;
  double best_cost = 1e9;
  for (int k = 0; k < 3 && k < c->chord_n; k++) {
    int pc = c->chord_pcs[k];
    int up = ((pc - prev) % 12 + 12) % 12, move = up <= 6 ? up : 12 - up;
    double cost = move + (k ? 1.0 : 0.0) + (first && k ? 1.5 : 0.0) + (move == 0 ? 1.0 : 0.0) + 0.5 * rng_unit(&c->harmony);
    if (cost < best_cost) best_cost = cost, best = pc;
  }
  return best;
}

/* Choose the voicing of the current chord that moves least from the last:
 * every set of four distinct chord notes in the register is tried (a few
 * hundred), scored by total movement, plus penalties for a bass that is
 * not bass_pc, a missing chord tone, and seconds between upper voices. */
static void voice_chord(lull_composer *c, int bass_pc, int out[PAD_VOICES]) {
  int lo = pad_low(c), hi = lo + 24;
  int cand[32], nc = 0;
  for (int m = lo; m <= hi && nc < 32; m++)
    if (is_chord_tone(c, m)) cand[nc++] = m;
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
          if (v[0] % 12 != bass_pc) cost += 14;
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

/* Move the pad (and bass and air) to the current chord at beat, for
 * dur_beats: notes the pad keeps go on sounding, the others are released as
 * the new ones enter. */
static void change_harmony(lull_composer *c, double beat, double dur_beats, int first) {
  rng *r = &c->harmony;
  int v[PAD_VOICES];
  voice_chord(c, choose_bass_pc(c, first), v);
  /* (c->pad holds what sounds: after a change of key, maybe not 4.) */
  /* A little life: each chord is touched a bit differently (velocity) and
   * strummed at its own pace. */
  float vel = (float)(0.52 + 0.25 * (double)c->p.intensity + 0.06 * rng_unit(r));
  double strum = 0.02 + 0.05 * rng_unit(r);
  for (int i = 0; i < c->pad_count; i++)
    if (!contains(v, PAD_VOICES, c->pad[i])) add(c, beat, 0, LULL_PART_PAD, LULL_EVENT_OFF, c->pad[i], 0);
  for (int i = 0; i < PAD_VOICES; i++)
    if (c->pad_count == 0 || !contains(c->pad, c->pad_count, v[i]))
      add(c, beat + strum * i, 0, LULL_PART_PAD, LULL_EVENT_ON, v[i], vel);
  memcpy(c->pad, v, sizeof v);
  c->pad_count = PAD_VOICES;

  /* The bass: an octave under the pad's lowest voice, or the phrase's pedal. */
  double bass = c->pres[L_BASS];
  if (bass > 0.04) {
    int note = c->pedal ? c->pedal_note : v[0] - 12;
    while (note < BASS_LO) note += 12;
    double len = c->pedal ? c->phrase_beats : dur_beats;
    if (!c->pedal || first) {
      float bv = (float)((0.55 + 0.15 * rng_unit(r)) * bass);
      add(c, beat, len + 0.25, LULL_PART_BASS, LULL_EVENT_ON, note, bv);
    }
  }
  /* Air: one or two chord tones high above, breathing in slowly. */
  c->air_count = 0;
  double air = c->pres[L_AIR];
  if (air > 0.04 && c->w->air_beats == 0 && rng_chance(r, 0.8)) {
    int n = rng_chance(r, 0.4) ? 2 : 1;
    for (int i = 0; i < n; i++) {
      int pc = c->chord_pcs[rng_range(r, 0, c->chord_n - 1)];
      int note = AIR_LO + ((pc - AIR_LO) % 12 + 12) % 12 + (rng_chance(r, 0.4) ? 12 : 0);
      if (note > AIR_HI) note -= 12;
      if (contains(c->air, c->air_count, note)) continue;
      float av = (float)((0.65 + 0.35 * rng_unit(r)) * air);
      add(c, beat + 0.5 * i, dur_beats + 2.0, LULL_PART_AIR, LULL_EVENT_ON, note, av);
      c->air[c->air_count++] = note;
    }
  }
}

/* ---- form ------------------------------------------------------------------- */

static void new_motif(lull_composer *c) {
  rng *r = &c->melody;
  motif *m = &c->motif;
  const lull_scale *s = scale_now(c);
  double in = (double)c->p.intensity;
  m->n = rng_range(r, 3, in > 0.5 ? 6 : 5);
  static const double gaps[6] = {0.5, 1.0, 1.5, 2.0, 3.0, 1.0};
  static const double gap_w[6] = {2.0, 3.0, 1.5, 2.0, 0.8, 0.0};
  int cur = 0, leap = 0;
  double at = 0;
  for (int i = 0; i < m->n; i++) {
    if (i > 0) {
      double g = gaps[rng_weighted(r, gap_w, 6)];
      m->dur[i - 1] = g * (0.7 + 0.25 * rng_unit(r));
      at += g;
      if (leap) {
        cur += leap > 0 ? -1 : 1; /* a leap is recovered by step */
        leap = 0;
      } else {
        double u = rng_unit(r);
        int sign = rng_sign(r);
        if (u < 0.58) cur += sign;
        else if (u < 0.78) cur += 2 * sign;
        else if (u < 0.98) { /* a fourth to a sixth */
          leap = sign * (s->size == 7 ? rng_range(r, 3, 5) : rng_range(r, 2, 3));
          cur += leap;
        } /* else: a repeated note, rarely */
      }
    }
    m->at[i] = at;
    m->step[i] = cur;
  }
  m->dur[m->n - 1] = 1.5 + 1.5 * rng_unit(r);
  if (at > 6.0) /* fit two bars */
    for (int i = 0; i < m->n; i++) m->at[i] *= 6.0 / at, m->dur[i] *= 6.0 / at;
  m->pickup = 0.5 * rng_range(r, 0, 3);
  if (m->pickup + at > 7.5) m->pickup = 0;
}

/* Two or three loops of one to three scale tones, with periods in seconds
 * that share no beat, anchored at time t_s. */
static void new_loops(lull_composer *c, double t_s) {
  rng *r = &c->loops;
  const lull_scale *s = scale_now(c);
  c->loop_count = rng_chance(r, 0.5 + 0.3 * (1.0 - (double)c->p.intensity)) ? 3 : 2;
  static const double deg_w[7] = {3.0, 1.0, 2.5, 1.0, 2.5, 1.2, 0.6};
  for (int i = 0; i < c->loop_count; i++) {
    loop *l = &c->loop[i];
    /* 13-37 s, never a simple ratio of another (whole tenths of a second
     * with an odd hundredth). */
    l->period_s = (13.0 + 24.0 * rng_unit(r)) * c->w->loop_period + 0.013 * (i + 1);
    l->n = rng_range(r, 1, LOOP_TONES);
    double at = t_s + rng_unit(r) * l->period_s;
    for (int j = 0; j < l->n; j++) {
      int deg = rng_weighted(r, deg_w, s->size);
      l->deg[j] = deg + s->size * rng_range(r, 2, 3); /* two or three octaves above the pad's tonic */
      l->next_s[j] = at;
      at += 1.2 + 2.5 * rng_unit(r);
    }
    l->vel = 0.35 + 0.25 * rng_unit(r);
  }
}

/* A neighbouring mode on the same tonic (one note changed), or the same
 * mode a fifth up or down; pentatonic modes move by key only. */
static void choose_excursion(lull_composer *c) {
  rng *r = &c->form;
  int home = c->p.mode;
  static const int near[LULL_MODE_COUNT][2] = {
      [LULL_MODE_IONIAN] = {LULL_MODE_LYDIAN, LULL_MODE_MIXOLYDIAN},
      [LULL_MODE_DORIAN] = {LULL_MODE_AEOLIAN, LULL_MODE_MIXOLYDIAN},
      [LULL_MODE_PHRYGIAN] = {LULL_MODE_AEOLIAN, LULL_MODE_AEOLIAN},
      [LULL_MODE_LYDIAN] = {LULL_MODE_IONIAN, LULL_MODE_IONIAN},
      [LULL_MODE_MIXOLYDIAN] = {LULL_MODE_IONIAN, LULL_MODE_DORIAN},
      [LULL_MODE_AEOLIAN] = {LULL_MODE_DORIAN, LULL_MODE_PHRYGIAN},
      [LULL_MODE_PENTA_MAJOR] = {LULL_MODE_PENTA_MAJOR, LULL_MODE_PENTA_MAJOR},
      [LULL_MODE_PENTA_MINOR] = {LULL_MODE_PENTA_MINOR, LULL_MODE_PENTA_MINOR},
  };
  if (lull__scale_of(home)->size == 7 && rng_chance(r, 0.6)) {
    c->key = c->p.key;
    c->mode = near[home][rng_range(r, 0, 1)];
  } else {
    c->mode = home;
    c->key = (c->p.key + (rng_chance(r, 0.5) ? 7 : 5)) % 12;
  }
  c->excursion = 1;
}

static void new_section(lull_composer *c, double beat) {
  rng *r = &c->form;
  section *s = &c->sec;
  double in = (double)c->p.intensity;
  s->phrases = rng_range(r, 2, 4);
  s->phrase = 0;
  static const int shifts[6] = {-5, -3, 0, 0, 2, 4};
  s->register_shift = shifts[rng_range(r, 0, 5)];
  s->density = 0.6 + 0.8 * rng_unit(r);
  s->brightness = -0.12 + 0.24 * rng_unit(r);
  /* The layers: the lead plays most sections (and the first: a listener
   * arriving hears it soon); the others come and go. */
  s->target[L_LEAD] = c->sections == 0 || rng_chance(r, 0.75) ? 1.0 : 0.0;
  s->target[L_BASS] = rng_chance(r, 0.85) ? 0.7 + 0.3 * rng_unit(r) : 0.0;
  s->target[L_AIR] = rng_chance(r, 0.6 + 0.35 * in) ? 0.6 + 0.4 * rng_unit(r) : 0.0;
  s->target[L_LOOPS] = rng_chance(r, 0.9 - 0.3 * in) ? 0.7 + 0.3 * rng_unit(r) : 0.15;
  s->target[L_PERC] = rng_chance(r, 0.75) ? 1.0 : 0.0;
  if (c->sections == 0)
    for (int l = 0; l < LAYERS; l++) c->pres[l] = s->target[l];
  /* Travel for a section now and then; always come home after. */
  int was_away = c->excursion;
  int key = c->key, mode = c->mode;
  c->key = c->p.key, c->mode = c->p.mode, c->excursion = 0;
  if (c->sections > 0 && !was_away && rng_chance(r, 0.3)) choose_excursion(c);
  double f = frame_of(c, beat, 0);
  if (c->key != key || c->mode != mode || c->sections == 0) c->scale_since = (uint64_t)llround(f);
  c->sections++;
  new_motif(c);
  new_loops(c, f / c->rate);
}

/* A harmonic phrase from beat (a bar line): 2-5 chords of unequal lengths,
 * slower when quiet, the whole a number of bars. */
static void new_phrase(lull_composer *c, double beat) {
  rng *r = &c->harmony;
  double in = (double)c->p.intensity;
  if (c->sections > 0) c->phrase_index++;
  if (c->sections == 0 || ++c->sec.phrase >= c->sec.phrases) new_section(c, beat);
  static const int quiet[4] = {12, 16, 24, 32}, mid[4] = {8, 10, 12, 16}, busy[4] = {6, 8, 8, 12};
  const int *lens = in < 0.3 ? quiet : in < 0.65 ? mid : busy;
  c->chords = rng_range(r, 2, in < 0.3 ? 3 : 5);
  int total = 0;
  for (int i = 0; i < c->chords; i++) total += c->chord_beats[i] = lens[rng_range(r, 0, 3)];
  if (c->chord_beats[c->chords - 1] < 8) c->chord_beats[c->chords - 1] += 2, total += 2;
  if (total % BEATS_PER_BAR) c->chord_beats[c->chords - 1] += BEATS_PER_BAR - total % BEATS_PER_BAR;
  c->phrase_beats = 0;
  for (int i = 0; i < c->chords; i++) c->phrase_beats += c->chord_beats[i];
  c->chord_i = 0;
  c->pedal = rng_chance(r, 0.4 - 0.2 * in) && c->pres[L_BASS] > 0.04;
}

/* The day cycle (Reflection's idea): lighter, denser and a little faster by
 * day, darker, sparser and slower at night; nothing without one. */
static double day_offset(const lull_composer *c) { return c->daylight < 0 ? 0.0 : (double)c->daylight - 0.5; }
static double day_density(const lull_composer *c) { return 1.0 + 0.6 * day_offset(c); }

static double brightness(const lull_composer *c, double t_s) {
  /* Intensity sets it; the section and two slow cycles on free periods
   * (not bars) move it. */
  double cyc = 0.07 * sin(2.0 * M_PI * t_s / 97.0) + 0.04 * sin(2.0 * M_PI * t_s / 263.0 + 1.0);
  double b = 0.46 + 0.52 * (double)c->p.intensity + c->sec.brightness + cyc + 0.24 * day_offset(c);
  return clampd(b, 0.0, 1.0);
}

/* Keep loudness near -16 LUFS whatever the intensity: quiet settings are
 * sparse and dark, so they get a little more gain. */
static float gain_db(const lull_composer *c) { return (float)(-2.6 - 3.4 * (double)c->p.intensity); }

/* ---- melody ----------------------------------------------------------------- */

static int melody_lo(const lull_composer *c) { return 67 + c->sec.register_shift + c->w->lead_shift; }

/* A melodic phrase from beat on: the motif stated one to four times,
 * transformed, at most a dozen notes, then rest. */
static void new_melodic_phrase(lull_composer *c, double beat) {
  rng *r = &c->melody;
  const motif *m = &c->motif;
  double in = (double)c->p.intensity;
  int stmts = 1 + rng_chance(r, 0.25 + 0.6 * in) + rng_chance(r, 0.7 * in * c->sec.density) +
              (in > 0.6 && rng_chance(r, in - 0.5));
  /* The arc: each statement's anchor is pulled up or down from the line. */
  static const int shapes[7][STMTS_MAX] = {{0, 2, 3, 1},  {0, -2, -3, -1}, {0, 2, -1, -2}, {0, -2, 1, 2},
                                           {0, 1, -1, 0}, {0, 1, 2, 4},    {0, -1, 2, 3}};
  const int *shape = shapes[rng_range(r, 0, 6)];
  /* Each statement takes its own two bars (a stretched one four), from the
   * motif's own place in them, so a listener hears the cell come back. */
  double at = beat;
  c->mel_count = c->mel_next = 0;
  for (int st = 0; st < stmts && c->mel_count < PHRASE_NOTES; st++) {
    /* 0 as drawn, 1 inverted, 2 stretched, 3 a fragment. */
    static const double kind_w[4] = {4.0, 1.5, 1.0, 1.5};
    int kind = st == 0 ? 0 : rng_weighted(r, kind_w, 4);
    double stretch = kind == 2 ? 2.0 : 1.0;
    int n = kind == 3 ? rng_range(r, 2, m->n > 2 ? m->n - 1 : 2) : m->n;
    c->anchor[st] = NO_DEG;
    c->shift[st] = shape[st];
    for (int i = 0; i < n && c->mel_count < PHRASE_NOTES; i++) {
      mnote *x = &c->mel[c->mel_count++];
      x->beat = at + m->pickup + m->at[i] * stretch;
      x->dur = m->dur[i] * stretch * (0.8 + 0.35 * rng_unit(r));
      x->rel = kind == 1 ? -m->step[i] : m->step[i];
      x->stmt = st;
      x->last = 0;
      x->vel = 0.44 + 0.1 * (i == 0) + 0.12 * in + 0.08 * rng_unit(r);
    }
    at += 2 * BEATS_PER_BAR * stretch;
    if (in < 0.4 && rng_chance(r, 0.5)) at += 2 * BEATS_PER_BAR; /* room between statements when quiet */
  }
  mnote *last = &c->mel[c->mel_count - 1];
  last->last = 1;
  last->dur = 2.0 + 2.0 * rng_unit(r);
  /* Rest: a bar or more, longer when quiet. */
  double rest = BEATS_PER_BAR * (1.0 + rng_unit(r) * (1.0 + 4.0 * (1.0 - in)));
  c->rest_until = last->beat + last->dur + rest / (c->w->lead_density * day_density(c));
}

/* The degree a statement starts on: the chord tone of the moment nearest
 * the line (pulled by the arc), not the note just played. */
static int anchor_degree(const lull_composer *c, int target, int lo, int hi) {
  const lull_scale *s = scale_now(c);
  int best = target, best_d = 99;
  for (int dd = -3; dd <= 3; dd++) {
    int d = target + dd, note = lull__degree_note(s, tonic_midi(c), d);
    if (note < lo || note > hi || !is_chord_tone(c, note)) continue;
    int cost = 2 * abs(dd) + 7 * (d == c->melody_deg);
    if (cost < best_d) best = d, best_d = cost;
  }
  return best;
}

static void plan_melody(lull_composer *c, double start, double end) {
  rng *r = &c->melody;
  const lull_scale *s = scale_now(c);
  int lo = melody_lo(c), hi = lo + 19;
  if (!c->have_melody) {
    c->melody_deg = fold_degree(c, s->size + 2, lo + 4, hi);
    c->have_melody = 1;
  }
  if (c->mel_next >= c->mel_count && start >= c->rest_until && c->pres[L_LEAD] > 0.1 &&
      fmod(start, 2 * BEATS_PER_BAR) == 0)
    new_melodic_phrase(c, start);
  double pres = c->pres[L_LEAD];
  while (c->mel_next < c->mel_count && c->mel[c->mel_next].beat < end) {
    const mnote *x = &c->mel[c->mel_next++];
    if (c->anchor[x->stmt] == NO_DEG) c->anchor[x->stmt] = anchor_degree(c, c->melody_deg + c->shift[x->stmt], lo, hi);
    int deg = fold_degree(c, c->anchor[x->stmt] + x->rel, lo, hi);
    if (c->leap && x != c->mel) deg = c->melody_deg + (c->leap > 0 ? -1 : 1); /* a leap is recovered by step */
    int move = deg - c->melody_deg;
    c->leap = abs(move) >= (s->size == 7 ? 3 : 2) ? move : 0;
    if (x->last && !stable_degree(s, deg)) {
      /* End on a stable degree: the nearest of 1, 3, 5. */
      int down = deg, up = deg;
      while (!stable_degree(s, down)) down--;
      while (!stable_degree(s, up)) up++;
      int pick = deg - down <= up - deg ? down : up;
      if (pick == c->melody_deg) pick = pick == down ? up : down; /* not the note just played */
      deg = fold_degree(c, pick, lo, hi);
    }
    c->melody_deg = deg;
    if (pres < 0.05) continue;
    double at = x->beat < start ? start : human(c, r, x->beat, end, HUMAN_MS);
    item *it = add(c, at, x->dur, LULL_PART_LEAD, LULL_EVENT_ON, lull__degree_note(s, tonic_midi(c), deg),
                   (float)(x->vel * pres));
    it->deg = deg;
  }
}

/* ---- loops, swells, percussion ---------------------------------------------- */

static void plan_loops(lull_composer *c, double t0, double t1, double end) {
  const lull_scale *s = scale_now(c);
  for (int i = 0; i < c->loop_count; i++) {
    loop *l = &c->loop[i];
    for (int j = 0; j < l->n; j++)
      for (; l->next_s[j] < t1; l->next_s[j] += l->period_s) {
        if (l->next_s[j] < t0 || c->pres[L_LOOPS] < 0.05) continue;
        double beat = beat_at(c, l->next_s[j] * c->rate);
        if (beat >= end) beat = end - 0.01;
        int deg = fold_degree(c, l->deg[j], 64, 90);
        float vel = (float)(l->vel * c->pres[L_LOOPS] * (0.9 + 0.2 * rng_unit(&c->loops)));
        item *it = add(c, beat, c->w->bell_beats, LULL_PART_BELL, LULL_EVENT_ON, lull__degree_note(s, tonic_midi(c), deg), vel);
        it->deg = deg;
      }
  }
}

/* Swells on free periods (tens of seconds), each its own length and
 * strength, a band of noise around a chord tone. */
static void plan_swells(lull_composer *c, double t0, double t1, double end) {
  rng *r = &c->percussion;
  double in = (double)c->p.intensity;
  if (c->next_swell_s <= 0) c->next_swell_s = 6.0 + 20.0 * rng_unit(r);
  for (; c->next_swell_s < t1; c->next_swell_s += 22.0 + 40.0 * rng_unit(r) - 12.0 * in) {
    if (c->next_swell_s < t0 || in < 0.15 || !c->w->swells) continue;
    double beat = beat_at(c, c->next_swell_s * c->rate);
    if (beat >= end) beat = end - 0.01;
    double len_s = 5.0 + 8.0 * rng_unit(r);
    int pc = c->chord_pcs[rng_range(r, 0, c->chord_n - 1)];
    int note = 72 + ((pc - 72) % 12 + 12) % 12 + 12 * rng_range(r, 0, 1);
    float vel = (float)((0.25 + 0.5 * rng_unit(r)) * (0.6 + 0.4 * in));
    add(c, beat, len_s * c->rate / c->beat_len, LULL_PART_SWELL, LULL_EVENT_HIT, note, vel);
  }
}

/* The kick is a heartbeat: some bars, a beat and sometimes its softer echo,
 * never the same strength twice; hats wander over the off-beats. */
static void plan_percussion(lull_composer *c, double start, double end) {
  rng *r = &c->percussion;
  double in = (double)c->p.intensity, pres = c->pres[L_PERC];
  if (pres < 0.05 || !c->w->drums) return;
  if (in >= 0.35 && rng_chance(r, 0.3 + 0.5 * (in - 0.35) / 0.65)) {
    float v = (float)((0.4 + 0.3 * in + 0.2 * rng_unit(r)) * pres);
    add(c, human(c, r, start, end, 12), 0, LULL_PART_KICK, LULL_EVENT_HIT, 36, v);
    if (rng_chance(r, 0.45))
      add(c, human(c, r, start + (rng_chance(r, 0.5) ? 0.5 : 0.75), end, 15), 0, LULL_PART_KICK, LULL_EVENT_HIT, 36,
          v * (float)(0.5 + 0.2 * rng_unit(r)));
    if (in >= 0.8 && rng_chance(r, 0.3))
      add(c, human(c, r, start + 2, end, 15), 0, LULL_PART_KICK, LULL_EVENT_HIT, 36, v * 0.7f);
  }
  if (in >= 0.65) {
    static const double at[6] = {0.5, 1.5, 2.5, 3.5, 1.75, 3.25};
    for (int k = 0; k < 6; k++)
      if (rng_chance(r, (in - 0.55) * (k < 4 ? 1.0 : 0.5)))
        add(c, human(c, r, start + at[k], end, 20), 0, LULL_PART_HAT, LULL_EVENT_HIT, 42,
            (float)((0.15 + 0.3 * rng_unit(r)) * pres));
  }
}

/* The harp: the chord rolled up (sometimes up and back), notes left to
 * ring, then a rest of a bar or more, longer when quiet. */
static void plan_arp(lull_composer *c, double start, double end) {
  rng *r = &c->melody;
  double in = (double)c->p.intensity, pres = c->pres[L_LEAD];
  if (pres < 0.1 || start < c->arp_until) return;
  const lull_scale *s = scale_now(c);
  int lo = melody_lo(c) - 7, hi = lo + 19, notes[24], degs[24], n = 0;
  for (int d = -3 * s->size; d < 6 * s->size && n < 24; d++) {
    int note = lull__degree_note(s, tonic_midi(c), d);
    if (note >= lo && note <= hi && is_chord_tone(c, note)) notes[n] = note, degs[n++] = d;
  }
  if (n == 0) return;
  double step = in < 0.3 ? 0.75 : in < 0.65 ? 0.5 : 1.0 / 3.0;
  int len = rng_range(r, n < 4 ? n : 4, n < 7 ? n : 7), back = rng_chance(r, 0.4);
  double at = start + (rng_chance(r, 0.5) ? 0.0 : 0.5);
  for (int i = 0; i < len + (back ? len - 1 : 0); i++, at += step) {
    if (at >= end - 0.01) break;
    int k = i < len ? i : 2 * len - 2 - i;
    float vel = (float)((0.42 + 0.16 * in - 0.03 * k + 0.06 * rng_unit(r)) * pres);
    item *it = add(c, human(c, r, at, end, 12), 3.0, LULL_PART_LEAD, LULL_EVENT_ON, notes[k], vel);
    it->deg = degs[k];
  }
  double rest = 1.0 + rng_unit(r) * (1.0 + 3.0 * (1.0 - in));
  c->arp_until = start + BEATS_PER_BAR * (1.0 + rest / (c->w->lead_density * day_density(c)));
}

/* A bed for the air (rain, wind, surf): one long note at a time, each
 * overlapping the last by a quarter so they cross-fade. */
static void plan_air_bed(lull_composer *c, double start, double end) {
  double air = c->pres[L_AIR];
  if (c->w->air_beats <= 0 || air < 0.04 || start < c->air_bed_until) return;
  rng *r = &c->harmony;
  int pc = c->chord_pcs[rng_range(r, 0, c->chord_n - 1)];
  int note = 72 + ((pc - 72) % 12 + 12) % 12;
  float vel = (float)((0.7 + 0.3 * rng_unit(r)) * air);
  add(c, human(c, r, start, end, 30), c->w->air_beats, LULL_PART_AIR, LULL_EVENT_ON, note, vel);
  c->air_bed_until = start + 0.75 * c->w->air_beats;
}

/* After a palette's SET: the pad notes that sounded at the bar line struck
 * again on the new instruments. When the chord changes right on the line,
 * only those the new chord keeps (the others had their note-off there,
 * before any re-strike could be); a later change's note-offs come after. */
static void restrike_pad(lull_composer *c, double start, int changed_on_the_line) {
  float vel = (float)(0.52 + 0.25 * (double)c->p.intensity);
  for (int i = 0, k = 0; i < c->pad_at_switch_n; i++) {
    int note = c->pad_at_switch[i];
    if (changed_on_the_line && !contains(c->pad, c->pad_count, note)) continue;
    add(c, start + 0.03 * k++, 0, LULL_PART_PAD, LULL_EVENT_ON, note, vel);
  }
  c->pad_at_switch_n = 0;
}

/* A new palette comes in at this bar: the engine is told first (it lets
 * the old palette's held notes sound on for a bar, then release), then
 * every held note is struck again on the new instruments: a cross-fade. */
static void switch_palette(lull_composer *c, double start, uint64_t bar) {
  add_control(c, start, LULL_CONTROL_PALETTE, (float)c->p.palette);
  c->w = &writings[c->p.palette];
  if (bar == 0) return;
  /* The pad is struck again after this bar's harmony is planned (restrike_pad). */
  memcpy(c->pad_at_switch, c->pad, sizeof c->pad_at_switch);
  c->pad_at_switch_n = c->pad_count;
  double f = frame_of(c, start, 0);
  for (int h = 0; h < (c->w->air_beats < 0 ? 1 : 2); h++) {
    int part = h ? LULL_PART_AIR : LULL_PART_BASS;
    for (int j = 0; j < c->held_n[h]; j++) {
      if ((double)c->held_end[h][j] <= f + c->beat_len) continue;
      double left = ((double)c->held_end[h][j] - f) / c->beat_len;
      add(c, start, left, part, LULL_EVENT_ON, c->held_pitch[h][j], (float)(0.6 * (c->pres[h ? L_AIR : L_BASS])));
    }
  }
  c->air_bed_until = c->arp_until = start;
}

static int by_beat(const void *a, const void *b) {
  const item *x = a, *y = b;
  if (x->beat != y->beat) return x->beat < y->beat ? -1 : 1;
  return (x->order > y->order) - (x->order < y->order);
}

/* Plan bar `bar`: the tempo, harmony where the phrase wants a chord (and the
 * form at phrase starts), the layers' fades, then melody, loops, swells and
 * percussion. */
static void plan_bar(lull_composer *c, uint64_t bar) {
  double start = (double)(bar * BEATS_PER_BAR), end = start + BEATS_PER_BAR;
  c->plan_count = c->plan_next = 0;
  double f0 = frame_of(c, start, 0), f1 = frame_of(c, end, 0);
  double t0 = f0 / c->rate, t1 = f1 / c->rate;
  c->bar_frame = (uint64_t)llround(f0);
  if (bar == 0) add_control(c, 0, LULL_CONTROL_GAIN_DB, gain_db(c));
  int switching = bar > 0 && c->palette_switch, changed_on_the_line = 0;
  if (bar == 0 || c->palette_switch) switch_palette(c, start, bar);
  c->palette_switch = 0;
  if (bar * BEATS_PER_BAR != c->ramp_beat) {
    float bpm = (float)(60.0 * c->rate / len_of(c, bar * BEATS_PER_BAR));
    if (bpm != c->last_bpm) add_control(c, start, LULL_CONTROL_BPM, bpm), c->last_bpm = bpm;
  }
  while (c->next_chord_beat < end) {
    double at = c->next_chord_beat;
    if (c->chord_i >= c->chords) new_phrase(c, at);
    const lull_scale *s = scale_now(c);
    int first = c->chord_i == 0, last = c->chord_i == c->chords - 1;
    build_chord(c, s, next_degree(c, s, c->chord_deg, first, last));
    if (first && c->pedal) c->pedal_note = BASS_LO + ((c->chord_root_pc - BASS_LO) % 12 + 12) % 12;
    double dur = c->chord_beats[c->chord_i++];
    change_harmony(c, at, dur, first);
    changed_on_the_line |= at == start;
    c->next_chord_beat = at + dur;
  }
  if (switching) restrike_pad(c, start, changed_on_the_line);
  /* The layers glide toward the section's targets. */
  for (int l = 0; l < LAYERS; l++) {
    double step = (t1 - t0) / FADE_S, d = c->sec.target[l] - c->pres[l];
    c->pres[l] += clampd(d, -step, step);
  }
  float b = (float)brightness(c, t0);
  if (b != c->last_brightness) add_control(c, start, LULL_CONTROL_BRIGHTNESS, b), c->last_brightness = b;
  if (c->w->lead == LEAD_ARP) plan_arp(c, start, end);
  else if (c->w->lead == LEAD_MOTIF) plan_melody(c, start, end);
  plan_air_bed(c, start, end);
  plan_loops(c, t0, t1, end);
  plan_swells(c, t0, t1, end);
  plan_percussion(c, start, end);
  qsort(c->plan, (size_t)c->plan_count, sizeof c->plan[0], by_beat);
  c->next_bar = bar + 1;
}

/* ---- steering and handing out ------------------------------------------------ */

/* The degree deg of a scale of from_size steps, in one of to_size steps. */
static int move_degree(int deg, int from_size, int to_size) {
  int oct = deg >= 0 ? deg / from_size : -((-deg + from_size - 1) / from_size);
  int step = deg - oct * from_size;
  return oct * to_size + (step * to_size + from_size / 2) / from_size;
}

/* The pad notes sounding, *n of them in set, after pad event e. */
static void pad_follow(int set[HELD_MAX], int *n, const lull_event *e) {
  int found = -1;
  for (int j = 0; j < *n; j++)
    if (set[j] == e->pitch) found = j;
  if (e->kind == LULL_EVENT_OFF && found >= 0) set[found] = set[--*n];
  if (e->kind == LULL_EVENT_ON && found < 0 && *n < HELD_MAX) set[(*n)++] = e->pitch;
}

/* Apply pending params. Harmony and tempo change at beat `at`, the first
 * not handed out: the pad moves to the new key's tonic chord there, the bass
 * and air let go, and every planned melodic note from there is moved into
 * the new scale; the tempo ramps over that beat. Intensity's glide starts at
 * once, at frame `now`; its writing follows from the next bar. */
static void apply_pending(lull_composer *c, uint64_t at, double now) {
  lull_params old = c->p;
  int old_size = scale_now(c)->size;
  c->p = c->pending;
  c->has_pending = 0;
  int harmony = old.key != c->p.key || old.mode != c->p.mode;
  if (old.palette != c->p.palette) c->palette_switch = 1; /* at the next bar line */
  /* What was handed out leaves the plan, and a newer change replaces the
   * controls an older one planned that are not handed out yet: steering as
   * fast as allowed cannot fill the plan. */
  memmove(c->plan, c->plan + c->plan_next, sizeof c->plan[0] * (size_t)(c->plan_count - c->plan_next));
  c->plan_count -= c->plan_next;
  c->plan_next = 0;
  int keep_sets = c->plan_next;
  for (int i = c->plan_next; i < c->plan_count; i++) {
    const lull_event *e = &c->plan[i].ev;
    int bpm = e->part == LULL_CONTROL_BPM, light = e->part == LULL_CONTROL_BRIGHTNESS || e->part == LULL_CONTROL_GAIN_DB;
    if (e->kind == LULL_EVENT_SET && ((bpm && old.bpm != c->p.bpm) || (light && old.intensity != c->p.intensity)))
      continue;
    c->plan[keep_sets++] = c->plan[i];
  }
  c->plan_count = keep_sets;
  if (old.bpm != c->p.bpm) {
    /* Beat `at` is the ramp (the mean of the old and new lengths). */
    c->ramp_beat = at;
    double after = tempo_len(c, c->p.bpm, at + 1);
    c->ramp_len = 0.5 * (tempo_len(c, old.bpm, at) + tempo_len(c, c->p.bpm, at));
    if (c->beat == at) c->beat_len = c->ramp_len;
    add_control(c, (double)at, LULL_CONTROL_BPM, (float)(60.0 * c->rate / c->ramp_len));
    c->last_bpm = (float)(60.0 * c->rate / after);
    add_control(c, (double)at + 1, LULL_CONTROL_BPM, c->last_bpm);
  }
  if (old.intensity != c->p.intensity) {
    double b = beat_at(c, now);
    float bright = (float)brightness(c, now / c->rate);
    add_control(c, b, LULL_CONTROL_BRIGHTNESS, bright);
    add_control(c, b, LULL_CONTROL_GAIN_DB, gain_db(c));
    c->last_brightness = bright;
  }
  if (harmony) {
    /* Home is where the listener says: any excursion ends here. */
    c->key = c->p.key, c->mode = c->p.mode, c->excursion = 0;
    double at_frame = frame_of(c, (double)at, 0);
    c->scale_since = (uint64_t)llround(at_frame);
    const lull_scale *s = scale_now(c);
    /* What will sound at `at`: what was handed out, then what stays
     * planned before it. The pad, bass and air planned from `at` on are
     * dropped (the new chord brings its own), as are swells (their band
     * is a chord tone); melody and loop notes move into the new scale. */
    int pad[HELD_MAX], pad_n = c->pad_on_n;
    memcpy(pad, c->pad_on, sizeof pad);
    int keep = c->plan_next;
    for (int i = c->plan_next; i < c->plan_count; i++) {
      item *it = &c->plan[i];
      int part = it->ev.part, set = it->ev.kind == LULL_EVENT_SET;
      if (it->beat >= (double)at && !set &&
          (part == LULL_PART_PAD || part == LULL_PART_BASS || part == LULL_PART_AIR || part == LULL_PART_SWELL))
        continue;
      if (!set && part == LULL_PART_PAD) {
        pad_follow(pad, &pad_n, &it->ev);
      }
      if (it->beat >= (double)at && it->deg != NO_DEG) {
        it->deg = move_degree(it->deg, old_size, s->size);
        int lo = part == LULL_PART_LEAD ? melody_lo(c) : 64, hi = part == LULL_PART_LEAD ? lo + 19 : 90;
        it->deg = fold_degree(c, it->deg, lo, hi);
        it->ev.pitch = (uint8_t)lull__degree_note(s, tonic_midi(c), it->deg);
      }
      c->plan[keep++] = *it;
    }
    c->plan_count = keep;
    /* Bass and air still sounding at `at` (handed out, or planned before
     * it) are let go there. */
    for (int h = 0; h < 2; h++) {
      int part = h ? LULL_PART_AIR : LULL_PART_BASS, released[HELD_MAX], nr = 0;
      for (int j = 0; j < c->held_n[h]; j++)
        if ((double)c->held_end[h][j] > at_frame && !contains(released, nr, c->held_pitch[h][j]))
          released[nr++] = c->held_pitch[h][j];
      for (int i = c->plan_next; i < c->plan_count && nr < HELD_MAX; i++)
        if (c->plan[i].ev.part == part && c->plan[i].ev.kind == LULL_EVENT_ON && !contains(released, nr, c->plan[i].ev.pitch))
          released[nr++] = c->plan[i].ev.pitch;
      for (int j = 0; j < nr; j++) add(c, (double)at, 0, part, LULL_EVENT_OFF, released[j], 0);
    }
    /* The voicing moves from what sounds (ascending, as voice_chord reads it). */
    for (int i = 1; i < pad_n; i++)
      for (int j = i; j > 0 && pad[j - 1] > pad[j]; j--) {
        int t = pad[j];
        pad[j] = pad[j - 1], pad[j - 1] = t;
      }
    memcpy(c->pad, pad, sizeof pad);
    c->pad_count = pad_n;
    c->melody_deg = fold_degree(c, move_degree(c->melody_deg, old_size, s->size), melody_lo(c), melody_lo(c) + 19);
    for (int st = 0; st < STMTS_MAX; st++)
      if (c->anchor[st] != NO_DEG) c->anchor[st] = move_degree(c->anchor[st], old_size, s->size);
    c->pedal = 0;
    c->air_bed_until = (double)at;
    build_chord(c, s, 0); /* a new key is announced by its tonic chord */
    /* It lasts to the next planned change, at least two beats. */
    if (c->next_chord_beat < (double)at + 2) c->next_chord_beat += BEATS_PER_BAR;
    change_harmony(c, (double)at, c->next_chord_beat - (double)at, 1);
  }
  qsort(c->plan + c->plan_next, (size_t)(c->plan_count - c->plan_next), sizeof c->plan[0], by_beat);
}

/* Keep count of the held notes sounding, as each event is handed out. */
static void track_held(lull_composer *c, const lull_event *e) {
  if (e->kind == LULL_EVENT_SET) return;
  if (e->part == LULL_PART_PAD) {
    pad_follow(c->pad_on, &c->pad_on_n, e);
    return;
  }
  if (e->part != LULL_PART_BASS && e->part != LULL_PART_AIR) return;
  int h = e->part == LULL_PART_AIR, n = 0;
  for (int j = 0; j < c->held_n[h]; j++) /* forget what has ended, and this pitch if it is let go or struck again */
    if (c->held_end[h][j] > e->frame && c->held_pitch[h][j] != e->pitch)
      c->held_pitch[h][n] = c->held_pitch[h][j], c->held_end[h][n] = c->held_end[h][j], n++;
  if (e->kind == LULL_EVENT_ON && n < HELD_MAX)
    c->held_pitch[h][n] = e->pitch, c->held_end[h][n] = e->frame + e->duration_frames, n++;
  c->held_n[h] = n;
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
    /* Never behind what was handed out (a bar planned after a change's
     * items for its first beat starts a few frames late). */
    if (ev.frame < c->handed_until) ev.frame = c->handed_until;
    if (ev.frame < c->last_frame) ev.frame = c->last_frame;
    if (it->duration_beats > 0) ev.duration_frames = (uint64_t)llround(it->duration_beats * c->beat_len);
    out[n++] = ev;
    c->plan_next++;
    c->last_frame = ev.frame;
    track_held(c, &ev);
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

void lull__composer_set_daylight(lull_composer *c, float light) {
  c->daylight = light < 0 ? -1.0f : light > 1 ? 1.0f : light;
}

void lull__composer_status(const lull_composer *c, lull_composer_status *s) {
  s->params = c->p;
  snprintf(s->chord, sizeof s->chord, "%s", c->chord_name);
  s->bar = c->next_bar ? c->next_bar - 1 : 0;
  s->bar_frame = c->bar_frame;
  s->section = c->sections;
  s->section_phrase = (uint32_t)c->sec.phrase;
  s->section_phrases = (uint32_t)c->sec.phrases;
  s->key_now = c->key;
  s->mode_now = c->mode;
  s->scale_since_frame = c->scale_since;
  s->lost = c->lost;
}
