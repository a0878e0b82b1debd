/* Listeners: each a cursor into its feed (the worker's framing of one
 * station's stream for one kind of client), joined with a burst of recent
 * audio, held to the lag policy (skip to the live edge, then disconnect),
 * and written everything pending in as few sends as the socket allows. */
#include <assert.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "server/conn.h"
#include "server/icy.h"
#include "server/uring.h"
#include "stream/stream.h"

const char *const lull__feed_names[LULL_FEED_KINDS] = {"ws-opus", "ws-pcm", "ogg", "mp3"};

/* Send latency buckets: 50 us (a wake on an idle server) to 1 s (the
 * skip limit's default: a listener further behind jumps to the live edge). */
static const uint64_t send_bounds_ns[] = {50000,    100000,   250000,    500000,    1000000,   2500000,   5000000,
                                          10000000, 25000000, 50000000, 100000000, 250000000, 500000000, 1000000000};
_Static_assert(sizeof send_bounds_ns / sizeof send_bounds_ns[0] <= LULL_HIST_MAX_BOUNDS, "too many buckets");

void lull__send_latency_init(worker *w) {
  for (int k = 0; k < LULL_FEED_KINDS; k++)
    lull__hist_init(&w->send_latency[k], send_bounds_ns, sizeof send_bounds_ns / sizeof send_bounds_ns[0]);
}

void lull__send_latency(session *s, uint64_t published_ns) {
  if (!s->live) return;
  uint64_t now = lull__ring_clock_ns(); /* one vDSO clock read per write, beside a ~3.5 us send */
  lull__hist_observe(&s->w->send_latency[s->kind], now > published_ns ? now - published_ns : 0);
}

static lull_feed *feed_of(session *s) { return &s->w->feeds[s->station * LULL_FEED_KINDS + s->kind]; }

static int session_fd(const session *s) { return s->role == S_DIRECT ? s->fd : lws_get_socket_fd(s->wsi); }

int lull__session_register(session *s) {
  worker *w = s->w;
  if (lull__slot_bind(w, s->station)) {
    lull__listener_release(w->srv, s->ip);
    lull__log(w->srv, LULL_LOG_ERROR, "out of memory for a listener of station %s", lull_station_name(w->srv->stations[s->station]));
    return -1;
  }
  session **head = &w->lists[s->station * LULL_FEED_KINDS + s->kind];
  s->prev = NULL;
  s->next = *head;
  if (*head) (*head)->prev = s;
  *head = s;
  s->registered = 1;
  w->sessions++;
  lull__conn_listening(s->wsi);
  /* A stream lws carries ends at the listener's first byte too (http.c);
   * the others read what they are sent, or ignore it (direct.c). */
  struct epoll_event ev = {.events = EPOLLRDHUP | EPOLLET | (s->role == S_HTTP_STREAM ? EPOLLIN : 0), .data.ptr = s};
  s->watched = epoll_ctl(w->hup_fd, EPOLL_CTL_ADD, session_fd(s), &ev) == 0;
  lull_feed *f = feed_of(s);
  lull__hub_join_at(&s->cur, f->head, f->tail, &w->srv->policy[s->kind]);
  s->since_ms = lull__now_ms();
  station_stats *ss = &w->srv->sstats[s->station];
  uint32_t now_n = atomic_fetch_add(&ss->listeners[s->kind], 1) + 1, peak = atomic_load(&ss->peak[s->kind]);
  while (peak < now_n && !atomic_compare_exchange_weak(&ss->peak[s->kind], &peak, now_n)) {
  }
  atomic_fetch_add(&w->srv->connects, 1);
  if (s->kind == LULL_FEED_MP3) lull__station_mp3_listeners(w->srv->stations[s->station], +1);
  lull__log(w->srv, LULL_LOG_INFO, "connect %s %s station=%s (listeners %u)", s->ip, lull__feed_names[s->kind],
       lull_station_name(w->srv->stations[s->station]), atomic_load(&w->srv->listeners));
  return 0;
}

void lull__replies_free(session *s) {
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

void lull__session_end(session *s, const char *why) {
  assert(!s->queued); /* its send in the wake's batch would complete on a freed session */
  lull__replies_free(s);
  free(s->icy);
  s->icy = NULL;
  lull__recent_end(s, why);
  if (!s->registered) {
    lull__session_unhold(s);
    return;
  }
  worker *w = s->w;
  lull_server *srv = w->srv;
  session **head = &w->lists[s->station * LULL_FEED_KINDS + s->kind];
  if (w->pass.next == s) w->pass.next = s->next; /* a wake's pass waits at it (worker.c) */
  if (s->prev)
    s->prev->next = s->next;
  else
    *head = s->next;
  if (s->next) s->next->prev = s->prev;
  s->registered = 0;
  w->sessions--;
  if (s->watched) {
    struct epoll_event ev = {0};
    (void)epoll_ctl(w->hup_fd, EPOLL_CTL_DEL, session_fd(s), &ev);
    s->watched = 0;
  }
  if (s->why) why = s->why;
  atomic_fetch_sub(&srv->sstats[s->station].listeners[s->kind], 1);
  atomic_fetch_add(&srv->disconnects, 1);
  if (s->kind == LULL_FEED_MP3) lull__station_mp3_listeners(srv->stations[s->station], -1);
  lull__listener_release(srv, s->ip);
  lull__log(srv, LULL_LOG_INFO, "disconnect %s %s station=%s after %.1f s, %llu bytes, %llu packets dropped (%s)", s->ip,
       lull__feed_names[s->kind], lull_station_name(srv->stations[s->station]), (double)(lull__now_ms() - s->since_ms) / 1000.0,
       (unsigned long long)s->sent, (unsigned long long)s->dropped_packets, why);
  lull__session_unhold(s);
}

void lull__session_kill(session *s, const char *why) {
  if (s->role == S_DIRECT) {
    lull__direct_end(s, why); /* the worker's own: ended now */
    return;
  }
  if (s->closing && s->why) return;
  s->closing = 1;
  s->why = why;
  /* lws never reads a stream's input (http.c): a FIN or a byte would wake
   * it at every turn of the loop until the kill's timer comes round. */
  if (s->role == S_HTTP_STREAM) lws_rx_flow_control(s->wsi, 0);
  lws_set_timeout(s->wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
}

static uint32_t packets_per_unit(const lull_feed *f) { return f->unit_ms / 20; }

/* Apply the lag policy: 0 to go on, -1 to close. */
int lull__session_policy(session *s, uint64_t t) {
  lull_feed *f = feed_of(s);
  uint64_t before = s->cur.dropped;
  lull_hub_action a = lull__hub_check_at(&s->cur, f->head, f->tail, &s->w->srv->policy[s->kind], t);
  if (a == LULL_HUB_SKIPPED) {
    uint64_t p = (s->cur.dropped - before) * packets_per_unit(f);
    s->dropped_packets += p;
    atomic_fetch_add_explicit(&s->w->dropped, p, memory_order_relaxed);
    lull__log(s->w->srv, LULL_LOG_DEBUG, "%s %s fell behind: skipped %llu packets to the live edge", s->ip,
         lull__feed_names[s->kind], (unsigned long long)p);
  } else if (a == LULL_HUB_DISCONNECT) {
    atomic_fetch_add_explicit(&s->w->slow_closed, 1, memory_order_relaxed);
    lull__log(s->w->srv, LULL_LOG_INFO, "%s %s stayed behind for %u ms: closing", s->ip, lull__feed_names[s->kind],
         s->w->srv->cfg.drop_ms);
    return -1;
  }
  return 0;
}

/* A stream's bytes to its listener. On a plain-TCP WebSocket with nothing
 * held back in lws (push() checks), one send() of our own: lws's write path
 * costs as much again in user time as the syscall's own overhead, for
 * nothing it adds here, since the feed holds whole frames. What the kernel
 * does not take, and everything on TLS, goes through lws, which keeps the
 * rest and finishes it when the socket has room. */
static int stream_out(session *s, const unsigned char *data, size_t len) {
  if (s->raw) {
    ssize_t n = send(lws_get_socket_fd(s->wsi), data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n == (ssize_t)len) return 0;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return -1;
    if (n > 0) data += n, len -= (size_t)n;
  }
  return lws_write(s->wsi, (unsigned char *)data, len, LWS_WRITE_HTTP) < 0 ? -1 : 0;
}

/* A run of units is out (or with lws, which finishes it). */
static void written(session *s, const lull_feed *f, size_t len, uint64_t units) {
  lull__send_latency(s, lull__feed_published_ns(f, s->cur.next, units));
  s->cur.next += units;
  s->live |= s->cur.next == f->head;
  s->sent += len;
  lull__count(&s->w->bytes, len);
  lull__count(&s->w->writes, 1);
}

/* Everything pending for a listener, one contiguous run per send, until
 * libwebsockets has to hold some back (the socket is full). */
int lull__stream_write(session *s) {
  if (lull__session_policy(s, lull__now_ms())) {
    s->close_code = 1008;
    return -1;
  }
  lull_feed *f = feed_of(s);
  for (int i = 0; i < 4; i++) {
    unsigned char *icy = NULL;
    const unsigned char *data = NULL;
    uint64_t units;
    size_t len = s->icy ? lull__icy_chunk(s, &icy, &units) : lull__feed_run(f, s->cur.next, RUN_BYTES, &data, &units);
    if (s->icy) data = icy;
    if (!len) break;
    /* LWS_WRITE_HTTP writes the bytes as they are, also on a WebSocket
     * (the feed holds whole frames), and never touches the bytes before. */
    if (s->raw && !s->icy && s->w->batch && !lull__uring_send(s->w->ring, lws_get_socket_fd(s->wsi), data, len, s)) {
      s->queued = 1; /* lull__stream_sent has the result when the wake's batch is sent */
      return 0;
    }
    if (stream_out(s, data, len)) return -1;
    written(s, f, len, units);
    if (lws_partial_buffered(s->wsi)) break;
  }
  return 0;
}

size_t lull__queued_run(session *s, int res, lull_feed **f, const unsigned char **data, uint64_t *units) {
  s->queued = 0;
  *f = feed_of(s);
  if (res < 0 && res != -EAGAIN && res != -EWOULDBLOCK && res != -EINTR) return 0;
  return lull__feed_run(*f, s->cur.next, RUN_BYTES, data, units); /* what was queued: nothing moved since */
}

void lull__stream_sent(session *s, int res) {
  lull_feed *f;
  const unsigned char *data;
  uint64_t units;
  size_t len = lull__queued_run(s, res, &f, &data, &units);
  if (res < 0 && !len) {
    lull__session_kill(s, "send failed");
    return;
  }
  size_t n = res > 0 ? (size_t)res : 0;
  /* What the kernel did not take goes to lws, as stream_out does. */
  if (n < len && lws_write(s->wsi, (unsigned char *)data + n, len - n, LWS_WRITE_HTTP) < 0) {
    lull__session_kill(s, "send failed");
    return;
  }
  written(s, f, len, units);
  if (!lws_partial_buffered(s->wsi) && lull__stream_write(s)) /* more, if the log wrapped */
    lull__session_kill(s, s->close_code == 1008 ? "stayed behind" : "send failed");
}

size_t lull__icy_chunk(session *s, unsigned char **out, uint64_t *units) {
  /* A run shorter than the metadata interval crosses one block at most. */
  enum { ROOM = sizeof s->w->scratch - LWS_PRE, AUDIO = ROOM - LULL_ICY_BLOCK_MAX };
  _Static_assert(AUDIO < LULL_ICY_METAINT && LULL_ICY_OUT_MAX(AUDIO) <= ROOM, "one block per chunk");
  const unsigned char *data;
  size_t len = lull__feed_run(feed_of(s), s->cur.next, AUDIO, &data, units);
  if (len > AUDIO) return 0; /* a unit larger than that: never an MP3 chunk (20 ms); the lag policy ends it */
  *out = s->w->scratch + LWS_PRE;
  return lull__icy_interleave(s->icy, data, len, *out, lull__icy_station_title, s->w->srv->stations[s->station]);
}

/* Append to the message or body being received: 0, 1 when it would pass
 * MAX_TEXT (nothing appended), -1 out of memory. */
int lull__text_append(session *s, const void *in, size_t len) {
  if (s->text_len + len > MAX_TEXT) return 1;
  if (!s->text && !(s->text = malloc(MAX_TEXT + 1))) return -1;
  memcpy(s->text + s->text_len, in, len);
  s->text_len += (uint32_t)len;
  s->text[s->text_len] = 0;
  return 0;
}
