/* uring.c: a batch of sends completes inside its flush with send()'s
 * results: whole sends their length, a full socket -EAGAIN at once (never
 * parked: the worker would stall behind one stalled listener), a socket
 * whose peer has gone an error; a full ring refuses more; receives too. On
 * a kernel that refuses io_uring the test says so and skips. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server/uring.h"
#include "support/harness.h"

static int results[64], n_results;
static void *users[64];

static void record(void *user, int res) {
  users[n_results] = user;
  results[n_results++] = res;
}

static lull__uring *ring_or_skip(unsigned entries) {
  lull__uring *r = lull__uring_create(entries);
  if (!r) {
    print_message("# io_uring is not to be had here (%s): skipped\n", strerror(errno));
    skip();
  }
  return r;
}

static void test_sends_complete_in_the_flush(void **state) {
  (void)state;
  lull__uring *r = ring_or_skip(8);
  int a[2], b[2];
  ASSERT_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, a), 0);
  ASSERT_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, b), 0);
  int small = 4096;
  setsockopt(b[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
  setsockopt(b[1], SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  static unsigned char big[1 << 20];
  memset(big, 'x', sizeof big);
  /* b's buffers fill: one plain send to the brim first. */
  while (send(b[0], big, sizeof big, MSG_DONTWAIT) > 0) {
  }
  n_results = 0;
  ASSERT_EQ_INT(lull__uring_send(r, a[0], "hello", 5, (void *)1), 0);
  ASSERT_EQ_INT(lull__uring_send(r, b[0], big, 1000, (void *)2), 0);
  ASSERT_EQ_INT(lull__uring_queued(r), 2);
  alarm(10); /* a send parked on the full socket would hang the flush */
  ASSERT_EQ_INT(lull__uring_flush(r, record), 0);
  alarm(0);
  ASSERT_EQ_INT(n_results, 2);
  ASSERT_EQ_INT(lull__uring_queued(r), 0);
  for (int i = 0; i < 2; i++) {
    if (users[i] == (void *)1) ASSERT_EQ_INT(results[i], 5);
    if (users[i] == (void *)2) ASSERT_EQ_INT(results[i], -EAGAIN);
  }
  char got[8] = {0};
  ASSERT_EQ_INT(read(a[1], got, sizeof got), 5);
  ASSERT_TRUE(memcmp(got, "hello", 5) == 0);

  /* The peer gone: an error, not a hang. */
  close(a[1]);
  n_results = 0;
  ASSERT_EQ_INT(lull__uring_send(r, a[0], "more", 4, (void *)3), 0);
  ASSERT_EQ_INT(lull__uring_flush(r, record), 0);
  ASSERT_EQ_INT(n_results, 1);
  ASSERT_EQ_INT(results[0], -EPIPE);

  /* Receives: what is there, or -EAGAIN on an empty socket. */
  unsigned char in[16];
  int c[2];
  ASSERT_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, c), 0);
  ASSERT_EQ_INT(write(c[1], "abc", 3), 3);
  n_results = 0;
  ASSERT_EQ_INT(lull__uring_recv(r, c[0], in, sizeof in, (void *)4), 0);
  ASSERT_EQ_INT(lull__uring_flush(r, record), 0);
  ASSERT_EQ_INT(results[0], 3);
  n_results = 0;
  ASSERT_EQ_INT(lull__uring_recv(r, c[0], in, sizeof in, (void *)5), 0);
  ASSERT_EQ_INT(lull__uring_flush(r, record), 0);
  ASSERT_EQ_INT(results[0], -EAGAIN);
  close(a[0]);
  for (int i = 0; i < 2; i++) close(b[i]), close(c[i]);
  lull__uring_destroy(r);
}

static void test_a_full_ring_refuses_more(void **state) {
  (void)state;
  lull__uring *r = ring_or_skip(4);
  int a[2];
  ASSERT_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, a), 0);
  for (int i = 0; i < 4; i++) ASSERT_EQ_INT(lull__uring_send(r, a[0], "z", 1, (void *)(intptr_t)i), 0);
  ASSERT_EQ_INT(lull__uring_send(r, a[0], "z", 1, NULL), -1);
  n_results = 0;
  ASSERT_EQ_INT(lull__uring_flush(r, record), 0);
  ASSERT_EQ_INT(n_results, 4);
  for (int i = 0; i < 4; i++) ASSERT_EQ_INT(results[i], 1);
  char got[8];
  ASSERT_EQ_INT(read(a[1], got, sizeof got), 4);
  /* And empty again, it takes a new batch. */
  ASSERT_EQ_INT(lull__uring_send(r, a[0], "z", 1, NULL), 0);
  n_results = 0;
  ASSERT_EQ_INT(lull__uring_flush(r, record), 0);
  ASSERT_EQ_INT(n_results, 1);
  close(a[0]);
  close(a[1]);
  lull__uring_destroy(r);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sends_complete_in_the_flush),
      cmocka_unit_test(test_a_full_ring_refuses_more),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
