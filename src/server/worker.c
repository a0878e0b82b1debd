/* A worker: one network thread with its own libwebsockets context, its own
 * listening socket on the shared port (SO_REUSEPORT: the kernel spreads the
 * connections; lws 4.1 cannot set it, so the socket is ours, watched by lws
 * as a raw descriptor, and each accepted connection is adopted into the
 * worker's context) and its own libev loop on epoll (lws's poll backend would
 * touch every socket at each wake). A station's producer wakes every worker
 * when a message's worth of frames is out (lws_cancel_service, the one call
 * lws allows from another thread); the worker then pulls the new packets
 * into its feeds (framed once per worker) and sends each listener of a feed
 * that grew everything it has pending, in one send. Nothing more is written
 * while libwebsockets still holds a partial send for a listener, so a
 * stalled reader costs one buffered message, never a growing queue. A timer
 * sweeps the stalled ones: skip to the live edge, then disconnect. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server/conn.h"
#include "server/uring.h"
#include "stream/stream.h"

static void wake(worker *w);
static void sweep(lws_sorted_usec_list_t *sul);

/* Listeners whose peer hung up (FIN or RST), or sent a stream lws carries
 * a byte: ended now, whether or not libwebsockets was reading their socket. */
static void hangups(struct ev_loop *loop, ev_io *io, int revents) {
  (void)loop;
  (void)revents;
  worker *w = io->data;
  struct epoll_event ev[64];
  int n = epoll_wait(w->hup_fd, ev, 64, 0);
  for (int i = 0; i < n; i++) {
    session *s = ev[i].data.ptr;
    uint32_t e = ev[i].events;
    lull__session_kill(s, e & (EPOLLERR | EPOLLHUP) ? "reset by the listener"
                          : e & EPOLLRDHUP           ? "the listener left"
                                                     : "the listener sent bytes into the stream");
  }
}

/* What each role of session does with the callbacks; none before it has one. */
static const lull__transport *const transports[] = {
    [S_WS] = &lull__ws_transport,
    [S_HTTP_STREAM] = &lull__http_stream_transport,
    [S_REST] = &lull__rest_transport,
    [S_DIRECT] = NULL, /* the worker's own: libwebsockets never calls back for them */
    [S_RECENT] = &lull__recent_transport,
};

/* Only for the callbacks whose user pointer is a session (for others, e.g.
 * TLS set-up, it is something else altogether). */
static const lull__transport *transport_of(const session *s) {
  return s && s->role < sizeof transports / sizeof *transports ? transports[s->role] : NULL;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len) {
  session *s = user;
  worker *w = lws_context_user(lws_get_context(wsi));
  switch (reason) {
    case LWS_CALLBACK_PROTOCOL_INIT:
      lws_sul_schedule(lws_get_context(wsi), 0, &w->sweep, sweep, SWEEP_MS * LWS_US_PER_MS);
      break;
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
      if (w) wake(w);
      break;
    case LWS_CALLBACK_OPENSSL_LOAD_EXTRA_SERVER_VERIFY_CERTS:
      if (w) w->ssl_ctx = user; /* the vhost's: a reload loads a renewed certificate into it */
      return 0;
    case LWS_CALLBACK_RAW_RX_FILE:
      lull__accept_some(w);
      return 0;
    case LWS_CALLBACK_HTTP:
      return lull__http_request(s, wsi, w, (const char *)in);
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
      return lull__ws_upgrade(wsi, w, (const char *)in);
    case LWS_CALLBACK_ESTABLISHED:
      return lull__ws_established(s, wsi, w);
    case LWS_CALLBACK_HTTP_BODY:
    case LWS_CALLBACK_RECEIVE: {
      const lull__transport *t = transport_of(s);
      return t && t->receive ? t->receive(s, in, len) : 0;
    }
    case LWS_CALLBACK_HTTP_BODY_COMPLETION: {
      const lull__transport *t = transport_of(s);
      return t && t->complete ? t->complete(s) : 0;
    }
    case LWS_CALLBACK_HTTP_WRITEABLE:
    case LWS_CALLBACK_SERVER_WRITEABLE: {
      const lull__transport *t = transport_of(s);
      return t && t->writeable ? t->writeable(s) : 0;
    }
    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
      if (s) lull__session_end(s, "closed");
      return 0;
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
      if (s && s->role == S_WS) lull__ws_peer_closed(s, in, len);
      return 0; /* lws answers it */
    case LWS_CALLBACK_CLOSED:
      if (s) lull__session_end(s, s->close_code == 1008 ? "closed by the server" : "closed");
      return 0;
    case LWS_CALLBACK_WSI_DESTROY:
      lull__conn_end(wsi);
      break;
    default:
      break;
  }
  return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static const struct lws_protocols protocols[] = {
    {"lull", callback, sizeof(session), MAX_TEXT, 0, NULL, RUN_BYTES},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

/* Audio for a listener, now: written at once when nothing else is pending
 * and lws holds nothing back for it (the socket had room last time), so
 * the common case costs one send and no poll round; otherwise through the
 * writable callback. */
static void push(session *s) {
  if (s->role == S_DIRECT) {
    if (lull__direct_write(s)) lull__direct_end(s, "send failed");
    return;
  }
  if (s->role == S_WS && lull__ws_closed_by_lws(s)) return; /* nothing may follow its close frame */
  if (s->closing || s->hello_pending || s->replies || s->params_pending || !s->header_sent ||
      lws_partial_buffered(s->wsi)) {
    lws_callback_on_writable(s->wsi);
    return;
  }
  /* A failed send is a socket that is gone (RST, or the peer left during
   * the burst): nothing more can be said on it, so it is closed, not asked
   * to become writable again. */
  if (lull__stream_write(s)) lull__session_kill(s, s->close_code == 1008 ? "stayed behind" : "send failed");
}

/* A certificate file (the certificate, then its chain) and its key, read
 * once into memory: 0, or -1 when either does not read. */
typedef struct tls_pair {
  X509 *cert;
  STACK_OF(X509) *chain;
  EVP_PKEY *key;
} tls_pair;

static void pair_free(tls_pair *p) {
  X509_free(p->cert);
  if (p->chain) sk_X509_pop_free(p->chain, X509_free);
  EVP_PKEY_free(p->key);
}

static int pair_read(tls_pair *p, const char *cert, const char *key) {
  memset(p, 0, sizeof *p);
  FILE *f = fopen(cert, "r");
  if (f) {
    p->cert = PEM_read_X509(f, NULL, NULL, NULL);
    p->chain = sk_X509_new_null();
    for (X509 *x; p->chain && (x = PEM_read_X509(f, NULL, NULL, NULL));)
      if (!sk_X509_push(p->chain, x)) X509_free(x);
    fclose(f);
  }
  if ((f = fopen(key, "r"))) {
    p->key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
  }
  ERR_clear_error(); /* the end of the chain reads as an error */
  return p->cert && p->chain && p->key && X509_check_private_key(p->cert, p->key) == 1 ? 0 : -1;
}

/* A reload asked for the TLS certificate and key again (a renewal): read
 * once, checked, and put into the vhost's context whole (certificate, key
 * and chain in one call), here, on the thread that uses it, for the
 * handshakes that come next (those done keep theirs). A pair that does not
 * read (changed again since the reload checked it) leaves the running one. */
static void tls_reload(worker *w) {
  lull_server *srv = w->srv;
  w->tls_seen = atomic_load(&srv->tls_gen);
  char cert[sizeof srv->tls_cert_now], key[sizeof srv->tls_key_now];
  pthread_mutex_lock(&srv->tls_lock);
  memcpy(cert, srv->tls_cert_now, sizeof cert);
  memcpy(key, srv->tls_key_now, sizeof key);
  pthread_mutex_unlock(&srv->tls_lock);
  tls_pair p;
  int ok = pair_read(&p, cert, key) == 0;
  if (!w->ssl_ctx)
    lull__log(srv, LULL_LOG_ERROR, "TLS: libwebsockets gave no context to load the certificate into; restart to renew it");
  else if (!ok || SSL_CTX_use_cert_and_key(w->ssl_ctx, p.cert, p.key, p.chain, 1) != 1)
    lull__log(srv, LULL_LOG_ERROR, "TLS: certificate %s and key %s do not load (any more): the running pair stays; "
              "check them and reload", cert, key);
  else
    lull__log(srv, LULL_LOG_INFO, "TLS: certificate %s and key %s loaded", cert, key);
  ERR_clear_error();
  pair_free(&p);
}

enum { RING_ENTRIES = 2048 };

static void sent(void *user, int res) {
  session *s = user;
  if (s->role == S_DIRECT)
    lull__direct_sent(s, res);
  else
    lull__stream_sent(s, res);
}

/* The sends queued so far, in one call; their results handled (which may
 * send more, one call at a time). */
static void flush_batch(worker *w) {
  int was = w->batch;
  w->batch = 0;
  if (lull__uring_flush(w->ring, sent)) {
    lull__log(w->srv, LULL_LOG_WARN, "network thread %u: the kernel refused a batch of sends (io_uring: %s); sending "
              "one call at a time from now on", w->idx, strerror(lull__uring_error(w->ring)));
    lull__uring_destroy(w->ring);
    w->ring = NULL;
    was = 0;
  }
  w->batch = was;
}

/* A wake's pass pushes at most SLICE listeners, then lets the loop take
 * what else is ready (a new connection, a handshake, a control message)
 * before its next slice: a large audience's wake is ten thousand sends and
 * tens of milliseconds, and a new listener waited for all of it (64 sends
 * are still a batch for io_uring). LULL_WAKE_SLICE=N sets another size,
 * 1..4096 (tests use 1: the loop runs between every two sends). */
enum { SLICE = 64, YIELD_MS = 250 };

static void run_pass(worker *w);

static void resume(struct ev_loop *loop, ev_timer *t, int revents) {
  (void)loop, (void)revents;
  run_pass(t->data);
}

/* The pass's next slice on the loop's next turn (a timer due at once runs
 * after the loop has polled for what is ready). */
static void later(worker *w) {
  ev_timer_set(&w->resume, 0., 0.);
  ev_timer_start(w->loop, &w->resume);
}

/* Push the listeners of the pass's station and feed onwards, SLICE at most:
 * 1 when the slice is used up (the pass goes on later). */
static int push_some(worker *w, unsigned *budget) {
  /* The listeners' sends go in one batch (uring.h) when the kernel allows:
   * the slice's syscalls become one. */
  w->batch = w->ring != NULL;
  int more = 0;
  while (w->pass.next) {
    if (!*budget) {
      more = 1;
      break;
    }
    session *s = w->pass.next;
    w->pass.next = s->next; /* push may end s (a queued one is not ended before the flush) */
    if (w->pass.changed && s->role == S_WS && s->params_seen != w->pass.params) s->params_pending = 1;
    push(s);
    --*budget;
    if (w->ring && lull__uring_queued(w->ring) == RING_ENTRIES) flush_batch(w);
  }
  w->batch = 0;
  if (w->ring) flush_batch(w); /* its results may end sessions: the pass's next moves on */
  return more;
}

static void run_pass(worker *w) {
  lull_server *srv = w->srv;
  unsigned budget = w->slice;
  while (w->pass.active && w->pass.slot < srv->n_slots) {
    const size_t i = w->pass.slot;
    /* Feeds of a station exist here once it had a listener here (a
     * configured one's from the worker's start, a personal one's while it
     * has listeners here); a station may go between slices. */
    const uint32_t gen = atomic_load_explicit(&w->bound[i], memory_order_relaxed);
    if (!gen) {
      w->pass.slot++, w->pass.kind = -1, w->pass.in_list = 0, w->pass.next = NULL;
      continue;
    }
    if (w->pass.kind >= 0 && gen != w->pass.gen) /* the slot took another station meanwhile: begin it */
      w->pass.kind = -1, w->pass.in_list = 0, w->pass.next = NULL;
    if (w->pass.kind < 0) {
      w->pass.gen = gen;
      lull_station_now now;
      lull_station_get_now(srv->stations[i], &now);
      /* Params go out at most every PARAMS_MS per station, the latest then:
       * a client steering as fast as it may cannot multiply everyone's sends
       * (a change held back goes out on a later wake). */
      uint64_t t = lull__now_ms();
      w->pass.changed = now.params_changes != w->changes[i] && t - w->params_ms[i] >= PARAMS_MS;
      w->pass.params = now.params_changes;
      if (w->pass.changed) {
        w->changes[i] = now.params_changes;
        w->params_ms[i] = t;
      }
      w->pass.kind = 0, w->pass.in_list = 0;
    }
    for (; w->pass.kind < LULL_FEED_KINDS; w->pass.kind++, w->pass.in_list = 0) {
      const int k = w->pass.kind;
      const size_t fi = i * LULL_FEED_KINDS + (size_t)k;
      if (!w->pass.in_list) {
        lull_feed *f = &w->feeds[fi];
        int grew = lull__feed_pull(f) > 0;
        if (!grew && !(w->pass.changed && (k == LULL_FEED_WS_OPUS || k == LULL_FEED_WS_PCM))) continue;
        if (grew && (k == LULL_FEED_OGG || k == LULL_FEED_MP3)) {
          /* Sends, not bytes, are what a listener costs, and HTTP players
           * buffer seconds: their listeners get a few units per send
           * (written on the wake nearest the time). WebSocket players get
           * each message as it is made. */
          uint64_t t = lull__now_ms();
          if (t < w->write_at[fi]) continue;
          w->write_at[fi] = t + srv->cfg.http_write_ms - 30;
        }
        w->pass.in_list = 1;
        w->pass.next = w->lists[fi]; /* who joins from here on had their burst at the join */
      }
      while (push_some(w, &budget)) {
        /* A pass yields only in its first YIELD_MS: under a flood of new
         * connections those who listen already come first. */
        if (lull__now_ms() - w->pass.started_ms < YIELD_MS) {
          later(w);
          return;
        }
        budget = w->slice;
      }
    }
    w->pass.slot++, w->pass.kind = -1;
  }
  w->pass.active = 0;
  if (w->pass.again) { /* woken meanwhile: a pass for what came since, after the loop's turn */
    w->pass = (wake_pass){.active = 1, .kind = -1, .started_ms = lull__now_ms()};
    later(w);
  }
}

/* New packets (or the stop): pull them into the feeds, and send the
 * listeners that have something new, a slice at a time (run_pass). */
static void wake(worker *w) {
  lull_server *srv = w->srv;
  if (atomic_load(&srv->stopping)) {
    if (w->stop_seen) return;
    w->stop_seen = 1;
    ev_timer_stop(w->loop, &w->resume);
    w->pass = (wake_pass){0};
    w->stop_deadline = lull__now_ms() + 300;
    lws_sul_schedule(w->ctx, 0, &w->sweep, sweep, 20 * LWS_US_PER_MS);
    for (size_t i = 0; i < srv->n_slots * LULL_FEED_KINDS; i++)
      for (session *s = w->lists[i], *next; s; s = next) {
        next = s->next;
        if (s->role == S_DIRECT) {
          lull__direct_end(s, "server stopping");
        } else if (s->role == S_WS) {
          s->closing = 1;
          s->close_code = 1001;
          lws_callback_on_writable(s->wsi);
        } else {
          lws_set_timeout(s->wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
        }
      }
    return;
  }
  if (atomic_load_explicit(&srv->tls_gen, memory_order_relaxed) != w->tls_seen) tls_reload(w);
  if (w->pass.active) { /* the pass under way sends what came too; another follows it */
    w->pass.again = 1;
    return;
  }
  w->pass = (wake_pass){.active = 1, .kind = -1, .started_ms = lull__now_ms()};
  run_pass(w);
}

/* Every SWEEP_MS: listeners whose socket is full never become writable, so
 * the lag policy is applied here too (for the others it finds no lag). */
static void sweep(lws_sorted_usec_list_t *sul) {
  worker *w = lws_container_of(sul, worker, sweep);
  lull_server *srv = w->srv;
  uint64_t t = lull__now_ms();
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
  for (size_t i = 0; i < srv->n_slots * LULL_FEED_KINDS; i++)
    for (session *s = w->lists[i], *next; s; s = next) {
      next = s->next; /* a kill may end s at once */
      if (s->closing) continue;
      uint64_t at = s->cur.next;
      if (lull__session_policy(s, t)) {
        s->close_code = 1008;
        lull__session_kill(s, "stayed behind");
      } else if (s->role == S_DIRECT && s->cur.next != at) {
        s->unit_off = 0; /* skipped mid-unit: the decoder resyncs on the next */
      }
    }
  lull__http_input_check(w);
  lull__slots_sweep(w, t);
  /* A request must be in by its deadline however it trickles: the clock
   * starts at accept (or at the previous answer) and nothing resets it. */
  for (conn *c = w->conns, *next; c; c = next) {
    next = c->next;
    if (!c->deadline_ms || t < c->deadline_ms) continue;
    lull__log(srv, LULL_LOG_DEBUG, "%s: no complete request within %u ms: closed", c->ip, srv->cfg.request_ms);
    /* Told again at each sweep until it is gone: libwebsockets sets its own
     * timeout (10 s) again on each byte of a body it reads, over the kill,
     * so a body trickled after an answer (a 405 to a POST announcing 100 MB)
     * would otherwise keep the connection for as long as it trickles. */
    c->deadline_ms = c->wsi ? t + SWEEP_MS : 0;
    if (c->wsi)
      lws_set_timeout(c->wsi, PENDING_TIMEOUT_HTTP_CONTENT, LWS_TO_KILL_ASYNC);
    else if (!c->direct)
      lull__conn_close(c); /* still in intake */
  }
  if (w->idx == 0 && t >= w->next_metrics_ms) {
    if (w->next_metrics_ms) lull__metrics_line(srv);
    w->next_metrics_ms = t + srv->cfg.metrics_log_s * 1000u;
  }
  lws_sul_schedule(w->ctx, 0, &w->sweep, sweep, SWEEP_MS * LWS_US_PER_MS);
}

void *lull__worker_main(void *arg) {
  worker *w = arg;
  ev_run(w->loop, 0); /* until the stop breaks it (sweep) */
  return NULL;
}

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

int lull__worker_init(lull_server *srv, worker *w, unsigned idx, lull_diag *diag) {
  w->listen_fd = -1;
  w->hup_fd = -1;
  w->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  w->srv = srv;
  w->idx = idx;
  lull__send_latency_init(w);
  size_t nf = srv->n_slots * LULL_FEED_KINDS;
  w->feeds = calloc(nf, sizeof *w->feeds);
  w->lists = calloc(nf, sizeof *w->lists);
  w->changes = calloc(srv->n_slots, sizeof *w->changes);
  w->params_ms = calloc(srv->n_slots, sizeof *w->params_ms);
  w->hup_fd = epoll_create1(EPOLL_CLOEXEC);
  if (w->hup_fd < 0) return lull_diag_set(diag, LULL_EIO, "", "epoll_create1: %s", strerror(errno));
  w->write_at = calloc(nf, sizeof *w->write_at);
  if (!w->feeds || !w->lists || !w->changes || !w->write_at || !w->params_ms) return lull_diag_set(diag, LULL_ENOMEM, "", "out of memory");
  for (size_t i = 0; i < FIRST_PERSONAL; i++)
    if (atomic_load(&srv->slots[i].state) == P_LIVE && lull__slot_bind(w, i))
      return lull_diag_set(diag, LULL_ENOMEM, "", "out of memory");
  int err = listen_socket(srv, &w->listen_fd, diag);
  if (err) return err;
  const char *uring = getenv("LULL_URING");
  if (!uring || strcmp(uring, "0") != 0) {
    w->ring = lull__uring_create(RING_ENTRIES);
    if (!w->ring && w->idx == 0)
      lull__log(srv, LULL_LOG_INFO, "io_uring is not to be had (%s): each stream send is a system call of its own",
                strerror(errno));
  }
  /* libev on epoll, as a loop of ours (lws leaves signals alone then). */
  w->loop = ev_loop_new(EVBACKEND_EPOLL | EVFLAG_NOSIGMASK);
  if (!w->loop) return lull_diag_set(diag, LULL_ENOMEM, "", "libev: cannot create an epoll loop");
  ev_timer_init(&w->resume, resume, 0., 0.);
  w->resume.data = w;
  const char *slice = getenv("LULL_WAKE_SLICE");
  w->slice = slice && atoi(slice) >= 1 && atoi(slice) <= 4096 ? (unsigned)atoi(slice) : SLICE;
  ev_io_init(&w->hup_watch, hangups, w->hup_fd, EV_READ);
  w->hup_watch.data = w;
  ev_io_start(w->loop, &w->hup_watch);
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

/* After the thread has ended (or was never made). */
void lull__worker_free(lull_server *srv, worker *w) {
  if (w->ctx) lws_context_destroy(w->ctx);
  if (w->loop) {
    ev_timer_stop(w->loop, &w->resume);
    ev_io_stop(w->loop, &w->hup_watch);
    ev_loop_destroy(w->loop);
  }
  if (w->hup_fd >= 0) close(w->hup_fd);
  lull__uring_destroy(w->ring);
  free(w->params_ms);
  free(w->by_fd);
  if (!w->listen_wsi && w->listen_fd >= 0) close(w->listen_fd); /* made, but never handed to lws */
  if (w->spare_fd >= 0) close(w->spare_fd);
  if (w->feeds)
    for (size_t f = 0; f < srv->n_slots * LULL_FEED_KINDS; f++) lull__feed_free(&w->feeds[f]);
  free(w->feeds);
  free(w->lists);
  free(w->changes);
  free(w->write_at);
}
