/* Who may do what: the total and per-address listener limits (503, 429,
 * places freed), the control token and the Origin of a WebSocket. */
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdlib.h>
#include <string.h>

#include "server/fixture.h"
#include "support/harness.h"

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

/* Per-address limit (6 here): the 7th listener is refused with 429, and
 * the places come back when the listeners leave. */
static void test_per_address_limit(void **state) {
  (void)state;
  lull_server *srv = start(&(lull_server_config){.max_per_ip = 6});
  uint16_t port = lull_server_port(srv);
  nc_ws held[6];
  for (int i = 0; i < 6; i++) held[i] = ws_open(port, "/ws/stream");
  expect_upgrade(port, "/ws/stream", NULL, 429, "too_many_from_address");
  expect_http(port, "GET", "/stream.ogg", NULL, NULL, 429, "too_many_from_address");
  for (int i = 0; i < 6; i++) nc_ws_close(&held[i]);
  nap_ms(300);
  nc_ws ws = ws_open(port, "/ws/stream");
  nc_ws_close(&ws);
  lull_server_destroy(srv);
}

/* The token and the Origin: a wrong token is refused at the upgrade and by
 * REST, a page of another site may not open the stream, the server's own may. */
static void test_token_and_origin(void **state) {
  (void)state;
  lull_server *srv = start(&(lull_server_config){.control_token = "s3cret"});
  uint16_t port = lull_server_port(srv);
  expect_upgrade(port, "/ws/stream?token=wrong", NULL, 401, "unauthorized");
  expect_upgrade(port, "/ws/stream", "Origin: http://evil.example\r\n", 403, "forbidden_origin");
  char own[64];
  snprintf(own, sizeof own, "Origin: http://127.0.0.1:%u\r\n", port);
  expect_upgrade(port, "/ws/stream", own, 101, NULL);
  expect_http(port, "POST", "/api/stations/main/params", NULL, "{\"bpm\":60}", 401, "unauthorized");
  expect_http(port, "POST", "/api/stations/main/params", "Authorization: Bearer nope\r\n", "{\"bpm\":60}", 401,
              "unauthorized");
  expect_http(port, "POST", "/api/stations/main/params", "Authorization: Bearer s3cret\r\n", "{\"bpm\":66}", 202, NULL);
  lull_server_destroy(srv);
}

/* A raw request (headers as given, body as given): the response's status. */
static int raw_status(uint16_t port, const char *request) {
  int fd = nc_connect(port, 0);
  ASSERT_TRUE(fd >= 0);
  ASSERT_TRUE(send(fd, request, strlen(request), MSG_NOSIGNAL) > 0);
  char buf[2048];
  long n = nc_read(fd, buf, sizeof buf - 1, 3000);
  close(fd);
  int status = -1;
  if (n > 0) {
    buf[n] = 0;
    sscanf(buf, "HTTP/1.%*d %d", &status);
  }
  return status;
}

/* Steering by REST is for JSON from this server's pages or from no page:
 * the content type, the length, the Origin and the Host are checked before
 * the body is read, and a body announced too large is refused at once. */
static void test_rest_steering_is_guarded(void **state) {
  (void)state;
  const char *hosts[] = {"studio.local"};
  lull_server *srv = start(&(lull_server_config){.allow_hosts = hosts, .n_allow_hosts = 1});
  uint16_t port = lull_server_port(srv);
  const char *path = "POST /api/stations/main/params HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  char req[1024];
  snprintf(req, sizeof req, "%sContent-Type: text/plain\r\nContent-Length: 11\r\n\r\n{\"bpm\":70}", path);
  ASSERT_EQ_INT(raw_status(port, req), 415);
  snprintf(req, sizeof req, "%sContent-Type: application/json\r\n\r\n", path);
  ASSERT_EQ_INT(raw_status(port, req), 411);
  snprintf(req, sizeof req, "%sContent-Type: application/json\r\nContent-Length: 0\r\n\r\n", path);
  ASSERT_EQ_INT(raw_status(port, req), 400);
  /* 100 MB announced, nothing sent: answered at once, not waited for. */
  snprintf(req, sizeof req, "%sContent-Type: application/json\r\nContent-Length: 100000000\r\n\r\n", path);
  ASSERT_EQ_INT(raw_status(port, req), 413);
  /* A page of another site, and a name that resolves here by DNS rebinding. */
  expect_http(port, "POST", "/api/stations/main/params", "Origin: http://evil.example\r\n", "{\"bpm\":70}", 403,
              "forbidden_origin");
  snprintf(req, sizeof req,
           "POST /api/stations/main/params HTTP/1.1\r\nHost: evil.example:%u\r\nContent-Type: application/json\r\n"
           "Content-Length: 10\r\n\r\n{\"bpm\":70}",
           port);
  ASSERT_EQ_INT(raw_status(port, req), 403);
  snprintf(req, sizeof req,
           "GET /ws/stream HTTP/1.1\r\nHost: evil.example:%u\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
           port);
  ASSERT_EQ_INT(raw_status(port, req), 403);
  /* Names this server was told to answer to, and its own page, may. */
  snprintf(req, sizeof req,
           "POST /api/stations/main/params HTTP/1.1\r\nHost: studio.local:%u\r\nOrigin: http://studio.local:%u\r\n"
           "Content-Type: application/json; charset=utf-8\r\nContent-Length: 10\r\n\r\n{\"bpm\":70}",
           port, port);
  ASSERT_EQ_INT(raw_status(port, req), 202);
  char own[64];
  snprintf(own, sizeof own, "Origin: http://127.0.0.1:%u\r\n", port);
  expect_http(port, "POST", "/api/stations/main/params", own, "{\"bpm\":71}", 202, NULL);
  lull_server_destroy(srv);
}

/* A token of any accepted length (up to 200) works in every form, and the
 * log never holds it. */
static void test_long_token_every_form_never_logged(void **state) {
  (void)state;
  char token[201];
  for (int i = 0; i < 200; i++) token[i] = (char)('a' + i % 26);
  token[200] = 0;
  static logcap log;
  lull_server *srv = start_logged(&(lull_server_config){.control_token = token}, &log);
  uint16_t port = lull_server_port(srv);
  char auth[300], msg[400], path[300];
  snprintf(auth, sizeof auth, "Authorization: Bearer %s\r\n", token);
  expect_http(port, "POST", "/api/stations/main/params", auth, "{\"bpm\":70}", 202, NULL);
  char body[300];
  snprintf(body, sizeof body, "{\"bpm\":72,\"token\":\"%s\"}", token);
  expect_http(port, "POST", "/api/stations/main/params", NULL, body, 202, NULL);
  nc_ws ws = ws_open(port, "/ws/stream");
  snprintf(msg, sizeof msg, "{\"type\":\"control\",\"bpm\":73,\"token\":\"%s\"}", token);
  ASSERT_EQ_INT(nc_ws_send(&ws, 1, msg, strlen(msg)), 0);
  json_t *p = next_text(&ws, "params", 2000);
  ASSERT_TRUE(p != NULL);
  ASSERT_NEAR(params_num(p, "bpm"), 73, 1e-6);
  json_decref(p);
  nc_ws_close(&ws);
  snprintf(path, sizeof path, "/ws/stream?token=%s", token);
  ws = ws_open(port, path);
  const char *plain = "{\"type\":\"control\",\"bpm\":74}";
  ASSERT_EQ_INT(nc_ws_send(&ws, 1, plain, strlen(plain)), 0);
  p = next_text(&ws, "params", 2000);
  ASSERT_TRUE(p != NULL);
  json_decref(p);
  nc_ws_close(&ws);
  /* A token too long is named, not cut to fit. */
  snprintf(msg, sizeof msg, "{\"type\":\"control\",\"bpm\":75,\"token\":\"%sx\"}", token);
  ws = ws_open(port, "/ws/stream");
  expect_error(&ws, msg, "out_of_range", "token");
  nc_ws_close(&ws);
  ASSERT_GE(logged(&log, "control "), 4);
  ASSERT_EQ_INT(logged(&log, "abcdefghijklmnopqrstuvwxyz"), 0);
  lull_server_destroy(srv);
}

/* A stream request through a proxy naming its client: the status; the
 * connection is kept open in *fd (a listener) when it is 200. */
static int proxied_stream(uint16_t port, const char *header, int *fd) {
  *fd = nc_connect(port, 0);
  ASSERT_TRUE(*fd >= 0);
  char req[512];
  int n = snprintf(req, sizeof req, "GET /stream.ogg HTTP/1.1\r\nHost: 127.0.0.1\r\n%s\r\n\r\n", header);
  ASSERT_EQ_INT(send(*fd, req, (size_t)n, MSG_NOSIGNAL), n);
  char buf[512];
  long got = nc_read(*fd, buf, sizeof buf - 1, 3000);
  int status = -1;
  if (got > 0) {
    buf[got] = 0;
    sscanf(buf, "HTTP/1.%*d %d", &status);
  }
  if (status != 200) close(*fd), *fd = -1;
  return status;
}

/* Behind a trusted proxy, listeners are limited by the client address it
 * names (X-Forwarded-For, Forwarded; IPv6 by /64); from anyone else those
 * headers mean nothing. */
static void test_trusted_proxy(void **state) {
  (void)state;
  const char *proxies[] = {"127.0.0.0/8"};
  static logcap log;
  lull_server *srv = start_logged(&(lull_server_config){.max_per_ip = 2, .trusted_proxies = proxies, .n_trusted_proxies = 1}, &log);
  uint16_t port = lull_server_port(srv);
  int a1, a2, a3, b1, c1, c2, c3;
  ASSERT_EQ_INT(proxied_stream(port, "X-Forwarded-For: 203.0.113.7", &a1), 200);
  ASSERT_EQ_INT(proxied_stream(port, "X-Forwarded-For: 203.0.113.7, 127.0.0.5", &a2), 200);
  ASSERT_EQ_INT(proxied_stream(port, "x-forwarded-for: 203.0.113.7", &a3), 429);
  ASSERT_EQ_INT(proxied_stream(port, "X-Forwarded-For: 203.0.113.7, 198.51.100.9", &b1), 200); /* the nearest hop */
  ASSERT_EQ_INT(proxied_stream(port, "Forwarded: for=\"[2001:db8::1]:4711\";proto=https", &c1), 200);
  ASSERT_EQ_INT(proxied_stream(port, "Forwarded: for=\"[2001:db8::2]\"", &c2), 200);
  ASSERT_EQ_INT(proxied_stream(port, "Forwarded: for=\"[2001:db8::3]\"", &c3), 429); /* the same /64 */
  /* The WebSocket path (libwebsockets) names the same client. */
  nc_ws ws;
  ASSERT_EQ_INT(nc_ws_open(&ws, port, "/ws/stream", "X-Forwarded-For: 203.0.113.7\r\n", 0, NULL), 429);
  nc_ws_close(&ws);
  ASSERT_EQ_INT(nc_ws_open(&ws, port, "/ws/stream", "X-Forwarded-For: 192.0.2.1\r\n", 0, NULL), 101);
  ASSERT_TRUE(wait_listeners(port, 6, 2));
  ASSERT_GE(logged(&log, "connect 203.0.113.7 "), 2);
  ASSERT_EQ_INT(logged(&log, "connect 198.51.100.9 "), 1);
  ASSERT_GE(logged(&log, "connect 2001:db8::/64 "), 2);
  ASSERT_EQ_INT(logged(&log, "connect 192.0.2.1 "), 1);
  ASSERT_TRUE(a3 < 0 && c3 < 0);
  close(a1), close(a2), close(b1), close(c1), close(c2);
  nc_ws_close(&ws);
  ASSERT_TRUE(wait_listeners(port, 0, 2));
  lull_server_destroy(srv);

  /* Without trusting the proxy, the headers are the client's word: ignored. */
  srv = start(&(lull_server_config){.max_per_ip = 1});
  port = lull_server_port(srv);
  ASSERT_EQ_INT(proxied_stream(port, "X-Forwarded-For: 203.0.113.7", &a1), 200);
  ASSERT_EQ_INT(proxied_stream(port, "X-Forwarded-For: 203.0.113.8", &a2), 429);
  close(a1);
  lull_server_destroy(srv);
  /* A malformed network is named. */
  lull_server *none = NULL;
  lull_diag d = {{0}, {0}};
  const char *bad[] = {"10.0.0.0/33"};
  ASSERT_EQ_INT(lull_server_create(&(lull_server_config){.trusted_proxies = bad, .n_trusted_proxies = 1}, &none, &d),
                LULL_EINVAL);
  ASSERT_STR_CONTAINS(d.message, "10.0.0.0/33");
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_a_full_server_says_so),
      cmocka_unit_test(test_per_address_limit),
      cmocka_unit_test(test_token_and_origin),
      cmocka_unit_test(test_rest_steering_is_guarded),
      cmocka_unit_test(test_long_token_every_form_never_logged),
      cmocka_unit_test(test_trusted_proxy),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
