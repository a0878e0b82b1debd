/* libFuzzer driver for --station specs (lull__station_spec, cli/
 * station_spec.c): any argument gives a valid name, and params, a day
 * cycle, a title and a description equal to a plain reading of every
 * key=value in it (each applied whole, in order; \, and \\ unescaped),
 * printing nothing, or fails with one "lull serve: --station" line.
 * Run: make fuzz (FUZZ_SECONDS=..). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "fuzz_check.h"
#include "lull/params.h"
#include "lull/station.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What a spec says, read the plain way. */
typedef struct reading {
  lull_params p;
  int daycycle;
  double day_hour;
  int steer; /* LULL_STEER_* (DEFAULT when not given) */
  char *title, *description; /* the last given, or NULL */
} reading;

/* The spec's NAME:k=v,k=v part read the plain way: pieces split at every
 * comma no backslash escapes, then unescaped (empty ones skipped); 0 when
 * a piece has no such reading. */
static int reference(const char *spec, reading *r) {
  r->p = lull_params_default();
  r->daycycle = LULL_DAYCYCLE_OFF, r->day_hour = 0;
  r->steer = LULL_STEER_DEFAULT;
  r->title = r->description = NULL;
  const char *colon = strchr(spec, ':');
  if (!colon) return 1;
  size_t len = strlen(colon + 1);
  char *rest = malloc(len + 1);
  if (!rest) abort();
  int ok = 1;
  for (const char *s = colon + 1; ok && *s;) {
    size_t n = 0;
    for (; *s && *s != ','; s++) {
      if (*s == '\\') {
        s++;
        if (*s != ',' && *s != '\\') {
          ok = 0;
          break;
        }
      }
      rest[n++] = *s;
    }
    if (!ok) break;
    rest[n] = 0;
    if (*s) s++;
    if (!n) continue;
    char *kv = rest, *eq = strchr(kv, '=');
    lull_diag d;
    if (!eq) {
      ok = 0;
    } else if ((*eq = 0, strcmp(kv, "daycycle") == 0)) {
      char *end;
      double h = strtod(eq + 1, &end);
      if (strcmp(eq + 1, "on") == 0) r->daycycle = LULL_DAYCYCLE_CLOCK;
      else if (strcmp(eq + 1, "off") == 0) r->daycycle = LULL_DAYCYCLE_OFF;
      else if (eq[1] && !*end && h >= 0 && h < 24) r->daycycle = LULL_DAYCYCLE_FIXED, r->day_hour = h;
      else ok = 0;
    } else if (strcmp(kv, "steer") == 0) {
      const char *v = eq + 1;
      r->steer = !strcmp(v, "open") ? LULL_STEER_OPEN : !strcmp(v, "token") ? LULL_STEER_TOKEN
                 : !strcmp(v, "none") ? LULL_STEER_NONE : -1;
      ok = r->steer >= 0;
    } else if (strcmp(kv, "title") == 0 || strcmp(kv, "description") == 0) {
      char **to = kv[0] == 't' ? &r->title : &r->description;
      free(*to);
      if (!(*to = strdup(eq + 1))) abort();
    } else {
      ok = lull_params_set(&r->p, kv, eq + 1, &d) == LULL_OK;
    }
  }
  free(rest);
  return ok;
}

/* Two texts alike, NULL being only NULL's like. */
static int same(const char *a, const char *b) { return a && b ? strcmp(a, b) == 0 : a == b; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static FILE *err;
  static char *out;
  static size_t out_len;
  if (!err && !(err = open_memstream(&out, &out_len))) abort();
  char *spec = fuzz_cstr(data, size); /* argv strings end in a NUL */
  lull_station_config sc;
  memset(&sc, 0, sizeof sc);
  lull_spec_words words;
  rewind(err);
  int rc = lull__station_spec(spec, &sc, &words, err);
  long printed = ftell(err);
  if (rc == 0) {
    const char *name = words.name;
    FUZZ_CHECK(printed == 0, "a spec taken prints nothing");
    FUZZ_CHECK(sc.name == name && lull_station_name_valid(name), "a spec taken names a valid station");
    FUZZ_CHECK(strncmp(spec, name, strlen(name)) == 0 && (spec[strlen(name)] == 0 || spec[strlen(name)] == ':'),
               "the name is the spec's, whole");
    lull_diag d;
    FUZZ_CHECK(lull_params_validate(&sc.params, &d) == LULL_OK, "the params are within their ranges");
    reading ref;
    FUZZ_CHECK(reference(spec, &ref), "every key=value taken has a plain reading");
    FUZZ_CHECK(ref.p.key == sc.params.key && ref.p.mode == sc.params.mode && ref.p.bpm == sc.params.bpm &&
                   ref.p.intensity == sc.params.intensity && ref.p.seed == sc.params.seed && ref.p.palette == sc.params.palette,
               "the params are what every key=value says, read whole");
    FUZZ_CHECK(ref.daycycle == sc.daycycle && (ref.daycycle != LULL_DAYCYCLE_FIXED || ref.day_hour == sc.day_hour),
               "the day cycle is what daycycle= says");
    FUZZ_CHECK(sc.daycycle != LULL_DAYCYCLE_FIXED || (sc.day_hour >= 0 && sc.day_hour < 24), "a fixed hour is an hour");
    FUZZ_CHECK(ref.steer == sc.steer, "who may steer is what steer= says");
    FUZZ_CHECK(same(sc.title, ref.title) && same(sc.description, ref.description),
               "the title and description are what title= and description= say, unescaped");
    FUZZ_CHECK((!sc.title || (sc.title == words.title && lull_station_title_check(sc.title, &d) == LULL_OK)) &&
                   (!sc.description ||
                    (sc.description == words.description && lull_station_description_check(sc.description, &d) == LULL_OK)),
               "a title and a description taken are fit for a station");
    free(ref.title);
    free(ref.description);
  } else {
    FUZZ_CHECK(rc == -1, "0 or -1");
    fflush(err);
    FUZZ_CHECK(printed > 0 && out_len >= (size_t)printed, "a refusal prints a message");
    FUZZ_CHECK(strncmp(out, "lull serve: --station", 21) == 0 && out[printed - 1] == '\n',
               "the message is one lull serve: --station line");
  }
  free(spec);
  return 0;
}
