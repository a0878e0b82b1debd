/* lull serve's options: one table read by the flag parser (--NAME VALUE)
 * and by the config file's [server] section (NAME = VALUE), so the two
 * accept the same values with the same words; the defaults; and the
 * settings printed back as --check-config shows them. Plain C without the
 * server, for the config file's fuzzer. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

#define AT(field) offsetof(lull_serve_settings, field)
#define NUM(name, field, lo, hi, def) {name, LULL_OPT_U32, lo, hi, def, NULL, AT(field)}
#define TEXT(name, field, shown) {name, LULL_OPT_TEXT, 0, 0, 0, shown, AT(field)}
#define LIST(name, field, most) {name, LULL_OPT_LIST, 0, most, 0, NULL, AT(field)}

/* In the order lull serve --help gives them. */
const lull_serve_option lull__serve_options[LULL_SERVE_OPTION_COUNT] = {
    TEXT("bind", bind, "127.0.0.1"),
    NUM("port", port, 0, 65535, 8000),
    {"daycycle", LULL_OPT_SWITCH, 0, 1, 0, NULL, AT(daycycle)},
    NUM("max-clients", max_clients, 1, 1000000, 10000),
    {"max-personal", LULL_OPT_U32, 0, 64, 0, NULL, AT(max_personal)}, /* default: from the CPUs (init) */
    NUM("personal-idle-s", personal_idle_s, 1, 86400, 600),
    NUM("max-per-ip", max_per_ip, 1, 1000000, 32),
    {"control-token", LULL_OPT_SECRET, 0, 0, 0, NULL, AT(control_token)},
    TEXT("control-token-file", control_token_file, NULL),
    LIST("allow-origin", allow_origin, 32),
    LIST("allow-host", allow_host, 32),
    LIST("trusted-proxy", trusted_proxy, 16),
    {"max-conns-per-ip", LULL_OPT_U32, 1, 1000000, 0, "2 x max-per-ip + 16", AT(max_conns_per_ip)},
    NUM("request-timeout-ms", request_timeout_ms, 500, 120000, 10000),
    TEXT("tls-cert", tls_cert, NULL),
    TEXT("tls-key", tls_key, NULL),
    {"threads", LULL_OPT_U32, 1, 8, 0, "one per CPU, at most 8", AT(threads)},
    NUM("packets-per-message", packets_per_message, 1, 16, 3),
    NUM("burst-ms", burst_ms, 0, 5000, 300),
    NUM("http-write-ms", http_write_ms, 20, 1000, 200),
    NUM("bitrate", bitrate, 32000, 256000, 96000),
    NUM("recent-minutes", recent_minutes, 0, 30, 10),
    NUM("lead-ms", lead_ms, 20, 1000, 60),
    {"realtime", LULL_OPT_U32, 1, 99, 0, "off", AT(realtime)},
    TEXT("icecast-password-file", icecast_password_file, NULL),
    TEXT("icecast-name", icecast_name, "lull: STATION"),
    TEXT("icecast-description", icecast_description, NULL),
    TEXT("icecast-genre", icecast_genre, "ambient"),
    {"log-level", LULL_OPT_LEVEL, 0, 3, 2, NULL, AT(log_level)},
    {"log-format", LULL_OPT_FORMAT, 0, 1, 0, NULL, AT(log_format)},
};

/* The words of a LEVEL or FORMAT option, in the order of their numbers. */
static const char *const *choices(int kind, size_t *count) {
  static const char *const levels[] = {"error", "warn", "info", "debug"}, *const formats[] = {"text", "json"};
  *count = kind == LULL_OPT_LEVEL ? 4 : 2;
  return kind == LULL_OPT_LEVEL ? levels : formats;
}

const lull_serve_option *lull__serve_option_find(const char *name, size_t len) {
  for (size_t i = 0; i < LULL_SERVE_OPTION_COUNT; i++)
    if (strlen(lull__serve_options[i].name) == len && strncmp(lull__serve_options[i].name, name, len) == 0)
      return &lull__serve_options[i];
  return NULL;
}

static uint32_t *number(lull_serve_settings *s, const lull_serve_option *o) { return (uint32_t *)((char *)s + o->offset); }
static const uint32_t *cnumber(const lull_serve_settings *s, const lull_serve_option *o) {
  return (const uint32_t *)((const char *)s + o->offset);
}
static char *text(lull_serve_settings *s, const lull_serve_option *o) { return (char *)s + o->offset; }
static const char *ctext(const lull_serve_settings *s, const lull_serve_option *o) { return (const char *)s + o->offset; }

/* Zero-padded, so that settings compare with memcmp. */
static void put(char *to, size_t cap, const char *v) {
  memset(to, 0, cap);
  memcpy(to, v, strlen(v));
}

void lull__serve_params_put(lull_params *to, const lull_params *from) {
  lull_params p = *from; /* from may be to */
  memset(to, 0, sizeof *to); /* the padding too: a struct's copy need not carry it */
  to->key = p.key, to->mode = p.mode, to->bpm = p.bpm, to->intensity = p.intensity;
  to->seed = p.seed, to->palette = p.palette;
}

void lull__serve_settings_init(lull_serve_settings *s, lull_serve_where *w) {
  memset(s, 0, sizeof *s);
  memset(w, 0, sizeof *w);
  for (size_t i = 0; i < LULL_SERVE_OPTION_COUNT; i++) {
    const lull_serve_option *o = &lull__serve_options[i];
    if (o->kind == LULL_OPT_U32 || o->kind == LULL_OPT_SWITCH || o->kind == LULL_OPT_LEVEL || o->kind == LULL_OPT_FORMAT)
      *number(s, o) = (uint32_t)o->def;
  }
  /* Each personal station costs about 1.4 % of a core (measured: lull serve
   * with 9 stations against 1, no listeners): 16 a CPU stay within a
   * quarter of the machine. */
  long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  s->max_personal = ncpu > 0 && ncpu < 4 ? 16 * (uint32_t)ncpu : 64;
}

int lull__serve_option_set(lull_serve_settings *s, lull_serve_where *w, const lull_serve_option *o, const char *v,
                           lull_serve_origin from, lull_diag *d) {
  size_t i = (size_t)(o - lull__serve_options);
  lull_serve_origin *had = &w->option[i];
  uint64_t n;
  if (o->kind == LULL_OPT_SECRET && (!*v || strlen(v) > 200)) {
    snprintf(d->message, sizeof d->message,
             "%s; a token is 1..200 printable characters without spaces (leave the flag out to let anyone steer)",
             *v ? "too long" : "empty");
    return -1;
  }
  switch (o->kind) {
  case LULL_OPT_U32:
    if (lull__u64_parse(v, o->lo, o->hi, &n, d)) return -1;
    *number(s, o) = (uint32_t)n;
    break;
  case LULL_OPT_SWITCH:
    if (strcmp(v, "on") != 0 && strcmp(v, "off") != 0) {
      snprintf(d->message, sizeof d->message, "must be on or off, got \"%.64s\"", v);
      return -1;
    }
    *number(s, o) = v[1] == 'n';
    break;
  case LULL_OPT_LEVEL:
  case LULL_OPT_FORMAT: {
    size_t count;
    const char *const *names = choices(o->kind, &count);
    for (n = 0; n < count && strcmp(v, names[n]) != 0; n++) {
    }
    if (n == count) {
      snprintf(d->message, sizeof d->message, "must be %s, got \"%.64s\"",
               o->kind == LULL_OPT_LEVEL ? "error, warn, info or debug" : "text or json", v);
      return -1;
    }
    *number(s, o) = (uint32_t)n;
    break;
  }
  case LULL_OPT_SECRET: /* kept like a text */
  case LULL_OPT_TEXT:
  case LULL_OPT_LIST: {
    if (strlen(v) >= LULL_SERVE_TEXT) {
      snprintf(d->message, sizeof d->message, "at most %d characters, got %zu", LULL_SERVE_TEXT - 1, strlen(v));
      return -1;
    }
    if (o->kind != LULL_OPT_LIST) {
      put(text(s, o), LULL_SERVE_TEXT, v);
      break;
    }
    lull_serve_list *l = (lull_serve_list *)((char *)s + o->offset);
    if (had->from != from.from) memset(l, 0, sizeof *l); /* the flags' list replaces the file's */
    if (l->n == o->hi) {
      snprintf(d->message, sizeof d->message, "at most %u", (unsigned)o->hi);
      return -1;
    }
    put(l->item[l->n++], LULL_SERVE_TEXT, v);
    break;
  }
  }
  /* --control-token and control-token-file are one setting, said two ways:
   * the later (a flag after the file) replaces the other. */
  if (o->offset == AT(control_token) || o->offset == AT(control_token_file)) {
    const char *pair = o->offset == AT(control_token) ? "control-token-file" : "control-token";
    const lull_serve_option *other = lull__serve_option_find(pair, strlen(pair));
    memset(text(s, other), 0, LULL_SERVE_TEXT);
    w->option[other - lull__serve_options] = (lull_serve_origin){LULL_FROM_DEFAULT, 0};
  }
  *had = from; /* the flags come after the file */
  return 0;
}

const char *lull__serve_icecast_text(const lull_serve_settings *s, const lull_serve_where *w, size_t i, int k) {
  static const char *const server_key[] = {"icecast-password-file", "icecast-name", "icecast-description", "icecast-genre"};
  const lull_serve_icecast *ic = &s->icecast[i];
  const char *own[] = {ic->password_file, ic->name, ic->description, ic->genre};
  const lull_serve_option *o = lull__serve_option_find(server_key[k], strlen(server_key[k]));
  if (own[k][0] && w->option[o - lull__serve_options].from != LULL_FROM_FLAG) return own[k];
  return ctext(s, o);
}

/* An option's value as the file would say it, or "" when not set. */
static void value_of(const lull_serve_settings *s, const lull_serve_option *o, char *out, size_t cap) {
  if (o->kind == LULL_OPT_U32) snprintf(out, cap, "%u", (unsigned)*cnumber(s, o));
  else if (o->kind == LULL_OPT_SWITCH) snprintf(out, cap, "%s", *cnumber(s, o) ? "on" : "off");
  else if (o->kind == LULL_OPT_LEVEL || o->kind == LULL_OPT_FORMAT) {
    size_t count;
    const char *const *names = choices(o->kind, &count);
    snprintf(out, cap, "%s", names[*cnumber(s, o) % count]);
  }
  else snprintf(out, cap, "%s", ctext(s, o));
}

static void origin_note(FILE *f, lull_serve_origin o) {
  if (o.from == LULL_FROM_FLAG) fputs("; from the command line\n", f);
}

/* A float the shortest way that reads back to the same float. */
static void put_float(FILE *f, const char *key, float v) {
  char buf[32];
  snprintf(buf, sizeof buf, "%g", (double)v);
  if (strtof(buf, NULL) != v) snprintf(buf, sizeof buf, "%.9g", (double)v);
  fprintf(f, "%s = %s\n", key, buf);
}

/* Values a station leaves to the server or its name are printed as
 * comments, so the text reads back to the same settings. */
static void print_station(FILE *f, const lull_serve_settings *s, const lull_serve_where *w, size_t i) {
  const lull_serve_station *st = &s->station[i];
  const lull_params *p = &st->params;
  fputc('\n', f);
  origin_note(f, w->station[i]);
  fprintf(f, "[station %s]\n", st->words.name);
  fprintf(f, "key = %s\nmode = %s\n", lull_key_name(p->key), lull_mode_name(p->mode));
  put_float(f, "bpm", p->bpm);
  put_float(f, "intensity", p->intensity);
  fprintf(f, "palette = %s\nseed = %llu\n", lull_palette_name(p->palette), (unsigned long long)p->seed);
  if (st->daycycle == LULL_DAYCYCLE_FIXED) fprintf(f, "daycycle = %.17g\n", st->day_hour);
  else if (st->daycycle >= 0) fprintf(f, "daycycle = %s\n", st->daycycle == LULL_DAYCYCLE_CLOCK ? "on" : "off");
  else fprintf(f, ";daycycle = %s (the server's daycycle)\n", s->daycycle ? "on" : "off");
  if (st->words.title[0]) fprintf(f, "title = %s\n", st->words.title);
  else fprintf(f, ";title = %s (its name)\n", st->words.name);
  if (st->words.description[0]) fprintf(f, "description = %s\n", st->words.description);
  else fputs(";description = (none)\n", f);
  static const char *const steer[] = {"", "open", "token", "none"};
  if (st->steer != LULL_STEER_DEFAULT) fprintf(f, "steer = %s\n", steer[st->steer & 3]);
  else fprintf(f, ";steer = %s (default: token with a control token, else open)\n",
               s->control_token[0] || s->control_token_file[0] ? "token" : "open");
  for (uint32_t k = 0; k < st->fx_count; k++) {
    origin_note(f, w->fx[i][k]);
    fprintf(f, "fx = %s\n", st->fx[k]);
  }
  for (int part = 0; part < LULL_PART_COUNT; part++)
    if (st->instrument[part][0]) {
      origin_note(f, w->instrument[i][part]);
      fprintf(f, "instrument.%s = %s\n", lull_part_name(part), st->instrument[part]);
    }
}

void lull__serve_settings_print(FILE *f, const lull_serve_settings *s, const lull_serve_where *w) {
  fprintf(f, "; lull serve's settings%s%s: every option, its default as a comment; secrets only by their file\n",
          w->file[0] ? " from " : "", w->file);
  fputs("[server]\n", f);
  for (size_t i = 0; i < LULL_SERVE_OPTION_COUNT; i++) {
    const lull_serve_option *o = &lull__serve_options[i];
    lull_serve_origin from = w->option[i];
    origin_note(f, from);
    if (o->kind == LULL_OPT_SECRET) {
      if (ctext(s, o)[0]) fprintf(f, "; %s: given on the command line (not shown)\n", o->name);
      continue;
    }
    if (o->kind == LULL_OPT_LIST) {
      const lull_serve_list *l = (const lull_serve_list *)((const char *)s + o->offset);
      if (!l->n) fprintf(f, ";%s = (none)\n", o->name);
      for (uint32_t k = 0; k < l->n; k++) fprintf(f, "%s = %s\n", o->name, l->item[k]);
      continue;
    }
    char v[LULL_SERVE_TEXT + 8];
    value_of(s, o, v, sizeof v);
    if (from.from != LULL_FROM_DEFAULT) fprintf(f, "%s = %s\n", o->name, v);
    else if (o->shown) fprintf(f, ";%s = %s (default)\n", o->name, o->shown);
    else if (v[0]) fprintf(f, ";%s = %s (default)\n", o->name, v);
    else fprintf(f, ";%s = (none)\n", o->name);
  }
  for (size_t i = 0; i < s->n_stations; i++) print_station(f, s, w, i);
  for (size_t i = 0; i < s->n_icecast; i++) {
    const lull_serve_icecast *ic = &s->icecast[i];
    fputc('\n', f);
    origin_note(f, w->icecast[i]);
    if (ic->label[0]) fprintf(f, "[icecast %s]\n", ic->label);
    else fprintf(f, "[icecast flag-%zu]\n", i + 1);
    fprintf(f, "station = %s\nurl = %s\n", ic->station, ic->url);
    const char *keys[] = {"password-file", "name", "description", "genre"};
    const char *own[] = {ic->password_file, ic->name, ic->description, ic->genre};
    for (int k = 0; k < 4; k++) /* its own, unless a flag for all outputs said otherwise */
      if (own[k][0] && lull__serve_icecast_text(s, w, i, k) == own[k]) fprintf(f, "%s = %s\n", keys[k], own[k]);
  }
}
