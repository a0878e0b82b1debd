/* lull serve: the stations, streamed live until SIGINT or SIGTERM. The
 * signals are blocked in every thread and taken by sigwait here, so the
 * shutdown runs as ordinary code (close 1001 to listeners, producers
 * stopped) and the process exits 0. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "lull/lull.h"
#include "lull/server.h"

static void help(FILE *f) {
  fputs("usage: lull serve [options]\n"
        "\n"
        "Compose and stream live: the web player at /, WebSocket /ws/stream, Ogg/Opus\n"
        "/stream.ogg, MP3 /stream.mp3, /listen.m3u, REST /api/status, /api/metrics,\n"
        "/metrics (Prometheus), /api/stations, POST /api/stations/NAME/params, and\n"
        "GET /api/stations/NAME/recent.ogg?minutes=N: the last N minutes as a file.\n"
        "\n"
        "  --config FILE            the settings from an INI file: [server] with any option below\n"
        "                           as KEY = VALUE (its name without the dashes), [station NAME]\n"
        "                           with a station's keys, fx = SPEC (repeatable) and\n"
        "                           instrument.PART = SPEC, [icecast LABEL] with station, url,\n"
        "                           password-file, name, description, genre (examples/lull.ini).\n"
        "                           Flags override it: an option replaces the file's, --station\n"
        "                           NAME adds or replaces that station\n"
        "  --check-config FILE      read FILE and the flags, print the settings they resolve to\n"
        "                           and exit (0), or the error (2); serves nothing\n"
        "  --bind ADDR              address to listen on (default 127.0.0.1; 0.0.0.0 for all)\n"
        "  --port N                 TCP port (default 8000; 0 = any free port)\n"
        "  --station NAME[:k=v,..]  a station (repeatable; default one named main). NAME is\n"
        "                           1..32 of a-z 0-9 -; k is key, mode, bpm, intensity, palette,\n"
        "                           seed or daycycle (on, off, or a fixed hour 0..24 like 19.5),\n"
        "                           title (1..64 characters; default NAME) or description (up\n"
        "                           to 240), which the player's station cards show, or steer\n"
        "                           (open: any listener may change the music for everyone;\n"
        "                           token: only with --control-token; none: nobody; default\n"
        "                           token with --control-token, else open); in a value\n"
        "                           \\, is a comma and \\\\ a backslash, e.g. --station\n"
        "                           'night:key=D,mode=dorian,palette=night,seed=7,title=Night,\n"
        "                           description=Slow\\, dark and far away' (lull palettes lists\n"
        "                           the palettes)\n",
        f);
  fputs("  --max-personal N         personal stations at once (0..64; 0 = none; default 16 a\n"
        "                           CPU, at most 64): POST /api/personal starts one, composed\n"
        "                           for one listener with its own seed and steered only with\n"
        "                           the token it gives; each costs about 1.5 % of a core\n"
        "  --personal-idle-s S      a personal station ends S seconds after its last listener\n"
        "                           leaves (1..86400, default 600)\n",
        f);
  fputs("  --fx NAME=SPEC           an LV2 effect on station NAME's master, after its reverb and\n"
        "                           delay: URI[,preset=P][,SYMBOL=VALUE...] (repeatable, up to 8\n"
        "                           a station, in order; lull plugins lists them)\n"
        "  --instrument NAME.PART=SPEC  an LV2 instrument plays PART (pad, lead, kick, swell,\n"
        "                           hat, bass, air, bell) on station NAME in place of its voice\n"
        "  --daycycle               the day cycle on for every station that does not say\n"
        "                           (daycycle=): the music follows the local hour's light\n"
        "  --max-clients N          listeners in all (default 10000)\n"
        "  --max-per-ip N           listeners from one address (default 32)\n"
        "  --control-token T        the operator's token: it steers any station but steer=none\n"
        "                           ones, and is the only way to steer steer=token ones (the\n"
        "                           default with a token)\n"
        "  --control-token-file F   the same, read from a file (keeps it out of ps)\n"
        "  --allow-origin O         a web origin allowed to open the WebSocket besides this\n"
        "                           server's own, e.g. https://example.org; * for any (repeatable)\n"
        "  --allow-host H           a host name this server answers steering to when it listens\n"
        "                           on a loopback address, besides localhost (repeatable; guards\n"
        "                           against DNS rebinding)\n"
        "  --trusted-proxy A[/BITS]  a reverse proxy (address or network, IPv4 or IPv6): its\n"
        "                           requests are counted by the client address it names in\n"
        "                           X-Forwarded-For or Forwarded (repeatable, at most 16)\n"
        "  --max-conns-per-ip N     connections of any kind from one address (default 2 x\n"
        "                           --max-per-ip + 16)\n"
        "  --request-timeout-ms N   a request must be in within this (500..120000, default 10000)\n"
        "  --tls-cert F, --tls-key F  serve HTTPS and WSS (only) with this PEM certificate\n"
        "                           and key; browsers give the full player only to HTTPS\n"
        "                           pages (or this machine)\n"
        "  --threads N              network threads (default: one per CPU, 1..8)\n"
        "  --packets-per-message N  20 ms packets per WebSocket message (1..16, default 3)\n"
        "  --burst-ms N             recent audio sent at connect (0..5000, default 300)\n"
        "  --http-write-ms N        write HTTP stream listeners about every N ms (20..1000, default 200)\n"
        "  --bitrate N              Opus bit/s (32000..256000, default 96000)\n"
        "  --recent-minutes M       minutes of each station kept for recent.ogg downloads (0..30,\n"
        "                           default 10; 0 = none): about 0.86 MB a minute a station at\n"
        "                           96 kbit/s, and a download copies what it sends\n"
        "  --lead-ms N              how far ahead of the clock stations render (20..1000, default 60)\n"
        "  --realtime N             run the producers SCHED_FIFO at priority N (1..99), if allowed\n"
        "  --icecast STATION=URL    also push STATION to Icecast (repeatable), URL being\n"
        "                           icecast://[USER@]HOST[:PORT]/MOUNT.ogg (Ogg/Opus; .opus too)\n"
        "                           or .mp3 (MP3); USER defaults to source, PORT to 8000. The\n"
        "                           password comes from LULL_ICECAST_PASSWORD or:\n"
        "  --icecast-password-file F  the source password, read from a file\n"
        "  --icecast-name T, --icecast-description T, --icecast-genre T\n"
        "                           what Icecast shows (default \"lull: STATION\", ..., ambient)\n",
        f);
  fputs("  --log-level L            error, warn, info (default) or debug\n"
        "  --log-format F           text (default: a UTC timestamp, the level, the line; under\n"
        "                           systemd, the journal's level prefix and no timestamp) or json\n"
        "                           (one {\"time\",\"level\",\"message\"} object a line)\n"
        "  (under systemd, the credentials control-token and icecast-password, from\n"
        "  LoadCredential=, stand for --control-token-file and --icecast-password-file)\n"
        "  -h, --help               this text\n"
        "\n"
        "SIGINT or SIGTERM stops the server gracefully (exit 0). SIGHUP reads the config file\n"
        "(and the flags) again: stations added, removed or changed without dropping the\n"
        "listeners of the others, Icecast outputs, the TLS certificate and key (a renewal);\n"
        "a file with an error changes nothing, and the log says why.\n",
        f);
}

_Static_assert(LULL_SERVE_MAX_STATIONS == LULL_SERVER_MAX_STATIONS, "one limit of stations");
_Static_assert(LULL_SERVE_MAX_ICECAST == LULL_SERVER_MAX_ICECAST, "one limit of Icecast outputs");

/* How a message names a setting: "--KEY" from a flag, "FILE:LINE: [SECTION]
 * KEY" from the config file. */
static const char *said(char *buf, size_t cap, const lull_serve_where *w, lull_serve_origin o, const char *section,
                        const char *key) {
  if (o.from == LULL_FROM_FILE) snprintf(buf, cap, "%.255s:%d: [%.47s] %.40s", w->file, o.line, section, key);
  else snprintf(buf, cap, "--%s", key);
  return buf;
}

/* Where the errors of reading the settings go: stderr, or while a reload
 * reads them, a buffer that then goes to the log (in its format). */
static FILE *err_to;
static FILE *errs(void) { return err_to ? err_to : stderr; }

/* A secret from a file (its first line). */
static int read_secret(const char *who, const char *path, char *out, size_t cap) {
  FILE *f = fopen(path, "r");
  if (!f) {
    fprintf(errs(), "lull serve: %s: cannot read \"%s\"\n", who, path);
    return -1;
  }
  size_t n = fread(out, 1, cap - 1, f);
  fclose(f);
  out[n] = 0;
  out[strcspn(out, "\r\n")] = 0;
  if (!out[0]) {
    fprintf(errs(), "lull serve: %s: \"%s\" is empty\n", who, path);
    return -1;
  }
  return 0;
}

/* Under systemd, LoadCredential= puts secrets in $CREDENTIALS_DIRECTORY:
 * the one named, when the unit gave it. 1 read, 0 none, -1 unreadable
 * (said). */
static int credential(const char *name, char *out, size_t cap) {
  const char *dir = getenv("CREDENTIALS_DIRECTORY");
  char path[1200], who[64];
  if (!dir || snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path || access(path, F_OK) != 0) return 0;
  snprintf(who, sizeof who, "credential %s", name);
  return read_secret(who, path, out, cap) ? -1 : 1;
}

/* --icecast STATION=icecast://...: the flags' outputs replace the file's. */
static int icecast_flag(const char *spec, lull_serve_settings *s, lull_serve_where *w) {
  const char *eq = strchr(spec, '=');
  if (!eq || eq == spec || (size_t)(eq - spec) >= sizeof s->icecast[0].station) {
    fprintf(errs(), "lull serve: --icecast: want STATION=icecast://HOST:PORT/MOUNT.ogg, got \"%s\"\n", spec);
    return -1;
  }
  char station[sizeof s->icecast[0].station] = {0};
  memcpy(station, spec, (size_t)(eq - spec));
  lull_diag d = {{0}, {0}};
  if (lull_icecast_check_url(eq + 1, &d) != LULL_OK) {
    fprintf(errs(), "lull serve: --icecast %s: %s\n", station, d.message);
    return -1;
  }
  if (s->n_icecast && w->icecast[0].from == LULL_FROM_FILE) s->n_icecast = 0;
  if (s->n_icecast == LULL_SERVER_MAX_ICECAST || strlen(eq + 1) >= LULL_SERVE_TEXT) {
    fprintf(errs(), "lull serve: --icecast: at most %d outputs, each URL under %d characters\n", LULL_SERVER_MAX_ICECAST,
            LULL_SERVE_TEXT);
    return -1;
  }
  lull_serve_icecast *ic = &s->icecast[s->n_icecast];
  memset(ic, 0, sizeof *ic);
  memcpy(ic->station, station, sizeof station);
  memcpy(ic->url, eq + 1, strlen(eq + 1));
  w->icecast[s->n_icecast++] = (lull_serve_origin){LULL_FROM_FLAG, 0};
  return 0;
}

/* --station NAME[:...]: adds a station, or replaces the file's of that name. */
static int station_flag(const char *spec, lull_serve_settings *s, lull_serve_where *w) {
  lull_station_config sc = {.daycycle = -1}; /* not said: the server's daycycle decides */
  static lull_spec_words words;
  memset(&words, 0, sizeof words);
  if (lull__station_spec(spec, &sc, &words, errs())) return -1;
  size_t i = 0;
  while (i < s->n_stations && strcmp(s->station[i].words.name, words.name) != 0) i++;
  if (i < s->n_stations && w->station[i].from == LULL_FROM_FLAG) {
    fprintf(errs(), "lull serve: --station: \"%s\" is given twice\n", words.name);
    return -1;
  }
  if (i == LULL_SERVER_MAX_STATIONS) {
    fprintf(errs(), "lull serve: --station: at most %d stations\n", LULL_SERVER_MAX_STATIONS);
    return -1;
  }
  if (i == s->n_stations) s->n_stations++;
  lull_serve_station *st = &s->station[i];
  memset(st, 0, sizeof *st);
  st->words = words;
  lull__serve_params_put(&st->params, &sc.params);
  st->daycycle = sc.daycycle;
  st->day_hour = sc.day_hour;
  st->steer = sc.steer;
  memset(w->fx[i], 0, sizeof w->fx[i]);
  memset(w->instrument[i], 0, sizeof w->instrument[i]);
  w->station[i] = (lull_serve_origin){LULL_FROM_FLAG, 0};
  return 0;
}

/* --fx NAME=SPEC or --instrument NAME.PART=SPEC onto its station: the
 * flags' effects replace the file's; an instrument, the file's for its part. */
static int plugin_flag(const char *flag, const char *arg, lull_serve_settings *s, lull_serve_where *w) {
  int fx = strcmp(flag, "--fx") == 0;
  size_t len = strcspn(arg, fx ? "=" : ".");
  size_t i = 0;
  while (i < s->n_stations && !(strlen(s->station[i].words.name) == len && strncmp(s->station[i].words.name, arg, len) == 0))
    i++;
  if (!arg[len] || i == s->n_stations) {
    fprintf(errs(), "lull serve: %s: expected %s with NAME a station given by --station (or main), got \"%s\"\n", flag,
            fx ? "NAME=SPEC" : "NAME.PART=SPEC", arg);
    return -1;
  }
  lull_serve_station *st = &s->station[i];
  const char *spec = arg + len + 1;
  int part = 0;
  if (!fx) {
    size_t plen = strcspn(spec, "=");
    if ((part = lull__part_parse(spec, plen)) < 0 || !spec[plen]) {
      fprintf(errs(), "lull serve: --instrument: expected NAME.PART=SPEC with PART one of pad, lead, kick, swell, hat, "
                      "bass, air, bell; got \"%s\"\n", arg);
      return -1;
    }
    spec += plen + 1;
  }
  if (strlen(spec) >= LULL_SERVE_SPEC) {
    fprintf(errs(), "lull serve: %s: a plugin is at most %d characters\n", flag, LULL_SERVE_SPEC - 1);
    return -1;
  }
  if (fx) {
    if (st->fx_count && w->fx[i][0].from == LULL_FROM_FILE) st->fx_count = 0;
    if (st->fx_count == LULL_SERVE_MAX_FX) {
      fprintf(errs(), "lull serve: --fx: at most 8 effects on station %s\n", st->words.name);
      return -1;
    }
    memset(st->fx[st->fx_count], 0, LULL_SERVE_SPEC);
    memcpy(st->fx[st->fx_count], spec, strlen(spec));
    w->fx[i][st->fx_count++] = (lull_serve_origin){LULL_FROM_FLAG, 0};
    return 0;
  }
  if (w->instrument[i][part].from == LULL_FROM_FLAG) {
    fprintf(errs(), "lull serve: --instrument: %s.%s is given twice\n", st->words.name, lull_part_name(part));
    return -1;
  }
  memset(st->instrument[part], 0, LULL_SERVE_SPEC);
  memcpy(st->instrument[part], spec, strlen(spec));
  w->instrument[i][part] = (lull_serve_origin){LULL_FROM_FLAG, 0};
  return 0;
}

/* The flags over what the file said. 0, 1 after --help, or -1 with the error printed. */
static int read_flags(int argc, char **argv, lull_serve_settings *s, lull_serve_where *w) {
  /* Plugins, by station name: matched to the stations once all are read. */
  enum { MAX_PLUGIN_FLAGS = 64 };
  struct plugin_flag { const char *flag, *arg; } plugins[MAX_PLUGIN_FLAGS];
  size_t nplug = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v;
#define VALUE(flag) \
  if (!(v = lull__flag_value("serve", argc, argv, &i, flag))) return -1
    const lull_serve_option *o = strncmp(a, "--", 2) == 0 ? lull__serve_option_find(a + 2, strcspn(a + 2, "=")) : NULL;
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      help(stdout);
      return 1;
    } else if (lull__flag_is(a, "--config") || lull__flag_is(a, "--check-config")) {
      VALUE(lull__flag_is(a, "--config") ? "--config" : "--check-config"); /* read first, in lull__cmd_serve */
    } else if (lull__flag_is(a, "--station")) {
      VALUE("--station");
      if (station_flag(v, s, w)) return -1;
    } else if (lull__flag_is(a, "--fx") || lull__flag_is(a, "--instrument")) {
      const char *flag = lull__flag_is(a, "--fx") ? "--fx" : "--instrument";
      VALUE(flag);
      if (nplug == MAX_PLUGIN_FLAGS) {
        fprintf(errs(), "lull serve: %s: at most %d plugins in all\n", flag, MAX_PLUGIN_FLAGS);
        return -1;
      }
      plugins[nplug++] = (struct plugin_flag){flag, v};
    } else if (lull__flag_is(a, "--icecast")) {
      VALUE("--icecast");
      if (icecast_flag(v, s, w)) return -1;
    } else if (o) {
      char flag[64];
      snprintf(flag, sizeof flag, "--%s", o->name);
      if (o->kind == LULL_OPT_SWITCH && !a[strlen(flag)]) v = "on"; /* --daycycle alone */
      else VALUE(flag);
      lull_diag d = {{0}, {0}};
      if (lull__serve_option_set(s, w, o, v, (lull_serve_origin){LULL_FROM_FLAG, 0}, &d)) {
        fprintf(errs(), "lull serve: %s: %s\n", flag, d.message);
        return -1;
      }
    } else {
      fprintf(errs(), "lull serve: unknown option \"%s\" (lull serve --help)\n", a);
      return -1;
    }
#undef VALUE
  }
  if (!s->n_stations) {
    lull_serve_station *st = &s->station[s->n_stations++];
    memcpy(st->words.name, "main", 5);
    lull_params def = lull_params_default();
    lull__serve_params_put(&st->params, &def);
    st->daycycle = -1;
  }
  for (size_t k = 0; k < nplug; k++)
    if (plugin_flag(plugins[k].flag, plugins[k].arg, s, w)) return -1;
  return 0;
}

/* What lull_server_create takes, pointing into the settings and the
 * statics here; secrets read. 0, or -1 with the error printed. */
static int resolve(const lull_serve_settings *s, const lull_serve_where *w, lull_server_config *cfg) {
  static lull_station_config stations[LULL_SERVER_MAX_STATIONS];
  static const char *fx[LULL_SERVER_MAX_STATIONS][LULL_SERVE_MAX_FX];
  static const char *lists[3][LULL_SERVE_LIST];
  static char token[256], ice_password[LULL_SERVER_MAX_ICECAST][256];
  static lull_server_icecast ice[LULL_SERVER_MAX_ICECAST];
  char who[LULL_SERVE_TEXT + 128];
  for (size_t i = 0; i < s->n_stations; i++) {
    const lull_serve_station *st = &s->station[i];
    lull_station_config *sc = &stations[i];
    memset(sc, 0, sizeof *sc);
    sc->name = st->words.name;
    sc->title = st->words.title[0] ? st->words.title : NULL;
    sc->description = st->words.description[0] ? st->words.description : NULL;
    sc->params = st->params;
    sc->daycycle = st->daycycle >= 0 ? st->daycycle : s->daycycle ? LULL_DAYCYCLE_CLOCK : LULL_DAYCYCLE_OFF;
    sc->day_hour = st->day_hour;
    sc->steer = st->steer;
    for (uint32_t k = 0; k < st->fx_count; k++) fx[i][k] = st->fx[k];
    sc->fx = fx[i];
    sc->fx_count = st->fx_count;
    for (int p = 0; p < LULL_PART_COUNT; p++) sc->instrument[p] = st->instrument[p][0] ? st->instrument[p] : NULL;
    sc->bitrate = s->bitrate;
    sc->recent_minutes = s->recent_minutes;
    sc->lead_ms = s->lead_ms;
    sc->priority = (int)s->realtime;
  }
  *cfg = (lull_server_config){
      .bind = s->bind[0] ? s->bind : NULL,
      .port = (uint16_t)s->port,
      .stations = stations,
      .n_stations = s->n_stations,
      .threads = s->threads,
      .max_clients = s->max_clients,
      .max_per_ip = s->max_per_ip,
      .max_conns_per_ip = s->max_conns_per_ip,
      .request_ms = s->request_timeout_ms,
      .packets_per_message = s->packets_per_message,
      .burst_ms = s->burst_ms ? s->burst_ms : 1, /* 0 means the default there */
      .http_write_ms = s->http_write_ms,
      .tls_cert = s->tls_cert[0] ? s->tls_cert : NULL,
      .tls_key = s->tls_key[0] ? s->tls_key : NULL,
      .log_level = (int)s->log_level,
      .log = s->log_format ? lull_log_json : NULL,
      .max_personal = s->max_personal,
      .personal_idle_s = s->personal_idle_s,
  };
  const lull_serve_list *list[3] = {&s->allow_origin, &s->allow_host, &s->trusted_proxy};
  for (int l = 0; l < 3; l++)
    for (uint32_t k = 0; k < list[l]->n; k++) lists[l][k] = list[l]->item[k];
  cfg->allow_origins = lists[0], cfg->n_allow_origins = s->allow_origin.n;
  cfg->allow_hosts = lists[1], cfg->n_allow_hosts = s->allow_host.n;
  cfg->trusted_proxies = lists[2], cfg->n_trusted_proxies = s->trusted_proxy.n;
  if (s->control_token[0]) {
    snprintf(token, sizeof token, "%s", s->control_token);
    cfg->control_token = token;
  } else if (s->control_token_file[0]) {
    const lull_serve_option *o = lull__serve_option_find("control-token-file", 18);
    said(who, sizeof who, w, w->option[o - lull__serve_options], "server", o->name);
    if (read_secret(who, s->control_token_file, token, sizeof token)) return -1;
    cfg->control_token = token;
  } else {
    int got = credential("control-token", token, sizeof token);
    if (got < 0) return -1;
    if (got) cfg->control_token = token;
  }
  for (size_t i = 0; i < s->n_stations; i++) {
    if (s->station[i].steer != LULL_STEER_TOKEN || cfg->control_token) continue;
    char section[48];
    snprintf(section, sizeof section, "station %s", s->station[i].words.name); /* also --station NAME's words */
    fprintf(errs(), "lull serve: %s: steer=token needs the server's control token (control-token-file in [server], "
            "--control-token-file or --control-token, or the credential control-token)\n",
            said(who, sizeof who, w, w->station[i], section, w->station[i].from == LULL_FROM_FILE ? "steer" : section));
    return -1;
  }
  if (s->icecast_password_file[0]) { /* read even with no output to use it: a bad one is said at once */
    const lull_serve_option *o = lull__serve_option_find("icecast-password-file", 21);
    said(who, sizeof who, w, w->option[o - lull__serve_options], "server", o->name);
    if (read_secret(who, s->icecast_password_file, ice_password[0], sizeof ice_password[0])) return -1;
  }
  for (size_t i = 0; i < s->n_icecast; i++) {
    const lull_serve_icecast *ic = &s->icecast[i];
    char section[48];
    snprintf(section, sizeof section, "icecast %s", ic->label);
    size_t k = 0;
    while (k < s->n_stations && strcmp(s->station[k].words.name, ic->station) != 0) k++;
    if (k == s->n_stations) {
      lull_serve_origin at = {w->icecast[i].from, w->icecast_station_line[i]};
      fprintf(errs(), "lull serve: %s: no station \"%s\"; the stations are", said(who, sizeof who, w, at, section,
              at.from == LULL_FROM_FILE ? "station" : "icecast"), ic->station);
      for (k = 0; k < s->n_stations; k++) fprintf(errs(), "%s %s", k ? "," : "", s->station[k].words.name);
      fputc('\n', errs());
      return -1;
    }
    const char *file = lull__serve_icecast_text(s, w, i, 0), *env = getenv("LULL_ICECAST_PASSWORD");
    int got;
    if (file[0]) {
      const lull_serve_option *o = lull__serve_option_find("icecast-password-file", 21);
      lull_serve_origin from = file == ic->password_file ? w->icecast[i] : w->option[o - lull__serve_options];
      said(who, sizeof who, w, from, file == ic->password_file ? section : "server",
           file == ic->password_file ? "password-file" : o->name);
      if (read_secret(who, file, ice_password[i], sizeof ice_password[i])) return -1;
    } else if ((got = credential("icecast-password", ice_password[i], sizeof ice_password[i])) != 0) {
      if (got < 0) return -1;
    } else if (env && env[0]) {
      snprintf(ice_password[i], sizeof ice_password[i], "%s", env);
    } else {
      fprintf(errs(), "lull serve: --icecast needs the source password: set LULL_ICECAST_PASSWORD or give "
                      "--icecast-password-file (never on the command line), or the credential icecast-password "
                      "under systemd\n");
      return -1;
    }
    ice[i].station = ic->station;
    ice[i].output = (lull_icecast_config){.url = ic->url, .password = ice_password[i]};
    const char **texts[] = {NULL, &ice[i].output.name, &ice[i].output.description, &ice[i].output.genre};
    for (int t = 1; t < 4; t++) {
      const char *v = lull__serve_icecast_text(s, w, i, t);
      *texts[t] = v[0] ? v : NULL;
    }
  }
  cfg->icecast = ice;
  cfg->n_icecast = s->n_icecast;
  return 0;
}

/* A station's plugin that failed (diag field "NAME.fx" or
 * "NAME.instrument.PART") named by the file's line when it came from there. */
static int plugin_from_file(const lull_serve_settings *s, const lull_serve_where *w, const lull_diag *d) {
  for (size_t i = 0; i < s->n_stations; i++) {
    const lull_serve_station *st = &s->station[i];
    size_t n = strlen(st->words.name);
    if (strncmp(d->field, st->words.name, n) != 0 || d->field[n] != '.') continue;
    const char *what = d->field + n + 1;
    lull_serve_origin at = {0, 0};
    if (strcmp(what, "fx") == 0) {
      for (uint32_t k = 0; k < st->fx_count && !at.from; k++) { /* the one the message names, by its URI */
        char uri[LULL_SERVE_SPEC];
        snprintf(uri, sizeof uri, "%.*s", (int)strcspn(st->fx[k], ","), st->fx[k]);
        if (strstr(d->message, uri)) at = w->fx[i][k];
      }
    } else if (strncmp(what, "instrument.", 11) == 0) {
      int part = lull__part_parse(what + 11, strlen(what + 11));
      if (part >= 0) at = w->instrument[i][part];
    }
    if (at.from != LULL_FROM_FILE) return 0;
    fprintf(errs(), "lull serve: %s:%d: [station %s] %s: %s\n", w->file, at.line, st->words.name, what, d->message);
    return 1;
  }
  return 0;
}

/* What lull_server_create or _reload refused, said where the setting came
 * from when it names one (a plugin, the TLS pair). */
static void server_error(const lull_serve_settings *s, const lull_serve_where *w, const lull_diag *d) {
  if (plugin_from_file(s, w, d)) return;
  const char *opt = strcmp(d->field, "tls_cert") == 0 ? "tls-cert" : strcmp(d->field, "tls_key") == 0 ? "tls-key" : NULL;
  if (opt) {
    const lull_serve_option *o = lull__serve_option_find(opt, strlen(opt));
    char who[LULL_SERVE_TEXT + 128];
    fprintf(errs(), "lull serve: %s: %s\n", said(who, sizeof who, w, w->option[o - lull__serve_options], "server", opt),
            d->message);
    return;
  }
  fprintf(errs(), "lull serve: %s%s%s\n", d->field, d->field[0] ? ": " : "", d->message);
}

/* --check-config's look at what only opening them tells: every plugin of
 * every station, one at a time in an engine of its own. 0, or -1 with the error printed. */
static int check_more(const lull_serve_settings *s, const lull_serve_where *w, const lull_server_config *cfg) {
  for (size_t i = 0; i < s->n_stations; i++) {
    const lull_station_config *sc = &cfg->stations[i];
    for (int k = -LULL_SERVE_MAX_FX; k < LULL_PART_COUNT; k++) {
      lull_engine_config ec = {.dry = 1};
      if (k < 0 && (uint32_t)(k + LULL_SERVE_MAX_FX) < sc->fx_count) ec.fx = &sc->fx[k + LULL_SERVE_MAX_FX], ec.fx_count = 1;
      else if (k >= 0 && sc->instrument[k]) ec.instrument[k] = sc->instrument[k];
      else continue;
      lull_engine *e = NULL;
      lull_diag d = {{0}, {0}};
      int err = lull_engine_create(&ec, &e, &d);
      lull_engine_destroy(e);
      if (!err) continue;
      lull_diag named = d;
      snprintf(named.field, sizeof named.field, "%.32s.%.30s", sc->name, d.field);
      if (!plugin_from_file(s, w, &named)) fprintf(stderr, "lull serve: %s: %s\n", named.field, d.message);
      return -1;
    }
  }
  return 0;
}

/* The [server] options a reload applies through the stations, outputs and
 * TLS pair it passes on; a change to any other is for the next start. */
static int reload_applies(const char *name) {
  static const char *const applied[] = {"tls-cert", "tls-key", "bitrate", "recent-minutes", "lead-ms", "realtime", "daycycle",
                                        "icecast-password-file", "icecast-name", "icecast-description", "icecast-genre"};
  for (size_t i = 0; i < sizeof applied / sizeof applied[0]; i++)
    if (strcmp(name, applied[i]) == 0) return 1;
  return 0;
}

static size_t option_size(const lull_serve_option *o) {
  return o->kind == LULL_OPT_TEXT || o->kind == LULL_OPT_SECRET ? LULL_SERVE_TEXT
         : o->kind == LULL_OPT_LIST                            ? sizeof(lull_serve_list)
                                                               : sizeof(uint32_t);
}

/* The first line of what went to the buffer of errors, through the log
 * (without its "lull serve: "). */
static void log_errors(lull_log_fn log, const char *what, FILE *buf, char **text) {
  fclose(buf);
  err_to = NULL;
  const char *why = *text && **text ? *text : "out of memory";
  if (strncmp(why, "lull serve: ", 12) == 0) why += 12;
  char line[1400];
  snprintf(line, sizeof line, "SIGHUP: %s not reloaded, the running configuration stays: %.*s", what,
           (int)strcspn(why, "\n"), why);
  log(NULL, LULL_LOG_ERROR, line);
  free(*text);
  *text = NULL;
}

/* The control token the server runs with ("" none), to say when a reload
 * would change it (it takes effect at a restart). */
static char running_token[256];

/* SIGHUP: the config file and the flags read again and applied (stations,
 * Icecast outputs, the TLS pair; see lull_server_reload). A file that does
 * not read, or settings the server refuses, change nothing: the server
 * goes on as it was and the log says why. */
/* Whether the file said anything at all: an empty (or truncated to
 * nothing) file would otherwise be the defaults, one station "main" and
 * every other ended. */
static int file_said_something(const lull_serve_settings *s, const lull_serve_where *w) {
  for (size_t i = 0; i < LULL_SERVE_OPTION_COUNT; i++)
    if (w->option[i].from == LULL_FROM_FILE) return 1;
  for (size_t i = 0; i < s->n_stations; i++)
    if (w->station[i].from == LULL_FROM_FILE) return 1;
  for (size_t i = 0; i < s->n_icecast; i++)
    if (w->icecast[i].from == LULL_FROM_FILE) return 1;
  return 0;
}

static void reload(lull_server *srv, const char *config, int argc, char **argv, const lull_serve_settings *running,
                   lull_log_fn log) {
  static lull_serve_settings s;
  static lull_serve_where w;
  const char *what = config ? config : "the command line";
  char line[1400], *text = NULL;
  size_t text_len = 0;
  FILE *buf = open_memstream(&text, &text_len);
  if (!buf) {
    log(NULL, LULL_LOG_ERROR, "SIGHUP: not reloaded: out of memory");
    return;
  }
  err_to = buf;
  lull__serve_settings_init(&s, &w);
  lull_server_config cfg;
  int bad = config && lull__serve_file_read(config, &s, &w, buf);
  if (!bad && config && !file_said_something(&s, &w)) {
    fprintf(buf, "lull serve: %s: the file holds no settings at all (empty, or cut short by an editor?); a reload "
            "would end every station for the defaults, so it is refused (restart to serve the defaults)\n", config);
    bad = 1;
  }
  if (bad || read_flags(argc, argv, &s, &w) || resolve(&s, &w, &cfg)) {
    log_errors(log, what, buf, &text);
    return;
  }
  lull_diag d = {{0}, {0}};
  if (lull_server_reload(srv, &cfg, &d) != LULL_OK) {
    server_error(&s, &w, &d);
    log_errors(log, what, buf, &text);
    return;
  }
  fclose(buf);
  err_to = NULL;
  free(text);
  /* What the reload could not apply, against what the server started with. */
  for (size_t i = 0; i < LULL_SERVE_OPTION_COUNT; i++) {
    const lull_serve_option *o = &lull__serve_options[i];
    const char *now = (const char *)&s + o->offset, *then = (const char *)running + o->offset;
    if (reload_applies(o->name) || memcmp(now, then, option_size(o)) == 0) continue;
    char values[96] = "";
    if (option_size(o) == sizeof(uint32_t) && o->kind == LULL_OPT_U32)
      snprintf(values, sizeof values, " (running with %u, the file says %u)", *(const uint32_t *)(const void *)then,
               *(const uint32_t *)(const void *)now);
    snprintf(line, sizeof line, "SIGHUP: %s: %s changed%s; it takes effect when the server restarts", what, o->name,
             values);
    log(NULL, LULL_LOG_WARN, line);
  }
  if (strcmp(cfg.control_token ? cfg.control_token : "", running_token) != 0) {
    snprintf(line, sizeof line, "SIGHUP: %s: the control token changed; it takes effect when the server restarts", what);
    log(NULL, LULL_LOG_WARN, line);
  }
}

int lull__cmd_serve(int argc, char **argv) {
  static lull_serve_settings s;
  static lull_serve_where w;
  lull__serve_settings_init(&s, &w);
  /* The file first, wherever its flag is: the other flags override it. */
  const char *config = NULL;
  int check = 0;
  for (int i = 1; i < argc; i++) {
    int plain = lull__flag_is(argv[i], "--config"), checking = lull__flag_is(argv[i], "--check-config");
    if (!plain && !checking) continue;
    const char *flag = plain ? "--config" : "--check-config";
    const char *v = lull__flag_value("serve", argc, argv, &i, flag);
    if (!v) return LULL_EXIT_USAGE;
    if (config) {
      fprintf(stderr, "lull serve: %s: one config file at most (--config or --check-config), got \"%s\" and \"%s\"\n", flag,
              config, v);
      return LULL_EXIT_USAGE;
    }
    config = v;
    check = checking;
  }
  if (config && lull__serve_file_read(config, &s, &w, stderr)) return LULL_EXIT_USAGE;
  int rc = read_flags(argc, argv, &s, &w);
  if (rc) return rc > 0 ? LULL_EXIT_OK : LULL_EXIT_USAGE;
  lull_server_config cfg;
  if (resolve(&s, &w, &cfg)) return LULL_EXIT_USAGE;
  if (check) {
    if (check_more(&s, &w, &cfg)) return LULL_EXIT_USAGE;
    lull__serve_settings_print(stdout, &s, &w);
    return LULL_EXIT_OK;
  }

  /* Signals to this thread only (every thread started later inherits the mask). */
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);

  lull_server *srv;
  lull_diag d = {{0}, {0}};
  int err = lull_server_create(&cfg, &srv, &d);
  if (err) {
    server_error(&s, &w, &d);
    return err == LULL_EIO ? LULL_EXIT_FAIL : LULL_EXIT_USAGE;
  }
  snprintf(running_token, sizeof running_token, "%s", cfg.control_token ? cfg.control_token : "");
  if (lull_server_start(srv) != LULL_OK) {
    fprintf(stderr, "lull serve: could not start the threads\n");
    lull_server_destroy(srv);
    return LULL_EXIT_FAIL;
  }
  /* Through the log, in its format (a JSON line for a shipper, the journal's level). */
  lull_log_fn log = cfg.log ? cfg.log : lull_log_stderr;
  int sig = 0;
  while (sigwait(&set, &sig) == 0 && sig == SIGHUP) reload(srv, config, argc, argv, &s, log);
  char line[64];
  snprintf(line, sizeof line, "%s: shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
  log(NULL, LULL_LOG_INFO, line);
  lull_server_destroy(srv);
  return LULL_EXIT_OK;
}
