/* The network side's private types, shared by the server's files: the
 * server object, its workers (one network thread each) and their sessions
 * (one per connection). Each file of src/server/ owns one concern of them:
 * server.c the life cycle, worker.c the loop, session.c feeds and listeners,
 * ws.c WebSocket, http.c HTTP, status.c status and metrics as JSON,
 * prometheus.c /metrics (process.c the process's figures in it), access.c
 * limits and who may do what, slot.c every station's slot and life cycle,
 * reload.c configured stations and outputs made and changed while serving,
 * personal.c stations for one listener, uring.c a wake's sends in one system call.
 * Only the worker that owns a session touches it. */
#ifndef LULL_SERVER_CONN_H
#define LULL_SERVER_CONN_H

#include <ev.h>
#include <libwebsockets.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "lull/icecast.h"
#include "lull/server.h"
#include "lull/station.h"
#include "server/artwork.h"
#include "server/hub.h"
#include "server/server_int.h"

#define MAX_WORKERS 8
#define MAX_TEXT 4096       /* a client's message, a REST body */
#define MAX_REPLIES 32      /* text replies queued for one client (more than a second's rate) */
#define RUN_BYTES 65536     /* one send at most */
#define MAX_HEAD 2048       /* a request head the worker reads itself (lws takes at most this much) */
#define SWEEP_MS 250
#define PARAMS_MS 250       /* params broadcasts, at most this often per station */
/* Stations by index: two slots for each configured station there may be
 * (a reload starts a changed one's successor before the old one's slot is
 * free), then one for each personal station (srv->n_slots in all). */
#define FIRST_PERSONAL (2 * LULL_SERVER_MAX_STATIONS)
#define MAX_SLOTS (FIRST_PERSONAL + LULL_SERVER_MAX_PERSONAL)
#define STEER_PERSONAL 100  /* srv->steer of a personal station: its token's holder steers it */

/* A session's role: what its connection turned out to be. S_DIRECT is an
 * HTTP stream the worker serves itself (direct.c); S_HTTP_STREAM one that
 * libwebsockets carries (over TLS). */
enum { S_NONE = 0, S_WS, S_HTTP_STREAM, S_REST, S_DIRECT, S_RECENT };

/* A text message queued for a WebSocket client. */
typedef struct reply {
  struct reply *next;
  size_t len;
  unsigned char buf[]; /* LWS_PRE, then the text */
} reply;

/* Adds to a counter that one thread writes and others read: a relaxed load
 * and store, no locked read-modify-write on every send. */
static inline void lull__count(_Atomic uint64_t *c, uint64_t n) {
  atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n, memory_order_relaxed);
}

/* One per connection (libwebsockets' per-session data, zeroed for us). */
typedef struct session {
  struct session *prev, *next; /* in its feed's list */
  struct worker *w;
  struct lws *wsi;
  uint8_t role, kind, registered, closing;
  uint8_t hello_pending, params_pending, header_sent, authorised;
  uint8_t held;     /* s->station is held (lull__station_find): given back when it ends */
  uint8_t rest;     /* S_REST: what the body is for (REST_PARAMS or REST_PERSONAL) */
  uint8_t live;     /* was sent everything up to the live edge once: past its join burst */
  uint8_t cut;      /* its station ended: told so, or cut off (slot.c) */
  uint8_t raw;      /* a WebSocket on plain TCP: stream writes go to its socket (session.c) */
  uint8_t queued;   /* a send of its is in the worker's batch (uring.h): its result comes at the flush */
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
  uint8_t watched;  /* in the worker's hang-up set */
  uint8_t input_checked; /* S_HTTP_STREAM: asked whether lws holds bytes that came with its request */
  /* S_DIRECT only: the socket, its write watcher (on while the kernel's
   * buffer is full), the response head still to send, how much of the Ogg
   * headers and of the current feed unit is out, and its connection. */
  int fd;
  ev_io wio;
  char *pre;
  uint32_t pre_len, pre_off, hdr_off, unit_off;
  struct conn *c;
  struct download *download; /* S_RECENT: the file being sent (download.c) */
  struct lull_icy *icy; /* an MP3 listener that asked for ICY metadata (icy.h); NULL: none, no cost */
  const char *why;  /* why it ends, when the server ends it */
  char ip[48];      /* the client's address key (conn.ip) */
} session;

/* One per accepted connection, whatever it becomes, from accept to close
 * (the opaque user data of its wsi): its place among its address's
 * connections, and the deadline of the request under way. */
typedef struct conn {
  struct conn *prev, *next; /* the worker's connections */
  struct worker *w;
  struct lws *wsi;      /* once libwebsockets has it */
  session *direct;      /* once the worker serves it as a stream itself */
  int key_fd;           /* its descriptor, as a key (see lull__conn_of) */
  int fd;               /* until then, the worker reads its request head: */
  ev_io rio;
  ev_timer retry;
  char *head;           /* MAX_HEAD + 1 */
  uint32_t head_len;
  uint64_t deadline_ms; /* the request under way must be complete by then; 0: a listener, none */
  int proxied;          /* the peer is a trusted proxy: the client is named in the request */
  char ip[48];          /* address key: IPv4, or an IPv6 /64 (the peer's) */
} conn;

/* Where a wake's pass over the listeners is, between its slices (worker.c). */
typedef struct wake_pass {
  size_t slot;            /* the station it is at */
  int kind;               /* the feed of it; -1: the station not begun */
  int in_list, active, again, changed;
  uint32_t params;        /* the station's params_changes when it began it */
  uint32_t gen;           /* the slot's generation then (slot.c) */
  uint64_t started_ms;
  struct session *next;   /* pushed next; lull__session_end moves it on if that one ends */
} wake_pass;

/* A network thread and everything about its clients. */
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
  uint64_t *params_ms; /* when params were last broadcast, per station */
  /* The generation of each slot whose feeds this worker holds (0: none):
   * the slot's station outlives them (slot.c). */
  _Atomic uint32_t bound[MAX_SLOTS];
  conn *conns;         /* every open connection of this worker */
  conn **by_fd;        /* the same, by descriptor */
  size_t by_fd_cap;
  /* Listeners' sockets, edge-triggered on EPOLLRDHUP: a peer's FIN or RST
   * shows here even while libwebsockets does not read the socket (an endless
   * HTTP response). Stray bytes wake it only for the streams lws carries
   * (EPOLLIN too: they end them, see http.c). */
  int hup_fd;
  ev_io hup_watch;
  int stop_seen;
  size_t sessions;
  /* A wake's stream sends, submitted in one call (uring.h); NULL: one send()
   * each. batch: set while the wake pushes, so writes are queued there. */
  struct lull__uring *ring;
  int batch;
  /* A wake's pass over the listeners, in slices (worker.c): where it is.
   * next is the listener it pushes next; lull__session_end moves it on
   * when that one ends between slices. */
  wake_pass pass;
  ev_timer resume;          /* the pass's next slice, after what else is ready */
  unsigned slice;           /* sends a slice (LULL_WAKE_SLICE, for tests) */
  /* Written by this worker only (lull__count), read by others. */
  _Atomic uint64_t bytes, writes, dropped, slow_closed;
  void *ssl_ctx;       /* the vhost's SSL_CTX (TLS only), to load a renewed certificate into */
  uint32_t tls_seen;   /* srv->tls_gen when it was last loaded */
  /* Send latency by feed kind (session.c): written by this worker only,
   * summed over the workers at a scrape. */
  lull_hist send_latency[LULL_FEED_KINDS];
  unsigned char scratch[LWS_PRE + 8192];
} worker;

/* Listeners from one address (a slot of the open-addressing table). */
typedef struct ip_slot {
  char ip[48]; /* "": a free slot */
  uint32_t n;     /* listeners */
  uint32_t conns; /* connections of any kind */
} ip_slot;

/* A station's slot. Its station lives while the slot is LIVE, while anyone
 * holds it (refs: a session, a request under way, an Icecast output) and
 * while any worker holds feeds of it (worker.bound). A reload (reload.c)
 * or worker 0's sweep (a personal one gone idle) ends it: LIVE becomes
 * ENDING, worker 0 hands it to the reaper once nobody holds it, and the
 * reaper (a thread of its own: a station's end waits for its producer)
 * frees it (slot.c). */
enum { P_FREE = 0, P_STARTING, P_LIVE, P_ENDING, P_REAPING /* nobody holds it: the reaper frees it */ };
typedef struct slot {
  _Atomic int state;
  _Atomic uint32_t refs;
  _Atomic uint32_t gen;   /* one more for each station the slot has had */
  uint16_t end_code;      /* set before ENDING: the close code its WebSocket listeners get */
  const char *end_why;    /* and why, in words (static) */
  /* Configured stations: what the config said, for a reload to compare. */
  uint64_t digest;        /* everything but the params a listener may steer */
  lull_params params;
  _Atomic int rank;       /* its place in the config: lists follow it */
  /* Personal stations. */
  char name[24];          /* "p-" and 16 hex digits; set while STARTING */
  char token[33];         /* 128 random bits in hex; never logged */
  char ip[48];            /* the address that started it */
  uint64_t idle_since_ms; /* worker 0's: when its last listener left */
  _Atomic int heard;      /* it has had a listener (set as one registers) */
} slot;

/* Per station, shared by the workers: frames seen and listeners by kind. */
typedef struct station_stats {
  struct lull_server *srv;
  _Atomic uint64_t frames;
  _Atomic uint32_t listeners[LULL_FEED_KINDS];
  _Atomic uint32_t peak[LULL_FEED_KINDS]; /* the most listeners there were at once */
} station_stats;

struct lull_server {
  lull_server_config cfg;
  char bind[64], token[256];
  char tls_cert[1024], tls_key[1024]; /* "": plain HTTP */
  char **origins;
  size_t n_origins;
  char **hosts;       /* --allow-host */
  size_t n_hosts;
  int loopback;       /* bound to a loopback address: the Host is checked */
  struct lull__net {  /* --trusted-proxy: a network */
    int family;       /* AF_INET or AF_INET6 */
    unsigned char addr[16];
    unsigned bits;
  } proxies[LULL_SERVER_MAX_PROXIES];
  size_t n_proxies;
  size_t n_slots;     /* FIRST_PERSONAL + max_personal */
  /* Set before a slot is LIVE, read by those who hold it. */
  lull_station *stations[MAX_SLOTS];
  int steer[MAX_SLOTS]; /* LULL_STEER_OPEN, _TOKEN, _NONE or STEER_PERSONAL: each station's, resolved */
  station_stats sstats[MAX_SLOTS];
  slot slots[MAX_SLOTS];
  pthread_mutex_t slot_lock; /* taking a slot */
  pthread_mutex_t reload_lock; /* one reload at a time, and none once the server stops */
  _Atomic uint64_t personal_started, personal_refused; /* refused: all taken, or the address has enough */
  lull_station_config personal_config; /* the first station's settings, for personal ones (slot_lock) */
  unsigned n_workers;
  worker *workers;
  uint16_t port;
  _Atomic int stopping, started;
  uint64_t start_ms;
  int64_t start_unix; /* the same, as wall-clock seconds (icestats.c) */
  lull_hub_policy policy[LULL_FEED_KINDS];
  pthread_mutex_t ip_lock;
  ip_slot *ips;
  uint32_t ip_mask;
  _Atomic uint32_t listeners;
  _Atomic uint32_t downloads; /* recent.ogg downloads under way */
  lull__artwork_cache artwork; /* the stations' pictures (artwork.c) */
  uint64_t metrics_bytes, metrics_ms; /* at the last metrics line (worker 0 only) */
  _Atomic uint64_t connects, disconnects, rejected, http_requests, messages_in, control_applied, control_refused,
      protocol_closed; /* LULL_SERVER_COUNTERS */
  /* Icecast outputs: a reload changes them under icecast_lock, which the
   * status pages take to read them. */
  pthread_mutex_t icecast_lock;
  size_t n_icecast;
  lull_icecast *icecast[LULL_SERVER_MAX_ICECAST];
  uint16_t icecast_station[LULL_SERVER_MAX_ICECAST]; /* held (slot refs) while the output lives */
  uint64_t icecast_digest[LULL_SERVER_MAX_ICECAST];
  /* The reaper: stations nobody holds any more, freed off the network threads. */
  pthread_t reaper;
  pthread_mutex_t reap_lock;
  pthread_cond_t reap_cond;
  int reap_stop, reaper_running;
  /* The TLS pair a reload names (tls_cert and tls_key keep the first: the
   * network threads read them to know the server speaks TLS). */
  pthread_mutex_t tls_lock;
  char tls_cert_now[1024], tls_key_now[1024];
  _Atomic uint32_t tls_gen; /* one more for each reload: the workers read the pair again */
};

/* The server's own counters (fields of lull_server), each with what it
 * counts: /api/metrics and /metrics list them from here. */
#define LULL_SERVER_COUNTERS(X)                                             \
  X(connects, "Listeners that connected")                                   \
  X(disconnects, "Listeners that left")                                     \
  X(rejected, "Requests and connections refused (limits, origin, token)")   \
  X(http_requests, "HTTP requests")                                         \
  X(messages_in, "WebSocket text messages received")                        \
  X(control_applied, "Param changes accepted")                              \
  X(control_refused, "Param changes refused")                               \
  X(protocol_closed, "WebSocket clients closed for breaking the protocol")

/* What each kind of connection does with the events the worker's callback
 * receives; NULL: nothing to do. */
typedef struct lull__transport {
  int (*writeable)(session *s);                            /* the socket has room */
  int (*receive)(session *s, const void *in, size_t len);  /* bytes of a message or a body */
  int (*complete)(session *s);                             /* a request body is complete */
} lull__transport;
extern const lull__transport lull__ws_transport, lull__http_stream_transport, lull__rest_transport, lull__recent_transport;

extern const char *const lull__feed_names[LULL_FEED_KINDS];

/* server.c: the life cycle and what every file uses. */
uint64_t lull__now_ms(void);
void lull__log(const lull_server *srv, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* What a station's producer calls after each frame (its on_frame), and the
 * log its lines go to; a station the server makes takes both. */
void lull__on_frame(void *user);
void lull__station_log(void *user, int level, const char *message);

/* slot.c: stations by index, held while in use, ended and freed. */
static inline int lull__is_personal(size_t i) { return i >= FIRST_PERSONAL; }
/* Slot i, held if it is LIVE: 1 (then lull__station_put gives it back), or 0. */
int lull__slot_hold(lull_server *srv, size_t i);
/* Any station by name, held: its index (its station then lives at least
 * until lull__station_put), or -1. */
int lull__station_find(lull_server *srv, const char *name);
/* The configured stations live now, held, in the config's order: how many,
 * their indexes in held. lull__stations_put gives them back. */
size_t lull__stations_hold(lull_server *srv, uint16_t held[LULL_SERVER_MAX_STATIONS]);
void lull__stations_put(lull_server *srv, const uint16_t *held, size_t n);
/* A configured station by name, not held (reload.c, which alone ends
 * them, and the server's set-up): its index, or -1. */
int lull__station_index(const lull_server *srv, const char *name);
void lull__station_put(lull_server *srv, int i);
/* The session keeps what lull__station_find gave as s->station, until
 * lull__session_unhold (at its end at the latest). */
void lull__session_hold(session *s, worker *w, int i);
void lull__session_unhold(session *s);
/* A free slot among [from, to) taken (STARTING), or -1. Under slot_lock. */
int lull__slot_take(lull_server *srv, size_t from, size_t to);
/* Slot i (STARTING) gets station st and goes LIVE. */
void lull__slot_live(lull_server *srv, size_t i, lull_station *st, int steer);
/* Slot i (LIVE) ends: its listeners are closed with code and why, and
 * worker 0 frees it once nobody holds it. */
void lull__slot_end(lull_server *srv, size_t i, uint16_t code, const char *why);
/* A listener of slot i registers on w: its feeds, made if w holds none yet
 * (a worker also makes those of the stations there are when it starts).
 * 0, or -1 out of memory. */
int lull__slot_bind(worker *w, size_t i);
/* The worker's sweep: feeds it no longer needs let go (those of personal
 * stations without listeners here, those of ended ones), listeners of ended
 * ones closed; on worker 0 also idle personal ones ended and unheld ones freed. */
void lull__slots_sweep(worker *w, uint64_t now_ms);
/* The reaper's thread: started with the server, stopped before its stations. */
int lull__reaper_start(lull_server *srv);
void lull__reaper_stop(lull_server *srv);
/* Stop and free every station (the server ends). */
void lull__slots_free_all(lull_server *srv);

/* reload.c: configured stations and Icecast outputs, made at create and
 * changed by lull_server_reload. */
/* Station c made, started if the server runs, and live (create only). */
int lull__station_add(lull_server *srv, const lull_station_config *c, lull_diag *diag);
/* An Icecast output made (and started if the server runs). */
int lull__icecast_add(lull_server *srv, const lull_server_icecast *ic, lull_diag *diag);
/* Configured stations live now. */
size_t lull__configured_count(const lull_server *srv);
/* The certificate and key load and match: said here, in words, rather
 * than by libwebsockets half way through making the threads. */
int lull__tls_check(const char *cert, const char *key, lull_diag *diag);

/* personal.c: stations for one listener, made and ended while serving. */
enum { REST_PARAMS = 0, REST_PERSONAL };
/* POST /api/personal: checked now; made once the body (if any) is in. */
int lull__personal_request(session *s, struct lws *wsi, worker *w, int method);
int lull__personal_complete(session *s);
/* Whether given is station i's steering token (the control token, or a
 * personal station's own), compared in constant time. */
int lull__token_valid(const lull_server *srv, size_t i, const char *given);
/* What personal stations are made with, from the first configured
 * station's settings (create, and each reload under slot_lock). */
void lull__personal_config(lull_server *srv, const lull_station_config *first);
/* Worker 0's sweep: personal stations nobody has listened to for their idle time end. */
void lull__personal_idle(lull_server *srv, uint64_t now_ms);
/* Slots in use (starting, playing or ending), for status and metrics. */
uint32_t lull__personal_running(const lull_server *srv);

/* worker.c: a network thread's loop. */
int lull__worker_init(lull_server *srv, worker *w, unsigned idx, lull_diag *diag);
void lull__worker_free(lull_server *srv, worker *w);
void *lull__worker_main(void *arg);

/* session.c: listeners as cursors into their feed. */
/* 0, or -1 when its feed could not be made (its listener place given back). */
int lull__session_register(session *s);
void lull__session_end(session *s, const char *why);
void lull__replies_free(session *s);
int lull__session_policy(session *s, uint64_t t);
/* End a session from the server's side: closed at the next turn of the loop. */
void lull__session_kill(session *s, const char *why);
int lull__stream_write(session *s);
/* The result of a send queued in the wake's batch (uring.h): bytes, or -errno. */
void lull__stream_sent(session *s, int res);
/* For a queued send's result: the run that was queued (its feed, bytes and
 * units, unchanged since), or 0 when res says the socket failed. */
size_t lull__queued_run(session *s, int res, lull_feed **f, const unsigned char **data, uint64_t *units);
/* Send latency: a listener's write of audio was handed to the kernel now;
 * the newest packet in it was published at published_ns. Counted in the
 * worker's histogram of the session's kind once the listener is live (its
 * join burst is as old as the burst asks, not a measure of fan-out).
 * Worker thread; no lock. */
void lull__send_latency(session *s, uint64_t published_ns);
/* The worker's send latency histograms, empty. */
void lull__send_latency_init(worker *w);
int lull__text_append(session *s, const void *in, size_t len);

/* ws.c: the WebSocket protocol and steering. */
/* Close a listener's WebSocket from the server's side with code (and why,
 * if given, as the close frame's words); cut off within 2 s if the frame
 * cannot go out. */
void lull__ws_close(session *s, uint16_t code, const char *why);
int lull__ws_upgrade(struct lws *wsi, worker *w, const char *protocol);
int lull__ws_established(session *s, struct lws *wsi, worker *w);
int lull__steer(lull_server *srv, lull_station *st, const lull_ctl_msg *c, const char *who, int by, lull_diag *d);
const char *lull__steer_code(int err);
/* lws is closing a listener's connection on its own, for a protocol error
 * it found in a frame: the listener is ended (1), before anything more is
 * written. 0 when not. */
int lull__ws_closed_by_lws(session *s);
/* The listener sent a close frame (code and words in payload): it ends now,
 * and lws answers it. */
void lull__ws_peer_closed(session *s, const unsigned char *payload, size_t len);

/* http.c: requests, responses and streams. */
typedef struct query {
  char station[40], codec[8], token[256];
  char bad[64]; /* the first unknown or malformed argument */
} query;
void lull__parse_query(struct lws *wsi, query *q, const char *const *allowed);
int lull__http_request(session *s, struct lws *wsi, worker *w, const char *path);
int lull__respond(struct lws *wsi, unsigned status, const char *type, const void *body, size_t len);
/* The same with an ETag (Cache-Control: no-cache: kept, but asked about each time). */
int lull__respond_tagged(struct lws *wsi, unsigned status, const char *type, const void *body, size_t len,
                         const char *etag);
/* Whether the request's If-None-Match holds etag (or "*"); then answer 304. */
int lull__not_modified(struct lws *wsi, const char *etag);
int lull__respond_not_modified(struct lws *wsi, const char *etag);
int lull__respond_error(struct lws *wsi, unsigned status, const char *code, const char *field, const char *message);
int lull__refuse_listener(struct lws *wsi, lull_server *srv, int status);
int lull__add_header(struct lws *wsi, const char *name, const char *value, unsigned char **p, unsigned char *end);
/* A station named in a request: its index, or -1 with the refusal sent
 * (400 for a malformed name, 404 for an unknown one) and its result in *rc. */
int lull__station_or_refuse(struct lws *wsi, lull_server *srv, const char *name, int *rc);
/* The checks of a POST before its body is read (Host, Origin, a JSON body
 * of at most MAX_TEXT bytes; with empty_ok none at all, or an empty one):
 * 0 with its length in *len, or -1 with the refusal sent (the connection
 * then closes). */
int lull__rest_refused(struct lws *wsi, lull_server *srv, int empty_ok, size_t *len);
/* A REST body, taken out of the session (an answer may free it) into text
 * (MAX_TEXT + 1 bytes): its length, or -1 when it was too large (413 sent,
 * its result in *rc). */
long lull__rest_take(session *s, char *text, int *rc);
int lull__stream_request_ok(struct lws *wsi, lull_server *srv, const query *q, int *station, int *refused);
/* End the streams lws carries that got bytes along with their request (each
 * is asked once, the first time it is writable; the sweep asks again when
 * lws could not tell). */
void lull__http_input_check(worker *w);

/* status.c: status and metrics as JSON, and the log's metrics line;
 * prometheus.c: /metrics. */
typedef struct sbuf {
  char *p;
  size_t len, cap;
} sbuf;
void lull__sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
uint32_t lull__station_listeners(lull_server *srv, size_t i, uint32_t l[LULL_FEED_KINDS]);
/* Station i's "steer":"open|token|none","change":{"by":"listener",
 * "fields":["key"],"ago_ms":1200} (null before any change), no braces.
 * STEER_JSON_BYTES always hold it. */
#define STEER_JSON_BYTES 256
int lull__steer_json(char *out, size_t cap, const lull_server *srv, size_t i, const lull_station_now *now);
/* Station i's face: "title":"..","description":".." (escaped), then its
 * steer JSON as above, no braces, into out: FACE_JSON_BYTES always hold it.
 * snprintf's return. */
#define FACE_JSON_BYTES (2 * 4 * (LULL_STATION_TITLE_MAX + LULL_STATION_DESCRIPTION_MAX) + 64 + STEER_JSON_BYTES)
int lull__face_json(char *out, size_t cap, const lull_server *srv, size_t i, const lull_station_now *now);
void lull__station_json(lull_server *srv, sbuf *b, size_t i);
void lull__status_json(lull_server *srv, sbuf *b);
void lull__stations_json(lull_server *srv, sbuf *b);
void lull__metrics_json(lull_server *srv, sbuf *b);
void lull__metrics_prometheus(lull_server *srv, sbuf *b);
/* The workers' counters, summed (relaxed loads: each exact, not all from one instant). */
typedef struct lull__totals {
  uint64_t bytes, writes, dropped, slow_closed;
} lull__totals;
lull__totals lull__worker_totals(lull_server *srv);
void lull__metrics_line(lull_server *srv);

/* download.c: GET /api/stations/NAME/recent.ogg, the last minutes as a file. */
int lull__recent_request(session *s, struct lws *wsi, worker *w, const char *name, int method);
/* A download's end, complete or not: its copy freed, its place given back. */
void lull__recent_end(session *s, const char *why);

/* artwork.c: GET /api/stations/NAME/artwork.png?size=N, the station's picture. */
int lull__artwork_request(struct lws *wsi, worker *w, const char *name, int method);

/* intake.c: accepting connections and reading their first request. */
void lull__accept_some(worker *w);
/* A connection closed (its descriptor, if the worker holds it) and freed. */
void lull__conn_close(conn *c);
/* libwebsockets frees the wsi of a connection. */
void lull__conn_end(struct lws *wsi);

/* playlist.c: absolute URLs of the streams, /listen.m3u and /listen.pls. */
/* A station's stream as a path: "/NAME.ogg" or "/NAME.mp3" (kind
 * LULL_FEED_OGG or _MP3), the query form for a station called "stream". */
void lull__mount_path(char *out, size_t cap, const char *name, int kind);
/* The server as the client reached it, "SCHEME://HOST" (no slash after),
 * from the request's Host (NULL or "": the address it is bound to), which
 * must pass the host check, and, from a trusted proxy (proxied), the scheme
 * its X-Forwarded-Proto names (else the server's own: https with TLS). 0,
 * or the refusal's status (400 malformed, 403 a host it does not answer to)
 * with the header in *field and the words in *why. */
unsigned lull__base_url(const lull_server *srv, const char *host, const char *proto, int proxied, char *out, size_t cap,
                        const char **field, const char **why);
/* The same from a request libwebsockets carries. */
unsigned lull__request_base_url(struct lws *wsi, lull_server *srv, char *out, size_t cap, const char **field,
                                const char **why);
/* Answer GET /listen.m3u (pls 0) or /listen.pls (1). */
int lull__playlist(struct lws *wsi, lull_server *srv, int pls);

/* icestats.c: GET /status-json.xsl[?mount=/NAME.mp3], Icecast's status JSON. */
int lull__icestats(struct lws *wsi, lull_server *srv);

/* session.c: an ICY listener's next bytes (s->icy set): whole units from
 * its cursor on, as many as the worker's scratch holds with a metadata
 * block put in where one is due, at *out (the scratch, after LWS_PRE). The
 * length, 0 when nothing is pending; *units says how many units it holds. */
size_t lull__icy_chunk(session *s, unsigned char **out, uint64_t *units);

/* direct.c: HTTP streams the worker serves itself. */
/* Whether the request line in head (NUL-terminated) is one for direct.c. */
int lull__direct_wants(const char *head);
/* Answer the request (an error, a HEAD, or a new listener); takes c. */
void lull__direct_start(conn *c);
/* Send what is pending: 0, or -1 when the socket is gone. */
int lull__direct_write(session *s);
/* The result of a send queued in the wake's batch (uring.h): bytes, or -errno. */
void lull__direct_sent(session *s, int res);
/* End and free a direct listener and its connection. */
void lull__direct_end(session *s, const char *why);

/* worker.c: connections. */
conn *lull__conn_of(struct lws *wsi);
/* A request was answered: the next must be complete within request_ms. */
void lull__conn_request_done(struct lws *wsi);
/* The connection became a listener: no deadline. */
void lull__conn_listening(struct lws *wsi);
/* The client's address key (see conn.ip) into out. */
void lull__client_ip(struct lws *wsi, char *out, size_t cap);

/* access.c: listener limits per server and per address, the token, the Origin. */
int lull__conn_check(lull_server *srv, const char *ip);
void lull__conn_release(lull_server *srv, const char *ip);
/* The address key of a peer: IPv4 as is (also when mapped into IPv6), IPv6 by
 * its /64, which one host or household usually holds whole. */
void lull__addr_key(const void *sockaddr, char *out, size_t cap);
/* "ADDR[/BITS]" into a network: 0, or -1 when malformed. */
int lull__net_parse(const char *text, struct lull__net *out);
/* Whether a peer's address is one of the trusted proxies. */
int lull__trusted(const lull_server *srv, const void *sockaddr);
/* The client behind trusted proxies, from the values of X-Forwarded-For and
 * Forwarded (either may be NULL): the address key of the nearest hop no
 * trusted proxy holds, into out; 0 when the headers name none. */
int lull__forwarded_client(const lull_server *srv, const char *xff, const char *forwarded, char *out, size_t cap);
int lull__listener_check(lull_server *srv, const char *ip, int take);
/* The error code of lull__listener_check's refusal (503 or 429), its words in message. */
const char *lull__listener_refusal(const lull_server *srv, int status, char *message, size_t cap);
void lull__listener_release(lull_server *srv, const char *ip);
int lull__token_ok(const lull_server *srv, const char *given);
/* Whether a change to station i may go ahead: shown says whether the
 * client showed a token (a field, a bearer, an earlier message) and valid
 * whether it was the control token. 0 with *by (LULL_BY_OPERATOR with the
 * token, else LULL_BY_LISTENER), or the HTTP status of the refusal with its
 * code and words. */
unsigned lull__steer_check(const lull_server *srv, size_t i, int shown, int valid, int *by, const char **code,
                           const char **message);
/* -1: no Authorization: Bearer; 0: a wrong one; 1: station i's token
 * (lull__token_valid). */
int lull__bearer_state(struct lws *wsi, lull_server *srv, size_t i);
int lull__origin_ok(struct lws *wsi, lull_server *srv);
/* The Host names this server (see lull_server_config.allow_hosts). */
int lull__host_ok(struct lws *wsi, lull_server *srv);
/* The same for a Host header's value. */
int lull__host_name_ok(const lull_server *srv, const char *host);

#endif
