/* Stations by slot. Every station the server runs, configured or personal,
 * lives in a slot, so that every index a worker or a session holds stays
 * valid for as long as it holds it, while a reload adds and removes
 * stations and listeners start and end personal ones:
 *
 *   FREE -> STARTING (taken) -> LIVE -> ENDING (a reload removed it, or a
 *   personal one went idle) -> REAPING (worker 0 saw nobody hold it) ->
 *   FREE (the reaper, once it has freed the station).
 *
 * Holding a station is a reference (refs: a session that names it, a
 * request under way, an Icecast output) or feeds of it in a worker
 * (worker.bound). A station is looked up by taking a reference first and
 * checking the state after, and ended by setting ENDING first and checking
 * the references after: one of the two always sees the other, so nobody
 * uses a station being freed. */
#include <stdatomic.h>
#include <string.h>

#include "lull/lull.h"
#include "server/conn.h"
#include "stream/stream.h"

int lull__slot_hold(lull_server *srv, size_t i) {
  slot *sl = &srv->slots[i];
  if (atomic_load(&sl->state) != P_LIVE) return 0;
  atomic_fetch_add(&sl->refs, 1);
  if (atomic_load(&sl->state) == P_LIVE) return 1;
  atomic_fetch_sub(&sl->refs, 1);
  return 0;
}

void lull__station_put(lull_server *srv, int i) {
  if (i >= 0) atomic_fetch_sub(&srv->slots[i].refs, 1);
}

int lull__station_find(lull_server *srv, const char *name) {
  int personal = strncmp(name, "p-", 2) == 0;
  size_t from = personal ? FIRST_PERSONAL : 0, to = personal ? srv->n_slots : FIRST_PERSONAL;
  for (size_t i = from; i < to; i++) {
    if (!lull__slot_hold(srv, i)) continue;
    if (strcmp(lull_station_name(srv->stations[i]), name) == 0) return (int)i;
    lull__station_put(srv, (int)i);
  }
  return -1;
}

size_t lull__stations_hold(lull_server *srv, uint16_t held[LULL_SERVER_MAX_STATIONS]) {
  size_t n = 0;
  for (size_t i = 0; i < FIRST_PERSONAL && n < LULL_SERVER_MAX_STATIONS; i++) {
    if (!lull__slot_hold(srv, i)) continue;
    /* In by rank (a reload puts new stations in whichever slot is free). */
    int r = atomic_load(&srv->slots[i].rank);
    size_t j = n++;
    for (; j > 0 && atomic_load(&srv->slots[held[j - 1]].rank) > r; j--) held[j] = held[j - 1];
    held[j] = (uint16_t)i;
  }
  return n;
}

void lull__stations_put(lull_server *srv, const uint16_t *held, size_t n) {
  for (size_t j = 0; j < n; j++) lull__station_put(srv, held[j]);
}

int lull__station_index(const lull_server *srv, const char *name) {
  for (size_t i = 0; i < FIRST_PERSONAL; i++)
    if (atomic_load(&srv->slots[i].state) == P_LIVE && strcmp(lull_station_name(srv->stations[i]), name) == 0)
      return (int)i;
  return -1;
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

int lull__slot_take(lull_server *srv, size_t from, size_t to) {
  for (size_t i = from; i < to; i++)
    if (atomic_load(&srv->slots[i].state) == P_FREE) {
      atomic_store(&srv->slots[i].state, P_STARTING);
      return (int)i;
    }
  return -1;
}

void lull__slot_live(lull_server *srv, size_t i, lull_station *st, int steer) {
  slot *sl = &srv->slots[i];
  srv->stations[i] = st;
  srv->steer[i] = steer;
  atomic_fetch_add(&sl->gen, 1);
  atomic_store(&sl->state, P_LIVE);
}

void lull__slot_end(lull_server *srv, size_t i, uint16_t code, const char *why) {
  slot *sl = &srv->slots[i];
  sl->end_code = code;
  sl->end_why = why;
  atomic_store(&sl->state, P_ENDING); /* the workers' sweeps close its listeners */
}

/* ---- feeds ---------------------------------------------------------------- */

int lull__slot_bind(worker *w, size_t i) {
  lull_server *srv = w->srv;
  slot *sl = &srv->slots[i];
  uint32_t gen = atomic_load(&sl->gen);
  uint32_t b = atomic_load_explicit(&w->bound[i], memory_order_relaxed);
  if (lull__is_personal(i)) atomic_store(&sl->heard, 1); /* a listener registers: the whole idle time from now on */
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
  atomic_store(&w->bound[i], gen);
  return 0;
}

/* Listeners of slot i on w: 1 if any, each closed when the station ends. */
static int listeners_here(worker *w, size_t i, int close) {
  const slot *sl = &w->srv->slots[i];
  int any = 0;
  for (int k = 0; k < LULL_FEED_KINDS; k++)
    for (session *s = w->lists[i * LULL_FEED_KINDS + k], *next; s; s = next) {
      next = s->next; /* a kill may end s at once */
      any = 1;
      if (!close || s->cut) continue;
      s->cut = 1;
      if (s->role == S_WS && !s->closing) {
        /* A close frame that says why: a player reconnects at once after
         * 1012 (the station restarts), or says the station is gone. */
        lull__ws_close(s, sl->end_code, sl->end_why);
      } else if (s->role == S_WS) {
        lws_set_timeout(s->wsi, PENDING_TIMEOUT_CLOSE_SEND, 2); /* closing already: not for longer */
      } else {
        lull__session_kill(s, sl->end_why);
      }
    }
  return any;
}

static int held_by_a_worker(const lull_server *srv, size_t i) {
  for (unsigned k = 0; k < srv->n_workers; k++)
    if (atomic_load(&srv->workers[k].bound[i])) return 1;
  return 0;
}

void lull__slots_sweep(worker *w, uint64_t now_ms) {
  lull_server *srv = w->srv;
  for (size_t i = 0; i < srv->n_slots; i++) {
    uint32_t b = atomic_load_explicit(&w->bound[i], memory_order_relaxed);
    if (!b) continue;
    const slot *sl = &srv->slots[i];
    int live = atomic_load(&sl->state) == P_LIVE && atomic_load(&sl->gen) == b;
    if (listeners_here(w, i, !live)) continue;
    /* A configured station keeps its feeds here (the next listener's
     * burst); a personal one without listeners here, or an ended one,
     * lets them go (a new listener makes them again). */
    if (live && !lull__is_personal(i)) continue;
    for (int k = 0; k < LULL_FEED_KINDS; k++) lull__feed_free(&w->feeds[i * LULL_FEED_KINDS + k]);
    atomic_store(&w->bound[i], 0);
  }
  if (w->idx != 0) return;
  lull__personal_idle(srv, now_ms);
  int reap = 0;
  for (size_t i = 0; i < srv->n_slots; i++) {
    slot *sl = &srv->slots[i];
    if (atomic_load(&sl->state) != P_ENDING || atomic_load(&sl->refs) || held_by_a_worker(srv, i)) continue;
    atomic_store(&sl->state, P_REAPING);
    reap = 1;
  }
  if (reap) {
    pthread_mutex_lock(&srv->reap_lock);
    pthread_cond_signal(&srv->reap_cond);
    pthread_mutex_unlock(&srv->reap_lock);
  }
}

/* The reaper frees what worker 0 handed it: a station's end stops its
 * producer (up to a frame's wait) and frees its engine, which no network
 * thread should wait for. */
static void *reaper(void *arg) {
  lull_server *srv = arg;
  pthread_mutex_lock(&srv->reap_lock);
  while (!srv->reap_stop) {
    pthread_mutex_unlock(&srv->reap_lock);
    for (size_t i = 0; i < srv->n_slots; i++) {
      slot *sl = &srv->slots[i];
      if (atomic_load(&sl->state) != P_REAPING) continue;
      lull_station *st = srv->stations[i];
      srv->stations[i] = NULL;
      lull_station_destroy(st);
      memset(sl->token, 0, sizeof sl->token);
      pthread_mutex_lock(&srv->slot_lock);
      atomic_store(&sl->state, P_FREE);
      pthread_mutex_unlock(&srv->slot_lock);
    }
    pthread_mutex_lock(&srv->reap_lock);
    if (!srv->reap_stop) pthread_cond_wait(&srv->reap_cond, &srv->reap_lock);
  }
  pthread_mutex_unlock(&srv->reap_lock);
  return NULL;
}

int lull__reaper_start(lull_server *srv) {
  srv->reap_stop = 0;
  if (pthread_create(&srv->reaper, NULL, reaper, srv) != 0) return -1;
  srv->reaper_running = 1;
  return 0;
}

void lull__reaper_stop(lull_server *srv) {
  if (!srv->reaper_running) return;
  pthread_mutex_lock(&srv->reap_lock);
  srv->reap_stop = 1;
  pthread_cond_signal(&srv->reap_cond);
  pthread_mutex_unlock(&srv->reap_lock);
  pthread_join(srv->reaper, NULL);
  srv->reaper_running = 0;
}

void lull__slots_free_all(lull_server *srv) {
  for (size_t i = 0; i < srv->n_slots; i++) {
    lull_station_destroy(srv->stations[i]);
    srv->stations[i] = NULL;
    atomic_store(&srv->slots[i].state, P_FREE);
  }
}
