/* hub.c: the wire header round-trips and rejects what it must; a joining
 * listener gets the burst; one that falls more than a second behind jumps
 * to the live edge with the gap counted; one that stays behind for five
 * seconds is disconnected; one that keeps up never skips. */
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

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_wire), cmocka_unit_test(test_join_gets_the_burst),
                                     cmocka_unit_test(test_lag_policy), cmocka_unit_test(test_a_hiccup_is_forgiven)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
