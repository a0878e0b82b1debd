/* Playlists (server/playlist.c): /listen.m3u and /listen.pls list every
 * station's Ogg and MP3 streams with absolute URLs built from the Host the
 * client used (refused when the server would not answer to it), and from a
 * trusted proxy's X-Forwarded-Proto (ignored from anyone else); every URL
 * listed plays. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/fixture.h"
#include "support/harness.h"

static lull_server *start_three(const char *const *proxies, size_t n_proxies) {
  static lull_station_config st[3] = {{.name = "night", .title = "Night"}, {.name = "main"}, {.name = "stream"}};
  return start(&(lull_server_config){.stations = st, .n_stations = 3, .trusted_proxies = proxies,
                                     .n_trusted_proxies = n_proxies});
}

/* GET path with these header lines (Host among them, or none): the status,
 * and the body (free it). */
static int get(uint16_t port, const char *path, const char *headers, char **body) {
  char req[1024];
  snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nConnection: close\r\n%s\r\n", path, headers);
  return nc_request(port, req, body, NULL, NULL, 0);
}

static void expect_error_code(const char *body, const char *code, const char *field) {
  json_t *j = parse(body);
  json_t *e = json_object_get(j, "error");
  ASSERT_STR_EQ(json_string_value(json_object_get(e, "code")), code);
  ASSERT_STR_EQ(json_string_value(json_object_get(e, "field")), field);
  json_decref(j);
}

static void test_m3u_and_pls(void **state) {
  (void)state;
  lull_server *srv = start_three(NULL, 0);
  uint16_t port = lull_server_port(srv);
  char *body, host[64], expect[1024];
  snprintf(host, sizeof host, "Host: localhost:%u\r\n", port);
  ASSERT_EQ_INT(get(port, "/listen.m3u", host, &body), 200);
  snprintf(expect, sizeof expect,
           "#EXTM3U\n"
           "#EXTINF:-1,Night (Ogg/Opus)\nhttp://localhost:%u/night.ogg\n"
           "#EXTINF:-1,Night (MP3)\nhttp://localhost:%u/night.mp3\n"
           "#EXTINF:-1,main (Ogg/Opus)\nhttp://localhost:%u/main.ogg\n"
           "#EXTINF:-1,main (MP3)\nhttp://localhost:%u/main.mp3\n"
           "#EXTINF:-1,stream (Ogg/Opus)\nhttp://localhost:%u/stream.ogg?station=stream\n"
           "#EXTINF:-1,stream (MP3)\nhttp://localhost:%u/stream.mp3?station=stream\n",
           port, port, port, port, port, port);
  ASSERT_STR_EQ(body, expect);
  free(body);
  ASSERT_EQ_INT(get(port, "/listen.pls", host, &body), 200);
  ASSERT_TRUE(strncmp(body, "[playlist]\nNumberOfEntries=6\n", 29) == 0);
  snprintf(expect, sizeof expect, "File1=http://localhost:%u/night.ogg\nTitle1=Night (Ogg/Opus)\nLength1=-1\n", port);
  ASSERT_STR_CONTAINS(body, expect);
  snprintf(expect, sizeof expect, "File6=http://localhost:%u/stream.mp3?station=stream\nTitle6=stream (MP3)\nLength6=-1\n", port);
  ASSERT_STR_CONTAINS(body, expect);
  ASSERT_TRUE(strcmp(body + strlen(body) - 10, "Version=2\n") == 0);
  free(body);

  /* Every URL listed plays (its path, on this server). */
  ASSERT_EQ_INT(get(port, "/listen.m3u", host, &body), 200);
  int played = 0;
  for (char *line = strtok(body, "\n"); line; line = strtok(NULL, "\n")) {
    if (line[0] == '#') continue;
    const char *path = strchr(line + 7, '/');
    int fd = nc_connect(port, 0);
    unsigned char *pre;
    size_t len;
    char head[1024], type[64];
    ASSERT_EQ_INT(nc_stream_open_head(fd, path, NULL, &pre, &len, head, sizeof head), 200);
    ASSERT_TRUE(http_header(head, "content-type", type, sizeof type));
    ASSERT_STR_EQ(type, strstr(path, ".mp3") ? "audio/mpeg" : "audio/ogg");
    free(pre);
    close(fd);
    played++;
  }
  ASSERT_EQ_INT(played, 6);
  free(body);

  /* From a peer that is no trusted proxy, X-Forwarded-Proto is not believed. */
  snprintf(host, sizeof host, "Host: 127.0.0.1:%u\r\nX-Forwarded-Proto: https\r\n", port);
  ASSERT_EQ_INT(get(port, "/listen.m3u", host, &body), 200);
  ASSERT_STR_CONTAINS(body, "\nhttp://127.0.0.1:");
  ASSERT_TRUE(strstr(body, "https:") == NULL);
  free(body);
  /* No Host (HTTP/1.0): the address the server is bound to. */
  char req[128];
  ASSERT_EQ_INT(nc_request(port, "GET /listen.pls HTTP/1.0\r\n\r\n", &body, NULL, NULL, 0), 200);
  snprintf(req, sizeof req, "File2=http://127.0.0.1:%u/night.mp3\n", port);
  ASSERT_STR_CONTAINS(body, req);
  free(body);
  /* A Host this loopback server does not answer to (DNS rebinding), or not
   * a host at all: refused, naming the header. */
  ASSERT_EQ_INT(get(port, "/listen.m3u", "Host: evil.example\r\n", &body), 403);
  expect_error_code(body, "forbidden_host", "host");
  free(body);
  ASSERT_EQ_INT(get(port, "/listen.pls", "Host: a\"b\r\n", &body), 400);
  expect_error_code(body, "bad_request", "host");
  free(body);
  lull_server_destroy(srv);
}

/* Behind a TLS proxy (trusted): the scheme it names, the Host it passed. */
static void test_behind_a_trusted_proxy(void **state) {
  (void)state;
  const char *proxies[] = {"127.0.0.0/8"};
  lull_server *srv = start_three(proxies, 1);
  uint16_t port = lull_server_port(srv);
  char *body, h[160];
  snprintf(h, sizeof h, "Host: localhost\r\nX-Forwarded-Proto: https\r\nX-Forwarded-For: 203.0.113.9\r\n");
  ASSERT_EQ_INT(get(port, "/listen.m3u", h, &body), 200);
  ASSERT_STR_CONTAINS(body, "\nhttps://localhost/night.ogg\n");
  ASSERT_STR_CONTAINS(body, "\nhttps://localhost/main.mp3\n");
  free(body);
  /* A list: the client's side first. */
  ASSERT_EQ_INT(get(port, "/listen.pls", "Host: localhost\r\nX-Forwarded-Proto: https, http\r\n", &body), 200);
  ASSERT_STR_CONTAINS(body, "File1=https://localhost/night.ogg\n");
  free(body);
  ASSERT_EQ_INT(get(port, "/listen.pls", "Host: localhost\r\nX-Forwarded-Proto: HTTP\r\n", &body), 200);
  ASSERT_STR_CONTAINS(body, "File1=http://localhost/night.ogg\n");
  free(body);
  ASSERT_EQ_INT(get(port, "/listen.m3u", "Host: localhost\r\nX-Forwarded-Proto: gopher\r\n", &body), 400);
  expect_error_code(body, "bad_request", "x-forwarded-proto");
  free(body);
  /* A stream's icy-url says the same (the worker reads that head itself). */
  int fd = nc_connect(port, 0);
  unsigned char *pre;
  size_t len;
  char head[2048], v[128];
  ASSERT_EQ_INT(nc_stream_open_head(fd, "/night.mp3", "X-Forwarded-Proto: https\r\n", &pre, &len, head, sizeof head), 200);
  ASSERT_TRUE(http_header(head, "icy-url", v, sizeof v));
  ASSERT_STR_EQ(v, "https://127.0.0.1/");
  free(pre);
  close(fd);
  lull_server_destroy(srv);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_m3u_and_pls),
      cmocka_unit_test(test_behind_a_trusted_proxy),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
