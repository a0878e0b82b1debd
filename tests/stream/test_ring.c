/* ring.c: readers of different speeds see exactly the packets written, in
 * order, each stamped with when it was published; an overtaken reader
 * learns it and by how much. The threaded test
 * runs one writer and four readers at full speed (and under TSan): with no
 * pacing the writer laps the margin in ~100 ns, so reads get torn, and
 * every torn read must be known as such (a station writes every 20 ms: its
 * margin is 160 ms). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "stream/stream.h"
#include "support/harness.h"

/* Bytes stored atomically, like check_packet's loads: the threaded test
 * races readers against the writer on purpose. */
static void write_packet(lull_ring *r, uint64_t seq) {
  unsigned char *d = lull__ring_begin(r);
  uint32_t len = 8 + (uint32_t)(seq % 50);
  for (uint32_t i = 0; i < len; i++) __atomic_store_n(&d[i], (unsigned char)(seq * 31 + i), __ATOMIC_RELAXED);
  lull__ring_publish(r, len, seq * 960, 0);
}

/* Reads the bytes atomically: the threaded test races the writer on purpose. */
static int check_packet(const lull_ring_slot *s, uint64_t seq) {
  uint32_t len = lull__slot_len(s);
  if (len != 8 + seq % 50 || lull__slot_position(s) != seq * 960) return 0;
  for (uint32_t i = 0; i < len; i++)
    if (__atomic_load_n(&s->data[i], __ATOMIC_RELAXED) != (unsigned char)(seq * 31 + i)) return 0;
  return 1;
}

static void test_readers_of_different_speeds(void **state) {
  (void)state;
  lull_ring r;
  ASSERT_EQ_INT(lull__ring_init(&r, 64, 128), LULL_OK);
  uint64_t fast = 0, slow = 0, lost = 0, published = 0;
  const lull_ring_slot *s;
  ASSERT_EQ_INT(lull__ring_get(&r, 0, &s, &lost), LULL_EAGAIN);
  for (uint64_t seq = 0; seq < 1000; seq++) {
    uint64_t before = lull__ring_clock_ns();
    write_packet(&r, seq);
    uint64_t after = lull__ring_clock_ns();
    /* The fast reader reads everything at once. */
    while (lull__ring_get(&r, fast, &s, &lost) == LULL_OK) {
      ASSERT_TRUE(check_packet(s, fast));
      /* Stamped when published (the send latency starts there), in order. */
      uint64_t t = lull__slot_published_ns(s);
      ASSERT_TRUE(t >= before && t <= after && t >= published);
      published = t;
      ASSERT_TRUE(lull__ring_intact(&r, s, fast));
      fast++;
    }
    /* The slow one reads one packet in three steps: it falls behind. */
    if (seq % 3 == 0) {
      int err = lull__ring_get(&r, slow, &s, &lost);
      if (err == LULL_EOVERTAKEN) {
        /* It learns how far: exactly past the readable window. */
        uint64_t head = lull__ring_head(&r);
        ASSERT_EQ_INT(lost, head - slow - (64 - LULL_RING_MARGIN));
        slow += lost;
        ASSERT_EQ_INT(lull__ring_get(&r, slow, &s, &lost), LULL_OK);
      }
      ASSERT_TRUE(check_packet(s, slow));
      slow++;
    }
  }
  ASSERT_EQ_INT(fast, 1000);
  ASSERT_GE(atomic_load(&r.overtaken), 1);
  ASSERT_EQ_INT(atomic_load(&r.torn), 0);
  lull__ring_free(&r);
}

static void test_init_rejects(void **state) {
  (void)state;
  lull_ring r;
  ASSERT_EQ_INT(lull__ring_init(&r, 48, 128), LULL_EINVAL); /* not a power of two */
  ASSERT_EQ_INT(lull__ring_init(&r, 8, 128), LULL_EINVAL);  /* smaller than twice the margin */
  ASSERT_EQ_INT(lull__ring_init(&r, 64, 0), LULL_EINVAL);
}

typedef struct shared {
  lull_ring ring;
  _Atomic int done;
  uint64_t total;
} shared;

typedef struct reader_arg {
  shared *sh;
  int slowness; /* spins between reads */
  uint64_t read, lost, bad, torn;
} reader_arg;

static void *reader(void *p) {
  reader_arg *a = p;
  uint64_t seq = 0;
  const lull_ring_slot *s;
  for (;;) {
    uint64_t lost = 0;
    int err = lull__ring_get(&a->sh->ring, seq, &s, &lost);
    if (err == LULL_EAGAIN) {
      if (atomic_load(&a->sh->done) && seq >= lull__ring_head(&a->sh->ring)) break;
      continue;
    }
    if (err == LULL_EOVERTAKEN) {
      a->lost += lost;
      seq += lost;
      continue;
    }
    int ok = check_packet(s, seq);
    if (lull__ring_intact(&a->sh->ring, s, seq)) a->bad += !ok; /* intact means right */
    else a->torn++;
    a->read++;
    seq++;
    for (volatile int i = 0; i < a->slowness; i++) {
    }
  }
  return NULL;
}

static void test_one_writer_four_readers(void **state) {
  (void)state;
  shared *sh = calloc(1, sizeof *sh);
  ASSERT_EQ_INT(lull__ring_init(&sh->ring, 256, 128), LULL_OK);
  pthread_t t[4];
  reader_arg a[4] = {{sh, 0, 0, 0, 0, 0}, {sh, 10, 0, 0, 0, 0}, {sh, 200, 0, 0, 0, 0}, {sh, 5000, 0, 0, 0, 0}};
  for (int i = 0; i < 4; i++) pthread_create(&t[i], NULL, reader, &a[i]);
  const uint64_t n = 200000;
  for (uint64_t seq = 0; seq < n; seq++) {
    write_packet(&sh->ring, seq);
    if (seq % 64 == 0) sched_yield();
  }
  atomic_store(&sh->done, 1);
  for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
  for (int i = 0; i < 4; i++) {
    printf("# reader %d: read %llu (torn %llu), skipped %llu, bad %llu\n", i, (unsigned long long)a[i].read,
           (unsigned long long)a[i].torn, (unsigned long long)a[i].lost, (unsigned long long)a[i].bad);
    ASSERT_EQ_INT(a[i].read + a[i].lost, n); /* every packet read or knowingly skipped */
    ASSERT_EQ_INT(a[i].bad, 0);              /* no wrong bytes unnoticed */
  }
  ASSERT_EQ_INT(atomic_load(&sh->ring.torn), a[0].torn + a[1].torn + a[2].torn + a[3].torn);
  lull__ring_free(&sh->ring);
  free(sh);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_readers_of_different_speeds), cmocka_unit_test(test_init_rejects),
                                     cmocka_unit_test(test_one_writer_four_readers)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
