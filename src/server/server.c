/* The server's life cycle: the config checked and defaulted, the stations,
 * Icecast outputs and workers made, started, stopped and freed; and the log
 * every part of the server writes to. Each network thread is a worker
 * (worker.c); the files beside this one each own one concern of it
 * (conn.h lists them). */
#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "lull/lull.h"
#include "server/conn.h"
#include "stream/stream.h"

uint64_t lull__now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void lull__log(const lull_server *srv, int level, const char *fmt, ...) {
  if (level > srv->cfg.log_level) return;
  char line[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  srv->cfg.log(srv->cfg.log_user, level, line);
}

/* libwebsockets' own lines: its log hook is process-wide and has no user
 * pointer, so they go to the default writer. */
static void lws_log(int level, const char *line) {
  size_t n = strlen(line);
  while (n && line[n - 1] == '\n') n--;
  char m[512];
  snprintf(m, sizeof m, "lws: %.*s", (int)(n < 480 ? n : 480), line);
  lull_log_stderr(NULL, level == LLL_ERR ? LULL_LOG_ERROR : LULL_LOG_WARN, m);
}

/* A station's lines go through the server's level and writer. */
void lull__station_log(void *user, int level, const char *message) { lull__log(user, level, "%s", message); }


/* A station made a frame. Workers are woken only when there is something
 * to send (a wake walks every listener list of the worker): with 3 (or a
 * multiple of 3) packets per message, WebSocket messages and Ogg pages
 * (three packets each) both complete every third frame. */
void lull__on_frame(void *user) {
  station_stats *ss = user;
  lull_server *srv = ss->srv;
  uint64_t f = atomic_fetch_add_explicit(&ss->frames, 1, memory_order_relaxed) + 1;
  if (srv->cfg.packets_per_message % 3 == 0 && f % 3 != 0) return;
  for (unsigned i = 0; i < srv->n_workers; i++) lws_cancel_service(srv->workers[i].ctx);
}

static uint32_t or_default(uint32_t v, uint32_t d) { return v ? v : d; }

int lull_server_create(const lull_server_config *config, lull_server **out, lull_diag *diag) {
  if (!out) return lull_diag_set(diag, LULL_EINVAL, "out", "must not be NULL");
  *out = NULL;
  lull_server_config c = {0};
  if (config) c = *config;
  c.max_clients = or_default(c.max_clients, 10000);
  c.max_per_ip = or_default(c.max_per_ip, 32);
  c.max_conns_per_ip = or_default(c.max_conns_per_ip, 2 * c.max_per_ip + 16);
  c.request_ms = or_default(c.request_ms, 10000);
  c.packets_per_message = or_default(c.packets_per_message, 3);
  c.burst_ms = or_default(c.burst_ms, 300);
  c.http_write_ms = or_default(c.http_write_ms, 200);
  c.skip_ms = or_default(c.skip_ms, 1000);
  c.drop_ms = or_default(c.drop_ms, 5000);
  c.sndbuf = or_default(c.sndbuf, 16384);
  c.control_rate = or_default(c.control_rate, 10);
  c.metrics_log_s = or_default(c.metrics_log_s, 10);
  if (!c.log) c.log = lull_log_stderr;
  if (c.packets_per_message > 16)
    return lull_diag_set(diag, LULL_ERANGE, "packets_per_message", "must be 1..16, got %u", c.packets_per_message);
  if (c.burst_ms > 5000) return lull_diag_set(diag, LULL_ERANGE, "burst_ms", "must be 0..5000, got %u", c.burst_ms);
  if (c.http_write_ms < 20 || c.http_write_ms > 1000)
    return lull_diag_set(diag, LULL_ERANGE, "http_write_ms", "must be 20..1000, got %u", c.http_write_ms);
  if (c.max_conns_per_ip < c.max_per_ip)
    return lull_diag_set(diag, LULL_ERANGE, "max_conns_per_ip", "must be at least max_per_ip (%u), got %u", c.max_per_ip,
                         c.max_conns_per_ip);
  if (c.request_ms < 500 || c.request_ms > 120000)
    return lull_diag_set(diag, LULL_ERANGE, "request_ms", "must be 500..120000, got %u", c.request_ms);
  if (c.skip_ms < 200 || c.skip_ms > 5000)
    return lull_diag_set(diag, LULL_ERANGE, "skip_ms", "must be 200..5000, got %u", c.skip_ms);
  if (!c.personal_idle_s) c.personal_idle_s = 600;
  if (c.max_personal > LULL_SERVER_MAX_PERSONAL)
    return lull_diag_set(diag, LULL_ERANGE, "max_personal", "must be 0..%d, got %u", LULL_SERVER_MAX_PERSONAL, c.max_personal);
  if (c.personal_idle_s > 86400)
    return lull_diag_set(diag, LULL_ERANGE, "personal_idle_s", "must be 1..86400 (a day), got %u", c.personal_idle_s);
  if (c.n_stations > LULL_SERVER_MAX_STATIONS) return lull_diag_set(diag, LULL_ERANGE, "stations", "at most %d stations", LULL_SERVER_MAX_STATIONS);
  if (!c.tls_cert != !c.tls_key)
    return lull_diag_set(diag, LULL_EINVAL, c.tls_cert ? "tls_key" : "tls_cert", "TLS needs both a certificate and its key");
  if (c.tls_cert) {
    int err = lull__tls_check(c.tls_cert, c.tls_key, diag);
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
  pthread_mutex_init(&srv->slot_lock, NULL);
  pthread_mutex_init(&srv->reload_lock, NULL);
  pthread_mutex_init(&srv->icecast_lock, NULL);
  pthread_mutex_init(&srv->tls_lock, NULL);
  pthread_mutex_init(&srv->reap_lock, NULL);
  pthread_cond_init(&srv->reap_cond, NULL);
  lull__artwork_cache_init(&srv->artwork);
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
  srv->hosts = calloc(c.n_allow_hosts + 1, sizeof *srv->hosts);
  if (!srv->hosts) {
    err = lull_diag_set(diag, LULL_ENOMEM, "", "out of memory");
    goto fail;
  }
  for (size_t i = 0; i < c.n_allow_hosts; i++)
    if (!(srv->hosts[srv->n_hosts++] = strdup(c.allow_hosts[i]))) {
      err = lull_diag_set(diag, LULL_ENOMEM, "", "out of memory");
      goto fail;
    }
  srv->loopback = strncmp(srv->bind, "127.", 4) == 0 || strcmp(srv->bind, "::1") == 0;
  if (c.n_trusted_proxies > LULL_SERVER_MAX_PROXIES) {
    err = lull_diag_set(diag, LULL_ERANGE, "trusted_proxies", "at most %d", LULL_SERVER_MAX_PROXIES);
    goto fail;
  }
  for (size_t i = 0; i < c.n_trusted_proxies; i++)
    if (lull__net_parse(c.trusted_proxies[i], &srv->proxies[srv->n_proxies++])) {
      err = lull_diag_set(diag, LULL_EINVAL, "trusted_proxies",
                          "\"%.60s\" is not ADDR or ADDR/BITS (IPv4 or IPv6, e.g. 10.0.0.1 or fd00::/64)",
                          c.trusted_proxies[i]);
      goto fail;
    }
  srv->cfg.trusted_proxies = NULL;
  srv->cfg.allow_hosts = NULL;
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
  srv->n_slots = FIRST_PERSONAL + c.max_personal;
  for (size_t i = 0; i < srv->n_slots; i++) srv->sstats[i].srv = srv;
  lull_station_config def = {0};
  const lull_station_config *sc = c.n_stations ? c.stations : &def;
  size_t ns = c.n_stations ? c.n_stations : 1;
  for (size_t i = 0; i < ns; i++)
    if ((err = lull__station_add(srv, &sc[i], diag)) < 0) goto fail;
  lull__personal_config(srv, &sc[0]);

  /* Icecast outputs. */
  if (c.n_icecast > LULL_SERVER_MAX_ICECAST) {
    err = lull_diag_set(diag, LULL_ERANGE, "icecast", "at most %d Icecast outputs", LULL_SERVER_MAX_ICECAST);
    goto fail;
  }
  for (size_t i = 0; i < c.n_icecast; i++)
    if ((err = lull__icecast_add(srv, &c.icecast[i], diag))) goto fail;
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
    if ((err = lull__worker_init(srv, &srv->workers[i], i, diag))) goto fail;
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
  srv->start_ms = lull__now_ms();
  srv->start_unix = (int64_t)time(NULL);
  srv->metrics_ms = srv->start_ms; /* the first metrics line's rate is since the start */
  for (size_t i = 0; i < FIRST_PERSONAL; i++)
    if (srv->stations[i] && lull_station_start(srv->stations[i]) != LULL_OK) goto fail;
  if (lull__reaper_start(srv)) goto fail;
  for (unsigned i = 0; i < srv->n_workers; i++)
    if (pthread_create(&srv->workers[i].thread, NULL, lull__worker_main, &srv->workers[i]) != 0) {
      for (unsigned j = 0; j < i; j++) {
        atomic_store(&srv->stopping, 1);
        lws_cancel_service(srv->workers[j].ctx);
        pthread_join(srv->workers[j].thread, NULL);
      }
      lull__reaper_stop(srv);
      goto fail;
    }
  for (size_t i = 0; i < srv->n_icecast; i++)
    if (lull_icecast_start(srv->icecast[i]) != LULL_OK) lull__log(srv, LULL_LOG_ERROR, "could not start an Icecast output");
  size_t n = lull__configured_count(srv);
  lull__log(srv, LULL_LOG_INFO, "serving %s://%s:%u/ with %zu station%s, %u network thread%s",
       srv->tls_cert[0] ? "https" : "http", srv->bind, srv->port, n, n == 1 ? "" : "s", srv->n_workers,
       srv->n_workers == 1 ? "" : "s");
  return LULL_OK;
fail:
  for (size_t i = 0; i < FIRST_PERSONAL; i++)
    if (srv->stations[i]) lull_station_stop(srv->stations[i]);
  atomic_store(&srv->started, 0);
  return LULL_ENOMEM;
}

void lull_server_stop(lull_server *srv) {
  if (!srv || !atomic_load(&srv->started)) return;
  pthread_mutex_lock(&srv->reload_lock); /* none under way, none after */
  atomic_store(&srv->stopping, 1);
  pthread_mutex_unlock(&srv->reload_lock);
  for (unsigned i = 0; i < srv->n_workers; i++) lws_cancel_service(srv->workers[i].ctx);
  for (unsigned i = 0; i < srv->n_workers; i++) pthread_join(srv->workers[i].thread, NULL);
  lull__reaper_stop(srv); /* what it has not freed yet, destroy frees */
  for (size_t i = 0; i < srv->n_icecast; i++) lull_icecast_stop(srv->icecast[i]);
  for (size_t i = 0; i < srv->n_slots; i++)
    if (srv->stations[i]) lull_station_stop(srv->stations[i]);
  atomic_store(&srv->started, 0);
  lull__log(srv, LULL_LOG_INFO, "stopped");
}

void lull_server_destroy(lull_server *srv) {
  if (!srv) return;
  lull_server_stop(srv);
  /* Contexts first: closing their connections ends sessions, which touch
   * the stations' counters. */
  for (unsigned i = 0; i < srv->n_workers; i++) lull__worker_free(srv, &srv->workers[i]);
  free(srv->workers);
  for (size_t i = 0; i < srv->n_icecast; i++) lull_icecast_destroy(srv->icecast[i]);
  lull__slots_free_all(srv);
  for (size_t i = 0; i < srv->n_origins; i++) free(srv->origins[i]);
  free(srv->origins);
  for (size_t i = 0; i < srv->n_hosts; i++) free(srv->hosts[i]);
  free(srv->hosts);
  free(srv->ips);
  pthread_mutex_destroy(&srv->ip_lock);
  pthread_mutex_destroy(&srv->slot_lock);
  pthread_mutex_destroy(&srv->reload_lock);
  pthread_mutex_destroy(&srv->icecast_lock);
  pthread_mutex_destroy(&srv->tls_lock);
  pthread_mutex_destroy(&srv->reap_lock);
  pthread_cond_destroy(&srv->reap_cond);
  lull__artwork_cache_free(&srv->artwork);
  free(srv);
}

uint16_t lull_server_port(const lull_server *srv) { return srv->port; }

lull_station *lull_server_station(lull_server *srv, const char *name) {
  int i = strncmp(name, "p-", 2) ? lull__station_find(srv, name) : -1; /* configured ones only */
  lull_station *st = i < 0 ? NULL : srv->stations[i];
  lull__station_put(srv, i);
  return st;
}
