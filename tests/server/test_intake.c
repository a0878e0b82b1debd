/* Connections before they are anything: each is counted against its address
 * from accept, and a request must be in by an absolute deadline however it
 * trickles; a client that leaves before its request is let go. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server/fixture.h"
#include "support/harness.h"

/* The status of the response on fd within timeout_ms; -1 when the server
 * closed without one, -2 when nothing came. */
static int status_of(int fd, int timeout_ms) {
  char buf[2048];
  size_t n = 0;
  for (double end = nc_now_s() + timeout_ms / 1000.0; nc_now_s() < end && n < sizeof buf - 1;) {
    long r = nc_read(fd, buf + n, sizeof buf - 1 - n, 50);
    if (r == 0 || r == -1) break;
    if (r > 0) n += (size_t)r;
    buf[n] = 0;
    int status;
    if (strstr(buf, "\r\n") && sscanf(buf, "HTTP/1.%*d %d", &status) == 1) return status;
  }
  return n ? -1 : -2;
}

/* Whether the server closed fd within timeout_ms (reading what it sends). */
static int closed_within(int fd, int timeout_ms) {
  char buf[4096];
  for (double end = nc_now_s() + timeout_ms / 1000.0; nc_now_s() < end;) {
    long r = nc_read(fd, buf, sizeof buf, 50);
    if (r == 0 || r == -1) return 1;
  }
  return 0;
}

static void test_connections_counted_from_accept(void **state) {
  (void)state;
  lull_server *srv = start(&(lull_server_config){.max_per_ip = 2, .max_conns_per_ip = 6});
  uint16_t port = lull_server_port(srv);
  /* Six idle connections hold the address's places; the seventh is told so. */
  int fds[6];
  for (int i = 0; i < 6; i++) ASSERT_TRUE((fds[i] = nc_connect(port, 0)) >= 0);
  nap_ms(200);
  int extra = nc_connect(port, 0);
  ASSERT_TRUE(extra >= 0);
  ASSERT_EQ_INT(status_of(extra, 2000), 429);
  close(extra);
  for (int i = 0; i < 6; i++) close(fds[i]);
  nap_ms(300);
  expect_http(port, "GET", "/api/status", NULL, NULL, 200, NULL);
  lull_server_destroy(srv);
}

static void test_requests_have_a_deadline(void **state) {
  (void)state;
  static logcap log;
  lull_server *srv = start_logged(&(lull_server_config){.request_ms = 1500}, &log);
  uint16_t port = lull_server_port(srv);
  int fds0 = open_fds();
  /* A head trickled a byte every 200 ms, a body announced and trickled,
   * a stream request never finished, and one that says nothing at all. */
  int head = nc_connect(port, 0), body = nc_connect(port, 0), stream = nc_connect(port, 0), mute = nc_connect(port, 0);
  const char *post = "POST /api/stations/main/params HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     "Content-Type: application/json\r\nContent-Length: 4000\r\n\r\n{";
  ASSERT_TRUE(send(body, post, strlen(post), MSG_NOSIGNAL) > 0);
  ASSERT_TRUE(send(stream, "GET /stream.ogg HTTP/1.1\r\nHost: x\r\n", 35, MSG_NOSIGNAL) > 0);
  const char *slow = "GET /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
  double t0 = nc_now_s();
  int head_closed = 0, body_closed = 0;
  for (size_t i = 0; nc_now_s() - t0 < 4 && !(head_closed && body_closed); i++) {
    if (!head_closed && send(head, slow + (i % strlen(slow)), 1, MSG_NOSIGNAL) < 0) head_closed = 1;
    if (!body_closed && send(body, " ", 1, MSG_NOSIGNAL) < 0) body_closed = 1;
    nap_ms(200);
  }
  ASSERT_TRUE(closed_within(head, 1000));
  ASSERT_TRUE(closed_within(body, 1000));
  ASSERT_TRUE(closed_within(stream, 1000));
  ASSERT_TRUE(closed_within(mute, 1000));
  print_message("# trickled, unfinished and silent requests closed within %.1f s (deadline 1.5 s)\n", nc_now_s() - t0);
  close(head);
  close(body);
  close(stream);
  close(mute);
  /* A client that leaves before its request is in. */
  int gone = nc_connect(port, 0);
  close(gone);
  nap_ms(300);
  ASSERT_EQ_INT(open_fds(), fds0);
  expect_http(port, "GET", "/api/status", NULL, NULL, 200, NULL);
  lull_server_destroy(srv);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_connections_counted_from_accept),
      cmocka_unit_test(test_requests_have_a_deadline),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
