/* The log writers: each line written to stderr with one call, so that
 * threads' lines stay whole. As text, with a UTC timestamp to the
 * millisecond and the level; under systemd (stderr is the journal's stream)
 * without a timestamp of its own, the level as a syslog priority prefix the
 * journal reads; or as one JSON object a line, for log shippers. */
#include "lull/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

const char *lull_log_level_name(int level) {
  static const char *const names[] = {"error", "warn", "info", "debug"};
  return level >= LULL_LOG_ERROR && level <= LULL_LOG_DEBUG ? names[level] : "?";
}

int lull_log_to_journal(void) {
  /* systemd sets JOURNAL_STREAM to "DEV:INODE" of the stream it connected;
   * only if stderr is still that stream does the journal read these lines
   * (a child whose stderr went elsewhere inherits the variable). */
  const char *js = getenv("JOURNAL_STREAM");
  unsigned long long dev, ino;
  struct stat st;
  return js && sscanf(js, "%llu:%llu", &dev, &ino) == 2 && fstat(2, &st) == 0 && (unsigned long long)st.st_dev == dev &&
         (unsigned long long)st.st_ino == ino;
}

/* "2026-11-30T14:23:05.123Z" */
static void stamp(char out[32]) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(out + n, 32 - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

void lull_log_stderr(void *user, int level, const char *message) {
  (void)user;
  if (lull_log_to_journal()) {
    /* sd-daemon(3)'s prefixes: err, warning, info, debug. */
    static const int priority[] = {3, 4, 6, 7};
    fprintf(stderr, "<%d>%s\n", level >= LULL_LOG_ERROR && level <= LULL_LOG_DEBUG ? priority[level] : 6, message);
    return;
  }
  char t[32];
  stamp(t);
  fprintf(stderr, "%s %-5s %s\n", t, lull_log_level_name(level), message);
}

/* The length of the valid UTF-8 sequence at p (1..4), or 0 if it is not
 * one (a stray byte, overlong, a surrogate, past U+10FFFF, cut short). */
static size_t utf8_len(const unsigned char *p) {
  unsigned char c = p[0];
  size_t n = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
  if (!n) return 0;
  unsigned char lo = c == 0xe0 ? 0xa0 : c == 0xf0 ? 0x90 : 0x80, hi = c == 0xed ? 0x9f : c == 0xf4 ? 0x8f : 0xbf;
  if (p[1] < lo || p[1] > hi) return 0;
  for (size_t i = 2; i < n; i++)
    if ((p[i] & 0xc0) != 0x80) return 0;
  return n;
}

void lull_log_json(void *user, int level, const char *message) {
  (void)user;
  char t[32];
  stamp(t);
  /* Escaped whole into one buffer: 6 bytes at most for each byte of the
   * message (\u00XX), cut at 4 KiB of message. */
  char line[4096 * 6 + 96];
  int n = snprintf(line, sizeof line, "{\"time\":\"%s\",\"level\":\"%s\",\"message\":\"", t, lull_log_level_name(level));
  size_t at = (size_t)n;
  for (size_t i = 0; message[i] && i < 4096; i++) {
    unsigned char c = (unsigned char)message[i];
    size_t u;
    if (c == '"' || c == '\\') {
      line[at++] = '\\';
      line[at++] = (char)c;
    } else if (c < 0x20 || c == 0x7f) {
      at += (size_t)snprintf(line + at, sizeof line - at, "\\u%04x", c);
    } else if (c < 0x80) {
      line[at++] = (char)c;
    } else if ((u = utf8_len((const unsigned char *)message + i)) != 0) {
      memcpy(line + at, message + i, u); /* UTF-8 passes as it is */
      at += u;
      i += u - 1;
    } else {
      /* Not UTF-8 (a byte of a file, say): U+FFFD, so that the line
       * stays JSON for a strict parser. */
      memcpy(line + at, "\\ufffd", 6);
      at += 6;
    }
  }
  memcpy(line + at, "\"}\n", 4);
  fputs(line, stderr);
}
