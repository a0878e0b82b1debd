/* --station NAME[:key=..,mode=..,bpm=..,intensity=..,palette=..,seed=..,daycycle=..]:
 * a station's name, starting params and day cycle, or a message saying what
 * is wrong. Apart from
 * serve.c so that its fuzzer needs neither the server nor the engine. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "lull/params.h"
#include "lull/station.h"

#define KNOWN "key, mode, bpm, intensity, palette, seed, daycycle"

/* daycycle=on (the local clock's hour), off, or an hour 0..24 kept fixed
 * (a station that stays at dusk; tests). */
static int daycycle(const char *v, lull_station_config *sc) {
  if (strcmp(v, "on") == 0) {
    sc->daycycle = LULL_DAYCYCLE_CLOCK;
    return 0;
  }
  if (strcmp(v, "off") == 0) {
    sc->daycycle = LULL_DAYCYCLE_OFF;
    return 0;
  }
  char *end;
  errno = 0;
  double h = strtod(v, &end);
  if (!*v || *end || errno || !(h >= 0 && h < 24)) return -1;
  sc->daycycle = LULL_DAYCYCLE_FIXED;
  sc->day_hour = h;
  return 0;
}

int lull__station_spec(const char *spec, lull_station_config *sc, char *name, size_t name_cap, FILE *err) {
  const char *colon = strchr(spec, ':');
  size_t n = colon ? (size_t)(colon - spec) : strlen(spec);
  if (n == 0 || n >= name_cap) {
    fprintf(err, "lull serve: --station: a name of 1..32 of a-z, 0-9 and - comes first, got \"%s\"\n", spec);
    return -1;
  }
  memcpy(name, spec, n);
  name[n] = 0;
  if (!lull_station_name_valid(name)) {
    fprintf(err, "lull serve: --station: station names are 1..32 of a-z, 0-9 and -, got \"%s\"\n", name);
    return -1;
  }
  sc->name = name;
  sc->params = lull_params_default();
  if (!colon) return 0;
  char buf[256];
  /* Cut to fit, a spec would lose its last pairs without a word (or keep
   * half a value): too long is an error. */
  if (strlen(colon + 1) >= sizeof buf) {
    fprintf(err, "lull serve: --station %s: the params are over %zu characters\n", name, sizeof buf - 1);
    return -1;
  }
  snprintf(buf, sizeof buf, "%s", colon + 1);
  for (char *save = NULL, *kv = strtok_r(buf, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
    char *eq = strchr(kv, '=');
    if (!eq) {
      fprintf(err, "lull serve: --station %s: \"%s\" is not key=value (" KNOWN ")\n", name, kv);
      return -1;
    }
    *eq = 0;
    if (strcmp(kv, "daycycle") == 0) {
      if (daycycle(eq + 1, sc) == 0) continue;
      fprintf(err, "lull serve: --station %s: daycycle: must be on, off or a fixed hour from 0 to below 24 (like 14.5), got \"%s\"\n",
              name, eq + 1);
      return -1;
    }
    lull_diag d = {{0}, {0}};
    int rc = lull_params_set(&sc->params, kv, eq + 1, &d);
    if (rc == LULL_EUNKNOWN) {
      fprintf(err, "lull serve: --station %s: unknown \"%s\"; known: " KNOWN "\n", name, kv);
      return -1;
    }
    if (rc != LULL_OK) {
      fprintf(err, "lull serve: --station %s: %s: %s\n", name, d.field[0] ? d.field : kv, d.message);
      return -1;
    }
  }
  return 0;
}
