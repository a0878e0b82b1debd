/* See oggcheck.h. */
#include "support/oggcheck.h"

#include <ogg/ogg.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int bad(char *why, size_t cap, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, cap, fmt, ap);
  va_end(ap);
  return -1;
}

static uint32_t le32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* TITLE=... among OpusTags' comments. */
static void find_title(const unsigned char *p, size_t len, char *out, size_t cap) {
  if (len < 16) return;
  size_t at = 8 + 4 + le32(p + 8);
  if (at + 4 > len) return;
  uint32_t n = le32(p + at);
  at += 4;
  for (uint32_t i = 0; i < n && at + 4 <= len; i++) {
    uint32_t l = le32(p + at);
    at += 4;
    if (at + l > len) return;
    if (l > 6 && memcmp(p + at, "TITLE=", 6) == 0) snprintf(out, cap, "%.*s", (int)(l - 6), (const char *)p + at + 6);
    at += l;
  }
}

int ogg_check(const unsigned char *data, size_t len, ogg_report *r, char *why, size_t cap) {
  memset(r, 0, sizeof *r);
  size_t at = 0;
  uint64_t granule = 0;
  while (at < len) {
    const unsigned char *h = data + at;
    uint32_t n = r->pages;
    if (len - at < 27 || memcmp(h, "OggS", 4) != 0 || h[4] != 0) return bad(why, cap, "page %u: no Ogg page header", n);
    size_t nl = h[26];
    if (len - at < 27 + nl) return bad(why, cap, "page %u: cut short", n);
    size_t body = 0;
    uint32_t packets = 0;
    for (size_t i = 0; i < nl; i++) body += h[27 + i], packets += h[27 + i] < 255;
    if (nl && h[27 + nl - 1] == 255) return bad(why, cap, "page %u: a packet runs on into the next page", n);
    if (len - at < 27 + nl + body) return bad(why, cap, "page %u: cut short", n);
    /* The CRC, recomputed over a copy with the field zero. */
    unsigned char *copy = malloc(27 + nl + body);
    memcpy(copy, h, 27 + nl + body);
    ogg_page og = {copy, 27 + (long)nl, copy + 27 + nl, (long)body};
    ogg_page_checksum_set(&og);
    int crc_ok = memcmp(copy + 22, h + 22, 4) == 0;
    free(copy);
    if (!crc_ok) return bad(why, cap, "page %u: wrong CRC", n);
    uint64_t g = 0;
    for (int i = 7; i >= 0; i--) g = g << 8 | h[6 + i];
    uint32_t serial = le32(h + 14), seq = le32(h + 18);
    if (seq != n) return bad(why, cap, "page %u: sequence number %u", n, seq);
    if (n == 0) r->serial = serial;
    if (serial != r->serial) return bad(why, cap, "page %u: serial %u, the first page's %u", n, serial, r->serial);
    if (!!(h[5] & 0x02) != (n == 0)) return bad(why, cap, "page %u: beginning-of-stream flag %s", n, n ? "set" : "missing");
    if (h[5] & 0x01) return bad(why, cap, "page %u: flagged as a continued packet", n);
    int last = at + 27 + nl + body == len;
    if (!!(h[5] & 0x04) != last) return bad(why, cap, "page %u: end-of-stream flag %s", n, last ? "missing" : "set");
    const unsigned char *p = h + 27 + nl;
    if (n == 0) {
      if (packets != 1 || body != 19 || memcmp(p, "OpusHead", 8) != 0 || p[9] != 2 || g != 0)
        return bad(why, cap, "page 0: not OpusHead alone (stereo, granule 0)");
      r->preskip = (uint32_t)p[10] | (uint32_t)p[11] << 8;
    } else if (n == 1) {
      if (packets != 1 || body < 16 || memcmp(p, "OpusTags", 8) != 0 || g != 0)
        return bad(why, cap, "page 1: not OpusTags alone (granule 0)");
      find_title(p, body, r->title, sizeof r->title);
    } else {
      if (!packets) return bad(why, cap, "page %u: no packet", n);
      granule += 960u * packets;
      if (g != granule) return bad(why, cap, "page %u: granule %llu, its packets make %llu", n, (unsigned long long)g,
                                   (unsigned long long)granule);
      if (n == 2) r->first_granule = g, r->first_packets = packets;
      r->last_granule = g;
      r->packets += packets;
    }
    r->pages++;
    at += 27 + nl + body;
  }
  if (r->pages < 3) return bad(why, cap, "%u pages: no audio", r->pages);
  return 0;
}
