/* A station's picture (artwork_draw.c) and the server's cache of its PNGs
 * (artwork.c): GET /api/stations/NAME/artwork.png?size=N, for lock screens
 * and media controls. The picture depends only on the station's name, key,
 * mode and the size, so a PNG once made is kept until the key or mode
 * changes. */
#ifndef LULL_SERVER_ARTWORK_H
#define LULL_SERVER_ARTWORK_H

#include <pthread.h>
#include <stddef.h>

#define LULL_ARTWORK_SIZES 6
/* The sizes served, in pixels (square): what Media Session artwork asks for. */
extern const int lull__artwork_sizes[LULL_ARTWORK_SIZES];
#define LULL_ARTWORK_MAX 512

/* The picture of a station as size x size palette indices (row 0 at the
 * top) and its palette (rgb, three bytes a colour): night-sky bands, a
 * moon (a crescent in the darker modes) and layered hills. Its hue and
 * lightness come from key (0..11) and mode (lull_mode) exactly as the
 * page's cards' colours (web/cards.mjs cardColour); the moon's place from
 * the key and the mode, the hills' shapes from the name too. Returns the
 * number of colours (at most 256). Pure: any thread, allocates nothing. */
int lull__artwork_draw(const char *name, int key, int mode, int size, unsigned char *index, unsigned char rgb[768]);
/* The card colour of key and mode: hue in degrees, lightness in percent. */
void lull__artwork_colour(int key, int mode, int *hue, int *light);

/* The PNGs made so far, newest first: at most LULL_ARTWORK_SIZES for each
 * station the server can run. One lock; its holders only look up, link or
 * copy out. */
typedef struct lull__artwork_cache {
  pthread_mutex_t lock;
  struct lull__artwork *list;
  unsigned n;
} lull__artwork_cache;
void lull__artwork_cache_init(lull__artwork_cache *c);
void lull__artwork_cache_free(lull__artwork_cache *c);

#endif
