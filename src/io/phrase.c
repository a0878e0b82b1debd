/* Phrase files: JSON in the seed's shape (chords, melody, percussion) and
 * the lines of the other pitched parts (bass, air, bell, shaped like the
 * melody), read strictly: unknown keys, duplicate keys, wrong types and
 * out-of-range values are errors that name the field. Chords become four pad
 * notes each, held until the next chord. See README.md, "Phrase files". */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/io_int.h"
#include "theory/theory.h"

#define MAX_TIME 1e7 /* beats or seconds: far beyond any phrase */
#define DEFAULT_VELOCITY 0.8
#define SWELL_PITCH 84 /* C6: a percussion item's pitch when it gives none (the swell's band) */

/* The arrays of notes, each for one part. */
static const struct {
  const char *key;
  int part;
} note_arrays[] = {
    {"melody", LULL_PART_LEAD}, {"bass", LULL_PART_BASS}, {"air", LULL_PART_AIR}, {"bell", LULL_PART_BELL}};
#define NOTE_ARRAYS (sizeof note_arrays / sizeof note_arrays[0])

typedef struct ctx {
  lull_diag *diag;
  double frames_per_unit;
  lull_event *events;
  size_t count, cap;
  int err;
} ctx;

static int fail(ctx *c, int err, const char *field, const char *fmt, const char *detail) {
  lull_diag_set(c->diag, err, field, fmt, detail);
  c->err = err;
  return err;
}

static int push(ctx *c, lull_event ev) {
  if (c->count == c->cap) {
    size_t cap = c->cap ? c->cap * 2 : 256;
    lull_event *n = realloc(c->events, cap * sizeof *n);
    if (!n) return fail(c, LULL_ENOMEM, "", "%s", "out of memory");
    c->events = n;
    c->cap = cap;
  }
  c->events[c->count++] = ev;
  return LULL_OK;
}

/* Allowed keys of an object, space-separated; anything else is an error. */
static int check_keys(ctx *c, json_t *obj, const char *where, const char *allowed) {
  const char *key;
  json_t *v;
  json_object_foreach(obj, key, v) {
    (void)v;
    size_t n = strlen(key);
    int ok = 0;
    for (const char *p = allowed; *p;) {
      const char *end = strchr(p, ' ');
      size_t len = end ? (size_t)(end - p) : strlen(p);
      if (len == n && memcmp(p, key, n) == 0) ok = 1;
      if (!end) break;
      p = end + 1;
    }
    if (!ok) {
      char field[64], msg[160];
      snprintf(field, sizeof field, "%s%s%s", where, *where ? "." : "", key);
      snprintf(msg, sizeof msg, "unknown field; allowed: %s", allowed);
      return fail(c, LULL_EUNKNOWN, field, "%s", msg);
    }
  }
  return LULL_OK;
}

static int get_number(ctx *c, json_t *obj, const char *where, const char *key, int required, double lo, double hi,
                      double *out) {
  char field[64];
  snprintf(field, sizeof field, "%s%s%s", where, *where ? "." : "", key);
  json_t *v = json_object_get(obj, key);
  if (!v) {
    if (required) return fail(c, LULL_EPARSE, field, "%s", "missing (a number is required)");
    return 1;
  }
  if (!json_is_number(v)) return fail(c, LULL_EPARSE, field, "%s", "must be a number");
  double x = json_number_value(v);
  if (!(x >= lo && x <= hi)) {
    char msg[128];
    snprintf(msg, sizeof msg, "must be %g..%g, got %g", lo, hi, x);
    return fail(c, LULL_ERANGE, field, "%s", msg);
  }
  *out = x;
  return LULL_OK;
}

static uint64_t to_frames(const ctx *c, double t) { return (uint64_t)llround(t * c->frames_per_unit); }

/* A MIDI number, or a note name with octave ("A3" = 57). */
static int get_pitch(ctx *c, json_t *obj, const char *where, const char *key, int *out) {
  char field[64];
  snprintf(field, sizeof field, "%s.%s", where, key);
  json_t *v = json_object_get(obj, key);
  if (!v) return fail(c, LULL_EPARSE, field, "%s", "missing (MIDI 0..127 or a note name like \"A3\")");
  if (json_is_integer(v)) {
    json_int_t x = json_integer_value(v);
    if (x < 0 || x > 127) {
      char msg[96];
      snprintf(msg, sizeof msg, "must be MIDI 0..127, got %lld", (long long)x);
      return fail(c, LULL_ERANGE, field, "%s", msg);
    }
    *out = (int)x;
    return LULL_OK;
  }
  if (json_is_string(v)) {
    const char *s = json_string_value(v);
    char name[4] = {0};
    size_t i = 0;
    while (s[i] && (s[i] < '0' || s[i] > '9') && s[i] != '-' && i < 3) name[i] = s[i], i++;
    char *end;
    long octave = strtol(s + i, &end, 10);
    int pc = lull__pitch_class_parse(name);
    /* Octaves -1..9 only: the range check comes before the arithmetic. */
    if (pc >= 0 && end != s + i && !*end && octave >= -1 && octave <= 9) {
      long midi = (octave + 1) * 12 + pc;
      if (midi >= 0 && midi <= 127) {
        *out = (int)midi;
        return LULL_OK;
      }
    }
    char msg[128];
    snprintf(msg, sizeof msg, "\"%.40s\" is not a note from C-1 to G9 (like \"A3\", \"F#2\", \"Bb4\")", s);
    return fail(c, LULL_ERANGE, field, "%s", msg);
  }
  return fail(c, LULL_EPARSE, field, "%s", "must be MIDI 0..127 or a note name like \"A3\"");
}

static json_t *get_array(ctx *c, json_t *root, const char *key) {
  json_t *v = json_object_get(root, key);
  if (!v) return NULL;
  if (!json_is_array(v)) fail(c, LULL_EPARSE, key, "%s", "must be an array of objects");
  return v;
}

static int item_object(ctx *c, json_t *item, const char *where) {
  if (!json_is_object(item)) return fail(c, LULL_EPARSE, where, "%s", "must be an object");
  return LULL_OK;
}

static int read_chords(ctx *c, json_t *arr, double *end_units) {
  size_t n = json_array_size(arr);
  double prev_at = -1;
  for (size_t i = 0; i < n; i++) {
    char where[40];
    snprintf(where, sizeof where, "chords[%zu]", i);
    json_t *item = json_array_get(arr, i);
    double at;
    int root;
    if (item_object(c, item, where) || check_keys(c, item, where, "at root type") ||
        get_number(c, item, where, "at", 1, 0, MAX_TIME, &at) || get_pitch(c, item, where, "root", &root))
      return c->err;
    if (at <= prev_at) {
      char field[64];
      snprintf(field, sizeof field, "%s.at", where);
      return fail(c, LULL_ERANGE, field, "%s", "chords must be in order of onset, each later than the last");
    }
    prev_at = at;
    json_t *type = json_object_get(item, "type");
    char field[64];
    snprintf(field, sizeof field, "%s.type", where);
    if (!json_is_string(type)) return fail(c, LULL_EPARSE, field, "%s", "missing or not a string (a chord quality)");
    const lull_chord_quality *q = lull__chord_find(json_string_value(type));
    if (!q) {
      char msg[200];
      snprintf(msg, sizeof msg, "unknown chord \"%.20s\"; known: %s", json_string_value(type), lull__chord_names());
      return fail(c, LULL_EUNKNOWN, field, "%s", msg);
    }
    /* Held until the next chord (or the phrase's end); the release overlaps. */
    json_t *next = json_array_get(arr, i + 1);
    json_t *next_at = next && json_is_object(next) ? json_object_get(next, "at") : NULL;
    double until = next_at && json_is_number(next_at) ? json_number_value(next_at) : *end_units;
    if (until <= at) until = at + 1e-3;
    int notes[LULL_CHORD_VOICES];
    lull__chord_voice(q, root, notes);
    for (int k = 0; k < LULL_CHORD_VOICES; k++) {
      if (notes[k] < 0 || notes[k] > 127) {
        snprintf(field, sizeof field, "%s.root", where);
        return fail(c, LULL_ERANGE, field, "%s", "the chord's notes leave MIDI 0..127; choose a lower root");
      }
      lull_event ev = {to_frames(c, at), to_frames(c, until) - to_frames(c, at), LULL_PART_PAD, LULL_EVENT_ON,
                       (uint8_t)notes[k], 0, 0.8f};
      if (push(c, ev)) return c->err;
    }
  }
  return LULL_OK;
}

/* Notes of one pitched part from an array named key ("melody" for the lead). */
static int read_notes(ctx *c, json_t *arr, const char *key, int part) {
  for (size_t i = 0; i < json_array_size(arr); i++) {
    char where[40];
    snprintf(where, sizeof where, "%s[%zu]", key, i);
    json_t *item = json_array_get(arr, i);
    double at, dur, vel = DEFAULT_VELOCITY;
    int pitch;
    if (item_object(c, item, where) || check_keys(c, item, where, "at pitch velocity duration") ||
        get_number(c, item, where, "at", 1, 0, MAX_TIME, &at) || get_pitch(c, item, where, "pitch", &pitch) ||
        get_number(c, item, where, "duration", 1, 1e-3, MAX_TIME, &dur) < 0 ||
        get_number(c, item, where, "velocity", 0, 0, 1, &vel) < 0)
      return c->err;
    if (c->err) return c->err;
    uint64_t f = to_frames(c, at), d = to_frames(c, at + dur) - f;
    lull_event ev = {f, d ? d : 1, (uint8_t)part, LULL_EVENT_ON, (uint8_t)pitch, 0, (float)vel};
    if (push(c, ev)) return c->err;
  }
  return LULL_OK;
}

static int read_percussion(ctx *c, json_t *arr) {
  for (size_t i = 0; i < json_array_size(arr); i++) {
    char where[40], field[64];
    snprintf(where, sizeof where, "percussion[%zu]", i);
    json_t *item = json_array_get(arr, i);
    double at, vel = DEFAULT_VELOCITY, dur = 0;
    int pitch = SWELL_PITCH;
    if (item_object(c, item, where) || check_keys(c, item, where, "at type velocity duration pitch") ||
        get_number(c, item, where, "at", 1, 0, MAX_TIME, &at) ||
        get_number(c, item, where, "velocity", 0, 0, 1, &vel) < 0 ||
        get_number(c, item, where, "duration", 0, 1e-3, MAX_TIME, &dur) < 0)
      return c->err;
    if (c->err) return c->err;
    json_t *type = json_object_get(item, "type");
    snprintf(field, sizeof field, "%s.type", where);
    const char *t = json_is_string(type) ? json_string_value(type) : NULL;
    int part = !t                       ? -1
               : strcmp(t, "kick") == 0  ? LULL_PART_KICK
               : strcmp(t, "swell") == 0 ? LULL_PART_SWELL
               : strcmp(t, "hat") == 0   ? LULL_PART_HAT
                                         : -1;
    if (part < 0) return fail(c, LULL_EUNKNOWN, field, "%s", "must be one of: kick, swell, hat");
    if (json_object_get(item, "pitch") && get_pitch(c, item, where, "pitch", &pitch)) return c->err;
    uint64_t f = to_frames(c, at);
    lull_event ev = {f, dur > 0 ? to_frames(c, at + dur) - f : 0, (uint8_t)part, LULL_EVENT_HIT, (uint8_t)pitch, 0,
                     (float)vel};
    if (push(c, ev)) return c->err;
  }
  return LULL_OK;
}

static int by_frame(const void *a, const void *b) {
  const lull_event *x = a, *y = b;
  if (x->frame != y->frame) return x->frame < y->frame ? -1 : 1;
  return 0;
}

/* The last moment anything in the phrase starts or ends, in units. It runs
 * before the entries are validated, so out-of-range values are skipped here
 * (their own checks reject them). */
static double content_end(json_t *root) {
  double end = 0;
  const char *keys[] = {"chords", "melody", "percussion", "bass", "air", "bell"};
  for (int k = 0; k < 6; k++) {
    json_t *arr = json_object_get(root, keys[k]);
    for (size_t i = 0; json_is_array(arr) && i < json_array_size(arr); i++) {
      json_t *item = json_array_get(arr, i);
      json_t *at = json_object_get(item, "at"), *dur = json_object_get(item, "duration");
      double t = json_is_number(at) ? json_number_value(at) : 0;
      double d = json_is_number(dur) ? json_number_value(dur) : 0;
      if (!(t >= 0 && t <= MAX_TIME)) t = 0;
      if (!(d >= 0 && d <= MAX_TIME)) d = 0;
      if (t + d > end) end = t + d;
    }
  }
  return end;
}

static int parse_root(json_t *root, uint32_t rate, lull_phrase *out, lull_diag *diag) {
  ctx c = {diag, 0, NULL, 0, 0, LULL_OK};
  if (!json_is_object(root)) return fail(&c, LULL_EPARSE, "", "%s", "the phrase must be a JSON object");
  if (check_keys(&c, root, "", "bpm time length chords melody percussion bass air bell")) return c.err;
  double bpm = 70;
  if (get_number(&c, root, "", "bpm", 0, 30, 180, &bpm) < 0) return c.err;
  int seconds = 0;
  json_t *time = json_object_get(root, "time");
  if (time) {
    const char *t = json_is_string(time) ? json_string_value(time) : "";
    if (strcmp(t, "seconds") == 0) seconds = 1;
    else if (strcmp(t, "beats") != 0) return fail(&c, LULL_EUNKNOWN, "time", "%s", "must be \"beats\" or \"seconds\"");
  }
  c.frames_per_unit = seconds ? (double)rate : 60.0 / bpm * rate;
  double end = content_end(root), length = 0;
  int has_length = get_number(&c, root, "", "length", 0, 1e-3, MAX_TIME, &length);
  if (c.err) return c.err;
  json_t *chords = get_array(&c, root, "chords"), *perc = get_array(&c, root, "percussion"), *notes[NOTE_ARRAYS];
  int any = chords || perc;
  for (size_t k = 0; k < NOTE_ARRAYS && !c.err; k++) any |= (notes[k] = get_array(&c, root, note_arrays[k].key)) != NULL;
  if (c.err) return c.err;
  if (!any)
    return fail(&c, LULL_EPARSE, "", "%s",
                "nothing to play: give at least one of chords, melody, percussion, bass, air, bell");
  /* The last chord rings to the phrase's length, or 4 beats past the end. */
  double last_chord_at = 0;
  if (chords && json_array_size(chords)) {
    json_t *at = json_object_get(json_array_get(chords, json_array_size(chords) - 1), "at");
    if (json_is_number(at) && json_number_value(at) >= 0 && json_number_value(at) <= MAX_TIME)
      last_chord_at = json_number_value(at);
  }
  double chord_end = has_length == LULL_OK ? length : fmax(end, last_chord_at + (seconds ? 4 * 60.0 / bpm : 4));
  int err = (chords && read_chords(&c, chords, &chord_end)) || (perc && read_percussion(&c, perc));
  for (size_t k = 0; k < NOTE_ARRAYS && !err; k++)
    err = notes[k] && read_notes(&c, notes[k], note_arrays[k].key, note_arrays[k].part);
  if (err) {
    free(c.events);
    return c.err;
  }
  if (c.count == 0) {
    free(c.events);
    return fail(&c, LULL_EPARSE, "", "%s", "nothing to play: the arrays are all empty");
  }
  qsort(c.events, c.count, sizeof *c.events, by_frame);
  out->bpm = bpm;
  out->events = c.events;
  out->count = c.count;
  out->length_frames = (uint64_t)llround((has_length == LULL_OK ? length : fmax(end, chord_end)) * c.frames_per_unit);
  return LULL_OK;
}

/* From a file (text NULL) or a string. */
static int read_phrase(const char *path, const char *text, uint32_t rate, lull_phrase *out, lull_diag *diag) {
  memset(out, 0, sizeof *out);
  json_t *root;
  int err = lull__json_read(path, text, &root, diag);
  if (err) return err;
  err = parse_root(root, rate, out, diag);
  json_decref(root);
  return err;
}

int lull__phrase_load(const char *path, uint32_t rate, lull_phrase *out, lull_diag *diag) {
  return read_phrase(path, NULL, rate, out, diag);
}

int lull__phrase_parse(const char *text, const char *path, uint32_t rate, lull_phrase *out, lull_diag *diag) {
  return read_phrase(path, text, rate, out, diag);
}

void lull__phrase_free(lull_phrase *p) {
  free(p->events);
  p->events = NULL;
  p->count = 0;
}
