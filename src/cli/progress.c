/* Progress bar and argument parsing shared by the subcommands. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
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

int lull__arg_u64(const char *cmd, const char *flag, const char *s, uint64_t lo, uint64_t hi, uint64_t *out) {
  char *end;
  errno = 0;
  if (!s || !*s || *s == '-') goto bad;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *end || v < lo || v > hi) goto bad;
  *out = v;
  return 0;
bad:
  fprintf(stderr, "lull %s: %s: expected a whole number %llu..%llu, got \"%s\"\n", cmd, flag, (unsigned long long)lo,
          (unsigned long long)hi, s ? s : "");
  return -1;
}

int lull__arg_double(const char *cmd, const char *flag, const char *s, double lo, double hi, double *out) {
  char *end;
  errno = 0;
  if (!s || !*s) goto bad;
  double v = strtod(s, &end);
  if (errno || *end || !(v >= lo && v <= hi)) goto bad;
  *out = v;
  return 0;
bad:
  fprintf(stderr, "lull %s: %s: expected a number %g..%g, got \"%s\"\n", cmd, flag, lo, hi, s ? s : "");
  return -1;
}

const char *lull__flag_value(const char *cmd, int argc, char **argv, int *i, const char *flag) {
  const char *a = argv[*i];
  size_t n = strlen(flag);
  if (a[n] == '=') return a + n + 1;
  if (*i + 1 >= argc) {
    fprintf(stderr, "lull %s: %s needs a value (lull %s --help)\n", cmd, flag, cmd);
    return NULL;
  }
  return argv[++*i];
}

int lull__flag_is(const char *a, const char *flag) {
  size_t n = strlen(flag);
  return strncmp(a, flag, n) == 0 && (a[n] == 0 || a[n] == '=');
}
