/* The default log writer: UTC timestamps to the millisecond, the level, the
 * line, written to stderr with one call so that threads' lines stay whole. */
#include "lull/log.h"

#include <stdio.h>
#include <time.h>

const char *lull_log_level_name(int level) {
  static const char *const names[] = {"error", "warn", "info", "debug"};
  return level >= LULL_LOG_ERROR && level <= LULL_LOG_DEBUG ? names[level] : "?";
}

void lull_log_stderr(void *user, int level, const char *message) {
  (void)user;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  char stamp[32];
  strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
  fprintf(stderr, "%s.%03ldZ %-5s %s\n", stamp, ts.tv_nsec / 1000000, lull_log_level_name(level), message);
}
