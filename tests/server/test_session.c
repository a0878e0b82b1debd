/* Listeners' lives: a reader that stops is skipped to the live edge, then
 * closed, while a reader beside it loses nothing; and a listener who leaves,
 * whichever way (also over TLS, where libwebsockets carries the stream), is
 * gone within 2 s, its place, descriptor and log line with it, and the idle
 * server spins on nothing. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "server/fixture.h"
#include "support/harness.h"

static void test_stalled_reader_is_skipped_then_dropped(void **state) {
  (void)state;
  lull_server *srv = start(&(lull_server_config){.skip_ms = 500, .drop_ms = 2500, .sndbuf = 4096});
  uint16_t port = lull_server_port(srv);
  nc_ws good = ws_open(port, "/ws/stream?codec=pcm");
  nc_ws slow;
  ASSERT_EQ_INT(nc_ws_open(&slow, port, "/ws/stream?codec=pcm", NULL, 4096, NULL), 101);
  /* The slow one never reads; the good one reads everything until the
   * server has closed the slow one (bounded), and must have every packet the
   * station made meanwhile, however fast the machine is. */
  wsstat g = {.last_seq = -1};
  double t0 = nc_now_s(), checked = t0;
  uint64_t f0 = station_frames(srv);
  int slow_closed = 0;
  double dropped = 0;
  while (nc_now_s() - t0 < 60) {
    if (nc_ws_recv(&good, 200) == 2) ws_packets(&good, &g, NULL, LULL_CODEC_PCM);
    if (nc_now_s() - checked < 1) continue;
    checked = nc_now_s();
    char *body;
    ASSERT_EQ_INT(nc_http(port, "GET", "/api/metrics", NULL, NULL, &body, NULL), 200);
    json_t *m = parse(body);
    dropped = json_number_value(json_object_get(m, "packets_dropped"));
    slow_closed = (int)json_integer_value(json_object_get(m, "slow_disconnects"));
    json_decref(m);
    free(body);
    if (slow_closed) break;
  }
  uint64_t made = station_frames(srv) - f0;
  for (double end = nc_now_s() + 2; g.packets + 3 < made && nc_now_s() < end;) /* what is on its way */
    if (nc_ws_recv(&good, 100) == 2) ws_packets(&good, &g, NULL, LULL_CODEC_PCM);
  print_message("# good listener: %llu packets of %llu made meanwhile, %llu gaps; server: %.0f packets skipped, %d slow "
                "listeners closed after %.1f s\n",
                (unsigned long long)g.packets, (unsigned long long)made, (unsigned long long)g.gaps, dropped, slow_closed,
                nc_now_s() - t0);
  ASSERT_EQ_INT(g.gaps, 0);
  ASSERT_GE(g.packets + 3, made);
  ASSERT_GE(dropped, 1);
  ASSERT_EQ_INT(slow_closed, 1);
  /* The slow one finds its connection closed once it reads again. */
  int op;
  while ((op = nc_ws_recv(&slow, 2000)) > 0 && op != 8) {
  }
  ASSERT_TRUE(op == 8 || op == -1);
  nc_ws_close(&slow);
  nc_ws_close(&good);
  lull_server_destroy(srv);
}

/* A WebSocket on plain TCP is written with the server's own send(); what
 * the kernel does not take goes to libwebsockets, which finishes it. With
 * a 4 KiB send buffer each PCM message (11.6 KiB) goes out in parts, and a
 * reader that pauses fills the socket: every message must still arrive
 * whole and in order, none lost (the pauses stay under skip_ms). */
static void test_a_reader_that_pauses_gets_whole_messages(void **state) {
  (void)state;
  lull_server *srv = start(&(lull_server_config){.skip_ms = 3000, .drop_ms = 6000, .sndbuf = 4096});
  uint16_t port = lull_server_port(srv);
  nc_ws ws;
  ASSERT_EQ_INT(nc_ws_open(&ws, port, "/ws/stream?codec=pcm", NULL, 4096, NULL), 101);
  wsstat st = {.last_seq = -1};
  uint64_t f0 = 0;
  int messages = 0;
  for (double t0 = nc_now_s(); nc_now_s() - t0 < 4;) {
    /* Read for 0.5 s, then not at all for 0.4 s. */
    for (double r = nc_now_s(); nc_now_s() - r < 0.5;)
      if (nc_ws_recv(&ws, 100) == 2) {
        ws_packets(&ws, &st, NULL, LULL_CODEC_PCM);
        messages++;
        if (!f0) f0 = station_frames(srv) - 1;
      }
    nap_ms(400);
  }
  uint64_t made = station_frames(srv) - f0;
  for (double end = nc_now_s() + 3; st.packets + 3 < made && nc_now_s() < end;)
    if (nc_ws_recv(&ws, 100) == 2) ws_packets(&ws, &st, NULL, LULL_CODEC_PCM), messages++;
  print_message("# a reader that pauses: %d messages, %llu packets of %llu made since its first, %llu gaps, %llu bad\n",
                messages, (unsigned long long)st.packets, (unsigned long long)made, (unsigned long long)st.gaps,
                (unsigned long long)st.bad);
  ASSERT_EQ_INT(st.bad, 0);
  ASSERT_EQ_INT(st.gaps, 0);
  ASSERT_GE(st.packets + 3, made);
  ASSERT_GE(messages, 50);
  nc_ws_close(&ws);
  lull_server_destroy(srv);
}

static double cpu_self_s(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
         (double)ru.ru_stime.tv_usec / 1e6;
}

/* This process's CPU over a second, the server in it: a spinning thread
 * costs a whole second. */
static double cpu_in_a_second(void) {
  double c0 = cpu_self_s();
  nap_ms(1000);
  return cpu_self_s() - c0;
}

static void rst_close(int fd) {
  struct linger l = {1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  close(fd);
}

/* An HTTP stream request, the bytes after it (stray ones) in the same write. */
static int stream_request(uint16_t port, const char *path, const char *stray) {
  int fd = nc_connect(port, 0);
  ASSERT_TRUE(fd >= 0);
  char req[256];
  int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n%s", path, stray);
  ASSERT_EQ_INT(send(fd, req, (size_t)n, MSG_NOSIGNAL), n);
  return fd;
}

/* Bytes of the stream read within ms. */
static long read_for(int fd, int ms) {
  static unsigned char buf[1 << 16];
  long total = 0;
  for (double end = nc_now_s() + ms / 1000.0; nc_now_s() < end;) {
    long n = nc_read(fd, buf, sizeof buf, 50);
    if (n == 0 || n == -1) break;
    if (n > 0) total += n;
  }
  return total;
}

enum { FIN, RST, HALF_CLOSE, STRAY_THEN_FIN, IN_THE_BURST, WAYS };
static const char *const way_names[WAYS] = {"FIN", "RST", "half-close", "stray bytes, then FIN", "RST in the burst"};

static void leave(int fd, int way) {
  switch (way) {
    case FIN: close(fd); break;
    case RST: rst_close(fd); break;
    case HALF_CLOSE:
      shutdown(fd, SHUT_WR); /* then the server ends it: the client reads to its end */
      ASSERT_TRUE(read_for(fd, 2500) >= 0);
      close(fd);
      break;
    case STRAY_THEN_FIN: close(fd); break;
    default: rst_close(fd); break;
  }
}

static void test_every_way_of_leaving(void **state) {
  (void)state;
  static logcap log;
  lull_server *srv = start_logged(&(lull_server_config){.max_per_ip = 4}, &log);
  uint16_t port = lull_server_port(srv);
  ASSERT_TRUE(wait_listeners(port, 0, 2));
  nap_ms(300); /* the server's end of the status request closes too */
  int fds0 = open_fds();
  double idle = cpu_in_a_second();
  const char *paths[] = {"/stream.ogg", "/stream.mp3", "/ws/stream", "/ws/stream?codec=pcm"};
  int sessions = 0;
  for (int p = 0; p < 4; p++)
    for (int way = 0; way < WAYS; way++) {
      int ws = strncmp(paths[p], "/ws/", 4) == 0;
      int fd;
      nc_ws w = {0};
      if (ws) {
        ASSERT_EQ_INT(nc_ws_open(&w, port, paths[p], NULL, 0, NULL), 101);
        fd = w.fd;
        if (way == STRAY_THEN_FIN) ASSERT_EQ_INT(send(fd, "\x81", 1, MSG_NOSIGNAL), 1); /* half a frame header */
      } else {
        fd = stream_request(port, paths[p], way == STRAY_THEN_FIN ? "Z" : "");
      }
      if (way != IN_THE_BURST) {
        ASSERT_TRUE(read_for(fd, 300) > 0);
        if (!wait_listeners(port, 1, 2)) fail_msg("%s: not counted", paths[p]);
      }
      if (way == STRAY_THEN_FIN) {
        /* Still a listener, served, and nothing spins on the stray bytes. */
        double c0 = cpu_self_s();
        long got = read_for(fd, 1000);
        double used = cpu_self_s() - c0;
        print_message("# %s with stray bytes: %ld bytes in 1 s, %.2f CPU s (idle %.2f)\n", paths[p], got, used, idle);
        ASSERT_TRUE(got > 1000);
        ASSERT_LE(used - idle, 0.4);
      }
      double t0 = nc_now_s();
      leave(fd, way);
      if (ws) {
        free(w.buf);
        w.fd = -1;
      }
      if (!wait_listeners(port, 0, 2)) fail_msg("%s, %s: still a listener after 2 s", paths[p], way_names[way]);
      print_message("# %-22s %-24s gone in %.0f ms\n", paths[p], way_names[way], (nc_now_s() - t0) * 1000);
      sessions++;
    }
  /* Everything came back: the places (the per-address limit is 4), the
   * descriptors, a disconnect line for each, and an idle server. */
  nap_ms(300);
  int fds = open_fds();
  double after = cpu_in_a_second();
  int disconnects = logged(&log, "disconnect ");
  print_message("# %d sessions: %d disconnect lines; descriptors %d -> %d; CPU in 1 s idle %.3f -> %.3f\n", sessions,
                disconnects, fds0, fds, idle, after);
  ASSERT_EQ_INT(disconnects, sessions);
  ASSERT_LE(fds, fds0); /* none kept (one may still have been closing at the start) */
  ASSERT_LE(after - idle, 0.2);
  int held[4];
  for (int i = 0; i < 4; i++) held[i] = stream_request(port, "/stream.ogg", "");
  for (int i = 0; i < 4; i++) ASSERT_TRUE(read_for(held[i], 100) > 0);
  ASSERT_TRUE(wait_listeners(port, 4, 2));
  for (int i = 0; i < 4; i++) close(held[i]);
  ASSERT_TRUE(wait_listeners(port, 0, 2));
  lull_server_destroy(srv);
}

/* A TLS client of a stream (OpenSSL), reading with a short timeout. */
typedef struct tls_client {
  SSL_CTX *ctx;
  SSL *ssl;
  int fd, closed;
} tls_client;

static void tls_open(tls_client *t, uint16_t port, const char *cert, int rcvbuf) {
  t->closed = 0;
  t->ctx = SSL_CTX_new(TLS_client_method());
  ASSERT_TRUE(t->ctx && SSL_CTX_load_verify_locations(t->ctx, cert, NULL) == 1);
  SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, NULL);
  t->fd = nc_connect(port, rcvbuf);
  ASSERT_TRUE(t->fd >= 0);
  struct timeval tv = {0, 50000};
  setsockopt(t->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  t->ssl = SSL_new(t->ctx);
  SSL_set_fd(t->ssl, t->fd);
  X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(t->ssl), "127.0.0.1");
  ASSERT_EQ_INT(SSL_connect(t->ssl), 1);
}

/* Plaintext bytes read within ms, or until the server ends the connection
 * (then t->closed). */
static long tls_read_for(tls_client *t, int ms) {
  static unsigned char buf[1 << 16];
  long total = 0;
  for (double end = nc_now_s() + ms / 1000.0; nc_now_s() < end && !t->closed;) {
    ERR_clear_error();
    errno = 0;
    int n = SSL_read(t->ssl, buf, sizeof buf);
    if (n > 0) {
      total += n;
      continue;
    }
    int e = SSL_get_error(t->ssl, n);
    if (e == SSL_ERROR_WANT_READ || (e == SSL_ERROR_SYSCALL && (errno == EAGAIN || errno == EWOULDBLOCK))) continue;
    t->closed = 1;
  }
  return total;
}

static void tls_free(tls_client *t) {
  SSL_free(t->ssl); /* the descriptor is ours (SSL_set_fd does not close it) */
  SSL_CTX_free(t->ctx);
  if (t->fd >= 0) close(t->fd);
}

/* Listeners as the server's log counts them: its API speaks HTTPS only here. */
static int listeners_logged(logcap *log) { return logged(log, "\nconnect ") - logged(log, "\ndisconnect "); }

static int wait_logged(logcap *log, int want, double timeout_s) {
  double end = nc_now_s() + timeout_s;
  do {
    if (listeners_logged(log) == want) return 1;
    nap_ms(20);
  } while (nc_now_s() < end);
  return 0;
}

enum { TLS_STRAY_WITH_REQUEST, TLS_STRAY_LATER, TLS_CLOSE_NOTIFY, TLS_RST, TLS_PAUSED_READER, TLS_WAYS };
static const char *const tls_way_names[TLS_WAYS] = {"a byte with the request", "a byte later", "close_notify, then FIN",
                                                    "RST", "reader paused 3 s"};

/* Over TLS libwebsockets reads the request and carries the stream. A byte
 * sent with the request (one TLS record) or later, or a close_notify, ends
 * the stream within 2 s with a disconnect line (the client stays
 * connected meanwhile); an RST too; a reader that pauses long enough for
 * its socket to fill is served on once it reads again. None makes the
 * network thread busy, and places, descriptors and log lines come back. */
static void test_tls_stream_every_way(void **state) {
  (void)state;
  test_cert tc;
  make_cert(&tc);
  const char *dir = tc.dir, *cert = tc.cert, *key = tc.key;
  static logcap log;
  lull_server *srv = start_logged(&(lull_server_config){.tls_cert = cert, .tls_key = key, .max_per_ip = 2}, &log);
  uint16_t port = lull_server_port(srv);
  nap_ms(300);
  int fds0 = open_fds();
  double c0 = cpu_self_s();
  nap_ms(1500);
  double idle = cpu_self_s() - c0;
  for (int way = 0; way < TLS_WAYS; way++) {
    tls_client t;
    tls_open(&t, port, cert, way == TLS_PAUSED_READER ? 4096 : 0);
    char req[128];
    int n = snprintf(req, sizeof req, "GET /stream.ogg HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n\r\n%s", port,
                     way == TLS_STRAY_WITH_REQUEST ? "Z" : "");
    ASSERT_EQ_INT(SSL_write(t.ssl, req, n), n); /* one record: read with the request */
    long got = tls_read_for(&t, 300);
    if (way != TLS_STRAY_WITH_REQUEST) {
      ASSERT_TRUE(got > 0);
      if (!wait_logged(&log, 1, 2)) fail_msg("%s: not counted", tls_way_names[way]);
    }
    double t0 = nc_now_s();
    c0 = cpu_self_s();
    if (way == TLS_PAUSED_READER) {
      /* Its socket fills and libwebsockets holds back the rest; it is
       * skipped to the live edge meanwhile, then served on. */
      nap_ms(3000);
      c0 = cpu_self_s();
      got = tls_read_for(&t, 1500);
      double used = cpu_self_s() - c0;
      long after = tls_read_for(&t, 1000); /* past what the buffers held: the stream goes on */
      print_message("# TLS %-24s served on: %ld bytes in 1.5 s (%.2f CPU s, idle %.2f), then %ld in 1 s\n",
                    tls_way_names[way], got, used, idle, after);
      ASSERT_TRUE(!t.closed);
      ASSERT_LE(used - idle, 0.3);
      ASSERT_TRUE(after > 1000);
      t0 = nc_now_s();
      close(t.fd); /* then FIN */
      t.fd = -1;
      if (!wait_logged(&log, 0, 2)) fail_msg("%s, then FIN: still a listener after 2 s", tls_way_names[way]);
      tls_free(&t);
      continue;
    }
    if (way == TLS_STRAY_LATER) ASSERT_EQ_INT(SSL_write(t.ssl, "Z", 1), 1);
    if (way == TLS_CLOSE_NOTIFY) ASSERT_TRUE(SSL_shutdown(t.ssl) >= 0); /* the FIN comes after */
    if (way == TLS_RST) {
      rst_close(t.fd);
      t.fd = -1;
    }
    /* The client stays (but for the RST): the server ends the stream, and
     * spins on nothing meanwhile. */
    double gone = -1;
    while (nc_now_s() - t0 < 1.5) {
      if (gone < 0 && listeners_logged(&log) == 0) gone = nc_now_s() - t0;
      nap_ms(20);
    }
    double used = cpu_self_s() - c0;
    if (gone < 0 && wait_logged(&log, 0, 0.5)) gone = nc_now_s() - t0;
    print_message("# TLS %-24s gone in %.0f ms; %.2f CPU s in 1.5 s (idle %.2f)\n", tls_way_names[way], gone * 1000,
                  used, idle);
    if (gone < 0) fail_msg("%s: still a listener after 2 s", tls_way_names[way]);
    ASSERT_LE(used - idle, 0.3);
    tls_free(&t);
  }
  /* Two at once, in either order, so that each is new while the other is:
   * the one that sent a byte with its request ends, the other is served. */
  for (int stray = 0; stray < 2; stray++) {
    tls_client pair[2];
    for (int i = 0; i < 2; i++) tls_open(&pair[i], port, cert, 0);
    for (int i = 0; i < 2; i++) {
      char req[128];
      int n = snprintf(req, sizeof req, "GET /stream.ogg HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n%s", i == stray ? "Z" : "");
      ASSERT_EQ_INT(SSL_write(pair[i].ssl, req, n), n);
    }
    long got[2];
    for (int i = 0; i < 2; i++) got[i] = tls_read_for(&pair[i], 500);
    print_message("# TLS two at once, the %s with a byte: %ld bytes, %s; the other %ld bytes, %s\n",
                  stray ? "second" : "first", got[stray], pair[stray].closed ? "ended" : "served",
                  got[!stray], pair[!stray].closed ? "ended" : "served");
    ASSERT_TRUE(pair[stray].closed);
    ASSERT_TRUE(!pair[!stray].closed && got[!stray] > 1000);
    for (int i = 0; i < 2; i++) tls_free(&pair[i]);
    ASSERT_TRUE(wait_logged(&log, 0, 2));
  }
  ASSERT_EQ_INT(logged(&log, "(bytes came with its request)"), 3);
  /* Everything came back: a disconnect line each, the descriptors, and the
   * places (the per-address limit is 2). */
  nap_ms(300);
  int fds = open_fds();
  int disconnects = logged(&log, "\ndisconnect ");
  print_message("# %d TLS streams: %d disconnect lines; descriptors %d -> %d\n", TLS_WAYS + 4, disconnects, fds0, fds);
  ASSERT_EQ_INT(disconnects, TLS_WAYS + 4);
  ASSERT_LE(fds, fds0);
  tls_client held[2];
  for (int i = 0; i < 2; i++) {
    tls_open(&held[i], port, cert, 0);
    const char *req = "GET /stream.mp3 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    ASSERT_EQ_INT(SSL_write(held[i].ssl, req, (int)strlen(req)), (int)strlen(req));
  }
  for (int i = 0; i < 2; i++) ASSERT_TRUE(tls_read_for(&held[i], 300) > 0 && !held[i].closed);
  ASSERT_TRUE(wait_logged(&log, 2, 2));
  for (int i = 0; i < 2; i++) tls_free(&held[i]);
  ASSERT_TRUE(wait_logged(&log, 0, 2));
  lull_server_destroy(srv);
  char rm[128];
  snprintf(rm, sizeof rm, "rm -r %s", dir);
  ASSERT_EQ_INT(system(rm), 0);
}

/* A direct stream's reader that stops is closed by the lag policy (skip,
 * then drop), and the place comes back. */
static void test_stream_reader_that_stops(void **state) {
  (void)state;
  lull_server *srv = start(&(lull_server_config){.skip_ms = 500, .drop_ms = 1000, .sndbuf = 4096});
  uint16_t port = lull_server_port(srv);
  int fd = nc_connect(port, 2048);
  unsigned char *pre;
  size_t len;
  ASSERT_EQ_INT(nc_stream_open(fd, "/stream.ogg", &pre, &len), 200);
  free(pre);
  ASSERT_TRUE(wait_listeners(port, 1, 2));
  double t0 = nc_now_s();
  ASSERT_TRUE(wait_listeners(port, 0, 10)); /* it never reads again */
  print_message("# a stream reader that stopped was closed after %.1f s\n", nc_now_s() - t0);
  close(fd);
  lull_server_destroy(srv);
}

/* A wake's pass over the listeners goes in slices, the loop running
 * between them (worker.c); here one listener a slice (LULL_WAKE_SLICE=1),
 * so the pass waits at a listener after every send. Listeners of the same
 * feed leave (FIN, RST) while passes wait at them: the pass moves on past
 * each (ASan sees a freed one used), those who stay get every message, and
 * the count comes back. */
static void test_sliced_wakes_with_listeners_leaving(void **state) {
  (void)state;
  setenv("LULL_WAKE_SLICE", "1", 1);
  lull_server *srv = start(&(lull_server_config){.threads = 1, .max_per_ip = 100, .max_conns_per_ip = 200});
  unsetenv("LULL_WAKE_SLICE");
  uint16_t port = lull_server_port(srv);
  enum { STAY = 6, LEAVE = 48 };
  const char *path = "/ws/stream?codec=pcm";
  nc_ws stay[STAY];
  wsstat st[STAY];
  int leavers[LEAVE], left = 0;
  /* Leavers before, between and after the stayers in the feed's list. */
  for (int i = 0, s_i = 0, l_i = 0; i < STAY + LEAVE; i++) {
    nc_ws w = {0};
    ASSERT_EQ_INT(nc_ws_open(&w, port, path, NULL, 0, NULL), 101);
    if (i % 9 == 4 && s_i < STAY) {
      stay[s_i] = w;
      st[s_i] = (wsstat){.last_seq = -1};
      s_i++;
    } else {
      ASSERT_TRUE(l_i < LEAVE);
      leavers[l_i++] = w.fd;
      free(w.buf);
    }
  }
  ASSERT_TRUE(wait_listeners(port, STAY + LEAVE, 3));
  /* Three seconds: a leaver goes every 60 ms, by FIN or RST; the stayers read. */
  double t0 = nc_now_s(), next_leave = t0 + 0.3;
  while (nc_now_s() - t0 < 3.5) {
    for (int i = 0; i < STAY; i++)
      while (nc_ws_recv(&stay[i], 0) == 2) ws_packets(&stay[i], &st[i], NULL, LULL_CODEC_PCM);
    if (left < LEAVE && nc_now_s() >= next_leave) {
      leave(leavers[left], left % 2 ? RST : FIN);
      left++;
      next_leave += 0.06;
    }
    nap_ms(5);
  }
  ASSERT_EQ_INT(left, LEAVE);
  ASSERT_TRUE(wait_listeners(port, STAY, 3));
  for (int i = 0; i < STAY; i++) {
    print_message("# stayer %d: %llu packets, %llu gaps, %llu bad\n", i, (unsigned long long)st[i].packets,
                  (unsigned long long)st[i].gaps, (unsigned long long)st[i].bad);
    ASSERT_EQ_INT(st[i].gaps, 0);
    ASSERT_EQ_INT(st[i].bad, 0);
    ASSERT_GE(st[i].packets, 120); /* 3.5 s of 20 ms packets, less the start */
    nc_ws_close(&stay[i]);
  }
  ASSERT_TRUE(wait_listeners(port, 0, 3));
  lull_server_destroy(srv);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_stalled_reader_is_skipped_then_dropped),
      cmocka_unit_test(test_a_reader_that_pauses_gets_whole_messages),
      cmocka_unit_test(test_every_way_of_leaving),
      cmocka_unit_test(test_stream_reader_that_stops),
      cmocka_unit_test(test_tls_stream_every_way),
      cmocka_unit_test(test_sliced_wakes_with_listeners_leaving),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
