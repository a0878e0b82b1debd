/* Personal stations: a listener asks (POST /api/personal) and gets a station
 * of their own, composed with its own seed, that only the holder of its
 * token steers and anyone with its name may hear. They live in the slots
 * from FIRST_PERSONAL on (slot.c); worker 0 ends one nobody has listened
 * to for its idle time. */
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

void lull__personal_config(lull_server *srv, const lull_station_config *first) {
  /* The first station's sound, none of its plugins (borrowed for create
   * only) or its face. */
  srv->personal_config = (lull_station_config){
      .title = "Listening alone",
      .description = "Composed for one listener, with a seed of its own; only they can steer it.",
      .params = lull_params_default(),
      .lead_ms = first->lead_ms,
      .bitrate = first->bitrate,
      .ring_seconds = first->ring_seconds,
      .recent_minutes = first->recent_minutes,
      .dry = first->dry,
      .priority = first->priority,
      .on_frame = lull__on_frame,
      .log = lull__station_log,
      .log_user = srv,
      .steer = LULL_STEER_TOKEN,
  };
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

/* A free slot for ip, taken (STARTING): its index, or -1 with the
 * refusal's status (503 all taken, 429 this address has enough). */
static int take_slot(lull_server *srv, const char *ip, unsigned *status) {
  pthread_mutex_lock(&srv->slot_lock);
  int mine = 0;
  for (size_t i = FIRST_PERSONAL; i < srv->n_slots; i++) {
    slot *sl = &srv->slots[i];
    /* An ending one counts until it is freed: something may hold it still. */
    if (atomic_load(&sl->state) != P_FREE && strcmp(sl->ip, ip) == 0) mine++;
  }
  int i = mine >= PER_ADDRESS ? -1 : lull__slot_take(srv, FIRST_PERSONAL, srv->n_slots);
  *status = mine >= PER_ADDRESS ? 429 : i < 0 ? 503 : 0;
  if (i >= 0) snprintf(srv->slots[i].ip, sizeof srv->slots[i].ip, "%s", ip);
  pthread_mutex_unlock(&srv->slot_lock);
  return i;
}

static void give_back(lull_server *srv, int i) {
  pthread_mutex_lock(&srv->slot_lock);
  atomic_store(&srv->slots[i].state, P_FREE);
  pthread_mutex_unlock(&srv->slot_lock);
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
  pthread_mutex_lock(&srv->slot_lock); /* a reload may change it */
  lull_station_config sc = srv->personal_config;
  pthread_mutex_unlock(&srv->slot_lock);
  lull_params params = sc.params;
  if (len) {
    lull_ctl_msg c;
    if (lull__control_parse_start(text, len, &params, &c)) return lull__respond_error(wsi, 400, c.code, c.field, c.message);
    params = c.params;
  }
  unsigned status;
  int i = take_slot(srv, ip, &status);
  if (i < 0) {
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
  slot *ps = &srv->slots[i];
  uint64_t seed = 0;
  char name_hex[17];
  if (random_hex(name_hex, 8) || random_hex(ps->token, 16) || getrandom(&seed, sizeof seed, 0) != (ssize_t)sizeof seed) {
    give_back(srv, i);
    return lull__respond_error(wsi, 503, "no_randomness", "", "the system gave no random bytes; try again");
  }
  snprintf(ps->name, sizeof ps->name, "p-%s", name_hex);
  /* Small enough to survive a JSON number in any client, and to type. */
  params.seed = seed % 1000000000u + 1;
  sc.name = ps->name;
  sc.params = params;
  sc.on_frame_user = &srv->sstats[i];
  lull_diag d = {0};
  lull_station *st = NULL;
  atomic_store(&srv->sstats[i].frames, 0);
  if (lull_station_create(&sc, &st, &d) || lull_station_start(st)) {
    lull_station_destroy(st);
    give_back(srv, i);
    lull__log(srv, LULL_LOG_ERROR, "personal station: cannot start one: %s", d.message[0] ? d.message : "no thread");
    return lull__respond_error(wsi, 503, "cannot_start", "", "the server cannot start a station now; try again later");
  }
  ps->idle_since_ms = lull__now_ms(); /* nobody listens yet */
  atomic_store(&ps->heard, 0);
  lull__slot_live(srv, (size_t)i, st, STEER_PERSONAL);
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

/* ---- ends ------------------------------------------------------------------ */

void lull__personal_idle(lull_server *srv, uint64_t now_ms) {
  uint64_t idle_ms = (uint64_t)srv->cfg.personal_idle_s * 1000u;
  for (size_t i = FIRST_PERSONAL; i < srv->n_slots; i++) {
    slot *ps = &srv->slots[i];
    if (atomic_load(&ps->state) != P_LIVE) continue;
    /* Made and never heard (a script, a page closed at once): its slot
     * and memory come back within a minute, not the whole idle time. */
    int heard = atomic_load(&ps->heard);
    uint64_t limit = heard ? idle_ms : idle_ms / 10 < UNHEARD_MS ? idle_ms / 10 : UNHEARD_MS;
    if (lull__station_listeners(srv, i, NULL)) {
      ps->idle_since_ms = 0;
    } else if (!ps->idle_since_ms) {
      ps->idle_since_ms = now_ms;
    } else if (now_ms - ps->idle_since_ms >= limit) {
      lull__slot_end(srv, i, 1001, "the personal station ended");
      lull__log(srv, LULL_LOG_INFO, "personal station %s ends: nobody listened for %llu s%s", ps->name,
                (unsigned long long)(limit / 1000u), heard ? "" : " since it started");
    }
  }
}

uint32_t lull__personal_running(const lull_server *srv) {
  uint32_t n = 0;
  for (size_t i = FIRST_PERSONAL; i < srv->n_slots; i++) n += atomic_load(&srv->slots[i].state) != P_FREE;
  return n;
}
