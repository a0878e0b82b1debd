/* The worker's accept loop out of file descriptors: it refuses without
 * spinning, and serves again once some are closed. */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdlib.h>
#include <string.h>

#include "server/fixture.h"
#include "support/harness.h"
#include "support/spawn.h"

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

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_out_of_descriptors_does_not_spin),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
