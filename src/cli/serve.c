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

#define MAX_ORIGINS 32

static void help(FILE *f) {
  fputs("usage: lull serve [options]\n"
        "\n"
        "Compose and stream live: the web player at /, WebSocket /ws/stream, Ogg/Opus\n"
        "/stream.ogg, MP3 /stream.mp3, /listen.m3u, REST /api/status, /api/metrics,\n"
        "/metrics (Prometheus), /api/stations, POST /api/stations/NAME/params, and\n"
        "GET /api/stations/NAME/recent.ogg?minutes=N: the last N minutes as a file.\n"
        "\n"
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
        "                           what Icecast shows (default \"lull: STATION\", ..., ambient)\n"
        "  --log-level L            error, warn, info (default) or debug\n"
        "  (under systemd, the credentials control-token and icecast-password, from\n"
        "  LoadCredential=, stand for --control-token-file and --icecast-password-file)\n"
        "  --log-format F           text (default: a UTC timestamp, the level, the line; under\n"
        "                           systemd, the journal's level prefix and no timestamp) or json\n"
        "                           (one {\"time\",\"level\",\"message\"} object a line)\n"
        "  -h, --help               this text\n"
        "\n"
        "SIGINT or SIGTERM stops the server gracefully (exit 0).\n",
        f);
}

/* A secret from a file (its first line). */
static int read_secret(const char *flag, const char *path, char *out, size_t cap) {
  FILE *f = fopen(path, "r");
  if (!f) {
    fprintf(stderr, "lull serve: %s: cannot read \"%s\"\n", flag, path);
    return -1;
  }
  size_t n = fread(out, 1, cap - 1, f);
  fclose(f);
  out[n] = 0;
  out[strcspn(out, "\r\n")] = 0;
  if (!out[0]) {
    fprintf(stderr, "lull serve: %s: \"%s\" is empty\n", flag, path);
    return -1;
  }
  return 0;
}

/* STATION=icecast://... */
static int parse_icecast(const char *spec, lull_server_icecast *out, char *station, size_t cap) {
  const char *eq = strchr(spec, '=');
  if (!eq || eq == spec || (size_t)(eq - spec) >= cap) {
    fprintf(stderr, "lull serve: --icecast: want STATION=icecast://HOST:PORT/MOUNT.ogg, got \"%s\"\n", spec);
    return -1;
  }
  memcpy(station, spec, (size_t)(eq - spec));
  station[eq - spec] = 0;
  lull_diag d = {{0}, {0}};
  if (lull_icecast_check_url(eq + 1, &d) != LULL_OK) {
    fprintf(stderr, "lull serve: --icecast %s: %s\n", station, d.message);
    return -1;
  }
  out->station = station;
  out->output.url = eq + 1;
  return 0;
}

/* --fx NAME=SPEC or --instrument NAME.PART=SPEC onto its station. */
static int attach_plugin(const char *flag, const char *arg, lull_station_config *stations, size_t ns,
                         const char *fx_specs[][8]) {
  int fx = strcmp(flag, "--fx") == 0;
  size_t len = strcspn(arg, fx ? "=" : ".");
  size_t i = 0;
  while (i < ns && !(strlen(stations[i].name) == len && strncmp(stations[i].name, arg, len) == 0)) i++;
  if (!arg[len] || i == ns) {
    fprintf(stderr, "lull serve: %s: expected %s with NAME a station given by --station (or main), got \"%s\"\n", flag,
            fx ? "NAME=SPEC" : "NAME.PART=SPEC", arg);
    return 1;
  }
  lull_station_config *st = &stations[i];
  if (fx) {
    if (st->fx_count == 8) {
      fprintf(stderr, "lull serve: --fx: at most 8 effects on station %s\n", st->name);
      return 1;
    }
    fx_specs[i][st->fx_count++] = arg + len + 1;
    st->fx = fx_specs[i];
    return 0;
  }
  const char *part_s = arg + len + 1;
  size_t plen = strcspn(part_s, "=");
  int part = lull__part_parse(part_s, plen);
  if (part < 0 || !part_s[plen]) {
    fprintf(stderr, "lull serve: --instrument: expected NAME.PART=SPEC with PART one of pad, lead, kick, swell, hat, "
                    "bass, air, bell; got \"%s\"\n", arg);
    return 1;
  }
  if (st->instrument[part]) {
    fprintf(stderr, "lull serve: --instrument: %s.%s is given twice\n", st->name, lull_part_name(part));
    return 1;
  }
  st->instrument[part] = part_s + plen + 1;
  return 0;
}

int lull__cmd_serve(int argc, char **argv) {
  static lull_station_config stations[LULL_SERVER_MAX_STATIONS];
  static lull_spec_words words[LULL_SERVER_MAX_STATIONS];
  static char token[256], ice_password[256];
  static lull_server_icecast ice[LULL_SERVER_MAX_ICECAST];
  static char ice_stations[LULL_SERVER_MAX_ICECAST][40];
  size_t nice = 0;
  const char *ice_name = NULL, *ice_description = NULL, *ice_genre = NULL;
  const char *origins[MAX_ORIGINS], *hosts[MAX_ORIGINS], *proxies[LULL_SERVER_MAX_PROXIES];
  size_t nh = 0, np = 0;
  lull_server_config cfg = {.port = 8000, .log_level = LULL_LOG_INFO};
  size_t ns = 0, no = 0;
  uint64_t v, bitrate = 0, lead = 0, prio = 0, recent = 10;
  int daycycle = 0;
  long max_personal = -1; /* -1: from the CPUs */
  /* Plugins, by station name: matched to the stations once all are read. */
  enum { MAX_PLUGIN_FLAGS = 64 };
  static struct plugin_flag { const char *flag, *arg; } plugin_flags[MAX_PLUGIN_FLAGS];
  static const char *fx_specs[LULL_SERVER_MAX_STATIONS][8];
  size_t nplug = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *s;
#define VALUE(flag) \
  if (!(s = lull__flag_value("serve", argc, argv, &i, flag))) return LULL_EXIT_USAGE
#define U64(flag, lo, hi) \
  VALUE(flag);            \
  if (lull__arg_u64("serve", flag, s, lo, hi, &v)) return LULL_EXIT_USAGE
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      help(stdout);
      return LULL_EXIT_OK;
    } else if (lull__flag_is(a, "--bind")) {
      VALUE("--bind");
      cfg.bind = s;
    } else if (lull__flag_is(a, "--port")) {
      U64("--port", 0, 65535);
      cfg.port = (uint16_t)v;
    } else if (lull__flag_is(a, "--station")) {
      VALUE("--station");
      if (ns == LULL_SERVER_MAX_STATIONS) {
        fprintf(stderr, "lull serve: --station: at most %d stations\n", LULL_SERVER_MAX_STATIONS);
        return LULL_EXIT_USAGE;
      }
      stations[ns].daycycle = -1; /* not said: --daycycle decides */
      if (lull__station_spec(s, &stations[ns], &words[ns], stderr)) return LULL_EXIT_USAGE;
      for (size_t j = 0; j < ns; j++)
        if (strcmp(words[j].name, words[ns].name) == 0) {
          fprintf(stderr, "lull serve: --station: \"%s\" is given twice\n", words[ns].name);
          return LULL_EXIT_USAGE;
        }
      ns++;
    } else if (lull__flag_is(a, "--fx") || lull__flag_is(a, "--instrument")) {
      const char *flag = lull__flag_is(a, "--fx") ? "--fx" : "--instrument";
      VALUE(flag);
      if (nplug == MAX_PLUGIN_FLAGS) {
        fprintf(stderr, "lull serve: %s: at most %d plugins in all\n", flag, MAX_PLUGIN_FLAGS);
        return LULL_EXIT_USAGE;
      }
      plugin_flags[nplug++] = (struct plugin_flag){flag, s};
    } else if (strcmp(a, "--daycycle") == 0) {
      daycycle = 1;
    } else if (lull__flag_is(a, "--max-clients")) {
      U64("--max-clients", 1, 1000000);
      cfg.max_clients = (uint32_t)v;
    } else if (lull__flag_is(a, "--max-personal")) {
      U64("--max-personal", 0, LULL_SERVER_MAX_PERSONAL);
      max_personal = (long)v;
    } else if (lull__flag_is(a, "--personal-idle-s")) {
      U64("--personal-idle-s", 1, 86400);
      cfg.personal_idle_s = (uint32_t)v;
    } else if (lull__flag_is(a, "--max-per-ip")) {
      U64("--max-per-ip", 1, 1000000);
      cfg.max_per_ip = (uint32_t)v;
    } else if (lull__flag_is(a, "--control-token")) {
      VALUE("--control-token");
      if (!*s || strlen(s) > 200) {
        fprintf(stderr, "lull serve: --control-token: %s; a token is 1..200 printable characters without spaces "
                        "(leave the flag out to let anyone steer)\n", *s ? "too long" : "empty");
        return LULL_EXIT_USAGE;
      }
      snprintf(token, sizeof token, "%s", s);
      cfg.control_token = token;
    } else if (lull__flag_is(a, "--tls-cert")) {
      VALUE("--tls-cert");
      cfg.tls_cert = s;
    } else if (lull__flag_is(a, "--tls-key")) {
      VALUE("--tls-key");
      cfg.tls_key = s;
    } else if (lull__flag_is(a, "--control-token-file")) {
      VALUE("--control-token-file");
      if (read_secret("--control-token-file", s, token, sizeof token)) return LULL_EXIT_USAGE;
      cfg.control_token = token;
    } else if (lull__flag_is(a, "--allow-origin")) {
      VALUE("--allow-origin");
      if (no == MAX_ORIGINS) {
        fprintf(stderr, "lull serve: --allow-origin: at most %d\n", MAX_ORIGINS);
        return LULL_EXIT_USAGE;
      }
      origins[no++] = s;
    } else if (lull__flag_is(a, "--allow-host")) {
      VALUE("--allow-host");
      if (nh == MAX_ORIGINS) {
        fprintf(stderr, "lull serve: --allow-host: at most %d\n", MAX_ORIGINS);
        return LULL_EXIT_USAGE;
      }
      hosts[nh++] = s;
    } else if (lull__flag_is(a, "--trusted-proxy")) {
      VALUE("--trusted-proxy");
      if (np == LULL_SERVER_MAX_PROXIES) {
        fprintf(stderr, "lull serve: --trusted-proxy: at most %d\n", LULL_SERVER_MAX_PROXIES);
        return LULL_EXIT_USAGE;
      }
      proxies[np++] = s;
    } else if (lull__flag_is(a, "--max-conns-per-ip")) {
      U64("--max-conns-per-ip", 1, 1000000);
      cfg.max_conns_per_ip = (uint32_t)v;
    } else if (lull__flag_is(a, "--request-timeout-ms")) {
      U64("--request-timeout-ms", 500, 120000);
      cfg.request_ms = (uint32_t)v;
    } else if (lull__flag_is(a, "--threads")) {
      U64("--threads", 1, 8);
      cfg.threads = (uint32_t)v;
    } else if (lull__flag_is(a, "--packets-per-message")) {
      U64("--packets-per-message", 1, 16);
      cfg.packets_per_message = (uint32_t)v;
    } else if (lull__flag_is(a, "--burst-ms")) {
      U64("--burst-ms", 0, 5000);
      cfg.burst_ms = v ? (uint32_t)v : 1;
    } else if (lull__flag_is(a, "--http-write-ms")) {
      U64("--http-write-ms", 20, 1000);
      cfg.http_write_ms = (uint32_t)v;
    } else if (lull__flag_is(a, "--bitrate")) {
      U64("--bitrate", 32000, 256000);
      bitrate = v;
    } else if (lull__flag_is(a, "--recent-minutes")) {
      U64("--recent-minutes", 0, 30);
      recent = v;
    } else if (lull__flag_is(a, "--lead-ms")) {
      U64("--lead-ms", 20, 1000);
      lead = v;
    } else if (lull__flag_is(a, "--realtime")) {
      U64("--realtime", 1, 99);
      prio = v;
    } else if (lull__flag_is(a, "--icecast")) {
      VALUE("--icecast");
      if (nice == LULL_SERVER_MAX_ICECAST) {
        fprintf(stderr, "lull serve: --icecast: at most %d outputs\n", LULL_SERVER_MAX_ICECAST);
        return LULL_EXIT_USAGE;
      }
      if (parse_icecast(s, &ice[nice], ice_stations[nice], sizeof ice_stations[nice])) return LULL_EXIT_USAGE;
      nice++;
    } else if (lull__flag_is(a, "--icecast-password-file")) {
      VALUE("--icecast-password-file");
      if (read_secret("--icecast-password-file", s, ice_password, sizeof ice_password)) return LULL_EXIT_USAGE;
    } else if (lull__flag_is(a, "--icecast-name")) {
      VALUE("--icecast-name");
      ice_name = s;
    } else if (lull__flag_is(a, "--icecast-description")) {
      VALUE("--icecast-description");
      ice_description = s;
    } else if (lull__flag_is(a, "--icecast-genre")) {
      VALUE("--icecast-genre");
      ice_genre = s;
    } else if (lull__flag_is(a, "--log-level")) {
      VALUE("--log-level");
      static const char *const levels[] = {"error", "warn", "info", "debug"};
      int found = -1;
      for (int l = 0; l < 4; l++)
        if (strcmp(s, levels[l]) == 0) found = l;
      if (found < 0) {
        fprintf(stderr, "lull serve: --log-level must be error, warn, info or debug, got \"%s\"\n", s);
        return LULL_EXIT_USAGE;
      }
      cfg.log_level = found;
    } else if (lull__flag_is(a, "--log-format")) {
      VALUE("--log-format");
      if (strcmp(s, "text") != 0 && strcmp(s, "json") != 0) {
        fprintf(stderr, "lull serve: --log-format must be text or json, got \"%s\"\n", s);
        return LULL_EXIT_USAGE;
      }
      cfg.log = s[0] == 'j' ? lull_log_json : NULL;
    } else {
      fprintf(stderr, "lull serve: unknown option \"%s\" (lull serve --help)\n", a);
      return LULL_EXIT_USAGE;
    }
#undef U64
#undef VALUE
  }
  if (!ns) {
    stations[0].name = "main";
    stations[0].params = lull_params_default();
    stations[0].daycycle = -1;
    ns = 1;
  }
  for (size_t k = 0; k < nplug; k++)
    if (attach_plugin(plugin_flags[k].flag, plugin_flags[k].arg, stations, ns, fx_specs)) return LULL_EXIT_USAGE;
  for (size_t i = 0; i < ns; i++) {
    if (stations[i].daycycle < 0) stations[i].daycycle = daycycle ? LULL_DAYCYCLE_CLOCK : LULL_DAYCYCLE_OFF;
    stations[i].bitrate = (uint32_t)bitrate;
    stations[i].recent_minutes = (uint32_t)recent;
    stations[i].lead_ms = (uint32_t)lead;
    stations[i].priority = (int)prio;
  }
  cfg.stations = stations;
  cfg.n_stations = ns;
  /* Each personal station costs about 1.4 % of a core (measured: lull serve
   * with 9 stations against 1, no listeners): 16 a CPU stay within a
   * quarter of the machine. */
  if (max_personal < 0) {
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    max_personal = ncpu > 0 && ncpu < 4 ? 16 * ncpu : LULL_SERVER_MAX_PERSONAL;
  }
  cfg.max_personal = (uint32_t)max_personal;
  /* Under systemd, LoadCredential= puts the secrets in CREDENTIALS_DIRECTORY:
   * taken from there when no flag named them. */
  const char *creds = getenv("CREDENTIALS_DIRECTORY");
  char cred[1200];
  if (creds && !cfg.control_token && snprintf(cred, sizeof cred, "%s/control-token", creds) < (int)sizeof cred &&
      access(cred, F_OK) == 0) {
    if (read_secret("credential control-token", cred, token, sizeof token)) return LULL_EXIT_USAGE;
    cfg.control_token = token;
  }
  if (creds && !ice_password[0] && snprintf(cred, sizeof cred, "%s/icecast-password", creds) < (int)sizeof cred &&
      access(cred, F_OK) == 0 && read_secret("credential icecast-password", cred, ice_password, sizeof ice_password))
    return LULL_EXIT_USAGE;
  cfg.allow_origins = origins;
  cfg.n_allow_origins = no;
  cfg.allow_hosts = hosts;
  cfg.n_allow_hosts = nh;
  cfg.trusted_proxies = proxies;
  cfg.n_trusted_proxies = np;
  if (nice) {
    const char *env = getenv("LULL_ICECAST_PASSWORD");
    if (!ice_password[0] && env) snprintf(ice_password, sizeof ice_password, "%s", env);
    if (!ice_password[0]) {
      fprintf(stderr, "lull serve: --icecast needs the source password: set LULL_ICECAST_PASSWORD or give "
                      "--icecast-password-file (never on the command line), or the credential icecast-password "
                      "under systemd\n");
      return LULL_EXIT_USAGE;
    }
    for (size_t i = 0; i < nice; i++) {
      ice[i].output.password = ice_password;
      ice[i].output.name = ice_name;
      ice[i].output.description = ice_description;
      ice[i].output.genre = ice_genre;
    }
    cfg.icecast = ice;
    cfg.n_icecast = nice;
  }

  /* Signals to this thread only (every thread started later inherits the mask). */
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);

  lull_server *srv;
  lull_diag d = {{0}, {0}};
  int err = lull_server_create(&cfg, &srv, &d);
  if (err) {
    fprintf(stderr, "lull serve: %s%s%s\n", d.field, d.field[0] ? ": " : "", d.message);
    return err == LULL_EIO ? LULL_EXIT_FAIL : LULL_EXIT_USAGE;
  }
  if (lull_server_start(srv) != LULL_OK) {
    fprintf(stderr, "lull serve: could not start the threads\n");
    lull_server_destroy(srv);
    return LULL_EXIT_FAIL;
  }
  int sig = 0;
  sigwait(&set, &sig);
  /* Through the log, in its format (a JSON line for a shipper, the journal's level). */
  char line[64];
  snprintf(line, sizeof line, "%s: shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
  (cfg.log ? cfg.log : lull_log_stderr)(NULL, LULL_LOG_INFO, line);
  lull_server_destroy(srv);
  return LULL_EXIT_OK;
}
