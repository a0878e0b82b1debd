/* Timelines: param changes at given times, to replay a live session
 * offline. Strict like phrase files: every error names the entry and field. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/io_int.h"

/* The longest value text: far past any key, mode or number written by hand. */
#define MAX_VALUE_CHARS 63

static int parse(json_t *root, const lull_params *start, uint32_t rate, lull_timeline *out, lull_diag *diag) {
  if (!json_is_array(root))
    return lull_diag_set(diag, LULL_EPARSE, "", "a timeline is a JSON array of {\"at\": seconds, ...changes}");
  size_t n = json_array_size(root);
  out->changes = calloc(n ? n : 1, sizeof *out->changes);
  if (!out->changes) return lull_diag_set(diag, LULL_ENOMEM, "", "out of memory");
  lull_params p = *start;
  double last_at = -1;
  for (size_t i = 0; i < n; i++) {
    json_t *item = json_array_get(root, i);
    char where[48], field[80];
    snprintf(where, sizeof where, "timeline[%zu]", i);
    if (!json_is_object(item)) {
      lull__timeline_free(out);
      return lull_diag_set(diag, LULL_EPARSE, where, "must be an object like {\"at\": 30, \"key\": \"D\"}");
    }
    json_t *at = json_object_get(item, "at");
    snprintf(field, sizeof field, "%s.at", where);
    if (!json_is_number(at) || !(json_number_value(at) >= 0 && json_number_value(at) <= 1e7)) {
      lull__timeline_free(out);
      return lull_diag_set(diag, LULL_ERANGE, field, "must be seconds from the start, 0..1e7");
    }
    double t = json_number_value(at);
    if (t < last_at) {
      lull__timeline_free(out);
      return lull_diag_set(diag, LULL_ERANGE, field, "changes must be in order of time");
    }
    last_at = t;
    const char *key;
    json_t *v;
    int changed = 0;
    json_object_foreach(item, key, v) {
      if (strcmp(key, "at") == 0) continue;
      /* Strings are checked whole: a copy cut to a buffer would let
       * "70.000...0garbage" through once the garbage fell past the cut.
       * Numbers are printed into the buffer, where they always fit. */
      char buf[MAX_VALUE_CHARS + 1];
      const char *text = buf;
      if (json_is_string(v)) text = json_string_value(v);
      else if (json_is_integer(v)) snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
      else if (json_is_real(v)) snprintf(buf, sizeof buf, "%.17g", json_real_value(v));
      else buf[0] = 0;
      lull_diag d;
      snprintf(field, sizeof field, "%s.%s", where, key);
      if (strcmp(key, "seed") == 0) {
        lull__timeline_free(out);
        return lull_diag_set(diag, LULL_EINVAL, field, "the seed cannot change during a piece");
      }
      int err = lull_params_set(&p, key, text, &d);
      if (err) {
        lull__timeline_free(out);
        if (err == LULL_EUNKNOWN) return lull_diag_set(diag, err, field, "unknown; allowed: at, key, mode, bpm, intensity, palette");
        return lull_diag_set(diag, err, field, "%s", d.message);
      }
      /* After the value's own check, so an unknown field or a bad value is
       * named as such; what is left is a valid value padded out (zeros). */
      if (json_is_string(v) && json_string_length(v) > MAX_VALUE_CHARS) {
        lull__timeline_free(out);
        return lull_diag_set(diag, LULL_ERANGE, field, "is %zu characters long; a value is at most %d",
                             json_string_length(v), MAX_VALUE_CHARS);
      }
      changed = 1;
    }
    if (!changed) {
      lull__timeline_free(out);
      return lull_diag_set(diag, LULL_EPARSE, where, "changes nothing; give key, mode, bpm, intensity or palette");
    }
    out->changes[out->count++] = (lull_timeline_change){(uint64_t)llround(t * rate), p};
  }
  return LULL_OK;
}

/* From a file (text NULL) or a string. */
static int read_timeline(const char *path, const char *text, const lull_params *start, uint32_t rate,
                         lull_timeline *out, lull_diag *diag) {
  memset(out, 0, sizeof *out);
  json_t *root;
  int err = lull__json_read(path, text, &root, diag);
  if (err) return err;
  err = parse(root, start, rate, out, diag);
  json_decref(root);
  return err;
}

int lull__timeline_parse(const char *text, const char *path, const lull_params *start, uint32_t rate,
                         lull_timeline *out, lull_diag *diag) {
  return read_timeline(path, text, start, rate, out, diag);
}

int lull__timeline_load(const char *path, const lull_params *start, uint32_t rate, lull_timeline *out,
                        lull_diag *diag) {
  return read_timeline(path, NULL, start, rate, out, diag);
}

void lull__timeline_free(lull_timeline *t) {
  free(t->changes);
  t->changes = NULL;
  t->count = 0;
}
