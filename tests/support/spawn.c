#include "spawn.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "netclient.h"

pid_t spawn_serve(const char *bin, const char *const *args, int nofile, uint16_t *port, int *err_fd) {
  int p[2];
  if (pipe(p)) return -1;
  pid_t parent = getpid(), pid = fork();
  if (pid < 0) {
    close(p[0]);
    close(p[1]);
    return -1;
  }
  if (pid == 0) {
    /* A test that dies without its cleanup (an abort, a sanitizer's
     * report) leaves no server behind: SIGTERM when it goes. */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(127);
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

double proc_cpu_s(pid_t pid) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  char *ok = fgets(buf, sizeof buf, f);
  fclose(f);
  if (!ok) return -1;
  unsigned long ut = 0, st = 0;
  /* After the name (which may hold spaces): state, then utime and stime are
   * the 12th and 13th fields. */
  sscanf(strrchr(buf, ')') + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st);
  return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

long proc_rss_kib(pid_t pid) {
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  long kib = -1;
  while (fgets(line, sizeof line, f))
    if (strncmp(line, "VmRSS:", 6) == 0) kib = strtol(line + 6, NULL, 10);
  fclose(f);
  return kib;
}

int proc_fds(pid_t pid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
  DIR *d = opendir(path);
  if (!d) return -1;
  int n = 0;
  for (struct dirent *e; (e = readdir(d));)
    if (e->d_name[0] != '.') n++;
  closedir(d);
  return n;
}
