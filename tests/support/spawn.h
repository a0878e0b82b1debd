/* Start a real `lull serve` for the tests that need it as a process of its
 * own (its CPU read from /proc, its descriptor limit, SIGKILL), and read
 * its figures from /proc. */
#ifndef LULL_TEST_SPAWN_H
#define LULL_TEST_SPAWN_H

#include <stdint.h>
#include <sys/types.h>

/* `bin serve --port 0 ARGS...` (args NULL-terminated, may be NULL), its
 * stdout on /dev/null (a test runner reading ours would wait for it) and
 * its stderr on a pipe, *err_fd, left open for the caller to read. Waits up
 * to 5 s for the line naming its port. nofile > 0 sets RLIMIT_NOFILE in the
 * child. Returns the pid, or -1 with what it printed on our stderr. */
pid_t spawn_serve(const char *bin, const char *const *args, int nofile, uint16_t *port, int *err_fd);

/* CPU seconds a process has used (user + system), from /proc; -1 if gone. */
double proc_cpu_s(pid_t pid);
/* Its resident memory in KiB (VmRSS); -1 if gone. */
long proc_rss_kib(pid_t pid);
/* Its open descriptors (/proc/PID/fd); -1 if gone. */
int proc_fds(pid_t pid);

#endif
