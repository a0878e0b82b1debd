/* --station NAME[:key=..,mode=..,bpm=..,intensity=..,palette=..,seed=..,daycycle=..,
 * title=..,description=..,steer=..]: a station's name, starting params, day
 * cycle, face and who may steer it, or a message saying what is wrong.
 * Values are split at commas; a description has its own, so "\," is a comma
 * and "\\" a backslash, and any other backslash is refused (never guessed
 * at). Apart from serve.c so that its fuzzer needs neither the server nor
 * the engine. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "lull/params.h"
#include "lull/station.h"

/* Room for a title and a description of 4-byte characters, escapes and the rest. */
#define SPEC_BYTES 2048

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

/* title= and description=: checked whole (station.h's rules), then kept. */
static int face(const char *key, const char *v, char *out, size_t cap, lull_diag *d) {
  int rc = strcmp(key, "title") == 0 ? lull_station_title_check(v, d) : lull_station_description_check(v, d);
  if (rc != LULL_OK) return -1;
  snprintf(out, cap, "%s", v); /* checked: at most 4 bytes a character */
  return 0;
}

int lull__station_field(lull_station_config *sc, lull_spec_words *words, const char *key, const char *v, lull_diag *d) {
  snprintf(d->field, sizeof d->field, "%.63s", key);
  d->message[0] = 0;
  if (strcmp(key, "daycycle") == 0) {
    if (daycycle(v, sc) == 0) return 0;
    snprintf(d->message, sizeof d->message, "must be on, off or a fixed hour from 0 to below 24 (like 14.5), got \"%.64s\"", v);
    return -1;
  }
  if (strcmp(key, "steer") == 0) {
    sc->steer = !strcmp(v, "open") ? LULL_STEER_OPEN : !strcmp(v, "token") ? LULL_STEER_TOKEN : !strcmp(v, "none") ? LULL_STEER_NONE : -1;
    if (sc->steer >= 0) return 0;
    snprintf(d->message, sizeof d->message, "must be open (anyone), token (with --control-token) or none, got \"%.64s\"", v);
    return -1;
  }
  if (strcmp(key, "title") == 0 || strcmp(key, "description") == 0) {
    int title = key[0] == 't';
    if (face(key, v, title ? words->title : words->description, title ? sizeof words->title : sizeof words->description, d))
      return -1;
    if (title) sc->title = words->title;
    else sc->description = words->description;
    return 0;
  }
  int rc = lull_params_set(&sc->params, key, v, d);
  if (rc == LULL_EUNKNOWN) return LULL_EUNKNOWN;
  if (rc != LULL_OK) {
    if (!d->field[0]) snprintf(d->field, sizeof d->field, "%.63s", key);
    return -1;
  }
  return 0;
}

int lull__station_spec(const char *spec, lull_station_config *sc, lull_spec_words *words, FILE *err) {
  char *name = words->name;
  const char *colon = strchr(spec, ':');
  size_t n = colon ? (size_t)(colon - spec) : strlen(spec);
  if (n == 0 || n >= sizeof words->name) {
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
  sc->title = sc->description = NULL;
  sc->params = lull_params_default();
  if (!colon) return 0;
  /* Cut to fit, a spec would lose its last pairs without a word (or keep
   * half a value): too long is an error. */
  if (strlen(colon + 1) >= SPEC_BYTES) {
    fprintf(err, "lull serve: --station %s: the params are over %d characters\n", name, SPEC_BYTES - 1);
    return -1;
  }
  char kv[SPEC_BYTES];
  for (const char *p = colon + 1; *p;) {
    /* One piece, up to a comma no backslash escapes; empty ones skipped. */
    size_t len = 0;
    for (; *p && *p != ','; p++) {
      if (*p == '\\' && p[1] != ',' && p[1] != '\\') {
        fprintf(err, "lull serve: --station %s: a backslash may only escape a comma (\\,) or itself (\\\\)\n", name);
        return -1;
      }
      if (*p == '\\') p++;
      kv[len++] = *p;
    }
    kv[len] = 0;
    if (*p) p++;
    if (!len) continue;
    char *eq = strchr(kv, '=');
    if (!eq) {
      fprintf(err, "lull serve: --station %s: \"%s\" is not key=value (" LULL_STATION_KEYS ")\n", name, kv);
      return -1;
    }
    *eq = 0;
    lull_diag d = {{0}, {0}};
    int rc = lull__station_field(sc, words, kv, eq + 1, &d);
    if (rc == LULL_EUNKNOWN) {
      fprintf(err, "lull serve: --station %s: unknown \"%s\"; known: " LULL_STATION_KEYS "\n", name, kv);
      return -1;
    }
    if (rc != 0) {
      fprintf(err, "lull serve: --station %s: %s: %s\n", name, d.field, d.message);
      return -1;
    }
  }
  return 0;
}
