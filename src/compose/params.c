/* Params: defaults, validation and setting fields from text. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lull/params.h"
#include "theory/theory.h"

static const struct {
  const char *name, *line;
} palettes[LULL_PALETTE_COUNT] = {
    {"classic", "detuned saw pad, FM electric piano, sine bass, bells, heartbeat and hats (the default)"},
    {"glass", "glass bells with long decays, a harp arpeggiating the chord, a soft pad, light rain; no drums"},
    {"strings", "a string ensemble holding voice-led lines, harp, a distant choir; no drums"},
    {"keys", "a DX electric piano (tine and body), a warm pad, kalimba and brushed percussion"},
    {"night", "a sub drone, wind, sparse glass bells and grains of its own echo in a long dark room"},
    {"tape", "a piano-like lead and a worn pad through wow, flutter, saturation and hiss"},
};

lull_params lull_params_default(void) {
  return (lull_params){.key = 9, .mode = LULL_MODE_AEOLIAN, .bpm = 64.0f, .intensity = 0.4f, .palette = LULL_PALETTE_CLASSIC};
}

const char *lull_palette_name(int palette) {
  return palette >= 0 && palette < LULL_PALETTE_COUNT ? palettes[palette].name : NULL;
}

const char *lull_palette_describe(int palette) {
  return palette >= 0 && palette < LULL_PALETTE_COUNT ? palettes[palette].line : NULL;
}

int lull_palette_parse(const char *name) {
  for (int i = 0; name && i < LULL_PALETTE_COUNT; i++)
    if (strcmp(name, palettes[i].name) == 0) return i;
  return -1;
}

#define PALETTE_NAMES "classic, glass, strings, keys, night, tape"
_Static_assert(LULL_PALETTE_COUNT == 6, "PALETTE_NAMES lists every palette");

int lull_params_validate(const lull_params *p, lull_diag *diag) {
  if (!p) return lull_diag_set(diag, LULL_EINVAL, "params", "must not be NULL");
  if (p->key < 0 || p->key > 11)
    return lull_diag_set(diag, LULL_ERANGE, "key", "must be a pitch class 0..11, got %d", p->key);
  if (p->mode < 0 || p->mode >= LULL_MODE_COUNT)
    return lull_diag_set(diag, LULL_ERANGE, "mode", "must be 0..%d (%s), got %d", LULL_MODE_COUNT - 1,
                         lull__mode_names(), p->mode);
  if (!(p->bpm >= LULL_BPM_MIN && p->bpm <= LULL_BPM_MAX))
    return lull_diag_set(diag, LULL_ERANGE, "bpm", "must be 30..180, got %g", (double)p->bpm);
  if (!(p->intensity >= 0.0f && p->intensity <= 1.0f))
    return lull_diag_set(diag, LULL_ERANGE, "intensity", "must be 0..1, got %g", (double)p->intensity);
  if (p->palette < 0 || p->palette >= LULL_PALETTE_COUNT)
    return lull_diag_set(diag, LULL_ERANGE, "palette", "must be 0..%d (" PALETTE_NAMES "), got %d", LULL_PALETTE_COUNT - 1,
                         p->palette);
  return LULL_OK;
}

static int parse_number(const char *s, double *out) {
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (!*s || *end || errno || !isfinite(v)) return -1;
  *out = v;
  return 0;
}

int lull_params_set(lull_params *p, const char *field, const char *value, lull_diag *diag) {
  if (!p || !field || !value) return lull_diag_set(diag, LULL_EINVAL, field ? field : "", "missing field or value");
  lull_params q = *p;
  double v;
  if (strcmp(field, "key") == 0) {
    int pc = lull__pitch_class_parse(value);
    if (pc < 0) {
      char *end;
      long n = strtol(value, &end, 10);
      if (*value && !*end && n >= 0 && n <= 11) pc = (int)n;
    }
    if (pc < 0)
      return lull_diag_set(diag, LULL_ERANGE, "key", "must be a note name (C, C#, Db, D, ... B) or 0..11, got \"%.32s\"",
                           value);
    q.key = pc;
  } else if (strcmp(field, "mode") == 0) {
    int m = lull__mode_parse(value);
    if (m < 0) return lull_diag_set(diag, LULL_ERANGE, "mode", "must be one of %s; got \"%.32s\"", lull__mode_names(), value);
    q.mode = m;
  } else if (strcmp(field, "bpm") == 0) {
    if (parse_number(value, &v) || !(v >= (double)LULL_BPM_MIN && v <= (double)LULL_BPM_MAX))
      return lull_diag_set(diag, LULL_ERANGE, "bpm", "must be a number 30..180, got \"%.32s\"", value);
    q.bpm = (float)v;
  } else if (strcmp(field, "intensity") == 0) {
    if (parse_number(value, &v) || !(v >= 0 && v <= 1))
      return lull_diag_set(diag, LULL_ERANGE, "intensity", "must be a number 0..1, got \"%.32s\"", value);
    q.intensity = (float)v;
  } else if (strcmp(field, "palette") == 0) {
    int k = lull_palette_parse(value);
    if (k < 0) return lull_diag_set(diag, LULL_ERANGE, "palette", "must be one of " PALETTE_NAMES "; got \"%.32s\"", value);
    q.palette = k;
  } else if (strcmp(field, "seed") == 0) {
    char *end;
    errno = 0;
    unsigned long long s = strtoull(value, &end, 10);
    if (!*value || *value == '-' || *end || errno)
      return lull_diag_set(diag, LULL_ERANGE, "seed", "must be a whole number 0..18446744073709551615, got \"%.32s\"",
                           value);
    q.seed = s;
  } else {
    return lull_diag_set(diag, LULL_EUNKNOWN, field, "unknown param; known: key, mode, bpm, intensity, palette, seed");
  }
  *p = q;
  return LULL_OK;
}

const char *lull_key_name(int key) { return lull__pitch_class_name(key); }
const char *lull_mode_name(int mode) { return lull__mode_name(mode); }
