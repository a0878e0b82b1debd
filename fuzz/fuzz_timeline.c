/* libFuzzer driver for timelines (lull__timeline_parse, io/timeline.c): any
 * text is a list of changes in order of time, each within every range and
 * equal to what a plain second reading gives (every value applied whole
 * through lull_params_set), or an error with a message. Nothing may crash,
 * leak or read out of bounds. Run: make fuzz (FUZZ_SECONDS=..). */
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "io/io.h"

#define RATE_HZ 48000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The second reading: 0 when it would refuse what the parser took. */
static int same_as_reference(const char *text, const lull_params *start, const lull_timeline *tl) {
  json_error_t e;
  json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &e);
  if (!json_is_array(root) || json_array_size(root) != tl->count) return 0;
  lull_params p = *start;
  int ok = 1;
  for (size_t i = 0; ok && i < tl->count; i++) {
    json_t *item = json_array_get(root, i), *v;
    const char *key;
    double at = json_number_value(json_object_get(item, "at"));
    ok = tl->changes[i].frame == (uint64_t)llround(at * RATE_HZ);
    json_object_foreach(item, key, v) {
      if (strcmp(key, "at") == 0) continue;
      char num[64];
      const char *value = json_string_value(v);
      if (json_is_integer(v)) snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v)), value = num;
      if (json_is_real(v)) snprintf(num, sizeof num, "%.17g", json_real_value(v)), value = num;
      lull_diag d;
      if (!value || lull_params_set(&p, key, value, &d) != LULL_OK) ok = 0;
    }
    const lull_params *q = &tl->changes[i].params;
    ok = ok && q->key == p.key && q->mode == p.mode && q->bpm == p.bpm && q->intensity == p.intensity && q->seed == p.seed &&
         q->palette == p.palette;
  }
  json_decref(root);
  return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = fuzz_cstr(data, size);
  const lull_params start = {2, LULL_MODE_DORIAN, 77.0f, 0.25f, 12345, LULL_PALETTE_STRINGS};
  lull_timeline tl;
  lull_diag d;
  memset(&d, 0, sizeof d);
  int err = lull__timeline_parse(text, "fuzz", &start, RATE_HZ, &tl, &d);
  if (err == LULL_OK) {
    for (size_t i = 0; i < tl.count; i++) {
      const lull_timeline_change *c = &tl.changes[i];
      FUZZ_CHECK(lull_params_validate(&c->params, &d) == LULL_OK, "every change is within every range");
      FUZZ_CHECK(c->params.seed == start.seed, "the seed never changes");
      FUZZ_CHECK(c->frame <= (uint64_t)1e7 * RATE_HZ, "at is at most 1e7 s");
      FUZZ_CHECK(!i || c->frame >= tl.changes[i - 1].frame, "changes are in order of time");
    }
    FUZZ_CHECK(same_as_reference(text, &start, &tl), "each change is what its values say, read whole");
    lull__timeline_free(&tl);
  } else {
    FUZZ_CHECK(err < 0 && d.message[0], "every failure says what was wrong");
    FUZZ_CHECK(tl.changes == NULL && tl.count == 0, "a failure leaves nothing to free");
  }
  free(text);
  return 0;
}
