/* GET /api/stations/NAME/recent.ogg?minutes=N: the last N minutes (1..30,
 * default 10) of a station as an Ogg Opus file to keep. The station's
 * packets are copied at once (its recent store, stream.h), then the file is
 * made a chunk of pages at a time as the socket takes them: a download owns
 * its copy and one chunk, whatever the downloader's speed, and holds the
 * network thread only for the copy. At most MAX_DOWNLOADS run at once
 * (their copies are the memory they cost); one that stalls for STALL_S is
 * closed. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "lull/lull.h"
#include "server/conn.h"
#include "stream/stream.h"

#define MAX_DOWNLOADS 4u
#define DEFAULT_MINUTES 10u
#define CHUNK 65536u  /* pages made and handed to lws at a time (a page is at most 64032 bytes) */
#define STALL_S 30    /* a download that takes nothing for this long is closed */

struct download {
  char station[40]; /* its name, for the log: the download holds no station */
  lull_recent_file *file;
  uint64_t size, sent;
  uint64_t since_ms;
  unsigned char buf[LWS_PRE + CHUNK];
};

/* minutes=N: 1..30 in plain decimal digits, nothing else. */
static int parse_minutes(const char *v, unsigned *out) {
  unsigned n = 0;
  if (!*v || strlen(v) > 4) return -1;
  for (const char *c = v; *c; c++) {
    if (*c < '0' || *c > '9') return -1;
    n = n * 10 + (unsigned)(*c - '0');
  }
  *out = n;
  return 0;
}

/* The query: 0 with *minutes set, or the result of the 400 sent. */
static int query_minutes(struct lws *wsi, unsigned *minutes, int *refused) {
  char frag[128];
  *minutes = DEFAULT_MINUTES;
  *refused = 1;
  for (int i = 0; lws_hdr_copy_fragment(wsi, frag, sizeof frag, WSI_TOKEN_HTTP_URI_ARGS, i) > 0; i++) {
    char *eq = strchr(frag, '='), m[200];
    if (eq) *eq = 0;
    if (strcmp(frag, "minutes") != 0) {
      snprintf(m, sizeof m, "unknown query argument \"%.60s\"; recent.ogg takes minutes=1..%u", frag,
               LULL_RECENT_MAX_MINUTES);
      return lull__respond_error(wsi, 400, "bad_request", frag, m);
    }
    const char *v = eq ? eq + 1 : "";
    if (parse_minutes(v, minutes)) {
      snprintf(m, sizeof m, "minutes must be a whole number from 1 to %u, got \"%.40s\"", LULL_RECENT_MAX_MINUTES, v);
      return lull__respond_error(wsi, 400, "bad_request", "minutes", m);
    }
    if (*minutes < 1 || *minutes > LULL_RECENT_MAX_MINUTES) {
      snprintf(m, sizeof m, "minutes must be a whole number from 1 to %u, got %u", LULL_RECENT_MAX_MINUTES, *minutes);
      return lull__respond_error(wsi, 400, "out_of_range", "minutes", m);
    }
  }
  *refused = 0;
  return 0;
}

/* A serial number of its own for each file (RFC 3533: chosen at random). */
static uint32_t fresh_serial(const void *salt) {
  uint32_t v;
  if (getrandom(&v, sizeof v, GRND_NONBLOCK) == (ssize_t)sizeof v) return v;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint32_t)ts.tv_nsec * 2654435761u ^ (uint32_t)(uintptr_t)salt ^ (uint32_t)ts.tv_sec;
}

static void download_free(lull_server *srv, struct download *d) {
  lull__recent_file_free(d->file);
  free(d);
  atomic_fetch_sub(&srv->downloads, 1);
}

void lull__recent_end(session *s, const char *why) {
  if (!s->download) return;
  struct download *d = s->download;
  lull__log(s->w->srv, LULL_LOG_INFO, "download %s recent.ogg station=%s: %llu of %llu bytes in %.1f s (%s)", s->ip,
            d->station, (unsigned long long)d->sent, (unsigned long long)d->size,
            (double)(lull__now_ms() - d->since_ms) / 1000.0, why);
  download_free(s->w->srv, d);
  s->download = NULL;
  s->role = S_NONE;
}

static int start(session *s, struct lws *wsi, worker *w, int i, int method);

int lull__recent_request(session *s, struct lws *wsi, worker *w, const char *name, int method) {
  lull_server *srv = w->srv;
  if (method != LWSHUMETH_GET && method != LWSHUMETH_HEAD)
    return lull__respond_error(wsi, 405, "method_not_allowed", "method", "recent.ogg is read with GET (or HEAD)");
  int rc, i = lull__station_or_refuse(wsi, srv, name, &rc);
  if (i < 0) return rc;
  /* Held only while the file is made from a copy: a download that lasts
   * an hour keeps no station (an ended one's slot) alive. Neither s nor
   * anything in it is read after start: its answer may have freed it. */
  rc = start(s, wsi, w, i, method);
  lull__station_put(srv, i);
  return rc;
}

static int start(session *s, struct lws *wsi, worker *w, int i, int method) {
  lull_server *srv = w->srv;
  lull_station *st = srv->stations[i];
  lull_recent *recent = lull__station_recent(st);
  if (!recent) {
    char m[200];
    snprintf(m, sizeof m, "this server keeps no recent audio of station \"%s\" (lull serve --recent-minutes 1..%u turns "
             "it on; 0 is off)", lull_station_name(st), LULL_RECENT_MAX_MINUTES);
    return lull__respond_error(wsi, 404, "recent_off", "station", m);
  }
  unsigned minutes;
  int refused;
  int rc = query_minutes(wsi, &minutes, &refused);
  if (refused) return rc;
  if (atomic_fetch_add(&srv->downloads, 1) >= MAX_DOWNLOADS) {
    atomic_fetch_sub(&srv->downloads, 1);
    atomic_fetch_add(&srv->rejected, 1);
    char m[96];
    snprintf(m, sizeof m, "at most %u downloads at once; try again in a minute", MAX_DOWNLOADS);
    return lull__respond_error(wsi, 503, "too_many_downloads", "", m);
  }
  struct download *d = calloc(1, sizeof *d);
  lull_recent_copy copy;
  int err = d ? lull__recent_copy(recent, minutes * 60u * 50u, &copy) : LULL_ENOMEM;
  if (!err) {
    lull_station_face face;
    lull_station_get_face(st, &face);
    err = lull__recent_file_open(&copy, face.title, fresh_serial(d), &d->file);
    lull__recent_copy_free(&copy); /* what the file did not take */
  }
  if (err) {
    free(d);
    atomic_fetch_sub(&srv->downloads, 1);
    if (err == LULL_EINVAL)
      return lull__respond_error(wsi, 503, "no_audio_yet", "", "the station has made no audio yet; try again in a second");
    return lull__respond_error(wsi, 503, "out_of_memory", "", "the server has no memory for this download now");
  }
  d->size = lull__recent_file_size(d->file);
  snprintf(d->station, sizeof d->station, "%s", lull_station_name(st));
  d->since_ms = lull__now_ms();
  char seconds[32], disposition[96];
  snprintf(seconds, sizeof seconds, "%.2f", lull__recent_file_seconds(d->file));
  snprintf(disposition, sizeof disposition, "attachment; filename=\"%s-recent.ogg\"", lull_station_name(st));
  unsigned char hdr[LWS_PRE + 1024], *start = hdr + LWS_PRE, *p = start, *end = hdr + sizeof hdr - 1;
  if (lws_add_http_common_headers(wsi, 200, "audio/ogg", d->size, &p, end) ||
      lull__add_header(wsi, "content-disposition:", disposition, &p, end) ||
      lull__add_header(wsi, "x-lull-seconds:", seconds, &p, end) ||
      lull__add_header(wsi, "cache-control:", "no-store", &p, end) ||
      lull__add_header(wsi, "x-content-type-options:", "nosniff", &p, end) ||
      lws_finalize_write_http_header(wsi, start, &p, end)) {
    download_free(srv, d);
    return -1;
  }
  if (method == LWSHUMETH_HEAD) {
    download_free(srv, d);
    lull__conn_request_done(wsi);
    return lws_http_transaction_completed(wsi) ? -1 : 0;
  }
  s->role = S_RECENT;
  s->w = w;
  s->wsi = wsi;
  s->download = d;
  lull__client_ip(wsi, s->ip, sizeof s->ip);
  lull__conn_listening(wsi); /* no request deadline while it downloads; the stall timeout instead */
  lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT, STALL_S);
  lws_callback_on_writable(wsi);
  return 0;
}

/* A chunk of pages each time the socket has taken the last one. */
static int recent_writeable(session *s) {
  struct download *d = s->download;
  if (!d) return 0;
  if (lws_partial_buffered(s->wsi)) return 0; /* lws sends the rest, then asks again */
  size_t n = lull__recent_file_read(d->file, d->buf + LWS_PRE, CHUNK);
  int last = d->sent + n >= d->size;
  if (lws_write(s->wsi, d->buf + LWS_PRE, n, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) < 0) return -1;
  d->sent += n;
  lull__count(&s->w->bytes, n);
  lull__count(&s->w->writes, 1);
  if (!last) {
    lws_set_timeout(s->wsi, PENDING_TIMEOUT_HTTP_CONTENT, STALL_S);
    lws_callback_on_writable(s->wsi);
    return 0;
  }
  struct lws *wsi = s->wsi;
  lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);
  lull__recent_end(s, "complete");
  lull__conn_request_done(wsi);
  return lws_http_transaction_completed(wsi) ? -1 : 0;
}

const lull__transport lull__recent_transport = {.writeable = recent_writeable};
