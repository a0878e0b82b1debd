/* Chord qualities and the four-voice pad voicing. */
#include <string.h>

#include "theory/theory.h"

static const lull_chord_quality qualities[] = {
    {"maj", "major M", 3, {0, 4, 7}},
    {"min", "minor m", 3, {0, 3, 7}},
    {"dim", "diminished", 3, {0, 3, 6}},
    {"aug", "augmented +", 3, {0, 4, 8}},
    {"sus2", "", 3, {0, 2, 7}},
    {"sus4", "sus", 3, {0, 5, 7}},
    {"maj7", "M7", 4, {0, 4, 7, 11}},
    {"min7", "m7", 4, {0, 3, 7, 10}},
    {"7", "dom7", 4, {0, 4, 7, 10}},
    {"m7b5", "half-dim", 4, {0, 3, 6, 10}},
    {"dim7", "", 4, {0, 3, 6, 9}},
    {"6", "maj6", 4, {0, 4, 7, 9}},
    {"min6", "m6", 4, {0, 3, 7, 9}},
    {"add9", "", 4, {0, 4, 7, 14}},
    {"madd9", "minadd9", 4, {0, 3, 7, 14}},
    {"maj9", "M9", 5, {0, 4, 7, 11, 14}},
    {"min9", "m9", 5, {0, 3, 7, 10, 14}},
    {"7sus4", "", 4, {0, 5, 7, 10}},
};

static int alias_match(const char *aliases, const char *name) {
  size_t n = strlen(name);
  for (const char *p = aliases; *p;) {
    const char *end = strchr(p, ' ');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    if (len == n && memcmp(p, name, n) == 0) return 1;
    if (!end) break;
    p = end + 1;
  }
  return 0;
}

const lull_chord_quality *lull__chord_find(const char *name) {
  if (!name || !*name) return NULL;
  for (size_t i = 0; i < sizeof qualities / sizeof qualities[0]; i++)
    if (strcmp(qualities[i].name, name) == 0 || alias_match(qualities[i].aliases, name)) return &qualities[i];
  return NULL;
}

const char *lull__chord_names(void) {
  return "maj, min, dim, aug, sus2, sus4, maj7, min7, 7, m7b5, dim7, 6, min6, add9, madd9, maj9, min9, 7sus4";
}

void lull__chord_voice(const lull_chord_quality *q, int root, int out[LULL_CHORD_VOICES]) {
  if (q->count == 3) {
    for (int i = 0; i < 3; i++) out[i] = root + q->intervals[i];
    out[3] = root + 12;
  } else if (q->count == 4) {
    for (int i = 0; i < 4; i++) out[i] = root + q->intervals[i];
  } else {
    out[0] = root + q->intervals[0];
    out[1] = root + q->intervals[1];
    out[2] = root + q->intervals[3];
    out[3] = root + q->intervals[4];
  }
}
