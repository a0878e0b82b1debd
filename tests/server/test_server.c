/* The server end to end: a real server on a loopback port (any free one),
 * real clients (WebSocket, HTTP streams, REST), the real streams decoded
 * (libopus, libopusfile, libmpg123). */
#include <jansson.h>
#include <opus/opus.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "lull/server.h"
#include "server/hub.h"
#include "support/decode.h"
#include "support/harness.h"
#include "support/netclient.h"
#include "support/spawn.h"

static void nap_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static lull_server *start(const lull_server_config *cfg) {
  lull_server *srv;
  lull_diag d = {{0}, {0}};
  lull_server_config c = cfg ? *cfg : (lull_server_config){0};
  c.log_level = getenv("LULL_TEST_LOG") ? LULL_LOG_DEBUG : LULL_LOG_WARN;
  int err = lull_server_create(&c, &srv, &d);
  if (err) fail_msg("server: %s: %s", d.field, d.message);
  ASSERT_EQ_INT(lull_server_start(srv), LULL_OK);
  return srv;
}

static uint64_t lull_station_get_metrics_frames(lull_server *srv) {
  lull_station_metrics m;
  lull_station_get_metrics(lull_server_station(srv, "main"), &m);
  return m.frames;
}

static json_t *parse(const char *text) {
  json_error_t e;
  json_t *j = json_loads(text, 0, &e);
  if (!j) fail_msg("not JSON (%s): %.300s", e.text, text);
  return j;
}

/* The next text message of a given type (others skipped), parsed. */
static json_t *next_text(nc_ws *ws, const char *type, int timeout_ms) {
  double end = nc_now_s() + timeout_ms / 1000.0;
  while (nc_now_s() < end) {
    int op = nc_ws_recv(ws, 100);
    if (op < 0) return NULL;
    if (op != 1) continue;
    json_t *j = parse((const char *)ws->msg);
    const char *t = json_string_value(json_object_get(j, "type"));
    if (t && strcmp(t, type) == 0) return j;
    json_decref(j);
  }
  return NULL;
}

static nc_ws ws_open(uint16_t port, const char *path) {
  nc_ws ws;
  char *body = NULL;
  int status = nc_ws_open(&ws, port, path, NULL, 0, &body);
  if (status != 101) fail_msg("upgrade %s: %d %s", path, status, body ? body : "");
  json_t *hello = next_text(&ws, "hello", 2000);
  ASSERT_TRUE(hello != NULL);
  json_decref(hello);
  return ws;
}

/* ---- ten seconds of every stream at once --------------------------------- */

typedef struct wsstat {
  uint64_t packets, gaps, bad, samples;
  int64_t last_seq;
  double first_t, last_t, sumsq;
  uint64_t sumn;
} wsstat;

static void ws_packets(nc_ws *ws, wsstat *st, OpusDecoder *dec, int codec) {
  const unsigned char *p = ws->msg, *end = ws->msg + ws->msg_len;
  while (p < end) {
    lull_wire_header h;
    if (lull__wire_get(p, (size_t)(end - p), &h) != LULL_OK || h.codec != codec) {
      st->bad++;
      return;
    }
    const unsigned char *payload = p + LULL_WIRE_HEADER_BYTES;
    if (st->last_seq >= 0 && (int64_t)h.sequence != st->last_seq + 1) st->gaps++;
    st->last_seq = h.sequence;
    int16_t pcm[960 * 2];
    int n;
    if (codec == LULL_CODEC_OPUS) {
      n = opus_decode(dec, payload, h.length, pcm, 960, 0);
    } else {
      n = h.length == 3840 ? 960 : -1;
      for (int i = 0; n > 0 && i < 1920; i++) pcm[i] = (int16_t)(payload[2 * i] | payload[2 * i + 1] << 8);
    }
    if (n != 960) st->bad++;
    if (n > 0) {
      st->samples += (uint64_t)n;
      for (int i = 0; i < 2 * n; i++) st->sumsq += (double)pcm[i] * pcm[i];
      st->sumn += 2u * (uint64_t)n;
    }
    st->packets++;
    st->last_t = nc_now_s();
    if (!st->first_t) st->first_t = st->last_t;
    p = payload + h.length;
  }
}

/* When a stream's data arrives: the median time between arrivals after the
 * burst is the server's write cadence for that kind of listener. */
typedef struct arrivals {
  double t[1024];
  int n;
} arrivals;

static void arrived(arrivals *a) {
  if (a->n < 1024) a->t[a->n++] = nc_now_s();
}

static int cmp_double(const void *x, const void *y) {
  double a = *(const double *)x, b = *(const double *)y;
  return (a > b) - (a < b);
}

static double median_gap_ms(const arrivals *a, double after) {
  double gaps[1024];
  int n = 0;
  for (int i = 1; i < a->n; i++)
    if (a->t[i - 1] >= after) gaps[n++] = (a->t[i] - a->t[i - 1]) * 1000;
  if (!n) return 0;
  qsort(gaps, (size_t)n, sizeof *gaps, cmp_double);
  return gaps[n / 2];
}

static void test_every_stream_for_ten_seconds(void **state) {
  (void)state;
  lull_server *srv = start(NULL);
  uint16_t port = lull_server_port(srv);
  double t0 = nc_now_s();
  nc_ws opus = ws_open(port, "/ws/stream?station=main&codec=opus");
  nc_ws pcm = ws_open(port, "/ws/stream?codec=pcm");
  int ogg = nc_connect(port, 0), mp3 = nc_connect(port, 0);
  unsigned char *pre_ogg, *pre_mp3;
  size_t ogg_len, mp3_len;
  ASSERT_EQ_INT(nc_stream_open(ogg, "/stream.ogg?station=main", &pre_ogg, &ogg_len), 200);
  ASSERT_EQ_INT(nc_stream_open(mp3, "/stream.mp3", &pre_mp3, &mp3_len), 200);
  size_t ogg_cap = 1 << 21, mp3_cap = 1 << 21;
  pre_ogg = realloc(pre_ogg, ogg_cap);
  pre_mp3 = realloc(pre_mp3, mp3_cap);
  int err;
  OpusDecoder *dec = opus_decoder_create(48000, 2, &err);
  wsstat so = {.last_seq = -1}, sp = {.last_seq = -1};
  static arrivals at_opus, at_ogg, at_mp3;
  const double seconds = 10.5;
  while (nc_now_s() - t0 < seconds) {
    struct pollfd fds[4] = {{opus.fd, POLLIN, 0}, {pcm.fd, POLLIN, 0}, {ogg, POLLIN, 0}, {mp3, POLLIN, 0}};
    if (poll(fds, 4, 100) < 0) break;
    if (fds[0].revents) arrived(&at_opus);
    if (fds[2].revents) arrived(&at_ogg);
    if (fds[3].revents) arrived(&at_mp3);
    if (fds[0].revents)
      while (nc_ws_recv(&opus, 0) == 2) ws_packets(&opus, &so, dec, LULL_CODEC_OPUS);
    if (fds[1].revents)
      while (nc_ws_recv(&pcm, 0) == 2) ws_packets(&pcm, &sp, NULL, LULL_CODEC_PCM);
    if (fds[2].revents) {
      long n = nc_read(ogg, pre_ogg + ogg_len, ogg_cap - ogg_len, 0);
      ASSERT_TRUE(n > 0);
      ogg_len += (size_t)n;
    }
    if (fds[3].revents) {
      long n = nc_read(mp3, pre_mp3 + mp3_len, mp3_cap - mp3_len, 0);
      ASSERT_TRUE(n > 0);
      mp3_len += (size_t)n;
    }
  }
  /* WebSocket: consecutive, decodable, non-silent, at real-time rate after the burst. */
  wsstat *all[2] = {&so, &sp};
  for (int k = 0; k < 2; k++) {
    wsstat *s = all[k];
    double secs = (double)s->samples / 48000.0, rate = (double)(s->packets - 15) / (s->last_t - s->first_t);
    double level = sqrt(s->sumsq / (double)s->sumn) / 32768.0;
    print_message("# ws %s: %llu packets (%.2f s of audio), %llu gaps, %.1f packets/s after the burst, rms %.4f\n",
                  k ? "pcm" : "opus", (unsigned long long)s->packets, secs, (unsigned long long)s->gaps, rate, level);
    ASSERT_EQ_INT(s->gaps, 0);
    ASSERT_EQ_INT(s->bad, 0);
    ASSERT_GE(secs, 10.0);
    ASSERT_NEAR(rate, 50.0, 2.5);
    ASSERT_GE(level, 0.005);
  }
  /* Cadence: a WebSocket message goes out as it is made (60 ms); HTTP
   * listeners, whose players buffer seconds, get about 200 ms at a time
   * (on the third wake, 180 ms): a third of the sends. */
  double g_opus = median_gap_ms(&at_opus, t0 + 1), g_ogg = median_gap_ms(&at_ogg, t0 + 1),
         g_mp3 = median_gap_ms(&at_mp3, t0 + 1);
  print_message("# median time between arrivals: ws %.0f ms, ogg %.0f ms, mp3 %.0f ms\n", g_opus, g_ogg, g_mp3);
  ASSERT_NEAR(g_opus, 60, 15);
  ASSERT_NEAR(g_ogg, 180, 40);
  ASSERT_NEAR(g_mp3, 180, 40);
  /* Ogg/Opus over HTTP: 48 kHz stereo, 10 s and more, non-silent. */
  decoded d;
  err = decode_ogg_opus(pre_ogg, ogg_len, &d);
  if (err) fail_msg("the Ogg stream does not open: %d (%zu bytes)", err, ogg_len);
  print_message("# ogg: %zu bytes, %.2f s decoded, %llu holes (the join), rms %.4f\n", ogg_len, d.seconds,
                (unsigned long long)d.holes, d.rms);
  ASSERT_EQ_INT(d.channels, 2);
  ASSERT_EQ_INT(d.rate, 48000);
  ASSERT_GE(d.seconds, 10.0);
  ASSERT_LE(d.holes, 1);
  ASSERT_GE(d.rms, 0.005);
  /* MP3: 48 kHz stereo, 10 s and more, non-silent. */
  ASSERT_EQ_INT(decode_mp3(pre_mp3, mp3_len, &d), 0);
  print_message("# mp3: %zu bytes, %ld Hz, %d channels, %.2f s decoded, rms %.4f\n", mp3_len, d.rate, d.channels,
                d.seconds, d.rms);
  ASSERT_EQ_INT(d.rate, 48000);
  ASSERT_EQ_INT(d.channels, 2);
  ASSERT_GE(d.seconds, 10.0);
  ASSERT_GE(d.rms, 0.005);
  opus_decoder_destroy(dec);
  free(pre_ogg);
  free(pre_mp3);
  close(ogg);
  close(mp3);
  nc_ws_close(&opus);
  nc_ws_close(&pcm);
  lull_server_destroy(srv);
}

/* ---- steering -------------------------------------------------------------- */

static double params_num(json_t *msg, const char *field) {
  return json_number_value(json_object_get(json_object_get(msg, "params"), field));
}

static void test_control_reaches_every_listener_of_its_station(void **state) {
  (void)state;
  lull_station_config st[2] = {{.name = "main"}, {.name = "other"}};
  lull_server *srv = start(&(lull_server_config){.stations = st, .n_stations = 2});
  uint16_t port = lull_server_port(srv);
  nc_ws a = ws_open(port, "/ws/stream?station=main"), b = ws_open(port, "/ws/stream?station=main&codec=pcm");
  nc_ws c = ws_open(port, "/ws/stream?station=other");
  const char *msg = "{\"type\":\"control\",\"intensity\":0.9,\"key\":\"D\",\"mode\":\"dorian\"}";
  ASSERT_EQ_INT(nc_ws_send(&a, 1, msg, strlen(msg)), 0);
  nc_ws *mains[2] = {&a, &b};
  for (int i = 0; i < 2; i++) {
    json_t *p = next_text(mains[i], "params", 2000);
    ASSERT_TRUE(p != NULL);
    ASSERT_NEAR(params_num(p, "intensity"), 0.9, 1e-6);
    ASSERT_STR_CONTAINS(json_string_value(json_object_get(json_object_get(p, "params"), "key")), "D");
    ASSERT_STR_CONTAINS(json_string_value(json_object_get(json_object_get(p, "params"), "mode")), "dorian");
    json_decref(p);
  }
  json_t *none = next_text(&c, "params", 600);
  ASSERT_TRUE(none == NULL);
  lull_params other;
  lull_station_get_params(lull_server_station(srv, "other"), &other);
  ASSERT_NEAR(other.intensity, 0.4, 1e-6);
  ASSERT_EQ_INT(other.key, 9);

  /* The same through REST. */
  char *body;
  int status = nc_http(port, "POST", "/api/stations/main/params", NULL, "{\"bpm\": 90}", &body, NULL);
  if (status != 202) fail_msg("POST: %d %s", status, body);
  free(body);
  for (int i = 0; i < 2; i++) {
    json_t *p = next_text(mains[i], "params", 2000);
    ASSERT_TRUE(p != NULL);
    ASSERT_NEAR(params_num(p, "bpm"), 90, 1e-6);
    ASSERT_NEAR(params_num(p, "intensity"), 0.9, 1e-6);
    json_decref(p);
  }
  ASSERT_TRUE(next_text(&c, "params", 300) == NULL);
  status = nc_http(port, "GET", "/api/status", NULL, NULL, &body, NULL);
  ASSERT_EQ_INT(status, 200);
  json_t *j = parse(body);
  json_t *sts = json_object_get(j, "stations");
  ASSERT_NEAR(params_num(json_array_get(sts, 0), "bpm"), 90, 1e-6);
  ASSERT_NEAR(params_num(json_array_get(sts, 1), "bpm"), 64, 1e-6);
  json_decref(j);
  free(body);
  nc_ws_close(&a);
  nc_ws_close(&b);
  nc_ws_close(&c);
  lull_server_destroy(srv);
}

/* ---- bad input -------------------------------------------------------------- */

/* Send text; the next message is an error with this code (the connection stays). */
static void expect_error(nc_ws *ws, const char *text, const char *code, const char *field) {
  nap_ms(110); /* within the rate limit */
  ASSERT_EQ_INT(nc_ws_send(ws, 1, text, strlen(text)), 0);
  json_t *e = next_text(ws, "error", 2000);
  if (!e) fail_msg("no error for %s", text);
  const char *got = json_string_value(json_object_get(e, "code"));
  if (!got || strcmp(got, code) != 0) fail_msg("%s: code %s, expected %s", text, got ? got : "(none)", code);
  if (field) ASSERT_STR_CONTAINS(json_string_value(json_object_get(e, "field")), field);
  ASSERT_TRUE(strlen(json_string_value(json_object_get(e, "message"))) > 5);
  json_decref(e);
}

static void expect_http(uint16_t port, const char *method, const char *path, const char *headers, const char *body,
                        int status, const char *code) {
  char *resp;
  int got = nc_http(port, method, path, headers, body, &resp, NULL);
  if (got != status) fail_msg("%s %s: %d, expected %d: %s", method, path, got, status, resp ? resp : "");
  if (code) {
    json_t *j = parse(resp);
    const char *c = json_string_value(json_object_get(json_object_get(j, "error"), "code"));
    if (!c || strcmp(c, code) != 0) fail_msg("%s %s: code %s, expected %s", method, path, c ? c : "(none)", code);
    json_decref(j);
  }
  free(resp);
}

static void expect_upgrade(uint16_t port, const char *path, const char *headers, int status, const char *code) {
  nc_ws ws;
  char *body = NULL;
  int got = nc_ws_open(&ws, port, path, headers, 0, &body);
  if (got != status) fail_msg("upgrade %s: %d, expected %d", path, got, status);
  if (code) {
    json_t *j = parse(body);
    ASSERT_STR_CONTAINS(json_string_value(json_object_get(json_object_get(j, "error"), "code")), code);
    json_decref(j);
  }
  free(body);
  nc_ws_close(&ws);
}

/* The connection is closed by the server with this code. */
static void expect_close(nc_ws *ws, int code) {
  for (int i = 0; i < 200; i++) {
    int op = nc_ws_recv(ws, 3000);
    if (op == 8) {
      ASSERT_EQ_INT(ws->close_code, code);
      return;
    }
    if (op <= 0) fail_msg("no close frame (expected %d)", code);
  }
  fail_msg("no close frame (expected %d)", code);
}

static void test_bad_input_gets_clear_errors(void **state) {
  (void)state;
  lull_server *srv = start(&(lull_server_config){.control_token = "s3cret", .max_per_ip = 6});
  uint16_t port = lull_server_port(srv);
  nc_ws ws = ws_open(port, "/ws/stream");
  expect_error(&ws, "{\"type\":\"control\",\"intensity\":", "bad_json", NULL);
  expect_error(&ws, "[1,2]", "bad_message", NULL);
  expect_error(&ws, "{\"intensity\":0.5}", "bad_message", "type");
  expect_error(&ws, "{\"type\":\"dance\"}", "unknown_type", "type");
  expect_error(&ws, "{\"type\":\"control\",\"volume\":3}", "unknown_field", "volume");
  expect_error(&ws, "{\"type\":\"control\",\"bpm\":\"fast\"}", "wrong_type", "bpm");
  expect_error(&ws, "{\"type\":\"control\",\"bpm\":500}", "out_of_range", "bpm");
  expect_error(&ws, "{\"type\":\"control\",\"intensity\":-0.1}", "out_of_range", "intensity");
  expect_error(&ws, "{\"type\":\"control\",\"key\":\"H\"}", "out_of_range", "key");
  expect_error(&ws, "{\"type\":\"control\",\"mode\":\"jazz\"}", "out_of_range", "mode");
  expect_error(&ws, "{\"type\":\"control\",\"seed\":3}", "unknown_field", "seed");
  expect_error(&ws, "{\"type\":\"control\",\"bpm\":60,\"bpm\":70}", "bad_json", NULL);
  expect_error(&ws, "{\"type\":\"control\",\"bpm\":60}", "unauthorized", "token");
  expect_error(&ws, "{\"type\":\"control\",\"bpm\":60,\"token\":\"guess\"}", "unauthorized", "token");
  /* The right token steers. */
  const char *ok = "{\"type\":\"control\",\"bpm\":61,\"token\":\"s3cret\"}";
  ASSERT_EQ_INT(nc_ws_send(&ws, 1, ok, strlen(ok)), 0);
  json_t *p = next_text(&ws, "params", 2000);
  ASSERT_TRUE(p != NULL);
  ASSERT_NEAR(params_num(p, "bpm"), 61, 1e-6);
  json_decref(p);
  /* Still open: a status request is answered. */
  ASSERT_EQ_INT(nc_ws_send(&ws, 1, "{\"type\":\"status\"}", 17), 0);
  json_t *s = next_text(&ws, "status", 2000);
  ASSERT_TRUE(s != NULL);
  json_decref(s);
  /* A flood: beyond 10 a second, refused. */
  sleep(1);
  for (int i = 0; i < 15; i++) ASSERT_EQ_INT(nc_ws_send(&ws, 1, "{\"type\":\"status\"}", 17), 0);
  int limited = 0;
  for (json_t *e; (e = next_text(&ws, "error", 500));) {
    limited += strcmp(json_string_value(json_object_get(e, "code")), "rate_limited") == 0;
    json_decref(e);
  }
  ASSERT_GE(limited, 4);
  /* Protocol violations close: too large (1009), binary (1003). */
  char big[5000];
  memset(big, ' ', sizeof big);
  big[0] = '{';
  big[sizeof big - 1] = '}';
  ASSERT_EQ_INT(nc_ws_send(&ws, 1, big, sizeof big), 0);
  expect_close(&ws, 1009);
  nc_ws_close(&ws);
  ws = ws_open(port, "/ws/stream");
  ASSERT_EQ_INT(nc_ws_send(&ws, 2, "\x01\x02", 2), 0);
  expect_close(&ws, 1003);
  nc_ws_close(&ws);

  /* Refused at the door. */
  expect_upgrade(port, "/ws/stream?station=nope", NULL, 404, "unknown_station");
  expect_upgrade(port, "/ws/stream?station=Bad_Name", NULL, 400, "bad_station");
  expect_upgrade(port, "/ws/stream?codec=flac", NULL, 400, "bad_codec");
  expect_upgrade(port, "/ws/stream?volume=11", NULL, 400, "bad_request");
  expect_upgrade(port, "/ws/stream?token=wrong", NULL, 401, "unauthorized");
  expect_upgrade(port, "/ws/stream", "Origin: http://evil.example\r\n", 403, "forbidden_origin");
  expect_upgrade(port, "/elsewhere", NULL, 404, "not_found");
  char own[64];
  snprintf(own, sizeof own, "Origin: http://127.0.0.1:%u\r\n", port);
  expect_upgrade(port, "/ws/stream", own, 101, NULL);
  expect_http(port, "GET", "/stream.ogg?station=nope", NULL, NULL, 404, "unknown_station");
  expect_http(port, "GET", "/stream.ogg?bitrate=9", NULL, NULL, 400, "bad_request");
  expect_http(port, "GET", "/nothing-here", NULL, NULL, 404, "not_found");
  expect_http(port, "GET", "/ws/stream", NULL, NULL, 400, "websocket_required");
  expect_http(port, "DELETE", "/api/status", NULL, NULL, 405, NULL);
  expect_http(port, "GET", "/api/stations/main/params", NULL, NULL, 405, "method_not_allowed");
  expect_http(port, "POST", "/api/stations/nope/params", NULL, "{\"bpm\":60}", 404, "unknown_station");
  expect_http(port, "POST", "/api/stations/main/params", NULL, "{\"bpm\":60}", 401, "unauthorized");
  expect_http(port, "POST", "/api/stations/main/params", "Authorization: Bearer nope\r\n", "{\"bpm\":60}", 401,
              "unauthorized");
  expect_http(port, "POST", "/api/stations/main/params", "Authorization: Bearer s3cret\r\n", "{\"bpm\":", 400, "bad_json");
  expect_http(port, "POST", "/api/stations/main/params", "Authorization: Bearer s3cret\r\n", "{\"bpm\":2}", 400,
              "out_of_range");
  expect_http(port, "POST", "/api/stations/main/params", "Authorization: Bearer s3cret\r\n", "{}", 400, "bad_message");
  char *huge = malloc(6001);
  memset(huge, ' ', 6000);
  huge[0] = '{', huge[5999] = '}', huge[6000] = 0;
  expect_http(port, "POST", "/api/stations/main/params", "Authorization: Bearer s3cret\r\n", huge, 413, "too_large");
  free(huge);
  expect_http(port, "POST", "/api/stations/main/params", "Authorization: Bearer s3cret\r\n", "{\"bpm\":66}", 202, NULL);

  /* Per-address limit (6 here): the 7th listener is refused with 429. */
  nc_ws held[6];
  for (int i = 0; i < 6; i++) held[i] = ws_open(port, "/ws/stream");
  expect_upgrade(port, "/ws/stream", NULL, 429, "too_many_from_address");
  expect_http(port, "GET", "/stream.ogg", NULL, NULL, 429, "too_many_from_address");
  for (int i = 0; i < 6; i++) nc_ws_close(&held[i]);
  nap_ms(300);
  /* And after all that, a listener is served as ever. */
  ws = ws_open(port, "/ws/stream");
  int op, got = 0;
  while ((op = nc_ws_recv(&ws, 2000)) > 0 && got < 20) got += op == 2;
  ASSERT_GE(got, 20);
  nc_ws_close(&ws);
  lull_server_destroy(srv);
}

/* The total limit: past it, 503 for streams and upgrades; REST still answers. */
static void test_a_full_server_says_so(void **state) {
  (void)state;
  lull_server *srv = start(&(lull_server_config){.max_clients = 2});
  uint16_t port = lull_server_port(srv);
  nc_ws a = ws_open(port, "/ws/stream"), b = ws_open(port, "/ws/stream?codec=pcm");
  expect_upgrade(port, "/ws/stream", NULL, 503, "too_many_listeners");
  expect_http(port, "GET", "/stream.mp3", NULL, NULL, 503, "too_many_listeners");
  expect_http(port, "GET", "/api/status", NULL, NULL, 200, NULL);
  nc_ws_close(&a);
  nap_ms(300);
  nc_ws c = ws_open(port, "/ws/stream"); /* a place came free */
  nc_ws_close(&b);
  nc_ws_close(&c);
  lull_server_destroy(srv);
}

/* ---- the slow reader ------------------------------------------------------ */

static void test_stalled_reader_is_skipped_then_dropped(void **state) {
  (void)state;
  lull_server *srv = start(&(lull_server_config){.skip_ms = 500, .drop_ms = 2500, .sndbuf = 4096});
  uint16_t port = lull_server_port(srv);
  nc_ws good = ws_open(port, "/ws/stream?codec=pcm");
  nc_ws slow;
  ASSERT_EQ_INT(nc_ws_open(&slow, port, "/ws/stream?codec=pcm", NULL, 4096, NULL), 101);
  /* The slow one never reads; the good one reads everything for 12 s. */
  wsstat g = {.last_seq = -1};
  double t0 = nc_now_s();
  int slow_closed = 0;
  while (nc_now_s() - t0 < 12) {
    if (nc_ws_recv(&good, 200) == 2) ws_packets(&good, &g, NULL, LULL_CODEC_PCM);
  }
  char *body;
  ASSERT_EQ_INT(nc_http(port, "GET", "/api/metrics", NULL, NULL, &body, NULL), 200);
  json_t *m = parse(body);
  double dropped = json_number_value(json_object_get(m, "packets_dropped"));
  slow_closed = (int)json_integer_value(json_object_get(m, "slow_disconnects"));
  print_message("# good listener: %llu packets, %llu gaps; server: %.0f packets skipped, %d slow listeners closed\n",
                (unsigned long long)g.packets, (unsigned long long)g.gaps, dropped, slow_closed);
  json_decref(m);
  free(body);
  ASSERT_EQ_INT(g.gaps, 0);
  ASSERT_GE(g.packets, 600);
  ASSERT_GE(dropped, 1);
  ASSERT_EQ_INT(slow_closed, 1);
  /* The slow one finds its connection closed once it reads again. */
  int op;
  while ((op = nc_ws_recv(&slow, 2000)) > 0 && op != 8) {
  }
  ASSERT_TRUE(op == 8 || op == -1);
  nc_ws_close(&slow);
  nc_ws_close(&good);
  lull_server_destroy(srv);
}

/* ---- REST ------------------------------------------------------------------- */

static void test_rest_json_and_prometheus(void **state) {
  (void)state;
  lull_server *srv = start(NULL);
  uint16_t port = lull_server_port(srv);
  nc_ws ws = ws_open(port, "/ws/stream");
  const char *json_paths[] = {"/api/status", "/api/metrics", "/api/stations"};
  char *body;
  /* The chord is known once the station has made its first frame (a
   * sanitizer build may take a moment after the start). */
  for (int i = 0; i < 100 && lull_station_get_metrics_frames(srv) == 0; i++) nap_ms(20);
  for (int i = 0; i < 3; i++) {
    ASSERT_EQ_INT(nc_http(port, "GET", json_paths[i], NULL, NULL, &body, NULL), 200);
    json_t *j = parse(body);
    if (i == 0) {
      ASSERT_STR_CONTAINS(json_string_value(json_object_get(j, "version")), ".");
      json_t *st = json_array_get(json_object_get(j, "stations"), 0);
      ASSERT_EQ_INT(json_integer_value(json_object_get(json_object_get(st, "listeners"), "ws_opus")), 1);
      json_t *lead = json_object_get(st, "lead_ms");
      /* Never more than the lead asked for (a sanitizer build may fall behind, so no lower bound). */
      ASSERT_TRUE(json_is_number(lead) && json_number_value(lead) <= 61);
      ASSERT_TRUE(json_string_length(json_object_get(json_object_get(st, "now"), "chord")) > 0);
    }
    json_decref(j);
    free(body);
  }
  /* Prometheus text: every sample line is "name{labels} value", each name
   * announced by a # TYPE line first. */
  ASSERT_EQ_INT(nc_http(port, "GET", "/metrics", NULL, NULL, &body, NULL), 200);
  char typed[64][64];
  int ntyped = 0, samples = 0;
  for (char *save = NULL, *line = strtok_r(body, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    char name[64];
    if (sscanf(line, "# TYPE %63s", name) == 1) {
      ASSERT_TRUE(ntyped < 64);
      snprintf(typed[ntyped++], 64, "%s", name);
      continue;
    }
    if (line[0] == '#') continue;
    double v;
    char rest[256];
    ASSERT_TRUE(sscanf(line, "%63[a-zA-Z0-9_:]%255[^ ] %lf", name, rest, &v) >= 2 || sscanf(line, "%63[a-zA-Z0-9_:] %lf", name, &v) == 2);
    int known = 0;
    for (int i = 0; i < ntyped; i++) known |= strcmp(typed[i], name) == 0;
    if (!known) fail_msg("metric %s has no # TYPE before it", name);
    samples++;
  }
  ASSERT_GE(samples, 15);
  free(body);
  size_t page_len, head_len;
  char head[4096], tag[64] = "", again[128];
  ASSERT_EQ_INT(nc_http_head(port, "GET", "/", NULL, NULL, &body, &page_len, head, sizeof head), 200);
  ASSERT_STR_CONTAINS(body, "<html");
  free(body);
  /* The player's files carry an ETag; a browser holding that version gets
   * 304 and no body, one holding another gets the file. */
  const char *et = strstr(head, "\netag: "); /* lws writes names in lower case */
  ASSERT_TRUE(et && sscanf(et + 7, "%63s", tag) == 1 && tag[0] == '"');
  ASSERT_STR_CONTAINS(head, "cache-control: no-cache");
  snprintf(again, sizeof again, "If-None-Match: \"old\", %s\r\n", tag);
  ASSERT_EQ_INT(nc_http_head(port, "GET", "/", again, NULL, &body, &head_len, head, sizeof head), 304);
  ASSERT_EQ_INT(head_len, 0);
  ASSERT_STR_CONTAINS(head, tag);
  free(body);
  ASSERT_EQ_INT(nc_http(port, "GET", "/", "If-None-Match: *\r\n", NULL, &body, &head_len), 304);
  free(body);
  ASSERT_EQ_INT(nc_http(port, "GET", "/", "If-None-Match: \"old\"\r\n", NULL, &body, &head_len), 200);
  ASSERT_EQ_INT(head_len, page_len);
  free(body);
  /* The API is never kept. */
  ASSERT_EQ_INT(nc_http_head(port, "GET", "/api/status", NULL, NULL, &body, NULL, head, sizeof head), 200);
  ASSERT_STR_CONTAINS(head, "cache-control: no-store");
  free(body);
  /* HEAD: the headers GET would send, no body; a stream's HEAD is no listener. */
  ASSERT_EQ_INT(nc_http(port, "HEAD", "/", NULL, NULL, &body, &head_len), 200);
  ASSERT_EQ_INT(head_len, 0);
  free(body);
  ASSERT_EQ_INT(nc_http(port, "HEAD", "/stream.ogg", NULL, NULL, &body, &head_len), 200);
  ASSERT_EQ_INT(head_len, 0);
  free(body);
  ASSERT_EQ_INT(nc_http(port, "DELETE", "/", NULL, NULL, &body, NULL), 405);
  ASSERT_STR_CONTAINS(body, "only GET and HEAD");
  free(body);
  ASSERT_EQ_INT(nc_http(port, "GET", "/listen.m3u", NULL, NULL, &body, NULL), 200);
  ASSERT_STR_CONTAINS(body, "#EXTM3U");
  ASSERT_STR_CONTAINS(body, "/stream.ogg?station=main");
  free(body);
  nc_ws_close(&ws);
  lull_server_destroy(srv);
}

/* ---- the command, and its graceful stop ------------------------------------ */

/* `lull serve --port 0` as a child process (its stderr in *err_fd), with an
 * fd limit when nofile > 0; returns its pid and the port from its
 * "serving http://127.0.0.1:PORT/" log line. */
static double proc_cpu_s(pid_t pid) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  char *ok = fgets(buf, sizeof buf, f);
  fclose(f);
  if (!ok) return -1;
  unsigned long ut = 0, st = 0;
  sscanf(strrchr(buf, ')') + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st);
  return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* Out of file descriptors, the server refuses new connections without
 * spinning, and serves again once some are closed. */
static void test_out_of_descriptors_does_not_spin(void **state) {
  (void)state;
  int err_fd;
  uint16_t port;
  pid_t pid = spawn_serve(LULL_BIN, NULL, 64, &port, &err_fd);
  ASSERT_TRUE(pid > 0);
  /* The station's own cost is the baseline: ~0.05 s in 2 s in a release
   * build, up to ~1 s under ThreadSanitizer on a busy machine. */
  nap_ms(300);
  double c0 = proc_cpu_s(pid);
  nap_ms(2000);
  double idle = proc_cpu_s(pid) - c0;
  int fds[120], n = 0;
  for (int i = 0; i < 120; i++)
    if ((fds[n] = nc_connect(port, 0)) >= 0) n++;
  nap_ms(300);
  c0 = proc_cpu_s(pid);
  nap_ms(2000);
  double used = proc_cpu_s(pid) - c0;
  print_message("# %d connections held against a limit of 64 descriptors: %.2f CPU s in 2 s (%.2f idle)\n", n,
                used, idle);
  for (int i = 0; i < n; i++) close(fds[i]);
  nap_ms(500);
  char *body = NULL;
  int status_code = nc_http(port, "GET", "/api/status", NULL, NULL, &body, NULL);
  free(body);
  kill(pid, SIGTERM); /* before any assert, so a failure leaves no server behind */
  int status;
  waitpid(pid, &status, 0);
  close(err_fd);
  ASSERT_LE(used - idle, 0.6); /* a spinning accept loop takes a whole core: 2 s or more */
  ASSERT_EQ_INT(status_code, 200);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void test_serve_stops_gracefully_on_sigterm(void **state) {
  (void)state;
  int err_fd;
  uint16_t port;
  pid_t pid = spawn_serve(LULL_BIN, NULL, 0, &port, &err_fd);
  ASSERT_TRUE(pid > 0);
  nc_ws ws = ws_open(port, "/ws/stream");
  int op;
  for (int got = 0; got < 5 && (op = nc_ws_recv(&ws, 2000)) > 0;) got += op == 2;
  double t0 = nc_now_s();
  kill(pid, SIGTERM);
  expect_close(&ws, 1001);
  int status;
  while (waitpid(pid, &status, WNOHANG) == 0 && nc_now_s() - t0 < 3) nap_ms(10);
  double took = nc_now_s() - t0;
  print_message("# SIGTERM to exit: %.0f ms\n", took * 1000);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ_INT(WEXITSTATUS(status), 0);
  ASSERT_LE(took, 1.0);
  nc_ws_close(&ws);
  close(err_fd);
}

/* ---- TLS ----------------------------------------------------------------------- */

/* A self-signed certificate for 127.0.0.1 in dir (openssl's command line). */
static void make_cert(const char *dir) {
  char cmd[1024];
  snprintf(cmd, sizeof cmd,
           "openssl req -x509 -newkey rsa:2048 -nodes -keyout %s/key.pem -out %s/cert.pem -days 2 -subj /CN=127.0.0.1 "
           "-addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1",
           dir, dir);
  ASSERT_EQ_INT(system(cmd), 0);
}

/* GET path over TLS, trusting only cert, reading for up to `seconds` or to
 * the close: the status, and the body in *body (malloc'd). -1 when the
 * handshake fails. */
static int tls_get(uint16_t port, const char *cert, const char *path, double seconds, unsigned char **body, size_t *len) {
  SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
  ASSERT_TRUE(ctx && SSL_CTX_load_verify_locations(ctx, cert, NULL) == 1);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
  int fd = nc_connect(port, 0);
  ASSERT_TRUE(fd >= 0);
  struct timeval tv = {0, 200000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  SSL *ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), "127.0.0.1");
  int status = -1;
  size_t cap = 1 << 20, n = 0;
  unsigned char *b = malloc(cap);
  if (SSL_connect(ssl) == 1) {
    char req[512];
    int r = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nConnection: close\r\n\r\n", path, port);
    ASSERT_EQ_INT(SSL_write(ssl, req, r), r);
    for (double end = nc_now_s() + seconds; nc_now_s() < end && n < cap - 1;) {
      int got = SSL_read(ssl, b + n, (int)(cap - 1 - n));
      if (got > 0) {
        n += (size_t)got;
        continue;
      }
      if (SSL_get_error(ssl, got) == SSL_ERROR_ZERO_RETURN || (errno != EAGAIN && errno != EWOULDBLOCK)) break;
    }
    b[n] = 0;
    sscanf((char *)b, "HTTP/1.1 %d", &status);
  }
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  close(fd);
  unsigned char *e = (unsigned char *)strstr((char *)b, "\r\n\r\n");
  size_t off = e ? (size_t)(e + 4 - b) : n;
  memmove(b, b + off, n - off + 1);
  *body = b;
  *len = n - off;
  return status;
}

/* --tls-cert/--tls-key: the port speaks HTTPS (the player's pages, the API,
 * the streams) and refuses plain HTTP; a bad pair is named. */
static void test_tls(void **state) {
  (void)state;
  char dir[] = "/tmp/lull-tls-XXXXXX", cert[64], key[64];
  ASSERT_TRUE(mkdtemp(dir) != NULL);
  make_cert(dir);
  snprintf(cert, sizeof cert, "%s/cert.pem", dir);
  snprintf(key, sizeof key, "%s/key.pem", dir);
  lull_server *srv = start(&(lull_server_config){.tls_cert = cert, .tls_key = key});
  uint16_t port = lull_server_port(srv);
  unsigned char *body;
  size_t len;
  ASSERT_EQ_INT(tls_get(port, cert, "/api/status", 3, &body, &len), 200);
  json_t *j = parse((char *)body);
  ASSERT_STR_CONTAINS(json_string_value(json_object_get(json_array_get(json_object_get(j, "stations"), 0), "name")), "main");
  json_decref(j);
  free(body);
  ASSERT_EQ_INT(tls_get(port, cert, "/listen.m3u", 3, &body, &len), 200);
  ASSERT_STR_CONTAINS((char *)body, "https://127.0.0.1:");
  free(body);
  /* Three seconds of the Ogg stream decode. */
  ASSERT_EQ_INT(tls_get(port, cert, "/stream.ogg", 3, &body, &len), 200);
  decoded d;
  ASSERT_EQ_INT(decode_ogg_opus(body, len, &d), 0);
  print_message("# ogg over TLS: %zu bytes, %.2f s decoded, rms %.4f\n", len, d.seconds, d.rms);
  ASSERT_EQ_INT(d.rate, 48000);
  ASSERT_EQ_INT(d.channels, 2);
  ASSERT_GE(d.seconds, 2.5);
  ASSERT_LE(d.holes, 1);
  ASSERT_GE(d.rms, 0.005);
  free(body);
  /* Plain HTTP on the TLS port gets no answer. */
  char *plain = NULL;
  ASSERT_TRUE(nc_http(port, "GET", "/api/status", NULL, NULL, &plain, NULL) != 200);
  free(plain);
  lull_server_destroy(srv);

  /* A certificate without its key, a file that is not there, a file that is not PEM. */
  lull_server *none = NULL;
  lull_diag dg = {{0}, {0}};
  ASSERT_EQ_INT(lull_server_create(&(lull_server_config){.port = 0, .tls_cert = cert}, &none, &dg), LULL_EINVAL);
  ASSERT_STR_CONTAINS(dg.field, "tls_key");
  ASSERT_EQ_INT(lull_server_create(&(lull_server_config){.tls_cert = "/nonexistent.pem", .tls_key = key}, &none, &dg),
                LULL_EIO);
  ASSERT_STR_CONTAINS(dg.message, "/nonexistent.pem");
  ASSERT_EQ_INT(lull_server_create(&(lull_server_config){.tls_cert = key, .tls_key = cert}, &none, &dg), LULL_EINVAL);
  ASSERT_STR_CONTAINS(dg.field, "tls_key");
  ASSERT_STR_CONTAINS(dg.message, "no PEM private key");
  ASSERT_EQ_INT(lull_server_create(&(lull_server_config){.tls_cert = key, .tls_key = key}, &none, &dg), LULL_EINVAL);
  ASSERT_STR_CONTAINS(dg.field, "tls_cert");
  ASSERT_STR_CONTAINS(dg.message, "no PEM certificate");
  /* A key of another certificate. */
  char other[] = "/tmp/lull-tls2-XXXXXX", okey[64];
  ASSERT_TRUE(mkdtemp(other) != NULL);
  make_cert(other);
  snprintf(okey, sizeof okey, "%s/key.pem", other);
  ASSERT_EQ_INT(lull_server_create(&(lull_server_config){.tls_cert = cert, .tls_key = okey}, &none, &dg), LULL_EINVAL);
  ASSERT_STR_CONTAINS(dg.message, "is not the key of the certificate");
  /* TLS runs on one network thread. */
  ASSERT_EQ_INT(lull_server_create(&(lull_server_config){.tls_cert = cert, .tls_key = key, .threads = 2}, &none, &dg),
                LULL_EINVAL);
  ASSERT_STR_CONTAINS(dg.field, "threads");
  ASSERT_TRUE(none == NULL);
  char rm[128];
  snprintf(rm, sizeof rm, "rm -r %s", other);
  ASSERT_EQ_INT(system(rm), 0);
  unlink(cert);
  unlink(key);
  rmdir(dir);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_stream_for_ten_seconds),
      cmocka_unit_test(test_control_reaches_every_listener_of_its_station),
      cmocka_unit_test(test_bad_input_gets_clear_errors),
      cmocka_unit_test(test_a_full_server_says_so),
      cmocka_unit_test(test_stalled_reader_is_skipped_then_dropped),
      cmocka_unit_test(test_rest_json_and_prometheus),
      cmocka_unit_test(test_out_of_descriptors_does_not_spin),
      cmocka_unit_test(test_serve_stops_gracefully_on_sigterm),
      cmocka_unit_test(test_tls),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
