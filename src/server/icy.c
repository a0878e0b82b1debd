/* The SHOUTcast/Icecast conventions of a station's streams (see icy.h):
 * its icy-* headers, its now-playing title, and the metadata blocks put
 * into an MP3 stream every LULL_ICY_METAINT bytes for a listener that asked.
 * A listener's only state is a count and the title last sent. */
#include "server/icy.h"

#include <stdio.h>
#include <string.h>

#include "lull/lull.h"
#include "server/hub.h"
#include "stream/stream.h"

void lull__icy_init(lull_icy *y) {
  y->left = LULL_ICY_METAINT;
  y->sent[0] = 0;
}

int lull__icy_wants(const char *value) {
  while (*value == ' ' || *value == '\t') value++;
  if (*value++ != '1') return 0;
  while (*value == ' ' || *value == '\t') value++;
  return *value == 0;
}

int lull__icy_title(char *out, size_t cap, const lull_station_now *now) {
  /* U+00B7 MIDDLE DOT between the parts (UTF-8 here; Latin-1 in a block). */
  return snprintf(out, cap, "%s %s \xc2\xb7 %s \xc2\xb7 %.0f bpm", lull_key_name(now->key), lull_mode_name(now->mode),
                  now->chord[0] ? now->chord : "-", (double)now->params.bpm);
}

void lull__icy_station_title(void *station, char *out, size_t cap) {
  lull_station_now now;
  lull_station_get_now(station, &now);
  lull__icy_title(out, cap, &now);
}

size_t lull__icy_block(lull_icy *y, const char *title, unsigned char out[LULL_ICY_BLOCK_MAX]) {
  /* In ISO-8859-1, as Icecast sends it (and the players of its day read
   * it): U+0080..U+00FF as one byte, anything above as '?'. */
  char t[LULL_ICY_TITLE_MAX];
  size_t n = 0;
  for (const unsigned char *p = (const unsigned char *)title; *p && n < sizeof t - 1;) {
    unsigned ch = *p++;
    if (ch >= 0xc0) {
      unsigned extra = ch >= 0xf0 ? 3 : ch >= 0xe0 ? 2 : 1, cp = ch & (0x3fu >> extra);
      for (unsigned k = 0; k < extra && (*p & 0xc0) == 0x80; k++) cp = cp << 6 | (*p++ & 0x3fu);
      ch = cp <= 0xff ? cp : '?';
    } else if (ch >= 0x80) {
      ch = '?'; /* a stray continuation byte */
    }
    t[n++] = ch < 0x20 || ch == 0x7f || ch == '\'' ? ' ' : (char)ch;
  }
  t[n] = 0;
  if (strcmp(t, y->sent) == 0) {
    out[0] = 0;
    return 1;
  }
  memcpy(y->sent, t, n + 1);
  int len = snprintf((char *)out + 1, LULL_ICY_BLOCK_MAX - 1, "StreamTitle='%s';", t);
  size_t blocks = ((size_t)len + 15) / 16;
  memset(out + 1 + len, 0, blocks * 16 - (size_t)len);
  out[0] = (unsigned char)blocks;
  return 1 + blocks * 16;
}

size_t lull__icy_interleave(lull_icy *y, const unsigned char *in, size_t len, unsigned char *out,
                            void (*title)(void *user, char *out, size_t cap), void *user) {
  size_t n = 0;
  while (len) {
    size_t take = len < y->left ? len : y->left;
    memcpy(out + n, in, take);
    n += take;
    in += take;
    len -= take;
    y->left -= (uint32_t)take;
    if (y->left) break;
    char t[LULL_ICY_TITLE_MAX];
    title(user, t, sizeof t);
    n += lull__icy_block(y, t, out + n);
    y->left = LULL_ICY_METAINT;
  }
  return n;
}

int lull__icy_headers(char *out, size_t cap, const lull_station *st, int kind, const char *base_url) {
  lull_station_face face;
  lull_station_get_face(st, &face);
  unsigned kbit = (kind == LULL_FEED_MP3 ? LULL_MP3_BITRATE : lull__station_bitrate(st)) / 1000u;
  int n = snprintf(out, cap, "icy-name: %s\r\nicy-description: %s\r\nicy-genre: " LULL_ICY_GENRE "\r\nicy-br: %u\r\n"
                   "icy-pub: 0\r\n", face.title, face.description[0] ? face.description : LULL_ICY_DESCRIPTION, kbit);
  if (base_url[0] && n >= 0 && (size_t)n < cap) n += snprintf(out + n, cap - (size_t)n, "icy-url: %s/\r\n", base_url);
  return n;
}
