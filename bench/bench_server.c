/* bench_server: a load test. Starts `lull serve` (a separate process, so
 * its CPU can be read from /proc), opens N WebSocket and N HTTP Ogg
 * listeners on loopback from one epoll loop, and for a fixed time checks
 * each one: packets (WebSocket sequence numbers, Ogg page numbers) and its
 * worst delay (the spread of arrival time minus media time over the
 * window). A listener kept up if it got >= 99 % of the packets due and no
 * packet came more than 500 ms later than its best one. Prints, per kind, how
 * many kept up and the connect-to-first-packet times, and for the server
 * its CPU per listener-second and its memory per listener.
 *
 *   bench_server [--listeners N] [--only ws|ogg] [--seconds S] [--threads T] [--ppm P] [--steer]
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
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { K_WS = 0, K_OGG = 1 };
#define ROUND_S 0.1
enum { CONNECTING, HEAD, STREAM, DEAD };

typedef struct conn {
  int fd, kind, state;
  uint32_t have;                /* bytes held in buf */
  unsigned char buf[8192];      /* an unfinished frame or page header */
  int64_t last_seq;
  uint64_t packets, gaps;
  double t_connect, t_first, t_last, max_stall;
  double late_min, late_max;    /* arrival minus media time, in the window */
  uint64_t measured;            /* packets inside the measuring window */
} conn;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double window_start = 1e30, window_end = 1e30;

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
  if (c->kind == K_WS && c->last_seq >= 0 && seq != c->last_seq + 1) c->gaps++;
  /* Ogg: the header pages (0, 1) are followed by the live page numbers. */
  if (c->kind == K_OGG && c->last_seq >= 2 && seq != c->last_seq + 1) c->gaps++;
  c->last_seq = seq;
  c->packets += count;
  if (t >= window_start && t < window_end) c->measured += count;
  if (!c->t_first) c->t_first = t;
}

/* Parse what arrived: WebSocket frames of packets, or Ogg pages. */
static void consume(conn *c, const unsigned char *p, size_t n, double t) {
  c->t_last = t;
  while (n) {
    size_t take = sizeof c->buf - c->have < n ? sizeof c->buf - c->have : n;
    memcpy(c->buf + c->have, p, take);
    c->have += (uint32_t)take;
    p += take;
    n -= take;
    size_t at = 0;
    for (;;) {
      unsigned char *b = c->buf + at;
      size_t left = c->have - at;
      if (c->kind == K_WS) {
        if (left < 2) break;
        size_t h = 2, len = b[1] & 0x7f;
        if (len == 126) {
          if (left < 4) break;
          h = 4, len = (size_t)b[2] << 8 | b[3];
        }
        if (left < h + len) break;
        if ((b[0] & 0x0f) == 2)
          for (size_t q = h; q + 16 <= h + len;) {
            uint32_t seq = (uint32_t)b[q + 4] | (uint32_t)b[q + 5] << 8 | (uint32_t)b[q + 6] << 16 | (uint32_t)b[q + 7] << 24;
            uint64_t pos = 0;
            for (int i = 7; i >= 0; i--) pos = pos << 8 | b[q + 8 + i];
            on_packet(c, seq, t, 1);
            on_media(c, pos, t);
            q += 16 + ((size_t)b[q + 2] | (size_t)b[q + 3] << 8);
          }
        at += h + len;
      } else {
        if (left < 27) break;
        if (memcmp(b, "OggS", 4) != 0) {
          c->state = DEAD;
          return;
        }
        size_t segs = b[26];
        if (left < 27 + segs) break;
        size_t body = 0;
        for (size_t i = 0; i < segs; i++) body += b[27 + i];
        if (left < 27 + segs + body) break;
        uint32_t seq = (uint32_t)b[18] | (uint32_t)b[19] << 8 | (uint32_t)b[20] << 16 | (uint32_t)b[21] << 24;
        uint64_t granule = 0;
        for (int i = 7; i >= 0; i--) granule = granule << 8 | b[6 + i];
        on_packet(c, seq, t, seq >= 2 ? 3 : 0); /* a page holds three 20 ms packets */
        if (seq >= 2) on_media(c, granule, t);
        at += 27 + segs + body;
      }
    }
    memmove(c->buf, c->buf + at, c->have - at);
    c->have -= (uint32_t)at;
  }
}

static long proc_field(pid_t pid, const char *file, const char *key) {
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
  FILE *f = fopen(path, "r");
  long v = -1;
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, key, strlen(key)) == 0) v = strtol(line + strlen(key), NULL, 10);
  if (f) fclose(f);
  return v;
}

static double proc_cpu_s(pid_t pid) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  FILE *f = fopen(path, "r");
  if (!f || !fgets(buf, sizeof buf, f)) return -1;
  fclose(f);
  char *p = strrchr(buf, ')');
  unsigned long ut = 0, st = 0;
  /* fields after the name: state(3) ... utime(14) stime(15) */
  sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st);
  return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* One more listener on the loaded server: ms from connect() to its first
 * binary message (the WebSocket burst), reading the others meanwhile is
 * left to the kernel's buffers for these few milliseconds. */
static double probe_first_packet(const struct sockaddr_in *a, const char *req) {
  double t0 = now_s();
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(fd, (const struct sockaddr *)a, sizeof *a) != 0 || send(fd, req, strlen(req), MSG_NOSIGNAL) < 0) {
    close(fd);
    return -1;
  }
  unsigned char b[65536];
  size_t have = 0;
  while (now_s() - t0 < 2 && have < sizeof b) {
    ssize_t n = read(fd, b + have, sizeof b - have);
    if (n <= 0) break;
    have += (size_t)n;
    unsigned char *e = memmem(b, have, "\r\n\r\n", 4);
    if (!e) continue;
    /* Skip text frames (hello); stop at the first binary one. */
    size_t at = (size_t)(e + 4 - b);
    while (at + 4 <= have) {
      size_t len = b[at + 1] & 0x7f, h = 2;
      if (len == 126) len = (size_t)b[at + 2] << 8 | b[at + 3], h = 4;
      if ((b[at] & 0x0f) == 2) {
        close(fd);
        return (now_s() - t0) * 1000;
      }
      if (at + h + len > have) break;
      at += h + len;
    }
  }
  close(fd);
  return -1;
}

/* --steer: RPS on lo over both CPUs, with RFS choosing the CPU where each
 * socket's owner last ran. */
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

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  int n = 1000, seconds = 20, threads = 0, ppm = 3, only = -1, steering = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--listeners") == 0 && i + 1 < argc) n = atoi(argv[++i]);
    else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) seconds = atoi(argv[++i]);
    else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) threads = atoi(argv[++i]);
    else if (strcmp(argv[i], "--ppm") == 0 && i + 1 < argc) ppm = atoi(argv[++i]);
    else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc && (strcmp(argv[i + 1], "ws") == 0 || strcmp(argv[i + 1], "ogg") == 0))
      only = strcmp(argv[++i], "ws") == 0 ? K_WS : K_OGG;
    else if (strcmp(argv[i], "--steer") == 0) steering = 1;
    else {
      fprintf(stderr,
              "usage: bench_server [--listeners N (each kind)] [--only ws|ogg] [--seconds S] [--threads T] [--ppm P] "
              "[--steer]\n");
      return 2;
    }
  }
  int total = only < 0 ? 2 * n : n;
  if (n < 1 || total > 18000 || seconds < 1) {
    fprintf(stderr, "bench_server: --listeners 1..9000 per kind (18000 with --only; the fd limit), --seconds >= 1\n");
    return 2;
  }
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);
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
  char port[8], maxc[16], th[8], pp[8];
  snprintf(port, sizeof port, "%u", ntohs(a.sin_port));
  snprintf(maxc, sizeof maxc, "%d", total + 100);
  snprintf(th, sizeof th, "%d", threads);
  snprintf(pp, sizeof pp, "%d", ppm);
  pid_t pid = fork();
  if (pid == 0) {
    if (steering) pin(0);
    char *args[20] = {LULL_BIN, "serve", "--port", port, "--max-clients", maxc, "--max-per-ip", maxc,
                      "--log-level", "warn", "--packets-per-message", pp, NULL};
    if (threads) args[12] = "--threads", args[13] = th, args[14] = NULL;
    execv(LULL_BIN, args);
    _exit(127);
  }
  sleep(1);
  long rss0 = proc_field(pid, "status", "VmRSS:");

  int ep = epoll_create1(0);
  conn *cs = calloc((size_t)(total), sizeof *cs);
  static char req_ws[512], req_ogg[256];
  snprintf(req_ws, sizeof req_ws,
           "GET /ws/stream?station=main&codec=opus HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nUpgrade: websocket\r\n"
           "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
           port);
  snprintf(req_ogg, sizeof req_ogg, "GET /stream.ogg?station=main HTTP/1.1\r\nHost: 127.0.0.1:%s\r\n\r\n", port);
  a.sin_port = htons((uint16_t)atoi(port));
  double t_start = now_s();
  int opened = 0, failed = 0;
  static unsigned char rbuf[1 << 16];
  struct epoll_event evs[512];
  /* Connect in waves of 100 while serving what has arrived. */
  double connect_end = 0, last_round = 0;
  for (;;) {
    double t = now_s();
    if (opened < total && (opened == 0 || t - cs[opened - 1].t_connect > 0.01)) {
      for (int k = 0; k < 100 && opened < total; k++, opened++) {
        conn *c = &cs[opened];
        c->kind = only >= 0 ? only : opened % 2 ? K_OGG : K_WS;
        c->last_seq = -1;
        c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        int small = 65536;
        setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
        c->t_connect = now_s();
        if (connect(c->fd, (struct sockaddr *)&a, sizeof a) != 0 && errno != EINPROGRESS) {
          c->state = DEAD;
          failed++;
          close(c->fd);
          continue;
        }
        struct epoll_event e = {.events = EPOLLOUT | EPOLLIN, .data.ptr = c};
        epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &e);
      }
      if (opened == total) connect_end = now_s();
    }
    if (connect_end && window_start > 1e29) {
      window_start = connect_end + 3;
      window_end = window_start + seconds;
    }
    if (t > window_end + 0.5) break;
    /* Once everyone is connected, read in rounds every ROUND_S: a read then
     * takes one or two messages, which spares the client's CPU (it shares
     * the two cores with the server). */
    if (connect_end && t - last_round < ROUND_S) {
      struct timespec ts = {0, (long)((ROUND_S - (t - last_round)) * 1e9)};
      nanosleep(&ts, NULL);
      continue;
    }
    int m = epoll_wait(ep, evs, 512, connect_end ? 0 : 5);
    if (connect_end && m < 512) last_round = now_s();
    double tr = now_s();
    for (int i = 0; i < m; i++) {
      conn *c = evs[i].data.ptr;
      if (c->state == CONNECTING && (evs[i].events & EPOLLOUT)) {
        const char *r = c->kind == K_WS ? req_ws : req_ogg;
        if (send(c->fd, r, strlen(r), MSG_NOSIGNAL) != (ssize_t)strlen(r)) {
          c->state = DEAD;
          continue;
        }
        c->state = HEAD;
        struct epoll_event e = {.events = EPOLLIN, .data.ptr = c};
        epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &e);
        continue;
      }
      if (!(evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) continue;
      ssize_t got = read(c->fd, rbuf, sizeof rbuf);
      if (got <= 0) {
        if (got < 0 && errno == EAGAIN) continue;
        c->state = DEAD;
        epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
        continue;
      }
      const unsigned char *p = rbuf;
      size_t len = (size_t)got;
      if (c->state == HEAD) {
        /* Find the end of the response head (it arrives whole on loopback). */
        unsigned char *e = memmem(rbuf, len, "\r\n\r\n", 4);
        if (!e || (memcmp(rbuf, "HTTP/1.1 101", 12) != 0 && memcmp(rbuf, "HTTP/1.1 200", 12) != 0)) {
          c->state = DEAD;
          continue;
        }
        c->state = STREAM;
        p = e + 4;
        len -= (size_t)(p - rbuf);
      }
      if (c->state == STREAM && len) consume(c, p, len, tr);
    }
  }
  /* Then a second window of the same length for the server's CPU (read
   * from /proc at its edges), the listeners still being served. */
  long rss1 = proc_field(pid, "status", "VmRSS:");
  double c_start = proc_cpu_s(pid), w0 = now_s();
  /* Keep reading for another window, now only measuring CPU. */
  double end2 = w0 + seconds;
  while (now_s() < end2) {
    double t = now_s();
    if (t - last_round < ROUND_S) {
      struct timespec ts = {0, (long)((ROUND_S - (t - last_round)) * 1e9)};
      nanosleep(&ts, NULL);
      continue;
    }
    int m = epoll_wait(ep, evs, 512, 0);
    if (m < 512) last_round = now_s();
    double tr = now_s();
    for (int i = 0; i < m; i++) {
      conn *c = evs[i].data.ptr;
      ssize_t got = read(c->fd, rbuf, sizeof rbuf);
      if (got > 0 && c->state == STREAM) consume(c, rbuf, (size_t)got, tr);
    }
  }
  double c_end = proc_cpu_s(pid), w1 = now_s();
  /* Connect to first packet, one new listener at a time, under the load. */
  double probes[20];
  int np = 0;
  for (int i = 0; i < 20; i++) {
    double ms = probe_first_packet(&a, req_ws);
    if (ms >= 0) probes[np++] = ms;
    int m = epoll_wait(ep, evs, 512, 0);
    for (int j = 0; j < m; j++) {
      conn *c = evs[j].data.ptr;
      ssize_t got = read(c->fd, rbuf, sizeof rbuf);
      if (got > 0 && c->state == STREAM) consume(c, rbuf, (size_t)got, now_s());
    }
  }
  qsort(probes, (size_t)np, sizeof *probes, cmp_double);
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  double client_cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 + (double)ru.ru_stime.tv_sec +
                      (double)ru.ru_stime.tv_usec * 1e-6;

  printf("bench_server: %d WebSocket (Opus, %d packets/message) + %d HTTP Ogg listeners, window %d s, server threads: %s%s\n",
         only == K_OGG ? 0 : n, ppm, only == K_WS ? 0 : n, seconds, threads ? th : "one per CPU",
         steering ? ", steered (server on CPU 0, client on CPU 1, RPS/RFS on lo)" : "");
  int alive_total = 0;
  for (int k = 0; k < 2; k++) {
    if (only >= 0 && k != only) continue;
    int kept = 0, alive = 0, count = 0;
    uint64_t gaps = 0;
    double *firsts = calloc((size_t)n, sizeof *firsts), worst = 0;
    for (int i = 0; i < total; i++) {
      conn *c = &cs[i];
      if (c->kind != k) continue;
      double due = seconds * 50.0;
      int ok = c->state == STREAM && (double)c->measured >= 0.99 * due - 3 && c->max_stall <= 0.5;
      kept += ok;
      alive += c->state == STREAM;
      gaps += c->gaps;
      if (c->max_stall > worst) worst = c->max_stall;
      if (c->t_first) firsts[count++] = (c->t_first - c->t_connect) * 1000;
    }
    qsort(firsts, (size_t)count, sizeof *firsts, cmp_double);
    printf("  %-9s kept up %d/%d (connected %d), sequence gaps %llu, worst delay spread %.0f ms, connect to first packet "
           "(during the ramp) p50 %.1f ms p99 %.1f ms max %.1f ms\n",
           k ? "HTTP Ogg" : "WebSocket", kept, n, alive, (unsigned long long)gaps, worst * 1000,
           count ? firsts[count / 2] : 0, count ? firsts[count * 99 / 100] : 0, count ? firsts[count - 1] : 0);
    alive_total += alive;
    free(firsts);
  }
  double per = (c_end - c_start) / (w1 - w0) / (alive_total ? alive_total : 1) * 1e6;
  printf("  server: %.3f CPU s over %.1f s = %.1f %% of a core, %.1f us per listener-second; RSS %ld -> %ld KiB "
         "(%.1f KiB per listener)\n",
         c_end - c_start, w1 - w0, (c_end - c_start) / (w1 - w0) * 100, per, rss0, rss1,
         (double)(rss1 - rss0) / (alive_total ? alive_total : 1));
  if (np)
    printf("  a new WebSocket listener under this load, connect to first packet: median %.1f ms, worst %.1f ms (%d tries)\n",
           probes[np / 2], probes[np - 1], np);
  printf("  client (this process): %.1f CPU s in %.1f s; %d connects failed\n", client_cpu, now_s() - t_start, failed);
  kill(pid, SIGTERM);
  int status;
  waitpid(pid, &status, 0);
  return 0;
}
