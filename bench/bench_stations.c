/* bench_stations: N live stations in one process for S seconds; prints the
 * process's CPU per station (user + system, from getrusage) and RSS (from
 * /proc/self/status), and each station's lead and late frames. Not a test:
 * figures only. Usage: bench_stations [N] [S]  (defaults 4 stations, 20 s) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "lull/lull.h"

static double cpu_s(void) {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return (double)u.ru_utime.tv_sec + (double)u.ru_utime.tv_usec * 1e-6 + (double)u.ru_stime.tv_sec +
         (double)u.ru_stime.tv_usec * 1e-6;
}

static long rss_kib(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kib = -1;
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, "VmRSS:", 6) == 0) kib = atol(line + 6);
  if (f) fclose(f);
  return kib;
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 4, seconds = argc > 2 ? atoi(argv[2]) : 20;
  if (n < 1 || n > 256 || seconds < 1 || seconds > 3600) {
    fprintf(stderr, "usage: bench_stations [stations 1..256] [seconds 1..3600]\n");
    return 2;
  }
  long rss0 = rss_kib();
  lull_station **st = calloc((size_t)n, sizeof *st);
  char names[256][16];
  for (int i = 0; i < n; i++) {
    snprintf(names[i], sizeof names[i], "s%d", i);
    lull_station_config c = {.name = names[i]};
    c.params = lull_params_default();
    c.params.seed = (uint64_t)i;
    c.params.intensity = 0.6f;
    lull_diag d;
    if (lull_station_create(&c, &st[i], &d) != LULL_OK) {
      fprintf(stderr, "bench_stations: %s: %s\n", d.field, d.message);
      return 1;
    }
  }
  long rss1 = rss_kib();
  double c0 = cpu_s();
  for (int i = 0; i < n; i++)
    if (lull_station_start(st[i]) != LULL_OK) return 1;
  sleep((unsigned)seconds);
  for (int i = 0; i < n; i++) lull_station_stop(st[i]);
  double cpu = cpu_s() - c0;
  long rss2 = rss_kib();
  printf("bench_stations: %d stations, %d s live, 2 cores\n", n, seconds);
  printf("CPU per station: %.2f %% of a core (process %.2f s CPU over %d s)\n", 100.0 * cpu / seconds / n, cpu, seconds);
  printf("RSS: %.1f MiB before, %.1f MiB with %d stations created, %.1f MiB after running: %.1f MiB per station\n",
         (double)rss0 / 1024, (double)rss1 / 1024, n, (double)rss2 / 1024, (double)(rss2 - rss0) / 1024 / n);
  double late = 0, lmin = 1e9, lmax = -1e9, enc = 0;
  for (int i = 0; i < n; i++) {
    lull_station_metrics m;
    lull_station_get_metrics(st[i], &m);
    late += (double)m.late_frames;
    lmin = m.lead_ms_min < lmin ? m.lead_ms_min : lmin;
    lmax = m.lead_ms_max > lmax ? m.lead_ms_max : lmax;
    enc += m.encode_us_mean / n;
    lull_station_destroy(st[i]);
  }
  printf("lead %.2f..%.2f ms (target 60), late frames %.0f, render+encode %.0f us per 20 ms frame\n", lmin, lmax, late,
         enc);
  free(st);
  return 0;
}
