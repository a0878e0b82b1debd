/* The server on libwebsockets 4.1. Each network thread (a "worker") owns a
 * libwebsockets context and its own listening socket on the shared port
 * (SO_REUSEPORT: the kernel spreads the connections; lws 4.1 cannot set it,
 * so the socket is ours, watched by lws as a raw descriptor, and each
 * accepted connection is adopted into the worker's context), its own libev
 * loop on epoll (lws's poll backend would touch every socket at each wake),
 * and everything about its clients; workers share nothing but
 * the stations and a few counters. A station's producer wakes every worker
 * when a message's worth of frames is out (lws_cancel_service, the one call
 * lws allows from another thread); a worker then pulls the new packets into
 * its feeds (framed once per worker) and sends each listener of a feed that
 * grew everything it has pending, in one send. Nothing more is written while
 * libwebsockets still holds a partial send for a listener (it then waits for
 * writability), so a stalled reader costs one buffered message, never a
 * growing queue. A timer sweeps the stalled ones: skip to the live edge,
 * then disconnect. */
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <libwebsockets.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lull/lull.h"
#include "lull/server.h"
#include "server/hub.h"
#include "server/server_int.h"
#include "stream/stream.h"

#define MAX_STATIONS 64
#define MAX_WORKERS 8
#define MAX_ICECAST 16
#define MAX_TEXT 4096       /* a client's message, a REST body */
#define MAX_REPLIES 32      /* text replies queued for one client (more than a second's rate) */
#define RUN_BYTES 65536     /* one send at most */
#define SWEEP_MS 250

enum { S_NONE = 0, S_WS, S_HTTP_STREAM, S_REST };

typedef struct reply {
  struct reply *next;
  size_t len;
  unsigned char buf[]; /* LWS_PRE, then the text */
} reply;

/* One per connection (libwebsockets' per-session data, zeroed for us). */
typedef struct session {
  struct session *prev, *next; /* in its feed's list */
  struct worker *w;
  struct lws *wsi;
  uint8_t role, kind, registered, closing;
  uint8_t hello_pending, params_pending, header_sent, authorised;
  uint16_t station;
  uint16_t close_code;
  lull_hub_cursor cur;
  uint64_t since_ms, sent, dropped_packets;
  uint32_t params_seen;
  double tokens;
  uint64_t tokens_ms;
  uint32_t floods;
  uint32_t n_replies;
  reply *replies, *replies_tail;
  char *text; /* a WebSocket message or REST body being received */
  uint32_t text_len;
  uint8_t text_over;
  char ip[48];
} session;

typedef struct worker {
  struct lull_server *srv;
  unsigned idx;
  struct lws_context *ctx;
  struct lws_vhost *vh;
  struct ev_loop *loop; /* epoll: a wake costs what is ready, not every socket */
  uint64_t stop_deadline;
  int listen_fd, spare_fd, accept_paused;
  struct lws *listen_wsi;
  uint64_t emfile_logged_ms;
  pthread_t thread;
  lull_feed *feeds;    /* [station * LULL_FEED_KINDS + kind] */
  session **lists;     /* the listeners of each feed */
  uint64_t *write_at;  /* ms time when the listeners of an HTTP feed are next written */
  uint32_t *changes;   /* params_changes seen, per station */
  lws_sorted_usec_list_t sweep;
  uint64_t next_metrics_ms;
  int stop_seen;
  size_t sessions;
  _Atomic uint64_t bytes, writes, dropped, slow_closed;
  unsigned char scratch[LWS_PRE + 8192];
} worker;

typedef struct ip_slot {
  char ip[48];
  uint32_t n;
} ip_slot;

typedef struct station_stats {
  struct lull_server *srv;
  _Atomic uint64_t frames;
  _Atomic uint32_t listeners[LULL_FEED_KINDS];
} station_stats;

struct lull_server {
  lull_server_config cfg;
  char bind[64], token[256];
  char tls_cert[1024], tls_key[1024]; /* "": plain HTTP */
  char **origins;
  size_t n_origins;
  size_t n_stations;
  lull_station *stations[MAX_STATIONS];
  station_stats sstats[MAX_STATIONS];
  unsigned n_workers;
  worker *workers;
  uint16_t port;
  _Atomic int stopping, started;
  uint64_t start_ms;
  lull_hub_policy policy[LULL_FEED_KINDS];
  pthread_mutex_t ip_lock;
  ip_slot *ips;
  uint32_t ip_mask;
  _Atomic uint32_t listeners;
  uint64_t metrics_bytes, metrics_ms; /* at the last metrics line (worker 0 only) */
  _Atomic uint64_t connects, disconnects, rejected, http_requests, messages_in, control_applied, control_refused,
      protocol_closed;
  size_t n_icecast;
  lull_icecast *icecast[MAX_ICECAST];
  uint16_t icecast_station[MAX_ICECAST];
};

static const char *const feed_names[LULL_FEED_KINDS] = {"ws-opus", "ws-pcm", "ogg", "mp3"};

/* ---- small things --------------------------------------------------------- */

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void slog(const lull_server *srv, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void slog(const lull_server *srv, int level, const char *fmt, ...) {
  if (level > srv->cfg.log_level) return;
  static const char *const names[] = {"error", "warn", "info", "debug"};
  char line[1024];
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  int n = (int)strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%S", &tm);
  n += snprintf(line + n, sizeof line - (size_t)n, ".%03ldZ %-5s ", ts.tv_nsec / 1000000, names[level]);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
  va_end(ap);
  fprintf(stderr, "%s\n", line); /* one write per line: lines from threads do not interleave */
}

static void lws_log(int level, const char *line) {
  size_t n = strlen(line);
  while (n && line[n - 1] == '\n') n--;
  fprintf(stderr, "lws %s: %.*s\n", level == LLL_ERR ? "error" : "warn", (int)n, line);
}

static int station_index(const lull_server *srv, const char *name) {
  for (size_t i = 0; i < srv->n_stations; i++)
    if (strcmp(lull_station_name(srv->stations[i]), name) == 0) return (int)i;
  return -1;
}

/* Constant-time compare, so the token cannot be guessed byte by byte. */
static int token_ok(const lull_server *srv, const char *given) {
  if (!srv->token[0]) return 1;
  if (!given) return 0;
  size_t a = strlen(srv->token), b = strlen(given);
  unsigned char diff = (unsigned char)(a != b);
  for (size_t i = 0; i < a; i++) diff |= (unsigned char)(srv->token[i] ^ (i < b ? given[i] : 0));
  return diff == 0;
}

/* ---- listener limits (total and per address) ------------------------------ */

static uint32_t ip_hash(const char *ip) {
  uint32_t h = 2166136261u;
  for (; *ip; ip++) h = (h ^ (unsigned char)*ip) * 16777619u;
  return h;
}

/* Linear probing with backward-shift deletion: no tombstones to pile up. */
static ip_slot *ip_find(lull_server *srv, const char *ip, int create) {
  for (uint32_t i = ip_hash(ip) & srv->ip_mask;; i = (i + 1) & srv->ip_mask) {
    ip_slot *s = &srv->ips[i];
    if (!s->n) {
      if (!create) return NULL;
      snprintf(s->ip, sizeof s->ip, "%s", ip);
      return s;
    }
    if (strcmp(s->ip, ip) == 0) return s;
  }
}

static void ip_remove(lull_server *srv, ip_slot *s) {
  uint32_t i = (uint32_t)(s - srv->ips);
  for (uint32_t j = (i + 1) & srv->ip_mask; srv->ips[j].n; j = (j + 1) & srv->ip_mask) {
    uint32_t home = ip_hash(srv->ips[j].ip) & srv->ip_mask;
    /* Move j back to i if i lies cyclically in [home, j). */
    if (((j - home) & srv->ip_mask) >= ((j - i) & srv->ip_mask)) {
      srv->ips[i] = srv->ips[j];
      i = j;
    }
  }
  srv->ips[i].n = 0;
  srv->ips[i].ip[0] = 0;
}

/* 0, or the HTTP status of the refusal (503: full, 429: this address). */
static int listener_check(lull_server *srv, const char *ip, int take) {
  int status = 0;
  pthread_mutex_lock(&srv->ip_lock);
  ip_slot *s = ip_find(srv, ip, 0);
  if (atomic_load(&srv->listeners) >= srv->cfg.max_clients)
    status = 503;
  else if (s && s->n >= srv->cfg.max_per_ip)
    status = 429;
  else if (take) {
    s = ip_find(srv, ip, 1);
    s->n++;
    atomic_fetch_add(&srv->listeners, 1);
  }
  pthread_mutex_unlock(&srv->ip_lock);
  return status;
}

static void listener_release(lull_server *srv, const char *ip) {
  pthread_mutex_lock(&srv->ip_lock);
  ip_slot *s = ip_find(srv, ip, 0);
  if (s && --s->n == 0) ip_remove(srv, s);
  atomic_fetch_sub(&srv->listeners, 1);
  pthread_mutex_unlock(&srv->ip_lock);
}

/* ---- query strings -------------------------------------------------------- */

typedef struct query {
  char station[40], codec[8], token[256];
  char bad[64]; /* the first unknown or malformed argument */
} query;

static void parse_query(struct lws *wsi, query *q, const char *const *allowed) {
  memset(q, 0, sizeof *q);
  snprintf(q->station, sizeof q->station, "main");
  snprintf(q->codec, sizeof q->codec, "opus");
  char frag[300];
  for (int i = 0; lws_hdr_copy_fragment(wsi, frag, sizeof frag, WSI_TOKEN_HTTP_URI_ARGS, i) > 0; i++) {
    char *eq = strchr(frag, '=');
    const char *val = eq ? eq + 1 : "";
    if (eq) *eq = 0;
    int known = 0;
    for (const char *const *a = allowed; *a; a++) known |= strcmp(*a, frag) == 0;
    if (!known || !eq) {
      if (!q->bad[0]) snprintf(q->bad, sizeof q->bad, "%.60s", frag);
      continue;
    }
    if (strcmp(frag, "station") == 0) snprintf(q->station, sizeof q->station, "%.39s", val);
    if (strcmp(frag, "codec") == 0) snprintf(q->codec, sizeof q->codec, "%.7s", val);
    if (strcmp(frag, "token") == 0) snprintf(q->token, sizeof q->token, "%.255s", val);
  }
}

/* ---- HTTP responses -------------------------------------------------------- */

static int is_head(struct lws *wsi) {
  char *uri;
  int len;
  return lws_http_get_uri_and_method(wsi, &uri, &len) == LWSHUMETH_HEAD;
}

/* The page may load only its own scripts, styles and sockets: an injected
 * script, were one ever to get in, could not run or call out. */
static const char csp[] = "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; "
                          "object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

static int add_header(struct lws *wsi, const char *name, const char *value, unsigned char **p, unsigned char *end) {
  return lws_add_http_header_by_name(wsi, (const unsigned char *)name, (const unsigned char *)value, (int)strlen(value), p,
                                     end);
}

/* Headers and body at once, then the transaction ends (keep-alive); for
 * HEAD the headers alone (the length still says what GET would send).
 * With an etag the browser may keep it but asks again each time (the web
 * player's files change only with the binary); without, nothing is kept. */
static int respond_tagged(struct lws *wsi, unsigned status, const char *type, const void *body, size_t len, const char *etag) {
  unsigned char hdr[LWS_PRE + 1024], *start = hdr + LWS_PRE, *p = start, *end = hdr + sizeof hdr - 1;
  if (lws_add_http_common_headers(wsi, status, type, len, &p, end) ||
      add_header(wsi, "cache-control:", etag ? "no-cache" : "no-store", &p, end) ||
      (etag && add_header(wsi, "etag:", etag, &p, end)) || add_header(wsi, "x-content-type-options:", "nosniff", &p, end) ||
      (strncmp(type, "text/html", 9) == 0 && add_header(wsi, "content-security-policy:", csp, &p, end)) ||
      lws_finalize_write_http_header(wsi, start, &p, end))
    return -1;
  if (len && !is_head(wsi)) {
    unsigned char *b = malloc(LWS_PRE + len);
    if (!b) return -1;
    memcpy(b + LWS_PRE, body, len);
    int n = lws_write(wsi, b + LWS_PRE, len, LWS_WRITE_HTTP_FINAL);
    free(b);
    if (n < 0) return -1;
  }
  return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static int respond(struct lws *wsi, unsigned status, const char *type, const void *body, size_t len) {
  return respond_tagged(wsi, status, type, body, len, NULL);
}

/* A file of the web player; 304 when the browser holds this version. */
static int respond_asset(struct lws *wsi, const lull_asset *a) {
  char want[256];
  if (lws_hdr_copy(wsi, want, sizeof want, WSI_TOKEN_HTTP_IF_NONE_MATCH) > 0 && (strstr(want, a->etag) || !strcmp(want, "*"))) {
    unsigned char hdr[LWS_PRE + 256], *start = hdr + LWS_PRE, *p = start, *end = hdr + sizeof hdr - 1;
    if (lws_add_http_header_status(wsi, 304, &p, end) || add_header(wsi, "etag:", a->etag, &p, end) ||
        add_header(wsi, "cache-control:", "no-cache", &p, end) || lws_finalize_write_http_header(wsi, start, &p, end))
      return -1;
    return lws_http_transaction_completed(wsi) ? -1 : 0;
  }
  return respond_tagged(wsi, 200, a->type, a->data, a->len, a->etag);
}

static int respond_error(struct lws *wsi, unsigned status, const char *code, const char *field, const char *message) {
  char body[900];
  int n = lull__error_json(body, sizeof body, code, field, message);
  body[n < (int)sizeof body ? n : (int)sizeof body - 1] = 0;
  /* {"error": {...}} for REST; the inner object is the WebSocket error. */
  char wrapped[1000];
  int m = snprintf(wrapped, sizeof wrapped, "{\"error\":%s}\n", body);
  return respond(wsi, status, "application/json", wrapped, (size_t)m);
}

static void icecast_log(void *user, int level, const char *message) { slog(user, level, "%s", message); }

/* ---- text for clients ----------------------------------------------------- */

typedef struct sbuf {
  char *p;
  size_t len, cap;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...) {
  for (;;) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if (b->p && b->len + (size_t)n < b->cap) {
      b->len += (size_t)n;
      return;
    }
    size_t cap = b->cap ? b->cap * 2 : 4096;
    while (cap < b->len + (size_t)n + 1) cap *= 2;
    char *q = realloc(b->p, cap);
    if (!q) return;
    b->p = q;
    b->cap = cap;
  }
}

/* Listeners of station i: by kind into l (if given), the total returned. */
static uint32_t station_listeners(lull_server *srv, size_t i, uint32_t l[LULL_FEED_KINDS]) {
  uint32_t total = 0;
  for (int k = 0; k < LULL_FEED_KINDS; k++) {
    uint32_t n = atomic_load(&srv->sstats[i].listeners[k]);
    if (l) l[k] = n;
    total += n;
  }
  return total;
}

static void station_json(lull_server *srv, sbuf *b, size_t i) {
  lull_station *st = srv->stations[i];
  lull_station_now now;
  lull_station_metrics m;
  lull_station_get_now(st, &now);
  lull_station_get_metrics(st, &m);
  char params[256];
  lull__params_json(params, sizeof params, &now.params);
  uint32_t l[LULL_FEED_KINDS], total = station_listeners(srv, i, l);
  sb_printf(b,
            "{\"name\":\"%s\",\"params\":%s,\"now\":{\"chord\":\"%s\",\"bar\":%llu,\"section\":%u},"
            "\"listeners\":{\"total\":%u,\"ws_opus\":%u,\"ws_pcm\":%u,\"ogg\":%u,\"mp3\":%u},"
            "\"lead_ms\":%.2f,\"lead_ms_min\":%.2f,\"lead_ms_max\":%.2f,\"burst_ms\":%u,\"skip_ms\":%u,"
            "\"frames\":%llu,\"late_frames\":%llu,\"faults\":%llu,\"encode_us_mean\":%.1f,\"realtime\":%s}",
            lull_station_name(st), params, now.chord, (unsigned long long)now.bar, now.section, total, l[0], l[1], l[2],
            l[3], m.lead_ms, m.lead_ms_min, m.lead_ms_max, srv->cfg.burst_ms, srv->cfg.skip_ms,
            (unsigned long long)m.frames, (unsigned long long)m.late_frames, (unsigned long long)m.faults,
            m.encode_us_mean, m.realtime ? "true" : "false");
}

typedef struct totals {
  uint64_t bytes, writes, dropped, slow_closed;
} totals;

static totals worker_totals(lull_server *srv) {
  totals t = {0};
  for (unsigned i = 0; i < srv->n_workers; i++) {
    t.bytes += atomic_load_explicit(&srv->workers[i].bytes, memory_order_relaxed);
    t.writes += atomic_load_explicit(&srv->workers[i].writes, memory_order_relaxed);
    t.dropped += atomic_load_explicit(&srv->workers[i].dropped, memory_order_relaxed);
    t.slow_closed += atomic_load_explicit(&srv->workers[i].slow_closed, memory_order_relaxed);
  }
  return t;
}

static void status_json(lull_server *srv, sbuf *b) {
  sb_printf(b, "{\"version\":\"%s\",\"uptime_s\":%.1f,\"listeners\":%u,\"max_clients\":%u,\"threads\":%u,"
               "\"packets_per_message\":%u,\"http_write_ms\":%u,\"control_token\":%s,\"stations\":[",
            LULL_VERSION, (double)(now_ms() - srv->start_ms) / 1000.0, atomic_load(&srv->listeners), srv->cfg.max_clients,
            srv->n_workers, srv->cfg.packets_per_message, srv->cfg.http_write_ms, srv->token[0] ? "true" : "false");
  for (size_t i = 0; i < srv->n_stations; i++) {
    if (i) sb_printf(b, ",");
    station_json(srv, b, i);
  }
  sb_printf(b, "],\"icecast\":[");
  for (size_t i = 0; i < srv->n_icecast; i++) {
    lull_icecast_status st;
    lull_icecast_get_status(srv->icecast[i], &st);
    char err[sizeof st.last_error * 2];
    lull__json_escape(err, sizeof err, st.last_error); /* libshout's messages may hold quotes */
    sb_printf(b,
              "%s{\"station\":\"%s\",\"url\":\"%s\",\"state\":\"%s\",\"last_error\":\"%s\",\"bytes_sent\":%llu,"
              "\"queue_bytes\":%u,\"connects\":%llu,\"failures\":%llu,\"skipped_pages\":%llu,\"retry_in_s\":%.1f}",
              i ? "," : "", lull_station_name(srv->stations[srv->icecast_station[i]]), st.url,
              lull_icecast_state_name(st.state), err, (unsigned long long)st.bytes_sent, st.queue_bytes,
              (unsigned long long)st.connects, (unsigned long long)st.failures, (unsigned long long)st.skipped_pages,
              st.retry_in_s);
  }
  sb_printf(b, "]}\n");
}

#define COUNTERS(X)                                                         \
  X(connects, "listeners that connected")                                   \
  X(disconnects, "listeners that left")                                     \
  X(rejected, "requests and connections refused (limits, origin, token)")   \
  X(http_requests, "HTTP requests")                                         \
  X(messages_in, "WebSocket text messages received")                        \
  X(control_applied, "param changes accepted")                              \
  X(control_refused, "param changes refused")                               \
  X(protocol_closed, "WebSocket clients closed for breaking the protocol")

static void metrics_json(lull_server *srv, sbuf *b) {
  totals t = worker_totals(srv);
  sb_printf(b, "{\"uptime_s\":%.1f,\"listeners\":%u", (double)(now_ms() - srv->start_ms) / 1000.0,
            atomic_load(&srv->listeners));
#define X(name, help) sb_printf(b, ",\"" #name "\":%llu", (unsigned long long)atomic_load(&srv->name));
  COUNTERS(X)
#undef X
  sb_printf(b, ",\"bytes_sent\":%llu,\"sends\":%llu,\"packets_dropped\":%llu,\"slow_disconnects\":%llu,\"stations\":{",
            (unsigned long long)t.bytes, (unsigned long long)t.writes, (unsigned long long)t.dropped,
            (unsigned long long)t.slow_closed);
  for (size_t i = 0; i < srv->n_stations; i++) {
    lull_station_metrics m;
    lull_station_get_metrics(srv->stations[i], &m);
    sb_printf(b, "%s\"%s\":{\"frames\":%llu,\"late_frames\":%llu,\"faults\":%llu,\"commands\":%llu,\"lead_ms\":%.2f}",
              i ? "," : "", lull_station_name(srv->stations[i]), (unsigned long long)m.frames,
              (unsigned long long)m.late_frames, (unsigned long long)m.faults, (unsigned long long)m.commands, m.lead_ms);
  }
  sb_printf(b, "}}\n");
}

static void metrics_prometheus(lull_server *srv, sbuf *b) {
  totals t = worker_totals(srv);
  sb_printf(b, "# HELP lull_uptime_seconds Seconds since the server started.\n# TYPE lull_uptime_seconds gauge\n"
               "lull_uptime_seconds %.1f\n",
            (double)(now_ms() - srv->start_ms) / 1000.0);
#define X(name, help)                                                                                   \
  sb_printf(b, "# HELP lull_" #name "_total " help ".\n# TYPE lull_" #name "_total counter\nlull_" #name \
               "_total %llu\n",                                                                         \
            (unsigned long long)atomic_load(&srv->name));
  COUNTERS(X)
#undef X
  sb_printf(b,
            "# HELP lull_bytes_sent_total Stream bytes sent to listeners.\n# TYPE lull_bytes_sent_total counter\n"
            "lull_bytes_sent_total %llu\n"
            "# HELP lull_packets_dropped_total Packets skipped for listeners that fell behind.\n"
            "# TYPE lull_packets_dropped_total counter\nlull_packets_dropped_total %llu\n"
            "# HELP lull_slow_disconnects_total Listeners closed for staying behind.\n"
            "# TYPE lull_slow_disconnects_total counter\nlull_slow_disconnects_total %llu\n",
            (unsigned long long)t.bytes, (unsigned long long)t.dropped, (unsigned long long)t.slow_closed);
  sb_printf(b, "# HELP lull_listeners Listeners connected now.\n# TYPE lull_listeners gauge\n");
  for (size_t i = 0; i < srv->n_stations; i++)
    for (int k = 0; k < LULL_FEED_KINDS; k++)
      sb_printf(b, "lull_listeners{station=\"%s\",kind=\"%s\"} %u\n", lull_station_name(srv->stations[i]), feed_names[k],
                atomic_load(&srv->sstats[i].listeners[k]));
  /* Each station's metrics read once; counters printed whole (a float
   * format would round them once they pass a million). */
  lull_station_metrics m[MAX_STATIONS];
  for (size_t i = 0; i < srv->n_stations; i++) lull_station_get_metrics(srv->stations[i], &m[i]);
  static const char *const counters[] = {"lull_station_frames_total", "lull_station_late_frames_total",
                                         "lull_station_faults_total"};
  static const char *const gauges[] = {"lull_station_lead_ms", "lull_station_encode_us_mean"};
  for (int k = 0; k < 3; k++) {
    sb_printf(b, "# TYPE %s counter\n", counters[k]);
    for (size_t i = 0; i < srv->n_stations; i++) {
      uint64_t v = k == 0 ? m[i].frames : k == 1 ? m[i].late_frames : m[i].faults;
      sb_printf(b, "%s{station=\"%s\"} %llu\n", counters[k], lull_station_name(srv->stations[i]), (unsigned long long)v);
    }
  }
  for (int k = 0; k < 2; k++) {
    sb_printf(b, "# TYPE %s gauge\n", gauges[k]);
    for (size_t i = 0; i < srv->n_stations; i++)
      sb_printf(b, "%s{station=\"%s\"} %.3f\n", gauges[k], lull_station_name(srv->stations[i]),
                k == 0 ? m[i].lead_ms : m[i].encode_us_mean);
  }
  if (!srv->n_icecast) return;
  /* Each output's status read once, as the stations' metrics above. */
  lull_icecast_status st[MAX_ICECAST];
  for (size_t i = 0; i < srv->n_icecast; i++) lull_icecast_get_status(srv->icecast[i], &st[i]);
  static const struct {
    const char *name, *type, *help;
  } ice[] = {
      {"lull_icecast_connected", "gauge", "1 while logged in to Icecast"},
      {"lull_icecast_bytes_sent_total", "counter", "Bytes handed to Icecast"},
      {"lull_icecast_queue_bytes", "gauge", "Bytes waiting in libshout's queue"},
      {"lull_icecast_connects_total", "counter", "Successful logins"},
      {"lull_icecast_failures_total", "counter", "Failed attempts and lost connections"},
  };
  for (int k = 0; k < 5; k++) {
    sb_printf(b, "# HELP %s %s.\n# TYPE %s %s\n", ice[k].name, ice[k].help, ice[k].name, ice[k].type);
    for (size_t i = 0; i < srv->n_icecast; i++) {
      uint64_t v = k == 0   ? st[i].state == LULL_ICECAST_CONNECTED
                   : k == 1 ? st[i].bytes_sent
                   : k == 2 ? st[i].queue_bytes
                   : k == 3 ? st[i].connects
                            : st[i].failures;
      sb_printf(b, "%s{station=\"%s\",url=\"%s\"} %llu\n", ice[k].name,
                lull_station_name(srv->stations[srv->icecast_station[i]]), st[i].url, (unsigned long long)v);
    }
  }
}

/* ---- feeds and listeners --------------------------------------------------- */

static lull_feed *feed_of(session *s) { return &s->w->feeds[s->station * LULL_FEED_KINDS + s->kind]; }

static void session_register(session *s) {
  worker *w = s->w;
  session **head = &w->lists[s->station * LULL_FEED_KINDS + s->kind];
  s->prev = NULL;
  s->next = *head;
  if (*head) (*head)->prev = s;
  *head = s;
  s->registered = 1;
  w->sessions++;
  lull_feed *f = feed_of(s);
  lull__hub_join_at(&s->cur, f->head, f->tail, &w->srv->policy[s->kind]);
  s->since_ms = now_ms();
  atomic_fetch_add(&w->srv->sstats[s->station].listeners[s->kind], 1);
  atomic_fetch_add(&w->srv->connects, 1);
  if (s->kind == LULL_FEED_MP3) lull__station_mp3_listeners(w->srv->stations[s->station], +1);
  slog(w->srv, LULL_LOG_INFO, "connect %s %s station=%s (listeners %u)", s->ip, feed_names[s->kind],
       lull_station_name(w->srv->stations[s->station]), atomic_load(&w->srv->listeners));
}

static void replies_free(session *s) {
  while (s->replies) {
    reply *r = s->replies;
    s->replies = r->next;
    free(r);
  }
  s->replies_tail = NULL;
  s->n_replies = 0;
  free(s->text);
  s->text = NULL;
}

static void session_end(session *s, const char *why) {
  replies_free(s);
  if (!s->registered) return;
  worker *w = s->w;
  lull_server *srv = w->srv;
  session **head = &w->lists[s->station * LULL_FEED_KINDS + s->kind];
  if (s->prev)
    s->prev->next = s->next;
  else
    *head = s->next;
  if (s->next) s->next->prev = s->prev;
  s->registered = 0;
  w->sessions--;
  atomic_fetch_sub(&srv->sstats[s->station].listeners[s->kind], 1);
  atomic_fetch_add(&srv->disconnects, 1);
  if (s->kind == LULL_FEED_MP3) lull__station_mp3_listeners(srv->stations[s->station], -1);
  listener_release(srv, s->ip);
  slog(srv, LULL_LOG_INFO, "disconnect %s %s station=%s after %.1f s, %llu bytes, %llu packets dropped (%s)", s->ip,
       feed_names[s->kind], lull_station_name(srv->stations[s->station]), (double)(now_ms() - s->since_ms) / 1000.0,
       (unsigned long long)s->sent, (unsigned long long)s->dropped_packets, why);
}

static uint32_t packets_per_unit(const lull_feed *f) { return f->unit_ms / 20; }

/* Apply the lag policy: 0 to go on, -1 to close. */
static int session_policy(session *s, uint64_t t) {
  lull_feed *f = feed_of(s);
  uint64_t before = s->cur.dropped;
  lull_hub_action a = lull__hub_check_at(&s->cur, f->head, f->tail, &s->w->srv->policy[s->kind], t);
  if (a == LULL_HUB_SKIPPED) {
    uint64_t p = (s->cur.dropped - before) * packets_per_unit(f);
    s->dropped_packets += p;
    atomic_fetch_add_explicit(&s->w->dropped, p, memory_order_relaxed);
    slog(s->w->srv, LULL_LOG_DEBUG, "%s %s fell behind: skipped %llu packets to the live edge", s->ip,
         feed_names[s->kind], (unsigned long long)p);
  } else if (a == LULL_HUB_DISCONNECT) {
    atomic_fetch_add_explicit(&s->w->slow_closed, 1, memory_order_relaxed);
    slog(s->w->srv, LULL_LOG_INFO, "%s %s stayed behind for %u ms: closing", s->ip, feed_names[s->kind],
         s->w->srv->cfg.drop_ms);
    return -1;
  }
  return 0;
}

/* Everything pending for a listener, one contiguous run per send, until
 * libwebsockets has to hold some back (the socket is full). */
static int stream_write(session *s) {
  if (session_policy(s, now_ms())) {
    s->close_code = 1008;
    return -1;
  }
  lull_feed *f = feed_of(s);
  for (int i = 0; i < 4; i++) {
    const unsigned char *data;
    uint64_t units;
    size_t len = lull__feed_run(f, s->cur.next, RUN_BYTES, &data, &units);
    if (!len) break;
    /* LWS_WRITE_HTTP writes the bytes as they are, also on a WebSocket
     * (the feed holds whole frames), and never touches the bytes before. */
    if (lws_write(s->wsi, (unsigned char *)data, len, LWS_WRITE_HTTP) < 0) return -1;
    s->cur.next += units;
    s->sent += len;
    atomic_fetch_add_explicit(&s->w->bytes, len, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->w->writes, 1, memory_order_relaxed);
    if (lws_partial_buffered(s->wsi)) break;
  }
  return 0;
}

/* ---- WebSocket text -------------------------------------------------------- */

static void queue_text(session *s, const char *text, size_t len) {
  if (s->n_replies >= MAX_REPLIES) {
    /* It sends faster than it reads its replies. */
    s->closing = 1;
    s->close_code = 1008;
    lws_callback_on_writable(s->wsi);
    return;
  }
  reply *r = malloc(sizeof *r + LWS_PRE + len);
  if (!r) return;
  r->next = NULL;
  r->len = len;
  memcpy(r->buf + LWS_PRE, text, len);
  if (s->replies_tail)
    s->replies_tail->next = r;
  else
    s->replies = r;
  s->replies_tail = r;
  s->n_replies++;
  lws_callback_on_writable(s->wsi);
}

static void queue_error(session *s, const char *code, const char *field, const char *message) {
  char buf[900];
  int n = lull__error_json(buf, sizeof buf, code, field, message);
  queue_text(s, buf, (size_t)(n < (int)sizeof buf ? n : (int)sizeof buf - 1));
}

/* Append to the message or body being received: 0, 1 when it would pass
 * MAX_TEXT (nothing appended), -1 out of memory. */
static int text_append(session *s, const void *in, size_t len) {
  if (s->text_len + len > MAX_TEXT) return 1;
  if (!s->text && !(s->text = malloc(MAX_TEXT + 1))) return -1;
  memcpy(s->text + s->text_len, in, len);
  s->text_len += (uint32_t)len;
  s->text[s->text_len] = 0;
  return 0;
}

static int write_text(session *s, unsigned char *p, size_t len) {
  return lws_write(s->wsi, p, len, LWS_WRITE_TEXT) < 0 ? -1 : 0;
}

static size_t hello_json(session *s, char *out, size_t cap) {
  lull_server *srv = s->w->srv;
  lull_station_now now;
  lull_station_get_now(srv->stations[s->station], &now);
  char params[256];
  lull__params_json(params, sizeof params, &now.params);
  int n = snprintf(out, cap,
                   "{\"type\":\"hello\",\"version\":\"%s\",\"sample_rate\":48000,\"channels\":2,\"codec\":\"%s\","
                   "\"frame_ms\":20,\"packets_per_message\":%u,\"burst_ms\":%u,\"station\":\"%s\",\"params\":%s,"
                   "\"chord\":\"%s\",\"control\":%s,\"stations\":[",
                   LULL_VERSION, s->kind == LULL_FEED_WS_PCM ? "pcm" : "opus", srv->cfg.packets_per_message,
                   srv->cfg.burst_ms, lull_station_name(srv->stations[s->station]), params, now.chord,
                   srv->token[0] && !s->authorised ? "\"token\"" : "\"open\"");
  for (size_t i = 0; i < srv->n_stations && n < (int)cap; i++)
    n += snprintf(out + n, cap - (size_t)n, "%s\"%s\"", i ? "," : "", lull_station_name(srv->stations[i]));
  if (n < (int)cap) n += snprintf(out + n, cap - (size_t)n, "]}");
  return n < (int)cap ? (size_t)n : cap - 1;
}

static size_t params_msg(session *s, char *out, size_t cap) {
  lull_station_now now;
  lull_station_get_now(s->w->srv->stations[s->station], &now);
  char params[256];
  lull__params_json(params, sizeof params, &now.params);
  s->params_seen = now.params_changes;
  int n = snprintf(out, cap, "{\"type\":\"params\",\"station\":\"%s\",\"params\":%s,\"chord\":\"%s\"}",
                   lull_station_name(s->w->srv->stations[s->station]), params, now.chord);
  return n < (int)cap ? (size_t)n : cap - 1;
}

static int ws_writeable(session *s) {
  if (lws_partial_buffered(s->wsi)) return 0; /* still flushing; lws calls again */
  if (s->closing) {
    const char *why = s->close_code == 1001   ? "server going away"
                      : s->close_code == 1011 ? "send failed"
                                              : "policy";
    lws_close_reason(s->wsi, (enum lws_close_status)s->close_code, (unsigned char *)why, strlen(why));
    return -1;
  }
  unsigned char *t = s->w->scratch + LWS_PRE;
  size_t cap = sizeof s->w->scratch - LWS_PRE;
  if (s->hello_pending) {
    s->hello_pending = 0;
    if (write_text(s, t, hello_json(s, (char *)t, cap))) return -1;
    if (lws_partial_buffered(s->wsi)) return 0;
  }
  while (s->replies) {
    reply *r = s->replies;
    s->replies = r->next;
    if (!s->replies) s->replies_tail = NULL;
    s->n_replies--;
    int rc = write_text(s, r->buf + LWS_PRE, r->len);
    free(r);
    if (rc) return -1;
    if (lws_partial_buffered(s->wsi)) return 0;
  }
  if (s->params_pending) {
    s->params_pending = 0;
    if (write_text(s, t, params_msg(s, (char *)t, cap))) return -1;
    if (lws_partial_buffered(s->wsi)) return 0;
  }
  if (stream_write(s)) {
    if (s->close_code) lws_close_reason(s->wsi, LWS_CLOSE_STATUS_POLICY_VIOLATION, (unsigned char *)"too slow", 8);
    return -1;
  }
  return 0;
}

/* A rate limit per client: a bucket of control_rate tokens a second, as deep
 * as one second's worth. */
static int rate_ok(session *s) {
  lull_server *srv = s->w->srv;
  uint64_t t = now_ms();
  double rate = srv->cfg.control_rate;
  if (!s->tokens_ms) s->tokens = rate;
  s->tokens += rate * (double)(t - s->tokens_ms) / 1000.0;
  if (s->tokens > rate) s->tokens = rate;
  s->tokens_ms = t;
  if (s->tokens >= 1) {
    s->tokens -= 1;
    s->floods = 0;
    return 1;
  }
  return 0;
}

/* A parsed control change, authorised: hand it to the station, count it and
 * log it. LULL_OK, or the station's refusal (diag says why). */
static int steer(lull_server *srv, lull_station *st, const lull_ctl_msg *c, const char *who, const char *text, size_t len,
                 lull_diag *d) {
  int err = lull_station_set_params(st, &c->params, c->fields, d);
  if (err) {
    atomic_fetch_add(&srv->control_refused, 1);
    return err;
  }
  atomic_fetch_add(&srv->control_applied, 1);
  slog(srv, LULL_LOG_INFO, "control %s station=%s: %.*s", who, lull_station_name(st), (int)(len > 200 ? 200 : len), text);
  return LULL_OK;
}

/* The error code of a station's refusal: its queue is full, or a value. */
static const char *steer_code(int err) { return err == LULL_EFULL ? "busy" : "out_of_range"; }

static void ws_message(session *s, const char *text, size_t len) {
  lull_server *srv = s->w->srv;
  atomic_fetch_add(&srv->messages_in, 1);
  if (!rate_ok(s)) {
    if (++s->floods > 2 * srv->cfg.control_rate) {
      atomic_fetch_add(&srv->protocol_closed, 1);
      s->closing = 1;
      s->close_code = 1008;
      lws_callback_on_writable(s->wsi);
      return;
    }
    char m[96];
    snprintf(m, sizeof m, "at most %u messages a second; this one was dropped", srv->cfg.control_rate);
    queue_error(s, "rate_limited", "", m);
    return;
  }
  lull_station *st = srv->stations[s->station];
  lull_params cur;
  lull_station_get_params(st, &cur);
  lull_ctl_msg c;
  if (lull__control_parse(text, len, &cur, &c)) {
    atomic_fetch_add(&srv->control_refused, 1);
    queue_error(s, c.code, c.field, c.message);
    return;
  }
  if (c.kind == LULL_CONTROL_STATUS) {
    sbuf b = {0};
    sb_printf(&b, "{\"type\":\"status\",\"listeners\":%u,\"station\":", atomic_load(&srv->listeners));
    station_json(srv, &b, s->station);
    sb_printf(&b, "}");
    if (b.p) queue_text(s, b.p, b.len);
    free(b.p);
    return;
  }
  if (!s->authorised && !(c.has_token && token_ok(srv, c.token))) {
    atomic_fetch_add(&srv->control_refused, 1);
    queue_error(s, "unauthorized", "token",
                c.has_token ? "wrong control token" : "this server needs a control token to steer (\"token\" field)");
    return;
  }
  if (c.has_token) s->authorised = 1;
  lull_diag d = {0};
  int err = steer(srv, st, &c, s->ip, text, len, &d);
  if (err) queue_error(s, steer_code(err), d.field, d.message);
}

/* ---- HTTP ------------------------------------------------------------------ */

static const char *const stream_args[] = {"station", NULL};
static const char *const ws_args[] = {"station", "codec", "token", NULL};

static int refuse_listener(struct lws *wsi, lull_server *srv, int status) {
  atomic_fetch_add(&srv->rejected, 1);
  if (status == 503) {
    char m[96];
    snprintf(m, sizeof m, "the server is full (%u listeners); try again later", srv->cfg.max_clients);
    return respond_error(wsi, 503, "too_many_listeners", "", m);
  }
  char m[96];
  snprintf(m, sizeof m, "at most %u listeners from one address", srv->cfg.max_per_ip);
  return respond_error(wsi, 429, "too_many_from_address", "", m);
}

/* A station named in a request: its index, or -1 with the refusal sent
 * (400 for a malformed name, 404 for an unknown one) and its result in *rc. */
static int station_or_refuse(struct lws *wsi, lull_server *srv, const char *name, int *rc) {
  if (!lull_station_name_valid(name)) {
    *rc = respond_error(wsi, 400, "bad_station", "station", "station names are 1..32 of a-z, 0-9 and -");
    return -1;
  }
  int i = station_index(srv, name);
  if (i < 0) {
    char m[96];
    snprintf(m, sizeof m, "no station \"%s\" (GET /api/stations lists them)", name);
    *rc = respond_error(wsi, 404, "unknown_station", "station", m);
  }
  return i;
}

/* The checks before a stream (HTTP or WebSocket) starts: 0 to go on, or the
 * result of the refusal just sent. Sets *station. */
static int stream_request_ok(struct lws *wsi, lull_server *srv, const query *q, int *station, int *refused) {
  *refused = 1;
  if (q->bad[0]) {
    char m[160];
    snprintf(m, sizeof m, "unknown query argument \"%s\"", q->bad);
    return respond_error(wsi, 400, "bad_request", q->bad, m);
  }
  int rc;
  if ((*station = station_or_refuse(wsi, srv, q->station, &rc)) < 0) return rc;
  *refused = 0;
  return 0;
}

static int http_stream(session *s, struct lws *wsi, worker *w, int kind) {
  lull_server *srv = w->srv;
  query q;
  parse_query(wsi, &q, stream_args);
  int station, refused;
  int rc = stream_request_ok(wsi, srv, &q, &station, &refused);
  if (refused) return rc;
  int head = is_head(wsi);
  lws_get_peer_simple(wsi, s->ip, sizeof s->ip);
  int status = head ? 0 : listener_check(srv, s->ip, 1);
  if (status) return refuse_listener(wsi, srv, status);
  unsigned char hdr[LWS_PRE + 512], *start = hdr + LWS_PRE, *p = start, *end = hdr + sizeof hdr - 1;
  const char *type = kind == LULL_FEED_OGG ? "audio/ogg" : "audio/mpeg";
  char name[64];
  snprintf(name, sizeof name, "lull: %s", lull_station_name(srv->stations[station]));
  if (lws_add_http_common_headers(wsi, 200, type, LWS_ILLEGAL_HTTP_CONTENT_LEN, &p, end) ||
      add_header(wsi, "cache-control:", "no-store", &p, end) || add_header(wsi, "connection:", "close", &p, end) ||
      add_header(wsi, "icy-name:", name, &p, end) || lws_finalize_write_http_header(wsi, start, &p, end)) {
    if (!head) listener_release(srv, s->ip);
    return -1;
  }
  if (head) return lws_http_transaction_completed(wsi) ? -1 : 0;
  s->role = S_HTTP_STREAM;
  s->w = w;
  s->wsi = wsi;
  s->station = (uint16_t)station;
  s->kind = (uint8_t)kind;
  s->header_sent = kind != LULL_FEED_OGG;
  session_register(s);
  lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0); /* an endless response */
  lws_callback_on_writable(wsi);
  return 0;
}

static int http_stream_writeable(session *s) {
  if (s->closing) return -1;
  if (lws_partial_buffered(s->wsi)) return 0;
  if (!s->header_sent) {
    uint32_t len;
    const unsigned char *h = lull__station_ogg_header(s->w->srv->stations[s->station], &len);
    if (!h) return 0; /* the station has not made its first frame yet: the next wake comes */
    s->header_sent = 1;
    if (lws_write(s->wsi, (unsigned char *)h, len, LWS_WRITE_HTTP) < 0) return -1;
    s->sent += len;
    if (lws_partial_buffered(s->wsi)) return 0;
  }
  return stream_write(s);
}

static int m3u(struct lws *wsi, lull_server *srv) {
  char host[128] = "";
  if (lws_hdr_copy(wsi, host, sizeof host, WSI_TOKEN_HOST) <= 0) snprintf(host, sizeof host, "%s:%u", srv->bind, srv->port);
  for (char *c = host; *c; c++)
    if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || strchr(".-:[]", *c)))
      return respond_error(wsi, 400, "bad_request", "host", "malformed Host header");
  sbuf b = {0};
  sb_printf(&b, "#EXTM3U\n");
  for (size_t i = 0; i < srv->n_stations; i++)
    sb_printf(&b, "#EXTINF:-1,lull: %s\n%s://%s/stream.ogg?station=%s\n", lull_station_name(srv->stations[i]),
              srv->tls_cert[0] ? "https" : "http", host,
              lull_station_name(srv->stations[i]));
  int rc = respond(wsi, 200, "audio/x-mpegurl", b.p, b.len);
  free(b.p);
  return rc;
}

static int stations_json(struct lws *wsi, lull_server *srv) {
  sbuf b = {0};
  sb_printf(&b, "{\"stations\":[");
  for (size_t i = 0; i < srv->n_stations; i++) {
    lull_params p;
    lull_station_get_params(srv->stations[i], &p);
    char params[256];
    lull__params_json(params, sizeof params, &p);
    sb_printf(&b, "%s{\"name\":\"%s\",\"params\":%s,\"listeners\":%u}", i ? "," : "", lull_station_name(srv->stations[i]),
              params, station_listeners(srv, i, NULL));
  }
  sb_printf(&b, "]}\n");
  int rc = respond(wsi, 200, "application/json", b.p, b.len);
  free(b.p);
  return rc;
}

static int bearer_ok(struct lws *wsi, lull_server *srv) {
  if (!srv->token[0]) return 1;
  char auth[300] = "";
  if (lws_hdr_copy(wsi, auth, sizeof auth, WSI_TOKEN_HTTP_AUTHORIZATION) > 7 && strncmp(auth, "Bearer ", 7) == 0)
    return token_ok(srv, auth + 7);
  return 0;
}

/* POST /api/stations/NAME/params, once the body is in. */
static int post_params(session *s, struct lws *wsi, lull_server *srv) {
  if (s->text_over) {
    char m[64];
    snprintf(m, sizeof m, "the body is larger than %d bytes", MAX_TEXT);
    return respond_error(wsi, 413, "too_large", "", m);
  }
  lull_station *st = srv->stations[s->station];
  lull_params cur;
  lull_station_get_params(st, &cur);
  lull_ctl_msg c;
  if (lull__control_parse_body(s->text ? s->text : "", s->text_len, &cur, &c)) {
    atomic_fetch_add(&srv->control_refused, 1);
    return respond_error(wsi, 400, c.code, c.field, c.message);
  }
  if (!bearer_ok(wsi, srv) && !(c.has_token && token_ok(srv, c.token))) {
    atomic_fetch_add(&srv->control_refused, 1);
    atomic_fetch_add(&srv->rejected, 1);
    return respond_error(wsi, 401, "unauthorized", "token", "this server needs a control token: Authorization: Bearer TOKEN");
  }
  lull_diag d = {0};
  int err = steer(srv, st, &c, "REST", s->text ? s->text : "", s->text_len, &d);
  if (err) return respond_error(wsi, err == LULL_EFULL ? 503 : 400, steer_code(err), d.field, d.message);
  char params[256], body[400];
  lull__params_json(params, sizeof params, &c.params);
  int n = snprintf(body, sizeof body, "{\"station\":\"%s\",\"params\":%s,\"applied\":\"at the next frame\"}\n",
                   lull_station_name(st), params);
  return respond(wsi, 202, "application/json", body, (size_t)n);
}

static int http_request(session *s, struct lws *wsi, worker *w, const char *path) {
  lull_server *srv = w->srv;
  atomic_fetch_add(&srv->http_requests, 1);
  char *uri;
  int uri_len;
  int method = lws_http_get_uri_and_method(wsi, &uri, &uri_len);
  slog(srv, LULL_LOG_DEBUG, "http %s %s", method == LWSHUMETH_POST ? "POST" : "GET", path);
  if (strncmp(path, "/api/stations/", 14) == 0) {
    char name[64];
    const char *rest = path + 14, *slash = strchr(rest, '/');
    if (!slash || strcmp(slash, "/params") != 0 || slash - rest >= (long)sizeof name)
      return respond_error(wsi, 404, "not_found", "path", "no such resource; POST /api/stations/NAME/params");
    memcpy(name, rest, (size_t)(slash - rest));
    name[slash - rest] = 0;
    if (method != LWSHUMETH_POST) return respond_error(wsi, 405, "method_not_allowed", "method", "use POST with a JSON body");
    int rc, i = station_or_refuse(wsi, srv, name, &rc);
    if (i < 0) return rc;
    s->role = S_REST;
    s->w = w;
    s->station = (uint16_t)i;
    s->text_len = 0;
    s->text_over = 0;
    return 0; /* the body comes next */
  }
  if (method != LWSHUMETH_GET && method != LWSHUMETH_HEAD)
    return respond_error(wsi, 405, "method_not_allowed", "method", "only GET and HEAD here");
  if (strcmp(path, "/stream.ogg") == 0) return http_stream(s, wsi, w, LULL_FEED_OGG);
  if (strcmp(path, "/stream.mp3") == 0) return http_stream(s, wsi, w, LULL_FEED_MP3);
  sbuf b = {0};
  int rc;
  if (strcmp(path, "/api/status") == 0) {
    status_json(srv, &b);
    rc = respond(wsi, 200, "application/json", b.p, b.len);
  } else if (strcmp(path, "/api/metrics") == 0) {
    metrics_json(srv, &b);
    rc = respond(wsi, 200, "application/json", b.p, b.len);
  } else if (strcmp(path, "/metrics") == 0) {
    metrics_prometheus(srv, &b);
    rc = respond(wsi, 200, "text/plain; version=0.0.4", b.p, b.len);
  } else if (strcmp(path, "/api/stations") == 0) {
    rc = stations_json(wsi, srv);
  } else if (strcmp(path, "/listen.m3u") == 0) {
    rc = m3u(wsi, srv);
  } else if (strcmp(path, "/ws/stream") == 0) {
    rc = respond_error(wsi, 400, "websocket_required", "", "/ws/stream speaks WebSocket (Upgrade: websocket)");
  } else {
    const char *p = strcmp(path, "/") == 0 ? "/index.html" : path;
    for (size_t i = 0; i < lull__n_assets; i++)
      if (strcmp(lull__assets[i].path, p) == 0) return respond_asset(wsi, &lull__assets[i]);
    rc = respond_error(wsi, 404, "not_found", "path", "no such resource; see / and /api/status");
  }
  free(b.p);
  return rc;
}

/* The Origin of a WebSocket upgrade: none (not a browser), the server's own
 * host, or one of --allow-origin. */
static int origin_ok(struct lws *wsi, lull_server *srv) {
  char origin[256] = "", host[256] = "";
  if (lws_hdr_copy(wsi, origin, sizeof origin, WSI_TOKEN_ORIGIN) <= 0) return 1;
  for (size_t i = 0; i < srv->n_origins; i++)
    if (strcmp(srv->origins[i], "*") == 0 || strcmp(srv->origins[i], origin) == 0) return 1;
  if (lws_hdr_copy(wsi, host, sizeof host, WSI_TOKEN_HOST) <= 0) return 0;
  const char *o = strstr(origin, "://");
  return o && strcmp(o + 3, host) == 0;
}

/* ---- the callback ----------------------------------------------------------- */

static void wake(worker *w);
static void sweep(lws_sorted_usec_list_t *sul);

/* The listening socket is readable: take what is waiting (a bounded number,
 * so a connection storm cannot starve the listeners already here). */
static void accept_some(worker *w) {
  lull_server *srv = w->srv;
  for (int i = 0; i < 64; i++) {
    int fd = accept4(w->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      int e = errno;
      if ((e == EMFILE || e == ENFILE) && w->spare_fd >= 0) {
        /* Out of descriptors: the waiting connection would keep the
         * listening socket readable and this loop spinning. Use the spare
         * to take it and close it, then hold a spare again. */
        close(w->spare_fd);
        int c = accept(w->listen_fd, NULL, NULL);
        if (c >= 0) close(c);
        w->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        atomic_fetch_add(&srv->rejected, 1);
      }
      if (e == EMFILE || e == ENFILE) {
        /* Another thread may have taken the descriptor the spare left (the
         * table is the process's): then stop watching the listening socket
         * until the sweep finds a spare again, rather than spin on it. */
        if (w->spare_fd < 0 && !w->accept_paused) {
          w->accept_paused = 1;
          lws_rx_flow_control(w->listen_wsi, 0);
        }
        uint64_t t = now_ms();
        if (t - w->emfile_logged_ms > 10000) {
          w->emfile_logged_ms = t;
          slog(srv, LULL_LOG_WARN, "out of file descriptors: refusing connections (ulimit -n, --max-clients)");
        }
      }
      return;
    }
    if (atomic_load(&srv->stopping)) {
      close(fd);
      continue;
    }
    /* Small send buffers: a reader that stops shows as a full socket
     * within a second or two, not after megabytes. */
    int sz = (int)srv->cfg.sndbuf, one = 1;
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    /* With TLS the handshake starts here: a client speaking plain HTTP to
     * the port ends here, which is its fault, not the server's. */
    if (!lws_adopt_socket_vhost(w->vh, fd))
      slog(srv, srv->tls_cert[0] ? LULL_LOG_INFO : LULL_LOG_WARN, "a connection was dropped at once%s",
           srv->tls_cert[0] ? ": its TLS handshake failed (plain HTTP to this HTTPS port?)" : ": libwebsockets would not take it");
  }
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len) {
  session *s = user;
  worker *w = lws_context_user(lws_get_context(wsi));
  lull_server *srv = w ? w->srv : NULL;
  switch (reason) {
    case LWS_CALLBACK_PROTOCOL_INIT:
      lws_sul_schedule(lws_get_context(wsi), 0, &w->sweep, sweep, SWEEP_MS * LWS_US_PER_MS);
      break;
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
      if (w) wake(w);
      break;
    case LWS_CALLBACK_RAW_RX_FILE:
      accept_some(w);
      return 0;
    case LWS_CALLBACK_HTTP:
      return http_request(s, wsi, w, (const char *)in);
    case LWS_CALLBACK_HTTP_BODY:
      if (s->role != S_REST) return 0;
      {
        int r = text_append(s, in, len);
        if (r > 0) s->text_over = 1; /* answered with 413 once the body is in */
        return r < 0 ? -1 : 0;
      }
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
      if (s->role != S_REST) return 0;
      {
        int rc = post_params(s, wsi, srv);
        replies_free(s);
        return rc;
      }
    case LWS_CALLBACK_HTTP_WRITEABLE:
      if (s && s->role == S_HTTP_STREAM) return http_stream_writeable(s);
      return 0;
    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
      if (s) session_end(s, "closed");
      return 0;
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE: {
      atomic_fetch_add(&srv->http_requests, 1);
      if (!in || strcmp((const char *)in, "websocket") != 0) return -1;
      char path[64] = "";
      lws_hdr_copy(wsi, path, sizeof path, WSI_TOKEN_GET_URI);
      if (strcmp(path, "/ws/stream") != 0) {
        atomic_fetch_add(&srv->rejected, 1);
        return respond_error(wsi, 404, "not_found", "path", "WebSocket streams are at /ws/stream") ? -1 : 1;
      }
      if (!origin_ok(wsi, srv)) {
        atomic_fetch_add(&srv->rejected, 1);
        return respond_error(wsi, 403, "forbidden_origin", "origin", "this page's origin may not open the stream (--allow-origin)") ? -1 : 1;
      }
      query q;
      parse_query(wsi, &q, ws_args);
      int station, refused;
      int rc = stream_request_ok(wsi, srv, &q, &station, &refused);
      if (refused) return rc ? -1 : 1;
      if (strcmp(q.codec, "opus") != 0 && strcmp(q.codec, "pcm") != 0)
        return respond_error(wsi, 400, "bad_codec", "codec", "codec must be opus or pcm") ? -1 : 1;
      if (q.token[0] && !token_ok(srv, q.token)) {
        atomic_fetch_add(&srv->rejected, 1);
        return respond_error(wsi, 401, "unauthorized", "token", "wrong control token") ? -1 : 1;
      }
      char ip[48];
      lws_get_peer_simple(wsi, ip, sizeof ip);
      int status = listener_check(srv, ip, 0);
      if (status) return refuse_listener(wsi, srv, status) ? -1 : 1;
      return 0;
    }
    case LWS_CALLBACK_ESTABLISHED: {
      query q;
      parse_query(wsi, &q, ws_args);
      memset(s, 0, sizeof *s);
      s->w = w;
      s->wsi = wsi;
      s->role = S_WS;
      lws_get_peer_simple(wsi, s->ip, sizeof s->ip);
      int station = station_index(srv, q.station);
      if (station < 0 || listener_check(srv, s->ip, 1)) {
        /* Refused at the upgrade already, unless the limit filled since. */
        lws_close_reason(wsi, (enum lws_close_status)1013, (unsigned char *)"full", 4);
        return -1;
      }
      s->station = (uint16_t)station;
      s->kind = strcmp(q.codec, "pcm") == 0 ? LULL_FEED_WS_PCM : LULL_FEED_WS_OPUS;
      s->authorised = !srv->token[0] || (q.token[0] && token_ok(srv, q.token));
      s->hello_pending = 1;
      s->header_sent = 1;
      lull_station_now now;
      lull_station_get_now(srv->stations[station], &now);
      s->params_seen = now.params_changes;
      session_register(s);
      lws_callback_on_writable(wsi);
      return 0;
    }
    case LWS_CALLBACK_SERVER_WRITEABLE:
      if (s->role != S_WS) return 0;
      return ws_writeable(s);
    case LWS_CALLBACK_RECEIVE: {
      if (s->role != S_WS || s->closing) return 0;
      if (lws_frame_is_binary(wsi)) {
        atomic_fetch_add(&srv->protocol_closed, 1);
        lws_close_reason(wsi, LWS_CLOSE_STATUS_UNACCEPTABLE_OPCODE, (unsigned char *)"text only", 9);
        return -1;
      }
      int over = text_append(s, in, len);
      if (over < 0) return -1;
      if (over) {
        atomic_fetch_add(&srv->protocol_closed, 1);
        char m[48];
        int n = snprintf(m, sizeof m, "messages are at most %d bytes", MAX_TEXT);
        lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, (unsigned char *)m, (size_t)n);
        return -1;
      }
      if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi)) return 0;
      ws_message(s, s->text, s->text_len);
      free(s->text);
      s->text = NULL;
      s->text_len = 0;
      return 0;
    }
    case LWS_CALLBACK_CLOSED:
      if (s) session_end(s, s->close_code == 1008 ? "closed by the server" : "closed");
      return 0;
    default:
      break;
  }
  return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static const struct lws_protocols protocols[] = {
    {"lull", callback, sizeof(session), MAX_TEXT, 0, NULL, RUN_BYTES},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

/* ---- the worker's loop ----------------------------------------------------------- */

/* Audio for a listener, now: written at once when nothing else is pending
 * and lws holds nothing back for it (the socket had room last time), so
 * the common case costs one send and no poll round; otherwise through the
 * writable callback. */
static void push(session *s) {
  if (s->closing || s->hello_pending || s->replies || s->params_pending || !s->header_sent ||
      lws_partial_buffered(s->wsi)) {
    lws_callback_on_writable(s->wsi);
    return;
  }
  if (stream_write(s)) {
    s->closing = 1;
    if (!s->close_code) s->close_code = 1011;
    lws_callback_on_writable(s->wsi);
  }
}

/* New packets (or the stop): pull them into the feeds, and send the
 * listeners that have something new. */
static void wake(worker *w) {
  lull_server *srv = w->srv;
  if (atomic_load(&srv->stopping)) {
    if (w->stop_seen) return;
    w->stop_seen = 1;
    w->stop_deadline = now_ms() + 300;
    lws_sul_schedule(w->ctx, 0, &w->sweep, sweep, 20 * LWS_US_PER_MS);
    for (size_t i = 0; i < srv->n_stations * LULL_FEED_KINDS; i++)
      for (session *s = w->lists[i]; s; s = s->next) {
        if (s->role == S_WS) {
          s->closing = 1;
          s->close_code = 1001;
          lws_callback_on_writable(s->wsi);
        } else {
          lws_set_timeout(s->wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
        }
      }
    return;
  }
  uint64_t t = now_ms();
  for (size_t i = 0; i < srv->n_stations; i++) {
    lull_station_now now;
    lull_station_get_now(srv->stations[i], &now);
    int changed = now.params_changes != w->changes[i];
    w->changes[i] = now.params_changes;
    for (int k = 0; k < LULL_FEED_KINDS; k++) {
      size_t fi = i * LULL_FEED_KINDS + k;
      lull_feed *f = &w->feeds[fi];
      int grew = lull__feed_pull(f) > 0;
      if (!grew && !(changed && (k == LULL_FEED_WS_OPUS || k == LULL_FEED_WS_PCM))) continue;
      if (grew && (k == LULL_FEED_OGG || k == LULL_FEED_MP3)) {
        /* Sends, not bytes, are what a listener costs, and HTTP players
         * buffer seconds: their listeners get a few units per send
         * (written on the wake nearest the time). WebSocket players get
         * each message as it is made. */
        if (t < w->write_at[fi]) continue;
        w->write_at[fi] = t + srv->cfg.http_write_ms - 30;
      }
      for (session *s = w->lists[fi]; s; s = s->next) {
        if (changed && s->role == S_WS && s->params_seen != now.params_changes) s->params_pending = 1;
        push(s);
      }
    }
  }
}

static void metrics_line(lull_server *srv) {
  totals t = worker_totals(srv);
  uint64_t ms = now_ms(), lb = srv->metrics_bytes, lm = srv->metrics_ms;
  srv->metrics_bytes = t.bytes;
  srv->metrics_ms = ms;
  double kbit = lm && ms > lm ? (double)(t.bytes - lb) * 8.0 / (double)(ms - lm) : 0;
  char st[512] = "";
  size_t n = 0;
  for (size_t i = 0; i < srv->n_stations && n < sizeof st - 64; i++) {
    lull_station_metrics m;
    lull_station_get_metrics(srv->stations[i], &m);
    n += (size_t)snprintf(st + n, sizeof st - n, " %s: %u listening, lead %.1f ms, late %llu;", lull_station_name(srv->stations[i]),
                          station_listeners(srv, i, NULL), m.lead_ms, (unsigned long long)m.late_frames);
  }
  slog(srv, LULL_LOG_INFO, "metrics: %u listeners, %.0f kbit/s out, %llu packets dropped, %llu slow closed;%s",
       atomic_load(&srv->listeners), kbit, (unsigned long long)t.dropped, (unsigned long long)t.slow_closed, st);
}

/* Every SWEEP_MS: listeners whose socket is full never become writable, so
 * the lag policy is applied here too (for the others it finds no lag). */
static void sweep(lws_sorted_usec_list_t *sul) {
  worker *w = lws_container_of(sul, worker, sweep);
  lull_server *srv = w->srv;
  uint64_t t = now_ms();
  if (w->stop_seen) {
    /* Let the close frames go out, then end (bounded). */
    if (!w->sessions || t >= w->stop_deadline) {
      ev_break(w->loop, EVBREAK_ALL);
      return;
    }
    lws_sul_schedule(w->ctx, 0, &w->sweep, sweep, 20 * LWS_US_PER_MS);
    return;
  }
  if (w->accept_paused) {
    if (w->spare_fd < 0) w->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (w->spare_fd >= 0) {
      w->accept_paused = 0;
      lws_rx_flow_control(w->listen_wsi, 1);
    }
  }
  for (size_t i = 0; i < srv->n_stations * LULL_FEED_KINDS; i++)
    for (session *s = w->lists[i]; s; s = s->next) {
      if (s->closing) continue;
      if (session_policy(s, t)) {
        s->closing = 1;
        s->close_code = 1008;
        lws_set_timeout(s->wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
      }
    }
  if (w->idx == 0 && t >= w->next_metrics_ms) {
    if (w->next_metrics_ms) metrics_line(srv);
    w->next_metrics_ms = t + srv->cfg.metrics_log_s * 1000u;
  }
  lws_sul_schedule(w->ctx, 0, &w->sweep, sweep, SWEEP_MS * LWS_US_PER_MS);
}

static void *worker_main(void *arg) {
  worker *w = arg;
  ev_run(w->loop, 0); /* until the stop breaks it (sweep) */
  return NULL;
}

/* ---- life cycle ---------------------------------------------------------------- */

/* A station made a frame. Workers are woken only when there is something
 * to send (a wake walks every listener list of the worker): with 3 (or a
 * multiple of 3) packets per message, WebSocket messages and Ogg pages
 * (three packets each) both complete every third frame. */
static void on_frame(void *user) {
  station_stats *ss = user;
  lull_server *srv = ss->srv;
  uint64_t f = atomic_fetch_add_explicit(&ss->frames, 1, memory_order_relaxed) + 1;
  if (srv->cfg.packets_per_message % 3 == 0 && f % 3 != 0) return;
  for (unsigned i = 0; i < srv->n_workers; i++) lws_cancel_service(srv->workers[i].ctx);
}

static uint32_t or_default(uint32_t v, uint32_t d) { return v ? v : d; }

/* A listening socket on the shared port. The first one may pick the port
 * (0); the others join it. */
static int listen_socket(lull_server *srv, int *out, lull_diag *diag) {
  *out = -1;
  struct addrinfo hints = {.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV, .ai_socktype = SOCK_STREAM}, *ai;
  char port[8];
  snprintf(port, sizeof port, "%u", srv->port);
  if (getaddrinfo(srv->bind, port, &hints, &ai) != 0)
    return lull_diag_set(diag, LULL_EINVAL, "bind", "\"%s\" is not an IPv4 or IPv6 address", srv->bind);
  int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1, err = errno;
  if (fd >= 0 && (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
                  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) || bind(fd, ai->ai_addr, ai->ai_addrlen) ||
                  listen(fd, 4096))) {
    err = errno;
    close(fd);
    fd = -1;
  }
  freeaddrinfo(ai);
  if (fd < 0)
    return lull_diag_set(diag, LULL_EIO, "port", "cannot listen on %s port %u: %s", srv->bind, srv->port, strerror(err));
  if (!srv->port) {
    struct sockaddr_storage sa;
    socklen_t len = sizeof sa;
    getsockname(fd, (struct sockaddr *)&sa, &len);
    srv->port = ntohs(sa.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&sa)->sin6_port : ((struct sockaddr_in *)&sa)->sin_port);
  }
  *out = fd;
  return LULL_OK;
}

static int make_worker(lull_server *srv, worker *w, unsigned idx, lull_diag *diag) {
  w->listen_fd = -1;
  w->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  w->srv = srv;
  w->idx = idx;
  size_t nf = srv->n_stations * LULL_FEED_KINDS;
  w->feeds = calloc(nf, sizeof *w->feeds);
  w->lists = calloc(nf, sizeof *w->lists);
  w->changes = calloc(srv->n_stations, sizeof *w->changes);
  w->write_at = calloc(nf, sizeof *w->write_at);
  if (!w->feeds || !w->lists || !w->changes || !w->write_at) return lull_diag_set(diag, LULL_ENOMEM, "", "out of memory");
  uint32_t history = srv->cfg.skip_ms * 2 + srv->cfg.burst_ms;
  for (size_t i = 0; i < srv->n_stations; i++) {
    lull_station *st = srv->stations[i];
    lull_ring *src[LULL_FEED_KINDS] = {lull__station_packets(st), lull__station_pcm(st), lull__station_pages(st),
                                       lull__station_mp3(st)};
    for (int k = 0; k < LULL_FEED_KINDS; k++) {
      if (lull__feed_init(&w->feeds[i * LULL_FEED_KINDS + k], k, src[k], srv->cfg.packets_per_message, history))
        return lull_diag_set(diag, LULL_ENOMEM, "", "out of memory");
    }
  }
  int err = listen_socket(srv, &w->listen_fd, diag);
  if (err) return err;
  /* libev on epoll, as a loop of ours (lws leaves signals alone then). */
  w->loop = ev_loop_new(EVBACKEND_EPOLL | EVFLAG_NOSIGMASK);
  if (!w->loop) return lull_diag_set(diag, LULL_ENOMEM, "", "libev: cannot create an epoll loop");
  void *loops[1] = {w->loop};
  struct lws_context_creation_info info;
  memset(&info, 0, sizeof info);
  info.foreign_loops = loops;
  info.port = CONTEXT_PORT_NO_LISTEN_SERVER;
  info.protocols = protocols;
  info.user = w;
  info.options = LWS_SERVER_OPTION_VALIDATE_UTF8 | LWS_SERVER_OPTION_LIBEV;
  info.timeout_secs = 10;
  info.pt_serv_buf_size = 8192;
  info.vhost_name = "lull";
  info.server_string = "lull";
  if (srv->tls_cert[0]) {
    info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.ssl_cert_filepath = srv->tls_cert;
    info.ssl_private_key_filepath = srv->tls_key;
    /* HTTP/1.1 only: the feeds hold finished WebSocket frames and stream
     * bytes, written as they are; HTTP/2 would frame them again. */
    info.alpn = "http/1.1";
  }
  w->ctx = lws_create_context(&info);
  w->vh = w->ctx ? lws_get_vhost_by_name(w->ctx, "lull") : NULL;
  if (!w->vh) return lull_diag_set(diag, LULL_ENOMEM, "", "libwebsockets: cannot create a context");
  lws_sock_file_fd_type fd = {.filefd = w->listen_fd};
  if (!(w->listen_wsi = lws_adopt_descriptor_vhost(w->vh, LWS_ADOPT_RAW_FILE_DESC, fd, "lull", NULL))) {
    w->listen_fd = -1; /* lws closed it */
    return lull_diag_set(diag, LULL_ENOMEM, "", "libwebsockets: cannot watch the listening socket");
  }
  return LULL_OK;
}

/* The certificate and key load and match: said here, in words, rather
 * than by libwebsockets half way through making the threads. */
static int tls_check(const char *cert, const char *key, lull_diag *diag) {
  const char *path[2][2] = {{"tls_cert", cert}, {"tls_key", key}};
  for (int i = 0; i < 2; i++) {
    FILE *f = strlen(path[i][1]) < 1000 ? fopen(path[i][1], "r") : NULL;
    if (!f) return lull_diag_set(diag, LULL_EIO, path[i][0], "cannot read \"%s\": %s", path[i][1], strerror(errno));
    fclose(f);
  }
  SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
  if (!ctx) return lull_diag_set(diag, LULL_ENOMEM, "", "OpenSSL: cannot make a TLS context");
  int err = LULL_OK;
  /* The key first: loaded after the certificate, a key of another would
   * just fail to load. */
  if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)
    err = lull_diag_set(diag, LULL_EINVAL, "tls_key", "\"%s\" holds no PEM private key", key);
  else if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1)
    err = lull_diag_set(diag, LULL_EINVAL, "tls_cert", "\"%s\" holds no PEM certificate", cert);
  else if (SSL_CTX_check_private_key(ctx) != 1)
    err = lull_diag_set(diag, LULL_EINVAL, "tls_key", "\"%s\" is not the key of the certificate in \"%s\"", key, cert);
  ERR_clear_error();
  SSL_CTX_free(ctx);
  return err;
}

int lull_server_create(const lull_server_config *config, lull_server **out, lull_diag *diag) {
  if (!out) return lull_diag_set(diag, LULL_EINVAL, "out", "must not be NULL");
  *out = NULL;
  lull_server_config c = {0};
  if (config) c = *config;
  c.max_clients = or_default(c.max_clients, 10000);
  c.max_per_ip = or_default(c.max_per_ip, 32);
  c.packets_per_message = or_default(c.packets_per_message, 3);
  c.burst_ms = or_default(c.burst_ms, 300);
  c.http_write_ms = or_default(c.http_write_ms, 200);
  c.skip_ms = or_default(c.skip_ms, 1000);
  c.drop_ms = or_default(c.drop_ms, 5000);
  c.sndbuf = or_default(c.sndbuf, 16384);
  c.control_rate = or_default(c.control_rate, 10);
  c.metrics_log_s = or_default(c.metrics_log_s, 10);
  if (c.packets_per_message > 16)
    return lull_diag_set(diag, LULL_ERANGE, "packets_per_message", "must be 1..16, got %u", c.packets_per_message);
  if (c.burst_ms > 5000) return lull_diag_set(diag, LULL_ERANGE, "burst_ms", "must be 0..5000, got %u", c.burst_ms);
  if (c.http_write_ms < 20 || c.http_write_ms > 1000)
    return lull_diag_set(diag, LULL_ERANGE, "http_write_ms", "must be 20..1000, got %u", c.http_write_ms);
  if (c.skip_ms < 200 || c.skip_ms > 5000)
    return lull_diag_set(diag, LULL_ERANGE, "skip_ms", "must be 200..5000, got %u", c.skip_ms);
  if (c.n_stations > MAX_STATIONS) return lull_diag_set(diag, LULL_ERANGE, "stations", "at most %d stations", MAX_STATIONS);
  if (!c.tls_cert != !c.tls_key)
    return lull_diag_set(diag, LULL_EINVAL, c.tls_cert ? "tls_key" : "tls_cert", "TLS needs both a certificate and its key");
  if (c.tls_cert) {
    int err = tls_check(c.tls_cert, c.tls_key, diag);
    if (err) return err;
  }
  if (c.control_token && strlen(c.control_token) > 200)
    return lull_diag_set(diag, LULL_ERANGE, "control_token", "at most 200 characters");
  if (c.control_token)
    for (const char *p = c.control_token; *p; p++)
      if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
        return lull_diag_set(diag, LULL_EINVAL, "control_token", "printable ASCII without spaces only");
  /* libwebsockets 4.1 leaks a TLS context (~700 KiB) at teardown for each
   * extra context that sets up TLS: with TLS, one network thread. */
  if (c.tls_cert && c.threads > 1)
    return lull_diag_set(diag, LULL_EINVAL, "threads", "TLS runs on one network thread; for more, terminate TLS in a proxy");
  long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  if (c.tls_cert) c.threads = 1;
  if (!c.threads) c.threads = ncpu > 0 ? (uint32_t)ncpu : 1;
  if (c.threads > MAX_WORKERS) c.threads = MAX_WORKERS;

  lull_server *srv = calloc(1, sizeof *srv);
  if (!srv) return lull_diag_set(diag, LULL_ENOMEM, "", "out of memory");
  srv->cfg = c;
  srv->port = c.port;
  snprintf(srv->bind, sizeof srv->bind, "%s", c.bind ? c.bind : "127.0.0.1");
  snprintf(srv->token, sizeof srv->token, "%s", c.control_token ? c.control_token : "");
  snprintf(srv->tls_cert, sizeof srv->tls_cert, "%s", c.tls_cert ? c.tls_cert : "");
  snprintf(srv->tls_key, sizeof srv->tls_key, "%s", c.tls_key ? c.tls_key : "");
  pthread_mutex_init(&srv->ip_lock, NULL);
  int err = LULL_OK;
  uint32_t cap = 64;
  while (cap < 2 * c.max_clients) cap <<= 1;
  srv->ips = calloc(cap, sizeof *srv->ips);
  srv->ip_mask = cap - 1;
  srv->origins = calloc(c.n_allow_origins + 1, sizeof *srv->origins);
  if (!srv->ips || !srv->origins) {
    err = lull_diag_set(diag, LULL_ENOMEM, "", "out of memory");
    goto fail;
  }
  for (size_t i = 0; i < c.n_allow_origins; i++)
    if (!(srv->origins[srv->n_origins++] = strdup(c.allow_origins[i]))) {
      err = lull_diag_set(diag, LULL_ENOMEM, "", "out of memory");
      goto fail;
    }
  srv->cfg.allow_origins = NULL;
  srv->cfg.control_token = NULL;
  srv->cfg.tls_cert = srv->cfg.tls_key = NULL;
  srv->cfg.bind = NULL;
  srv->cfg.stations = NULL;
  for (int k = 0; k < LULL_FEED_KINDS; k++) {
    uint32_t unit_ms = lull__feed_unit_ms(k, c.packets_per_message);
    srv->policy[k] = (lull_hub_policy){(c.burst_ms + unit_ms - 1) / unit_ms, c.skip_ms / unit_ms, c.drop_ms};
    if (!srv->policy[k].burst_packets) srv->policy[k].burst_packets = 1; /* 0 would mean the default */
  }

  /* Stations. */
  lull_station_config def = {0};
  const lull_station_config *sc = c.n_stations ? c.stations : &def;
  size_t ns = c.n_stations ? c.n_stations : 1;
  for (size_t i = 0; i < ns; i++) {
    lull_station_config one = sc[i];
    srv->sstats[i].srv = srv;
    one.on_frame = on_frame;
    one.on_frame_user = &srv->sstats[i];
    if ((err = lull_station_create(&one, &srv->stations[i], diag))) goto fail;
    srv->n_stations = i + 1;
    if (station_index(srv, lull_station_name(srv->stations[i])) != (int)i) {
      err = lull_diag_set(diag, LULL_EINVAL, "stations", "station \"%s\" is given twice", lull_station_name(srv->stations[i]));
      goto fail;
    }
  }

  /* Icecast outputs. */
  if (c.n_icecast > MAX_ICECAST) {
    err = lull_diag_set(diag, LULL_ERANGE, "icecast", "at most %d Icecast outputs", MAX_ICECAST);
    goto fail;
  }
  for (size_t i = 0; i < c.n_icecast; i++) {
    int si = c.icecast[i].station ? station_index(srv, c.icecast[i].station) : -1;
    if (si < 0) {
      err = lull_diag_set(diag, LULL_EINVAL, "icecast", "no station \"%.40s\" to send to %.80s",
                          c.icecast[i].station ? c.icecast[i].station : "", c.icecast[i].output.url ? c.icecast[i].output.url : "");
      goto fail;
    }
    lull_icecast_config ic = c.icecast[i].output;
    ic.log = icecast_log;
    ic.log_user = srv;
    if ((err = lull_icecast_create(&ic, srv->stations[si], &srv->icecast[i], diag))) goto fail;
    srv->icecast_station[i] = (uint16_t)si;
    srv->n_icecast = i + 1;
  }
  srv->cfg.icecast = NULL;

  /* Enough descriptors for every listener (and the load tests' thousands). */
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    (void)setrlimit(RLIMIT_NOFILE, &rl);
  }
  lws_set_log_level(c.log_level >= LULL_LOG_WARN ? LLL_ERR | LLL_WARN : LLL_ERR, lws_log);

  srv->workers = calloc(c.threads, sizeof *srv->workers);
  if (!srv->workers) {
    err = lull_diag_set(diag, LULL_ENOMEM, "", "out of memory");
    goto fail;
  }
  for (unsigned i = 0; i < c.threads; i++) {
    srv->n_workers = i + 1;
    if ((err = make_worker(srv, &srv->workers[i], i, diag))) goto fail;
  }
  *out = srv;
  return LULL_OK;
fail:
  lull_server_destroy(srv);
  return err;
}

int lull_server_start(lull_server *srv) {
  int expected = 0;
  if (!atomic_compare_exchange_strong(&srv->started, &expected, 1)) return LULL_ESTATE;
  srv->start_ms = now_ms();
  for (size_t i = 0; i < srv->n_stations; i++)
    if (lull_station_start(srv->stations[i]) != LULL_OK) goto fail;
  for (unsigned i = 0; i < srv->n_workers; i++)
    if (pthread_create(&srv->workers[i].thread, NULL, worker_main, &srv->workers[i]) != 0) {
      for (unsigned j = 0; j < i; j++) {
        atomic_store(&srv->stopping, 1);
        lws_cancel_service(srv->workers[j].ctx);
        pthread_join(srv->workers[j].thread, NULL);
      }
      goto fail;
    }
  for (size_t i = 0; i < srv->n_icecast; i++)
    if (lull_icecast_start(srv->icecast[i]) != LULL_OK) slog(srv, LULL_LOG_ERROR, "could not start an Icecast output");
  slog(srv, LULL_LOG_INFO, "serving %s://%s:%u/ with %zu station%s, %u network thread%s",
       srv->tls_cert[0] ? "https" : "http", srv->bind, srv->port,
       srv->n_stations, srv->n_stations == 1 ? "" : "s", srv->n_workers, srv->n_workers == 1 ? "" : "s");
  return LULL_OK;
fail:
  for (size_t i = 0; i < srv->n_stations; i++) lull_station_stop(srv->stations[i]);
  atomic_store(&srv->started, 0);
  return LULL_ENOMEM;
}

void lull_server_stop(lull_server *srv) {
  if (!srv || !atomic_load(&srv->started)) return;
  atomic_store(&srv->stopping, 1);
  for (unsigned i = 0; i < srv->n_workers; i++) lws_cancel_service(srv->workers[i].ctx);
  for (unsigned i = 0; i < srv->n_workers; i++) pthread_join(srv->workers[i].thread, NULL);
  for (size_t i = 0; i < srv->n_icecast; i++) lull_icecast_stop(srv->icecast[i]);
  for (size_t i = 0; i < srv->n_stations; i++) lull_station_stop(srv->stations[i]);
  atomic_store(&srv->started, 0);
  slog(srv, LULL_LOG_INFO, "stopped");
}

void lull_server_destroy(lull_server *srv) {
  if (!srv) return;
  lull_server_stop(srv);
  /* Contexts first: closing their connections ends sessions, which touch
   * the stations' counters. */
  for (unsigned i = 0; i < srv->n_workers; i++) {
    worker *w = &srv->workers[i];
    if (w->ctx) lws_context_destroy(w->ctx);
    if (w->loop) ev_loop_destroy(w->loop);
    if (!w->listen_wsi && w->listen_fd >= 0) close(w->listen_fd); /* made, but never handed to lws */
    if (w->spare_fd >= 0) close(w->spare_fd);
    if (w->feeds)
      for (size_t f = 0; f < srv->n_stations * LULL_FEED_KINDS; f++) lull__feed_free(&w->feeds[f]);
    free(w->feeds);
    free(w->lists);
    free(w->changes);
    free(w->write_at);
  }
  free(srv->workers);
  for (size_t i = 0; i < srv->n_icecast; i++) lull_icecast_destroy(srv->icecast[i]);
  for (size_t i = 0; i < srv->n_stations; i++) lull_station_destroy(srv->stations[i]);
  for (size_t i = 0; i < srv->n_origins; i++) free(srv->origins[i]);
  free(srv->origins);
  free(srv->ips);
  pthread_mutex_destroy(&srv->ip_lock);
  free(srv);
}

uint16_t lull_server_port(const lull_server *srv) { return srv->port; }

lull_station *lull_server_station(lull_server *srv, const char *name) {
  int i = station_index(srv, name);
  return i < 0 ? NULL : srv->stations[i];
}
