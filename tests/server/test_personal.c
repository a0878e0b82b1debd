/* Personal stations end to end: started with POST /api/personal, heard by
 * anyone with the name, steered only with their token (WebSocket field or
 * query, REST bearer or field; the operator's token does not), kept out of
 * the public lists, bounded per server and per address, ended after their
 * last listener left, and their slot and descriptors given back. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/fixture.h"
#include "support/harness.h"

typedef struct mine {
  char station[40], token[64];
  uint64_t seed;
} mine;

/* POST /api/personal with body (NULL: none), asked again while the answer
 * is 503 for up to retry_s: the answer, checked. */
static mine start_personal_within(uint16_t port, const char *body, double retry_s) {
  char *resp;
  double t0 = nc_now_s();
  int status;
  while ((status = nc_http(port, "POST", "/api/personal", NULL, body, &resp, NULL)) == 503 && nc_now_s() - t0 < retry_s) {
    free(resp);
    nap_ms(100);
  }
  if (status != 201) fail_msg("POST /api/personal: %d %s", status, resp ? resp : "");
  json_t *j = parse(resp);
  mine m = {0};
  snprintf(m.station, sizeof m.station, "%s", json_string_value(json_object_get(j, "station")));
  snprintf(m.token, sizeof m.token, "%s", json_string_value(json_object_get(j, "token")));
  m.seed = (uint64_t)json_integer_value(json_object_get(j, "seed"));
  /* "p-" and 64 random bits; 128 random bits of token, in hex. */
  ASSERT_EQ_INT(strlen(m.station), 18);
  ASSERT_TRUE(strncmp(m.station, "p-", 2) == 0);
  ASSERT_EQ_INT(strlen(m.token), 32);
  for (int i = 0; i < 32; i++) ASSERT_TRUE(isxdigit((unsigned char)m.token[i]));
  ASSERT_TRUE(m.seed >= 1);
  ASSERT_EQ_INT(json_integer_value(json_object_get(json_object_get(j, "params"), "seed")), m.seed);
  char ws[64];
  snprintf(ws, sizeof ws, "/ws/stream?station=%s", m.station);
  ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(j, "listen"), "ws")), ws);
  json_decref(j);
  free(resp);
  return m;
}

static mine start_personal(uint16_t port, const char *body) { return start_personal_within(port, body, 0); }

static int http_status(uint16_t port, const char *method, const char *path, const char *headers, const char *body) {
  char *resp;
  int s = nc_http(port, method, path, headers, body, &resp, NULL);
  free(resp);
  return s;
}

/* Whether GET path's body holds needle. */
static int body_has(uint16_t port, const char *path, const char *needle) {
  char *resp;
  ASSERT_EQ_INT(nc_http(port, "GET", path, NULL, NULL, &resp, NULL), 200);
  int has = strstr(resp, needle) != NULL;
  free(resp);
  return has;
}

static void test_start_listen_and_steer_alone(void **state) {
  (void)state;
  lull_server *srv = start(&(lull_server_config){.max_personal = 4, .threads = 2, .control_token = "operator-token"});
  uint16_t port = lull_server_port(srv);
  mine a = start_personal(port, "{\"key\":\"D\",\"mode\":\"dorian\",\"bpm\":72}");
  mine b = start_personal(port, NULL);
  ASSERT_TRUE(strcmp(a.station, b.station) != 0);
  ASSERT_TRUE(strcmp(a.token, b.token) != 0);
  ASSERT_TRUE(a.seed != b.seed);
  /* Composed as asked, with its own seed. */
  lull_station *st = lull_server_station(srv, a.station);
  ASSERT_TRUE(st == NULL); /* the library's lookup names the configured stations only */
  char path[160];

  /* Anyone may listen: the hello says it is personal, and who steers. */
  snprintf(path, sizeof path, "/ws/stream?station=%s", a.station);
  nc_ws other;
  char *body = NULL;
  ASSERT_EQ_INT(nc_ws_open(&other, port, path, NULL, 0, &body), 101);
  json_t *hello = next_text(&other, "hello", 2000);
  ASSERT_TRUE(hello != NULL);
  ASSERT_STR_EQ(json_string_value(json_object_get(hello, "station")), a.station);
  ASSERT_STR_EQ(json_string_value(json_object_get(hello, "control")), "personal");
  ASSERT_STR_EQ(json_string_value(json_object_get(hello, "steer")), "personal");
  ASSERT_STR_EQ(json_string_value(json_object_get(hello, "title")), "Listening alone");
  ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(hello, "params"), "key")), "D");
  ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(hello, "params"), "mode")), "dorian");
  ASSERT_NEAR(params_num(hello, "bpm"), 72, 1e-6);
  ASSERT_EQ_INT(params_num(hello, "seed"), a.seed);
  /* The public list in the hello does not name it. */
  char *names = json_dumps(json_object_get(hello, "stations"), 0);
  ASSERT_TRUE(strstr(names, "p-") == NULL);
  free(names);
  json_decref(hello);

  /* Its audio comes, gapless. */
  int err;
  OpusDecoder *dec = opus_decoder_create(48000, 2, &err);
  wsstat ws = {.last_seq = -1};
  double t0 = nc_now_s();
  while (ws.packets < 100 && nc_now_s() - t0 < 10)
    if (nc_ws_recv(&other, 500) == 2) ws_packets(&other, &ws, dec, LULL_CODEC_OPUS);
  opus_decoder_destroy(dec);
  ASSERT_GE(ws.packets, 100);
  ASSERT_EQ_INT(ws.gaps, 0);
  ASSERT_EQ_INT(ws.bad, 0);
  ASSERT_GE(ws.sumsq / (double)ws.sumn, 1e-7); /* not silence */

  /* Another listener cannot steer it: no token, a wrong one, the operator's. */
  expect_error(&other, "{\"type\":\"control\",\"key\":\"E\"}", "unauthorized", "token");
  expect_error(&other, "{\"type\":\"control\",\"key\":\"E\",\"token\":\"0123456789abcdef0123456789abcdef\"}", "unauthorized",
               "token");
  expect_error(&other, "{\"type\":\"control\",\"key\":\"E\",\"token\":\"operator-token\"}", "unauthorized", "token");
  /* b's token is b's only. */
  char msg[256];
  snprintf(msg, sizeof msg, "{\"type\":\"control\",\"key\":\"E\",\"token\":\"%s\"}", b.token);
  expect_error(&other, msg, "unauthorized", "token");
  snprintf(path, sizeof path, "/api/stations/%s/params", a.station);
  ASSERT_EQ_INT(http_status(port, "POST", path, NULL, "{\"key\":\"E\"}"), 401);
  ASSERT_EQ_INT(http_status(port, "POST", path, "Authorization: Bearer operator-token\r\n", "{\"key\":\"E\"}"), 401);
  char bearer[128];
  snprintf(bearer, sizeof bearer, "Authorization: Bearer %s\r\n", b.token);
  ASSERT_EQ_INT(http_status(port, "POST", path, bearer, "{\"key\":\"E\"}"), 401);
  ASSERT_TRUE(next_text(&other, "params", 300) == NULL); /* nothing changed */

  /* Its holder can: a field in a message, then a bearer. */
  snprintf(msg, sizeof msg, "{\"type\":\"control\",\"intensity\":0.8,\"token\":\"%s\"}", a.token);
  ASSERT_EQ_INT(nc_ws_send(&other, 1, msg, strlen(msg)), 0);
  json_t *p = next_text(&other, "params", 2000);
  ASSERT_TRUE(p != NULL);
  ASSERT_NEAR(params_num(p, "intensity"), 0.8, 1e-6);
  ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(p, "change"), "by")), "listener");
  json_decref(p);
  snprintf(bearer, sizeof bearer, "Authorization: Bearer %s\r\n", a.token);
  ASSERT_EQ_INT(http_status(port, "POST", path, bearer, "{\"key\":\"E\"}"), 202);
  p = next_text(&other, "params", 2000);
  ASSERT_TRUE(p != NULL);
  ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(p, "params"), "key")), "E");
  json_decref(p);
  /* A listener that opened with its token steers without repeating it; a
   * wrong token in the query is refused at the upgrade. */
  snprintf(path, sizeof path, "/ws/stream?station=%s&token=%s", a.station, a.token);
  nc_ws owner = ws_open(port, path);
  const char *bpm = "{\"type\":\"control\",\"bpm\":80}";
  ASSERT_EQ_INT(nc_ws_send(&owner, 1, bpm, strlen(bpm)), 0);
  p = next_text(&owner, "params", 2000);
  ASSERT_TRUE(p != NULL);
  ASSERT_NEAR(params_num(p, "bpm"), 80, 1e-6);
  json_decref(p);
  snprintf(path, sizeof path, "/ws/stream?station=%s&token=%s", a.station, b.token);
  expect_upgrade(port, path, NULL, 401, "unauthorized");
  /* The shared station is steered as before (here with the operator's token). */
  ASSERT_EQ_INT(http_status(port, "POST", "/api/stations/main/params", "Authorization: Bearer operator-token\r\n",
                            "{\"bpm\":70}"),
                202);

  /* Over HTTP too, and its picture and recent audio. */
  snprintf(path, sizeof path, "/stream.ogg?station=%s", b.station);
  int fd = nc_connect(port, 0);
  unsigned char *pre = NULL;
  size_t pre_len = 0;
  ASSERT_EQ_INT(nc_stream_open(fd, path, &pre, &pre_len), 200);
  unsigned char buf[8192];
  long got = 0;
  for (int i = 0; i < 20 && got < 4000; i++) {
    long n = nc_read(fd, buf, sizeof buf, 500);
    if (n > 0) got += n;
  }
  ASSERT_GE(got + (long)pre_len, 4000);
  free(pre);
  close(fd);
  snprintf(path, sizeof path, "/api/stations/%s/artwork.png?size=96", b.station);
  ASSERT_EQ_INT(http_status(port, "GET", path, NULL, NULL), 200);

  /* Read alone, as /api/status shows each station. */
  snprintf(path, sizeof path, "/api/stations/%s", a.station);
  char *one;
  ASSERT_EQ_INT(nc_http(port, "GET", path, NULL, NULL, &one, NULL), 200);
  json_t *oj = parse(one);
  ASSERT_STR_EQ(json_string_value(json_object_get(oj, "name")), a.station);
  ASSERT_STR_EQ(json_string_value(json_object_get(oj, "steer")), "personal");
  ASSERT_NEAR(params_num(oj, "bpm"), 80, 1e-6);
  ASSERT_EQ_INT(json_integer_value(json_object_get(json_object_get(oj, "listeners"), "total")), 2);
  json_decref(oj);
  free(one);
  ASSERT_EQ_INT(http_status(port, "GET", "/api/stations/main", NULL, NULL), 200);
  expect_http(port, "GET", "/api/stations/nothing-here", NULL, NULL, 404, "unknown_station");
  expect_http(port, "GET", "/api/stations/Bad_Name", NULL, NULL, 400, "bad_station");
  expect_http(port, "POST", "/api/stations/main", NULL, "{}", 405, "method_not_allowed");

  /* Out of every public list. */
  ASSERT_TRUE(!body_has(port, "/api/stations", "p-"));
  ASSERT_TRUE(!body_has(port, "/api/status", "p-"));
  ASSERT_TRUE(!body_has(port, "/metrics", "p-"));
  ASSERT_TRUE(!body_has(port, "/listen.m3u", "p-"));
  nc_ws_close(&owner);
  nc_ws_close(&other);
  free(body);
  lull_server_destroy(srv);
}

static void test_limits_and_bad_requests(void **state) {
  (void)state;
  /* None offered. */
  lull_server *off = start(NULL);
  expect_http(lull_server_port(off), "POST", "/api/personal", NULL, NULL, 403, "personal_off");
  lull_server_destroy(off);

  lull_server *srv = start(&(lull_server_config){.max_personal = 2});
  uint16_t port = lull_server_port(srv);
  expect_http(port, "GET", "/api/personal", NULL, NULL, 405, "method_not_allowed");
  expect_http(port, "POST", "/api/personal", NULL, "{\"key\":\"H\"}", 400, "out_of_range");
  expect_http(port, "POST", "/api/personal", NULL, "{\"bpm\":\"fast\"}", 400, "wrong_type");
  expect_http(port, "POST", "/api/personal", NULL, "{\"seed\":3}", 400, "unknown_field");
  expect_http(port, "POST", "/api/personal", NULL, "{\"token\":\"mine\"}", 400, "bad_message");
  expect_http(port, "POST", "/api/personal", NULL, "{\"key\":", 400, "bad_json");
  expect_http(port, "POST", "/api/personal", "Content-Type: text/plain\r\nContent-Length: 2\r\n", NULL, 415,
              "unsupported_media_type");
  expect_http(port, "POST", "/api/personal", "Content-Type: application/json\r\nContent-Length: 99999\r\n", NULL, 413,
              "too_large");
  /* An empty JSON body and none at all both mean the defaults. */
  mine a = start_personal(port, "{}");
  mine b = start_personal(port, NULL);
  (void)a;
  (void)b;
  char *resp;
  ASSERT_EQ_INT(nc_http(port, "POST", "/api/personal", NULL, NULL, &resp, NULL), 503);
  json_t *j = parse(resp);
  ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(j, "error"), "code")), "personal_full");
  ASSERT_STR_CONTAINS(json_string_value(json_object_get(json_object_get(j, "error"), "message")), "all 2 personal stations");
  json_decref(j);
  free(resp);
  /* Unknown and malformed names. */
  expect_http(port, "GET", "/stream.ogg?station=p-0000000000000000", NULL, NULL, 404, "unknown_station");
  expect_http(port, "POST", "/api/stations/p-0000000000000000/params", NULL, "{\"key\":\"D\"}", 404, "unknown_station");
  expect_upgrade(port, "/ws/stream?station=p-0000000000000000", NULL, 404, "unknown_station");
  lull_server_destroy(srv);

  /* One address has at most three at once. */
  srv = start(&(lull_server_config){.max_personal = 8});
  port = lull_server_port(srv);
  for (int i = 0; i < 3; i++) start_personal(port, NULL);
  expect_http(port, "POST", "/api/personal", NULL, NULL, 429, "too_many_personal");
  lull_server_destroy(srv);

  /* Configured names may not take the personal ones' form. */
  lull_station_config p = {.name = "p-1"};
  lull_server *bad = NULL;
  lull_diag d = {0};
  ASSERT_EQ_INT(lull_server_create(&(lull_server_config){.stations = &p, .n_stations = 1}, &bad, &d), LULL_EINVAL);
  ASSERT_STR_CONTAINS(d.message, "personal");
  ASSERT_EQ_INT(lull_server_create(&(lull_server_config){.max_personal = 65}, &bad, &d), LULL_ERANGE);
  ASSERT_STR_EQ(d.field, "max_personal");
}

/* Wait until path answers want (or give up after limit_s): the status. */
static int wait_status(uint16_t port, const char *path, int want, double limit_s) {
  double t0 = nc_now_s();
  int s;
  while ((s = http_status(port, "GET", path, NULL, NULL)) != want && nc_now_s() - t0 < limit_s) nap_ms(100);
  return s;
}

static void test_ends_when_nobody_listens(void **state) {
  (void)state;
  logcap *cap = calloc(1, sizeof *cap);
  lull_server *srv = start_logged(&(lull_server_config){.max_personal = 1, .personal_idle_s = 1, .threads = 2}, cap);
  uint16_t port = lull_server_port(srv);
  int fds = open_fds();
  mine m[4];
  for (int round = 0; round < 4; round++) {
    /* An ended station's slot is free once every network thread has let
     * its feeds go (a sweep or two): 503 until then. */
    m[round] = start_personal_within(port, NULL, 5);
    char art[512], path[512];
    snprintf(art, sizeof art, "/api/stations/%s/artwork.png", m[round].station);
    snprintf(path, sizeof path, "/ws/stream?station=%s", m[round].station);
    /* Listeners on both network threads keep it; it outlives the idle
     * time while they listen. */
    nc_ws l[4];
    for (int i = 0; i < 4; i++) l[i] = ws_open(port, path);
    double t0 = nc_now_s();
    while (nc_now_s() - t0 < 2.0)
      for (int i = 0; i < 4; i++) nc_ws_recv(&l[i], 10);
    ASSERT_EQ_INT(http_status(port, "GET", art, NULL, NULL), 200);
    /* The slot is taken: no second one. */
    expect_http(port, "POST", "/api/personal", NULL, NULL, 503, "personal_full");
    for (int i = 0; i < 4; i++) nc_ws_close(&l[i]);
    /* Then it ends, and the slot is free for the next. */
    ASSERT_EQ_INT(wait_status(port, art, 404, 10), 404);
    expect_upgrade(port, path, NULL, 404, "unknown_station");
  }
  ASSERT_GE(logged(cap, "ends: nobody listened for 1 s"), 4);
  /* The shared station played on throughout, and the descriptors came back. */
  ASSERT_TRUE(wait_listeners(port, 0, 5));
  ASSERT_LE(open_fds(), fds + 2);
  for (int round = 0; round < 4; round++) {
    ASSERT_EQ_INT(logged(cap, m[round].token), 0); /* no token is ever logged */
    ASSERT_GE(logged(cap, m[round].station), 2);   /* but each start and end is */
  }
  lull_server_destroy(srv);
  free(cap);
}

/* The float WAV `lull render` wrote: its interleaved stereo samples (malloc'd), *frames. */
static float *read_float_wav(const char *path, size_t *frames) {
  FILE *f = fopen(path, "rb");
  ASSERT_TRUE(f != NULL);
  unsigned char head[12];
  ASSERT_EQ_INT(fread(head, 1, 12, f), 12);
  ASSERT_TRUE(memcmp(head, "RIFF", 4) == 0 && memcmp(head + 8, "WAVE", 4) == 0);
  for (;;) {
    unsigned char ch[8];
    ASSERT_EQ_INT(fread(ch, 1, 8, f), 8);
    uint32_t n = (uint32_t)ch[4] | (uint32_t)ch[5] << 8 | (uint32_t)ch[6] << 16 | (uint32_t)ch[7] << 24;
    if (memcmp(ch, "data", 4) != 0) {
      fseek(f, (long)(n + (n & 1)), SEEK_CUR);
      continue;
    }
    float *x = malloc(n);
    ASSERT_EQ_INT(fread(x, 1, n, f), n);
    fclose(f);
    *frames = n / 8;
    return x;
  }
}

/* A personal station's seed and params make it again offline: its first
 * seconds, heard as PCM, are what `lull render --seed` writes (to the
 * 16-bit rounding). */
static void test_the_seed_renders_it_again(void **state) {
  (void)state;
  lull_server *srv = start(&(lull_server_config){.max_personal = 1});
  uint16_t port = lull_server_port(srv);
  mine m = start_personal(port, "{\"key\":\"D\",\"mode\":\"dorian\",\"bpm\":90,\"intensity\":0.6,\"palette\":\"glass\"}");
  char path[128];
  snprintf(path, sizeof path, "/ws/stream?station=%s&codec=pcm", m.station);
  nc_ws ws = ws_open(port, path);
  enum { WANT = 3 * 48000 };
  int16_t *heard = calloc(2 * WANT, sizeof *heard);
  uint64_t first = UINT64_MAX, got = 0;
  double t0 = nc_now_s();
  while (got < WANT && nc_now_s() - t0 < 20) {
    if (nc_ws_recv(&ws, 500) != 2) continue;
    const unsigned char *p = ws.msg, *end = ws.msg + ws.msg_len;
    lull_wire_header h;
    while (p < end && lull__wire_get(p, (size_t)(end - p), &h) == LULL_OK) {
      const unsigned char *d = p + LULL_WIRE_HEADER_BYTES;
      if (first == UINT64_MAX) first = h.position;
      for (uint32_t i = 0; i < h.length / 4 && h.position + i - first < WANT; i++)
        for (int c = 0; c < 2; c++)
          heard[2 * (h.position + i - first) + c] = (int16_t)(uint16_t)(d[4 * i + 2 * c] | d[4 * i + 2 * c + 1] << 8);
      got = h.position + h.length / 4 - first;
      p = d + h.length;
    }
  }
  nc_ws_close(&ws);
  ASSERT_GE(got, WANT);
  char wav[64], cmd[512];
  snprintf(wav, sizeof wav, "/tmp/lull-personal-%d.wav", (int)getpid());
  snprintf(cmd, sizeof cmd,
           "%s render --quiet --minutes 0.2 --key D --mode dorian --bpm 90 --intensity 0.6 --palette glass --seed %llu "
           "--bits float -o %s",
           LULL_BIN, (unsigned long long)m.seed, wav);
  ASSERT_EQ_INT(system(cmd), 0);
  size_t frames;
  float *made = read_float_wav(wav, &frames);
  unlink(wav);
  ASSERT_GE(frames, first + WANT);
  double worst = 0, energy = 0;
  for (size_t i = 0; i < 2 * (size_t)WANT; i++) {
    double want = (double)made[2 * first + i] * 32767.0, diff = fabs((double)heard[i] - want);
    if (diff > worst) worst = diff;
    energy += want * want;
  }
  print_message("# personal station from frame %llu: %d frames heard against the render, worst %.2f LSB\n",
                (unsigned long long)first, WANT, worst);
  ASSERT_GE(energy / (2.0 * WANT), 100.0); /* music, not two silences */
  ASSERT_LE(worst, 1.0);
  free(made);
  free(heard);
  lull_server_destroy(srv);
}

/* Send raw on fd, then read whatever comes until the server closes (or
 * timeout_ms pass): what came, and whether it closed. */
static int raw_exchange(int fd, const char *req, char *out, size_t cap, int timeout_ms) {
  ASSERT_EQ_INT(write(fd, req, strlen(req)), (long)strlen(req));
  size_t got = 0;
  double t0 = nc_now_s();
  while (nc_now_s() - t0 < timeout_ms / 1000.0) {
    long n = nc_read(fd, out + got, cap - 1 - got, 100);
    if (n == 0) {
      out[got] = 0;
      return 1; /* closed */
    }
    if (n > 0) got += (size_t)n;
  }
  out[got] = 0;
  return 0;
}

static void test_what_the_review_found(void **state) {
  (void)state;
  logcap *cap = calloc(1, sizeof *cap);
  lull_server *srv = start_logged(&(lull_server_config){.max_personal = 2, .personal_idle_s = 10,
                                                        .stations = &(lull_station_config){.name = "main", .recent_minutes = 1},
                                                        .n_stations = 1},
                                  cap);
  uint16_t port = lull_server_port(srv);
  /* One nobody listens to ends after a tenth of the idle time; one that
   * had a listener keeps the whole of it. */
  mine unheard = start_personal(port, NULL), heard = start_personal(port, NULL);
  char path[160], unheard_art[160], heard_art[160];
  snprintf(unheard_art, sizeof unheard_art, "/api/stations/%s", unheard.station);
  snprintf(heard_art, sizeof heard_art, "/api/stations/%s", heard.station);
  snprintf(path, sizeof path, "/ws/stream?station=%s", heard.station);
  nc_ws l = ws_open(port, path);
  nc_ws_close(&l);
  ASSERT_EQ_INT(wait_status(port, unheard_art, 404, 10), 404);
  ASSERT_EQ_INT(http_status(port, "GET", heard_art, NULL, NULL), 200);
  ASSERT_GE(logged(cap, "nobody listened for 1 s since it started"), 1);
  /* The status says how many run. */
  char *body;
  ASSERT_EQ_INT(nc_http(port, "GET", "/api/status", NULL, NULL, &body, NULL), 200);
  json_t *j = parse(body);
  json_t *p = json_object_get(j, "personal");
  ASSERT_EQ_INT(json_integer_value(json_object_get(p, "max")), 2);
  ASSERT_EQ_INT(json_integer_value(json_object_get(p, "started")), 2);
  ASSERT_LE(json_integer_value(json_object_get(p, "running")), 2);
  json_decref(j);
  free(body);
  ASSERT_TRUE(body_has(port, "/metrics", "lull_personal_started_total 2\n"));

  /* A POST that names no length is answered, then the connection closes
   * (it would otherwise wait for a body); a chunked one is refused. (First
   * the ended one's slot comes back.) */
  for (double t = nc_now_s(); !body_has(port, "/metrics", "lull_personal_stations 1\n") && nc_now_s() - t < 5;) nap_ms(100);
  int fd = nc_connect(port, 0);
  char resp[4096];
  ASSERT_TRUE(raw_exchange(fd, "POST /api/personal HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", resp, sizeof resp, 3000));
  ASSERT_STR_CONTAINS(resp, "HTTP/1.1 201");
  close(fd);
  fd = nc_connect(port, 0);
  ASSERT_TRUE(raw_exchange(fd,
                           "POST /api/personal HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                           "5\r\n{\"a\":\r\n0\r\n\r\n",
                           resp, sizeof resp, 3000));
  ASSERT_STR_CONTAINS(resp, "HTTP/1.1 411");
  ASSERT_STR_CONTAINS(resp, "length_required");
  close(fd);

  /* Downloads on a kept-alive connection, answered or refused, one after
   * the other (the session is not touched after an answer: ASan sees it). */
  fd = nc_connect(port, 0);
  const char *reqs[] = {"HEAD /api/stations/main/recent.ogg HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
                        "GET /api/stations/main/recent.ogg?minutes=99 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
                        "HEAD /api/stations/main/recent.ogg HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"};
  const char *want[] = {"HTTP/1.1 200", "HTTP/1.1 400", "HTTP/1.1 200"};
  for (int i = 0; i < 3; i++) {
    raw_exchange(fd, reqs[i], resp, sizeof resp, 500);
    ASSERT_STR_CONTAINS(resp, want[i]);
  }
  close(fd);

  /* A download of a personal station does not keep it: it ends at its
   * time while the download goes on, and its slot is free again. */
  snprintf(path, sizeof path, "/ws/stream?station=%s", heard.station);
  l = ws_open(port, path);
  double t0 = nc_now_s();
  while (nc_now_s() - t0 < 2.5) nc_ws_recv(&l, 50);
  fd = nc_connect(port, 4096);
  char req[256];
  snprintf(req, sizeof req, "GET /api/stations/%s/recent.ogg HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", heard.station);
  ASSERT_EQ_INT(write(fd, req, strlen(req)), (long)strlen(req));
  long n = nc_read(fd, resp, 64, 2000); /* a little, then nothing: it stalls */
  ASSERT_GE(n, 12);
  ASSERT_TRUE(strncmp(resp, "HTTP/1.1 200", 12) == 0);
  nc_ws_close(&l);
  ASSERT_EQ_INT(wait_status(port, heard_art, 404, 20), 404);
  mine again = start_personal_within(port, NULL, 5);
  ASSERT_TRUE(again.station[0] != 0);
  close(fd);
  lull_server_destroy(srv);
  free(cap);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_start_listen_and_steer_alone),
      cmocka_unit_test(test_limits_and_bad_requests),
      cmocka_unit_test(test_ends_when_nobody_listens),
      cmocka_unit_test(test_the_seed_renders_it_again),
      cmocka_unit_test(test_what_the_review_found),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
