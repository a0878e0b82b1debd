/* The WebSocket side: the upgrade (path, Origin, query, limits), the hello,
 * text replies queued per client (bounded: one that will not read them is
 * closed), params broadcasts, control messages under a rate limit, and
 * steering a station (shared with REST). Audio goes out through the feed
 * (session.c) after any pending text. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lull/lull.h"
#include "server/conn.h"
#include "stream/stream.h"

static const char *const ws_args[] = {"station", "codec", "token", NULL};

void lull__ws_close(session *s, uint16_t code, const char *why) {
  s->closing = 1;
  s->close_code = code;
  if (why) s->why = why;
  lws_callback_on_writable(s->wsi);
  /* One that does not read (its socket full) never lets the close frame
   * out: cut off then, so that it holds neither its place nor its station. */
  lws_set_timeout(s->wsi, PENDING_TIMEOUT_CLOSE_SEND, 2);
}

static void queue_text(session *s, const char *text, size_t len) {
  if (s->n_replies >= MAX_REPLIES) {
    lull__ws_close(s, 1008, NULL); /* it sends faster than it reads its replies */
    return;
  }
  reply *r = malloc(sizeof *r + LWS_PRE + len);
  if (!r) return;
  r->next = NULL;
  r->len = len;
  memcpy(r->buf + LWS_PRE, text, len);
  if (s->replies_tail)
    s->replies_tail->next = r;
  else
    s->replies = r;
  s->replies_tail = r;
  s->n_replies++;
  lws_callback_on_writable(s->wsi);
}

static void queue_error(session *s, const char *code, const char *field, const char *message) {
  char buf[900];
  int n = lull__error_json(buf, sizeof buf, code, field, message);
  queue_text(s, buf, (size_t)(n < (int)sizeof buf ? n : (int)sizeof buf - 1));
}

static int write_text(session *s, unsigned char *p, size_t len) {
  return lws_write(s->wsi, p, len, LWS_WRITE_TEXT) < 0 ? -1 : 0;
}

/* The longest hello fits the worker's scratch whole, so it is never cut
 * short into invalid JSON: the face and steer, the params (256), every
 * station's name quoted (36 each), the rest (512, about 350 used). */
_Static_assert(FACE_JSON_BYTES + 256 + LULL_SERVER_MAX_STATIONS * 36 + 512 <=
                   sizeof(((worker *)0)->scratch) - LWS_PRE,
               "a hello may not fit the scratch");

static size_t hello_json(session *s, char *out, size_t cap) {
  lull_server *srv = s->w->srv;
  lull_station_now now;
  lull_station_get_now(srv->stations[s->station], &now);
  char params[256], face[FACE_JSON_BYTES];
  lull__params_json(params, sizeof params, &now.params);
  lull__face_json(face, sizeof face, srv, s->station, &now);
  /* What this listener may do: "open", "token" (it must give the token
   * first) or "none". */
  int mode = srv->steer[s->station];
  const char *control = mode == STEER_PERSONAL      ? "personal" /* steered by the token of whoever started it */
                        : mode == LULL_STEER_NONE ? "none"
                        : mode == LULL_STEER_TOKEN && !s->authorised ? "token"
                                                                     : "open";
  int n = snprintf(out, cap,
                   "{\"type\":\"hello\",\"version\":\"%s\",\"sample_rate\":48000,\"channels\":2,\"codec\":\"%s\","
                   "\"frame_ms\":20,\"packets_per_message\":%u,\"burst_ms\":%u,\"station\":\"%s\",%s,\"params\":%s,"
                   "\"chord\":\"%s\",\"control\":\"%s\",\"stations\":[",
                   LULL_VERSION, s->kind == LULL_FEED_WS_PCM ? "pcm" : "opus", srv->cfg.packets_per_message,
                   srv->cfg.burst_ms, lull_station_name(srv->stations[s->station]), face, params, now.chord, control);
  uint16_t held[LULL_SERVER_MAX_STATIONS];
  size_t ns = lull__stations_hold(srv, held);
  for (size_t j = 0; j < ns && n < (int)cap; j++)
    n += snprintf(out + n, cap - (size_t)n, "%s\"%s\"", j ? "," : "", lull_station_name(srv->stations[held[j]]));
  lull__stations_put(srv, held, ns);
  if (n < (int)cap) n += snprintf(out + n, cap - (size_t)n, "]}");
  return n < (int)cap ? (size_t)n : cap - 1;
}

static size_t params_msg(session *s, char *out, size_t cap) {
  lull_station_now now;
  lull_station_get_now(s->w->srv->stations[s->station], &now);
  char params[256], steer[STEER_JSON_BYTES];
  lull__params_json(params, sizeof params, &now.params);
  lull__steer_json(steer, sizeof steer, s->w->srv, s->station, &now);
  s->params_seen = now.params_changes;
  int n = snprintf(out, cap, "{\"type\":\"params\",\"station\":\"%s\",\"params\":%s,\"chord\":\"%s\",%s}",
                   lull_station_name(s->w->srv->stations[s->station]), params, now.chord, steer);
  return n < (int)cap ? (size_t)n : cap - 1;
}

/* A listener whose connection closes while lws has the last word: ended
 * now (its place, its disconnect line), with nothing more written; lws
 * finishes the close handshake and the wsi goes later (LWS_CALLBACK_CLOSED
 * then finds it ended). */
static void end_while_closing(session *s, const char *who, const unsigned char *payload, size_t len) {
  char why[96], words[48];
  size_t n = 0;
  for (size_t i = 2; i < len && n + 1 < sizeof words; i++) /* the peer's words may be anything: not into the log */
    words[n++] = payload[i] >= 0x20 && payload[i] < 0x7f ? (char)payload[i] : '?';
  words[n] = 0;
  snprintf(why, sizeof why, "%s: %d%s%s", who, len >= 2 ? payload[0] << 8 | payload[1] : 1005, n ? " " : "", words);
  s->closing = 1;
  lull__session_end(s, why);
}

int lull__ws_closed_by_lws(session *s) {
  /* lws 4.1 says nothing when it refuses a frame itself (a reserved
   * opcode, RSV bits): it sets a close reason (lws_close_reason()), sends
   * close 1002 and waits up to 5 s for the answer; LWS_CALLBACK_CLOSED
   * comes only then. The reason it holds is the one sign: lull sets one
   * only when it closes itself (closing). */
  int len = s->closing ? 0 : lws_get_close_length(s->wsi);
  if (!len) return 0;
  atomic_fetch_add(&s->w->srv->protocol_closed, 1);
  end_while_closing(s, "closed by libwebsockets", lws_get_close_payload(s->wsi), (size_t)len);
  return 1;
}

void lull__ws_peer_closed(session *s, const unsigned char *payload, size_t len) {
  if (!s->closing) end_while_closing(s, "the listener closed it", payload, len);
}

static int ws_writeable(session *s) {
  if (!s->registered || lull__ws_closed_by_lws(s)) return 0; /* ended: lws has the last word */
  if (lws_partial_buffered(s->wsi)) return 0; /* still flushing; lws calls again */
  if (s->closing) {
    const char *why = s->why                  ? s->why /* the server ended it: its station ended */
                      : s->close_code == 1001 ? "server going away"
                      : s->close_code == 1011 ? "send failed"
                                              : "policy";
    lws_close_reason(s->wsi, (enum lws_close_status)s->close_code, (unsigned char *)why, strlen(why));
    return -1;
  }
  unsigned char *t = s->w->scratch + LWS_PRE;
  size_t cap = sizeof s->w->scratch - LWS_PRE;
  if (s->hello_pending) {
    s->hello_pending = 0;
    if (write_text(s, t, hello_json(s, (char *)t, cap))) return -1;
    if (lws_partial_buffered(s->wsi)) return 0;
  }
  while (s->replies) {
    reply *r = s->replies;
    s->replies = r->next;
    if (!s->replies) s->replies_tail = NULL;
    s->n_replies--;
    int rc = write_text(s, r->buf + LWS_PRE, r->len);
    free(r);
    if (rc) return -1;
    if (lws_partial_buffered(s->wsi)) return 0;
  }
  if (s->params_pending) {
    s->params_pending = 0;
    if (write_text(s, t, params_msg(s, (char *)t, cap))) return -1;
    if (lws_partial_buffered(s->wsi)) return 0;
  }
  if (lull__stream_write(s)) {
    if (s->close_code) lws_close_reason(s->wsi, LWS_CLOSE_STATUS_POLICY_VIOLATION, (unsigned char *)"too slow", 8);
    return -1;
  }
  return 0;
}

/* A rate limit per client: a bucket of control_rate tokens a second, as deep
 * as one second's worth. */
static int rate_ok(session *s) {
  lull_server *srv = s->w->srv;
  uint64_t t = lull__now_ms();
  double rate = srv->cfg.control_rate;
  if (!s->tokens_ms) s->tokens = rate;
  s->tokens += rate * (double)(t - s->tokens_ms) / 1000.0;
  if (s->tokens > rate) s->tokens = rate;
  s->tokens_ms = t;
  if (s->tokens >= 1) {
    s->tokens -= 1;
    s->floods = 0;
    return 1;
  }
  return 0;
}

/* A parsed control change, authorised: hand it to the station, count it and
 * log it. LULL_OK, or the station's refusal (diag says why). */
int lull__steer(lull_server *srv, lull_station *st, const lull_ctl_msg *c, const char *who, int by, lull_diag *d) {
  int err = lull_station_set_params_by(st, &c->params, c->fields, by, d);
  if (err) {
    atomic_fetch_add(&srv->control_refused, 1);
    return err;
  }
  atomic_fetch_add(&srv->control_applied, 1);
  /* What changed, from the parsed params: never the message itself, which
   * may carry the token. */
  char params[256], changed[256];
  lull__params_json(params, sizeof params, &c->params);
  lull__param_names(changed, sizeof changed, c->fields, 0);
  lull__log(srv, LULL_LOG_INFO, "control %s (%s) station=%s changed %s: now %s", who, lull_by_name(by), lull_station_name(st),
            changed, params);
  return LULL_OK;
}

/* The error code of a station's refusal: its queue is full, or a value. */
const char *lull__steer_code(int err) { return err == LULL_EFULL ? "busy" : "out_of_range"; }

static void ws_message(session *s, const char *text, size_t len) {
  lull_server *srv = s->w->srv;
  atomic_fetch_add(&srv->messages_in, 1);
  if (!rate_ok(s)) {
    if (++s->floods > 2 * srv->cfg.control_rate) {
      atomic_fetch_add(&srv->protocol_closed, 1);
      lull__ws_close(s, 1008, NULL);
      return;
    }
    char m[96];
    snprintf(m, sizeof m, "at most %u messages a second; this one was dropped", srv->cfg.control_rate);
    queue_error(s, "rate_limited", "", m);
    return;
  }
  lull_station *st = srv->stations[s->station];
  lull_params cur;
  lull_station_get_params(st, &cur);
  lull_ctl_msg c;
  if (lull__control_parse(text, len, &cur, &c)) {
    atomic_fetch_add(&srv->control_refused, 1);
    queue_error(s, c.code, c.field, c.message);
    return;
  }
  if (c.kind == LULL_CTL_STATUS) {
    sbuf b = {0};
    lull__sb_printf(&b, "{\"type\":\"status\",\"listeners\":%u,\"station\":", atomic_load(&srv->listeners));
    lull__station_json(srv, &b, s->station);
    lull__sb_printf(&b, "}");
    if (b.p) queue_text(s, b.p, b.len);
    free(b.p);
    return;
  }
  int by;
  const char *code, *why;
  int valid = c.has_token ? lull__token_valid(srv, s->station, c.token) : s->authorised;
  if (lull__steer_check(srv, s->station, c.has_token || s->authorised, valid, &by, &code, &why)) {
    atomic_fetch_add(&srv->control_refused, 1);
    queue_error(s, code, strcmp(code, "unauthorized") == 0 ? "token" : "station", why);
    return;
  }
  if (c.has_token) s->authorised = 1;
  lull_diag d = {0};
  int err = lull__steer(srv, st, &c, s->ip, by, &d);
  if (err) queue_error(s, lull__steer_code(err), d.field, d.message);
}

/* Before the upgrade: 0 to accept it, 1 when refused with an HTTP answer,
 * -1 to drop the connection. */
int lull__ws_upgrade(struct lws *wsi, worker *w, const char *protocol) {
  lull_server *srv = w->srv;
  atomic_fetch_add(&srv->http_requests, 1);
  if (!protocol || strcmp(protocol, "websocket") != 0) return -1;
  char path[64] = "";
  lws_hdr_copy(wsi, path, sizeof path, WSI_TOKEN_GET_URI);
  if (strcmp(path, "/ws/stream") != 0) {
    atomic_fetch_add(&srv->rejected, 1);
    return lull__respond_error(wsi, 404, "not_found", "path", "WebSocket streams are at /ws/stream") ? -1 : 1;
  }
  if (!lull__host_ok(wsi, srv)) {
    atomic_fetch_add(&srv->rejected, 1);
    return lull__respond_error(wsi, 403, "forbidden_host", "host",
                               "this server does not answer to that host name (--allow-host)") ? -1 : 1;
  }
  if (!lull__origin_ok(wsi, srv)) {
    atomic_fetch_add(&srv->rejected, 1);
    return lull__respond_error(wsi, 403, "forbidden_origin", "origin", "this page's origin may not open the stream (--allow-origin)") ? -1 : 1;
  }
  query q;
  lull__parse_query(wsi, &q, ws_args);
  int station, refused;
  int rc = lull__stream_request_ok(wsi, srv, &q, &station, &refused);
  if (refused) return rc ? -1 : 1;
  /* Only looked at: the listener holds it once established. */
  int mine = lull__is_personal((size_t)station), token_ok = !q.token[0] || (mine ? lull__token_valid(srv, (size_t)station, q.token)
                                                                                      : lull__token_ok(srv, q.token));
  lull__station_put(srv, station);
  if (strcmp(q.codec, "opus") != 0 && strcmp(q.codec, "pcm") != 0)
    return lull__respond_error(wsi, 400, "bad_codec", "codec", "codec must be opus or pcm") ? -1 : 1;
  if (!token_ok) {
    atomic_fetch_add(&srv->rejected, 1);
    return lull__respond_error(wsi, 401, "unauthorized", "token", mine ? "wrong token for this station" : "wrong control token")
               ? -1 : 1;
  }
  char ip[48];
  lull__client_ip(wsi, ip, sizeof ip);
  int status = lull__listener_check(srv, ip, 0);
  if (status) return lull__refuse_listener(wsi, srv, status) ? -1 : 1;
  return 0;
}

/* The upgrade is done: the session becomes a listener. */
int lull__ws_established(session *s, struct lws *wsi, worker *w) {
  lull_server *srv = w->srv;
  query q;
  lull__parse_query(wsi, &q, ws_args);
  memset(s, 0, sizeof *s);
  s->w = w;
  s->wsi = wsi;
  s->role = S_WS;
  lull__client_ip(wsi, s->ip, sizeof s->ip);
  int station = lull__station_find(srv, q.station);
  if (station < 0 || lull__listener_check(srv, s->ip, 1)) {
    /* Refused at the upgrade already, unless the limit filled (or the
     * station ended) since. */
    lull__station_put(srv, station);
    if (station < 0)
      lws_close_reason(wsi, LWS_CLOSE_STATUS_GOINGAWAY, (unsigned char *)"the station ended", 17);
    else
      lws_close_reason(wsi, (enum lws_close_status)1013, (unsigned char *)"full", 4);
    return -1;
  }
  lull__session_hold(s, w, station);
  s->kind = strcmp(q.codec, "pcm") == 0 ? LULL_FEED_WS_PCM : LULL_FEED_WS_OPUS;
  s->authorised = lull__is_personal((size_t)station) ? q.token[0] && lull__token_valid(srv, (size_t)station, q.token)
                                                  : !srv->token[0] || (q.token[0] && lull__token_ok(srv, q.token));
  s->hello_pending = 1;
  s->header_sent = 1;
  s->raw = !lws_is_ssl(wsi);
  lull_station_now now;
  lull_station_get_now(srv->stations[station], &now);
  s->params_seen = now.params_changes;
  if (lull__session_register(s)) return -1;
  lws_callback_on_writable(wsi);
  return 0;
}

/* Part of a client's message: text only, at most MAX_TEXT bytes. */
static int ws_receive(session *s, const void *in, size_t len) {
  lull_server *srv = s->w->srv;
  struct lws *wsi = s->wsi;
  if (s->closing) return 0;
  /* Returning -1 alone makes libwebsockets send the close frame and wait
   * up to 5 s for the answer, the session still registered and the wake
   * writing audio after the close frame. Closing makes the wake ask for a
   * writable callback instead, which ends the connection (ws_writeable). */
  if (lws_frame_is_binary(wsi)) {
    atomic_fetch_add(&srv->protocol_closed, 1);
    s->closing = 1;
    lws_close_reason(wsi, LWS_CLOSE_STATUS_UNACCEPTABLE_OPCODE, (unsigned char *)"text only", 9);
    return -1;
  }
  /* A frame that announces more than the limit is refused now, not after
   * its bytes have trickled in. */
  int over = s->text_len + len + lws_remaining_packet_payload(wsi) > MAX_TEXT ? 1 : lull__text_append(s, in, len);
  if (over < 0) return -1;
  if (over) {
    atomic_fetch_add(&srv->protocol_closed, 1);
    s->closing = 1;
    char m[48];
    int n = snprintf(m, sizeof m, "messages are at most %d bytes", MAX_TEXT);
    lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, (unsigned char *)m, (size_t)n);
    return -1;
  }
  if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi)) return 0;
  ws_message(s, s->text, s->text_len);
  free(s->text);
  s->text = NULL;
  s->text_len = 0;
  return 0;
}

const lull__transport lull__ws_transport = {.writeable = ws_writeable, .receive = ws_receive};
