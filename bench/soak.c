/* soak: `lull serve` under a steady crowd for a long time, to show what a
 * minute cannot: memory that creeps, descriptors that leak, CPU that grows,
 * a staying listener who hears a gap. It holds N staying listeners (half
 * WebSocket Opus, half HTTP Ogg, a few MP3) while R a second arrive and
 * leave, every way of leaving in turn (tests/support/crowd.h), all from one
 * epoll loop; every 10 s it writes the server's RSS, descriptors, CPU
 * seconds and listener count (and the crowd's arrivals, gaps and failures
 * so far) as a CSV line; at the end it says whether memory stayed flat
 * within 5 % after the warm-up (the first 5 minutes or 20 % of the run,
 * whichever is shorter) and how many gaps the stayers heard. Exit 0 only
 * when memory was flat, no stayer heard a gap or was dropped, and every
 * one who left was treated as its way demands.
 *
 *   soak [--minutes M] [--lull PATH] [--csv FILE] [--stayers N] [--rate R]
 *
 * bench/soak_plot draws the CSV (docs/reliability-soak.svg); `make soak`
 * runs both. A figure, not a test: it runs for as long as it is told. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "support/crowd.h"
#include "support/netclient.h"
#include "support/spawn.h"

#define SAMPLE_S 10.0
#define MAX_SAMPLES 10000 /* a day of samples */

typedef struct sample {
  double t_s, cpu_s;
  long rss_kib;
  int fds, listeners;
  uint64_t arrivals, gaps, failures;
} sample;

/* The server's own count of listeners (GET /api/status); -1 if no answer. */
static int listeners_of(uint16_t port) {
  char *body = NULL;
  int n = -1;
  if (nc_http(port, "GET", "/api/status", NULL, NULL, &body, NULL) == 200) {
    const char *p = strstr(body, "\"listeners\":"); /* the first is the server's total */
    if (p) n = atoi(p + 12);
  }
  free(body);
  return n;
}

static uint64_t stayer_gaps(const crowd *cr) {
  uint64_t g = 0;
  for (int i = 0; i < crowd_stayers(cr); i++) g += crowd_stayer_at(cr, i)->gaps;
  return g;
}

/* Clients not treated as their way demands, and stayers the server let go. */
static uint64_t failures(const crowd *cr) {
  uint64_t f = 0;
  for (int w = 0; w < CROWD_WAYS; w++) f += crowd_way(cr, w)->failed;
  for (int i = 0; i < crowd_stayers(cr); i++) f += crowd_stayer_at(cr, i)->ended != 0;
  return f;
}

static int usage(void) {
  fprintf(stderr, "usage: soak [--minutes M (0.5..1440, default 60)] [--lull PATH] [--csv FILE (soak.csv)] "
                  "[--stayers N (10..5000, default 1000)] [--rate R (arrivals a second, 1..200, default 20)]\n");
  return 2;
}

int main(int argc, char **argv) {
  double minutes = 60, rate = 20;
  int n_stayers = 1000;
  const char *bin = LULL_BIN, *csv_path = "soak.csv";
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--minutes") == 0 && i + 1 < argc) minutes = atof(argv[++i]);
    else if (strcmp(argv[i], "--lull") == 0 && i + 1 < argc) bin = argv[++i];
    else if (strcmp(argv[i], "--csv") == 0 && i + 1 < argc) csv_path = argv[++i];
    else if (strcmp(argv[i], "--stayers") == 0 && i + 1 < argc) n_stayers = atoi(argv[++i]);
    else if (strcmp(argv[i], "--rate") == 0 && i + 1 < argc) rate = atof(argv[++i]);
    else return usage();
  }
  if (!(minutes >= 0.5 && minutes <= 1440) || n_stayers < 10 || n_stayers > 5000 || !(rate >= 1 && rate <= 200))
    return usage();
  if (access(bin, X_OK) != 0) {
    fprintf(stderr, "soak: no lull at %s (--lull PATH)\n", bin);
    return 2;
  }
  /* Every listener is a descriptor on each side. */
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);
  signal(SIGPIPE, SIG_IGN);
  FILE *csv = fopen(csv_path, "w");
  if (!csv) {
    fprintf(stderr, "soak: cannot write %s\n", csv_path);
    return 1;
  }

  /* Everyone comes from 127.0.0.1: the per-address limits must hold them all. */
  char per_ip[16], conns[16], max[16];
  snprintf(per_ip, sizeof per_ip, "%d", n_stayers + 1000);
  snprintf(conns, sizeof conns, "%d", n_stayers + 2000);
  snprintf(max, sizeof max, "%d", n_stayers + 1000);
  const char *args[] = {"--max-clients", max, "--max-per-ip", per_ip, "--max-conns-per-ip", conns, "--log-level", "info",
                        NULL};
  int err_fd;
  uint16_t port;
  pid_t pid = spawn_serve(bin, args, 0, &port, &err_fd);
  if (pid < 0) return 1;
  crowd *cr = crowd_create(&(crowd_config){.port = port, .seed = 1, .log_fd = err_fd, .round_ms = 50,
                                           .hold_min_s = 0.5, .hold_max_s = 5, .max_clients = n_stayers + 1000});
  if (!cr) return 1;
  printf("soak: %s serve on port %u, %.1f minutes, %d staying listeners, %.0f arrivals a second; %s\n", bin, port,
         minutes, n_stayers, rate, csv_path);
  fflush(stdout);

  /* The stayers, a hundred at a time: a few MP3, then WebSocket Opus and
   * HTTP Ogg in turn. */
  int mp3 = n_stayers / 100 > 1 ? n_stayers / 100 : 1;
  for (int i = 0; i < n_stayers; i++) {
    crowd_stay(cr, i < mp3 ? CROWD_MP3 : i % 2 ? CROWD_OGG : CROWD_WS_OPUS, 0);
    if (i % 100 == 99) crowd_run(cr, 0.1);
  }
  crowd_run(cr, 2);

  static sample s[MAX_SAMPLES];
  int ns = 0;
  fprintf(csv, "t_s,rss_kib,fds,cpu_s,listeners,arrivals,gaps,failures\n");
  double t0 = nc_now_s(), end = t0 + minutes * 60, next_arrival = t0, next_sample = t0;
  uint64_t arrived = 0;
  for (int last = 0; !last;) {
    double t = nc_now_s();
    last = t >= end; /* one more sample at the end */
    for (; !last && t >= next_arrival; next_arrival += 1 / rate, arrived++)
      crowd_arrive(cr, (int)(arrived % CROWD_LEAVING_WAYS), (int)(arrived / CROWD_LEAVING_WAYS % 4));
    if ((t >= next_sample || last) && ns < MAX_SAMPLES) {
      sample *x = &s[ns++];
      *x = (sample){t - t0, proc_cpu_s(pid), proc_rss_kib(pid), proc_fds(pid), listeners_of(port), arrived,
                    stayer_gaps(cr), failures(cr)};
      fprintf(csv, "%.1f,%ld,%d,%.2f,%d,%llu,%llu,%llu\n", x->t_s, x->rss_kib, x->fds, x->cpu_s, x->listeners,
              (unsigned long long)x->arrivals, (unsigned long long)x->gaps, (unsigned long long)x->failures);
      fflush(csv);
      printf("  %6.0f s  RSS %ld KiB  descriptors %d  CPU %.1f s  listeners %d  arrivals %llu  gaps %llu  failures %llu\n",
             x->t_s, x->rss_kib, x->fds, x->cpu_s, x->listeners, (unsigned long long)x->arrivals,
             (unsigned long long)x->gaps, (unsigned long long)x->failures);
      fflush(stdout);
      next_sample += SAMPLE_S;
    }
    if (!last) crowd_run(cr, 0.05);
  }
  for (double stop = nc_now_s() + 15; crowd_coming_and_going(cr) && nc_now_s() < stop;) crowd_run(cr, 0.1);
  crowd_stayers_leave(cr);
  crowd_run(cr, 1);
  kill(pid, SIGTERM);
  for (double stop = nc_now_s() + 5; !crowd_log_stats(cr)->eof && nc_now_s() < stop;) crowd_run(cr, 0.05);
  int status = -1;
  for (double stop = nc_now_s() + 5; waitpid(pid, &status, WNOHANG) == 0 && nc_now_s() < stop;)
    nanosleep(&(struct timespec){0, 20000000}, NULL);
  if (status == -1) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
  }
  fclose(csv);

  /* Memory after the warm-up: every sample within 5 % of the first. */
  double warm = minutes * 60 * 0.2 < 300 ? minutes * 60 * 0.2 : 300;
  int w = 0;
  while (w < ns - 1 && s[w].t_s < warm) w++;
  long lo = s[w].rss_kib, hi = s[w].rss_kib;
  for (int i = w; i < ns; i++) {
    if (s[i].rss_kib < lo) lo = s[i].rss_kib;
    if (s[i].rss_kib > hi) hi = s[i].rss_kib;
  }
  int flat = hi <= s[w].rss_kib * 1.05 && lo >= s[w].rss_kib * 0.95;
  const sample *last = &s[ns - 1];
  double cpu_pct = last->t_s > s[w].t_s ? (last->cpu_s - s[w].cpu_s) / (last->t_s - s[w].t_s) * 100 : 0;
  uint64_t gaps = 0, bad = 0, dropped = 0, refused = 0;
  for (int i = 0; i < crowd_stayers(cr); i++) {
    const crowd_stayer *x = crowd_stayer_at(cr, i);
    gaps += x->gaps;
    bad += x->bad;
    dropped += x->ended;
    refused += x->status != 101 && x->status != 200;
  }
  const crowd_log *log = crowd_log_stats(cr);
  printf("soak: %.1f minutes, %d samples; warm-up %.0f s\n", last->t_s / 60, ns, warm);
  printf("  memory after the warm-up: %ld KiB at %.0f s, then %ld..%ld KiB (%+.1f %% .. %+.1f %%): %s\n", s[w].rss_kib,
         s[w].t_s, lo, hi, (lo - s[w].rss_kib) * 100.0 / s[w].rss_kib, (hi - s[w].rss_kib) * 100.0 / s[w].rss_kib,
         flat ? "flat within 5 %" : "NOT flat within 5 %");
  printf("  descriptors %d -> %d; server CPU %.1f %% of a core after the warm-up; listeners %d at the end\n", s[w].fds,
         last->fds, cpu_pct, last->listeners);
  printf("  stayers: %d, gaps %llu, malformed %llu, dropped by the server %llu, refused %llu\n", crowd_stayers(cr),
         (unsigned long long)gaps, (unsigned long long)bad, (unsigned long long)dropped, (unsigned long long)refused);
  uint64_t failed = 0;
  for (int k = 0; k < CROWD_LEAVING_WAYS; k++) {
    const crowd_way_stats *x = crowd_way(cr, k);
    failed += x->failed;
    printf("  %-12s %6llu came, %6llu as they must%s%s\n", crowd_way_names[k], (unsigned long long)x->started,
           (unsigned long long)x->passed, x->failed ? "; first failure: " : "", x->first_failure);
  }
  printf("  log: %llu lines, %llu connect, %llu disconnect, %llu warnings or errors%s%s; exit %d\n",
         (unsigned long long)log->lines, (unsigned long long)log->connects, (unsigned long long)log->disconnects,
         (unsigned long long)log->warnings, log->warnings ? "; first: " : "", log->first_unexpected[0],
         WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  int ok = flat && !gaps && !bad && !dropped && !refused && !failed && !log->warnings && WIFEXITED(status) &&
           WEXITSTATUS(status) == 0;
  printf("soak: %s\n", ok ? "PASS" : "FAIL");
  crowd_destroy(cr);
  close(err_fd);
  return ok ? 0 : 1;
}
