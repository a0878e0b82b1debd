/* GET /api/stations/NAME/artwork.png?size=N (artwork.h): the station's
 * picture as a PNG, drawn once for each size and key and mode and kept in
 * the server's cache; its ETag names the key and mode, so a browser keeps
 * it (Cache-Control: no-cache) and is answered 304 until they change. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/io.h"
#include "lull/lull.h"
#include "server/conn.h"

#define ART_VERSION 1 /* in the ETag: raise it when the drawing changes */

typedef struct lull__artwork {
  struct lull__artwork *next;
  char key[120]; /* "NAME ETAG" */
  size_t len;
  unsigned char png[];
} art;

void lull__artwork_cache_init(lull__artwork_cache *c) {
  memset(c, 0, sizeof *c);
  pthread_mutex_init(&c->lock, NULL);
}

void lull__artwork_cache_free(lull__artwork_cache *c) {
  for (art *a = c->list, *next; a; a = next) next = a->next, free(a);
  c->list = NULL;
  pthread_mutex_destroy(&c->lock);
}

/* size=N, N one of lull__artwork_sizes: 0 with *size set, or the result of the 400 sent. */
static int query_size(struct lws *wsi, int *size, int *refused) {
  char frag[128], m[240], allowed[64] = "";
  for (int i = 0, k = 0; i < LULL_ARTWORK_SIZES; i++)
    k += snprintf(allowed + k, sizeof allowed - (size_t)k, "%s%d", i ? ", " : "", lull__artwork_sizes[i]);
  *size = LULL_ARTWORK_MAX;
  *refused = 1;
  for (int i = 0; lws_hdr_copy_fragment(wsi, frag, sizeof frag, WSI_TOKEN_HTTP_URI_ARGS, i) > 0; i++) {
    char *eq = strchr(frag, '=');
    if (eq) *eq = 0;
    if (strcmp(frag, "size") != 0) {
      snprintf(m, sizeof m, "unknown query argument \"%.60s\"; artwork.png takes size=%s", frag, allowed);
      return lull__respond_error(wsi, 400, "bad_request", frag, m);
    }
    const char *v = eq ? eq + 1 : "";
    int n = 0, ok = *v && strlen(v) <= 3;
    for (const char *c = v; ok && *c; c++) ok = *c >= '0' && *c <= '9', n = n * 10 + (*c - '0');
    int known = 0;
    for (int s = 0; ok && s < LULL_ARTWORK_SIZES; s++) known |= n == lull__artwork_sizes[s];
    if (!known) {
      snprintf(m, sizeof m, "size must be one of %s (pixels), got \"%.40s\"", allowed, v);
      return lull__respond_error(wsi, 400, "bad_request", "size", m);
    }
    *size = n;
  }
  *refused = 0;
  return 0;
}

/* The PNG of this etag, copied out of the cache (or drawn into it) for the
 * response: NULL when memory ran out. */
static unsigned char *png_for(lull_server *srv, const char *etag, const char *name, int key, int mode, int size,
                              size_t *len) {
  lull__artwork_cache *c = &srv->artwork;
  unsigned char *out = NULL;
  char id[120];
  snprintf(id, sizeof id, "%s %s", name, etag);
  pthread_mutex_lock(&c->lock);
  for (art **p = &c->list; *p; p = &(*p)->next)
    if (strcmp((*p)->key, id) == 0) {
      art *a = *p;
      *p = a->next, a->next = c->list, c->list = a; /* to the front: the least recently used go first */
      if ((out = malloc(a->len))) memcpy(out, a->png, a->len), *len = a->len;
      pthread_mutex_unlock(&c->lock);
      return out;
    }
  pthread_mutex_unlock(&c->lock);

  /* Drawn outside the lock: two workers may draw the same picture at once,
   * the second finds the first's in the list and drops its own. */
  unsigned char rgb[768], *png, *index = malloc((size_t)size * (size_t)size);
  if (!index) return NULL;
  int colours = lull__artwork_draw(name, key, mode, size, index, rgb), err;
  err = lull__png_indexed(index, size, size, rgb, colours, &png, len);
  free(index);
  if (err) return NULL;
  art *a = malloc(sizeof *a + *len);
  if (!a) return png;
  snprintf(a->key, sizeof a->key, "%s", id);
  a->len = *len;
  memcpy(a->png, png, *len);
  pthread_mutex_lock(&c->lock);
  int had = 0;
  for (art *b = c->list; b && !had; b = b->next) had = strcmp(b->key, id) == 0;
  if (had) {
    free(a);
  } else {
    a->next = c->list, c->list = a, c->n++;
    /* Each station's sizes fit; past that (stations come and go, keys
     * change), the least recently used go. */
    if (c->n > LULL_ARTWORK_SIZES * LULL_SERVER_MAX_STATIONS) {
      art **p = &c->list;
      while ((*p)->next) p = &(*p)->next;
      free(*p), *p = NULL, c->n--;
    }
  }
  pthread_mutex_unlock(&c->lock);
  return png;
}

int lull__artwork_request(struct lws *wsi, worker *w, const char *name, int method) {
  lull_server *srv = w->srv;
  if (method != LWSHUMETH_GET && method != LWSHUMETH_HEAD)
    return lull__respond_error(wsi, 405, "method_not_allowed", "method", "artwork.png is read with GET (or HEAD)");
  int rc, i = lull__station_or_refuse(wsi, srv, name, &rc);
  if (i < 0) return rc;
  int size, refused;
  rc = query_size(wsi, &size, &refused);
  if (refused) {
    lull__station_put(srv, i);
    return rc;
  }
  lull_params p;
  lull_station_get_params(srv->stations[i], &p);
  char station[40];
  snprintf(station, sizeof station, "%s", lull_station_name(srv->stations[i]));
  lull__station_put(srv, i);
  /* The URL names the station and size; the tag what else the picture shows. */
  char etag[64];
  snprintf(etag, sizeof etag, "\"art%d-%d-%s-%s\"", ART_VERSION, size, lull_key_name(p.key), lull_mode_name(p.mode));
  if (lull__not_modified(wsi, etag)) return lull__respond_not_modified(wsi, etag);
  size_t len = 0;
  unsigned char *png = png_for(srv, etag, station, p.key, p.mode, size, &len);
  if (!png) return lull__respond_error(wsi, 503, "out_of_memory", "", "the server is out of memory; try again later");
  rc = lull__respond_tagged(wsi, 200, "image/png", png, len, etag);
  free(png);
  return rc;
}
