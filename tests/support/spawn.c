#include "spawn.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "netclient.h"

pid_t spawn_serve(const char *bin, const char *const *args, int nofile, uint16_t *port, int *err_fd) {
  int p[2];
  if (pipe(p)) return -1;
  pid_t pid = fork();
  if (pid < 0) {
    close(p[0]);
    close(p[1]);
    return -1;
  }
  if (pid == 0) {
    int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    dup2(p[1], 2);
    close(p[0]);
    if (nofile > 0) {
      struct rlimit rl = {(rlim_t)nofile, (rlim_t)nofile};
      setrlimit(RLIMIT_NOFILE, &rl);
    }
    const char *argv[32] = {"lull", "serve", "--port", "0"};
    for (int i = 0; args && args[i] && i < 27; i++) argv[4 + i] = args[i];
    execv(bin, (char *const *)argv);
    _exit(127);
  }
  close(p[1]);
  char log[4096] = "";
  size_t len = 0;
  unsigned got = 0;
  for (double end = nc_now_s() + 5; !got && nc_now_s() < end;) {
    long n = nc_read(p[0], log + len, sizeof log - 1 - len, 200);
    if (n > 0) len += (size_t)n, log[len] = 0;
    if (n == 0 || n == -1) break; /* it ended */
    const char *s = strstr(log, "http://127.0.0.1:");
    if (s) sscanf(s, "http://127.0.0.1:%u/", &got);
  }
  if (!got) {
    fprintf(stderr, "spawn_serve: no port in what lull serve printed:\n%s\n", log);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    close(p[0]);
    return -1;
  }
  *port = (uint16_t)got;
  *err_fd = p[0];
  return pid;
}
