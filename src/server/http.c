/* HTTP: the routes (the page's files, REST, status, playlists), responses
 * (JSON errors, ETags, the security headers), query strings, and the endless
 * Ogg/Opus and MP3 responses. A stream's listener is a session like a
 * WebSocket's; its bytes come from the feed (session.c). */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lull/lull.h"
#include "server/conn.h"
#include "server/icy.h"
#include "server/request.h"
#include "stream/stream.h"

static const char *const stream_args[] = {"station", NULL}, *const mount_args[] = {NULL};

void lull__parse_query(struct lws *wsi, query *q, const char *const *allowed) {
  memset(q, 0, sizeof *q);
  snprintf(q->station, sizeof q->station, "main");
  snprintf(q->codec, sizeof q->codec, "opus");
  char frag[300];
  for (int i = 0; lws_hdr_copy_fragment(wsi, frag, sizeof frag, WSI_TOKEN_HTTP_URI_ARGS, i) > 0; i++) {
    char *eq = strchr(frag, '=');
    const char *val = eq ? eq + 1 : "";
    if (eq) *eq = 0;
    int known = 0;
    for (const char *const *a = allowed; *a; a++) known |= strcmp(*a, frag) == 0;
    if (!known || !eq) {
      if (!q->bad[0]) snprintf(q->bad, sizeof q->bad, "%.60s", frag);
      continue;
    }
    if (strcmp(frag, "station") == 0) snprintf(q->station, sizeof q->station, "%.39s", val);
    if (strcmp(frag, "codec") == 0) snprintf(q->codec, sizeof q->codec, "%.7s", val);
    if (strcmp(frag, "token") == 0) snprintf(q->token, sizeof q->token, "%.255s", val);
  }
}

static int is_head(struct lws *wsi) {
  char *uri;
  int len;
  return lws_http_get_uri_and_method(wsi, &uri, &len) == LWSHUMETH_HEAD;
}

int lull__add_header(struct lws *wsi, const char *name, const char *value, unsigned char **p, unsigned char *end) {
  return lws_add_http_header_by_name(wsi, (const unsigned char *)name, (const unsigned char *)value, (int)strlen(value), p,
                                     end);
}

/* The page may load only its own scripts, styles and sockets: an injected
 * script, were one ever to get in, could not run or call out. WebAssembly
 * may compile (the Opus decoder for browsers without WebCodecs' Opus); text
 * is never evaluated. */
static const char csp[] = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self' ws: wss:; "
                          "img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/* Headers and body at once, then the transaction ends (keep-alive); for
 * HEAD the headers alone (the length still says what GET would send).
 * With an etag the browser may keep it but asks again each time (the web
 * player's files change only with the binary); without, nothing is kept. */
int lull__respond_tagged(struct lws *wsi, unsigned status, const char *type, const void *body, size_t len, const char *etag) {
  unsigned char hdr[LWS_PRE + 1024], *start = hdr + LWS_PRE, *p = start, *end = hdr + sizeof hdr - 1;
  if (lws_add_http_common_headers(wsi, status, type, len, &p, end) ||
      lull__add_header(wsi, "cache-control:", etag ? "no-cache" : "no-store", &p, end) ||
      (etag && lull__add_header(wsi, "etag:", etag, &p, end)) ||
      lull__add_header(wsi, "x-content-type-options:", "nosniff", &p, end) ||
      (strncmp(type, "text/html", 9) == 0 && lull__add_header(wsi, "content-security-policy:", csp, &p, end)) ||
      lws_finalize_write_http_header(wsi, start, &p, end))
    return -1;
  if (len && !is_head(wsi)) {
    unsigned char *b = malloc(LWS_PRE + len);
    if (!b) return -1;
    memcpy(b + LWS_PRE, body, len);
    int n = lws_write(wsi, b + LWS_PRE, len, LWS_WRITE_HTTP_FINAL);
    free(b);
    if (n < 0) return -1;
  }
  lull__conn_request_done(wsi);
  return lws_http_transaction_completed(wsi) ? -1 : 0;
}

int lull__respond(struct lws *wsi, unsigned status, const char *type, const void *body, size_t len) {
  return lull__respond_tagged(wsi, status, type, body, len, NULL);
}

int lull__not_modified(struct lws *wsi, const char *etag) {
  char want[256];
  return lws_hdr_copy(wsi, want, sizeof want, WSI_TOKEN_HTTP_IF_NONE_MATCH) > 0 && (strstr(want, etag) || !strcmp(want, "*"));
}

int lull__respond_not_modified(struct lws *wsi, const char *etag) {
  unsigned char hdr[LWS_PRE + 256], *start = hdr + LWS_PRE, *p = start, *end = hdr + sizeof hdr - 1;
  if (lws_add_http_header_status(wsi, 304, &p, end) || lull__add_header(wsi, "etag:", etag, &p, end) ||
      lull__add_header(wsi, "cache-control:", "no-cache", &p, end) || lws_finalize_write_http_header(wsi, start, &p, end))
    return -1;
  lull__conn_request_done(wsi);
  return lws_http_transaction_completed(wsi) ? -1 : 0;
}

/* A file of the web player; 304 when the browser holds this version. */
static int respond_asset(struct lws *wsi, const lull_asset *a) {
  if (lull__not_modified(wsi, a->etag)) return lull__respond_not_modified(wsi, a->etag);
  return lull__respond_tagged(wsi, 200, a->type, a->data, a->len, a->etag);
}

int lull__respond_error(struct lws *wsi, unsigned status, const char *code, const char *field, const char *message) {
  char body[900];
  int n = lull__error_json(body, sizeof body, code, field, message);
  body[n < (int)sizeof body ? n : (int)sizeof body - 1] = 0;
  /* {"error": {...}} for REST; the inner object is the WebSocket error. */
  char wrapped[1000];
  int m = snprintf(wrapped, sizeof wrapped, "{\"error\":%s}\n", body);
  return lull__respond(wsi, status, "application/json", wrapped, (size_t)m);
}

int lull__refuse_listener(struct lws *wsi, lull_server *srv, int status) {
  atomic_fetch_add(&srv->rejected, 1);
  char m[96];
  const char *code = lull__listener_refusal(srv, status, m, sizeof m);
  return lull__respond_error(wsi, (unsigned)status, code, "", m);
}

int lull__station_or_refuse(struct lws *wsi, lull_server *srv, const char *name, int *rc) {
  if (!lull_station_name_valid(name)) {
    *rc = lull__respond_error(wsi, 400, "bad_station", "station", "station names are 1..32 of a-z, 0-9 and -");
    return -1;
  }
  int i = lull__station_find(srv, name);
  if (i < 0) {
    char m[128];
    snprintf(m, sizeof m, "no station \"%.32s\" (GET /api/stations lists them; a personal one ends when idle)", name);
    *rc = lull__respond_error(wsi, 404, "unknown_station", "station", m);
  }
  return i;
}

/* The checks before a stream (HTTP or WebSocket) starts: 0 to go on, or the
 * result of the refusal just sent. Sets *station. */
int lull__stream_request_ok(struct lws *wsi, lull_server *srv, const query *q, int *station, int *refused) {
  *refused = 1;
  if (q->bad[0]) {
    char m[160];
    snprintf(m, sizeof m, "unknown query argument \"%s\"", q->bad);
    return lull__respond_error(wsi, 400, "bad_request", q->bad, m);
  }
  int rc;
  if ((*station = lull__station_or_refuse(wsi, srv, q->station, &rc)) < 0) return rc;
  *refused = 0;
  return 0;
}

/* Each "name: value\r\n" line of text as a header. */
static int add_header_lines(struct lws *wsi, const char *text, unsigned char **p, unsigned char *end) {
  while (*text) {
    size_t n = strcspn(text, "\r"), colon = strcspn(text, ":");
    char name[64], value[1024];
    if (colon + 2 > n || colon + 1 >= sizeof name || n >= sizeof value) return -1;
    snprintf(name, sizeof name, "%.*s", (int)(colon + 1), text); /* with its colon, as lws wants it */
    snprintf(value, sizeof value, "%.*s", (int)(n - colon - 2), text + colon + 2);
    if (lull__add_header(wsi, name, value, p, end)) return -1;
    text += n;
    if (*text == '\r') text++;
    if (*text == '\n') text++;
  }
  return 0;
}

/* GET /stream.ogg?station=NAME or the mount /NAME.ogg (mount: NAME), and
 * the same for MP3. */
static int http_stream(session *s, struct lws *wsi, worker *w, int kind, const char *mount) {
  lull_server *srv = w->srv;
  query q;
  lull__parse_query(wsi, &q, mount ? mount_args : stream_args);
  if (mount) snprintf(q.station, sizeof q.station, "%s", mount);
  int station, refused;
  int rc = lull__stream_request_ok(wsi, srv, &q, &station, &refused);
  if (refused) return rc;
  int head = is_head(wsi);
  lull__client_ip(wsi, s->ip, sizeof s->ip);
  int status = head ? 0 : lull__listener_check(srv, s->ip, 1);
  if (status) {
    lull__station_put(srv, station);
    return lull__refuse_listener(wsi, srv, status);
  }
  lull__session_hold(s, w, station); /* given back when the session ends, HEAD or not */
  unsigned char hdr[LWS_PRE + 2048], *start = hdr + LWS_PRE, *p = start, *end = hdr + sizeof hdr - 1;
  const char *type = kind == LULL_FEED_OGG ? "audio/ogg" : "audio/mpeg";
  /* icy-url as the client reached the server, left out when its Host is
   * one the server would refuse; icy-metaint for an MP3 listener that
   * asked for metadata. */
  char icy[1600], base[320] = "", want[16] = "";
  const char *field, *why;
  if (lull__request_base_url(wsi, srv, base, sizeof base, &field, &why)) base[0] = 0;
  lull__icy_headers(icy, sizeof icy, srv->stations[station], kind, base);
  int meta = kind == LULL_FEED_MP3 && lws_hdr_custom_length(wsi, "icy-metadata:", 13) > 0 &&
             lws_hdr_custom_copy(wsi, want, sizeof want, "icy-metadata:", 13) > 0 && lull__icy_wants(want);
  if (meta && !head && !(s->icy = malloc(sizeof *s->icy))) meta = 0; /* a HEAD says what GET would */
  if (s->icy) lull__icy_init(s->icy);
  if (lws_add_http_common_headers(wsi, 200, type, LWS_ILLEGAL_HTTP_CONTENT_LEN, &p, end) ||
      lull__add_header(wsi, "cache-control:", "no-store", &p, end) || lull__add_header(wsi, "connection:", "close", &p, end) ||
      add_header_lines(wsi, icy, &p, end) || (meta && lull__add_header(wsi, "icy-metaint:", "16000", &p, end)) ||
      lws_finalize_write_http_header(wsi, start, &p, end)) {
    free(s->icy);
    s->icy = NULL;
    if (!head) lull__listener_release(srv, s->ip);
    return -1;
  }
  if (head) {
    lull__session_unhold(s);
    lull__conn_request_done(wsi);
    return lws_http_transaction_completed(wsi) ? -1 : 0;
  }
  s->role = S_HTTP_STREAM;
  s->w = w;
  s->wsi = wsi;
  s->kind = (uint8_t)kind;
  s->header_sent = kind != LULL_FEED_OGG;
  if (lull__session_register(s)) return -1;
  lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0); /* an endless response */
  /* libwebsockets 4.1 reads nothing more inside a response (the wsi stays
   * in LRS_DOING_TRANSACTION), so a byte or a FIN from the listener would
   * wake it at every turn of the loop, for ever: the worker's hang-up set
   * ends the stream at the first one (session.c). Its input stays watched
   * by lws all the same: paused (rx flow control), the h1 POLLIN handler
   * returns before it serves POLLOUT, so a send lws held back (a full
   * socket) would never go out, and the loop would spin on the writable
   * socket. */
  lws_callback_on_writable(wsi);
  return 0;
}

/* Pause or resume a stream's input in lws now, also from inside one of its
 * callbacks (where the change would otherwise wait for the return). */
static void pause_input(session *s, int pause) {
  lws_rx_flow_control(s->wsi, LWS_RXFLOW_REASON_USER_BOOL | LWS_RXFLOW_REASON_FLAG_PROCESS_NOW |
                                  (pause ? LWS_RXFLOW_REASON_APPLIES_DISABLE : LWS_RXFLOW_REASON_APPLIES_ENABLE));
}

/* lws holds input for a connection whose input is not paused (bytes it
 * read but has not used, or a TLS record not yet read out): it would
 * service it without waiting for the network, and
 * lws_service_adjust_timeout() says 0. */
static int lws_holds_input(worker *w) { return lws_service_adjust_timeout(w->ctx, 1, 0) == 0; }

/* Bytes that came with a stream's request (in the same read: one TLS
 * record) are never read (see http_stream), and never leave lws's input
 * buffer: lws gives the connection forced service at every turn of the
 * loop, a busy loop for as long as the listener stays. lws 4.1 does not say
 * whose input it holds, only whether it holds any for a connection that is
 * not paused: with the streams not yet asked about paused, each is resumed
 * and asked about in turn, and ended if it is the one. Asked once, before
 * anything is sent: later bytes come through the socket, where the hang-up
 * set sees them. */
void lull__http_input_check(worker *w) {
  lull_server *srv = w->srv;
  static const int kinds[] = {LULL_FEED_OGG, LULL_FEED_MP3};
  int n = 0;
  for (size_t i = 0; i < srv->n_slots; i++)
    for (int k = 0; k < 2; k++)
      for (session *s = w->lists[i * LULL_FEED_KINDS + kinds[k]]; s; s = s->next)
        if (s->role == S_HTTP_STREAM && !s->input_checked && !s->closing) {
          pause_input(s, 1);
          n++;
        }
  if (!n) return;
  /* lws holds input for another connection too (requests pipelined on a
   * keep-alive connection, for a turn of the loop): ask again later. */
  int others = lws_holds_input(w);
  for (size_t i = 0; i < srv->n_slots; i++)
    for (int k = 0; k < 2; k++)
      for (session *s = w->lists[i * LULL_FEED_KINDS + kinds[k]]; s; s = s->next) {
        if (s->role != S_HTTP_STREAM || s->input_checked || s->closing) continue;
        pause_input(s, 0);
        if (others) continue;
        s->input_checked = 1;
        if (lws_holds_input(w)) {
          pause_input(s, 1); /* so that it does not answer for the next */
          lull__session_kill(s, "bytes came with its request");
        }
      }
}

static int http_stream_writeable(session *s) {
  if (!s->input_checked) lull__http_input_check(s->w);
  if (s->closing) return -1;
  if (lws_partial_buffered(s->wsi)) return 0;
  if (!s->header_sent) {
    uint32_t len;
    const unsigned char *h = lull__station_ogg_header(s->w->srv->stations[s->station], &len);
    if (!h) return 0; /* the station has not made its first frame yet: the next wake comes */
    s->header_sent = 1;
    if (lws_write(s->wsi, (unsigned char *)h, len, LWS_WRITE_HTTP) < 0) return -1;
    s->sent += len;
    if (lws_partial_buffered(s->wsi)) return 0;
  }
  return lull__stream_write(s);
}

long lull__rest_take(session *s, char *text, int *rc) {
  size_t len = s->text ? s->text_len : 0;
  memcpy(text, s->text ? s->text : "", len);
  text[len] = 0;
  int over = s->text_over;
  struct lws *wsi = s->wsi;
  lull__replies_free(s);
  if (!over) return (long)len;
  char m[64];
  snprintf(m, sizeof m, "the body is larger than %d bytes", MAX_TEXT);
  *rc = lull__respond_error(wsi, 413, "too_large", "", m);
  return -1;
}

/* POST /api/stations/NAME/params, once the body is in. */
static int post_params(session *s, struct lws *wsi, lull_server *srv, size_t station) {
  /* What the answer needs, taken out of the session first: once an answer
   * completes the transaction, libwebsockets may free the session. */
  char text[MAX_TEXT + 1], who[64];
  lull_station *st = srv->stations[station];
  snprintf(who, sizeof who, "%s (REST)", s->ip);
  int rc;
  long got = lull__rest_take(s, text, &rc);
  if (got < 0) return rc;
  size_t len = (size_t)got;
  lull_params cur;
  lull_station_get_params(st, &cur);
  lull_ctl_msg c;
  if (lull__control_parse_body(text, len, &cur, &c)) {
    atomic_fetch_add(&srv->control_refused, 1);
    return lull__respond_error(wsi, 400, c.code, c.field, c.message);
  }
  int bearer = lull__bearer_state(wsi, srv, station), by;
  int field_ok = c.has_token && lull__token_valid(srv, station, c.token);
  int shown = bearer >= 0 || c.has_token;
  int valid = shown && bearer != 0 && (!c.has_token || field_ok); /* every token shown is the station's */
  const char *code, *why;
  unsigned status = lull__steer_check(srv, station, shown, valid, &by, &code, &why);
  if (status) {
    atomic_fetch_add(&srv->control_refused, 1);
    atomic_fetch_add(&srv->rejected, 1);
    return lull__respond_error(wsi, status, code, status == 401 ? "token" : "station", why);
  }
  lull_diag d = {0};
  int err = lull__steer(srv, st, &c, who, by, &d);
  if (err) return lull__respond_error(wsi, err == LULL_EFULL ? 503 : 400, lull__steer_code(err), d.field, d.message);
  char params[256], body[400];
  lull__params_json(params, sizeof params, &c.params);
  int n = snprintf(body, sizeof body, "{\"station\":\"%s\",\"params\":%s,\"applied\":\"at the next frame\"}\n",
                   lull_station_name(st), params);
  return lull__respond(wsi, 202, "application/json", body, (size_t)n);
}

/* A refusal that ends the connection: the client may still be sending a
 * body nobody will read. */
static int refuse_and_close(struct lws *wsi, lull_server *srv, unsigned status, const char *code, const char *field,
                            const char *message) {
  atomic_fetch_add(&srv->rejected, 1);
  lull__respond_error(wsi, status, code, field, message);
  return -1;
}

int lull__rest_refused(struct lws *wsi, lull_server *srv, int empty_ok, size_t *len) {
  *len = 0;
  if (!lull__host_ok(wsi, srv))
    return refuse_and_close(wsi, srv, 403, "forbidden_host", "host",
                            "this server does not answer to that host name (--allow-host)");
  if (!lull__origin_ok(wsi, srv))
    return refuse_and_close(wsi, srv, 403, "forbidden_origin", "origin",
                            "a page of this origin may not steer (--allow-origin)");
  if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0)
    return refuse_and_close(wsi, srv, 411, "length_required", "transfer-encoding",
                            "the body's length must be given (Content-Length); a chunked body is not read");
  char type[128] = "", length[32] = "";
  int has_type = lws_hdr_copy(wsi, type, sizeof type, WSI_TOKEN_HTTP_CONTENT_TYPE) > 0;
  size_t tl = strcspn(type, "; ");
  int json = tl == 16 && strncasecmp(type, "application/json", 16) == 0;
  if (!json && (!empty_ok || has_type))
    return refuse_and_close(wsi, srv, 415, "unsupported_media_type", "content-type",
                            "the body must be JSON (Content-Type: application/json)");
  if (lws_hdr_copy(wsi, length, sizeof length, WSI_TOKEN_HTTP_CONTENT_LENGTH) <= 0) {
    if (empty_ok && !has_type) return 0;
    return refuse_and_close(wsi, srv, 411, "length_required", "content-length",
                            "the body's length must be given (Content-Length)");
  }
  char *end;
  unsigned long long n = strtoull(length, &end, 10);
  if (*end || end == length) return refuse_and_close(wsi, srv, 400, "bad_request", "content-length", "malformed Content-Length");
  if (n > MAX_TEXT) {
    char m[64];
    snprintf(m, sizeof m, "the body is larger than %d bytes", MAX_TEXT);
    return refuse_and_close(wsi, srv, 413, "too_large", "content-length", m);
  }
  if (n == 0 && !empty_ok)
    return refuse_and_close(wsi, srv, 400, "bad_json", "", "the body is empty; send the params to change as JSON");
  *len = (size_t)n;
  return 0;
}

/* GET /api/stations/NAME: one station as /api/status shows each (a
 * personal one too, which no list shows). */
static int one_station(struct lws *wsi, lull_server *srv, const char *name, int method) {
  if (method != LWSHUMETH_GET && method != LWSHUMETH_HEAD)
    return lull__respond_error(wsi, 405, "method_not_allowed", "method", "a station is read with GET");
  int rc, i = lull__station_or_refuse(wsi, srv, name, &rc);
  if (i < 0) return rc;
  sbuf b = {0};
  lull__station_json(srv, &b, (size_t)i);
  lull__station_put(srv, i);
  lull__sb_printf(&b, "\n");
  rc = b.p ? lull__respond(wsi, 200, "application/json", b.p, b.len)
           : lull__respond_error(wsi, 503, "out_of_memory", "", "the server is out of memory; try again later");
  free(b.p);
  return rc;
}

int lull__http_request(session *s, struct lws *wsi, worker *w, const char *path) {
  lull_server *srv = w->srv;
  atomic_fetch_add(&srv->http_requests, 1);
  char *uri;
  int uri_len;
  int method = lws_http_get_uri_and_method(wsi, &uri, &uri_len);
  lull__log(srv, LULL_LOG_DEBUG, "http %s %s", method == LWSHUMETH_POST ? "POST" : "GET", path);
  if (strncmp(path, "/api/stations/", 14) == 0) {
    char name[64];
    const char *rest = path + 14, *slash = strchr(rest, '/');
    if (!slash) return one_station(wsi, srv, rest, method);
    if ((strcmp(slash, "/params") != 0 && strcmp(slash, "/recent.ogg") != 0 && strcmp(slash, "/artwork.png") != 0) ||
        slash - rest >= (long)sizeof name)
      return lull__respond_error(wsi, 404, "not_found", "path",
                                 "no such resource; GET /api/stations/NAME, POST /api/stations/NAME/params, GET "
                                 "/api/stations/NAME/recent.ogg or /api/stations/NAME/artwork.png");
    memcpy(name, rest, (size_t)(slash - rest));
    name[slash - rest] = 0;
    if (strcmp(slash, "/recent.ogg") == 0) return lull__recent_request(s, wsi, w, name, method);
    if (strcmp(slash, "/artwork.png") == 0) return lull__artwork_request(wsi, w, name, method);
    if (method != LWSHUMETH_POST) return lull__respond_error(wsi, 405, "method_not_allowed", "method", "use POST with a JSON body");
    int rc, i = lull__station_or_refuse(wsi, srv, name, &rc);
    if (i < 0) return rc;
    size_t len;
    if (lull__rest_refused(wsi, srv, 0, &len)) {
      lull__station_put(srv, i);
      return -1;
    }
    s->role = S_REST;
    s->rest = REST_PARAMS;
    s->w = w;
    s->wsi = wsi;
    lull__session_hold(s, w, i);
    s->text_len = 0;
    s->text_over = 0;
    lull__client_ip(wsi, s->ip, sizeof s->ip);
    return 0; /* the body comes next */
  }
  if (strcmp(path, "/api/personal") == 0) return lull__personal_request(s, wsi, w, method);
  if (method != LWSHUMETH_GET && method != LWSHUMETH_HEAD)
    return lull__respond_error(wsi, 405, "method_not_allowed", "method", "only GET and HEAD here");
  if (strcmp(path, "/stream.ogg") == 0) return http_stream(s, wsi, w, LULL_FEED_OGG, NULL);
  if (strcmp(path, "/stream.mp3") == 0) return http_stream(s, wsi, w, LULL_FEED_MP3, NULL);
  char mount[40];
  int kind = lull__mount_parse(path, strlen(path), mount, sizeof mount);
  if (kind >= 0) return http_stream(s, wsi, w, kind, mount); /* it finds (and holds) the station */
  sbuf b = {0};
  int rc;
  if (strcmp(path, "/api/status") == 0) {
    lull__status_json(srv, &b);
    rc = lull__respond(wsi, 200, "application/json", b.p, b.len);
  } else if (strcmp(path, "/api/metrics") == 0) {
    lull__metrics_json(srv, &b);
    rc = lull__respond(wsi, 200, "application/json", b.p, b.len);
  } else if (strcmp(path, "/metrics") == 0) {
    lull__metrics_prometheus(srv, &b);
    rc = lull__respond(wsi, 200, "text/plain; version=0.0.4", b.p, b.len);
  } else if (strcmp(path, "/api/stations") == 0) {
    lull__stations_json(srv, &b);
    rc = lull__respond(wsi, 200, "application/json", b.p, b.len);
  } else if (strcmp(path, "/listen.m3u") == 0 || strcmp(path, "/listen.pls") == 0) {
    rc = lull__playlist(wsi, srv, path[8] == 'p');
  } else if (strcmp(path, "/status-json.xsl") == 0) {
    rc = lull__icestats(wsi, srv);
  } else if (strcmp(path, "/ws/stream") == 0) {
    rc = lull__respond_error(wsi, 400, "websocket_required", "", "/ws/stream speaks WebSocket (Upgrade: websocket)");
  } else {
    const char *p = strcmp(path, "/") == 0 ? "/index.html" : path;
    for (size_t i = 0; i < lull__n_assets; i++)
      if (strcmp(lull__assets[i].path, p) == 0) return respond_asset(wsi, &lull__assets[i]);
    rc = lull__respond_error(wsi, 404, "not_found", "path", "no such resource; see / and /api/status");
  }
  free(b.p);
  return rc;
}

/* A REST body, as it comes: kept up to MAX_TEXT, answered with 413 once
 * complete when it was longer. */
static int rest_receive(session *s, const void *in, size_t len) {
  int r = lull__text_append(s, in, len);
  if (r > 0) s->text_over = 1;
  return r < 0 ? -1 : 0;
}

static int rest_complete(session *s) {
  if (s->rest == REST_PERSONAL) return lull__personal_complete(s);
  /* Given back after the answer, taken off the session before: the answer
   * may free the session. */
  lull_server *srv = s->w->srv;
  int i = s->station, held = s->held;
  s->held = 0;
  int rc = post_params(s, s->wsi, srv, (size_t)i);
  if (held) lull__station_put(srv, i);
  return rc;
}

const lull__transport lull__http_stream_transport = {.writeable = http_stream_writeable};
const lull__transport lull__rest_transport = {.receive = rest_receive, .complete = rest_complete};
