/* HTTP stream listeners the worker serves itself, on plain HTTP: the request
 * head (read by intake.c) is answered here, then the feed's bytes are sent
 * with send() straight from the feed's log. libwebsockets never sees these
 * connections, so nothing keeps a socket that its peer has left: the worker
 * watches it for a hang-up (EPOLLRDHUP, edge-triggered: stray bytes from
 * the client never wake it), and for writability only while the kernel's
 * buffer is full. A unit sent in part is finished before the lag policy may
 * skip, so a listener never gets half an Ogg page followed by another. */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lull/lull.h"
#include "server/conn.h"
#include "server/icy.h"
#include "server/request.h"
#include "server/uring.h"
#include "stream/stream.h"

int lull__direct_wants(const char *head) {
  lull_direct_req r;
  return lull__direct_parse(head, strlen(head), &r) >= 0;
}

/* The value of a header in a request head (NUL-terminated), without the
 * spaces around it, into out; 0 when it is not there. Names compare
 * without case. */
static int header_value(const char *head, const char *name, char *out, size_t cap) {
  size_t n = strlen(name);
  for (const char *p = strstr(head, "\r\n"); p && p[2] && !(p[2] == '\r' && p[3] == '\n'); p = strstr(p + 2, "\r\n")) {
    const char *line = p + 2;
    if (strncasecmp(line, name, n) == 0 && line[n] == ':') {
      const char *v = line + n + 1;
      v += strspn(v, " \t"); /* the spaces around a value are no part of it */
      size_t len = strcspn(v, "\r\n");
      while (len && (v[len - 1] == ' ' || v[len - 1] == '\t')) len--;
      snprintf(out, cap, "%.*s", (int)len, v);
      return 1;
    }
  }
  return 0;
}

/* An answer that ends the connection: the head (and a JSON error), sent in
 * one call on a socket whose buffer is empty, then closed. */
static void answer_and_close(conn *c, unsigned status, const char *reason, const char *code, const char *field,
                             const char *message) {
  char body[900], msg[1200];
  int b = 0;
  if (code) {
    char inner[800];
    int n = lull__error_json(inner, sizeof inner, code, field, message);
    inner[n < (int)sizeof inner ? n : (int)sizeof inner - 1] = 0;
    b = snprintf(body, sizeof body, "{\"error\":%s}\n", inner);
  }
  int m = snprintf(msg, sizeof msg,
                   "HTTP/1.1 %u %s\r\nserver: lull\r\ncontent-type: application/json\r\ncontent-length: %d\r\n"
                   "cache-control: no-store\r\nx-content-type-options: nosniff\r\nconnection: close\r\n\r\n%s",
                   status, reason, b, code ? body : "");
  (void)!send(c->fd, msg, (size_t)(m < (int)sizeof msg ? m : (int)sizeof msg - 1), MSG_NOSIGNAL | MSG_DONTWAIT);
  if (status >= 400) atomic_fetch_add(&c->w->srv->rejected, 1);
  lull__conn_close(c);
}

/* The station the request names: its index, or -1 with the refusal sent. */
static int request_station(conn *c, const char *name) {
  int i = lull__station_find(c->w->srv, name);
  if (i < 0) {
    char m[128];
    snprintf(m, sizeof m, "no station \"%.32s\" (GET /api/stations lists them; a personal one ends when idle)", name);
    answer_and_close(c, 404, "Not Found", "unknown_station", "station", m);
  }
  return i;
}

static void writable(struct ev_loop *loop, ev_io *io, int revents) {
  (void)loop;
  (void)revents;
  session *s = io->data;
  ev_io_stop(s->w->loop, &s->wio);
  if (lull__direct_write(s)) lull__direct_end(s, "send failed");
}

void lull__direct_start(conn *c) {
  worker *w = c->w;
  lull_server *srv = w->srv;
  atomic_fetch_add(&srv->http_requests, 1);
  lull_direct_req r;
  int rc = lull__direct_parse(c->head, c->head_len, &r);
  if (rc < 0) {
    answer_and_close(c, r.status, r.reason, r.code, r.field, r.message);
    return;
  }
  int is_head = r.is_head, kind = r.kind;
  lull__log(srv, LULL_LOG_DEBUG, "http %s %.*s", is_head ? "HEAD" : "GET", (int)strcspn(c->head + (is_head ? 5 : 4), " \r\n"),
            c->head + (is_head ? 5 : 4));
  if (rc) {
    answer_and_close(c, r.status, r.reason, r.code, r.field, r.message);
    return;
  }
  int station = request_station(c, r.station);
  if (station < 0) return;
  char client[48];
  snprintf(client, sizeof client, "%s", c->ip);
  if (c->proxied) {
    char xff[512] = "", fwd[512] = "";
    header_value(c->head, "x-forwarded-for", xff, sizeof xff);
    header_value(c->head, "forwarded", fwd, sizeof fwd);
    lull__forwarded_client(srv, xff, fwd, client, sizeof client);
  }
  int status = is_head ? 0 : lull__listener_check(srv, client, 1);
  if (status) {
    lull__station_put(srv, station);
    char m[96];
    const char *code = lull__listener_refusal(srv, status, m, sizeof m);
    answer_and_close(c, (unsigned)status, status == 503 ? "Service Unavailable" : "Too Many Requests", code, "", m);
    return;
  }
  /* The icy-* headers: icy-url as the client reached the server (left out
   * when its Host is one the server would refuse); icy-metaint for an MP3
   * listener that asked for metadata. */
  char host[300] = "", proto[64] = "", base[320] = "", icy[1600], want[16] = "";
  const char *field, *why;
  header_value(c->head, "host", host, sizeof host);
  if (c->proxied) header_value(c->head, "x-forwarded-proto", proto, sizeof proto);
  if (lull__base_url(srv, host, proto, c->proxied, base, sizeof base, &field, &why)) base[0] = 0;
  lull__icy_headers(icy, sizeof icy, srv->stations[station], kind, base);
  int meta = kind == LULL_FEED_MP3 && header_value(c->head, "icy-metadata", want, sizeof want) && lull__icy_wants(want);
  char head[2048];
  int n = snprintf(head, sizeof head,
                   "HTTP/1.1 200 OK\r\nserver: lull\r\ncontent-type: %s\r\ncache-control: no-store\r\n"
                   "x-content-type-options: nosniff\r\nconnection: close\r\n%s%s\r\n",
                   kind == LULL_FEED_OGG ? "audio/ogg" : "audio/mpeg", icy, meta ? "icy-metaint: 16000\r\n" : "");
  _Static_assert(LULL_ICY_METAINT == 16000, "the header says so");
  if (n >= (int)sizeof head) n = (int)sizeof head - 1; /* cannot happen: titles and descriptions are bounded */
  if (is_head) { /* the headers GET would send; a HEAD is no listener */
    lull__station_put(srv, station);
    (void)!send(c->fd, head, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
    lull__conn_close(c);
    return;
  }
  session *s = calloc(1, sizeof *s);
  if (!s || !(s->pre = malloc((size_t)n)) || (meta && !(s->icy = malloc(sizeof *s->icy)))) {
    if (s) free(s->pre);
    free(s);
    lull__station_put(srv, station);
    lull__listener_release(srv, client);
    lull__conn_close(c);
    return;
  }
  memcpy(s->pre, head, (size_t)n);
  if (meta) lull__icy_init(s->icy);
  s->pre_len = (uint32_t)n;
  ev_timer_stop(w->loop, &c->retry);
  free(c->head);
  c->head = NULL;
  c->direct = s;
  s->c = c;
  s->fd = c->fd;
  s->w = w;
  s->role = S_DIRECT;
  lull__session_hold(s, w, station);
  s->kind = (uint8_t)kind;
  s->header_sent = kind != LULL_FEED_OGG;
  snprintf(s->ip, sizeof s->ip, "%s", client);
  ev_io_init(&s->wio, writable, s->fd, EV_WRITE);
  s->wio.data = s;
  c->deadline_ms = 0;
  if (lull__session_register(s)) {
    lull__direct_end(s, "out of memory");
    return;
  }
  if (lull__direct_write(s)) lull__direct_end(s, "send failed");
}

/* n bytes went out: counted (and in the send latency when they were a
 * feed's, published_ns != 0). */
static void took(session *s, uint32_t n, uint64_t published_ns) {
  if (published_ns) lull__send_latency(s, published_ns);
  s->sent += n;
  lull__count(&s->w->bytes, n);
  lull__count(&s->w->writes, 1);
}

/* Send bytes: 1 when all went, 0 when the kernel's buffer is full (the
 * write watcher is on), -1 when the socket is gone. *done counts what went.
 * Audio (published_ns, its newest packet's publication; 0 for the head and
 * the Ogg headers) counts each send in the send latency. */
static int send_some(session *s, const void *p, size_t len, uint32_t *done, uint64_t published_ns) {
  while (len) {
    ssize_t n = send(s->fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) return -1;
      ev_io_start(s->w->loop, &s->wio);
      return 0;
    }
    took(s, (uint32_t)n, published_ns);
    *done += (uint32_t)n;
    if ((size_t)n < len) {
      ev_io_start(s->w->loop, &s->wio);
      return 0;
    }
    len = 0;
  }
  return 1;
}

/* An ICY listener's bytes: each chunk (units with a block put in) is its
 * own once taken, the cursor past its units; what the socket did not take
 * waits in s->pre, sent first next time. The lag policy runs between
 * chunks, so it never splits one. */
static int icy_write(session *s) {
  if (lull__session_policy(s, lull__now_ms())) {
    s->close_code = 1008;
    s->why = "stayed behind";
    return -1;
  }
  lull_feed *f = &s->w->feeds[s->station * LULL_FEED_KINDS + s->kind];
  for (int i = 0; i < 4; i++) {
    unsigned char *p;
    uint64_t units;
    size_t n = lull__icy_chunk(s, &p, &units);
    if (!n) break;
    uint64_t published_ns = lull__feed_published_ns(f, s->cur.next, units);
    s->cur.next += units;
    uint32_t done = 0;
    int r = send_some(s, p, n, &done, published_ns);
    if (r < 0) return -1;
    s->live |= r > 0 && s->cur.next == f->head;
    if (r == 0) {
      if (!(s->pre = malloc(n - done))) return -1;
      memcpy(s->pre, p + done, n - done);
      s->pre_len = (uint32_t)(n - done);
      s->pre_off = 0;
      return 0;
    }
  }
  return 0;
}

/* Whole units sent move the cursor; a part is kept as an offset. */
static void advance(session *s, const lull_feed *f, uint32_t done) {
  uint64_t sent = (uint64_t)done + s->unit_off;
  s->unit_off = 0;
  while (sent) {
    uint32_t ulen = f->units[s->cur.next & f->unit_mask].len;
    if (sent < ulen) {
      s->unit_off = (uint32_t)sent;
      break;
    }
    sent -= ulen;
    s->cur.next++;
  }
  s->live |= !s->unit_off && s->cur.next == f->head;
}

int lull__direct_write(session *s) {
  if (ev_is_active(&s->wio)) return 0; /* the socket is full: wait for it */
  if (s->pre) {
    int r = send_some(s, s->pre + s->pre_off, s->pre_len - s->pre_off, &s->pre_off, 0);
    if (r <= 0) return r;
    free(s->pre);
    s->pre = NULL;
  }
  if (!s->header_sent) {
    uint32_t len;
    const unsigned char *h = lull__station_ogg_header(s->w->srv->stations[s->station], &len);
    if (!h) return 0; /* the station has not made its first frame yet: the next wake comes */
    int r = send_some(s, h + s->hdr_off, len - s->hdr_off, &s->hdr_off, 0);
    if (r <= 0) return r;
    s->header_sent = 1;
  }
  if (s->icy) return icy_write(s);
  lull_feed *f = &s->w->feeds[s->station * LULL_FEED_KINDS + s->kind];
  if (s->unit_off && s->cur.next < f->tail) s->unit_off = 0; /* its unit is gone: the decoder resyncs */
  if (!s->unit_off && lull__session_policy(s, lull__now_ms())) {
    s->close_code = 1008;
    s->why = "stayed behind";
    return -1;
  }
  for (int i = 0; i < 4; i++) {
    const unsigned char *data;
    uint64_t units;
    size_t len = lull__feed_run(f, s->cur.next, RUN_BYTES, &data, &units);
    if (!len) break;
    if (!s->unit_off && s->w->batch && !lull__uring_send(s->w->ring, s->fd, data, len, s)) {
      s->queued = 1; /* lull__direct_sent has the result when the wake's batch is sent */
      return 0;
    }
    uint32_t done = 0;
    int r = send_some(s, data + s->unit_off, len - s->unit_off, &done, lull__feed_published_ns(f, s->cur.next, units));
    if (r < 0) return -1;
    advance(s, f, done);
    if (r == 0) break;
  }
  return 0;
}

void lull__direct_sent(session *s, int res) {
  lull_feed *f;
  const unsigned char *data;
  uint64_t units;
  size_t len = lull__queued_run(s, res, &f, &data, &units);
  if (res < 0 && !len) {
    lull__direct_end(s, "send failed");
    return;
  }
  uint32_t done = res > 0 ? (uint32_t)res : 0;
  if (done) took(s, done, lull__feed_published_ns(f, s->cur.next, units));
  advance(s, f, done);
  if (done < len)
    ev_io_start(s->w->loop, &s->wio); /* the socket is full: the rest when it has room */
  else if (lull__direct_write(s)) /* more, if the log wrapped */
    lull__direct_end(s, "send failed");
}

void lull__direct_end(session *s, const char *why) {
  if (s->why) why = s->why;
  conn *c = s->c;
  ev_io_stop(s->w->loop, &s->wio);
  lull__session_end(s, why); /* before the descriptor closes: it leaves the hang-up set */
  c->direct = NULL;
  free(s->pre);
  free(s);
  lull__conn_close(c); /* closes the descriptor */
}
