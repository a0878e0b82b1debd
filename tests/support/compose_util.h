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

/* Where the music was (key and mode), from the status after each fill:
 * a section may travel away from the params' key and mode and come home. */
typedef struct scale_mark {
  uint64_t since;
  int key, mode;
} scale_mark;

typedef struct scale_marks {
  scale_mark *m;
  size_t n, cap;
} scale_marks;

/* compose_until, noting each scale the status reports. */
static inline void compose_tracked(lull_composer *c, uint64_t from, uint64_t until, event_list *l, scale_marks *s) {
  lull_event buf[128];
  for (uint64_t t = from + 960; t < until + 960; t += 960) {
    uint64_t u = t < until ? t : until;
    size_t n;
    while ((n = lull__composer_fill(c, u, buf, 128)) > 0) list_push(l, buf, n);
    lull_composer_status st;
    lull__composer_status(c, &st);
    scale_mark *last = s->n ? &s->m[s->n - 1] : NULL;
    if (last && last->since == st.scale_since_frame && last->key == st.key_now && last->mode == st.mode_now) continue;
    if (s->n == s->cap) s->cap = s->cap * 2 + 16, s->m = realloc(s->m, s->cap * sizeof *s->m);
    s->m[s->n++] = (scale_mark){st.scale_since_frame, st.key_now, st.mode_now};
  }
}

/* The scale in force at frame. */
static inline const scale_mark *scale_at(const scale_marks *s, uint64_t frame) {
  const scale_mark *m = &s->m[0];
  for (size_t i = 0; i < s->n && s->m[i].since <= frame; i++) m = &s->m[i];
  return m;
}

/* Parts that sound a pitch of the scale. */
static inline int is_tonal(const lull_event *e) {
  return (e->kind == LULL_EVENT_ON || e->kind == LULL_EVENT_HIT) && e->part != LULL_PART_KICK && e->part != LULL_PART_HAT;
}

/* A composer at 48 kHz writing for palette (a lull_palette). */
static inline lull_composer *make_palette_composer(int palette, int key, int mode, float bpm, float intensity,
                                                   uint64_t seed) {
  lull_params p = {key, mode, bpm, intensity, seed, (lull_palette)palette};
  lull_composer *c;
  if (lull__composer_create(&p, 48000, &c, NULL) != LULL_OK) abort();
  return c;
}

static inline lull_composer *make_composer(int key, int mode, float bpm, float intensity, uint64_t seed) {
  return make_palette_composer(LULL_PALETTE_CLASSIC, key, mode, bpm, intensity, seed);
}

#endif
