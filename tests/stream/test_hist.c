/* hist.c: each duration lands in the first bucket whose bound holds it
 * (bounds inclusive, as Prometheus' le), the snapshot is cumulative with
 * +Inf equal to the count and an exact sum, snapshots of several
 * histograms add up, and a reader racing the writer (here and under TSan)
 * never sees a count go down or a bucket above its neighbour. */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "stream/stream.h"
#include "support/harness.h"

static const uint64_t bounds[] = {10, 20, 30};

static void test_buckets_and_snapshot(void **state) {
  (void)state;
  lull_hist h;
  lull__hist_init(&h, bounds, 3);
  const uint64_t seen[] = {0, 10, 11, 20, 30, 31, 1000000000000ull};
  uint64_t sum = 0;
  for (size_t i = 0; i < sizeof seen / sizeof seen[0]; i++) lull__hist_observe(&h, seen[i]), sum += seen[i];
  lull_hist_snapshot s = {0};
  lull__hist_accumulate(&h, &s);
  ASSERT_TRUE(s.bounds_ns == bounds);
  ASSERT_EQ_INT(s.n, 3);
  const uint64_t want[] = {2, 4, 5, 7}; /* <= 10, <= 20, <= 30, all */
  for (int i = 0; i < 4; i++) ASSERT_EQ_INT(s.cumulative[i], want[i]);
  ASSERT_EQ_INT(s.sum_ns, sum);
  /* A second histogram (a second worker) adds into the same snapshot. */
  lull_hist g;
  lull__hist_init(&g, bounds, 3);
  lull__hist_observe(&g, 25);
  lull__hist_accumulate(&g, &s);
  const uint64_t both[] = {2, 4, 6, 8};
  for (int i = 0; i < 4; i++) ASSERT_EQ_INT(s.cumulative[i], both[i]);
  ASSERT_EQ_INT(s.sum_ns, sum + 25);
  /* An empty one is all zeroes. */
  lull_hist e;
  lull__hist_init(&e, bounds, 3);
  lull_hist_snapshot z = {0};
  lull__hist_accumulate(&e, &z);
  for (int i = 0; i < 4; i++) ASSERT_EQ_INT(z.cumulative[i], 0);
}

#define WRITES 1000000u

static atomic_int go; /* the writer starts once the reader reads */

static void *writer(void *arg) {
  lull_hist *h = arg;
  while (!atomic_load(&go)) {
  }
  for (uint32_t i = 0; i < WRITES; i++) lull__hist_observe(h, i % 40); /* 0..39: every bucket */
  return NULL;
}

static void test_reader_races_writer(void **state) {
  (void)state;
  lull_hist h;
  lull__hist_init(&h, bounds, 3);
  pthread_t t;
  ASSERT_EQ_INT(pthread_create(&t, NULL, writer, &h), 0);
  lull_hist_snapshot last = {0};
  int reads = 0;
  atomic_store(&go, 1);
  for (;;) {
    lull_hist_snapshot s = {0};
    lull__hist_accumulate(&h, &s);
    reads++;
    for (uint32_t i = 0; i <= s.n; i++) {
      if (i) ASSERT_TRUE(s.cumulative[i] >= s.cumulative[i - 1]);
      ASSERT_TRUE(s.cumulative[i] >= last.cumulative[i]); /* counts only grow */
    }
    last = s;
    if (s.cumulative[s.n] == WRITES) break;
  }
  ASSERT_EQ_INT(pthread_join(t, NULL), 0);
  /* 0..10 in the first bucket (11 of each 40), 11..20, 21..30 (10 each), 31..39 (9). */
  ASSERT_EQ_INT(last.cumulative[0], WRITES / 40 * 11);
  ASSERT_EQ_INT(last.cumulative[1], WRITES / 40 * 21);
  ASSERT_EQ_INT(last.cumulative[2], WRITES / 40 * 31);
  ASSERT_EQ_INT(last.sum_ns, (uint64_t)WRITES / 40 * (39 * 40 / 2));
  print_message("# %d snapshots read while the writer ran\n", reads);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_buckets_and_snapshot),
      cmocka_unit_test(test_reader_races_writer),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
