/* The progress bar of long subcommands, on stderr: drawn only when stderr
 * is a terminal and --quiet was not given, and redrawn only when the shown
 * permille changes (a render does not spend its time printing). */
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"

double lull__now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void lull__progress_start(lull_progress *p, const char *label, double total, int quiet) {
  p->enabled = !quiet && isatty(STDERR_FILENO);
  p->total = total > 0 ? total : 1;
  p->start_s = lull__now_s();
  p->last_permille = -1;
  p->label = label;
}

void lull__progress_update(lull_progress *p, double done) {
  if (!p->enabled) return;
  int permille = (int)(1000.0 * done / p->total);
  if (permille > 1000) permille = 1000;
  if (permille == p->last_permille) return;
  p->last_permille = permille;
  enum { WIDTH = 30 };
  char bar[WIDTH + 1];
  int filled = permille * WIDTH / 1000;
  for (int i = 0; i < WIDTH; i++) bar[i] = i < filled ? '#' : '-';
  bar[WIDTH] = 0;
  double elapsed = lull__now_s() - p->start_s;
  double eta = done > 0 ? elapsed * (p->total - done) / done : 0;
  fprintf(stderr, "\r%s [%s] %5.1f%%  %.0f/%.0f s of audio  eta %.0f s ", p->label, bar, permille / 10.0, done,
          p->total, eta);
  fflush(stderr);
}

void lull__progress_finish(lull_progress *p) {
  if (!p->enabled) return;
  lull__progress_update(p, p->total);
  fputc('\n', stderr);
}
