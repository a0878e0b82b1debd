/* Bounded MPSC command queue after Dmitry Vyukov's bounded MPMC queue: each
 * cell carries a sequence number saying whose turn it is. A producer claims
 * a position with a CAS on tail, writes the cell, then releases its seq; the
 * consumer acquires the seq, reads, and hands the cell to the next lap. */
#include <stdlib.h>

#include "stream/stream.h"

int lull__queue_init(lull_queue *q, uint32_t capacity) {
  if (capacity < 2 || (capacity & (capacity - 1))) return LULL_EINVAL;
  q->cells = calloc(capacity, sizeof *q->cells);
  if (!q->cells) return LULL_ENOMEM;
  q->mask = capacity - 1;
  for (uint32_t i = 0; i < capacity; i++) atomic_init(&q->cells[i].seq, i);
  atomic_init(&q->tail, 0);
  q->head = 0;
  return LULL_OK;
}

void lull__queue_free(lull_queue *q) {
  free(q->cells);
  q->cells = NULL;
}

int lull__queue_push(lull_queue *q, const lull_command *cmd) {
  uint64_t pos = atomic_load_explicit(&q->tail, memory_order_relaxed);
  for (;;) {
    lull_queue_cell *c = &q->cells[pos & q->mask];
    uint64_t seq = atomic_load_explicit(&c->seq, memory_order_acquire); /* the consumer's release */
    int64_t dif = (int64_t)(seq - pos);
    if (dif == 0) {
      /* Our turn if no other producer takes pos first. */
      if (atomic_compare_exchange_weak_explicit(&q->tail, &pos, pos + 1, memory_order_relaxed, memory_order_relaxed)) {
        c->cmd = *cmd;
        atomic_store_explicit(&c->seq, pos + 1, memory_order_release); /* the command, then readable */
        return LULL_OK;
      }
    } else if (dif < 0) {
      return LULL_EFULL; /* the consumer has not freed this cell: full */
    } else {
      pos = atomic_load_explicit(&q->tail, memory_order_relaxed); /* another producer got there */
    }
  }
}

int lull__queue_pop(lull_queue *q, lull_command *cmd) {
  lull_queue_cell *c = &q->cells[q->head & q->mask];
  uint64_t seq = atomic_load_explicit(&c->seq, memory_order_acquire); /* the producer's release */
  if (seq != q->head + 1) return LULL_EAGAIN;
  *cmd = c->cmd;
  atomic_store_explicit(&c->seq, q->head + q->mask + 1, memory_order_release); /* free for the next lap */
  q->head++;
  return LULL_OK;
}
