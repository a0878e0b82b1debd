/* The Icecast output against a real icecast2 (Debian's), started here on a
 * loopback port with a generated config: `lull serve --icecast` pushes a
 * station, the mount is read back over HTTP and decoded; Icecast is stopped
 * and started again while a WebSocket listener of lull's own sees no gap;
 * a wrong password is logged, shown in /api/status, and harms nothing; the
 * output's log lines stay whole lines within their 512-byte buffer however
 * long its (valid) URL; lull's /status-json.xsl has the keys and types of
 * icecast2's for the same mounts, and the MP3 mount's title is lull's. */
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <time.h>
#include <unistd.h>

#include "lull/icecast.h"
#include "lull/lull.h"
#include "server/hub.h"
#include "support/decode.h"
#include "support/harness.h"
#include "support/netclient.h"
#include "support/prom.h"
#include "support/spawn.h"

#define ICECAST_BIN "/usr/bin/icecast2"
#define PASSWORD "ice-test-7f3a"
#define WRONG "not-the-password-91c2"

static void nap_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static uint16_t free_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  ASSERT_EQ_INT(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
  ASSERT_EQ_INT(getsockname(fd, (struct sockaddr *)&a, &len), 0);
  close(fd);
  return ntohs(a.sin_port);
}

/* Children to stop even when an assertion ends the test early. */
static pid_t children[4];

static void track(pid_t pid) {
  for (int i = 0; i < 4; i++)
    if (!children[i]) {
      children[i] = pid;
      return;
    }
}

static int teardown(void **state) {
  (void)state;
  for (int i = 0; i < 4; i++)
    if (children[i] > 0 && kill(children[i], SIGKILL) == 0) waitpid(children[i], NULL, 0);
  memset(children, 0, sizeof children);
  return 0;
}

typedef struct icecast {
  char dir[64], conf[128];
  uint16_t port;
  pid_t pid;
} icecast;

/* A config in a fresh folder. As root, Icecast insists on dropping to
 * another user: nobody, with the folder open to it. */
static void icecast_config(icecast *ic) {
  snprintf(ic->dir, sizeof ic->dir, "/tmp/lull-icecast-XXXXXX");
  ASSERT_TRUE(mkdtemp(ic->dir) != NULL);
  chmod(ic->dir, 0777);
  ic->port = free_port();
  snprintf(ic->conf, sizeof ic->conf, "%s/icecast.xml", ic->dir);
  FILE *f = fopen(ic->conf, "w");
  ASSERT_TRUE(f != NULL);
  fprintf(f,
          "<icecast><location>test</location><admin>test@localhost</admin>\n"
          "<limits><clients>20</clients><sources>4</sources><queue-size>524288</queue-size>"
          "<client-timeout>30</client-timeout><header-timeout>15</header-timeout><source-timeout>10</source-timeout>"
          "<burst-size>65536</burst-size></limits>\n"
          "<authentication><source-password>%s</source-password><admin-user>admin</admin-user>"
          "<admin-password>admin-pw</admin-password></authentication>\n"
          "<hostname>127.0.0.1</hostname><listen-socket><port>%u</port><bind-address>127.0.0.1</bind-address></listen-socket>\n"
          "<fileserve>0</fileserve><paths><basedir>%s</basedir><logdir>%s</logdir><pidfile>%s/icecast.pid</pidfile>"
          "<webroot>/usr/share/icecast2/web</webroot><adminroot>/usr/share/icecast2/admin</adminroot></paths>\n"
          "<logging><accesslog>access.log</accesslog><errorlog>error.log</errorlog><loglevel>3</loglevel></logging>\n"
          "%s</icecast>\n",
          PASSWORD, ic->port, ic->dir, ic->dir, ic->dir,
          geteuid() == 0 ? "<security><chroot>0</chroot><changeowner><user>nobody</user><group>nogroup</group></changeowner></security>"
                         : "");
  fclose(f);
}

static void icecast_start(icecast *ic) {
  ic->pid = fork();
  if (ic->pid == 0) {
    int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    dup2(null, 2);
    execl(ICECAST_BIN, "icecast2", "-c", ic->conf, (char *)NULL);
    _exit(127);
  }
  track(ic->pid);
  for (double end = nc_now_s() + 5; nc_now_s() < end; nap_ms(50)) {
    int fd = nc_connect(ic->port, 0);
    if (fd >= 0) {
      close(fd);
      return;
    }
  }
  kill(ic->pid, SIGKILL);
  fail_msg("icecast2 did not start on port %u (config %s)", ic->port, ic->conf);
}

static void icecast_stop(icecast *ic) {
  if (ic->pid <= 0) return;
  kill(ic->pid, SIGTERM);
  int status;
  waitpid(ic->pid, &status, 0);
  for (int i = 0; i < 4; i++)
    if (children[i] == ic->pid) children[i] = 0;
  ic->pid = 0;
}

/* Its folder and what it wrote there, once it has stopped. */
static void icecast_remove(icecast *ic) {
  static const char *const files[] = {"icecast.xml", "access.log", "error.log", "icecast.pid"};
  for (int i = 0; i < 4; i++) {
    char f[160];
    snprintf(f, sizeof f, "%s/%s", ic->dir, files[i]);
    unlink(f);
  }
  rmdir(ic->dir);
}

/* `lull serve --port 0 --icecast main=URL` with the password in the
 * environment; its stderr stays readable in *err_fd. */
static pid_t serve(const char *url, const char *url2, const char *password, int *err_fd, uint16_t *port) {
  char spec[300], spec2[300];
  snprintf(spec, sizeof spec, "main=%s", url);
  snprintf(spec2, sizeof spec2, "main=%s", url2 ? url2 : url);
  const char *args[] = {"--icecast-genre", "test ambient", "--icecast", spec, url2 ? "--icecast" : NULL, spec2, NULL};
  setenv("LULL_ICECAST_PASSWORD", password, 1);
  pid_t pid = spawn_serve(LULL_BIN, args, 0, port, err_fd);
  unsetenv("LULL_ICECAST_PASSWORD");
  ASSERT_TRUE(pid > 0);
  track(pid);
  return pid;
}

/* The first Icecast output in /api/status (json_decref it). */
static json_t *output_status(uint16_t port) {
  char *body = NULL;
  if (nc_http(port, "GET", "/api/status", NULL, NULL, &body, NULL) != 200) {
    free(body);
    return NULL;
  }
  json_t *root = json_loads(body, 0, NULL);
  free(body);
  json_t *out = root ? json_incref(json_array_get(json_object_get(root, "icecast"), 0)) : NULL;
  json_decref(root);
  return out;
}

static const char *state_of(json_t *o) { return o ? json_string_value(json_object_get(o, "state")) : "?"; }

/* `seconds` of a mount's bytes (malloc'd). */
static unsigned char *fetch(uint16_t port, const char *mount, double seconds, size_t *out_len) {
  int fd = nc_connect(port, 0);
  ASSERT_TRUE(fd >= 0);
  unsigned char *pre = NULL;
  size_t len = 0;
  int status = nc_stream_open(fd, mount, &pre, &len);
  if (status != 200) fail_msg("GET %s from icecast: %d", mount, status);
  size_t cap = 1 << 20;
  pre = realloc(pre, cap);
  for (double end = nc_now_s() + seconds; nc_now_s() < end && len < cap;) {
    long n = nc_read(fd, pre + len, cap - len, 100);
    if (n > 0) len += (size_t)n;
    if (n == 0 || n == -1) break;
  }
  close(fd);
  *out_len = len;
  return pre;
}

/* Read a mount for `seconds` and decode it (Ogg/Opus, or MP3 if mp3). */
static decoded read_mount(uint16_t port, const char *mount, double seconds, int mp3) {
  size_t len;
  unsigned char *data = fetch(port, mount, seconds, &len);
  decoded d;
  int err = mp3 ? decode_mp3(data, len, &d) : decode_ogg_opus(data, len, &d);
  free(data);
  if (err) fail_msg("%s does not decode: %d (%zu bytes)", mount, err, len);
  return d;
}

/* WebSocket packets of lull's own listener: count them and their gaps. */
typedef struct listener {
  nc_ws ws;
  uint64_t packets, gaps;
  int64_t last_seq;
} listener;

static void listen_for(listener *l, double seconds) {
  for (double end = nc_now_s() + seconds; nc_now_s() < end;) {
    if (nc_ws_recv(&l->ws, 50) != 2) continue;
    const unsigned char *p = l->ws.msg, *e = l->ws.msg + l->ws.msg_len;
    lull_wire_header h;
    while (p < e && lull__wire_get(p, (size_t)(e - p), &h) == LULL_OK) {
      if (l->last_seq >= 0 && (int64_t)h.sequence != l->last_seq + 1) l->gaps++;
      l->last_seq = h.sequence;
      l->packets++;
      p += LULL_WIRE_HEADER_BYTES + h.length;
    }
  }
}

/* Wait (listening all the while) until the output's state is `want`. */
static json_t *await_state(listener *l, uint16_t port, const char *want, double seconds) {
  json_t *o = NULL;
  for (double end = nc_now_s() + seconds; nc_now_s() < end;) {
    json_decref(o);
    o = output_status(port);
    if (o && strcmp(state_of(o), want) == 0) return o;
    listen_for(l, 0.2);
  }
  fail_msg("the output never became %s (it is %s)", want, state_of(o));
  return NULL;
}

static void test_push_read_restart_and_wrong_password(void **state) {
  (void)state;
  icecast ic;
  icecast_config(&ic);
  icecast_start(&ic);
  char url[128], mp3_url[128], wrong_url[128];
  snprintf(url, sizeof url, "icecast://127.0.0.1:%u/lull.ogg", ic.port);
  snprintf(mp3_url, sizeof mp3_url, "icecast://source@127.0.0.1:%u/lull.mp3", ic.port);
  snprintf(wrong_url, sizeof wrong_url, "icecast://127.0.0.1:%u/other.ogg", ic.port);
  int err_fd, bad_fd;
  uint16_t port, bad_port;
  pid_t pid = serve(url, mp3_url, PASSWORD, &err_fd, &port);
  pid_t bad = serve(wrong_url, NULL, WRONG, &bad_fd, &bad_port);

  listener l = {.last_seq = -1};
  char path[] = "/ws/stream?station=main";
  ASSERT_EQ_INT(nc_ws_open(&l.ws, port, path, NULL, 0, NULL), 101);
  json_decref(await_state(&l, port, "connected", 5));

  /* The mount plays: Opus, 48 kHz, stereo, not silent. */
  decoded d = read_mount(ic.port, "/lull.ogg", 3, 0);
  print_message("# from icecast: %.2f s of Opus decoded, %ld Hz, %d channels, rms %.4f\n", d.seconds, d.rate, d.channels,
                d.rms);
  ASSERT_EQ_INT(d.rate, 48000);
  ASSERT_EQ_INT(d.channels, 2);
  ASSERT_GE(d.seconds, 2.0);
  ASSERT_GE(d.rms, 0.005);
  /* And the MP3 mount, pushed by the same server. */
  d = read_mount(ic.port, "/lull.mp3", 2, 1);
  print_message("# mp3 from icecast: %.2f s decoded, %ld Hz, %d channels, rms %.4f\n", d.seconds, d.rate, d.channels, d.rms);
  ASSERT_EQ_INT(d.rate, 48000);
  ASSERT_EQ_INT(d.channels, 2);
  ASSERT_GE(d.seconds, 1.5);
  ASSERT_GE(d.rms, 0.005);

  /* The wrong password (tried meanwhile): named in the status and /metrics. */
  json_t *o = output_status(bad_port);
  ASSERT_TRUE(o != NULL);
  const char *e = json_string_value(json_object_get(o, "last_error"));
  ASSERT_STR_CONTAINS(e, "login refused: wrong user or password");
  ASSERT_TRUE(strcmp(state_of(o), "connected") != 0);
  ASSERT_GE(json_integer_value(json_object_get(o, "failures")), 1);
  json_decref(o);
  char *body = NULL;
  ASSERT_EQ_INT(nc_http(bad_port, "GET", "/metrics", NULL, NULL, &body, NULL), 200);
  ASSERT_STR_CONTAINS(body, "lull_icecast_connected{station=\"main\",url=\"icecast://127.0.0.1:");
  ASSERT_STR_CONTAINS(body, "/other.ogg\"} 0");
  prom_doc pd; /* the outputs' families in the text format, with HELP and TYPE (support/prom.c) */
  char perr[256];
  if (prom_check(body, &pd, perr, sizeof perr)) fail_msg("/metrics: %s", perr);
  ASSERT_STR_EQ(prom_family_of(&pd, "lull_icecast_sent_bytes_total")->type, "counter");
  ASSERT_STR_EQ(prom_family_of(&pd, "lull_icecast_queue_bytes")->type, "gauge");
  prom_free(&pd);
  free(body);

  /* Icecast goes away and comes back: lull retries, then plays again. */
  icecast_stop(&ic);
  o = await_state(&l, port, "retrying", 5);
  ASSERT_STR_CONTAINS(json_string_value(json_object_get(o, "last_error")), "connection lost");
  print_message("# icecast stopped: %s (%s)\n", state_of(o), json_string_value(json_object_get(o, "last_error")));
  json_decref(o);
  listen_for(&l, 1);
  icecast_start(&ic);
  o = await_state(&l, port, "connected", 12);
  ASSERT_GE(json_integer_value(json_object_get(o, "connects")), 2);
  ASSERT_GE(json_integer_value(json_object_get(o, "failures")), 1);
  json_decref(o);
  d = read_mount(ic.port, "/lull.ogg", 2, 0);
  print_message("# after the restart: %.2f s decoded, rms %.4f\n", d.seconds, d.rms);
  ASSERT_EQ_INT(d.channels, 2);
  ASSERT_GE(d.seconds, 1.0);
  ASSERT_GE(d.rms, 0.005);
  listen_for(&l, 0.5);
  print_message("# lull's own WebSocket listener meanwhile: %llu packets, %llu gaps\n", (unsigned long long)l.packets,
                (unsigned long long)l.gaps);
  ASSERT_EQ_INT(l.gaps, 0);
  ASSERT_GE(l.packets, 50 * 8);
  nc_ws_close(&l.ws);

  kill(pid, SIGTERM);
  kill(bad, SIGTERM);
  int st1, st2;
  waitpid(pid, &st1, 0);
  waitpid(bad, &st2, 0);
  for (int i = 0; i < 4; i++)
    if (children[i] == pid || children[i] == bad) children[i] = 0;
  char log[16384], good_log[16384];
  long n = nc_read(bad_fd, log, sizeof log - 1, 500);
  log[n > 0 ? n : 0] = 0;
  n = nc_read(err_fd, good_log, sizeof good_log - 1, 500);
  good_log[n > 0 ? n : 0] = 0;
  icecast_stop(&ic);
  if (!WIFEXITED(st1) || WEXITSTATUS(st1) != 0) fail_msg("lull serve exited %d: %s", st1, good_log);
  if (!WIFEXITED(st2) || WEXITSTATUS(st2) != 0) fail_msg("lull serve (wrong password) exited %d: %s", st2, log);
  icecast_remove(&ic);
  ASSERT_STR_CONTAINS(log, "error icecast main -> icecast://127.0.0.1:");
  ASSERT_STR_CONTAINS(log, "login refused: wrong user or password, or the mount is in use");
  ASSERT_TRUE(strstr(log, WRONG) == NULL);
  ASSERT_TRUE(WIFEXITED(st1) && WEXITSTATUS(st1) == 0);
  ASSERT_TRUE(WIFEXITED(st2) && WEXITSTATUS(st2) == 0);
  close(err_fd);
  close(bad_fd);
}

/* ---- /status-json.xsl, lull's and a real icecast2's ------------------------- */

/* GET path as JSON (json_decref it); NULL unless 200. */
static json_t *get_json(uint16_t port, const char *path) {
  char *body = NULL;
  json_t *j = NULL;
  if (nc_http(port, "GET", path, NULL, NULL, &body, NULL) == 200) j = json_loads(body, 0, NULL);
  free(body);
  return j;
}

static const char *json_type_name(json_t *v) {
  static const char *const names[] = {"object", "array", "string", "integer", "real", "true", "false", "null"};
  return names[json_typeof(v)];
}

/* Key by key: every key Icecast gives, lull gives with a value of the same
 * JSON type; lull's others are among extra (NULL-terminated), each printed. */
static void compare_keys(json_t *ice, json_t *ours, const char *what, const char *const *extra) {
  const char *key;
  json_t *v;
  json_object_foreach(ice, key, v) {
    json_t *o = json_object_get(ours, key);
    if (!o) fail_msg("%s: icecast2 gives \"%s\", lull does not", what, key);
    if (json_typeof(o) != json_typeof(v))
      fail_msg("%s: \"%s\" is %s in icecast2, %s in lull", what, key, json_type_name(v), json_type_name(o));
  }
  json_object_foreach(ours, key, v) {
    if (json_object_get(ice, key)) continue;
    int ok = 0;
    for (const char *const *e = extra; *e; e++) ok |= strcmp(*e, key) == 0;
    if (!ok) fail_msg("%s: lull gives \"%s\", icecast2 does not", what, key);
    print_message("# %s: lull only: %s\n", what, key);
  }
}

/* lull pushes its Ogg and MP3 streams to a real icecast2; the two
 * /status-json.xsl are compared for the same mounts: the same keys with
 * values of the same types at the icestats level and in each source (lull
 * adds server_url, which Icecast gives when a source sends one, and the
 * title of its Ogg mount), "source" an array of both or, with ?mount=, one
 * object; the values that describe the stream are equal; and the title
 * lull's output sets on Icecast's MP3 mount is the one lull shows. */
static void test_status_json_like_icecast(void **state) {
  (void)state;
  icecast ic;
  icecast_config(&ic);
  icecast_start(&ic);
  char url[128], mp3_url[128];
  snprintf(url, sizeof url, "icecast://127.0.0.1:%u/main.ogg", ic.port);
  snprintf(mp3_url, sizeof mp3_url, "icecast://127.0.0.1:%u/main.mp3", ic.port);
  int err_fd;
  uint16_t port;
  pid_t pid = serve(url, mp3_url, PASSWORD, &err_fd, &port);
  /* Both mounts up, and the MP3 one titled by lull. */
  json_t *ice = NULL;
  for (double end = nc_now_s() + 15; nc_now_s() < end; nap_ms(200)) {
    json_decref(ice);
    ice = get_json(ic.port, "/status-json.xsl");
    json_t *src = ice ? json_object_get(json_object_get(ice, "icestats"), "source") : NULL;
    if (json_is_array(src) && json_array_size(src) == 2 && json_object_get(json_array_get(src, 0), "title")) break;
  }
  ASSERT_TRUE(ice != NULL);
  json_t *ours = get_json(port, "/status-json.xsl");
  ASSERT_TRUE(ours != NULL);
  json_t *is = json_object_get(ice, "icestats"), *os = json_object_get(ours, "icestats");
  ASSERT_EQ_INT(json_object_size(ice), 1);
  ASSERT_EQ_INT(json_object_size(ours), 1);
  static const char *const none[] = {NULL}, *const mp3_extra[] = {"server_url", NULL},
                           *const ogg_extra[] = {"server_url", "title", NULL};
  compare_keys(is, os, "icestats", none);
  json_t *isrc = json_object_get(is, "source"), *osrc = json_object_get(os, "source");
  ASSERT_TRUE(json_is_array(isrc) && json_array_size(isrc) == 2);
  ASSERT_TRUE(json_is_array(osrc) && json_array_size(osrc) == 2);
  for (int k = 0; k < 2; k++) { /* both sorted by mount: .mp3, then .ogg */
    json_t *a = json_array_get(isrc, (size_t)k), *b = json_array_get(osrc, (size_t)k);
    const char *ia = json_string_value(json_object_get(a, "listenurl")), *ob = json_string_value(json_object_get(b, "listenurl"));
    print_message("# icecast2 %s, lull %s\n", ia, ob);
    ASSERT_STR_EQ(strrchr(ia, '/'), strrchr(ob, '/'));
    compare_keys(a, b, k ? "source .ogg" : "source .mp3", k ? ogg_extra : mp3_extra);
    static const char *const same[] = {"audio_info", "bitrate", "channels", "samplerate", "server_type", "subtype",
                                       "listeners", "dummy"};
    for (int i = 0; i < 8; i++) {
      json_t *x = json_object_get(a, same[i]), *y = json_object_get(b, same[i]);
      if (!x) continue;
      if (!json_equal(x, y)) fail_msg("%s differs", same[i]);
    }
  }
  /* One mount: one object, in both. */
  json_t *ice1 = get_json(ic.port, "/status-json.xsl?mount=/main.mp3"), *ours1 = get_json(port, "/status-json.xsl?mount=/main.mp3");
  ASSERT_TRUE(ice1 && ours1);
  json_t *a = json_object_get(json_object_get(ice1, "icestats"), "source"),
         *b = json_object_get(json_object_get(ours1, "icestats"), "source");
  ASSERT_TRUE(json_is_object(a));
  ASSERT_TRUE(json_is_object(b));
  compare_keys(a, b, "?mount=/main.mp3", mp3_extra);
  /* The title the output set on Icecast is lull's now-playing line. */
  int same_title = 0;
  for (int i = 0; i < 10 && !same_title; i++) {
    json_t *x = get_json(ic.port, "/status-json.xsl?mount=/main.mp3"), *y = get_json(port, "/status-json.xsl?mount=/main.mp3");
    const char *tx = json_string_value(json_object_get(json_object_get(json_object_get(x, "icestats"), "source"), "title"));
    const char *ty = json_string_value(json_object_get(json_object_get(json_object_get(y, "icestats"), "source"), "title"));
    print_message("# title: icecast2 \"%s\", lull \"%s\"\n", tx ? tx : "", ty ? ty : "");
    same_title = tx && ty && strcmp(tx, ty) == 0 && strstr(tx, " bpm");
    json_decref(x);
    json_decref(y);
    if (!same_title) nap_ms(300);
  }
  ASSERT_TRUE(same_title);
  json_decref(ice1);
  json_decref(ours1);
  json_decref(ice);
  json_decref(ours);
  kill(pid, SIGTERM);
  waitpid(pid, NULL, 0);
  for (int i = 0; i < 4; i++)
    if (children[i] == pid) children[i] = 0;
  close(err_fd);
  icecast_stop(&ic);
  icecast_remove(&ic);
}

/* ---- log lines from a long URL ------------------------------------------- */

enum { MAX_LINES = 8, LINE_BUF = 512 };
typedef struct log_capture {
  char prefix[720];
  _Atomic int lines;
  int bad;            /* a line with no NUL within the buffer's 512 bytes, or not starting with the prefix */
  size_t longest;
} log_capture;

/* The output's thread: each line must end (NUL) within 512 bytes, so at most
 * 511 characters, and start with the prefix, or as much of it as fits. */
static void capture_line(void *user, int level, const char *message) {
  (void)level;
  log_capture *c = user;
  const char *nul = memchr(message, 0, LINE_BUF);
  size_t len = nul ? (size_t)(nul - message) : LINE_BUF;
  size_t want = strlen(c->prefix) < len ? strlen(c->prefix) : len;
  if (!nul || strncmp(message, c->prefix, want) != 0) c->bad++;
  if (len > c->longest) c->longest = len;
  if (atomic_load(&c->lines) < MAX_LINES) atomic_fetch_add(&c->lines, 1);
}

/* A string of n copies of ch. */
static void fill(char *out, char ch, size_t n) {
  memset(out, ch, n);
  out[n] = 0;
}

/* Valid URLs of 462 and of 590 characters (a 63-character user, a
 * 255-character host: 127.0.0.1 written as octal with leading zeros, a
 * 255-character mount), to a loopback port where nothing listens: the login
 * fails at once and is logged. The first URL leaves room for the message
 * after the prefix, which is cut at the buffer's end; the second does not
 * fit the buffer even alone, and the prefix itself is cut. Under ASan, any
 * write or read past the buffer would be reported. */
static void test_long_url_log_lines(void **state) {
  (void)state;
  lull_station *st;
  lull_diag d;
  ASSERT_EQ_INT(lull_station_create(&(lull_station_config){0}, &st, &d), LULL_OK);
  static const struct {
    size_t user, host_zeros, mount;
  } shapes[] = {{40, 141, 250}, {63, 246, 250}};
  for (int k = 0; k < 2; k++) {
    char user[64], zeros[256], mount[256], url[700];
    fill(user, 'u', shapes[k].user);
    fill(zeros, '0', shapes[k].host_zeros);
    fill(mount, 'm', shapes[k].mount);
    uint16_t port = free_port();
    snprintf(url, sizeof url, "icecast://%s@%s177.0.0.1:%u/%s.ogg", user, zeros, port, mount);
    ASSERT_EQ_INT(lull_icecast_check_url(url, &d), LULL_OK);
    log_capture c = {.lines = 0};
    snprintf(c.prefix, sizeof c.prefix, "icecast main -> %s: ", url);
    print_message("# a URL of %zu characters (prefix %zu)\n", strlen(url), strlen(c.prefix));
    ASSERT_GE(strlen(url), 400);
    lull_icecast_config cfg = {.url = url, .password = "x", .log = capture_line, .log_user = &c};
    lull_icecast *ic;
    ASSERT_EQ_INT(lull_icecast_create(&cfg, st, &ic, &d), LULL_OK);
    ASSERT_EQ_INT(lull_icecast_start(ic), LULL_OK);
    for (int i = 0; i < 250 && atomic_load(&c.lines) == 0; i++) nap_ms(20);
    lull_icecast_destroy(ic); /* joins the thread: c is read after its last line */
    ASSERT_GE(atomic_load(&c.lines), 1);
    ASSERT_EQ_INT(c.bad, 0);
    ASSERT_LE(c.longest, LINE_BUF - 1);
    ASSERT_EQ_INT(c.longest, LINE_BUF - 1); /* the URL makes it long enough to be cut */
  }
  lull_station_destroy(st);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_teardown(test_push_read_restart_and_wrong_password, teardown),
      cmocka_unit_test(test_long_url_log_lines),
      cmocka_unit_test_teardown(test_status_json_like_icecast, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
