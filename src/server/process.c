/* The process's own figures for /metrics, read from /proc/self at each
 * scrape (what Prometheus' client libraries report as process_*): nothing
 * is kept between scrapes, so there is no state to share between threads. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "server/process.h"

int lull__process_parse_stat(const char *line, long ticks_per_s, long page_bytes, uint64_t boot_time_s, lull__process *out) {
  /* "PID (COMM) STATE PPID ...": COMM may hold anything but a NUL, so the
   * fields start after its last ')'. Fields by their number in proc(5). */
  const char *p = strrchr(line, ')');
  if (!p || ticks_per_s <= 0 || page_bytes <= 0 || p[1] != ' ' || !p[2] || p[3] != ' ') return -1;
  p += 3; /* past ") S": field 4 (ppid) follows */
  unsigned long long f[25] = {0};
  for (int i = 4; i <= 24; i++) {
    char *end;
    f[i] = strtoull(p, &end, 10);
    if (end == p || (*end != ' ' && *end != '\n' && *end != 0)) return -1;
    p = end;
  }
  out->cpu_seconds = (double)(f[14] + f[15]) / (double)ticks_per_s; /* utime + stime, every thread's */
  out->start_time_seconds = (double)boot_time_s + (double)f[22] / (double)ticks_per_s; /* starttime: ticks after boot */
  out->virtual_bytes = f[23];
  out->resident_bytes = f[24] * (uint64_t)page_bytes;
  return 0;
}

/* Boot time, Unix seconds: /proc/stat's "btime" line (among lines of any length). */
static uint64_t boot_time(void) {
  FILE *fp = fopen("/proc/stat", "re");
  if (!fp) return 0;
  char chunk[256];
  unsigned long long t = 0;
  int at_start = 1;
  while (fgets(chunk, sizeof chunk, fp)) {
    if (at_start && sscanf(chunk, "btime %llu", &t) == 1) break;
    at_start = strchr(chunk, '\n') != NULL;
  }
  fclose(fp);
  return t;
}

static int64_t open_fds(void) {
  DIR *d = opendir("/proc/self/fd");
  if (!d) return -1;
  int64_t n = 0;
  for (struct dirent *e; (e = readdir(d));)
    if (e->d_name[0] != '.') n++;
  closedir(d);
  return n - 1; /* the listing's own descriptor */
}

int lull__process_read(lull__process *out) {
  memset(out, 0, sizeof *out);
  struct rlimit rl;
  out->max_fds = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY ? (int64_t)rl.rlim_cur : -1;
  out->open_fds = open_fds();
  FILE *fp = fopen("/proc/self/stat", "re");
  if (!fp) return -1;
  char line[1024];
  int ok = fgets(line, sizeof line, fp) != NULL;
  fclose(fp);
  uint64_t btime = boot_time();
  if (!ok || !btime) return -1;
  return lull__process_parse_stat(line, sysconf(_SC_CLK_TCK), sysconf(_SC_PAGESIZE), btime, out);
}
