/* Params: what a listener steers. Every value is validated; an invalid one is
 * rejected with the field and the allowed range (lull_diag), never clamped. */
#ifndef LULL_PARAMS_H
#define LULL_PARAMS_H

#include <stdint.h>

#include "lull/err.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum lull_mode {
  LULL_MODE_IONIAN = 0, /* major */
  LULL_MODE_DORIAN,
  LULL_MODE_PHRYGIAN,
  LULL_MODE_LYDIAN,
  LULL_MODE_MIXOLYDIAN,
  LULL_MODE_AEOLIAN,    /* minor */
  LULL_MODE_PENTA_MAJOR,
  LULL_MODE_PENTA_MINOR,
  LULL_MODE_COUNT
} lull_mode;

/* Palettes: whole sound worlds, each with its own instruments, levels,
 * registers, space and way of writing for them. */
typedef enum lull_palette {
  LULL_PALETTE_CLASSIC = 0, /* detuned saw pad, FM electric piano, sine bass, heartbeat (the default) */
  LULL_PALETTE_GLASS,       /* glass bells, harp arpeggios, a soft pad, rain; no drums */
  LULL_PALETTE_STRINGS,     /* string ensemble, harp, a distant choir; no drums */
  LULL_PALETTE_KEYS,        /* DX electric piano, warm pad, kalimba, brushes */
  LULL_PALETTE_NIGHT,       /* sub drone, wind, sparse glass bells, a long dark room */
  LULL_PALETTE_TAPE,        /* a piano-like lead and a worn pad through wow, flutter and hiss */
  LULL_PALETTE_COUNT
} lull_palette;

#define LULL_BPM_MIN 30.0f
#define LULL_BPM_MAX 180.0f

typedef struct lull_params {
  int key;         /* pitch class 0..11 (0 = C) */
  int mode;        /* lull_mode */
  float bpm;       /* 30..180 */
  float intensity; /* 0..1 */
  uint64_t seed;
  int palette;     /* lull_palette (last, so {key, mode, bpm, intensity, seed} still reads) */
} lull_params;

/* Which fields of lull_params a change carries (lull_station_set_params, a
 * control message, a station's command queue): a bitwise OR of these. The
 * seed is not among them: a station keeps the one it was created with. */
enum {
  LULL_PARAM_KEY = 1,
  LULL_PARAM_MODE = 2,
  LULL_PARAM_BPM = 4,
  LULL_PARAM_INTENSITY = 8,
  LULL_PARAM_PALETTE = 16,
  LULL_PARAM_ALL = 31 /* every field a change can carry */
};

/* A minor, 64 bpm, intensity 0.4, palette classic, seed 0. Thread-safe. */
lull_params lull_params_default(void);

/* LULL_OK, or LULL_ERANGE naming the first bad field. Thread-safe. */
__attribute__((warn_unused_result))
int lull_params_validate(const lull_params *p, lull_diag *diag);

/* Set one field from text: key ("A", "F#", "Bb" or 0..11), mode ("dorian",
 * "minor", "pentatonic-major", ...), bpm, intensity, palette ("glass"),
 * seed. The params are
 * left unchanged on error: LULL_EUNKNOWN for an unknown field, LULL_ERANGE
 * or LULL_EPARSE for a bad value. Thread-safe. */
__attribute__((warn_unused_result))
int lull_params_set(lull_params *p, const char *field, const char *value, lull_diag *diag);

/* Names: "A", "aeolian"; NULL when out of range. Thread-safe. */
const char *lull_key_name(int key);
const char *lull_mode_name(int mode);
/* "glass"; NULL when out of range. Thread-safe. */
const char *lull_palette_name(int palette);
/* One line on what the palette sounds like; NULL when out of range. */
const char *lull_palette_describe(int palette);
/* The palette named name, or -1. */
int lull_palette_parse(const char *name);

#ifdef __cplusplus
}
#endif
#endif
