/* The send batch (uring.h): an io_uring with only the parts a batch of
 * sends needs. Single-threaded: one ring per worker. */
#define _GNU_SOURCE /* syscall(), MAP_POPULATE */
#include "server/uring.h"

#include <errno.h>
#include <linux/io_uring.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

struct lull__uring {
  int fd;
  unsigned entries, queued;
  int err; /* what ended the last flush that failed */
  unsigned *sq_head, *sq_tail, *sq_mask, *sq_array, *cq_head, *cq_tail, *cq_mask;
  struct io_uring_sqe *sqes;
  struct io_uring_cqe *cqes;
  void *ring;
  size_t ring_len, sqes_len;
};

lull__uring *lull__uring_create(unsigned entries) {
  lull__uring *r = calloc(1, sizeof *r);
  if (!r) return NULL;
  struct io_uring_params p;
  memset(&p, 0, sizeof p);
  /* Room for every completion of a full ring: none is ever dropped. */
  p.flags = IORING_SETUP_CQSIZE;
  p.cq_entries = entries;
  r->fd = (int)syscall(__NR_io_uring_setup, entries, &p);
  if (r->fd < 0) {
    free(r);
    return NULL;
  }
  r->entries = p.sq_entries;
  /* Sends that honour MSG_DONTWAIT (completing in the call, never parked
   * on a poll while the flush waits) and the kernel's own workers: 5.12 and
   * later; and IORING_OP_SEND itself, asked of the kernel. */
  _Alignas(struct io_uring_probe) unsigned char space[sizeof(struct io_uring_probe) + 256 * sizeof(struct io_uring_probe_op)];
  memset(space, 0, sizeof space);
  struct io_uring_probe *probe = (struct io_uring_probe *)space;
  if (!(p.features & IORING_FEAT_NATIVE_WORKERS) ||
      syscall(__NR_io_uring_register, r->fd, IORING_REGISTER_PROBE, probe, 256) < 0 || probe->last_op < IORING_OP_RECV ||
      !(probe->ops[IORING_OP_SEND].flags & IO_URING_OP_SUPPORTED) ||
      !(probe->ops[IORING_OP_RECV].flags & IO_URING_OP_SUPPORTED)) {
    close(r->fd);
    free(r);
    errno = ENOSYS;
    return NULL;
  }
  size_t sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned);
  size_t cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
  r->ring_len = sq_len > cq_len ? sq_len : cq_len; /* one mapping for both rings */
  r->sqes_len = p.sq_entries * sizeof(struct io_uring_sqe);
  r->ring = MAP_FAILED;
  r->sqes = MAP_FAILED;
  if (p.features & IORING_FEAT_SINGLE_MMAP) {
    r->ring = mmap(NULL, r->ring_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQ_RING);
    r->sqes = mmap(NULL, r->sqes_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQES);
  }
  if (r->ring == MAP_FAILED || r->sqes == MAP_FAILED) {
    int e = (p.features & IORING_FEAT_SINGLE_MMAP) ? errno : ENOSYS;
    lull__uring_destroy(r);
    errno = e;
    return NULL;
  }
  char *b = r->ring;
  r->sq_head = (unsigned *)(b + p.sq_off.head);
  r->sq_tail = (unsigned *)(b + p.sq_off.tail);
  r->sq_mask = (unsigned *)(b + p.sq_off.ring_mask);
  r->sq_array = (unsigned *)(b + p.sq_off.array);
  r->cq_head = (unsigned *)(b + p.cq_off.head);
  r->cq_tail = (unsigned *)(b + p.cq_off.tail);
  r->cq_mask = (unsigned *)(b + p.cq_off.ring_mask);
  r->cqes = (struct io_uring_cqe *)(b + p.cq_off.cqes);
  return r;
}

void lull__uring_destroy(lull__uring *r) {
  if (!r) return;
  if (r->sqes != MAP_FAILED && r->sqes) munmap(r->sqes, r->sqes_len);
  if (r->ring != MAP_FAILED && r->ring) munmap(r->ring, r->ring_len);
  if (r->fd >= 0) close(r->fd);
  free(r);
}

unsigned lull__uring_queued(const lull__uring *r) { return r->queued; }

static int queue(lull__uring *r, int op, int fd, const void *buf, size_t len, void *user) {
  if (r->queued == r->entries) return -1;
  unsigned tail = *r->sq_tail, i = tail & *r->sq_mask;
  struct io_uring_sqe *e = &r->sqes[i];
  memset(e, 0, sizeof *e);
  e->opcode = (uint8_t)op;
  e->fd = fd;
  e->addr = (uint64_t)(uintptr_t)buf;
  e->len = (uint32_t)len;
  /* Never parked in the kernel: a full (or empty) socket answers -EAGAIN
   * at once. */
  e->msg_flags = MSG_NOSIGNAL | MSG_DONTWAIT;
  e->user_data = (uint64_t)(uintptr_t)user;
  r->sq_array[i] = i;
  __atomic_store_n(r->sq_tail, tail + 1, __ATOMIC_RELEASE);
  r->queued++;
  return 0;
}

int lull__uring_send(lull__uring *r, int fd, const void *buf, size_t len, void *user) {
  return queue(r, IORING_OP_SEND, fd, buf, len, user);
}

int lull__uring_recv(lull__uring *r, int fd, void *buf, size_t len, void *user) {
  return queue(r, IORING_OP_RECV, fd, buf, len, user);
}

/* The completions there are, each to done(); how many. */
static unsigned reap(lull__uring *r, void (*done)(void *user, int res)) {
  unsigned head = *r->cq_head, n = 0;
  for (; head != __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE); head++, n++) {
    const struct io_uring_cqe *c = &r->cqes[head & *r->cq_mask];
    done((void *)(uintptr_t)c->user_data, c->res);
  }
  __atomic_store_n(r->cq_head, head, __ATOMIC_RELEASE);
  return n;
}

int lull__uring_flush(lull__uring *r, void (*done)(void *user, int res)) {
  unsigned want = r->queued, got = 0, tries = 0;
  r->queued = 0;
  r->err = 0;
  while (got < want) {
    unsigned left = *r->sq_tail - __atomic_load_n(r->sq_head, __ATOMIC_ACQUIRE);
    long n = syscall(__NR_io_uring_enter, r->fd, left, want - got, IORING_ENTER_GETEVENTS, NULL, 0);
    int err = n < 0 ? errno : 0;
    got += reap(r, done);
    /* EAGAIN and EBUSY: the kernel is short of room for a moment (bounded). */
    if (n >= 0 || err == EINTR || ((err == EAGAIN || err == EBUSY) && ++tries < 1000)) continue;
    /* The kernel takes no more: what it has not taken is never sent (the
     * tail goes back to its head) and each is told -EAGAIN, as for a full
     * socket, so its bytes go the slow way (not a reason to end it). */
    r->err = err;
    unsigned head = __atomic_load_n(r->sq_head, __ATOMIC_ACQUIRE);
    for (unsigned t = head; t != *r->sq_tail; t++)
      done((void *)(uintptr_t)r->sqes[r->sq_array[t & *r->sq_mask]].user_data, -EAGAIN);
    __atomic_store_n(r->sq_tail, head, __ATOMIC_RELEASE);
    return -1;
  }
  return 0;
}

int lull__uring_error(const lull__uring *r) { return r->err; }
