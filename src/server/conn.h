/* The network side's private types, shared by the server's files: the
 * server object, its workers (one network thread each) and their sessions
 * (one per connection). Each file of src/server/ owns one concern of them:
 * server.c the life cycle, worker.c the loop, session.c feeds and listeners,
 * ws.c WebSocket, http.c HTTP, status.c status and metrics text, access.c
 * limits and who may do what. Only the worker that owns a session touches it. */
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
#include "server/hub.h"
#include "server/server_int.h"

#define MAX_WORKERS 8
#define MAX_TEXT 4096       /* a client's message, a REST body */
#define MAX_REPLIES 32      /* text replies queued for one client (more than a second's rate) */
#define RUN_BYTES 65536     /* one send at most */
#define SWEEP_MS 250

/* A session's role: what its connection turned out to be. */
enum { S_NONE = 0, S_WS, S_HTTP_STREAM, S_REST };

/* A text message queued for a WebSocket client. */
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
  int stop_seen;
  size_t sessions;
  _Atomic uint64_t bytes, writes, dropped, slow_closed;
  unsigned char scratch[LWS_PRE + 8192];
} worker;

/* Listeners from one address (a slot of the open-addressing table). */
typedef struct ip_slot {
  char ip[48];
  uint32_t n;
} ip_slot;

/* Per station, shared by the workers: frames seen and listeners by kind. */
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
  lull_station *stations[LULL_SERVER_MAX_STATIONS];
  station_stats sstats[LULL_SERVER_MAX_STATIONS];
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
  lull_icecast *icecast[LULL_SERVER_MAX_ICECAST];
  uint16_t icecast_station[LULL_SERVER_MAX_ICECAST];
};

/* What each kind of connection does with the events the worker's callback
 * receives; NULL: nothing to do. */
typedef struct lull__transport {
  int (*writeable)(session *s);                            /* the socket has room */
  int (*receive)(session *s, const void *in, size_t len);  /* bytes of a message or a body */
  int (*complete)(session *s);                             /* a request body is complete */
} lull__transport;
extern const lull__transport lull__ws_transport, lull__http_stream_transport, lull__rest_transport;

extern const char *const lull__feed_names[LULL_FEED_KINDS];

/* server.c: the life cycle and what every file uses. */
uint64_t lull__now_ms(void);
void lull__log(const lull_server *srv, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int lull__station_index(const lull_server *srv, const char *name);

/* worker.c: a network thread's loop. */
int lull__worker_init(lull_server *srv, worker *w, unsigned idx, lull_diag *diag);
void lull__worker_free(lull_server *srv, worker *w);
void *lull__worker_main(void *arg);

/* session.c: listeners as cursors into their feed. */
void lull__session_register(session *s);
void lull__session_end(session *s, const char *why);
void lull__replies_free(session *s);
int lull__session_policy(session *s, uint64_t t);
int lull__stream_write(session *s);
int lull__text_append(session *s, const void *in, size_t len);

/* ws.c: the WebSocket protocol and steering. */
int lull__ws_upgrade(struct lws *wsi, worker *w, const char *protocol);
int lull__ws_established(session *s, struct lws *wsi, worker *w);
int lull__steer(lull_server *srv, lull_station *st, const lull_ctl_msg *c, const char *who, const char *text, size_t len,
                lull_diag *d);
const char *lull__steer_code(int err);

/* http.c: requests, responses and streams. */
typedef struct query {
  char station[40], codec[8], token[256];
  char bad[64]; /* the first unknown or malformed argument */
} query;
void lull__parse_query(struct lws *wsi, query *q, const char *const *allowed);
int lull__http_request(session *s, struct lws *wsi, worker *w, const char *path);
int lull__respond(struct lws *wsi, unsigned status, const char *type, const void *body, size_t len);
int lull__respond_error(struct lws *wsi, unsigned status, const char *code, const char *field, const char *message);
int lull__refuse_listener(struct lws *wsi, lull_server *srv, int status);
int lull__stream_request_ok(struct lws *wsi, lull_server *srv, const query *q, int *station, int *refused);

/* status.c: status and metrics as JSON and Prometheus text, and the log's metrics line. */
typedef struct sbuf {
  char *p;
  size_t len, cap;
} sbuf;
void lull__sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
uint32_t lull__station_listeners(lull_server *srv, size_t i, uint32_t l[LULL_FEED_KINDS]);
void lull__station_json(lull_server *srv, sbuf *b, size_t i);
void lull__status_json(lull_server *srv, sbuf *b);
void lull__stations_json(lull_server *srv, sbuf *b);
void lull__metrics_json(lull_server *srv, sbuf *b);
void lull__metrics_prometheus(lull_server *srv, sbuf *b);
void lull__metrics_line(lull_server *srv);

/* access.c: listener limits per server and per address, the token, the Origin. */
int lull__listener_check(lull_server *srv, const char *ip, int take);
void lull__listener_release(lull_server *srv, const char *ip);
int lull__token_ok(const lull_server *srv, const char *given);
int lull__bearer_ok(struct lws *wsi, lull_server *srv);
int lull__origin_ok(struct lws *wsi, lull_server *srv);

#endif
