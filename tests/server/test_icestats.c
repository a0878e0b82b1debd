/* /status-json.xsl (server/icestats.c): Icecast 2.4's shape with lull's
 * mounts, two a station; one mount picked with ?mount= gives "source" as an
 * object, all of them an array; listeners and their peak follow listeners
 * that come and go; bad arguments get JSON errors; personal stations are
 * not listed. (test_icecast compares
 * it key by key with a real icecast2.) */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "server/fixture.h"
#include "support/harness.h"

static const char *const top_keys[] = {"admin", "host", "location", "server_id", "server_start", "server_start_iso8601",
                                       "source"};
static const char *const source_keys[] = {
    "audio_info", "bitrate", "channels", "genre", "listener_peak", "listeners", "listenurl", "samplerate",
    "server_description", "server_name", "server_type", "server_url", "stream_start", "stream_start_iso8601", "title",
    "dummy"};

static json_t *icestats(uint16_t port, const char *query) {
  char path[128], *body;
  snprintf(path, sizeof path, "/status-json.xsl%s", query);
  int status = nc_http(port, "GET", path, NULL, NULL, &body, NULL);
  if (status != 200) fail_msg("GET %s: %d %s", path, status, body);
  json_t *j = parse(body);
  free(body);
  json_t *s = json_incref(json_object_get(j, "icestats"));
  json_decref(j);
  ASSERT_TRUE(s != NULL);
  return s;
}

/* A source's keys are Icecast's (subtype too for Ogg), each of its type. */
static void check_source(json_t *src, const char *name, const char *mount, uint16_t port) {
  ASSERT_EQ_INT(json_object_size(src), sizeof source_keys / sizeof *source_keys + (strstr(mount, ".ogg") != NULL));
  for (size_t k = 0; k < sizeof source_keys / sizeof *source_keys; k++)
    if (!json_object_get(src, source_keys[k])) fail_msg("%s has no %s", mount, source_keys[k]);
  static const char *const numbers[] = {"bitrate", "channels", "listener_peak", "listeners", "samplerate"};
  for (int k = 0; k < 5; k++) ASSERT_TRUE(json_is_integer(json_object_get(src, numbers[k])));
  ASSERT_TRUE(json_is_null(json_object_get(src, "dummy")));
  char url[128];
  snprintf(url, sizeof url, "http://127.0.0.1:%u%s", port, mount);
  ASSERT_STR_EQ(json_string_value(json_object_get(src, "listenurl")), url);
  snprintf(url, sizeof url, "http://127.0.0.1:%u/", port);
  ASSERT_STR_EQ(json_string_value(json_object_get(src, "server_url")), url);
  ASSERT_STR_EQ(json_string_value(json_object_get(src, "server_name")), name);
  int mp3 = strstr(mount, ".mp3") != NULL;
  ASSERT_STR_EQ(json_string_value(json_object_get(src, "server_type")), mp3 ? "audio/mpeg" : "audio/ogg");
  ASSERT_EQ_INT(json_integer_value(json_object_get(src, "bitrate")), mp3 ? 128 : 96);
  ASSERT_STR_EQ(json_string_value(json_object_get(src, "audio_info")),
                mp3 ? "bitrate=128;samplerate=48000;channels=2" : "bitrate=96;samplerate=48000;channels=2");
  if (!mp3) ASSERT_STR_EQ(json_string_value(json_object_get(src, "subtype")), "Opus");
  ASSERT_STR_CONTAINS(json_string_value(json_object_get(src, "title")), " bpm");
}

static void test_shape(void **state) {
  (void)state;
  lull_station_config st[2] = {{.name = "night", .title = "Night"}, {.name = "main"}};
  st[0].params = lull_params_default();
  st[0].params.key = 2;
  st[0].params.mode = LULL_MODE_DORIAN;
  time_t before = time(NULL);
  lull_server *srv = start(&(lull_server_config){.stations = st, .n_stations = 2});
  uint16_t port = lull_server_port(srv);
  for (int i = 0; i < 100 && station_frames(srv) == 0; i++) nap_ms(20);
  nap_ms(100); /* the stations' first frames: the title has a chord */
  json_t *s = icestats(port, "");
  ASSERT_EQ_INT(json_object_size(s), 7);
  for (int k = 0; k < 7; k++) ASSERT_TRUE(json_object_get(s, top_keys[k]) != NULL);
  for (int k = 0; k < 6; k++) ASSERT_TRUE(json_is_string(json_object_get(s, top_keys[k])));
  ASSERT_STR_EQ(json_string_value(json_object_get(s, "host")), "127.0.0.1");
  ASSERT_STR_CONTAINS(json_string_value(json_object_get(s, "server_id")), "lull ");
  /* The start, in both of Icecast's forms, in UTC: a second of this test's. */
  const char *iso = json_string_value(json_object_get(s, "server_start_iso8601"));
  int found = 0;
  for (time_t t = before; t <= time(NULL) && !found; t++) {
    struct tm tm;
    char want_iso[64], want_rfc[64];
    gmtime_r(&t, &tm);
    strftime(want_iso, sizeof want_iso, "%Y-%m-%dT%H:%M:%S+0000", &tm);
    strftime(want_rfc, sizeof want_rfc, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    if (strcmp(iso, want_iso) == 0) {
      ASSERT_STR_EQ(json_string_value(json_object_get(s, "server_start")), want_rfc);
      found = 1;
    }
  }
  if (!found) fail_msg("server_start_iso8601 %s is not a second of this test", iso);
  /* Every station's two mounts, MP3 first as Icecast sorts them. */
  json_t *src = json_object_get(s, "source");
  ASSERT_TRUE(json_is_array(src));
  ASSERT_EQ_INT(json_array_size(src), 4);
  check_source(json_array_get(src, 0), "Night", "/night.mp3", port);
  check_source(json_array_get(src, 1), "Night", "/night.ogg", port);
  check_source(json_array_get(src, 2), "main", "/main.mp3", port);
  check_source(json_array_get(src, 3), "main", "/main.ogg", port);
  ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(src, 0), "stream_start_iso8601")), iso);
  ASSERT_TRUE(strncmp(json_string_value(json_object_get(json_array_get(src, 0), "title")), "D dorian \xc2\xb7 ", 11) == 0);
  json_decref(s);
  /* One mount: "source" is that one object (Icecast's quirk). */
  s = icestats(port, "?mount=/night.ogg");
  ASSERT_TRUE(json_is_object(json_object_get(s, "source")));
  check_source(json_object_get(s, "source"), "Night", "/night.ogg", port);
  json_decref(s);
  s = icestats(port, "?mount=/stream.mp3"); /* what /stream.mp3 plays: main */
  check_source(json_object_get(s, "source"), "main", "/main.mp3", port);
  json_decref(s);
  lull_server_destroy(srv);
}

static long source_num(uint16_t port, const char *mount, const char *key) {
  char q[64];
  snprintf(q, sizeof q, "?mount=%s", mount);
  json_t *s = icestats(port, q);
  long v = (long)json_integer_value(json_object_get(json_object_get(s, "source"), key));
  json_decref(s);
  return v;
}

static void test_listeners_and_peak(void **state) {
  (void)state;
  lull_server *srv = start(NULL);
  uint16_t port = lull_server_port(srv);
  ASSERT_EQ_INT(source_num(port, "/main.mp3", "listeners"), 0);
  ASSERT_EQ_INT(source_num(port, "/main.mp3", "listener_peak"), 0);
  int fd[2];
  for (int i = 0; i < 2; i++) {
    fd[i] = nc_connect(port, 0);
    unsigned char *pre;
    size_t len;
    ASSERT_EQ_INT(nc_stream_open(fd[i], "/main.mp3", &pre, &len), 200);
    free(pre);
  }
  ASSERT_EQ_INT(source_num(port, "/main.mp3", "listeners"), 2);
  ASSERT_EQ_INT(source_num(port, "/main.mp3", "listener_peak"), 2);
  ASSERT_EQ_INT(source_num(port, "/main.ogg", "listeners"), 0);
  close(fd[0]);
  close(fd[1]);
  ASSERT_TRUE(wait_listeners(port, 0, 3));
  ASSERT_EQ_INT(source_num(port, "/main.mp3", "listeners"), 0);
  ASSERT_EQ_INT(source_num(port, "/main.mp3", "listener_peak"), 2);
  lull_server_destroy(srv);
}

static void test_bad_arguments(void **state) {
  (void)state;
  lull_server *srv = start(NULL);
  uint16_t port = lull_server_port(srv);
  expect_http(port, "GET", "/status-json.xsl?mount=/nope.mp3", NULL, NULL, 404, "unknown_mount");
  expect_http(port, "GET", "/status-json.xsl?mount=main.mp3", NULL, NULL, 400, "bad_mount");
  expect_http(port, "GET", "/status-json.xsl?mount=/main.flac", NULL, NULL, 400, "bad_mount");
  expect_http(port, "GET", "/status-json.xsl?mount=/a/b.mp3", NULL, NULL, 400, "bad_mount");
  expect_http(port, "GET", "/status-json.xsl?mount=/Main.mp3", NULL, NULL, 400, "bad_station");
  expect_http(port, "GET", "/status-json.xsl?mounts=/main.mp3", NULL, NULL, 400, "bad_request");
  expect_http(port, "GET", "/status-json.xsl", "X-Forwarded-Proto: gopher\r\n", NULL, 200, NULL); /* not a proxy: not read */
  expect_http(port, "POST", "/status-json.xsl", NULL, "{}", 405, "method_not_allowed");
  char *body;
  ASSERT_EQ_INT(nc_request(port, "GET /status-json.xsl HTTP/1.1\r\nHost: evil.example\r\n\r\n", &body, NULL, NULL, 0), 403);
  ASSERT_STR_CONTAINS(body, "forbidden_host");
  free(body);
  lull_server_destroy(srv);
}

/* A personal station plays at its mount, but neither the playlists nor
 * /status-json.xsl name it: it is in no public list. */
static void test_personal_stations_unlisted(void **state) {
  (void)state;
  lull_server *srv = start(&(lull_server_config){.max_personal = 2});
  uint16_t port = lull_server_port(srv);
  char *resp;
  ASSERT_EQ_INT(nc_http(port, "POST", "/api/personal", NULL, NULL, &resp, NULL), 201);
  json_t *j = parse(resp);
  char name[64], path[96];
  snprintf(name, sizeof name, "%s", json_string_value(json_object_get(j, "station")));
  json_decref(j);
  free(resp);
  snprintf(path, sizeof path, "/%s.mp3", name);
  int fd = nc_connect(port, 0);
  unsigned char *pre;
  size_t len;
  char head[2048], v[64];
  ASSERT_EQ_INT(nc_stream_open_head(fd, path, "Icy-MetaData: 1\r\n", &pre, &len, head, sizeof head), 200);
  ASSERT_TRUE(http_header(head, "icy-metaint", v, sizeof v));
  free(pre);
  json_t *s = icestats(port, "");
  ASSERT_EQ_INT(json_array_size(json_object_get(s, "source")), 2);
  char *dump = json_dumps(s, 0);
  ASSERT_TRUE(strstr(dump, name) == NULL);
  free(dump);
  json_decref(s);
  char q[128];
  snprintf(q, sizeof q, "/status-json.xsl?mount=%s", path);
  expect_http(port, "GET", q, NULL, NULL, 404, "unknown_mount");
  char *body;
  ASSERT_EQ_INT(nc_http(port, "GET", "/listen.m3u", NULL, NULL, &body, NULL), 200);
  ASSERT_TRUE(strstr(body, name) == NULL);
  free(body);
  close(fd);
  lull_server_destroy(srv);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_shape),
      cmocka_unit_test(test_listeners_and_peak),
      cmocka_unit_test(test_bad_arguments),
      cmocka_unit_test(test_personal_stations_unlisted),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
