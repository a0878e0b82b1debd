/* queue.c: four producer threads, one consumer; every command arrives once;
 * a full queue refuses at once. */
#include <pthread.h>
#include <stdlib.h>

#include "stream/stream.h"
#include "support/harness.h"

static void test_full_refuses(void **state) {
  (void)state;
  lull_queue q;
  ASSERT_EQ_INT(lull__queue_init(&q, 4), LULL_OK);
  lull_command c = {1, {0}, 0};
  for (int i = 0; i < 4; i++) ASSERT_EQ_INT(lull__queue_push(&q, &c), LULL_OK);
  ASSERT_EQ_INT(lull__queue_push(&q, &c), LULL_EFULL);
  lull_command out;
  ASSERT_EQ_INT(lull__queue_pop(&q, &out), LULL_OK);
  ASSERT_EQ_INT(lull__queue_push(&q, &c), LULL_OK);
  for (int i = 0; i < 4; i++) ASSERT_EQ_INT(lull__queue_pop(&q, &out), LULL_OK);
  ASSERT_EQ_INT(lull__queue_pop(&q, &out), LULL_EAGAIN);
  ASSERT_EQ_INT(lull__queue_init(&q, 6), LULL_EINVAL);
  lull__queue_free(&q);
}

typedef struct arg {
  lull_queue *q;
  int id;
  uint64_t refused;
} arg;

enum { PER = 50000 };

static void *produce(void *p) {
  arg *a = p;
  for (int i = 0; i < PER; i++) {
    lull_command c = {(uint32_t)a->id, {0}, 0};
    c.params.seed = (uint64_t)i;
    while (lull__queue_push(a->q, &c) == LULL_EFULL) a->refused++;
  }
  return NULL;
}

static void test_many_producers(void **state) {
  (void)state;
  lull_queue q;
  ASSERT_EQ_INT(lull__queue_init(&q, 64), LULL_OK);
  pthread_t t[4];
  arg a[4];
  for (int i = 0; i < 4; i++) a[i] = (arg){&q, i, 0}, pthread_create(&t[i], NULL, produce, &a[i]);
  uint64_t next[4] = {0}, got = 0;
  lull_command c;
  while (got < 4 * PER) {
    if (lull__queue_pop(&q, &c) != LULL_OK) continue;
    ASSERT_TRUE(c.fields < 4);
    ASSERT_EQ_INT(c.params.seed, next[c.fields]); /* in order per producer, none lost or doubled */
    next[c.fields]++;
    got++;
  }
  for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
  ASSERT_EQ_INT(lull__queue_pop(&q, &c), LULL_EAGAIN);
  lull__queue_free(&q);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_full_refuses), cmocka_unit_test(test_many_producers)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
