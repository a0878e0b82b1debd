/* The event heap: a binary min-heap ordered by (frame, arrival), so events
 * of one frame apply in the order they were scheduled. Fixed capacity, no
 * allocation after init. */
#include "lull/err.h"
#include "synth/synth_int.h"

void lull__seq_init(lull_seq *s, lull_seq_item *items, uint32_t capacity) {
  s->items = items;
  s->capacity = capacity;
  s->count = 0;
  s->order = 0;
}

static int before(const lull_seq_item *a, const lull_seq_item *b) {
  return a->ev.frame < b->ev.frame || (a->ev.frame == b->ev.frame && a->order < b->order);
}

int lull__seq_push(lull_seq *s, const lull_event *ev) {
  if (s->count == s->capacity) return LULL_EFULL;
  uint32_t i = s->count++;
  lull_seq_item item = {*ev, s->order++};
  while (i > 0) {
    uint32_t parent = (i - 1) / 2;
    if (!before(&item, &s->items[parent])) break;
    s->items[i] = s->items[parent];
    i = parent;
  }
  s->items[i] = item;
  return LULL_OK;
}

const lull_event *lull__seq_peek(const lull_seq *s) { return s->count ? &s->items[0].ev : NULL; }

void lull__seq_pop(lull_seq *s) {
  if (!s->count) return;
  lull_seq_item last = s->items[--s->count];
  uint32_t i = 0, n = s->count;
  for (;;) {
    uint32_t c = 2 * i + 1;
    if (c >= n) break;
    if (c + 1 < n && before(&s->items[c + 1], &s->items[c])) c++;
    if (!before(&s->items[c], &last)) break;
    s->items[i] = s->items[c];
    i = c;
  }
  if (n) s->items[i] = last;
}
