/* Icecast source output: a station's Ogg/Opus (or MP3) stream pushed to an
 * Icecast server through libshout, from the output's own thread. It never
 * touches the station's listeners: it is one more reader of the station's
 * rings. When Icecast goes away or refuses, it retries with exponential
 * backoff; libshout's queue is bounded (a stuck server is reconnected). */
#ifndef LULL_ICECAST_H
#define LULL_ICECAST_H

#include <stdint.h>

#include "lull/err.h"
#include "lull/log.h"
#include "lull/station.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lull_icecast lull_icecast;

/* All zeroes means the defaults named beside each field. Strings are copied
 * by lull_icecast_create. */
typedef struct lull_icecast_config {
  const char *url;         /* icecast://[USER@]HOST[:PORT]/MOUNT.ogg|.opus|.mp3 (USER "source", PORT 8000) */
  const char *password;    /* the source password; never logged */
  const char *name;        /* stream name; NULL = "lull: STATION" */
  const char *description; /* NULL = "endless ambient music, composed live" */
  const char *genre;       /* NULL = "ambient" */
  uint32_t queue_max;      /* bytes libshout may hold unsent before we reconnect; 0 = 262144 */
  uint32_t retry_max_s;    /* backoff cap; 0 = 60 */
  lull_log_fn log;         /* its lines, from the output's thread; NULL = lull_log_stderr */
  void *log_user;
} lull_icecast_config;

enum { LULL_ICECAST_STOPPED = 0, LULL_ICECAST_CONNECTING, LULL_ICECAST_CONNECTED, LULL_ICECAST_RETRYING };

typedef struct lull_icecast_status {
  int state;              /* LULL_ICECAST_* */
  char url[300];          /* as configured (it holds no password) */
  char last_error[200];   /* "" if none yet */
  uint64_t bytes_sent;    /* handed to libshout and not queued */
  uint64_t connects;      /* successful logins */
  uint64_t failures;      /* failed attempts and lost connections */
  uint64_t skipped_pages; /* pages lost because this output fell behind the ring */
  uint32_t queue_bytes;   /* libshout's queue now */
  double retry_in_s;      /* while retrying: until the next attempt */
} lull_icecast_status;

/* Check an output URL: LULL_OK, or LULL_EINVAL with diag saying what is
 * wrong and what is allowed. Pure; any thread. */
__attribute__((warn_unused_result))
int lull_icecast_check_url(const char *url, lull_diag *diag);

/* Create, not started, for a station that must outlive it. LULL_EINVAL
 * names a bad URL or a missing password in diag; LULL_ENOMEM. Allocates
 * libshout's handle only when the thread connects. Any thread. */
__attribute__((warn_unused_result))
int lull_icecast_create(const lull_icecast_config *config, lull_station *station, lull_icecast **out, lull_diag *diag);

/* Start the output's thread, which connects, sends and retries on its own.
 * LULL_ESTATE if already started, LULL_ENOMEM if the thread could not be
 * made. Not concurrently with stop or destroy. */
__attribute__((warn_unused_result))
int lull_icecast_start(lull_icecast *ic);

/* Stop the thread (within about 100 ms: libshout is non-blocking) and close
 * the connection. Safe when not started; NULL is fine. */
void lull_icecast_stop(lull_icecast *ic);
/* Stop (if running) and free; NULL is fine. */
void lull_icecast_destroy(lull_icecast *ic);

/* A snapshot of the output's state and counters. Any thread, at any time
 * between create and destroy (a short lock, never held while sending). */
void lull_icecast_get_status(lull_icecast *ic, lull_icecast_status *out);

/* "stopped", "connecting", "connected", "retrying"; static text. */
const char *lull_icecast_state_name(int state);

#ifdef __cplusplus
}
#endif
#endif
