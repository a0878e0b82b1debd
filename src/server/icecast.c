/* Icecast source output (see lull/icecast.h). One thread per output: it
 * logs in with libshout (non-blocking, so stopping never waits on a dead
 * server), sends the Ogg header, then every page from the live edge as the
 * station publishes it. The station is never slowed: this is one more
 * reader of its ring, and one that falls behind skips ahead. */
#include "lull/icecast.h"

#include <pthread.h>
#include <shout/shout.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lull/lull.h"
#include "server/icecast_url.h"
#include "server/icy.h"
#include "stream/stream.h"

#define POLL_NS 20000000L   /* a frame: the station publishes no faster */
#define CONNECT_TIMEOUT_S 10

struct lull_icecast {
  lull_icecast_config cfg;
  char *password, *name, *description, *genre, *url;
  lull_icecast_target t;
  lull_station *st;
  pthread_t thread;
  int started;
  _Atomic int stop;
  pthread_mutex_t lock; /* guards status */
  lull_icecast_status status;
};

const char *lull_icecast_state_name(int state) {
  switch (state) {
  case LULL_ICECAST_CONNECTING: return "connecting";
  case LULL_ICECAST_CONNECTED: return "connected";
  case LULL_ICECAST_RETRYING: return "retrying";
  default: return "stopped";
  }
}

/* ---- lifecycle --------------------------------------------------------------- */

static char *dup_or(const char *s, const char *dflt) { return strdup(s ? s : dflt); }

static pthread_once_t shout_once = PTHREAD_ONCE_INIT;
static void init_shout(void) { shout_init(); } /* once, before any thread uses libshout */

int lull_icecast_create(const lull_icecast_config *config, lull_station *station, lull_icecast **out, lull_diag *diag) {
  *out = NULL;
  if (!config || !station) return lull_diag_set(diag, LULL_EINVAL, "config", "needs a config and a station");
  pthread_once(&shout_once, init_shout);
  lull_icecast *ic = calloc(1, sizeof *ic);
  if (!ic) return LULL_ENOMEM;
  int err = lull__icecast_url_parse(config->url, &ic->t, diag);
  if (err) {
    free(ic);
    return err;
  }
  if (!config->password || !config->password[0]) {
    free(ic);
    return lull_diag_set(diag, LULL_EINVAL, "password", "an Icecast output needs the source password");
  }
  char name[80];
  snprintf(name, sizeof name, "lull: %s", lull_station_name(station));
  ic->cfg = *config;
  ic->st = station;
  ic->url = strdup(config->url);
  ic->password = strdup(config->password);
  ic->name = dup_or(config->name, name);
  ic->description = dup_or(config->description, LULL_ICY_DESCRIPTION);
  ic->genre = dup_or(config->genre, LULL_ICY_GENRE);
  if (!ic->cfg.queue_max) ic->cfg.queue_max = 256 * 1024;
  if (!ic->cfg.retry_max_s) ic->cfg.retry_max_s = 60;
  if (!ic->cfg.log) ic->cfg.log = lull_log_stderr;
  pthread_mutex_init(&ic->lock, NULL);
  snprintf(ic->status.url, sizeof ic->status.url, "%s", config->url);
  if (!ic->url || !ic->password || !ic->name || !ic->description || !ic->genre) {
    lull_icecast_destroy(ic);
    return LULL_ENOMEM;
  }
  *out = ic;
  return LULL_OK;
}

static void *run(void *arg);

int lull_icecast_start(lull_icecast *ic) {
  if (ic->started) return LULL_ESTATE;
  atomic_store(&ic->stop, 0);
  if (ic->t.mp3) lull__station_mp3_listeners(ic->st, 1); /* the station encodes MP3 only for someone */
  if (pthread_create(&ic->thread, NULL, run, ic)) {
    if (ic->t.mp3) lull__station_mp3_listeners(ic->st, -1);
    return LULL_ENOMEM;
  }
  ic->started = 1;
  return LULL_OK;
}

void lull_icecast_stop(lull_icecast *ic) {
  if (!ic || !ic->started) return;
  atomic_store(&ic->stop, 1);
  pthread_join(ic->thread, NULL);
  ic->started = 0;
  if (ic->t.mp3) lull__station_mp3_listeners(ic->st, -1);
  pthread_mutex_lock(&ic->lock);
  ic->status.state = LULL_ICECAST_STOPPED;
  ic->status.queue_bytes = 0;
  pthread_mutex_unlock(&ic->lock);
}

void lull_icecast_destroy(lull_icecast *ic) {
  if (!ic) return;
  lull_icecast_stop(ic);
  if (ic->password) memset(ic->password, 0, strlen(ic->password));
  free(ic->password);
  free(ic->url);
  free(ic->name);
  free(ic->description);
  free(ic->genre);
  pthread_mutex_destroy(&ic->lock);
  free(ic);
}

void lull_icecast_get_status(lull_icecast *ic, lull_icecast_status *out) {
  pthread_mutex_lock(&ic->lock);
  *out = ic->status;
  pthread_mutex_unlock(&ic->lock);
}

/* ---- the thread ---------------------------------------------------------------- */

static void say(lull_icecast *ic, int level, const char *fmt, ...) {
  char m[512];
  int n = snprintf(m, sizeof m, "icecast %s -> %s: ", lull_station_name(ic->st), ic->url);
  if (n < 0 || n >= (int)sizeof m - 1) n = (int)sizeof m - 1; /* a long URL: the prefix alone, cut */
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(m + n, sizeof m - (size_t)n, fmt, ap);
  va_end(ap);
  ic->cfg.log(ic->cfg.log_user, level, m);
}

static void set_state(lull_icecast *ic, int state, const char *error, double retry_in) {
  pthread_mutex_lock(&ic->lock);
  ic->status.state = state;
  if (error) snprintf(ic->status.last_error, sizeof ic->status.last_error, "%s", error);
  ic->status.retry_in_s = retry_in;
  if (state != LULL_ICECAST_CONNECTED) ic->status.queue_bytes = 0;
  pthread_mutex_unlock(&ic->lock);
}

static void nap(void) {
  struct timespec ts = {0, POLL_NS};
  nanosleep(&ts, NULL);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* What went wrong, in words a station operator can act on. */
static void describe(shout_t *sh, int rc, char *out, size_t cap) {
  const char *lib = shout_get_error(sh);
  switch (rc) {
  case SHOUTERR_NOLOGIN:
    snprintf(out, cap, "login refused: wrong user or password, or the mount is in use by another source (libshout: %s)", lib);
    break;
  case SHOUTERR_NOCONNECT:
    snprintf(out, cap, "cannot connect: is Icecast running there? (libshout: %s)", lib);
    break;
  case SHOUTERR_SOCKET:
    snprintf(out, cap, "connection lost (libshout: %s)", lib);
    break;
  default:
    snprintf(out, cap, "libshout error %d: %s", rc, lib);
  }
}

static shout_t *make(lull_icecast *ic) {
  shout_t *sh = shout_new();
  if (!sh) return NULL;
  char bitrate[16];
  snprintf(bitrate, sizeof bitrate, "%u", ic->t.mp3 ? 128u : 96u);
  if (shout_set_host(sh, ic->t.host) || shout_set_port(sh, (unsigned short)ic->t.port) ||
      shout_set_user(sh, ic->t.user) || shout_set_password(sh, ic->password) || shout_set_mount(sh, ic->t.mount) ||
      shout_set_protocol(sh, SHOUT_PROTOCOL_HTTP) ||
      shout_set_content_format(sh, ic->t.mp3 ? SHOUT_FORMAT_MP3 : SHOUT_FORMAT_OGG, SHOUT_USAGE_AUDIO, NULL) ||
      shout_set_meta(sh, SHOUT_META_NAME, ic->name) || shout_set_meta(sh, SHOUT_META_DESCRIPTION, ic->description) ||
      shout_set_meta(sh, SHOUT_META_GENRE, ic->genre) || shout_set_audio_info(sh, SHOUT_AI_BITRATE, bitrate) ||
      shout_set_audio_info(sh, SHOUT_AI_SAMPLERATE, "48000") || shout_set_audio_info(sh, SHOUT_AI_CHANNELS, "2") ||
      shout_set_agent(sh, "lull/" LULL_VERSION) || shout_set_nonblocking(sh, 1)) {
    shout_free(sh);
    return NULL;
  }
  (void)shout_set_public(sh, 0); /* not listed in directories unless the operator says so */
  return sh;
}

/* Log in: SHOUTERR_SUCCESS, or the error (err filled). */
static int login(lull_icecast *ic, shout_t *sh, char *err, size_t cap) {
  int rc = shout_open(sh);
  double deadline = now_s() + CONNECT_TIMEOUT_S;
  while (rc == SHOUTERR_BUSY && !atomic_load(&ic->stop)) {
    if (now_s() > deadline) {
      snprintf(err, cap, "no answer within %d s", CONNECT_TIMEOUT_S);
      return SHOUTERR_NOCONNECT;
    }
    nap();
    rc = shout_get_connected(sh);
  }
  if (rc == SHOUTERR_CONNECTED) rc = SHOUTERR_SUCCESS;
  if (rc != SHOUTERR_SUCCESS) describe(sh, rc, err, cap);
  return rc;
}

static int send_bytes(lull_icecast *ic, shout_t *sh, const unsigned char *p, size_t len, char *err, size_t cap) {
  ssize_t n = shout_send_raw(sh, p, len);
  if (n < 0) {
    int code = shout_get_errno(sh);
    describe(sh, code < 0 ? code : SHOUTERR_SOCKET, err, cap);
    return -1;
  }
  pthread_mutex_lock(&ic->lock);
  ic->status.bytes_sent += len;
  pthread_mutex_unlock(&ic->lock);
  return 0;
}

/* An MP3 mount's now-playing title (Icecast's "song"), when the music has
 * moved since the last one sent (title: that one). libshout sends it to
 * Icecast's admin/metadata on a connection of its own, waiting for the
 * answer: a failure is logged once and the stream goes on (Ogg mounts keep
 * their tags: changing them mid-stream breaks players). */
static void update_title(lull_icecast *ic, shout_t *sh, char *title, size_t cap, int *failed) {
  char now[LULL_ICY_TITLE_MAX];
  lull__icy_station_title(ic->st, now, sizeof now);
  if (strcmp(now, title) == 0) return;
  snprintf(title, cap, "%s", now);
  shout_metadata_t *md = shout_metadata_new();
  int rc = md ? shout_metadata_add(md, "song", now) : SHOUTERR_MALLOC;
  if (rc == SHOUTERR_SUCCESS) rc = shout_set_metadata_utf8(sh, md);
  if (md) shout_metadata_free(md);
  if (rc != SHOUTERR_SUCCESS && !*failed) say(ic, LULL_LOG_WARN, "could not set the title: %s", shout_get_error(sh));
  *failed = rc != SHOUTERR_SUCCESS;
}

/* Stream until stopped or an error (err filled, -1). */
static int stream(lull_icecast *ic, shout_t *sh, char *err, size_t cap) {
  lull_ring *ring = ic->t.mp3 ? lull__station_mp3(ic->st) : lull__station_pages(ic->st);
  unsigned char *copy = malloc(ring->slot_bytes);
  if (!copy) {
    snprintf(err, cap, "out of memory");
    return -1;
  }
  int rc = 0;
  if (!ic->t.mp3) {
    uint32_t hlen = 0;
    const unsigned char *h = NULL;
    while (!atomic_load(&ic->stop) && !(h = lull__station_ogg_header(ic->st, &hlen))) nap();
    if (h && send_bytes(ic, sh, h, hlen, err, cap)) rc = -1;
  }
  uint64_t next = lull__ring_head(ring);
  char title[LULL_ICY_TITLE_MAX] = "";
  int title_failed = 0;
  while (!rc && !atomic_load(&ic->stop)) {
    if (ic->t.mp3) update_title(ic, sh, title, sizeof title, &title_failed);
    const lull_ring_slot *s;
    uint64_t lost = 0;
    int got;
    while (!rc && (got = lull__ring_get(ring, next, &s, &lost)) != LULL_EAGAIN) {
      if (got == LULL_OK) {
        /* Read once and bounded (copy holds slot_bytes): a length past
         * that is a rewrite seen mid-way, torn like the check below. */
        uint32_t len = lull__slot_len(s);
        if (len <= ring->slot_bytes) memcpy(copy, s->data, len);
        if (lull__ring_intact(ring, s, next) && len <= ring->slot_bytes) {
          rc = send_bytes(ic, sh, copy, len, err, cap);
          next++;
          continue;
        }
      }
      /* Fell behind (a stalled thread): on from the live edge. */
      uint64_t head = lull__ring_head(ring);
      pthread_mutex_lock(&ic->lock);
      ic->status.skipped_pages += head - next;
      pthread_mutex_unlock(&ic->lock);
      next = head;
    }
    if (rc) break;
    ssize_t q = shout_queuelen(sh);
    pthread_mutex_lock(&ic->lock);
    ic->status.queue_bytes = q > 0 ? (uint32_t)q : 0;
    pthread_mutex_unlock(&ic->lock);
    if (q > (ssize_t)ic->cfg.queue_max) {
      snprintf(err, cap, "Icecast is not keeping up: %zd KiB unsent (the limit is %u KiB)", q / 1024, ic->cfg.queue_max / 1024);
      rc = -1;
      break;
    }
    nap();
  }
  free(copy);
  return rc;
}

/* Wait out the backoff, showing the time left; returns early on stop. */
static void back_off(lull_icecast *ic, double seconds, const char *err) {
  double end = now_s() + seconds;
  for (double t; !atomic_load(&ic->stop) && (t = now_s()) < end; nap()) set_state(ic, LULL_ICECAST_RETRYING, err, end - t);
}

static void *run(void *arg) {
  lull_icecast *ic = arg;
  double backoff = 1;
  char err[200];
  /* One handle for the output's life, closed and opened again on every
   * retry: libshout 2.4's shout_free returns early, freeing nothing, on a
   * handle that is not connected, so a handle per attempt would leak each
   * time. This way it leaks once, at exit. */
  shout_t *sh = NULL;
  while (!atomic_load(&ic->stop)) {
    set_state(ic, LULL_ICECAST_CONNECTING, NULL, 0);
    if (!sh && !(sh = make(ic))) {
      snprintf(err, sizeof err, "could not set up libshout (out of memory?)");
    } else if (login(ic, sh, err, sizeof err) == SHOUTERR_SUCCESS) {
      pthread_mutex_lock(&ic->lock);
      ic->status.connects++;
      pthread_mutex_unlock(&ic->lock);
      set_state(ic, LULL_ICECAST_CONNECTED, NULL, 0);
      say(ic, LULL_LOG_INFO, "connected");
      double since = now_s();
      int rc = stream(ic, sh, err, sizeof err);
      (void)shout_close(sh);
      if (rc == 0) break; /* stopped */
      if (now_s() - since > 30) backoff = 1; /* it worked for a while: start the backoff over */
    } else {
      (void)shout_close(sh);
    }
    if (atomic_load(&ic->stop)) break;
    pthread_mutex_lock(&ic->lock);
    ic->status.failures++;
    pthread_mutex_unlock(&ic->lock);
    say(ic, LULL_LOG_ERROR, "%s; retrying in %.0f s", err, backoff);
    back_off(ic, backoff, err);
    backoff = backoff * 2 > ic->cfg.retry_max_s ? ic->cfg.retry_max_s : backoff * 2;
  }
  shout_free(sh);
  set_state(ic, LULL_ICECAST_STOPPED, NULL, 0);
  return NULL;
}
