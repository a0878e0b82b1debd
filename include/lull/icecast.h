/* Icecast source output: a station's Ogg/Opus (or MP3) stream pushed to an
 * Icecast server through libshout, from the output's own thread. It never
 * touches the station's listeners: it is one more reader of the station's
 * rings. When Icecast goes away or refuses, it retries with exponential
 * backoff; libshout's queue is bounded (a stuck server is reconnected). */
#ifndef LULL_ICECAST_H
#define LULL_ICECAST_H

#include <stdint.h>

#include "lull/err.h"
#include "lull/station.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lull_icecast lull_icecast;

/* All zeroes means the defaults named beside each field. */
typedef struct lull_icecast_config {
  const char *url;         /* icecast://[USER@]HOST[:PORT]/MOUNT.ogg|.opus|.mp3 (USER "source", PORT 8000) */
  const char *password;    /* the source password; never logged */
  const char *name;        /* stream name; NULL = "lull: STATION" */
  const char *description; /* NULL = "endless ambient music, composed live" */
  const char *genre;       /* NULL = "ambient" */
  uint32_t queue_max;      /* bytes libshout may hold unsent before we reconnect; 0 = 262144 */
  uint32_t retry_max_s;    /* backoff cap; 0 = 60 */
  /* Where to log (any thread; NULL = nowhere): level LULL_LOG_* (err.h). */
  void (*log)(void *user, int level, const char *message);
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
 * wrong and what is allowed. */
__attribute__((warn_unused_result))
int lull_icecast_check_url(const char *url, lull_diag *diag);

/* Create (not started) for a station that outlives it. */
__attribute__((warn_unused_result))
int lull_icecast_create(const lull_icecast_config *config, lull_station *station, lull_icecast **out, lull_diag *diag);

/* Start the output thread. */
__attribute__((warn_unused_result))
int lull_icecast_start(lull_icecast *ic);

/* Stop the thread (within ~100 ms) and close the connection; NULL is fine. */
void lull_icecast_stop(lull_icecast *ic);
void lull_icecast_destroy(lull_icecast *ic);

/* A snapshot; any thread. */
void lull_icecast_get_status(lull_icecast *ic, lull_icecast_status *out);

const char *lull_icecast_state_name(int state);

#ifdef __cplusplus
}
#endif
#endif
