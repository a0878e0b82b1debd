/* The packet ring (see stream.h). Memory orderings:
 * - publish: the slot's bytes and fields are plain stores; the slot's seq is
 *   stored with release, then head with release. A reader that loads head
 *   with acquire and then the slot's seq with acquire sees the whole slot.
 * - begin: the slot's seq is set to UINT64_MAX (relaxed) and a release fence
 *   orders it before the new bytes, so a reader that rechecks seq after an
 *   acquire fence (lull__ring_intact) sees the overwrite if it overlapped.
 * The margin (LULL_RING_MARGIN slots) is what keeps readers and the writer
 * apart in time; ThreadSanitizer cannot see a margin, so in TSan builds it is
 * stated to it: a reader releases the slot when done, and the writer acquires
 * it before overwriting (annotations only; no code in other builds). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stream/stream.h"

#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#define TSAN_ACQUIRE(p) __tsan_acquire((void *)(p))
#define TSAN_RELEASE(p) __tsan_release((void *)(p))
#else
#define TSAN_ACQUIRE(p) ((void)0)
#define TSAN_RELEASE(p) ((void)0)
#endif

#define EMPTY UINT64_MAX

static lull_ring_slot *slot_at(const lull_ring *r, uint64_t seq) {
  return (lull_ring_slot *)(r->slots + (size_t)(seq & r->mask) * r->stride);
}

int lull__ring_init(lull_ring *r, uint32_t capacity, uint32_t slot_bytes) {
  if (capacity < 2 * LULL_RING_MARGIN || (capacity & (capacity - 1)) || slot_bytes == 0) return LULL_EINVAL;
  memset(r, 0, sizeof *r);
  r->capacity = capacity;
  r->mask = capacity - 1;
  r->slot_bytes = slot_bytes;
  r->stride = (sizeof(lull_ring_slot) + slot_bytes + 63) / 64 * 64;
  r->slots = aligned_alloc(64, r->stride * capacity);
  if (!r->slots) return LULL_ENOMEM;
  memset(r->slots, 0, r->stride * capacity);
  for (uint32_t i = 0; i < capacity; i++) {
    lull_ring_slot *s = slot_at(r, i);
    atomic_init(&s->seq, EMPTY);
    atomic_init(&s->position, 0);
    atomic_init(&s->published_ns, 0);
    atomic_init(&s->len, 0);
    atomic_init(&s->flags, 0);
  }
  atomic_init(&r->head, 0);
  atomic_init(&r->overtaken, 0);
  atomic_init(&r->torn, 0);
  return LULL_OK;
}

void lull__ring_free(lull_ring *r) {
  free(r->slots);
  r->slots = NULL;
}

unsigned char *lull__ring_begin(lull_ring *r) {
  uint64_t seq = atomic_load_explicit(&r->head, memory_order_relaxed); /* only this thread writes head */
  lull_ring_slot *s = slot_at(r, seq);
  TSAN_ACQUIRE(s);
  atomic_store_explicit(&s->seq, EMPTY, memory_order_relaxed);
  atomic_thread_fence(memory_order_release); /* EMPTY before any new byte */
  return s->data;
}

void lull__ring_publish(lull_ring *r, uint32_t len, uint64_t position, uint32_t flags) {
  uint64_t seq = atomic_load_explicit(&r->head, memory_order_relaxed);
  lull_ring_slot *s = slot_at(r, seq);
  atomic_store_explicit(&s->len, len, memory_order_relaxed);
  atomic_store_explicit(&s->position, position, memory_order_relaxed);
  atomic_store_explicit(&s->flags, flags, memory_order_relaxed);
  atomic_store_explicit(&s->published_ns, lull__ring_clock_ns(), memory_order_relaxed);
  atomic_store_explicit(&s->seq, seq, memory_order_release);     /* the slot, whole */
  atomic_store_explicit(&r->head, seq + 1, memory_order_release); /* then its existence */
}

uint64_t lull__ring_clock_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t lull__ring_head(const lull_ring *r) { return atomic_load_explicit(&r->head, memory_order_acquire); }

int lull__ring_get(lull_ring *r, uint64_t seq, const lull_ring_slot **out, uint64_t *lost) {
  uint64_t head = atomic_load_explicit(&r->head, memory_order_acquire);
  if (seq >= head) return LULL_EAGAIN;
  uint64_t window = r->capacity - LULL_RING_MARGIN;
  if (head - seq > window) {
    if (lost) *lost = head - seq - window;
    atomic_fetch_add_explicit(&r->overtaken, 1, memory_order_relaxed);
    return LULL_EOVERTAKEN;
  }
  lull_ring_slot *s = slot_at(r, seq);
  if (atomic_load_explicit(&s->seq, memory_order_acquire) != seq) { /* cannot happen inside the window */
    if (lost) *lost = 1;
    atomic_fetch_add_explicit(&r->overtaken, 1, memory_order_relaxed);
    return LULL_EOVERTAKEN;
  }
  *out = s;
  return LULL_OK;
}

int lull__ring_intact(lull_ring *r, const lull_ring_slot *slot, uint64_t seq) {
  atomic_thread_fence(memory_order_acquire); /* the reads before, then the check */
  int ok = atomic_load_explicit(&((lull_ring_slot *)slot)->seq, memory_order_relaxed) == seq;
  TSAN_RELEASE(slot);
  if (!ok) atomic_fetch_add_explicit(&r->torn, 1, memory_order_relaxed);
  return ok;
}
