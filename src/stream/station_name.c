/* Station names: 1..32 of a-z, 0-9 and -, so that a name is safe in a URL,
 * a log line, JSON and a metric label as it is. Apart from station.c so
 * that the parsers that read names (and their fuzzers) need nothing else. */
#include <string.h>

#include "lull/station.h"

int lull_station_name_valid(const char *s) {
  size_t n = strlen(s);
  if (n < 1 || n > 32) return 0;
  for (size_t i = 0; i < n; i++)
    if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-')) return 0;
  return 1;
}
