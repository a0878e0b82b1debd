/* Histograms of durations (see stream.h): one writer adds to a bucket and
 * to the sum with relaxed atomic loads and stores (a count has no bytes to
 * publish, so no ordering is needed, only untorn words; and with one
 * writer no read-modify-write, whose lock prefix the network threads would
 * pay on every send); readers sum the buckets into cumulative counts. */
#include <assert.h>

#include "stream/stream.h"

void lull__hist_init(lull_hist *h, const uint64_t *bounds_ns, uint32_t n) {
  assert(n >= 1 && n <= LULL_HIST_MAX_BOUNDS);
  for (uint32_t i = 1; i < n; i++) assert(bounds_ns[i - 1] < bounds_ns[i]);
  h->bounds_ns = bounds_ns;
  h->n = n;
  for (uint32_t i = 0; i <= LULL_HIST_MAX_BOUNDS; i++) atomic_init(&h->counts[i], 0);
  atomic_init(&h->sum_ns, 0);
}

void lull__hist_observe(lull_hist *h, uint64_t ns) {
  uint32_t i = 0;
  while (i < h->n && ns > h->bounds_ns[i]) i++; /* at most 16 compares: cheaper than a search */
  atomic_store_explicit(&h->counts[i], atomic_load_explicit(&h->counts[i], memory_order_relaxed) + 1, memory_order_relaxed);
  atomic_store_explicit(&h->sum_ns, atomic_load_explicit(&h->sum_ns, memory_order_relaxed) + ns, memory_order_relaxed);
}

void lull__hist_accumulate(const lull_hist *h, lull_hist_snapshot *acc) {
  lull_hist *m = (lull_hist *)h; /* atomic loads take a non-const pointer in C11 */
  if (!acc->bounds_ns) {
    acc->bounds_ns = h->bounds_ns;
    acc->n = h->n;
  }
  assert(acc->bounds_ns == h->bounds_ns && acc->n == h->n);
  uint64_t run = 0;
  for (uint32_t i = 0; i <= h->n; i++) {
    run += atomic_load_explicit(&m->counts[i], memory_order_relaxed);
    acc->cumulative[i] += run;
  }
  acc->sum_ns += atomic_load_explicit(&m->sum_ns, memory_order_relaxed);
}
