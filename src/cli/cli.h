/* cli: the `lull` command's subcommands. Exit codes: 0 done, 1 failed,
 * 2 usage error (a bad flag or value). */
#ifndef LULL_CLI_H
#define LULL_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "lull/err.h"
#include "lull/event.h"
#include "lull/station.h"

#define LULL_EXIT_OK 0
#define LULL_EXIT_FAIL 1
#define LULL_EXIT_USAGE 2

int lull__cmd_render(int argc, char **argv);
int lull__cmd_bench(int argc, char **argv);
int lull__cmd_serve(int argc, char **argv);
int lull__cmd_palettes(int argc, char **argv);
int lull__cmd_plugins(int argc, char **argv);

/* ---- flags (flags.c) ---- */

/* "--flag" or "--flag=value": whether argv[i] is flag, and its value (the
 * next argument, or after '='; NULL with a message when missing). */
int lull__flag_is(const char *a, const char *flag);
/* The part named by the len characters at s (pad, lead, ... bell), or -1. */
int lull__part_parse(const char *s, size_t len);
/* --instrument's PART=SPEC for command cmd: the part, its SPEC in *spec;
 * or -1, after saying on stderr what was wrong and what is allowed. */
int lull__instrument_arg(const char *cmd, const char *v, const char **spec);
const char *lull__flag_value(const char *cmd, int argc, char **argv, int *i, const char *flag);

/* Parse helpers: print "lull CMD: FLAG: ..." to stderr and return -1 on error. */
/* s as a whole number lo..hi into *out: 0, or -1 with d->message saying
 * what is allowed ("expected a whole number 1..16, got \"x\""). */
int lull__u64_parse(const char *s, uint64_t lo, uint64_t hi, uint64_t *out, lull_diag *d);
int lull__arg_u64(const char *cmd, const char *flag, const char *s, uint64_t lo, uint64_t hi, uint64_t *out);
int lull__arg_double(const char *cmd, const char *flag, const char *s, double lo, double hi, double *out);

/* ---- --station specs (station_spec.c) ---- */

/* Where a spec's words are kept: the config points into it. */
typedef struct lull_spec_words {
  char name[33];
  char title[LULL_STATION_TITLE_MAX * 4 + 1];
  char description[LULL_STATION_DESCRIPTION_MAX * 4 + 1];
} lull_spec_words;
/* NAME[:k=v,...] into *sc: its name, params, title and description (sc's
 * pointers into *words; title and description NULL when not given) and,
 * when it says daycycle=on|off|HOUR, its daycycle and day_hour (otherwise
 * left as they were). In a value, \, is a comma and \\ a backslash. 0, or
 * -1 with "lull serve: --station ..." printed to err. */
int lull__station_spec(const char *spec, lull_station_config *sc, lull_spec_words *words, FILE *err);
/* The keys of a spec, and of a config file's [station NAME] section. */
#define LULL_STATION_KEYS "key, mode, bpm, intensity, palette, seed, daycycle, title, description, steer"
/* One of a station's LULL_STATION_KEYS set from its text value v (taken
 * whole: no escapes) into *sc and *words, as in a spec: 0; LULL_EUNKNOWN
 * for a key that is none of them; or -1 with d->field the key and
 * d->message what is allowed ("must be 30..180, got 500"). */
int lull__station_field(lull_station_config *sc, lull_spec_words *words, const char *key, const char *v, lull_diag *d);

/* ---- progress bar (progress.c) ---- */

/* A progress bar on stderr, drawn only when stderr is a terminal. */
typedef struct lull_progress {
  int enabled;
  double total, start_s;
  int last_permille;
  const char *label;
} lull_progress;

void lull__progress_start(lull_progress *p, const char *label, double total, int quiet);
void lull__progress_update(lull_progress *p, double done);
void lull__progress_finish(lull_progress *p);
double lull__now_s(void);

#endif
