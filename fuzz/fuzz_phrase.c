/* libFuzzer driver for phrase files (io/phrase.c): any input either parses
 * into events that respect every documented bound, or fails with a message
 * naming the problem. Nothing may crash, leak or read out of bounds (built
 * with ASan and UBSan). Run: make fuzz (FUZZ_SECONDS=..). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "io/io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = malloc(size + 1);
  if (!text) return 0;
  memcpy(text, data, size);
  text[size] = 0;
  lull_phrase p;
  lull_diag d;
  memset(&d, 0, sizeof d);
  int err = lull__phrase_parse(text, "fuzz", 48000, &p, &d);
  if (err == LULL_OK) {
    for (size_t i = 0; i < p.count; i++) {
      const lull_event *e = &p.events[i];
      if (e->pitch > 127 || e->part >= LULL_PART_COUNT || !(e->velocity >= 0.0f && e->velocity <= 1.0f)) abort();
      if (i && e->frame < p.events[i - 1].frame) abort(); /* sorted */
    }
    if (!(p.bpm >= 30 && p.bpm <= 180)) abort();
    lull__phrase_free(&p);
  } else if (!d.message[0] || err >= 0) {
    abort(); /* every failure says what was wrong */
  }
  free(text);
  return 0;
}
