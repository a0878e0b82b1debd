/* What a station says the SHOUTcast/Icecast way (icy.c): the icy-* response
 * headers of its streams, and the metadata blocks interleaved into an MP3
 * stream for a client that asked (Icy-MetaData: 1). Every metaint bytes of
 * audio come one length byte L and L * 16 bytes of "StreamTitle='...';",
 * NUL-padded; L = 0 when the title has not changed since the last block.
 * Pure but for lull__icy_station_title (the station's now); any thread. */
#ifndef LULL_SERVER_ICY_H
#define LULL_SERVER_ICY_H

#include <stddef.h>
#include <stdint.h>

#include "lull/station.h"

#define LULL_ICY_METAINT 16000u  /* Icecast's default: a block a second at 128 kbit/s */
#define LULL_ICY_TITLE_MAX 96    /* bytes of a title, with its NUL; longer ones are cut at a character */
#define LULL_ICY_BLOCK_MAX (1 + 16 * 8) /* "StreamTitle='';" and LULL_ICY_TITLE_MAX - 1 bytes fit */
/* What out must hold for lull__icy_interleave of len bytes. */
#define LULL_ICY_OUT_MAX(len) ((len) + LULL_ICY_BLOCK_MAX * ((len) / LULL_ICY_METAINT + 1))

/* One listener's metadata state: audio bytes until its next block, and the
 * title its last full block carried. */
typedef struct lull_icy {
  uint32_t left;
  char sent[LULL_ICY_TITLE_MAX];
} lull_icy;

/* A new listener: a block after metaint bytes, and the title in it whatever
 * it is (nothing was sent yet). */
void lull__icy_init(lull_icy *y);
/* Whether an Icy-MetaData header's value asks for metadata ("1", spaces
 * around allowed). */
int lull__icy_wants(const char *value);
/* Where the music is, as the title of a stream: "D dorian · Gm9 · 60 bpm"
 * (key and mode where the music is now, the sounding chord, the tempo).
 * snprintf's return. */
int lull__icy_title(char *out, size_t cap, const lull_station_now *now);
/* The same from a station (a lull_station *, as user): for lull__icy_interleave. */
void lull__icy_station_title(void *station, char *out, size_t cap);
/* The block for title (UTF-8) into out: the whole StreamTitle when it
 * differs from the last one sent (then remembered), else the single byte 0.
 * The title goes in ISO-8859-1 as Icecast sends it (a character beyond
 * U+00FF becomes '?'); a quote (which would end the value) or a control
 * character becomes a space.
 * Returns its length (1 + 16 * out[0]). */
size_t lull__icy_block(lull_icy *y, const char *title, unsigned char out[LULL_ICY_BLOCK_MAX]);
/* len audio bytes from in into out (LULL_ICY_OUT_MAX(len) bytes), with a
 * block wherever one falls due; title(user, ...) is asked only then.
 * Returns the bytes written to out. */
size_t lull__icy_interleave(lull_icy *y, const unsigned char *in, size_t len, unsigned char *out,
                            void (*title)(void *user, char *out, size_t cap), void *user);

/* The icy-* headers of a station's stream (kind LULL_FEED_OGG or _MP3):
 * its title, description (a default when it has none), genre, bit rate in
 * kbit/s and the server's page (base_url + "/"; "" leaves icy-url out).
 * Written as "icy-name: ...\r\n" lines into out; snprintf's return. */
int lull__icy_headers(char *out, size_t cap, const lull_station *st, int kind, const char *base_url);
/* The genre and the default description every station shows. */
#define LULL_ICY_GENRE "ambient"
#define LULL_ICY_DESCRIPTION "endless ambient music, composed live"

#endif
