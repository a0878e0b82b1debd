/* theory: pitch classes, note names and chord qualities. No time, no audio.
 * Module interface for compose/ and io/. */
#ifndef LULL_THEORY_H
#define LULL_THEORY_H

#include <stddef.h>
#include <stdint.h>

#include "lull/params.h" /* lull_mode */

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

/* ---- modes and scales (scale.c) ----------------------------------------- */

typedef struct lull_scale {
  uint8_t size;        /* 7, or 5 for the pentatonics */
  int8_t steps[7];     /* semitones above the tonic, ascending */
} lull_scale;

/* The scale of a mode; NULL when out of range. */
const lull_scale *lull__scale_of(int mode);
/* Mode by name ("dorian", "minor", "pentatonic-major", ...), or -1. */
int lull__mode_parse(const char *name);
/* Canonical name of a mode ("aeolian"); NULL when out of range. */
const char *lull__mode_name(int mode);
/* Accepted mode names, comma-separated, for error messages. */
const char *lull__mode_names(void);
/* Whether MIDI note is in the scale of mode on key (pitch class). */
int lull__in_scale(int key, int mode, int note);
/* MIDI note of scale degree deg (any integer: octaves wrap) above the
 * tonic at MIDI tonic_midi. */
int lull__degree_note(const lull_scale *s, int tonic_midi, int deg);
/* Pitch class (0..11, relative to the tonic) of degree deg. */
int lull__degree_pc(const lull_scale *s, int deg);

#endif
