/* Who may do what: the total and per-address listener limits (503, 429,
 * places freed), the control token and the Origin of a WebSocket. */
#include <signal.h>
#include <stdio.h>

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

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_a_full_server_says_so),
      cmocka_unit_test(test_per_address_limit),
      cmocka_unit_test(test_token_and_origin),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
