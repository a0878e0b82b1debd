/* A batch of sends in one system call (io_uring, set up with the raw
 * system calls). The worker queues a wake's stream writes here and submits
 * them at once: each send is still non-blocking (MSG_DONTWAIT) and completes
 * inside that call, with the result send() would have given, so the code
 * that handles results is the same as for send(). Where the kernel refuses
 * io_uring (disabled, a seccomp filter, an old kernel), lull__uring_create
 * gives NULL and the worker sends one call at a time. */
#ifndef LULL_SERVER_URING_H
#define LULL_SERVER_URING_H

#include <stddef.h>

typedef struct lull__uring lull__uring;

/* A ring of `entries` sends (a power of two); NULL when io_uring is not to
 * be had (errno says why; ENOSYS: a kernel before 5.12, or without sends
 * in io_uring). */
lull__uring *lull__uring_create(unsigned entries);
void lull__uring_destroy(lull__uring *r);
/* Queue a send of len bytes at buf (which must stay as they are until the
 * flush); 0, or -1 when the ring is full (flush first). */
int lull__uring_send(lull__uring *r, int fd, const void *buf, size_t len, void *user);
/* The same for a receive of up to len bytes into buf (the load client of
 * bench_server reads its listeners so). */
int lull__uring_recv(lull__uring *r, int fd, void *buf, size_t len, void *user);
/* Submit what is queued, wait for all of it, and give each its result
 * (bytes sent, or -errno). done() must not queue. 0; or -1 when the kernel
 * refused the batch: each send it did not take was given -EAGAIN (as a full
 * socket: its bytes go the slow way), lull__uring_error says why, and the
 * ring is of no more use. */
int lull__uring_flush(lull__uring *r, void (*done)(void *user, int res));
/* The errno that failed the last flush. */
int lull__uring_error(const lull__uring *r);
/* Queued and not yet flushed. */
unsigned lull__uring_queued(const lull__uring *r);

#endif
