/* The request head of a direct stream (see request.h). Every read stays
 * within the bytes given: the worker's buffer ends in a NUL, a fuzzer's
 * input need not. The answers are those direct.c gave when it read the
 * head as a C string, so the first NUL ends the head here too. */
#include "server/request.h"

#include <stdio.h>
#include <string.h>

#include "lull/station.h"
#include "server/hub.h"

static int refuse(lull_direct_req *r, unsigned status, const char *reason, const char *code, const char *field,
                  const char *message) {
  r->status = status;
  r->reason = reason;
  snprintf(r->code, sizeof r->code, "%s", code);
  snprintf(r->field, sizeof r->field, "%s", field);
  snprintf(r->message, sizeof r->message, "%s", message);
  return (int)status;
}

/* How many of p's len bytes come before the first of stop's (strcspn,
 * bounded). */
static size_t span(const char *p, size_t len, const char *stop) {
  size_t n = 0;
  while (n < len && !strchr(stop, p[n])) n++;
  return n;
}

static int stream_kind(const char *path, size_t len) {
  if (len == 11 && memcmp(path, "/stream.ogg", 11) == 0) return LULL_FEED_OGG;
  if (len == 11 && memcmp(path, "/stream.mp3", 11) == 0) return LULL_FEED_MP3;
  return -1;
}

int lull__mount_parse(const char *path, size_t len, char *name, size_t cap) {
  if (len < 5 || path[0] != '/' || stream_kind(path, len) >= 0) return -1;
  int kind = memcmp(path + len - 4, ".ogg", 4) == 0 ? LULL_FEED_OGG : memcmp(path + len - 4, ".mp3", 4) == 0 ? LULL_FEED_MP3 : -1;
  size_t n = len - 5;
  if (kind < 0 || memchr(path + 1, '/', n) || memchr(path + 1, 0, n)) return -1;
  snprintf(name, cap, "%.*s", (int)(n < cap ? n : cap - 1), path + 1);
  if (n >= cap) name[0] = 0; /* too long to be a name: no name, which is no valid one */
  return kind;
}

/* Whether the head's end (an empty line) is within it. */
static int has_end(const char *head, size_t len) {
  for (size_t i = 0; i + 4 <= len; i++)
    if (memcmp(head + i, "\r\n\r\n", 4) == 0) return 1;
  return 0;
}

/* The query's arguments: station=NAME, unless the path named the station
 * (a mount, /NAME.ogg), which takes none. */
static int query_args(const char *q, size_t len, lull_direct_req *r, int mount) {
  r->status = 0;
  r->reason = NULL;
  r->code[0] = r->field[0] = r->message[0] = 0;
  if (!mount) snprintf(r->station, sizeof r->station, "main");
  len = strnlen(q, len);
  while (len) {
    size_t n = span(q, len, "&");
    if (!mount && n > 8 && memcmp(q, "station=", 8) == 0) {
      snprintf(r->station, sizeof r->station, "%.*s", (int)(n - 8 < 39 ? n - 8 : 39), q + 8);
    } else if (n) {
      char bad[64], m[160];
      size_t k = span(q, n, "=");
      snprintf(bad, sizeof bad, "%.*s", (int)(k < 60 ? k : 60), q);
      snprintf(m, sizeof m, "unknown query argument \"%s\"", bad);
      return refuse(r, 400, "Bad Request", "bad_request", bad, m);
    }
    q += n + (n < len);
    len -= n + (n < len);
  }
  if (!lull_station_name_valid(r->station))
    return refuse(r, 400, "Bad Request", "bad_station", "station", "station names are 1..32 of a-z, 0-9 and -");
  return 0;
}

int lull__direct_query(const char *q, size_t len, lull_direct_req *r) { return query_args(q, len, r, 0); }

int lull__direct_parse(const char *head, size_t len, lull_direct_req *r) {
  memset(r, 0, sizeof *r);
  snprintf(r->station, sizeof r->station, "main");
  len = strnlen(head, len);
  const char *p, *end = head + len;
  if (len >= 4 && memcmp(head, "GET ", 4) == 0)
    p = head + 4;
  else if (len >= 5 && memcmp(head, "HEAD ", 5) == 0)
    p = head + 5, r->is_head = 1;
  else
    p = NULL;
  size_t n = p ? span(p, (size_t)(end - p), " ?\r\n") : 0;
  if (p && (r->kind = stream_kind(p, n)) < 0 && (r->kind = lull__mount_parse(p, n, r->station, sizeof r->station)) >= 0)
    r->mount = 1;
  if (!p || r->kind < 0) {
    refuse(r, 400, "Bad Request", "bad_request", "", "malformed request");
    return -1;
  }
  /* The query: after '?', up to the space before the version. */
  const char *q = p + n;
  size_t q_len = 0;
  if (q < end && *q == '?') {
    q++;
    q_len = span(q, (size_t)(end - q), " \r\n");
  }
  /* The worker stops reading at MAX_HEAD bytes: a head without its end by
   * then is too large. */
  if (!has_end(head, len)) return refuse(r, 431, "Request Header Fields Too Large", "too_large", "", "the request head is over 2 KiB");
  return query_args(q, q_len, r, r->mount);
}
