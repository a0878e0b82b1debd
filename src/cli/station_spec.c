/* --station NAME[:key=..,mode=..,bpm=..,intensity=..,seed=..]: a station's
 * name and starting params, or a message saying what is wrong. Apart from
 * serve.c so that its fuzzer needs neither the server nor the engine. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "lull/params.h"
#include "lull/station.h"

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
      fprintf(err, "lull serve: --station %s: \"%s\" is not key=value (key, mode, bpm, intensity, seed)\n", name, kv);
      return -1;
    }
    *eq = 0;
    lull_diag d = {{0}, {0}};
    if (lull_params_set(&sc->params, kv, eq + 1, &d) != LULL_OK) {
      fprintf(err, "lull serve: --station %s: %s: %s\n", name, d.field[0] ? d.field : kv, d.message);
      return -1;
    }
  }
  return 0;
}
