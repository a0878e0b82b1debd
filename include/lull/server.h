/* The server: stations streamed live over WebSocket and HTTP, steered by
 * control messages and REST, watched through status and metrics. One or
 * more network threads (one libwebsockets context each, sharing the port)
 * fan each station's packets out to its listeners. */
#ifndef LULL_SERVER_H
#define LULL_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "lull/err.h"
#include "lull/icecast.h"
#include "lull/log.h"
#include "lull/station.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lull_server lull_server;

#define LULL_SERVER_MAX_STATIONS 64 /* stations one server runs */
#define LULL_SERVER_MAX_ICECAST 16  /* Icecast outputs one server runs */
#define LULL_SERVER_MAX_PROXIES 16  /* trusted proxies (networks) */
#define LULL_SERVER_MAX_PERSONAL 64 /* personal stations at once */

/* An Icecast output of one station (see lull/icecast.h); its log goes to
 * the server's log (its own log fields are ignored). */
typedef struct lull_server_icecast {
  const char *station; /* the station's name */
  lull_icecast_config output;
} lull_server_icecast;

/* All zeroes means the defaults named beside each field. Every string and
 * array is copied by lull_server_create: the config may go once it returns. */
typedef struct lull_server_config {
  const char *bind;                 /* address to listen on; NULL = "127.0.0.1" */
  uint16_t port;                    /* 0 = any free port (see lull_server_port) */
  const lull_station_config *stations; /* NULL/0 = one station "main" with default params */
  size_t n_stations;                /* at most 64; names must differ */
  uint32_t threads;                 /* network threads; 0 = one per CPU, at most 8 */
  uint32_t max_clients;             /* listeners in all (WebSocket and HTTP streams); 0 = 10000 */
  uint32_t max_per_ip;              /* listeners from one address (an IPv6 /64 counts as one); 0 = 32 */
  uint32_t max_conns_per_ip;        /* connections of any kind from one address, counted from accept;
                                       0 = 2 × max_per_ip + 16 (pages, REST, a browser's spares) */
  uint32_t request_ms;              /* a request's head and body must be in within this; 0 = 10000 */
  uint32_t packets_per_message;     /* 20 ms packets per WebSocket message; 0 = 3; 1..16 */
  uint32_t burst_ms;                /* recent audio sent at connect; 0 = 300 */
  uint32_t http_write_ms;           /* HTTP stream listeners are written about this often; 0 = 200; 20..1000 */
  uint32_t skip_ms;                 /* further behind than this: skip to the live edge; 0 = 1000 */
  uint32_t drop_ms;                 /* needing skips for this long: disconnect; 0 = 5000 */
  uint32_t sndbuf;                  /* kernel send buffer per listener (bytes); 0 = 16384 */
  uint32_t control_rate;            /* text messages per second per client; 0 = 10 */
  const char *control_token;        /* the operator's; stations whose steer is DEFAULT need it
                                       (NULL or "": anyone may steer them; see lull_station_config.steer) */
  const char *tls_cert, *tls_key;   /* PEM files; both set: the port speaks HTTPS and WSS only */
  const char *const *allow_origins; /* WebSocket origins allowed besides the server's own; "*" = any */
  size_t n_allow_origins;
  const char *const *allow_hosts;   /* bound to a loopback address, steering (WebSocket, POST) is answered
                                       only for a Host of localhost, a loopback address or one of these:
                                       a page of a name that resolves here by DNS rebinding is refused */
  size_t n_allow_hosts;
  const char *const *trusted_proxies; /* "ADDR[/BITS]", IPv4 or IPv6: from these peers only, the client's
                                       address is taken from X-Forwarded-For or Forwarded (the nearest
                                       address no trusted proxy holds), and they are not limited per address */
  size_t n_trusted_proxies;
  int log_level;                    /* LULL_LOG_* (lull/log.h); 0 = errors only (the CLI defaults to info) */
  lull_log_fn log;                  /* every log line, from the network threads and Icecast outputs
                                       (several at once); NULL = lull_log_stderr */
  void *log_user;
  uint32_t metrics_log_s;           /* a metrics line every this many seconds; 0 = 10 */
  const lull_server_icecast *icecast; /* Icecast outputs, started and stopped with the server */
  size_t n_icecast;                 /* at most 16 */
  /* Personal stations (POST /api/personal): composed for one listener with a
   * seed of their own, steered only with the token they were given, ended
   * personal_idle_s after their last listener left. They take the first
   * station's bitrate, lead, ring, recent minutes and dry setting (not its
   * LV2 plugins, day cycle or priority). */
  uint32_t max_personal;            /* at most this many at once, 0..64; 0 = none */
  uint32_t personal_idle_s;         /* 0 = 600; 1..86400 */
} lull_server_config;

/* Validate the config (LULL_EINVAL/LULL_ERANGE name the bad field in diag),
 * check the TLS pair, create the stations and Icecast outputs, and bind the
 * port (LULL_EIO: "address in use" is reported here, not at start). Nothing
 * runs yet. Process-wide side effects: raises the soft limit of open files
 * (RLIMIT_NOFILE) to the hard limit, since every listener is a descriptor,
 * and sets libwebsockets' log level and hook (its lines go to
 * lull_log_stderr). Any thread; *out is NULL on failure. */
__attribute__((warn_unused_result))
int lull_server_create(const lull_server_config *config, lull_server **out, lull_diag *diag);

/* Start the stations' producers, the network threads and the Icecast
 * outputs. LULL_ESTATE if already started, LULL_ENOMEM if a thread could
 * not be made (then nothing runs). Any thread, but not concurrently with
 * stop or destroy. */
__attribute__((warn_unused_result))
int lull_server_start(lull_server *srv);

/* Graceful stop: WebSocket listeners get close 1001 (going away), streams
 * end, then the network threads, Icecast outputs and stations stop. Blocks
 * until they have (about 300 ms at most for the listeners). Safe on a
 * server that is not running; any thread but a network thread. */
void lull_server_stop(lull_server *srv);

/* Stop (if running) and free everything; NULL is fine. */
void lull_server_destroy(lull_server *srv);

/* The port listened on (the one the kernel chose when the config said 0).
 * Any thread. */
uint16_t lull_server_port(const lull_server *srv);

/* A configured station by name, NULL if there is none; it lives until the server is
 * destroyed or a reload ends it. Any thread (its lull_station_* calls say
 * which are thread-safe). */
lull_station *lull_server_station(lull_server *srv, const char *name);

/* Apply a new config while serving, without dropping the listeners of the
 * stations it leaves as they are. Of config, only these are read:
 * - stations: a new one starts; one left out ends (its listeners are
 *   closed with 1001); one whose params (key, mode, bpm, intensity,
 *   palette) or title and description alone changed is steered there by
 *   the operator and given its new face, its listeners kept; one with any
 *   other change (seed, steer, plugins, bitrate, ...) starts anew and the old ends with 1012 (service restart), which
 *   players answer by reconnecting to the new one;
 * - icecast: outputs that changed, or whose station ended or restarted,
 *   stop; new ones start; the others go on;
 * - tls_cert, tls_key: read again (a renewal, at the same paths or new
 *   ones) for the connections that come next. TLS cannot be turned on or
 *   off (LULL_EINVAL).
 * The other fields take effect only at a restart. Everything that can fail
 * (the checks, the new stations, the TLS pair) is done first: on an error
 * (diag names it) nothing has changed. Any thread but a network thread;
 * one reload at a time. */
__attribute__((warn_unused_result))
int lull_server_reload(lull_server *srv, const lull_server_config *config, lull_diag *diag);

#ifdef __cplusplus
}
#endif
#endif
