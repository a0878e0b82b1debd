/* Timed, not unit-tested: what the server's clock does, measured on the
 * wall clock and so run only in the release build (CTest label "timing";
 * sanitizer runs skip it). The bounds are generous for a loaded 2-core
 * machine; the logic behind each (counts, order, content) is asserted in
 * test_http, test_ws and test_server.
 * - WebSocket packets arrive at the real-time rate (50 a second);
 * - a WebSocket message goes out as it is made (every 60 ms), while HTTP
 *   stream listeners get about 200 ms at a time (a third of the sends);
 * - SIGTERM to exit within a second. */
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "server/fixture.h"
#include "support/harness.h"
#include "support/spawn.h"

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

static void test_rate_and_write_cadence(void **state) {
  (void)state;
  lull_server *srv = start(NULL);
  uint16_t port = lull_server_port(srv);
  double t0 = nc_now_s();
  nc_ws opus = ws_open(port, "/ws/stream?station=main&codec=opus");
  int ogg = nc_connect(port, 0), mp3 = nc_connect(port, 0);
  unsigned char *pre;
  size_t len;
  ASSERT_EQ_INT(nc_stream_open(ogg, "/stream.ogg", &pre, &len), 200);
  free(pre);
  ASSERT_EQ_INT(nc_stream_open(mp3, "/stream.mp3", &pre, &len), 200);
  free(pre);
  int err;
  OpusDecoder *dec = opus_decoder_create(48000, 2, &err);
  wsstat so = {.last_seq = -1};
  static arrivals at_opus, at_ogg, at_mp3;
  static unsigned char sink[1 << 16];
  while (nc_now_s() - t0 < 8.5) {
    struct pollfd fds[3] = {{opus.fd, POLLIN, 0}, {ogg, POLLIN, 0}, {mp3, POLLIN, 0}};
    if (poll(fds, 3, 100) < 0) break;
    if (fds[0].revents) {
      arrived(&at_opus);
      while (nc_ws_recv(&opus, 0) == 2) ws_packets(&opus, &so, dec, LULL_CODEC_OPUS);
    }
    if (fds[1].revents) {
      arrived(&at_ogg);
      ASSERT_TRUE(nc_read(ogg, sink, sizeof sink, 0) > 0);
    }
    if (fds[2].revents) {
      arrived(&at_mp3);
      ASSERT_TRUE(nc_read(mp3, sink, sizeof sink, 0) > 0);
    }
  }
  double rate = (double)(so.packets - 15) / (so.last_t - so.first_t);
  double g_opus = median_gap_ms(&at_opus, t0 + 1), g_ogg = median_gap_ms(&at_ogg, t0 + 1),
         g_mp3 = median_gap_ms(&at_mp3, t0 + 1);
  print_message("# ws: %.1f packets/s after the burst; median time between arrivals: ws %.0f ms, ogg %.0f ms, "
                "mp3 %.0f ms\n", rate, g_opus, g_ogg, g_mp3);
  ASSERT_EQ_INT(so.gaps, 0);
  ASSERT_NEAR(rate, 50.0, 2.5);
  ASSERT_NEAR(g_opus, 60, 15);
  ASSERT_NEAR(g_ogg, 180, 40);
  ASSERT_NEAR(g_mp3, 180, 40);
  opus_decoder_destroy(dec);
  close(ogg);
  close(mp3);
  nc_ws_close(&opus);
  lull_server_destroy(srv);
}

static void test_sigterm_to_exit_within_a_second(void **state) {
  (void)state;
  int err_fd;
  nc_ws ws;
  pid_t pid = serve_with_a_listener(&ws, &err_fd);
  double t0 = nc_now_s();
  kill(pid, SIGTERM);
  int status;
  wait_exit(pid, t0, 10, &status);
  double took = nc_now_s() - t0;
  print_message("# SIGTERM to exit: %.0f ms\n", took * 1000);
  ASSERT_LE(took, 1.0);
  nc_ws_close(&ws);
  close(err_fd);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rate_and_write_cadence),
      cmocka_unit_test(test_sigterm_to_exit_within_a_second),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
