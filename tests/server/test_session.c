/* A listener's lag policy: a reader that stops is skipped to the live edge,
 * then closed, while a reader beside it loses nothing. */
#include <signal.h>

#include <stdlib.h>
#include <string.h>

#include "server/fixture.h"
#include "support/harness.h"

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

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_stalled_reader_is_skipped_then_dropped),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
