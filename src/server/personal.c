/* Personal stations: a listener asks (POST /api/personal) and gets a station
 * of their own, composed with its own seed, that only the holder of its
 * token steers and anyone with its name may hear. They live in slots after
 * the configured stations (srv->personal), so every index a worker holds
 * stays valid for as long as it holds it:
 *
 *   FREE -> STARTING (a request took it) -> LIVE -> ENDING (worker 0 saw it
 *   idle) -> FREE (worker 0, once nobody holds it).
 *
 * Holding a station is a reference (refs: a session that names it, a
 * request under way) or feeds of it in a worker (worker.bound). A station is
 * looked up by taking a reference first and checking the state after, and
 * ended by setting ENDING first and checking the references after: one of
 * the two always sees the other, so nobody uses a station being freed. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "lull/lull.h"
#include "server/conn.h"
#include "stream/stream.h"

#define PER_ADDRESS 3      /* personal stations one address may have at once */
#define UNHEARD_MS 60000u  /* one nobody has listened to yet ends after a tenth of the idle time, at most this */

static personal *slot_of(lull_server *srv, size_t i) { return &srv->personal[i - srv->n_stations]; }

int lull__station_find(lull_server *srv, const char *name) {
  int i = lull__station_index(srv, name);
  if (i >= 0 || strncmp(name, "p-", 2) != 0) return i;
  for (size_t p = 0; p < srv->cfg.max_personal; p++) {
    personal *ps = &srv->personal[p];
    if (atomic_load(&ps->state) != P_LIVE) continue;
    atomic_fetch_add(&ps->refs, 1);
    if (atomic_load(&ps->state) == P_LIVE && strcmp(ps->name, name) == 0) return (int)(srv->n_stations + p);
    atomic_fetch_sub(&ps->refs, 1);
  }
  return -1;
}

void lull__station_put(lull_server *srv, int i) {
  if (i >= (int)srv->n_stations) atomic_fetch_sub(&slot_of(srv, (size_t)i)->refs, 1);
}

void lull__session_hold(session *s, worker *w, int i) {
  s->w = w;
  s->station = (uint16_t)i;
  s->held = 1;
}

void lull__session_unhold(session *s) {
  if (!s->held) return;
  s->held = 0;
  lull__station_put(s->w->srv, s->station);
}

/* n random bytes as 2n hex digits; -1 if the kernel gives none. */
static int random_hex(char *out, size_t n) {
  unsigned char b[16];
  if (n > sizeof b || getrandom(b, n, 0) != (ssize_t)n) return -1;
  for (size_t i = 0; i < n; i++) snprintf(out + 2 * i, 3, "%02x", b[i]);
  return 0;
}

/* ---- starting one ---------------------------------------------------------- */

int lull__personal_request(session *s, struct lws *wsi, worker *w, int method) {
  lull_server *srv = w->srv;
  if (method != LWSHUMETH_POST)
    return lull__respond_error(wsi, 405, "method_not_allowed", "method",
                               "POST /api/personal starts a personal station (a JSON body of params is optional)");
  if (!srv->cfg.max_personal)
    return lull__respond_error(wsi, 403, "personal_off", "",
                               "this server offers no personal stations (lull serve --max-personal N turns them on)");
  size_t len;
  if (lull__rest_refused(wsi, srv, 1, &len)) return -1;
  /* A POST that says no length has no body, but libwebsockets 4.1 would
   * wait for one on a kept-alive connection: answered, then closed. */
  int no_length = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) <= 0;
  s->role = S_REST;
  s->rest = REST_PERSONAL;
  s->w = w;
  s->wsi = wsi;
  s->text_len = 0;
  s->text_over = 0;
  lull__client_ip(wsi, s->ip, sizeof s->ip);
  if (len) return 0;
  int rc = lull__personal_complete(s); /* libwebsockets says nothing more of an empty body */
  return no_length ? -1 : rc;
}

/* A free slot for ip, taken (STARTING): its index in srv->personal, or -1
 * with the refusal's status (503 all taken, 429 this address has enough). */
static int take_slot(lull_server *srv, const char *ip, unsigned *status) {
  pthread_mutex_lock(&srv->personal_lock);
  int free_slot = -1, mine = 0;
  for (size_t p = 0; p < srv->cfg.max_personal; p++) {
    personal *ps = &srv->personal[p];
    int st = atomic_load(&ps->state);
    if (st == P_FREE && free_slot < 0) free_slot = (int)p;
    /* An ending one counts until it is freed: something may hold it still. */
    if (st != P_FREE && strcmp(ps->ip, ip) == 0) mine++;
  }
  *status = mine >= PER_ADDRESS ? 429 : free_slot < 0 ? 503 : 0;
  if (!*status) {
    personal *ps = &srv->personal[free_slot];
    atomic_store(&ps->state, P_STARTING);
    snprintf(ps->ip, sizeof ps->ip, "%s", ip);
  }
  pthread_mutex_unlock(&srv->personal_lock);
  return *status ? -1 : free_slot;
}

static void give_back(lull_server *srv, int p) {
  pthread_mutex_lock(&srv->personal_lock);
  atomic_store(&srv->personal[p].state, P_FREE);
  pthread_mutex_unlock(&srv->personal_lock);
}

int lull__personal_complete(session *s) {
  /* What the answer needs, taken out of the session first: once an answer
   * completes the transaction, libwebsockets may free the session. */
  struct lws *wsi = s->wsi;
  lull_server *srv = s->w->srv;
  char text[MAX_TEXT + 1], ip[48];
  snprintf(ip, sizeof ip, "%s", s->ip);
  int rc;
  long got = lull__rest_take(s, text, &rc);
  if (got < 0) return rc;
  size_t len = (size_t)got;
  lull_params params = srv->personal_config.params;
  if (len) {
    lull_ctl_msg c;
    if (lull__control_parse_start(text, len, &params, &c)) return lull__respond_error(wsi, 400, c.code, c.field, c.message);
    params = c.params;
  }
  unsigned status;
  int p = take_slot(srv, ip, &status);
  if (p < 0) {
    atomic_fetch_add(&srv->rejected, 1);
    atomic_fetch_add(&srv->personal_refused, 1);
    char m[192];
    if (status == 429)
      snprintf(m, sizeof m, "this address has %d personal stations already; listen to one of them (each ends %u min after "
               "its last listener leaves)", PER_ADDRESS, (srv->cfg.personal_idle_s + 59) / 60);
    else
      snprintf(m, sizeof m, "all %u personal stations are taken; listen to a shared one, or try again later",
               srv->cfg.max_personal);
    return lull__respond_error(wsi, status, status == 429 ? "too_many_personal" : "personal_full", "", m);
  }
  personal *ps = &srv->personal[p];
  size_t i = srv->n_stations + (size_t)p;
  uint64_t seed = 0;
  char name_hex[17];
  if (random_hex(name_hex, 8) || random_hex(ps->token, 16) || getrandom(&seed, sizeof seed, 0) != (ssize_t)sizeof seed) {
    give_back(srv, p);
    return lull__respond_error(wsi, 503, "no_randomness", "", "the system gave no random bytes; try again");
  }
  snprintf(ps->name, sizeof ps->name, "p-%s", name_hex);
  /* Small enough to survive a JSON number in any client, and to type. */
  params.seed = seed % 1000000000u + 1;
  lull_station_config sc = srv->personal_config;
  sc.name = ps->name;
  sc.params = params;
  sc.on_frame_user = &srv->sstats[i];
  lull_diag d = {0};
  lull_station *st = NULL;
  atomic_store(&srv->sstats[i].frames, 0);
  if (lull_station_create(&sc, &st, &d) || lull_station_start(st)) {
    lull_station_destroy(st);
    give_back(srv, p);
    lull__log(srv, LULL_LOG_ERROR, "personal station: cannot start one: %s", d.message[0] ? d.message : "no thread");
    return lull__respond_error(wsi, 503, "cannot_start", "", "the server cannot start a station now; try again later");
  }
  srv->stations[i] = st;
  srv->steer[i] = STEER_PERSONAL;
  ps->idle_since_ms = lull__now_ms(); /* nobody listens yet */
  atomic_store(&ps->heard, 0);
  atomic_fetch_add(&ps->gen, 1);
  atomic_store(&ps->state, P_LIVE);
  atomic_fetch_add(&srv->personal_started, 1);
  lull__log(srv, LULL_LOG_INFO, "personal station %s started for %s (seed %llu)", ps->name, ip,
            (unsigned long long)params.seed);
  char pj[256], body[768];
  lull__params_json(pj, sizeof pj, &params);
  int n = snprintf(body, sizeof body,
                   "{\"station\":\"%s\",\"token\":\"%s\",\"seed\":%llu,\"params\":%s,\"idle_s\":%u,"
                   "\"listen\":{\"ws\":\"/ws/stream?station=%s\",\"ogg\":\"/stream.ogg?station=%s\","
                   "\"mp3\":\"/stream.mp3?station=%s\"}}\n",
                   ps->name, ps->token, (unsigned long long)params.seed, pj, srv->cfg.personal_idle_s, ps->name, ps->name,
                   ps->name);
  return lull__respond(wsi, 201, "application/json", body, (size_t)n);
}

/* ---- feeds and ends ---------------------------------------------------------- */

int lull__personal_bind(worker *w, size_t i) {
  lull_server *srv = w->srv;
  size_t p = i - srv->n_stations;
  uint32_t gen = atomic_load(&srv->personal[p].gen);
  uint32_t b = atomic_load_explicit(&w->bound[p], memory_order_relaxed);
  atomic_store(&srv->personal[p].heard, 1); /* a listener registers: the whole idle time from now on */
  if (b == gen) return 0;
  if (b) return -1; /* feeds of an earlier station: cannot be, the slot waits for them */
  lull_station *st = srv->stations[i];
  lull_ring *src[LULL_FEED_KINDS] = {lull__station_packets(st), lull__station_pcm(st), lull__station_pages(st),
                                     lull__station_mp3(st)};
  uint32_t history = srv->cfg.skip_ms * 2 + srv->cfg.burst_ms;
  for (int k = 0; k < LULL_FEED_KINDS; k++) {
    lull_feed *f = &w->feeds[i * LULL_FEED_KINDS + k];
    if (lull__feed_init(f, k, src[k], srv->cfg.packets_per_message, history)) {
      for (int j = 0; j <= k; j++) lull__feed_free(&w->feeds[i * LULL_FEED_KINDS + j]);
      return -1;
    }
    lull__feed_pull(f); /* what is there already: the first listener's burst */
    w->write_at[i * LULL_FEED_KINDS + k] = 0;
  }
  lull_station_now now;
  lull_station_get_now(st, &now);
  w->changes[i] = now.params_changes;
  w->params_ms[i] = 0;
  atomic_store(&w->bound[p], gen);
  return 0;
}

/* Listeners of slot i on w: 1 if any, each closed when the station ends. */
static int listeners_here(worker *w, size_t i, int close) {
  int any = 0;
  for (int k = 0; k < LULL_FEED_KINDS; k++)
    for (session *s = w->lists[i * LULL_FEED_KINDS + k], *next; s; s = next) {
      next = s->next; /* a kill may end s at once */
      any = 1;
      if (close && !s->closing) {
        s->close_code = 1001;
        lull__session_kill(s, "the personal station ended");
      }
    }
  return any;
}

static int held_by_a_worker(const lull_server *srv, size_t p) {
  for (unsigned k = 0; k < srv->n_workers; k++)
    if (atomic_load(&srv->workers[k].bound[p])) return 1;
  return 0;
}

void lull__personal_sweep(worker *w, uint64_t now_ms) {
  lull_server *srv = w->srv;
  for (size_t p = 0; p < srv->cfg.max_personal; p++) {
    uint32_t b = atomic_load_explicit(&w->bound[p], memory_order_relaxed);
    if (!b) continue;
    size_t i = srv->n_stations + p;
    personal *ps = &srv->personal[p];
    int live = atomic_load(&ps->state) == P_LIVE && atomic_load(&ps->gen) == b;
    if (listeners_here(w, i, !live)) continue;
    /* Nobody listens here: the feeds go (a new listener makes them again). */
    for (int k = 0; k < LULL_FEED_KINDS; k++) lull__feed_free(&w->feeds[i * LULL_FEED_KINDS + k]);
    atomic_store(&w->bound[p], 0);
  }
  if (w->idx != 0) return;
  uint64_t idle_ms = (uint64_t)srv->cfg.personal_idle_s * 1000u;
  for (size_t p = 0; p < srv->cfg.max_personal; p++) {
    personal *ps = &srv->personal[p];
    size_t i = srv->n_stations + p;
    int state = atomic_load(&ps->state);
    if (state == P_LIVE) {
      /* Made and never heard (a script, a page closed at once): its slot
       * and memory come back within a minute, not the whole idle time. */
      int heard = atomic_load(&ps->heard);
      uint64_t limit = heard ? idle_ms : idle_ms / 10 < UNHEARD_MS ? idle_ms / 10 : UNHEARD_MS;
      if (lull__station_listeners(srv, i, NULL)) {
        ps->idle_since_ms = 0;
      } else if (!ps->idle_since_ms) {
        ps->idle_since_ms = now_ms;
      } else if (now_ms - ps->idle_since_ms >= limit) {
        atomic_store(&ps->state, P_ENDING);
        lull__log(srv, LULL_LOG_INFO, "personal station %s ends: nobody listened for %llu s%s", ps->name,
                  (unsigned long long)(limit / 1000u), heard ? "" : " since it started");
      }
    } else if (state == P_ENDING && !atomic_load(&ps->refs) && !held_by_a_worker(srv, p)) {
      lull_station *st = srv->stations[i];
      srv->stations[i] = NULL;
      lull_station_destroy(st); /* stops its producer first */
      memset(ps->token, 0, sizeof ps->token);
      give_back(srv, (int)p);
    }
  }
}

uint32_t lull__personal_running(const lull_server *srv) {
  uint32_t n = 0;
  for (size_t p = 0; p < srv->cfg.max_personal; p++) n += atomic_load(&srv->personal[p].state) != P_FREE;
  return n;
}

void lull__personal_free_all(lull_server *srv) {
  for (size_t p = 0; p < srv->cfg.max_personal; p++) {
    size_t i = srv->n_stations + p;
    lull_station_destroy(srv->stations[i]);
    srv->stations[i] = NULL;
    atomic_store(&srv->personal[p].state, P_FREE);
  }
}
