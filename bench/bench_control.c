/* bench_control: control to sound, under load. Starts `lull serve`, a crowd
 * of listeners (half WebSocket Opus, half HTTP Ogg) on one epoll loop, and
 * one steering listener on a thread of its own, which sends changes of
 * intensity and of key in turn, and times each from the send to the arrival
 * of the first packet that carries it: the params message names where the
 * change is heard (its change's heard_at, a sample position: intensity from
 * the frame it took effect in, a key from the new tonic chord on the next
 * beat), and every packet carries its position. Prints the distribution of
 * both, and how far into the stream each lands (the music's own wait: a key
 * waits for the beat).
 *
 *   bench_control [--listeners N] [--changes K] [--gap-ms G]
 *
 * Changes are G ms apart plus 0..855 ms, so that they fall anywhere in a
 * beat (at 64 bpm, 938 ms).
 *
 * Targets (issue 14): intensity within 250 ms, a key within one beat. The
 * client's own playout buffer comes on top, as in any player. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "support/crowd.h"
#include "support/netclient.h"
#include "support/spawn.h"

#define MAX_CHANGES 400
#define HEADER_BYTES 16 /* the wire header: version, codec, length (2), sequence (4), position (8) */

typedef struct run {
  uint16_t port;
  int changes, gap_ms;
  double delivery_ms[2][MAX_CHANGES], wait_ms[2][MAX_CHANGES];
  int n[2], failed;
  volatile int done;
} run;

static uint64_t le(const unsigned char *p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; i--) v = v << 8 | p[i];
  return v;
}

/* The last packet's position in a binary message, 0 if malformed. */
static uint64_t last_position(const nc_ws *ws) {
  uint64_t pos = 0;
  for (const unsigned char *p = ws->msg, *end = ws->msg + ws->msg_len; p + HEADER_BYTES <= end;) {
    pos = le(p + 8, 8);
    p += HEADER_BYTES + le(p + 2, 2);
  }
  return pos;
}

static void nap_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* One change: its delivery time (send to the packet that carries it) and
 * its wait in the stream (where it is heard past the position at the send),
 * in ms; -1 if it was not heard within 5 s. */
static int one_change(nc_ws *ws, const char *msg, double *delivery, double *wait) {
  /* The newest position here: everything queued read first. */
  uint64_t before = 0;
  for (;;) {
    int op = nc_ws_recv(ws, before ? 0 : 1000);
    if (op < 0 || (op == 0 && !before)) return -1;
    if (op == 0) break;
    if (op == 2) before = last_position(ws);
  }
  double t0 = nc_now_s();
  if (nc_ws_send(ws, 1, msg, strlen(msg))) return -1;
  /* Each message's arrival and last position since the send: the params
   * message (paced to one each 250 ms a station) may come after the
   * packet it names. */
  enum { HISTORY = 512 };
  double when[HISTORY];
  uint64_t pos[HISTORY];
  int n = 0;
  uint64_t at = 0;
  for (double end = t0 + 5; nc_now_s() < end;) {
    int op = nc_ws_recv(ws, 100);
    if (op < 0) return -1;
    if (op == 2 && n < HISTORY) {
      when[n] = nc_now_s();
      pos[n++] = last_position(ws);
    }
    if (op == 1 && !at && strstr((const char *)ws->msg, "\"type\":\"params\"")) {
      const char *h = strstr((const char *)ws->msg, "\"heard_at\":");
      if (!h) return -1;
      at = strtoull(h + 11, NULL, 10);
    }
    for (int i = 0; at && i < n; i++)
      if (pos[i] >= at) {
        *delivery = (when[i] - t0) * 1e3;
        *wait = (double)(at - before) / 48.0;
        return 0;
      }
  }
  return -1;
}

static void *steer(void *arg) {
  run *r = arg;
  nc_ws ws;
  char *body = NULL;
  if (nc_ws_open(&ws, r->port, "/ws/stream", NULL, 0, &body) != 101) {
    fprintf(stderr, "bench_control: the steering listener was refused: %s\n", body ? body : "");
    r->failed = r->changes;
    r->done = 1;
    return NULL;
  }
  static const char *const keys[] = {"D", "F", "A", "C", "E", "G"};
  for (int i = 0; i < r->changes; i++) {
    char msg[96];
    int kind = i % 2; /* 0 intensity, 1 key */
    if (kind == 0) snprintf(msg, sizeof msg, "{\"type\":\"control\",\"intensity\":%.2f}", i % 4 ? 0.3 : 0.8);
    else snprintf(msg, sizeof msg, "{\"type\":\"control\",\"key\":\"%s\"}", keys[(i / 2) % 6]);
    double d, w;
    if (one_change(&ws, msg, &d, &w) == 0 && r->n[kind] < MAX_CHANGES) {
      r->delivery_ms[kind][r->n[kind]] = d;
      r->wait_ms[kind][r->n[kind]++] = w;
    } else {
      r->failed++;
    }
    nap_ms(r->gap_ms + (long)((i * 7919u) % 10u) * 95); /* spread over a beat: changes fall anywhere in it */
  }
  nc_ws_close(&ws);
  r->done = 1;
  return NULL;
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double at_q(const double *v, int n, double q) { return n ? v[(int)(q * (n - 1) + 0.5)] : 0; }

static void report(const char *what, double *v, int n, const char *unit_note) {
  qsort(v, (size_t)n, sizeof *v, by_value);
  printf("  %-26s n %3d  p50 %6.0f  p90 %6.0f  max %6.0f ms%s\n", what, n, at_q(v, n, 0.5), at_q(v, n, 0.9),
         n ? v[n - 1] : 0, unit_note);
}

int main(int argc, char **argv) {
  int listeners = 2000, changes = 40, gap_ms = 700;
  for (int i = 1; i < argc; i++) {
    if (i + 1 < argc && strcmp(argv[i], "--listeners") == 0) listeners = atoi(argv[++i]);
    else if (i + 1 < argc && strcmp(argv[i], "--changes") == 0) changes = atoi(argv[++i]);
    else if (i + 1 < argc && strcmp(argv[i], "--gap-ms") == 0) gap_ms = atoi(argv[++i]);
    else {
      fprintf(stderr, "usage: bench_control [--listeners N] [--changes K (2..%d)] [--gap-ms G]\n", MAX_CHANGES);
      return 2;
    }
  }
  if (listeners < 0 || changes < 2 || changes > MAX_CHANGES || gap_ms < 100) {
    fprintf(stderr, "bench_control: --listeners >= 0, --changes 2..%d, --gap-ms >= 100 (the control rate)\n", MAX_CHANGES);
    return 2;
  }
  char max[16], conns[16];
  snprintf(max, sizeof max, "%d", listeners + 100);
  snprintf(conns, sizeof conns, "%d", listeners + 200);
  const char *args[] = {"--max-clients", max, "--max-per-ip", max, "--max-conns-per-ip", conns, NULL};
  uint16_t port;
  int err_fd;
  pid_t pid = spawn_serve(LULL_BIN, args, 0, &port, &err_fd);
  if (pid < 0) return 1;
  crowd *cr = crowd_create(&(crowd_config){.port = port, .seed = 1, .log_fd = err_fd, .round_ms = 50,
                                           .max_clients = listeners + 100});
  if (!cr) return 1;
  for (int i = 0; i < listeners; i++) {
    crowd_stay(cr, i % 2 ? CROWD_OGG : CROWD_WS_OPUS, 0);
    if (i % 100 == 99) crowd_run(cr, 0.1);
  }
  crowd_run(cr, 2);
  printf("bench_control: %d listeners (half WebSocket Opus, half HTTP Ogg) on lull serve, port %u; %d changes, "
         "%d ms apart, intensity and key in turn\n", listeners, port, changes, gap_ms);
  fflush(stdout);
  static run r;
  r.port = port;
  r.changes = changes;
  r.gap_ms = gap_ms;
  pthread_t t;
  if (pthread_create(&t, NULL, steer, &r)) return 1;
  while (!r.done) crowd_run(cr, 0.1);
  pthread_join(t, NULL);
  uint64_t gaps = 0;
  int ended = 0;
  for (int i = 0; i < crowd_stayers(cr); i++) {
    gaps += crowd_stayer_at(cr, i)->gaps;
    ended += crowd_stayer_at(cr, i)->ended != 0;
  }
  crowd_stayers_leave(cr);
  crowd_run(cr, 1);
  crowd_destroy(cr);
  close(err_fd); /* read no more: its goodbye lines must not block on a full pipe */
  kill(pid, SIGTERM);
  waitpid(pid, NULL, 0);

  double beat_ms = 60000.0 / 64.0; /* the default tempo */
  printf("control to sound (send -> the first packet that carries the change, at the client):\n");
  report("intensity, delivered", r.delivery_ms[0], r.n[0], "   (target 250)");
  report("key, delivered", r.delivery_ms[1], r.n[1], "");
  printf("  %-26s %.0f ms at 64 bpm (target: a key within one)\n", "a beat", beat_ms);
  printf("where each is heard, past the stream's position at the send (the music's own wait):\n");
  report("intensity, in the stream", r.wait_ms[0], r.n[0], "");
  report("key, in the stream", r.wait_ms[1], r.n[1], "");
  printf("  not heard within 5 s: %d; the crowd: %d listeners, gaps %llu, ended by the server %d\n", r.failed,
         listeners, (unsigned long long)gaps, ended);
  return r.failed ? 1 : 0;
}
