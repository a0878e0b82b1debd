/* What the server tests share: a server started on a free loopback port, a
 * WebSocket client that waits for its hello, JSON messages by type, and
 * expectations of errors, refusals and close codes. */
#include "server/fixture.h"

#include <dirent.h>
#include <errno.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <signal.h>
#include <sys/wait.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "support/harness.h"

void nap_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

lull_server *start(const lull_server_config *cfg) {
  lull_server *srv;
  lull_diag d = {{0}, {0}};
  lull_server_config c = cfg ? *cfg : (lull_server_config){0};
  c.log_level = getenv("LULL_TEST_LOG") ? LULL_LOG_DEBUG : LULL_LOG_WARN;
  int err = lull_server_create(&c, &srv, &d);
  if (err) fail_msg("server: %s: %s", d.field, d.message);
  ASSERT_EQ_INT(lull_server_start(srv), LULL_OK);
  return srv;
}

uint64_t station_frames(lull_server *srv) {
  lull_station_metrics m;
  lull_station_get_metrics(lull_server_station(srv, "main"), &m);
  return m.frames;
}

json_t *parse(const char *text) {
  json_error_t e;
  json_t *j = json_loads(text, 0, &e);
  if (!j) fail_msg("not JSON (%s): %.300s", e.text, text);
  return j;
}

/* The next text message of a given type (others skipped), parsed. */
json_t *next_text(nc_ws *ws, const char *type, int timeout_ms) {
  double end = nc_now_s() + timeout_ms / 1000.0;
  while (nc_now_s() < end) {
    int op = nc_ws_recv(ws, 100);
    if (op < 0) return NULL;
    if (op != 1) continue;
    json_t *j = parse((const char *)ws->msg);
    const char *t = json_string_value(json_object_get(j, "type"));
    if (t && strcmp(t, type) == 0) return j;
    json_decref(j);
  }
  return NULL;
}

nc_ws ws_open(uint16_t port, const char *path) {
  nc_ws ws;
  char *body = NULL;
  int status = nc_ws_open(&ws, port, path, NULL, 0, &body);
  if (status != 101) fail_msg("upgrade %s: %d %s", path, status, body ? body : "");
  json_t *hello = next_text(&ws, "hello", 2000);
  ASSERT_TRUE(hello != NULL);
  json_decref(hello);
  return ws;
}

double params_num(json_t *msg, const char *field) {
  return json_number_value(json_object_get(json_object_get(msg, "params"), field));
}

void ws_packets(nc_ws *ws, wsstat *st, OpusDecoder *dec, int codec) {
  const unsigned char *p = ws->msg, *end = ws->msg + ws->msg_len;
  while (p < end) {
    lull_wire_header h;
    if (lull__wire_get(p, (size_t)(end - p), &h) != LULL_OK || h.codec != codec) {
      st->bad++;
      return;
    }
    const unsigned char *payload = p + LULL_WIRE_HEADER_BYTES;
    if (st->last_seq >= 0 && (int64_t)h.sequence != st->last_seq + 1) st->gaps++;
    st->last_seq = h.sequence;
    int16_t pcm[960 * 2];
    int n;
    if (codec == LULL_CODEC_OPUS) {
      n = opus_decode(dec, payload, h.length, pcm, 960, 0);
    } else {
      n = h.length == 3840 ? 960 : -1;
      for (int i = 0; n > 0 && i < 1920; i++) pcm[i] = (int16_t)(payload[2 * i] | payload[2 * i + 1] << 8);
    }
    if (n != 960) st->bad++;
    if (n > 0) {
      st->samples += (uint64_t)n;
      for (int i = 0; i < 2 * n; i++) st->sumsq += (double)pcm[i] * pcm[i];
      st->sumn += 2u * (uint64_t)n;
    }
    st->packets++;
    st->last_t = nc_now_s();
    if (!st->first_t) st->first_t = st->last_t;
    p = payload + h.length;
  }
}

/* Send text; the next message is an error with this code (the connection stays). */
void expect_error(nc_ws *ws, const char *text, const char *code, const char *field) {
  nap_ms(110); /* within the rate limit */
  ASSERT_EQ_INT(nc_ws_send(ws, 1, text, strlen(text)), 0);
  json_t *e = next_text(ws, "error", 2000);
  if (!e) fail_msg("no error for %s", text);
  const char *got = json_string_value(json_object_get(e, "code"));
  if (!got || strcmp(got, code) != 0) fail_msg("%s: code %s, expected %s", text, got ? got : "(none)", code);
  if (field) ASSERT_STR_CONTAINS(json_string_value(json_object_get(e, "field")), field);
  ASSERT_TRUE(strlen(json_string_value(json_object_get(e, "message"))) > 5);
  json_decref(e);
}

void expect_http(uint16_t port, const char *method, const char *path, const char *headers, const char *body,
                        int status, const char *code) {
  char *resp;
  int got = nc_http(port, method, path, headers, body, &resp, NULL);
  if (got != status) fail_msg("%s %s: %d, expected %d: %s", method, path, got, status, resp ? resp : "");
  if (code) {
    json_t *j = parse(resp);
    const char *c = json_string_value(json_object_get(json_object_get(j, "error"), "code"));
    if (!c || strcmp(c, code) != 0) fail_msg("%s %s: code %s, expected %s", method, path, c ? c : "(none)", code);
    json_decref(j);
  }
  free(resp);
}

void expect_upgrade(uint16_t port, const char *path, const char *headers, int status, const char *code) {
  nc_ws ws;
  char *body = NULL;
  int got = nc_ws_open(&ws, port, path, headers, 0, &body);
  if (got != status) fail_msg("upgrade %s: %d, expected %d", path, got, status);
  if (code) {
    json_t *j = parse(body);
    ASSERT_STR_CONTAINS(json_string_value(json_object_get(json_object_get(j, "error"), "code")), code);
    json_decref(j);
  }
  free(body);
  nc_ws_close(&ws);
}

/* The connection is closed by the server with this code. */
void expect_close(nc_ws *ws, int code) {
  for (int i = 0; i < 200; i++) {
    int op = nc_ws_recv(ws, 3000);
    if (op == 8) {
      ASSERT_EQ_INT(ws->close_code, code);
      return;
    }
    if (op <= 0) fail_msg("no close frame (expected %d)", code);
  }
  fail_msg("no close frame (expected %d)", code);
}

static pthread_mutex_t cap_lock = PTHREAD_MUTEX_INITIALIZER;

static void capture(void *user, int level, const char *message) {
  (void)level;
  logcap *cap = user;
  pthread_mutex_lock(&cap_lock);
  size_t n = strlen(message);
  if (cap->len + n + 2 < sizeof cap->text) {
    memcpy(cap->text + cap->len, message, n);
    cap->len += n;
    cap->text[cap->len++] = '\n';
    cap->text[cap->len] = 0;
    cap->lines++;
  }
  pthread_mutex_unlock(&cap_lock);
  if (getenv("LULL_TEST_LOG")) lull_log_stderr(NULL, level, message);
}

lull_server *start_logged(const lull_server_config *cfg, logcap *cap) {
  memset(cap, 0, sizeof *cap);
  lull_server *srv;
  lull_diag d = {{0}, {0}};
  lull_server_config c = cfg ? *cfg : (lull_server_config){0};
  c.log_level = LULL_LOG_DEBUG;
  c.log = capture;
  c.log_user = cap;
  if (lull_server_create(&c, &srv, &d)) fail_msg("server: %s: %s", d.field, d.message);
  ASSERT_EQ_INT(lull_server_start(srv), LULL_OK);
  return srv;
}

int logged(logcap *cap, const char *needle) {
  pthread_mutex_lock(&cap_lock);
  int n = 0;
  for (const char *p = cap->text; (p = strstr(p, needle)); p += strlen(needle)) n++;
  pthread_mutex_unlock(&cap_lock);
  return n;
}

int server_listeners(uint16_t port) {
  char *body = NULL;
  int status = nc_http(port, "GET", "/api/status", NULL, NULL, &body, NULL);
  int n = -1;
  if (status == 200) {
    json_t *j = parse(body);
    n = (int)json_integer_value(json_object_get(j, "listeners"));
    json_decref(j);
  }
  free(body);
  return n;
}

int open_fds(void) {
  DIR *d = opendir("/proc/self/fd");
  int n = 0;
  if (!d) return -1;
  while (readdir(d)) n++;
  closedir(d);
  return n - 3; /* ., .. and the directory's own */
}

int wait_listeners(uint16_t port, int want, double timeout_s) {
  double end = nc_now_s() + timeout_s;
  do {
    if (server_listeners(port) == want) return 1;
    nap_ms(50);
  } while (nc_now_s() < end);
  return 0;
}

/* openssl's command line: the same as a user would run. */
void make_cert(test_cert *c) {
  snprintf(c->dir, sizeof c->dir, "/tmp/lull-tls-XXXXXX");
  ASSERT_TRUE(mkdtemp(c->dir) != NULL);
  snprintf(c->cert, sizeof c->cert, "%s/cert.pem", c->dir);
  snprintf(c->key, sizeof c->key, "%s/key.pem", c->dir);
  char cmd[1024];
  snprintf(cmd, sizeof cmd,
           "openssl req -x509 -newkey rsa:2048 -nodes -keyout %s -out %s -days 2 -subj /CN=127.0.0.1 "
           "-addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1",
           c->key, c->cert);
  ASSERT_EQ_INT(system(cmd), 0);
}

pid_t serve_with_a_listener(nc_ws *ws, int *err_fd) {
  uint16_t port;
  pid_t pid = spawn_serve(LULL_BIN, NULL, 0, &port, err_fd);
  ASSERT_TRUE(pid > 0);
  *ws = ws_open(port, "/ws/stream");
  int op;
  for (int got = 0; got < 5 && (op = nc_ws_recv(ws, 2000)) > 0;) got += op == 2;
  return pid;
}

int wait_exit(pid_t pid, double t0, double limit_s, int *status) {
  pid_t done;
  while ((done = waitpid(pid, status, WNOHANG)) == 0 && nc_now_s() - t0 < limit_s) nap_ms(5);
  if (done == pid) return 1;
  kill(pid, SIGKILL);
  waitpid(pid, status, 0);
  return 0;
}

/* A header's value from a response head, into out. */
int http_header(const char *head, const char *name, char *out, size_t cap) {
  for (const char *p = strstr(head, "\r\n"); p && p[2] != '\r'; p = strstr(p + 2, "\r\n")) {
    size_t n = strlen(name);
    if (strncasecmp(p + 2, name, n) == 0 && p[2 + n] == ':') {
      const char *v = p + 3 + n;
      while (*v == ' ') v++;
      snprintf(out, cap, "%.*s", (int)strcspn(v, "\r\n"), v);
      return 1;
    }
  }
  return 0;
}

int tls_get(uint16_t port, const char *cert, const char *path, const char *headers, double seconds, unsigned char **body,
            size_t *len, char *head, size_t head_cap) {
  SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
  ASSERT_TRUE(ctx && SSL_CTX_load_verify_locations(ctx, cert, NULL) == 1);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
  int fd = nc_connect(port, 0);
  ASSERT_TRUE(fd >= 0);
  struct timeval tv = {0, 200000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  SSL *ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), "127.0.0.1");
  int status = -1;
  size_t cap = 1 << 20, n = 0;
  unsigned char *b = malloc(cap);
  if (SSL_connect(ssl) == 1) {
    char req[1024];
    int r = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nConnection: close\r\n%s\r\n", path, port,
                     headers ? headers : "");
    ASSERT_EQ_INT(SSL_write(ssl, req, r), r);
    for (double end = nc_now_s() + seconds; nc_now_s() < end && n < cap - 1;) {
      int got = SSL_read(ssl, b + n, (int)(cap - 1 - n));
      if (got > 0) {
        n += (size_t)got;
        continue;
      }
      if (SSL_get_error(ssl, got) == SSL_ERROR_ZERO_RETURN || (errno != EAGAIN && errno != EWOULDBLOCK)) break;
    }
    b[n] = 0;
    sscanf((char *)b, "HTTP/1.1 %d", &status);
  }
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  close(fd);
  unsigned char *e = (unsigned char *)strstr((char *)b, "\r\n\r\n");
  size_t off = e ? (size_t)(e + 4 - b) : n;
  if (head) snprintf(head, head_cap, "%.*s", (int)off, (char *)b);
  memmove(b, b + off, n - off + 1);
  *body = b;
  *len = n - off;
  return status;
}
