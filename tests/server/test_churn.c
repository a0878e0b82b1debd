/* Churn: a few listeners of every kind stay and read all along, while
 * thousands of others come and go every way a client leaves, and others
 * attack, against a real `lull serve` (a process of its own: its CPU,
 * descriptors and memory are read from /proc). The stayers must see no
 * gap; each of the others must be treated as its way demands (crowd.c);
 * afterwards the listener count, the descriptors, the idle CPU and the
 * places per address are back where they were, every listener has its
 * connect and disconnect line, and the log has no warning but the expected
 * ones. About a minute; LULL_TEST_SHORT=1 (the TSan run) about 20 s. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "server/fixture.h"
#include "support/crowd.h"
#include "support/decode.h"
#include "support/harness.h"
#include "support/spawn.h"

/* Places per address, above what the churn holds at once (so nothing is
 * refused during it) and small enough to fill at the end. */
#define PER_IP 280
#define CONNS_PER_IP 360
#define STR(x) STR_(x)
#define STR_(x) #x

/* Warnings the attacks cause: libwebsockets names the protocol errors it
 * closes on (a 64-bit length with its top bit set, a control frame with an
 * extended length, a request line longer than its header space). */
static const char *const expected_log[] = {"lws: b63 of length must be zero",
                                           "lws: Control frame with xtended length is illegal",
                                           "lws: Ran out of header data space", NULL};

typedef struct metrics {
  long long connects, disconnects, dropped, slow, protocol_closed, rejected;
} metrics;

static metrics get_metrics(uint16_t port) {
  metrics m = {-1, -1, -1, -1, -1, -1};
  char *body = NULL;
  if (nc_http(port, "GET", "/api/metrics", NULL, NULL, &body, NULL) == 200) {
    json_t *j = parse(body);
    m.connects = json_integer_value(json_object_get(j, "connects"));
    m.disconnects = json_integer_value(json_object_get(j, "disconnects"));
    m.dropped = json_integer_value(json_object_get(j, "packets_dropped"));
    m.slow = json_integer_value(json_object_get(j, "slow_disconnects"));
    m.protocol_closed = json_integer_value(json_object_get(j, "protocol_closed"));
    m.rejected = json_integer_value(json_object_get(j, "rejected"));
    json_decref(j);
  }
  free(body);
  return m;
}

/* Wait (serving the crowd) up to timeout_s for the server to count `want` listeners. */
static int crowd_wait_listeners(crowd *cr, uint16_t port, int want, double timeout_s) {
  double end = nc_now_s() + timeout_s;
  do {
    if (server_listeners(port) == want) return 1;
    crowd_run(cr, 0.1);
  } while (nc_now_s() < end);
  return 0;
}

/* The server's CPU over 2 s, the crowd served meanwhile. */
static double cpu_in_2s(crowd *cr, pid_t pid) {
  double c0 = proc_cpu_s(pid);
  crowd_run(cr, 2.0);
  return proc_cpu_s(pid) - c0;
}

/* Stayers from..to-1 that got this status, once each has an answer (or
 * the wait is over). */
static int stayers_with(crowd *cr, int from, int to, int status, double timeout_s) {
  double end = nc_now_s() + timeout_s;
  for (;;) {
    int answered = 0, n = 0;
    for (int i = from; i < to; i++) {
      const crowd_stayer *s = crowd_stayer_at(cr, i);
      answered += s->status != 0;
      n += s->status == status;
    }
    if (answered == to - from || nc_now_s() >= end) return n;
    crowd_run(cr, 0.05);
  }
}

static void test_churn(void **state) {
  (void)state;
  int short_run = getenv("LULL_TEST_SHORT") != NULL;
  double churn_s = short_run ? 6 : 45, rate = short_run ? 40 : 100;
  int max_at_once = short_run ? 100 : 200;
  uint64_t seed = lull_test_seed(7);
  static const char *const args[] = {"--max-per-ip", STR(PER_IP), "--max-conns-per-ip", STR(CONNS_PER_IP),
                                     "--request-timeout-ms", "2000", "--log-level", "info", NULL};
  int err_fd;
  uint16_t port;
  pid_t pid = spawn_serve(LULL_BIN, args, 0, &port, &err_fd);
  ASSERT_TRUE(pid > 0);
  crowd *cr = crowd_create(&(crowd_config){.port = port, .seed = seed, .log_fd = err_fd, .expected_log = expected_log});
  ASSERT_TRUE(cr != NULL);

  /* Before anyone comes: the idle server's descriptors, memory and CPU. */
  crowd_run(cr, 0.5);
  int fds0 = proc_fds(pid);
  long rss0 = proc_rss_kib(pid);
  double idle0 = cpu_in_2s(cr, pid);

  /* Attackers who wait cost the server nothing while they wait: 20 heads
   * trickled, 20 silent, 20 POST bodies trickled, held by the server until
   * the request deadline (2 s). A worker spinning on one of them costs a
   * large part of a core. */
  for (int i = 0; i < 20; i++) {
    crowd_arrive(cr, CROWD_TRICKLE, 0);
    crowd_arrive(cr, CROWD_SILENT, 0);
    crowd_arrive(cr, CROWD_BIG_POST, 0);
  }
  crowd_run(cr, 0.2);
  double w0 = proc_cpu_s(pid);
  crowd_run(cr, 1.5);
  double waiting = proc_cpu_s(pid) - w0;
  for (double end = nc_now_s() + 15; crowd_coming_and_going(cr) && nc_now_s() < end;) crowd_run(cr, 0.05);

  /* Three of each kind stay; the Ogg and MP3 ones keep their bytes. */
  int stayers = 0;
  for (int k = 0; k < 4; k++)
    for (int i = 0; i < 3; i++, stayers++) crowd_stay(cr, k, 1);
  for (double end = nc_now_s() + 5; nc_now_s() < end;) {
    int audible = 0;
    for (int i = 0; i < stayers; i++) audible += crowd_stayer_at(cr, i)->t_first > 0;
    if (audible == stayers) break;
    crowd_run(cr, 0.05);
  }

  /* The churn: arrivals at a steady rate, every way in turn, each listener
   * kind in turn, at most max_at_once here together. */
  double cpu0 = proc_cpu_s(pid), t_end = nc_now_s() + churn_s, next = nc_now_s();
  uint64_t arrived = 0;
  int most = 0;
  while (nc_now_s() < t_end) {
    while (nc_now_s() >= next && crowd_coming_and_going(cr) < max_at_once) {
      crowd_arrive(cr, (int)(arrived % CROWD_WAYS), (int)(arrived / CROWD_WAYS % 4));
      arrived++;
      next += 1 / rate;
    }
    if (nc_now_s() >= next) next = nc_now_s(); /* at the cap: no backlog */
    if (crowd_coming_and_going(cr) > most) most = crowd_coming_and_going(cr);
    crowd_run(cr, 0.01);
  }
  for (double end = nc_now_s() + 20; crowd_coming_and_going(cr) && nc_now_s() < end;) crowd_run(cr, 0.05);
  double churn_cpu = proc_cpu_s(pid) - cpu0;
  long rss_churned = proc_rss_kib(pid);
  int gone = crowd_coming_and_going(cr) == 0;

  /* The stayers are all the server counts; then they leave too. */
  int back_to_stayers = crowd_wait_listeners(cr, port, stayers, 5);
  crowd_stayers_leave(cr);
  int back_to_zero = crowd_wait_listeners(cr, port, 0, 5);

  /* Every place came back, exactly: PER_IP listeners are served and the
   * next is refused; then the connections up to CONNS_PER_IP are taken and
   * the next is refused (a place leaked or released twice shows here). */
  crowd_run(cr, 0.5);
  int from = crowd_stayers(cr);
  for (int i = 0; i < PER_IP; i++) crowd_stay(cr, CROWD_OGG, 0);
  int places_served = stayers_with(cr, from, from + PER_IP, 200, 10);
  crowd_stay(cr, CROWD_OGG, 0);
  int listener_refused = stayers_with(cr, from + PER_IP, from + PER_IP + 1, 429, 5);
  crowd_run(cr, 0.3); /* the refused one's connection closes */
  int idle_from = crowd_stayers(cr);
  for (int i = 0; i < CONNS_PER_IP - PER_IP + 1; i++) crowd_stay(cr, CROWD_IDLE, 0);
  crowd_run(cr, 0.5); /* well within the request deadline (2 s) */
  int conns_refused = stayers_with(cr, idle_from, crowd_stayers(cr), 429, 0);
  int conns_other = crowd_stayers(cr) - idle_from - stayers_with(cr, idle_from, crowd_stayers(cr), 0, 0) - conns_refused;
  crowd_stayers_leave(cr);
  int places_back = crowd_wait_listeners(cr, port, 0, 5);

  /* Back where it started: descriptors, and an idle CPU (a spin would cost
   * a whole core in each window; a loaded machine's noise does not repeat,
   * so the best of three windows is taken). */
  crowd_run(cr, 0.5);
  metrics m2 = get_metrics(port);
  crowd_run(cr, 0.3);
  int fds1 = proc_fds(pid);
  long rss1 = proc_rss_kib(pid);
  double idle1 = cpu_in_2s(cr, pid);
  for (int i = 0; i < 2 && idle1 - idle0 > 0.3; i++) {
    double again = cpu_in_2s(cr, pid);
    if (again < idle1) idle1 = again;
  }

  /* Stopped, before any assertion, so that a failure leaves no server. */
  kill(pid, SIGTERM);
  for (double end = nc_now_s() + 5; !crowd_log_stats(cr)->eof && nc_now_s() < end;) crowd_run(cr, 0.05);
  int status = -1;
  for (double end = nc_now_s() + 5; waitpid(pid, &status, WNOHANG) == 0 && nc_now_s() < end;) nap_ms(20);
  if (status == -1) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
  }
  close(err_fd);

  /* Figures. */
  const crowd_log *log = crowd_log_stats(cr);
  uint64_t came = 0, failed = 0;
  print_message("# churn %.0f s (seed %llu): %llu clients came and went (%.0f a second, at most %d at once), %d stayed\n",
                churn_s, (unsigned long long)seed, (unsigned long long)arrived, rate, most, stayers);
  for (int w = 0; w < CROWD_WAYS; w++) {
    const crowd_way_stats *ws = crowd_way(cr, w);
    came += ws->started;
    failed += ws->failed;
    print_message("#   %-14s %5llu came, %5llu as they must%s%s\n", crowd_way_names[w], (unsigned long long)ws->started,
                  (unsigned long long)ws->passed, ws->failed ? "; first failure: " : "", ws->first_failure);
  }
  decoded dec[12];
  for (int i = 0; i < stayers; i++) {
    const crowd_stayer *s = crowd_stayer_at(cr, i);
    double heard = s->t_close - s->t_first;
    memset(&dec[i], 0, sizeof dec[i]);
    if (s->kind == CROWD_OGG) decode_ogg_opus(s->data, s->len, &dec[i]);
    if (s->kind == CROWD_MP3) decode_mp3(s->data, s->len, &dec[i]);
    if (s->kind == CROWD_MP3)
      print_message("#   stayer mp3     %.1f s: %llu bytes", heard, (unsigned long long)s->bytes);
    else
      print_message("#   stayer %-7s %.1f s: %llu %s, %llu gaps, %llu bad, %llu bytes%s", crowd_kind_names[s->kind], heard,
                    (unsigned long long)s->units, s->kind == CROWD_OGG ? "pages" : "packets", (unsigned long long)s->gaps,
                    (unsigned long long)s->bad, (unsigned long long)s->bytes, s->len ? "" : "\n");
    if (s->len)
      print_message(", decoded %.1f s at %ld Hz, %llu holes\n", dec[i].seconds, dec[i].rate,
                    (unsigned long long)dec[i].holes);
  }
  print_message("#   server: %.3f CPU s in 1.5 s with 60 attackers waiting for the deadline\n", waiting);
  print_message("#   server: %.2f CPU s during the churn; idle CPU in 2 s %.3f -> %.3f; RSS %ld -> %ld (churned) -> %ld KiB; "
                "descriptors %d -> %d\n",
                churn_cpu, idle0, idle1, rss0, rss_churned, rss1, fds0, fds1);
  print_message("#   server: %lld listeners connected, %lld disconnected, %lld packets dropped, %lld slow closed, "
                "%lld closed for the protocol, %lld refused; clients admitted %llu; audio after libwebsockets' own "
                "close frames %llu messages (known)\n",
                m2.connects, m2.disconnects, m2.dropped, m2.slow, m2.protocol_closed, m2.rejected,
                (unsigned long long)crowd_admitted(cr), (unsigned long long)crowd_lws_after_close(cr));
  print_message("#   places: %d of %d listeners served, the next refused %d; %d connections refused of %d more, %d "
                "answered otherwise\n",
                places_served, PER_IP, listener_refused, conns_refused, CONNS_PER_IP - PER_IP + 1, conns_other);
  print_message("#   log: %llu lines, %llu connect and %llu disconnect lines, %llu warnings (%llu expected)%s%s\n",
                (unsigned long long)log->lines, (unsigned long long)log->connects, (unsigned long long)log->disconnects,
                (unsigned long long)log->warnings, (unsigned long long)log->expected,
                log->unexpected ? "; first unexpected: " : "", log->first_unexpected[0]);

  /* Every client was treated as its way demands, and the stayers lost nothing. */
  ASSERT_TRUE(gone);
  ASSERT_EQ_INT(came, arrived + 60);
  ASSERT_EQ_INT(failed, 0);
  for (int w = 0; w < CROWD_WAYS; w++) ASSERT_GE(crowd_way(cr, w)->started, 10);
  for (int i = 0; i < stayers; i++) {
    const crowd_stayer *s = crowd_stayer_at(cr, i);
    double heard = s->t_close - s->t_first;
    ASSERT_EQ_INT(s->status, s->kind <= CROWD_WS_PCM ? 101 : 200);
    ASSERT_EQ_INT(s->ended, 0);
    ASSERT_EQ_INT(s->gaps, 0);
    ASSERT_EQ_INT(s->bad, 0);
    /* A stream the server stopped feeding would show no gap: it must also
     * have kept coming (half the media time is far below any real run). */
    if (s->kind <= CROWD_WS_PCM) ASSERT_GE(s->units, 0.5 * 50 * heard);
    if (s->kind == CROWD_OGG) ASSERT_EQ_INT(dec[i].holes, 0);
    if (s->kind >= CROWD_OGG) {
      ASSERT_EQ_INT(dec[i].rate, 48000);
      ASSERT_EQ_INT(dec[i].channels, 2);
      ASSERT_GE(dec[i].seconds, 0.5 * heard);
    }
  }
  ASSERT_EQ_INT(m2.dropped, 0);
  ASSERT_EQ_INT(m2.slow, 0);
  /* The server counts come back: the stayers, then none; each listener has
   * one connect and one disconnect line. */
  ASSERT_TRUE(back_to_stayers);
  ASSERT_TRUE(back_to_zero);
  ASSERT_TRUE(places_back);
  ASSERT_EQ_INT(m2.connects, m2.disconnects);
  ASSERT_EQ_INT(log->connects, m2.connects);
  ASSERT_EQ_INT(log->disconnects, m2.disconnects);
  /* Some of those who left in the burst were counted before they went. */
  ASSERT_GE(m2.connects, crowd_admitted(cr));
  ASSERT_LE(m2.connects, crowd_admitted(cr) + crowd_way(cr, CROWD_IN_BURST)->started);
  ASSERT_EQ_INT(places_served, PER_IP);
  ASSERT_EQ_INT(listener_refused, 1);
  ASSERT_EQ_INT(conns_refused, 1);
  ASSERT_EQ_INT(conns_other, 0);
  ASSERT_LE(waiting - 0.75 * idle0, 0.3);
  /* Its resources came back. */
  ASSERT_LE(abs(fds1 - fds0), 2);
  ASSERT_LE(idle1 - idle0, 0.3);
  ASSERT_EQ_INT(log->unexpected, 0);
  ASSERT_TRUE(log->eof);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  crowd_destroy(cr);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_churn),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
