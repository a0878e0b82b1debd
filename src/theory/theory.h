/* theory: pitch classes, note names and chord qualities. No time, no audio.
 * Module interface for compose/ and io/. */
#ifndef LULL_THEORY_H
#define LULL_THEORY_H

#include <stddef.h>
#include <stdint.h>

#define LULL_CHORD_VOICES 4

typedef struct lull_chord_quality {
  const char *name;       /* canonical: "min7" */
  const char *aliases;    /* space-separated: "m7 -7" */
  uint8_t count;          /* chord tones (3..5) */
  int8_t intervals[5];    /* semitones above the root */
} lull_chord_quality;

/* The quality named name or one of its aliases; NULL when unknown. */
const lull_chord_quality *lull__chord_find(const char *name);
/* Canonical names, comma-separated, for error messages. */
const char *lull__chord_names(void);
/* Four pad voices for a chord on root: close position; a triad doubles its
 * root an octave up, a ninth chord leaves out its fifth. */
void lull__chord_voice(const lull_chord_quality *q, int root, int out[LULL_CHORD_VOICES]);

/* Pitch class of a note name: "C", "F#", "Bb", "c#" (0..11), or -1. */
int lull__pitch_class_parse(const char *name);
/* Name of a pitch class with sharps ("F#"); NULL when out of range. */
const char *lull__pitch_class_name(int pc);

#endif
