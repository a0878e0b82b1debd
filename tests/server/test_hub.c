/* hub.c: the wire header round-trips and rejects what it must; a joining
 * listener gets the burst; one that falls more than a second behind jumps
 * to the live edge with the gap counted; one that stays behind for five
 * seconds is disconnected; one that keeps up never skips; a slot whose
 * length is past its capacity (a rewrite seen mid-way) is never copied. */
#include <string.h>

#include "server/hub.h"
#include "support/harness.h"

static void test_wire(void **state) {
  (void)state;
  unsigned char b[LULL_WIRE_HEADER_BYTES + 3] = {0};
  lull_wire_header h = {1, LULL_CODEC_OPUS, 3, 0xdeadbeefu, 0x0123456789abcdefull}, g;
  lull__wire_put(b, &h);
  ASSERT_EQ_INT(b[0], 1);
  ASSERT_EQ_INT(b[1], 1);
  ASSERT_EQ_INT(b[2], 3); /* little-endian */
  ASSERT_EQ_INT(b[4], 0xef);
  ASSERT_EQ_INT(b[8], 0xef);
  ASSERT_EQ_INT(b[15], 0x01);
  ASSERT_EQ_INT(lull__wire_get(b, sizeof b, &g), LULL_OK);
  ASSERT_TRUE(memcmp(&g, &h, sizeof g) == 0);
  ASSERT_EQ_INT(lull__wire_get(b, sizeof b - 1, &g), LULL_EPARSE); /* payload runs past the message */
  ASSERT_EQ_INT(lull__wire_get(b, 10, &g), LULL_EPARSE);
  b[0] = 2;
  ASSERT_EQ_INT(lull__wire_get(b, sizeof b, &g), LULL_EPARSE); /* unknown version */
  b[0] = 1, b[1] = 9;
  ASSERT_EQ_INT(lull__wire_get(b, sizeof b, &g), LULL_EPARSE); /* unknown codec */
}

static void publish(lull_ring *r, int n) {
  for (int i = 0; i < n; i++) {
    lull__ring_begin(r);
    lull__ring_publish(r, 10, 0, 0);
  }
}

static void test_join_gets_the_burst(void **state) {
  (void)state;
  lull_ring r;
  ASSERT_EQ_INT(lull__ring_init(&r, 512, 64), LULL_OK);
  lull_hub_cursor c;
  lull__hub_join(&c, &r, NULL);
  ASSERT_EQ_INT(c.next, 0); /* nothing yet: from the start */
  publish(&r, 5);
  lull__hub_join(&c, &r, NULL);
  ASSERT_EQ_INT(c.next, 0); /* fewer than the burst: all of it */
  publish(&r, 100);
  lull__hub_join(&c, &r, NULL);
  ASSERT_EQ_INT(c.next, 105 - 15); /* 300 ms before the live edge */
  lull_hub_policy p = {.burst_packets = 3};
  lull__hub_join(&c, &r, &p);
  ASSERT_EQ_INT(c.next, 102);
  lull__ring_free(&r);
}

static void test_lag_policy(void **state) {
  (void)state;
  lull_ring r;
  ASSERT_EQ_INT(lull__ring_init(&r, 512, 64), LULL_OK);
  lull_hub_cursor fast, slow;
  lull__hub_join(&fast, &r, NULL);
  lull__hub_join(&slow, &r, NULL);
  uint64_t t = 1000;
  int skipped = 0, disconnected_at = -1;
  /* 20 ms a packet for 10 s; the fast listener reads everything, the slow
   * one reads one packet in four. */
  for (int i = 0; i < 500; i++, t += 20) {
    publish(&r, 1);
    ASSERT_EQ_INT(lull__hub_check(&fast, &r, NULL, t), LULL_HUB_SEND);
    fast.next = lull__ring_head(&r);
    if (disconnected_at < 0) {
      lull_hub_action a = lull__hub_check(&slow, &r, NULL, t);
      if (a == LULL_HUB_SKIPPED) {
        skipped++;
        ASSERT_EQ_INT(slow.next, lull__ring_head(&r) - 15); /* at the live edge, with a burst */
      }
      if (a == LULL_HUB_DISCONNECT) disconnected_at = i;
      if (i % 4 == 0) slow.next++;
    }
  }
  ASSERT_EQ_INT(fast.dropped, 0);
  ASSERT_EQ_INT(fast.skips, 0);
  ASSERT_GE(skipped, 2);            /* skipped more than once... */
  ASSERT_GE(slow.dropped, 50);      /* ...with the gap counted... */
  ASSERT_TRUE(disconnected_at > 0); /* ...and closed for staying behind */
  ASSERT_NEAR(disconnected_at * 20, 5000 + 1400, 1000); /* 5 s after its first skip (at ~1.4 s) */
  lull__ring_free(&r);
}

static void test_a_hiccup_is_forgiven(void **state) {
  (void)state;
  lull_ring r;
  ASSERT_EQ_INT(lull__ring_init(&r, 512, 64), LULL_OK);
  lull_hub_cursor c;
  lull__hub_join(&c, &r, NULL);
  uint64_t t = 1000;
  /* A 2 s stall (a skip), then keeping up for 10 s: never disconnected. */
  publish(&r, 100);
  ASSERT_EQ_INT(lull__hub_check(&c, &r, NULL, t), LULL_HUB_SKIPPED);
  for (int i = 0; i < 500; i++, t += 20) {
    publish(&r, 1);
    ASSERT_EQ_INT(lull__hub_check(&c, &r, NULL, t), LULL_HUB_SEND);
    c.next = lull__ring_head(&r);
  }
  ASSERT_EQ_INT(c.behind_since, 0);
  ASSERT_EQ_INT(c.skips, 1);
  lull__ring_free(&r);
}

/* Packets of varying length whose bytes say which packet they are. */
static void publish_marked(lull_ring *r, uint64_t from, int n) {
  for (int i = 0; i < n; i++) {
    uint64_t seq = from + (uint64_t)i;
    uint32_t len = 20 + (uint32_t)(seq * 37 % 200);
    unsigned char *d = lull__ring_begin(r);
    for (uint32_t k = 0; k < len; k++) d[k] = (unsigned char)(seq + k);
    lull__ring_publish(r, len, seq * 960, 0);
  }
}

/* A WebSocket feed holds whole frames: a binary frame header, then per
 * packet its wire header and bytes, in order, with nothing between runs. */
static void test_feed_frames_messages(void **state) {
  (void)state;
  lull_ring r;
  ASSERT_EQ_INT(lull__ring_init(&r, 512, 1500), LULL_OK);
  lull_feed f;
  ASSERT_EQ_INT(lull__feed_init(&f, LULL_FEED_WS_OPUS, &r, 3, 2000), LULL_OK);
  ASSERT_EQ_INT(lull__feed_pull(&f), 0);
  publish_marked(&r, 0, 10);
  ASSERT_EQ_INT(lull__feed_pull(&f), 3); /* three whole messages; packet 9 waits for 10 and 11 */
  const unsigned char *data;
  uint64_t units;
  size_t len = lull__feed_run(&f, 0, 1 << 20, &data, &units);
  ASSERT_EQ_INT(units, 3);
  uint64_t seq = 0;
  for (size_t at = 0; at < len;) {
    ASSERT_EQ_INT(data[at], 0x82);
    size_t payload = data[at + 1] & 0x7f, h = 2;
    if (payload == 126) payload = (size_t)data[at + 2] << 8 | data[at + 3], h = 4;
    const unsigned char *p = data + at + h, *end = p + payload;
    for (int i = 0; i < 3; i++, seq++) {
      lull_wire_header w;
      ASSERT_EQ_INT(lull__wire_get(p, (size_t)(end - p), &w), LULL_OK);
      ASSERT_EQ_INT(w.sequence, seq);
      ASSERT_EQ_INT(w.position, seq * 960);
      ASSERT_EQ_INT(w.length, 20 + seq * 37 % 200);
      for (uint32_t k = 0; k < w.length; k++) ASSERT_EQ_INT(p[LULL_WIRE_HEADER_BYTES + k], (unsigned char)(seq + k));
      p += LULL_WIRE_HEADER_BYTES + w.length;
    }
    ASSERT_TRUE(p == end);
    at += h + payload;
  }
  ASSERT_EQ_INT(seq, 9);
  /* A run stops at max_bytes, but always holds one whole unit. */
  len = lull__feed_run(&f, 1, 1, &data, &units);
  ASSERT_EQ_INT(units, 1);
  ASSERT_EQ_INT(lull__feed_run(&f, 3, 1 << 20, &data, &units), 0); /* nothing yet */
  lull__feed_free(&f);
  lull__ring_free(&r);
}

/* Hours of units through a small log: runs never straddle its end, what
 * was overwritten is gone (from < tail), and the lag policy sees it. */
static void test_feed_wraps_and_forgets(void **state) {
  (void)state;
  lull_ring r;
  ASSERT_EQ_INT(lull__ring_init(&r, 512, 1500), LULL_OK);
  lull_feed f;
  ASSERT_EQ_INT(lull__feed_init(&f, LULL_FEED_OGG, &r, 1, 1000), LULL_OK);
  uint64_t seq = 0, behind = 0;
  for (int round = 0; round < 2000; round++) {
    publish_marked(&r, seq, 7);
    seq += 7;
    lull__feed_pull(&f);
    ASSERT_EQ_INT(f.head, seq);
    ASSERT_LE(f.head - f.tail, (double)f.unit_mask + 1);
    /* Everything held reads back as published (the page kind keeps bytes as they are). */
    const unsigned char *data;
    uint64_t units;
    for (uint64_t u = f.tail; u < f.head; u += units) {
      size_t len = lull__feed_run(&f, u, 1 << 20, &data, &units);
      ASSERT_TRUE(len > 0 && units > 0);
      ASSERT_LE((double)(data - f.log) + (double)len, (double)f.log_bytes);
      ASSERT_EQ_INT(data[0], (unsigned char)u);
    }
    ASSERT_EQ_INT(lull__feed_run(&f, f.tail ? f.tail - 1 : f.head, 1 << 20, &data, &units), 0);
  }
  ASSERT_TRUE(f.tail > 0);
  ASSERT_EQ_INT(f.lost, 0);
  ASSERT_EQ_INT(f.torn, 0);
  /* A cursor left where the log has moved on is skipped forward. */
  lull_hub_cursor c;
  lull__hub_join_at(&c, 0, 0, NULL);
  ASSERT_EQ_INT(lull__hub_check_at(&c, f.head, f.tail, NULL, 1000), LULL_HUB_SKIPPED);
  ASSERT_TRUE(c.next >= f.tail);
  behind = c.dropped;
  ASSERT_TRUE(behind > 0);
  lull__feed_free(&f);
  lull__ring_free(&r);
}

/* A thread that falls further behind than the station's ring holds loses
 * packets (counted) and goes on from the oldest safe one. */
static void test_feed_overtaken(void **state) {
  (void)state;
  lull_ring r;
  ASSERT_EQ_INT(lull__ring_init(&r, 64, 1500), LULL_OK);
  lull_feed f;
  ASSERT_EQ_INT(lull__feed_init(&f, LULL_FEED_WS_PCM, &r, 2, 1000), LULL_OK);
  publish_marked(&r, 0, 200);
  uint64_t n = lull__feed_pull(&f);
  ASSERT_TRUE(f.lost >= 200 - 64);
  ASSERT_EQ_INT(f.lost + 2 * n, 200);
  lull__feed_free(&f);
  lull__ring_free(&r);
}

/* A slot's length is read once and bounded by the slot: one announcing more
 * bytes than the slot holds (what a read torn by the writer can see) is
 * dropped as torn, not copied past the slot. The corrupt slot is the ring's
 * last, so an unbounded copy would also run off the ring's allocation
 * (ASan reports it); a release build sees the oversized unit in the log. */
static void test_feed_bounds_slot_length(void **state) {
  (void)state;
  for (int kind = LULL_FEED_WS_OPUS; kind <= LULL_FEED_OGG; kind++) {
    lull_ring r;
    ASSERT_EQ_INT(lull__ring_init(&r, 16, 64), LULL_OK);
    lull_feed f;
    ASSERT_EQ_INT(lull__feed_init(&f, kind, &r, 1, 1000), LULL_OK);
    ASSERT_EQ_INT(f.src_next, 0);
    /* Two pulls of eight, so every packet is inside the ring's safe window. */
    for (int i = 0; i < 16; i++) {
      memset(lull__ring_begin(&r), i, 64);
      lull__ring_publish(&r, 10, (uint64_t)i * 960, 0);
      if (i == 7) ASSERT_EQ_INT(lull__feed_pull(&f), 8);
    }
    const lull_ring_slot *s;
    uint64_t lost = 0;
    ASSERT_EQ_INT(lull__ring_get(&r, 15, &s, &lost), LULL_OK);
    atomic_store_explicit(&((lull_ring_slot *)s)->len, 64 + 200, memory_order_relaxed);
    ASSERT_EQ_INT(lull__feed_pull(&f), 7); /* 8..14; 15 dropped */
    ASSERT_EQ_INT(f.torn, 1);
    size_t framing = kind == LULL_FEED_OGG ? 0 : 2 + LULL_WIRE_HEADER_BYTES;
    for (uint64_t u = f.tail; u < f.head; u++) ASSERT_EQ_INT(f.units[u & f.unit_mask].len, 10 + framing);
    ASSERT_EQ_INT(f.src_next, 16);
    lull__feed_free(&f);
    lull__ring_free(&r);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_wire), cmocka_unit_test(test_join_gets_the_burst),
                                     cmocka_unit_test(test_lag_policy), cmocka_unit_test(test_a_hiccup_is_forgiven), cmocka_unit_test(test_feed_frames_messages),
                                     cmocka_unit_test(test_feed_wraps_and_forgets), cmocka_unit_test(test_feed_overtaken),
                                     cmocka_unit_test(test_feed_bounds_slot_length)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
