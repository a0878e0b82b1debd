/* libFuzzer driver for --station specs (lull__station_spec, cli/
 * station_spec.c): any argument gives a valid name, and params and a day
 * cycle equal to a plain reading of every key=value in it (each applied
 * whole, in order), printing nothing, or fails with one "lull serve:
 * --station" line.
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

/* The params of the spec's NAME:k=v,k=v part read the plain way, pieces
 * split at every comma (empty ones skipped, as strtok does); 0 when a piece
 * has no such reading. */
static int reference(const char *spec, lull_params *p, int *daycycle, double *day_hour) {
  *p = lull_params_default();
  *daycycle = LULL_DAYCYCLE_OFF, *day_hour = 0;
  const char *colon = strchr(spec, ':');
  if (!colon) return 1;
  char *rest = strdup(colon + 1);
  if (!rest) abort();
  int ok = 1;
  for (char *kv = rest, *next; ok && kv; kv = next) {
    next = strchr(kv, ',');
    if (next) *next++ = 0;
    if (!*kv) continue;
    char *eq = strchr(kv, '=');
    lull_diag d;
    if (!eq) {
      ok = 0;
    } else if ((*eq = 0, strcmp(kv, "daycycle") == 0)) {
      char *end;
      double h = strtod(eq + 1, &end);
      if (strcmp(eq + 1, "on") == 0) *daycycle = LULL_DAYCYCLE_CLOCK;
      else if (strcmp(eq + 1, "off") == 0) *daycycle = LULL_DAYCYCLE_OFF;
      else if (eq[1] && !*end && h >= 0 && h < 24) *daycycle = LULL_DAYCYCLE_FIXED, *day_hour = h;
      else ok = 0;
    } else {
      ok = lull_params_set(p, kv, eq + 1, &d) == LULL_OK;
    }
  }
  free(rest);
  return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static FILE *err;
  static char *out;
  static size_t out_len;
  if (!err && !(err = open_memstream(&out, &out_len))) abort();
  char *spec = fuzz_cstr(data, size); /* argv strings end in a NUL */
  lull_station_config sc;
  memset(&sc, 0, sizeof sc);
  char name[40];
  rewind(err);
  int rc = lull__station_spec(spec, &sc, name, sizeof name, err);
  long printed = ftell(err);
  if (rc == 0) {
    FUZZ_CHECK(printed == 0, "a spec taken prints nothing");
    FUZZ_CHECK(sc.name == name && lull_station_name_valid(name), "a spec taken names a valid station");
    FUZZ_CHECK(strncmp(spec, name, strlen(name)) == 0 && (spec[strlen(name)] == 0 || spec[strlen(name)] == ':'),
               "the name is the spec's, whole");
    lull_diag d;
    FUZZ_CHECK(lull_params_validate(&sc.params, &d) == LULL_OK, "the params are within their ranges");
    lull_params ref;
    int daycycle;
    double day_hour;
    FUZZ_CHECK(reference(spec, &ref, &daycycle, &day_hour), "every key=value taken has a plain reading");
    FUZZ_CHECK(ref.key == sc.params.key && ref.mode == sc.params.mode && ref.bpm == sc.params.bpm &&
                   ref.intensity == sc.params.intensity && ref.seed == sc.params.seed && ref.palette == sc.params.palette,
               "the params are what every key=value says, read whole");
    FUZZ_CHECK(daycycle == sc.daycycle && (daycycle != LULL_DAYCYCLE_FIXED || day_hour == sc.day_hour),
               "the day cycle is what daycycle= says");
    FUZZ_CHECK(sc.daycycle != LULL_DAYCYCLE_FIXED || (sc.day_hour >= 0 && sc.day_hour < 24), "a fixed hour is an hour");
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
