/* bench_server: a load test. Starts `lull serve` (a separate process, so
 * its CPU can be read from /proc), opens WebSocket, HTTP Ogg and HTTP MP3
 * listeners on loopback from one epoll loop, and for a fixed time checks
 * each one: packets (WebSocket sequence numbers, Ogg page numbers, MP3
 * frames) and its worst delay (the spread of arrival time minus media time
 * over the window). A listener kept up if it got >= 99 % of the packets due
 * (less a quarter second's: one HTTP write)
 * and no packet came more than 500 ms later than its best one. Prints, per
 * kind, how many kept up and the connect-to-first-packet times, and for the
 * server its CPU per listener-second, its memory per listener, the
 * station's late frames and connect-to-first-packet of new listeners.
 *
 *   bench_server [--listeners N] [--only ws|ogg] [--mp3 M] [--seconds S] [--threads T] [--ppm P]
 *                [--probes K] [--steer] [--floor [--rounds R]]
 *
 * --floor measures the floor beside lull, one transport at a time: a bare
 * epoll server in a process of its own that relays lull's own units (it is
 * one listener of lull per transport) and does one send() per listener per
 * unit that arrives, nothing else. So it sends the same bytes at the same
 * cadence, and the same client measures both; the ratio of lull's CPU per
 * listener-second to the floor's is what lull costs beyond the kernel.
 *
 * The client shares the two cores with the server; its own CPU is printed
 * too, so a reader can tell when the client, not the server, was the limit.
 *
 * Loopback runs a segment's TCP input in the sender's context: the
 * listeners' input is charged to the server, and the server's handling of
 * their ACKs to the client. --steer (root) models separate hosts instead:
 * the server (one thread unless --threads) on CPU 0, the client on CPU 1,
 * and RPS/RFS on lo so each side's input runs on its own CPU. The sysctls
 * are put back at exit. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "support/netclient.h"
#include "support/spawn.h"
#include "server/uring.h"

enum { K_WS, K_OGG, K_MP3, KINDS };
static const char *const kind_name[KINDS] = {"WebSocket", "HTTP Ogg", "HTTP MP3"};
/* Packets due per second: 20 ms Opus packets; MP3 frames of 1152 samples. */
static const double due_per_s[KINDS] = {50.0, 50.0, 48000.0 / 1152.0};
#define ROUND_S 0.1
#define MAX_DELAY_S 0.5
#define MAX_PROBES 200
enum { CONNECTING, HEAD, STREAM, DEAD };

typedef struct conn {
  int fd, kind, state;
  uint32_t have;                /* bytes held in buf */
  unsigned char buf[8192];      /* an unfinished frame or page */
  int64_t last_seq;
  uint64_t packets, gaps, ramp_gaps, granule; /* gaps in the window, and before it; granule: the last Ogg page's */
  double t_connect, t_first, max_stall;
  double late_min, late_max;    /* arrival minus media time, in the window */
  uint64_t measured;            /* packets inside the measuring window */
} conn;

static double window_start = 1e30, window_end = 1e30;

/* A gap in the window is a failure; one while everyone connects (or after)
 * is counted apart. */
static void gap(conn *c, double t) {
  if (t >= window_start && t < window_end) c->gaps++;
  else c->ramp_gaps++;
}

/* How late a packet came against its media time (position / 48 kHz): the
 * spread of that over the window is the worst delay the listener saw,
 * however often the client got round to reading. */
static void on_media(conn *c, uint64_t position, double t) {
  if (t < window_start || t >= window_end || !position) return;
  double late = t - (double)position / 48000.0;
  if (!c->late_min && !c->late_max) c->late_min = c->late_max = late;
  if (late < c->late_min) c->late_min = late;
  if (late > c->late_max) c->late_max = late;
  c->max_stall = c->late_max - c->late_min;
}

static void on_packet(conn *c, int64_t seq, double t, uint64_t count) {
  if (c->kind == K_WS && c->last_seq >= 0 && seq != c->last_seq + 1) gap(c, t);
  /* Ogg: the header pages (0, 1) are followed by the live page numbers. */
  if (c->kind == K_OGG && c->last_seq >= 2 && seq != c->last_seq + 1) gap(c, t);
  c->last_seq = seq;
  c->packets += count;
  if (t >= window_start && t < window_end) c->measured += count;
  if (!c->t_first && (count || c->kind == K_OGG)) c->t_first = t;
}

/* CPU seconds of a process, the sum of its threads' run time in ns
 * (schedstat), which unlike /proc/PID/stat is not sampled at the tick. */
static double cpu_s(pid_t pid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
  DIR *d = opendir(path);
  if (!d) return -1;
  double sum = 0;
  for (struct dirent *e; (e = readdir(d));) {
    if (e->d_name[0] == '.') continue;
    char p[300];
    snprintf(p, sizeof p, "/proc/%d/task/%s/schedstat", (int)pid, e->d_name);
    FILE *f = fopen(p, "r");
    unsigned long long ns = 0;
    if (f && fscanf(f, "%llu", &ns) == 1) sum += (double)ns * 1e-9;
    if (f) fclose(f);
  }
  closedir(d);
  return sum;
}

static uint64_t le(const unsigned char *p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; i--) v = v << 8 | p[i];
  return v;
}

/* The length of an MPEG-1 Layer III frame whose header is at b, or 0 when
 * b holds no such header (lull's MP3 is MPEG-1 at 48 kHz). */
static size_t mp3_frame_len(const unsigned char *b) {
  static const unsigned kbps[16] = {0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 0};
  static const unsigned rate[4] = {44100, 48000, 32000, 0};
  if (b[0] != 0xff || (b[1] & 0xfe) != 0xfa) return 0; /* sync, MPEG-1, Layer III */
  unsigned br = kbps[b[2] >> 4], sr = rate[(b[2] >> 2) & 3];
  return br && sr ? 144u * br * 1000u / sr + ((b[2] >> 1) & 1u) : 0;
}

/* The length of the unit at b (a WebSocket frame, an Ogg page, an MP3
 * frame) when it is all there; 0 when more is needed; -1 when b is not a
 * unit of that kind. */
static long unit_len(int kind, const unsigned char *b, size_t left) {
  if (kind == K_WS) {
    if (left < 2) return 0;
    size_t h = 2, len = b[1] & 0x7f;
    if (len == 127) return -1;
    if (len == 126) {
      if (left < 4) return 0;
      h = 4, len = (size_t)b[2] << 8 | b[3];
    }
    return left < h + len ? 0 : (long)(h + len);
  }
  if (kind == K_OGG) {
    if (left < 27) return 0;
    if (memcmp(b, "OggS", 4) != 0) return -1;
    size_t segs = b[26], body = 0;
    if (left < 27 + segs) return 0;
    for (size_t i = 0; i < segs; i++) body += b[27 + i];
    return left < 27 + segs + body ? 0 : (long)(27 + segs + body);
  }
  if (left < 4) return 0;
  size_t len = mp3_frame_len(b);
  if (!len) return -1;
  return left < len ? 0 : (long)len;
}

/* Parse what arrived: WebSocket frames of packets, Ogg pages or MP3 frames. */
static void consume(conn *c, const unsigned char *p, size_t n, double t) {
  while (n) {
    size_t take = sizeof c->buf - c->have < n ? sizeof c->buf - c->have : n;
    memcpy(c->buf + c->have, p, take);
    c->have += (uint32_t)take;
    p += take;
    n -= take;
    size_t at = 0;
    for (;;) {
      unsigned char *b = c->buf + at;
      long len = unit_len(c->kind, b, c->have - at);
      if (len < 0 && c->kind == K_MP3) { /* lost sync: count it (each byte), look for the next frame */
        gap(c, t);
        at++;
        continue;
      }
      if (len < 0) {
        c->state = DEAD;
        return;
      }
      if (len == 0) break;
      if (c->kind == K_WS && (b[0] & 0x0f) == 2) {
        size_t h = (b[1] & 0x7f) == 126 ? 4 : 2;
        for (size_t q = h; q + 16 <= (size_t)len;) {
          on_packet(c, (int64_t)le(b + q + 4, 4), t, 1);
          on_media(c, le(b + q + 8, 8), t);
          q += 16 + le(b + q + 2, 2);
        }
      } else if (c->kind == K_OGG) {
        /* A page's packets, from its granule position (960 samples each);
         * the first live page's are not counted, as nothing says where it
         * started. */
        int64_t seq = (int64_t)le(b + 18, 4);
        uint64_t granule = le(b + 6, 8);
        uint64_t count = seq >= 2 && c->granule && granule > c->granule ? (granule - c->granule) / 960 : 0;
        if (seq >= 2) c->granule = granule;
        on_packet(c, seq, t, count);
        if (seq >= 2) on_media(c, granule, t);
      } else if (c->kind == K_MP3) {
        /* No positions in MP3: count frames from the first, 1152 samples each. */
        on_packet(c, c->last_seq + 1, t, 1);
        on_media(c, (uint64_t)(c->last_seq + 1) * 1152u, t);
      }
      at += (size_t)len;
    }
    memmove(c->buf, c->buf + at, c->have - at);
    c->have -= (uint32_t)at;
  }
}

static double nap_until(double t) {
  double now = nc_now_s();
  if (t > now) {
    struct timespec ts = {(time_t)(t - now), (long)((t - now - (double)(time_t)(t - now)) * 1e9)};
    nanosleep(&ts, NULL);
  }
  return nc_now_s();
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double pct(const double *sorted, int n, int p) { return n ? sorted[(n - 1) * p / 100] : 0; }

static const char *request_path[KINDS] = {"/ws/stream?station=main&codec=opus", "/stream.ogg?station=main",
                                          "/stream.mp3?station=main"};

static int request(char *out, size_t cap, int kind, uint16_t port) {
  if (kind == K_WS)
    return snprintf(out, cap,
                    "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
                    request_path[kind], port);
  return snprintf(out, cap, "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n\r\n", request_path[kind], port);
}

/* ---- the floor: a bare epoll server that relays lull's units ------------- */

/* --uring: the floor's sends of a unit in one io_uring submission, with
 * lull's own batch (server/uring.h), as lull's network threads do. */

#define FLOOR_FDS (1 << 17)
static int floor_kind[FLOOR_FDS], floor_at[FLOOR_FDS];

typedef struct upstream {
  int fd, kind;
  unsigned char buf[1 << 16], header[8192];
  size_t have, header_len;
  int header_pages;
} upstream;

static int floor_connect(uint16_t port, int kind) {
  int fd = nc_connect(port, 0);
  char req[512];
  int n = request(req, sizeof req, kind, port);
  if (fd < 0 || send(fd, req, (size_t)n, MSG_NOSIGNAL) != n) return -1;
  /* The response head, which comes whole on loopback. */
  char head[4096];
  size_t have = 0;
  for (double end = nc_now_s() + 5; nc_now_s() < end && have < sizeof head - 1;) {
    long got = nc_read(fd, head + have, 1, 1000);
    if (got <= 0) return -1;
    have += (size_t)got;
    if (have >= 4 && memcmp(head + have - 4, "\r\n\r\n", 4) == 0) return fd;
  }
  return -1;
}

/* Runs until killed: listeners on lfd get lull's units from upstream as
 * they come, one send() each per arrival. */
/* The floor's listeners, and the length each send must have had. */
typedef struct floor_set {
  int *fds, n;
  size_t len;
} floor_set;

static void floor_drop(floor_set *fs, int fd) {
  int k = floor_at[fd];
  if (k < 0 || k >= fs->n || fs->fds[k] != fd) return;
  close(fd); /* a short send would cut a unit: the listener goes */
  fs->fds[k] = fs->fds[--fs->n];
  floor_at[fs->fds[k]] = k;
  floor_at[fd] = -1;
  floor_kind[fd] = -2; /* closed: events already fetched for it are stale */
}

static floor_set *floor_fs;

static void floor_sent(void *user, int res) {
  int fd = (int)(intptr_t)user;
  if (res != (int)floor_fs->len) floor_drop(floor_fs, fd);
}

static void floor_serve(int lfd, uint16_t lull_port, int kind, int uring) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  lull__uring *rg = uring ? lull__uring_create(4096) : NULL;
  if (uring && !rg) {
    fprintf(stderr, "bench_server: the floor could not set up io_uring: %s\n", strerror(errno));
    _exit(1);
  }
  signal(SIGPIPE, SIG_IGN);
  static upstream up;
  up.kind = kind;
  up.fd = floor_connect(lull_port, kind);
  if (up.fd < 0) {
    fprintf(stderr, "bench_server: the floor could not listen to lull\n");
    _exit(1);
  }
  int ep = epoll_create1(0);
  struct epoll_event e = {.events = EPOLLIN, .data.fd = lfd};
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &e);
  e.data.fd = up.fd;
  epoll_ctl(ep, EPOLL_CTL_ADD, up.fd, &e);
  floor_set fs = {.fds = malloc(FLOOR_FDS * sizeof(int))};
  floor_fs = &fs;
  int *fds = fs.fds;
  static unsigned char out[1 << 16];
  static char head[4096];
  struct epoll_event evs[256];
  for (;;) {
    int m = epoll_wait(ep, evs, 256, -1);
    for (int i = 0; i < m; i++) {
      int fd = evs[i].data.fd;
      if (fd == lfd) {
        int c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
        if (c < 0 || c >= FLOOR_FDS) {
          if (c >= 0) close(c);
          continue;
        }
        /* lull's socket options (its defaults): a send buffer of 16 KiB,
         * so a reader that stops shows soon, and no Nagle. */
        int sz = 16384, one = 1;
        setsockopt(c, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
        setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        floor_kind[c] = -1; /* its request not read yet */
        floor_at[c] = -1;
        struct epoll_event ce = {.events = EPOLLIN | EPOLLRDHUP, .data.fd = c};
        epoll_ctl(ep, EPOLL_CTL_ADD, c, &ce);
      } else if (fd == up.fd) {
        ssize_t got = read(up.fd, up.buf + up.have, sizeof up.buf - up.have);
        if (got <= 0) _exit(1);
        up.have += (size_t)got;
        /* The whole units that are here, one send to each listener. */
        size_t at = 0, len_out = 0;
        long len;
        while ((len = unit_len(kind, up.buf + at, up.have - at)) > 0) {
          const unsigned char *u = up.buf + at;
          if (kind == K_OGG && up.header_pages < 2 && le(u + 18, 4) < 2 && up.header_len + (size_t)len <= sizeof up.header) {
            memcpy(up.header + up.header_len, u, (size_t)len); /* the stream's headers, for each new listener */
            up.header_len += (size_t)len;
            up.header_pages++;
          } else if (kind != K_WS || (u[0] & 0x0f) == 2) {
            memcpy(out + len_out, u, (size_t)len);
            len_out += (size_t)len;
          }
          at += (size_t)len;
        }
        if (len < 0) _exit(1);
        memmove(up.buf, up.buf + at, up.have - at);
        up.have -= at;
        fs.len = len_out;
        if (uring && len_out) {
          /* Each batch completes before the next is queued (the ring is
           * flushed when full), so listeners dropped meanwhile are not reused. */
          for (int k = 0, n = fs.n; k < n; k++) {
            lull__uring_send(rg, fds[k], out, len_out, (void *)(intptr_t)fds[k]);
            if (lull__uring_queued(rg) == 4096) lull__uring_flush(rg, floor_sent);
          }
          lull__uring_flush(rg, floor_sent);
        }
        for (int k = 0; !uring && k < fs.n && len_out; k++)
          if (send(fds[k], out, len_out, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)len_out) floor_drop(&fs, fds[k--]);
      } else if (floor_kind[fd] == -2) {
        continue;
      } else if (floor_kind[fd] < 0 && !(evs[i].events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))) {
        ssize_t got = read(fd, head, sizeof head - 1);
        int hl;
        if (got <= 0 || !memmem(head, (size_t)got, "\r\n\r\n", 4)) {
          close(fd);
          floor_kind[fd] = -2;
          continue;
        }
        if (kind == K_WS)
          hl = snprintf(head, sizeof head,
                        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n");
        else
          hl = snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nCache-Control: no-store\r\n\r\n",
                        kind == K_OGG ? "audio/ogg" : "audio/mpeg");
        memcpy(out, head, (size_t)hl);
        if (kind == K_OGG) memcpy(out + hl, up.header, up.header_len);
        size_t first = (size_t)hl + (kind == K_OGG ? up.header_len : 0);
        if (send(fd, out, first, MSG_NOSIGNAL) != (ssize_t)first) {
          close(fd);
          floor_kind[fd] = -2;
          continue;
        }
        floor_kind[fd] = kind;
        floor_at[fd] = fs.n;
        fds[fs.n++] = fd;
      } else if (floor_kind[fd] >= 0) {
        floor_drop(&fs, fd);
      } else {
        close(fd);
        floor_kind[fd] = -2;
      }
    }
  }
}

static pid_t floor_start(uint16_t lull_port, int kind, int uring, uint16_t *port) {
  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t alen = sizeof a;
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(lfd, (struct sockaddr *)&a, sizeof a) || listen(lfd, 4096) ||
      getsockname(lfd, (struct sockaddr *)&a, &alen)) {
    close(lfd);
    return -1;
  }
  *port = ntohs(a.sin_port);
  pid_t pid = fork();
  if (pid == 0) floor_serve(lfd, lull_port, kind, uring);
  close(lfd);
  return pid;
}

/* ---- the client ---------------------------------------------------------- */

typedef struct figures {
  int want[KINDS], kept[KINDS], alive[KINDS];
  uint64_t gaps[KINDS], ramp_gaps[KINDS];
  double worst[KINDS], first_p50[KINDS], first_p99[KINDS], first_max[KINDS];
  double cpu_s, cpu_wall, per_us;
  long rss0, rss1;
  double kib_per;
  double probe[MAX_PROBES];
  int probes;
  long long late_frames; /* -1: not asked (the floor) */
  double client_cpu;
  int failed;
} figures;

typedef struct load {
  lull__uring *ring; /* NULL: a read() each */
  int ep, total;
  conn *cs;
  char req[KINDS][512];
  double last_round;
} load;

/* What a read gave: bytes (got > 0), the end (0) or an error (< 0, -errno). */
static void on_read(load *L, conn *c, const unsigned char *rbuf, long got, double t) {
  if (got <= 0) {
    if (got == -EAGAIN) return;
    c->state = DEAD;
    epoll_ctl(L->ep, EPOLL_CTL_DEL, c->fd, NULL);
    return;
  }
  const unsigned char *p = rbuf;
  size_t len = (size_t)got;
  if (c->state == HEAD) {
    /* The response head, which arrives whole on loopback. */
    const unsigned char *e = memmem(rbuf, len, "\r\n\r\n", 4);
    if (!e || (memcmp(rbuf, "HTTP/1.1 101", 12) != 0 && memcmp(rbuf, "HTTP/1.1 200", 12) != 0)) {
      c->state = DEAD;
      return;
    }
    c->state = STREAM;
    p = e + 4;
    len -= (size_t)(p - rbuf);
  }
  if (c->state == STREAM && len) consume(c, p, len, t);
}

/* A connection made: its request. 1 when the event was that. */
static int on_connected(load *L, conn *c, const struct epoll_event *ev) {
  if (c->state != CONNECTING || !(ev->events & EPOLLOUT)) return 0;
  const char *r = L->req[c->kind];
  if (send(c->fd, r, strlen(r), MSG_NOSIGNAL) != (ssize_t)strlen(r)) {
    c->state = DEAD;
    return 1;
  }
  c->state = HEAD;
  struct epoll_event e = {.events = EPOLLIN, .data.ptr = c};
  epoll_ctl(L->ep, EPOLL_CTL_MOD, c->fd, &e);
  return 1;
}

/* The reads of a round go in one io_uring submission (the client shares
 * the two cores with the server: what it saves, the server gets). */
#define READ_SLOT (16 << 10)
static unsigned char read_slots[512][READ_SLOT];
static conn *read_conn[512];
static load *read_load;
static double read_t;

static void read_done(void *user, int res) {
  int i = (int)(intptr_t)user;
  on_read(read_load, read_conn[i], read_slots[i], res, read_t);
}

static void handle_all(load *L, struct epoll_event *evs, int m, double t) {
  static unsigned char rbuf[1 << 16];
  int queued = 0;
  for (int i = 0; i < m; i++) {
    conn *c = evs[i].data.ptr;
    if (on_connected(L, c, &evs[i])) continue;
    if (!(evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) || c->state == DEAD) continue;
    if (L->ring && !lull__uring_recv(L->ring, c->fd, read_slots[queued], READ_SLOT, (void *)(intptr_t)queued)) {
      read_conn[queued++] = c;
      continue;
    }
    ssize_t got = read(c->fd, rbuf, sizeof rbuf);
    on_read(L, c, rbuf, got < 0 ? -errno : got, t);
  }
  if (queued) {
    read_load = L;
    read_t = t;
    lull__uring_flush(L->ring, read_done);
  }
}

/* Once everyone is connected, read in rounds every ROUND_S: a read then
 * takes one or two messages, which spares the client's CPU (it shares the
 * two cores with the server). */
static void serve_round(load *L, int timeout_ms) {
  struct epoll_event evs[512];
  int m;
  do {
    m = epoll_wait(L->ep, evs, 512, timeout_ms);
    handle_all(L, evs, m, nc_now_s());
  } while (m == 512);
}

static void serve_for(load *L, double until) {
  while (nc_now_s() < until) {
    nap_until(L->last_round + ROUND_S);
    L->last_round = nc_now_s();
    serve_round(L, 0);
  }
}

/* One more listener on the loaded server: ms from connect() to its first
 * audio byte (the WebSocket's first binary message, an HTTP stream's first
 * body byte); the others wait in the kernel's buffers meanwhile. */
static double probe_first_packet(uint16_t port, const char *req, int kind) {
  double t0 = nc_now_s();
  int fd = nc_connect(port, 0);
  if (fd < 0 || send(fd, req, strlen(req), MSG_NOSIGNAL) < 0) {
    if (fd >= 0) close(fd);
    return -1;
  }
  unsigned char b[65536];
  size_t have = 0;
  double ms = -1;
  while (ms < 0 && nc_now_s() - t0 < 2 && have < sizeof b) {
    long n = nc_read(fd, b + have, sizeof b - have, 2000);
    if (n <= 0) break;
    have += (size_t)n;
    unsigned char *e = memmem(b, have, "\r\n\r\n", 4);
    if (!e) continue;
    size_t at = (size_t)(e + 4 - b);
    if (kind != K_WS && at < have) ms = (nc_now_s() - t0) * 1000;
    /* Skip text frames (hello); stop at the first binary one. */
    while (kind == K_WS && at + 4 <= have) {
      long len = unit_len(K_WS, b + at, have - at);
      if ((b[at] & 0x0f) == 2) {
        ms = (nc_now_s() - t0) * 1000;
        break;
      }
      if (len <= 0) break;
      at += (size_t)len;
    }
  }
  close(fd);
  return ms;
}

static long long late_frames(uint16_t port) {
  char *body = NULL;
  long long v = -1;
  if (nc_http(port, "GET", "/api/status", NULL, NULL, &body, NULL) == 200) {
    const char *s = strstr(body, "\"late_frames\":");
    if (s) v = atoll(s + 14);
  }
  free(body);
  return v;
}

/* What a client process tells the parent at the end: its listeners'
 * figures, then its connect-to-first-packet times. */
typedef struct part_report {
  int kept[KINDS], alive[KINDS], failed, count[KINDS];
  uint64_t gaps[KINDS], ramp_gaps[KINDS];
  double worst[KINDS];
} part_report;

static int read_all(int fd, void *p, size_t n) {
  for (size_t got = 0; got < n;) {
    ssize_t r = read(fd, (char *)p + got, n - got);
    if (r <= 0) return -1;
    got += (size_t)r;
  }
  return 0;
}

static int write_all(int fd, const void *p, size_t n) {
  for (size_t put = 0; put < n;) {
    ssize_t r = write(fd, (const char *)p + put, n - put);
    if (r <= 0) return -1;
    put += (size_t)r;
  }
  return 0;
}

/* Serve rounds until the parent writes to fd (or it is gone): its bytes. */
static int serve_until_told(load *L, int fd, void *msg, size_t n) {
  for (;;) {
    struct timeval tv = {0, 0};
    fd_set set;
    FD_ZERO(&set);
    FD_SET(fd, &set);
    if (select(fd + 1, &set, NULL, NULL, &tv) > 0) return read_all(fd, msg, n);
    nap_until(L->last_round + ROUND_S);
    L->last_round = nc_now_s();
    serve_round(L, 0);
  }
}

/* A client process: connects its share, says so, measures the window the
 * parent names, keeps reading until told to stop, reports. */
static void part_main(uint16_t port, const int want[KINDS], int seconds, int in, int out) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  load L = {.ep = epoll_create1(0), .ring = lull__uring_create(512)};
  for (int k = 0; k < KINDS; k++) {
    L.total += want[k];
    request(L.req[k], sizeof L.req[k], k, port);
  }
  L.cs = calloc((size_t)L.total, sizeof *L.cs);
  part_report r = {0};
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  /* Connect in waves of 100 every 10 ms, the kinds interleaved, while
   * serving what has arrived. */
  int opened = 0, left[KINDS];
  memcpy(left, want, sizeof left);
  window_start = window_end = 1e30;
  while (opened < L.total) {
    for (int w = 0; w < 100 && opened < L.total; w++) {
      conn *c = &L.cs[opened++];
      int k = opened % KINDS;
      while (!left[k]) k = (k + 1) % KINDS;
      left[k]--;
      c->kind = k;
      c->last_seq = -1;
      c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
      int small = 65536;
      setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
      c->t_connect = nc_now_s();
      if (c->fd < 0 || (connect(c->fd, (struct sockaddr *)&a, sizeof a) != 0 && errno != EINPROGRESS)) {
        c->state = DEAD;
        r.failed++;
        continue;
      }
      struct epoll_event e = {.events = EPOLLOUT | EPOLLIN, .data.ptr = c};
      epoll_ctl(L.ep, EPOLL_CTL_ADD, c->fd, &e);
    }
    for (double until = nc_now_s() + 0.01; nc_now_s() < until;) serve_round(&L, 2);
  }
  char msg = 'c';
  double start;
  if (write_all(out, &msg, 1) || serve_until_told(&L, in, &start, sizeof start)) _exit(1);
  window_start = start;
  window_end = start + seconds;
  for (; nc_now_s() < window_start;) serve_round(&L, 5);
  L.last_round = nc_now_s();
  serve_for(&L, window_end + 0.5);
  if (serve_until_told(&L, in, &msg, 1)) _exit(1); /* the parent has its CPU window and probes */

  double *firsts = calloc((size_t)L.total + 1, sizeof *firsts);
  int n = 0;
  for (int k = 0; k < KINDS; k++)
    for (int i = 0; i < L.total; i++) {
      conn *c = &L.cs[i];
      if (c->kind != k) continue;
      double due = seconds * due_per_s[k];
      r.kept[k] += c->state == STREAM && (double)c->measured >= 0.99 * due - due_per_s[k] / 4 && c->max_stall <= MAX_DELAY_S;
      r.alive[k] += c->state == STREAM;
      r.gaps[k] += c->gaps;
      r.ramp_gaps[k] += c->ramp_gaps;
      if (c->max_stall > r.worst[k]) r.worst[k] = c->max_stall;
      if (c->t_first) firsts[n++] = (c->t_first - c->t_connect) * 1000, r.count[k]++;
    }
  if (write_all(out, &r, sizeof r) || write_all(out, firsts, (size_t)n * sizeof *firsts)) _exit(1);
  _exit(0);
}

/* Connect want[] listeners to a server on port from client processes of
 * at most PART_MAX listeners each (a process's descriptors are limited),
 * measure them over a window, then the server's CPU over a second one
 * (read here from /proc), then probes from here; the listeners go when
 * their processes end. */
#define PART_MAX 9000
static void run(pid_t server, uint16_t port, const int want[KINDS], int seconds, int probes, int ask_late,
                figures *f) {
  memset(f, 0, sizeof *f);
  memcpy(f->want, want, sizeof f->want);
  int total = want[0] + want[1] + want[2], parts = (total + PART_MAX - 1) / PART_MAX;
  pid_t kids[16];
  int to[16], from[16];
  f->rss0 = proc_rss_kib(server);
  long long late0 = ask_late ? late_frames(port) : -1;
  struct rusage ru0;
  getrusage(RUSAGE_CHILDREN, &ru0);
  for (int p = 0; p < parts; p++) {
    int share[KINDS], a[2], b[2];
    for (int k = 0; k < KINDS; k++) share[k] = want[k] / parts + (p < want[k] % parts);
    if (pipe(a) || pipe(b)) {
      perror("bench_server: pipe");
      exit(1);
    }
    fflush(NULL);
    kids[p] = fork();
    if (kids[p] == 0) {
      close(a[1]);
      close(b[0]);
      part_main(port, share, seconds, a[0], b[1]);
    }
    close(a[0]);
    close(b[1]);
    to[p] = a[1];
    from[p] = b[0];
  }
  for (int p = 0; p < parts; p++) {
    char c;
    if (read_all(from[p], &c, 1)) {
      fprintf(stderr, "bench_server: a client process failed\n");
      exit(1);
    }
  }
  /* Everyone is connected: 3 s to settle, then the window. */
  double start = nc_now_s() + 3;
  for (int p = 0; p < parts; p++) write_all(to[p], &start, sizeof start);
  nap_until(start + seconds + 0.5);
  /* A second window of the same length for the server's CPU, the
   * listeners still being served. */
  f->rss1 = proc_rss_kib(server);
  double c0 = cpu_s(server), w0 = nc_now_s();
  nap_until(w0 + seconds);
  f->cpu_s = cpu_s(server) - c0;
  f->cpu_wall = nc_now_s() - w0;
  /* Connect to first packet, one new listener at a time, under the load. */
  int pk = want[K_WS] ? K_WS : want[K_OGG] ? K_OGG : K_MP3;
  char req[512];
  request(req, sizeof req, pk, port);
  for (int i = 0; i < probes && i < MAX_PROBES; i++) {
    double ms = probe_first_packet(port, req, pk);
    if (ms >= 0) f->probe[f->probes++] = ms;
    usleep(20000);
  }
  qsort(f->probe, (size_t)f->probes, sizeof *f->probe, cmp_double);
  f->late_frames = ask_late && late0 >= 0 ? late_frames(port) - late0 : -1;

  double *firsts[KINDS];
  int n[KINDS] = {0};
  for (int k = 0; k < KINDS; k++) firsts[k] = calloc((size_t)want[k] + 1, sizeof *firsts[k]);
  for (int p = 0; p < parts; p++) {
    char q = 'q';
    part_report r;
    if (write_all(to[p], &q, 1) || read_all(from[p], &r, sizeof r)) {
      fprintf(stderr, "bench_server: a client process did not report\n");
      exit(1);
    }
    for (int k = 0; k < KINDS; k++) { /* each process wrote its times kind by kind */
      if (r.count[k] > want[k] - n[k] || read_all(from[p], firsts[k] + n[k], (size_t)r.count[k] * sizeof(double))) exit(1);
      n[k] += r.count[k];
    }
    for (int k = 0; k < KINDS; k++) {
      f->kept[k] += r.kept[k];
      f->alive[k] += r.alive[k];
      f->gaps[k] += r.gaps[k];
      f->ramp_gaps[k] += r.ramp_gaps[k];
      if (r.worst[k] > f->worst[k]) f->worst[k] = r.worst[k];
    }
    f->failed += r.failed;
    waitpid(kids[p], NULL, 0);
    close(to[p]);
    close(from[p]);
  }
  for (int k = 0; k < KINDS; k++) {
    qsort(firsts[k], (size_t)n[k], sizeof *firsts[k], cmp_double);
    f->first_p50[k] = pct(firsts[k], n[k], 50);
    f->first_p99[k] = pct(firsts[k], n[k], 99);
    f->first_max[k] = n[k] ? firsts[k][n[k] - 1] : 0;
    free(firsts[k]);
  }
  int alive_total = f->alive[0] + f->alive[1] + f->alive[2];
  f->per_us = f->cpu_s / f->cpu_wall / (alive_total ? alive_total : 1) * 1e6;
  f->kib_per = (double)(f->rss1 - f->rss0) / (alive_total ? alive_total : 1);
  struct rusage ru;
  getrusage(RUSAGE_CHILDREN, &ru);
  f->client_cpu = (double)(ru.ru_utime.tv_sec - ru0.ru_utime.tv_sec) + (double)(ru.ru_utime.tv_usec - ru0.ru_utime.tv_usec) * 1e-6 +
                  (double)(ru.ru_stime.tv_sec - ru0.ru_stime.tv_sec) + (double)(ru.ru_stime.tv_usec - ru0.ru_stime.tv_usec) * 1e-6;
}

static void print_kinds(const figures *f, const char *indent) {
  for (int k = 0; k < KINDS; k++)
    if (f->want[k])
      printf("%s%-9s kept up %d/%d (connected %d), gaps %llu (%llu while connecting), worst delay spread %.0f ms, "
             "connect to first packet (during the ramp) p50 %.1f ms p99 %.1f ms max %.1f ms\n",
             indent, kind_name[k], f->kept[k], f->want[k], f->alive[k], (unsigned long long)f->gaps[k],
             (unsigned long long)f->ramp_gaps[k], f->worst[k] * 1000,
             f->first_p50[k], f->first_p99[k], f->first_max[k]);
}

/* ---- --steer ------------------------------------------------------------- */

/* RPS on lo over both CPUs, with RFS choosing the CPU where each socket's
 * owner last ran. */
static const char *const steer_path[3] = {"/proc/sys/net/core/rps_sock_flow_entries",
                                          "/sys/class/net/lo/queues/rx-0/rps_flow_cnt",
                                          "/sys/class/net/lo/queues/rx-0/rps_cpus"};
static const char *const steer_value[3] = {"32768", "32768", "3"};
static char steer_saved[3][64];
static int steered;

static int put_file(const char *path, const char *value) {
  FILE *f = fopen(path, "w");
  if (!f) return -1;
  int bad = fputs(value, f) < 0;
  return fclose(f) || bad ? -1 : 0;
}

static void steer_restore(void) {
  for (int i = 0; i < 3 && steered; i++) put_file(steer_path[i], steer_saved[i]);
  steered = 0;
}

static void on_signal(int sig) {
  (void)sig;
  exit(1); /* runs steer_restore */
}

static int pin(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return sched_setaffinity(0, sizeof set, &set);
}

static int steer(void) {
  if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
    fprintf(stderr, "bench_server: --steer needs two CPUs\n");
    return -1;
  }
  for (int i = 0; i < 3; i++) {
    FILE *f = fopen(steer_path[i], "r");
    if (!f || !fgets(steer_saved[i], sizeof steer_saved[i], f)) {
      fprintf(stderr, "bench_server: --steer: cannot read %s\n", steer_path[i]);
      if (f) fclose(f);
      return -1;
    }
    fclose(f);
  }
  steered = 1;
  atexit(steer_restore);
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  for (int i = 0; i < 3; i++)
    if (put_file(steer_path[i], steer_value[i])) {
      fprintf(stderr, "bench_server: --steer: cannot write %s: %s (it needs root)\n", steer_path[i], strerror(errno));
      return -1;
    }
  return pin(1);
}

/* What the server costs with no listener (its station: composing,
 * synthesis, encoding), in % of a core over 3 s. */
static double station_pct(pid_t pid) {
  double c0 = cpu_s(pid), w0 = nc_now_s();
  usleep(3000000);
  return (cpu_s(pid) - c0) / (nc_now_s() - w0) * 100;
}

static int usage(const char *why, FILE *to) {
  if (why) fprintf(stderr, "bench_server: %s\n", why);
  fprintf(to,
          "usage: bench_server [--listeners N] [--only ws|ogg] [--mp3 M] [--seconds S] [--threads T] [--ppm P]\n"
          "                    [--probes K] [--steer] [--floor [--rounds R] [--uring]]\n"
          "  --listeners N  WebSocket and HTTP Ogg listeners, N of each (of one with --only); default 1000\n"
          "  --only ws|ogg  one of the two kinds\n"
          "  --mp3 M        and M HTTP MP3 listeners (default 0)\n"
          "  --seconds S    the measuring window (default 20); the CPU window is as long\n"
          "  --threads T    lull's network threads (default: one per CPU)\n"
          "  --ppm P        lull's Opus packets per WebSocket message (default 3: one every 60 ms)\n"
          "  --probes K     new listeners timed to their first packet under the load (default 100, max %d)\n"
          "  --steer        (root) server on CPU 0, client on CPU 1, RPS/RFS on lo: separate hosts, modelled\n"
          "  --floor        each transport on its own, lull then a bare epoll relay of lull's units (the floor),\n"
          "                 and the ratio of their CPU per listener-second; R rounds of the two (default 3)\n"
          "  --uring        the floor sends a unit's sends in one io_uring submission, as lull does\n",
          MAX_PROBES);
  return 2;
}

int main(int argc, char **argv) {
  int n = 1000, mp3 = 0, seconds = 20, threads = 0, ppm = 3, only = -1, steering = 0, floor_too = 0, probes = 100, rounds = 3, uring = 0;
  for (int i = 1; i < argc; i++) {
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) return usage(NULL, stdout), 0;
    else if (strcmp(argv[i], "--listeners") == 0 && v) n = atoi(argv[++i]);
    else if (strcmp(argv[i], "--mp3") == 0 && v) mp3 = atoi(argv[++i]);
    else if (strcmp(argv[i], "--seconds") == 0 && v) seconds = atoi(argv[++i]);
    else if (strcmp(argv[i], "--threads") == 0 && v) threads = atoi(argv[++i]);
    else if (strcmp(argv[i], "--ppm") == 0 && v) ppm = atoi(argv[++i]);
    else if (strcmp(argv[i], "--probes") == 0 && v) probes = atoi(argv[++i]);
    else if (strcmp(argv[i], "--rounds") == 0 && v) rounds = atoi(argv[++i]);
    else if (strcmp(argv[i], "--only") == 0 && v && (strcmp(v, "ws") == 0 || strcmp(v, "ogg") == 0))
      only = strcmp(argv[++i], "ws") == 0 ? K_WS : K_OGG;
    else if (strcmp(argv[i], "--steer") == 0) steering = 1;
    else if (strcmp(argv[i], "--floor") == 0) floor_too = 1;
    else if (strcmp(argv[i], "--uring") == 0) uring = 1;
    else {
      fprintf(stderr, "bench_server: unknown or incomplete option \"%s\"\n", argv[i]);
      return usage(NULL, stderr);
    }
  }
  int want[KINDS] = {only == K_OGG ? 0 : n, only == K_WS ? 0 : n, mp3};
  int total = want[0] + want[1] + want[2];
  if (n < 1 || mp3 < 0 || seconds < 1 || probes < 0 || probes > MAX_PROBES || rounds < 1 || rounds > 15)
    return usage("--listeners >= 1, --mp3 >= 0, --seconds >= 1, --probes 0..200, --rounds 1..15", stderr);
  if (total > 25000) return usage("at most 25000 listeners in all (the loopback's ephemeral ports are shared)", stderr);
  /* The server holds a descriptor per listener (the client's are spread
   * over processes of PART_MAX): the limit is raised to the hard one,
   * which only root with CAP_SYS_RESOURCE can raise. */
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur != RLIM_INFINITY && (rlim_t)total + MAX_PROBES + 100 > rl.rlim_cur) {
    fprintf(stderr,
            "bench_server: %d listeners need about %d descriptors in the server, and this process may open %llu "
            "(its hard limit: raise it with ulimit -Hn or LimitNOFILE, which takes CAP_SYS_RESOURCE)\n",
            total, total + MAX_PROBES + 100, (unsigned long long)rl.rlim_cur);
    return 1;
  }
  signal(SIGPIPE, SIG_IGN);
  if (steering) {
    if (steer()) return 1;
    if (!threads) threads = 1;
  }

  /* The server, on a port picked here. */
  int probe = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t alen = sizeof a;
  bind(probe, (struct sockaddr *)&a, sizeof a);
  getsockname(probe, (struct sockaddr *)&a, &alen);
  close(probe);
  uint16_t port = ntohs(a.sin_port);
  char ports[8], maxc[16], th[8], pp[8];
  snprintf(ports, sizeof ports, "%u", port);
  snprintf(maxc, sizeof maxc, "%d", total + MAX_PROBES + 100);
  snprintf(th, sizeof th, "%d", threads);
  snprintf(pp, sizeof pp, "%d", ppm);
  pid_t pid = fork();
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (steering) pin(0);
    /* The producer real-time, as an operator of a large station runs it
     * (--realtime; where the system allows): its frames come on time while
     * the network threads and the client fill both cores. */
    char *args[20] = {LULL_BIN, "serve", "--port", ports, "--max-clients", maxc, "--max-per-ip", maxc,
                      "--log-level", "warn", "--packets-per-message", pp, "--realtime", "10", NULL};
    if (threads) args[14] = "--threads", args[15] = th, args[16] = NULL;
    execv(LULL_BIN, args);
    _exit(127);
  }
  int up = 0;
  for (int i = 0; i < 50 && !up; i++) {
    usleep(100000);
    int fd = nc_connect(port, 0);
    if (fd >= 0) up = 1, close(fd);
  }
  if (!up) {
    fprintf(stderr, "bench_server: lull serve did not start on port %u\n", port);
    kill(pid, SIGKILL);
    return 1;
  }
  usleep(1000000); /* past the start's own work */
  double idle_pct = station_pct(pid);
  int rc = 0;

  if (!floor_too) {
    figures f;
    run(pid, port, want, seconds, probes, 1, &f);
    printf("bench_server: %d WebSocket (Opus, %d packets/message) + %d HTTP Ogg + %d HTTP MP3 listeners, window %d s, "
           "server threads: %s%s\n",
           want[K_WS], ppm, want[K_OGG], want[K_MP3], seconds, threads ? th : "one per CPU",
           steering ? ", steered (server on CPU 0, client on CPU 1, RPS/RFS on lo)" : "");
    print_kinds(&f, "  ");
    printf("  server: %.3f CPU s over %.1f s = %.1f %% of a core (%.1f %% with no listener), %.1f us per "
           "listener-second; RSS %ld -> %ld KiB (%.1f KiB per listener); the station's late frames in the run: %lld\n",
           f.cpu_s, f.cpu_wall, f.cpu_s / f.cpu_wall * 100, idle_pct, f.per_us, f.rss0, f.rss1, f.kib_per,
           f.late_frames);
    if (f.probes)
      printf("  a new %s listener under this load, connect to first packet: p50 %.1f ms, p99 %.1f ms, max %.1f ms "
             "(%d tries)\n",
             kind_name[want[K_WS] ? K_WS : want[K_OGG] ? K_OGG : K_MP3], pct(f.probe, f.probes, 50),
             pct(f.probe, f.probes, 99), f.probe[f.probes - 1], f.probes);
    printf("  client (its processes): %.1f CPU s; %d connects failed\n", f.client_cpu, f.failed);
    int all = 1;
    for (int k = 0; k < KINDS; k++) all &= f.kept[k] == want[k];
    rc = all ? 0 : 3;
  } else {
    printf("bench_server --floor: %d listeners a transport, window %d s, lull's server threads: %s; the floor: one "
           "thread relaying lull's units, a send() per listener per unit\n",
           n, seconds, threads ? th : "one per CPU");
    for (int k = 0; k < KINDS; k++) {
      if (!want[k]) continue;
      int one[KINDS] = {0};
      one[k] = want[k];
      double ratio[16], ratio_all[16];
      printf("  %s:\n", kind_name[k]);
      for (int r = 0; r < rounds; r++) {
        figures fl, ff;
        if (k != K_WS || r) idle_pct = station_pct(pid); /* the listeners before have gone */
        run(pid, port, one, seconds, 0, 0, &fl);
        uint16_t fport;
        pid_t fp = floor_start(port, k, uring, &fport);
        if (fp < 0) {
          fprintf(stderr, "bench_server: the floor did not start\n");
          rc = 1;
          break;
        }
        usleep(500000); /* the floor has its upstream and the Ogg headers */
        run(fp, fport, one, seconds, 0, 0, &ff);
        kill(fp, SIGKILL);
        waitpid(fp, NULL, 0);
        /* The floor is handed lull's units: the station's own cost (measured
         * with no listener) is not fan-out, so it is taken off for the ratio. */
        double net = (fl.cpu_s / fl.cpu_wall - idle_pct / 100) / (fl.alive[k] ? fl.alive[k] : 1) * 1e6;
        ratio[r] = ff.per_us > 0 ? net / ff.per_us : 0;
        ratio_all[r] = ff.per_us > 0 ? fl.per_us / ff.per_us : 0;
        printf("   round %d: lull %.1f us per listener-second (%.1f %% of a core; %.1f without the station's %.1f %%), "
               "floor %.1f us (%.1f %%): lull / floor %.2f, %.2f with the station\n",
               r + 1, fl.per_us, fl.cpu_s / fl.cpu_wall * 100, net, idle_pct, ff.per_us, ff.cpu_s / ff.cpu_wall * 100,
               ratio[r], ratio_all[r]);
        printf("     lull : ");
        print_kinds(&fl, "");
        printf("     floor: ");
        print_kinds(&ff, "");
        if (fl.kept[k] != want[k] || ff.kept[k] != want[k]) rc = 3;
      }
      qsort(ratio, (size_t)rounds, sizeof *ratio, cmp_double);
      qsort(ratio_all, (size_t)rounds, sizeof *ratio_all, cmp_double);
      printf("   %s: lull / floor, fan-out: median %.2f (%.2f..%.2f over %d rounds; target <= 1.2); with the station: "
             "median %.2f\n",
             kind_name[k], ratio[rounds / 2], ratio[0], ratio[rounds - 1], rounds, ratio_all[rounds / 2]);
    }
  }
  kill(pid, SIGTERM);
  waitpid(pid, NULL, 0);
  return rc;
}
