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

/* ---- lull serve's settings (serve_options.c, serve_file.c) ---- */

#define LULL_SERVE_TEXT 256   /* a path, an address, a name shown by Icecast */
#define LULL_SERVE_SPEC 1024  /* an LV2 plugin's "URI[,preset=P][,SYMBOL=VALUE...]" */
#define LULL_SERVE_LIST 32    /* entries of a repeatable option (allow-origin, ...) */
#define LULL_SERVE_MAX_FX 8   /* effects a station */
#define LULL_SERVE_MAX_STATIONS 64 /* = LULL_SERVER_MAX_STATIONS (checked in serve.c) */
#define LULL_SERVE_MAX_ICECAST 16  /* = LULL_SERVER_MAX_ICECAST */

typedef struct lull_serve_list {
  uint32_t n;
  char item[LULL_SERVE_LIST][LULL_SERVE_TEXT];
} lull_serve_list;

/* A station as a --station spec or a [station NAME] section says it. */
typedef struct lull_serve_station {
  lull_spec_words words; /* name; title and description ("" = not given) */
  lull_params params;
  int daycycle;          /* LULL_DAYCYCLE_*, or -1: not said (the server's daycycle decides) */
  double day_hour;
  int steer;             /* LULL_STEER_* (DEFAULT: not said) */
  uint32_t fx_count;
  char fx[LULL_SERVE_MAX_FX][LULL_SERVE_SPEC];
  char instrument[LULL_PART_COUNT][LULL_SERVE_SPEC]; /* "" = the part's own voice */
} lull_serve_station;

/* An Icecast output ([icecast LABEL], or --icecast STATION=URL). Empty
 * texts are not said: the [server] icecast-* options decide. */
typedef struct lull_serve_icecast {
  char label[33];        /* "" from --icecast */
  char station[33];
  char url[LULL_SERVE_TEXT];
  char password_file[LULL_SERVE_TEXT], name[LULL_SERVE_TEXT], description[LULL_SERVE_TEXT], genre[LULL_SERVE_TEXT];
} lull_serve_icecast;

/* Everything lull serve runs with, from the config file and the flags: a
 * plain value without pointers, every text zero-padded, so that two
 * readings compare with memcmp (what a reload changes). Secrets are never
 * in it, only the files they are read from (and --control-token's value,
 * which the command line gives). Fields named like the options, '-' as '_'. */
typedef struct lull_serve_settings {
  char bind[LULL_SERVE_TEXT];
  uint32_t port, daycycle, max_clients, max_personal, personal_idle_s, max_per_ip, max_conns_per_ip;
  uint32_t request_timeout_ms, threads, packets_per_message, burst_ms, http_write_ms, bitrate;
  uint32_t recent_minutes, lead_ms, realtime, log_level, log_format;
  char control_token[LULL_SERVE_TEXT], control_token_file[LULL_SERVE_TEXT];
  char tls_cert[LULL_SERVE_TEXT], tls_key[LULL_SERVE_TEXT];
  char icecast_password_file[LULL_SERVE_TEXT], icecast_name[LULL_SERVE_TEXT];
  char icecast_description[LULL_SERVE_TEXT], icecast_genre[LULL_SERVE_TEXT];
  lull_serve_list allow_origin, allow_host, trusted_proxy;
  uint32_t n_stations, n_icecast;
  lull_serve_station station[LULL_SERVE_MAX_STATIONS];
  lull_serve_icecast icecast[LULL_SERVE_MAX_ICECAST];
} lull_serve_settings;

/* Where a setting came from, for messages and --check-config. */
enum { LULL_FROM_DEFAULT = 0, LULL_FROM_FILE, LULL_FROM_FLAG };
typedef struct lull_serve_origin {
  int from; /* LULL_FROM_* */
  int line; /* in the file (from FILE) */
} lull_serve_origin;

#define LULL_SERVE_OPTION_COUNT 30
/* Beside a lull_serve_settings: each option's, station's and output's origin. */
typedef struct lull_serve_where {
  char file[LULL_SERVE_TEXT]; /* --config's FILE; "" without one */
  lull_serve_origin option[LULL_SERVE_OPTION_COUNT];
  lull_serve_origin station[LULL_SERVE_MAX_STATIONS];
  lull_serve_origin fx[LULL_SERVE_MAX_STATIONS][LULL_SERVE_MAX_FX];
  lull_serve_origin instrument[LULL_SERVE_MAX_STATIONS][LULL_PART_COUNT];
  lull_serve_origin icecast[LULL_SERVE_MAX_ICECAST];     /* its section (or flag) */
  int icecast_station_line[LULL_SERVE_MAX_ICECAST];      /* its station = line */
} lull_serve_where;

/* The kinds of serve option: how a value is read. */
enum {
  LULL_OPT_U32,    /* a whole number lo..hi */
  LULL_OPT_TEXT,   /* any text up to LULL_SERVE_TEXT - 1 bytes */
  LULL_OPT_LIST,   /* TEXT, repeatable up to hi times */
  LULL_OPT_SWITCH, /* on or off; the flag alone is on */
  LULL_OPT_LEVEL,  /* error, warn, info or debug */
  LULL_OPT_FORMAT, /* text or json (the log's) */
  LULL_OPT_SECRET  /* on the command line only; the file names a file instead */
};

/* One serve option: the flag --NAME and the [server] key NAME alike. */
typedef struct lull_serve_option {
  const char *name;
  int kind;          /* LULL_OPT_* */
  uint64_t lo, hi;   /* U32: the range; LIST: hi entries at most */
  uint64_t def;      /* U32, SWITCH, LEVEL and FORMAT: the default */
  const char *shown; /* the default when it is not a plain number ("one per CPU"), or NULL */
  size_t offset;     /* of its field in lull_serve_settings */
} lull_serve_option;

extern const lull_serve_option lull__serve_options[LULL_SERVE_OPTION_COUNT];

/* The option named name (without the dashes), or NULL. */
const lull_serve_option *lull__serve_option_find(const char *name, size_t len);
/* *from into *to with every byte set (padding zeroed), for memcmp. */
void lull__serve_params_put(lull_params *to, const lull_params *from);
/* Every option's default, no stations, no outputs, nothing from anywhere. */
void lull__serve_settings_init(lull_serve_settings *s, lull_serve_where *w);
/* Sets option o from text v, from where `from` says (a value from the
 * flags replaces the file's; a LIST from the flags starts anew). 0, or -1
 * with d->message saying what is allowed. */
int lull__serve_option_set(lull_serve_settings *s, lull_serve_where *w, const lull_serve_option *o, const char *v,
                           lull_serve_origin from, lull_diag *d);
/* Icecast output i's password file (k 0), name (1), description (2) or
 * genre (3): a --icecast-* flag, else its own [icecast] key, else the
 * [server] icecast-* key; "" = the default. */
const char *lull__serve_icecast_text(const lull_serve_settings *s, const lull_serve_where *w, size_t i, int k);
/* The settings as lull serve --check-config shows them: INI that reads
 * back to the same settings, defaults as comments, secrets by their file. */
void lull__serve_settings_print(FILE *f, const lull_serve_settings *s, const lull_serve_where *w);

/* Reads the config file at path into *s and *w (set anew first): 0, or -1
 * with one line "lull serve: PATH:LINE: [SECTION] KEY: what is allowed"
 * (or "lull serve: --config: ...") printed to err. */
int lull__serve_file_read(const char *path, lull_serve_settings *s, lull_serve_where *w, FILE *err);
/* The same from len bytes of text, named path in messages (the fuzzer's way in). */
int lull__serve_text_read(const char *path, const char *text, size_t len, lull_serve_settings *s, lull_serve_where *w,
                          FILE *err);

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
