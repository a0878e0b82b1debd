/* Modes and scales: the eight modes lull plays in, their names, and scale
 * degrees as notes (degrees wrap by octaves, so chords can be stacked as
 * degree offsets and stay in the scale by construction). */
#include <string.h>

#include "theory/theory.h"

static const lull_scale scales[LULL_MODE_COUNT] = {
    [LULL_MODE_IONIAN] = {7, {0, 2, 4, 5, 7, 9, 11}},
    [LULL_MODE_DORIAN] = {7, {0, 2, 3, 5, 7, 9, 10}},
    [LULL_MODE_PHRYGIAN] = {7, {0, 1, 3, 5, 7, 8, 10}},
    [LULL_MODE_LYDIAN] = {7, {0, 2, 4, 6, 7, 9, 11}},
    [LULL_MODE_MIXOLYDIAN] = {7, {0, 2, 4, 5, 7, 9, 10}},
    [LULL_MODE_AEOLIAN] = {7, {0, 2, 3, 5, 7, 8, 10}},
    [LULL_MODE_PENTA_MAJOR] = {5, {0, 2, 4, 7, 9}},
    [LULL_MODE_PENTA_MINOR] = {5, {0, 3, 5, 7, 10}},
};

static const struct {
  const char *name;
  int mode;
} names[] = {
    {"ionian", LULL_MODE_IONIAN},         {"major", LULL_MODE_IONIAN},
    {"dorian", LULL_MODE_DORIAN},         {"phrygian", LULL_MODE_PHRYGIAN},
    {"lydian", LULL_MODE_LYDIAN},         {"mixolydian", LULL_MODE_MIXOLYDIAN},
    {"aeolian", LULL_MODE_AEOLIAN},       {"minor", LULL_MODE_AEOLIAN},
    {"pentatonic-major", LULL_MODE_PENTA_MAJOR}, {"pentatonic_major", LULL_MODE_PENTA_MAJOR},
    {"pentatonic-minor", LULL_MODE_PENTA_MINOR}, {"pentatonic_minor", LULL_MODE_PENTA_MINOR},
};

static const char *const canonical[LULL_MODE_COUNT] = {"ionian",     "dorian",  "phrygian",         "lydian",
                                                       "mixolydian", "aeolian", "pentatonic-major", "pentatonic-minor"};

const lull_scale *lull__scale_of(int mode) { return mode >= 0 && mode < LULL_MODE_COUNT ? &scales[mode] : NULL; }

int lull__mode_parse(const char *name) {
  if (!name) return -1;
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strcmp(names[i].name, name) == 0) return names[i].mode;
  return -1;
}

const char *lull__mode_name(int mode) { return mode >= 0 && mode < LULL_MODE_COUNT ? canonical[mode] : NULL; }

const char *lull__mode_names(void) {
  return "ionian (major), dorian, phrygian, lydian, mixolydian, aeolian (minor), pentatonic-major, pentatonic-minor";
}

int lull__in_scale(int key, int mode, int note) {
  const lull_scale *s = lull__scale_of(mode);
  if (!s) return 0;
  int pc = ((note - key) % 12 + 12) % 12;
  for (int i = 0; i < s->size; i++)
    if (s->steps[i] == pc) return 1;
  return 0;
}

/* Floor division, so negative degrees wrap downwards. */
static int floor_div(int a, int b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

int lull__degree_note(const lull_scale *s, int tonic_midi, int deg) {
  int oct = floor_div(deg, s->size);
  return tonic_midi + 12 * oct + s->steps[deg - oct * s->size];
}

int lull__degree_pc(const lull_scale *s, int deg) {
  int oct = floor_div(deg, s->size);
  return s->steps[deg - oct * s->size];
}
