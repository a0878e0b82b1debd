/* Helpers for tests that drive the composer. */
#ifndef LULL_TEST_COMPOSE_UTIL_H
#define LULL_TEST_COMPOSE_UTIL_H

#include <stdlib.h>

#include "compose/compose.h"

typedef struct event_list {
  lull_event *ev;
  size_t n, cap;
} event_list;

static inline void list_push(event_list *l, const lull_event *e, size_t n) {
  if (l->n + n > l->cap) {
    l->cap = (l->n + n) * 2 + 1024;
    l->ev = realloc(l->ev, l->cap * sizeof *l->ev);
  }
  for (size_t i = 0; i < n; i++) l->ev[l->n++] = e[i];
}

/* Everything the composer hands out before frame until, in 20 ms steps (as
 * a station asks). */
static inline void compose_until(lull_composer *c, uint64_t from, uint64_t until, event_list *l) {
  lull_event buf[128];
  for (uint64_t t = from + 960; t < until + 960; t += 960) {
    uint64_t u = t < until ? t : until;
    size_t n;
    while ((n = lull__composer_fill(c, u, buf, 128)) > 0) list_push(l, buf, n);
  }
}

static inline lull_composer *make_composer(int key, int mode, float bpm, float intensity, uint64_t seed) {
  lull_params p = {key, mode, bpm, intensity, seed};
  lull_composer *c;
  if (lull__composer_create(&p, 48000, &c, NULL) != LULL_OK) abort();
  return c;
}

#endif
