/* A station's title and description: UTF-8 of a bounded number of
 * characters (code points) with no control characters, so that either is
 * safe as it is in a page, a log line, JSON (quotes and backslashes aside)
 * and a playlist line. Apart from station.c, like station_name.c, so that
 * the --station parser and its fuzzer need nothing else. */
#include <stdint.h>
#include <string.h>

#include "stream/stream.h"

size_t lull__utf8_decode(const unsigned char *s, uint32_t *cp_out) {
  unsigned c = s[0], min;
  uint32_t cp;
  size_t n;
  if (c < 0x80) {
    *cp_out = c;
    return 1;
  }
  if ((c & 0xe0) == 0xc0)
    n = 2, cp = c & 0x1f, min = 0x80;
  else if ((c & 0xf0) == 0xe0)
    n = 3, cp = c & 0x0f, min = 0x800;
  else if ((c & 0xf8) == 0xf0)
    n = 4, cp = c & 0x07, min = 0x10000;
  else
    return 0;
  for (size_t i = 1; i < n; i++) {
    if ((s[i] & 0xc0) != 0x80) return 0; /* the NUL ends it too */
    cp = cp << 6 | (s[i] & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  *cp_out = cp;
  return n;
}

/* C0, DEL and C1: a newline would split a log or playlist line, and none
 * of them shows as anything on a card. */
static int control(uint32_t cp) { return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f); }

static int check(const char *field, const char *text, uint32_t lo, uint32_t hi, lull_diag *diag) {
  if (!text) return lull_diag_set(diag, LULL_EINVAL, field, "must not be NULL");
  uint32_t chars = 0;
  for (const unsigned char *p = (const unsigned char *)text; *p; chars++) {
    uint32_t cp;
    size_t n = lull__utf8_decode(p, &cp);
    if (n == 0)
      return lull_diag_set(diag, LULL_EINVAL, field, "must be UTF-8; byte %zu is not (a %s is %u..%u characters)",
                           (size_t)(p - (const unsigned char *)text) + 1, field, lo, hi);
    if (control(cp))
      return lull_diag_set(diag, LULL_EINVAL, field,
                           "must not hold control characters; character %u is U+%04X (a %s is %u..%u characters)",
                           chars + 1, (unsigned)cp, field, lo, hi);
    p += n;
  }
  if (chars < lo || chars > hi)
    return lull_diag_set(diag, LULL_ERANGE, field, "must be %u..%u characters, got %u", lo, hi, chars);
  return LULL_OK;
}

int lull_station_title_check(const char *text, lull_diag *diag) {
  return check("title", text, 1, LULL_STATION_TITLE_MAX, diag);
}

int lull_station_description_check(const char *text, lull_diag *diag) {
  return check("description", text, 0, LULL_STATION_DESCRIPTION_MAX, diag);
}
