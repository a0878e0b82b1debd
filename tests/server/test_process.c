/* process.c: a /proc/PID/stat line is read by its fields (a command with
 * spaces and parentheses in it too) and a malformed one refused; this
 * process's own figures agree with what the kernel says through other
 * calls: descriptors opened are counted, CPU time burned shows within a
 * clock tick of getrusage, memory touched shows as resident bytes, and the
 * start time is just before main() began. */
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "server/process.h"
#include "support/harness.h"

static time_t main_started;

static void test_stat_line_parsed(void **state) {
  (void)state;
  /* Fields 14 utime 250, 15 stime 50, 22 starttime 12345, 23 vsize, 24 rss (pages). */
  const char *line = "4242 (lull (a) b) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 5 0 12345 "
                     "208379904 7945 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
  lull__process p = {0};
  ASSERT_EQ_INT(lull__process_parse_stat(line, 100, 4096, 1700000000, &p), 0);
  ASSERT_NEAR(p.cpu_seconds, 3.0, 1e-9);
  ASSERT_NEAR(p.start_time_seconds, 1700000000 + 123.45, 1e-6);
  ASSERT_EQ_INT(p.virtual_bytes, 208379904);
  ASSERT_EQ_INT(p.resident_bytes, 7945ull * 4096);
  const char *bad[] = {"", "4242 lull S 1", "4242 (lull) S 1 2 3", "4242 (lull) S 1 x 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) ASSERT_EQ_INT(lull__process_parse_stat(bad[i], 100, 4096, 1, &p), -1);
  ASSERT_EQ_INT(lull__process_parse_stat(line, 0, 4096, 1, &p), -1);
}

static double rusage_cpu(struct rusage *r) {
  getrusage(RUSAGE_SELF, r);
  return (double)r->ru_utime.tv_sec + (double)r->ru_utime.tv_usec / 1e6 + (double)r->ru_stime.tv_sec +
         (double)r->ru_stime.tv_usec / 1e6;
}

static void test_own_figures(void **state) {
  (void)state;
  lull__process a, b;
  ASSERT_EQ_INT(lull__process_read(&a), 0);
  /* Descriptors: two pipes are four more. */
  int fds[4];
  ASSERT_EQ_INT(pipe(fds), 0);
  ASSERT_EQ_INT(pipe(fds + 2), 0);
  ASSERT_EQ_INT(lull__process_read(&b), 0);
  ASSERT_EQ_INT(b.open_fds, a.open_fds + 4);
  for (int i = 0; i < 4; i++) close(fds[i]);
  struct rlimit rl;
  ASSERT_EQ_INT(getrlimit(RLIMIT_NOFILE, &rl), 0);
  if (rl.rlim_cur != RLIM_INFINITY) ASSERT_EQ_INT(b.max_fds, rl.rlim_cur);
  /* CPU: burn a quarter of a second; /proc counts in clock ticks (1/100 s). */
  clock_t c0 = clock();
  volatile double x = 0;
  while ((double)(clock() - c0) / CLOCKS_PER_SEC < 0.25) x += 1.0;
  struct rusage r;
  double before = rusage_cpu(&r);
  ASSERT_EQ_INT(lull__process_read(&b), 0);
  double after = rusage_cpu(&r);
  print_message("# cpu %.2f s (getrusage %.3f..%.3f), rss %.1f MiB, %lld fds, started %.2f\n", b.cpu_seconds, before,
                after, (double)b.resident_bytes / 1048576.0, (long long)b.open_fds, b.start_time_seconds);
  /* /proc gives whole ticks, and splits the time between user and system
   * on its own: a tick or two either way. */
  ASSERT_GE(b.cpu_seconds, 0.25 - 0.03);
  ASSERT_GE(b.cpu_seconds, before - 0.03);
  ASSERT_LE(b.cpu_seconds, after + 0.03);
  /* Memory: resident is at most the peak, and 64 MiB touched show. */
  ASSERT_LE(b.resident_bytes, (double)r.ru_maxrss * 1024.0);
  ASSERT_GE(b.virtual_bytes, b.resident_bytes);
  size_t big = 64u << 20;
  unsigned char *m = malloc(big);
  ASSERT_TRUE(m != NULL);
  for (size_t i = 0; i < big; i += 4096) m[i] = (unsigned char)i;
  lull__process c;
  ASSERT_EQ_INT(lull__process_read(&c), 0);
  ASSERT_GE((double)c.resident_bytes, (double)b.resident_bytes + 60.0 * 1048576.0);
  free(m);
  /* Started before main() did, and not long before (Unix time, seconds). */
  ASSERT_LE(c.start_time_seconds, (double)main_started + 1.0);
  ASSERT_GE(c.start_time_seconds, (double)main_started - 60.0);
}

int main(void) {
  main_started = time(NULL);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_stat_line_parsed),
      cmocka_unit_test(test_own_figures),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
