/* Note names to pitch classes and back. */
#include "theory/theory.h"

static const char *const sharp_names[12] = {"C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"};

int lull__pitch_class_parse(const char *name) {
  static const int letter_pc[7] = {9, 11, 0, 2, 4, 5, 7}; /* A..G */
  if (!name) return -1;
  char c = name[0];
  if (c >= 'a' && c <= 'g') c = (char)(c - 'a' + 'A');
  if (c < 'A' || c > 'G') return -1;
  int pc = letter_pc[c - 'A'];
  const char *p = name + 1;
  if (*p == '#') pc++, p++;
  else if (*p == 'b') pc--, p++;
  if (*p) return -1;
  return (pc + 12) % 12;
}

const char *lull__pitch_class_name(int pc) { return pc >= 0 && pc < 12 ? sharp_names[pc] : NULL; }
