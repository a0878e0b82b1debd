/* lull serve --config FILE: the INI file, read with inih, into a
 * lull_serve_settings through the same setters as the flags ([server]:
 * serve_options.c; [station NAME]: station_spec.c), so both accept the
 * same values with the same words. The first error ends the reading with
 * one line naming the file, line, section and key, and what is allowed. */
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "lull/icecast.h"

#define MAX_FILE_BYTES (1 << 20)
#define MAX_LINE 4096 /* a description of 240 four-byte characters fits, with its key */
#define MAX_KEYS 48   /* keys in one section, for telling a repeated one */
#define ICECAST_KEYS "station, url, password-file, name, description, genre"

enum { IN_NONE, IN_SERVER, IN_STATION, IN_ICECAST };

typedef struct reading {
  const char *path;
  const char *p, *end; /* the text inih has not read yet */
  int line;            /* the line inih holds */
  lull_serve_settings *s;
  lull_serve_where *w;
  FILE *err;
  int failed;
  int in;              /* IN_*: the section being read */
  size_t index;        /* its station or output */
  char section[48];    /* as messages name it: "station night" */
  int server_line;     /* [server]'s, 0 before it */
  size_t n_keys;       /* the section's keys so far, with their lines */
  char key[MAX_KEYS][32];
  int key_line[MAX_KEYS];
} reading;

/* "lull serve: FILE:LINE: [SECTION] KEY: what", section and key when there are. */
static int fail_at(reading *r, int line, const char *section, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int fail_at(reading *r, int line, const char *section, const char *key, const char *fmt, ...) {
  if (r->failed) return -1;
  r->failed = 1;
  fprintf(r->err, "lull serve: %s:%d: ", r->path, line);
  if (section && section[0]) fprintf(r->err, "[%s]%s", section, key ? " " : ": ");
  if (key) fprintf(r->err, "%.64s: ", key);
  va_list ap;
  va_start(ap, fmt);
  vfprintf(r->err, fmt, ap);
  va_end(ap);
  fputc('\n', r->err);
  return -1;
}
#define FAIL(r, key, ...) fail_at(r, (r)->line, (r)->section, key, __VA_ARGS__)

static void put(char *to, size_t cap, const char *v) {
  memset(to, 0, cap);
  memcpy(to, v, strlen(v));
}

/* A text value that must fit in cap bytes, kept zero-padded. */
static int text(reading *r, const char *key, const char *v, char *to, size_t cap) {
  if (strlen(v) >= cap) return FAIL(r, key, "at most %zu characters, got %zu", cap - 1, strlen(v));
  put(to, cap, v);
  return 0;
}

/* The line an earlier same key was on (0: none), remembering this one. */
static int repeated(reading *r, const char *key) {
  for (size_t i = 0; i < r->n_keys; i++)
    if (strcmp(r->key[i], key) == 0) return r->key_line[i];
  if (r->n_keys < MAX_KEYS && strlen(key) < sizeof r->key[0]) {
    strcpy(r->key[r->n_keys], key);
    r->key_line[r->n_keys++] = r->line;
  }
  return 0;
}

/* [server], [station NAME] or [icecast LABEL]; sec is what the brackets hold. */
static int begin_section(reading *r, const char *sec, size_t len) {
  while (len && (*sec == ' ' || *sec == '\t')) sec++, len--;
  while (len && (sec[len - 1] == ' ' || sec[len - 1] == '\t')) len--;
  size_t word = 0;
  while (word < len && sec[word] != ' ' && sec[word] != '\t') word++;
  size_t at = word;
  while (at < len && (sec[at] == ' ' || sec[at] == '\t')) at++;
  char name[40] = "";
  if (len - at >= sizeof name) {
    snprintf(r->section, sizeof r->section, "%.*s", (int)word, sec);
    return FAIL(r, NULL, "a name is 1..32 of a-z, 0-9 and -, got one of %zu characters", len - at);
  }
  memcpy(name, sec + at, len - at);
  snprintf(r->section, sizeof r->section, "%.*s%s%s", (int)(word < 8 ? word : 8), sec, name[0] ? " " : "", name);
  r->n_keys = 0;
  if (word == 6 && strncmp(sec, "server", 6) == 0) {
    if (name[0]) return FAIL(r, NULL, "[server] has no name, got \"%s\"", name);
    if (r->server_line) return FAIL(r, NULL, "given twice (first at line %d)", r->server_line);
    r->server_line = r->line;
    r->in = IN_SERVER;
    return 0;
  }
  int station = word == 7 && strncmp(sec, "station", 7) == 0;
  int icecast = word == 7 && strncmp(sec, "icecast", 7) == 0;
  if (!station && !icecast) {
    r->section[0] = 0;
    return FAIL(r, NULL, "unknown section [%.*s]; known: [server], [station NAME], [icecast LABEL]", (int)(len < 40 ? len : 40),
                sec);
  }
  if (!name[0] || !lull_station_name_valid(name))
    return FAIL(r, NULL, "%s are 1..32 of a-z, 0-9 and -, as in [%s night]", station ? "station names" : "labels",
                station ? "station" : "icecast");
  lull_serve_settings *s = r->s;
  if (station) {
    if (strncmp(name, "p-", 2) == 0) return FAIL(r, NULL, "names starting \"p-\" are the personal stations'");
    for (size_t i = 0; i < s->n_stations; i++)
      if (strcmp(s->station[i].words.name, name) == 0)
        return FAIL(r, NULL, "given twice (first at line %d)", r->w->station[i].line);
    if (s->n_stations == LULL_SERVE_MAX_STATIONS) return FAIL(r, NULL, "at most %d stations", LULL_SERVE_MAX_STATIONS);
    r->index = s->n_stations++;
    lull_serve_station *st = &s->station[r->index];
    put(st->words.name, sizeof st->words.name, name);
    lull_params def = lull_params_default();
    lull__serve_params_put(&st->params, &def);
    st->daycycle = -1;
    r->w->station[r->index] = (lull_serve_origin){LULL_FROM_FILE, r->line};
    r->in = IN_STATION;
    return 0;
  }
  for (size_t i = 0; i < s->n_icecast; i++)
    if (strcmp(s->icecast[i].label, name) == 0)
      return FAIL(r, NULL, "given twice (first at line %d)", r->w->icecast[i].line);
  if (s->n_icecast == LULL_SERVE_MAX_ICECAST) return FAIL(r, NULL, "at most %d Icecast outputs", LULL_SERVE_MAX_ICECAST);
  r->index = s->n_icecast++;
  put(s->icecast[r->index].label, sizeof s->icecast[r->index].label, name);
  r->w->icecast[r->index] = (lull_serve_origin){LULL_FROM_FILE, r->line};
  r->in = IN_ICECAST;
  return 0;
}

/* The grammar inih leaves loose, made strict before inih sees a line:
 * "[section]" alone on its line, "key = value" with no ':' in the key
 * (inih's configparser-style "key: value" is not taken), comments only on
 * lines of their own. A section is begun here, since inih says nothing of
 * a section without keys. */
static int look_at(reading *r, const char *l) {
  if (r->line == 1 && strncmp(l, "\xEF\xBB\xBF", 3) == 0) l += 3; /* inih skips a UTF-8 BOM */
  while (*l == ' ' || *l == '\t') l++;
  size_t len = strcspn(l, "\r\n");
  if (!len || *l == ';' || *l == '#') return 0;
  if (*l == '[') {
    const char *close = memchr(l, ']', len);
    /* A header's faults are its own line's, not the section before. */
    if (!close)
      return fail_at(r, r->line, NULL, NULL, "missing \"]\": a section header is [NAME] on a line of its own, got \"%.*s\"",
                     (int)(len < 60 ? len : 60), l);
    for (const char *t = close + 1; t < l + len; t++)
      if (*t != ' ' && *t != '\t')
        return fail_at(r, r->line, NULL, NULL, "nothing may follow a section's ], got \"%.*s\"",
                       (int)(l + len - t < 60 ? l + len - t : 60), t);
    return begin_section(r, l + 1, (size_t)(close - l - 1));
  }
  size_t key = strcspn(l, "=:");
  if (key >= len || l[key] == ':')
    return FAIL(r, NULL, "expected KEY = VALUE or [SECTION], got \"%.*s\"", (int)(len < 60 ? len : 60), l);
  return 0;
}

/* inih's reader: one line of the text at a time (fgets-style), looked at first. */
static char *next_line(char *str, int num, void *stream) {
  reading *r = stream;
  if (r->failed || r->p == r->end) return NULL;
  const char *nl = memchr(r->p, '\n', (size_t)(r->end - r->p));
  size_t len = nl ? (size_t)(nl - r->p) + 1 : (size_t)(r->end - r->p);
  r->line++;
  if (memchr(r->p, 0, len)) {
    FAIL(r, NULL, "a NUL byte: not a text file");
    return NULL;
  }
  if (len > (size_t)num - 2) { /* inih needs room for a '\n' and the NUL */
    FAIL(r, NULL, "a line is over %d characters", num - 3);
    return NULL;
  }
  memcpy(str, r->p, len);
  str[len] = 0;
  r->p += len;
  return look_at(r, str) ? NULL : str;
}

static int server_key(reading *r, const char *key, const char *v) {
  const lull_serve_option *o = lull__serve_option_find(key, strlen(key));
  if ((o && o->kind == LULL_OPT_SECRET) || strcmp(key, "icecast-password") == 0)
    return FAIL(r, key, "a secret is never written in the config file: put it in a file of its own (mode 600) and give "
                        "%s-file = FILE", key);
  if (!o) {
    char known[1024] = "";
    for (size_t i = 0; i < LULL_SERVE_OPTION_COUNT; i++)
      if (lull__serve_options[i].kind != LULL_OPT_SECRET)
        snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s", known[0] ? ", " : "", lull__serve_options[i].name);
    return FAIL(r, key, "unknown key; known: %s", known);
  }
  int first = repeated(r, key);
  if (first && o->kind != LULL_OPT_LIST) return FAIL(r, key, "given twice (first at line %d)", first);
  lull_diag d = {{0}, {0}};
  if (lull__serve_option_set(r->s, r->w, o, v, (lull_serve_origin){LULL_FROM_FILE, r->line}, &d))
    return FAIL(r, key, "%s", d.message);
  return 0;
}

static int station_key(reading *r, const char *key, const char *v) {
  lull_serve_station *st = &r->s->station[r->index];
  lull_serve_origin here = {LULL_FROM_FILE, r->line};
  if (strcmp(key, "fx") == 0 || strncmp(key, "instrument.", 11) == 0) {
    int fx = key[0] == 'f';
    int part = fx ? 0 : lull__part_parse(key + 11, strlen(key + 11));
    if (part < 0) return FAIL(r, key, "unknown part; instrument.PART with PART one of pad, lead, kick, swell, hat, bass, air, bell");
    int first = fx ? 0 : repeated(r, key);
    if (first) return FAIL(r, key, "given twice (first at line %d)", first);
    if (fx && st->fx_count == LULL_SERVE_MAX_FX) return FAIL(r, key, "at most %d effects a station", LULL_SERVE_MAX_FX);
    if (!*v) return FAIL(r, key, "expected an LV2 plugin: URI[,preset=P][,SYMBOL=VALUE...] (lull plugins lists them)");
    if (fx) {
      if (text(r, key, v, st->fx[st->fx_count], LULL_SERVE_SPEC)) return -1;
      r->w->fx[r->index][st->fx_count++] = here;
    } else {
      if (text(r, key, v, st->instrument[part], LULL_SERVE_SPEC)) return -1;
      r->w->instrument[r->index][part] = here;
    }
    return 0;
  }
  /* The spec's setter works on a station config: this station's, for a moment. */
  lull_station_config sc = {.params = st->params, .daycycle = st->daycycle, .day_hour = st->day_hour, .steer = st->steer};
  lull_diag d = {{0}, {0}};
  int rc = lull__station_field(&sc, &st->words, key, v, &d);
  if (rc == LULL_EUNKNOWN) return FAIL(r, key, "unknown key; known: " LULL_STATION_KEYS ", fx, instrument.PART");
  int first = repeated(r, key);
  if (first) return FAIL(r, key, "given twice (first at line %d)", first);
  if (rc) return FAIL(r, key, "%s", d.message);
  lull__serve_params_put(&st->params, &sc.params);
  st->daycycle = sc.daycycle;
  st->day_hour = sc.day_hour;
  st->steer = sc.steer;
  return 0;
}

static int icecast_key(reading *r, const char *key, const char *v) {
  lull_serve_icecast *ic = &r->s->icecast[r->index];
  char *to = strcmp(key, "station") == 0         ? ic->station
             : strcmp(key, "url") == 0           ? ic->url
             : strcmp(key, "password-file") == 0 ? ic->password_file
             : strcmp(key, "name") == 0          ? ic->name
             : strcmp(key, "description") == 0   ? ic->description
             : strcmp(key, "genre") == 0         ? ic->genre
                                                 : NULL;
  if (strcmp(key, "password") == 0)
    return FAIL(r, key, "a secret is never written in the config file: put it in a file of its own (mode 600) and give "
                        "password-file = FILE");
  if (!to) return FAIL(r, key, "unknown key; known: " ICECAST_KEYS);
  int first = repeated(r, key);
  if (first) return FAIL(r, key, "given twice (first at line %d)", first);
  lull_diag d = {{0}, {0}};
  if (to == ic->station) {
    if (!lull_station_name_valid(v)) return FAIL(r, key, "station names are 1..32 of a-z, 0-9 and -, got \"%.40s\"", v);
    r->w->icecast_station_line[r->index] = r->line;
  }
  if (to == ic->url && lull_icecast_check_url(v, &d) != LULL_OK) return FAIL(r, key, "%s", d.message);
  if (to != ic->url && to != ic->password_file && to != ic->station && !*v) return FAIL(r, key, "empty: leave the key out for the default");
  return text(r, key, v, to, LULL_SERVE_TEXT);
}

/* inih's handler: one key = value of the section being read. */
static int on_pair(void *user, const char *section, const char *key, const char *v) {
  reading *r = user;
  (void)section; /* begun in look_at (inih's copy is cut at 50 bytes) */
  if (r->failed) return 0;
  int rc = r->in == IN_SERVER    ? server_key(r, key, v)
           : r->in == IN_STATION ? station_key(r, key, v)
           : r->in == IN_ICECAST ? icecast_key(r, key, v)
                                 : FAIL(r, key, "before any section: keys go under [server], [station NAME] or [icecast LABEL]");
  return rc == 0;
}

int lull__serve_text_read(const char *path, const char *text_in, size_t len, lull_serve_settings *s, lull_serve_where *w,
                          FILE *err) {
  lull__serve_settings_init(s, w);
  put(w->file, sizeof w->file, strlen(path) < sizeof w->file ? path : "(a long path)");
  reading r = {.path = path, .p = text_in, .end = text_in + len, .s = s, .w = w, .err = err};
  /* Debian's inih has its options as variables: lines as long as a long
   * description, values taken whole (a ';' in a description stays), no
   * continuation lines, stop at the first error. */
  ini_use_stack = false;
  ini_allow_realloc = true;
  ini_initial_alloc = MAX_LINE;
  ini_max_line = MAX_LINE;
  ini_allow_multiline = false;
  ini_allow_inline_comments = false;
  ini_allow_no_value = false;
  ini_stop_on_first_error = true;
  int rc = ini_parse_stream(next_line, &r, on_pair, &r);
  if (rc == -2) fail_at(&r, r.line, NULL, NULL, "out of memory");
  else if (rc) fail_at(&r, rc, NULL, NULL, "cannot read this line");
  for (size_t i = 0; !r.failed && i < s->n_icecast; i++)
    if (!s->icecast[i].station[0] || !s->icecast[i].url[0]) {
      char section[48];
      snprintf(section, sizeof section, "icecast %s", s->icecast[i].label);
      fail_at(&r, w->icecast[i].line, section, NULL, "needs station = NAME and url = icecast://HOST[:PORT]/MOUNT.ogg");
    }
  return r.failed ? -1 : 0;
}

int lull__serve_file_read(const char *path, lull_serve_settings *s, lull_serve_where *w, FILE *err) {
  FILE *f = fopen(path, "rb");
  char *buf = f ? malloc(MAX_FILE_BYTES + 1) : NULL;
  size_t n = buf ? fread(buf, 1, MAX_FILE_BYTES + 1, f) : 0;
  int e = errno;
  int bad = !f || !buf || ferror(f);
  if (f) fclose(f);
  int rc = -1;
  if (bad) fprintf(err, "lull serve: --config: cannot read \"%s\": %s\n", path, strerror(e));
  else if (n > MAX_FILE_BYTES) fprintf(err, "lull serve: --config: \"%s\" is over %d bytes\n", path, MAX_FILE_BYTES);
  else rc = lull__serve_text_read(path, buf, n, s, w, err);
  free(buf);
  return rc;
}
