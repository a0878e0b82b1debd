/* HTTP end to end: every stream (WebSocket, Ogg/Opus, MP3) played at once and
 * decoded (libopus, libopusfile, libmpg123), the page's files and their
 * caching, HEAD, the playlist, the mounts (/NAME.ogg, /NAME.mp3), and every
 * refusal with its JSON error. */
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include "support/decode.h"
#include <stdlib.h>
#include <string.h>

#include "server/fixture.h"
#include "support/harness.h"

static void test_every_stream_plays_and_decodes(void **state) {
  (void)state;
  lull_server *srv = start(NULL);
  uint16_t port = lull_server_port(srv);
  double t0 = nc_now_s();
  nc_ws opus = ws_open(port, "/ws/stream?station=main&codec=opus");
  nc_ws pcm = ws_open(port, "/ws/stream?codec=pcm");
  int ogg = nc_connect(port, 0), mp3 = nc_connect(port, 0);
  unsigned char *pre_ogg, *pre_mp3;
  size_t ogg_len, mp3_len;
  ASSERT_EQ_INT(nc_stream_open(ogg, "/stream.ogg?station=main", &pre_ogg, &ogg_len), 200);
  ASSERT_EQ_INT(nc_stream_open(mp3, "/stream.mp3", &pre_mp3, &mp3_len), 200);
  size_t ogg_cap = 1 << 21, mp3_cap = 1 << 21;
  pre_ogg = realloc(pre_ogg, ogg_cap);
  pre_mp3 = realloc(pre_mp3, mp3_cap);
  int err;
  OpusDecoder *dec = opus_decoder_create(48000, 2, &err);
  wsstat so = {.last_seq = -1}, sp = {.last_seq = -1};
  const double seconds = 10.5;
  while (nc_now_s() - t0 < seconds) {
    struct pollfd fds[4] = {{opus.fd, POLLIN, 0}, {pcm.fd, POLLIN, 0}, {ogg, POLLIN, 0}, {mp3, POLLIN, 0}};
    if (poll(fds, 4, 100) < 0) break;
    if (fds[0].revents)
      while (nc_ws_recv(&opus, 0) == 2) ws_packets(&opus, &so, dec, LULL_CODEC_OPUS);
    if (fds[1].revents)
      while (nc_ws_recv(&pcm, 0) == 2) ws_packets(&pcm, &sp, NULL, LULL_CODEC_PCM);
    if (fds[2].revents) {
      long n = nc_read(ogg, pre_ogg + ogg_len, ogg_cap - ogg_len, 0);
      ASSERT_TRUE(n > 0);
      ogg_len += (size_t)n;
    }
    if (fds[3].revents) {
      long n = nc_read(mp3, pre_mp3 + mp3_len, mp3_cap - mp3_len, 0);
      ASSERT_TRUE(n > 0);
      mp3_len += (size_t)n;
    }
  }
  /* WebSocket: consecutive, decodable, non-silent. (Its rate and the write
   * cadence of each kind are timed in test_cadence.) */
  wsstat *all[2] = {&so, &sp};
  for (int k = 0; k < 2; k++) {
    wsstat *s = all[k];
    double secs = (double)s->samples / 48000.0;
    double level = sqrt(s->sumsq / (double)s->sumn) / 32768.0;
    print_message("# ws %s: %llu packets (%.2f s of audio), %llu gaps, rms %.4f\n", k ? "pcm" : "opus",
                  (unsigned long long)s->packets, secs, (unsigned long long)s->gaps, level);
    ASSERT_EQ_INT(s->gaps, 0);
    ASSERT_EQ_INT(s->bad, 0);
    ASSERT_GE(secs, 10.0);
    ASSERT_GE(level, 0.005);
  }
  /* Ogg/Opus over HTTP: 48 kHz stereo, 10 s and more, non-silent. */
  decoded d;
  err = decode_ogg_opus(pre_ogg, ogg_len, &d);
  if (err) fail_msg("the Ogg stream does not open: %d (%zu bytes)", err, ogg_len);
  print_message("# ogg: %zu bytes, %.2f s decoded, %llu holes (the join), rms %.4f\n", ogg_len, d.seconds,
                (unsigned long long)d.holes, d.rms);
  ASSERT_EQ_INT(d.channels, 2);
  ASSERT_EQ_INT(d.rate, 48000);
  ASSERT_GE(d.seconds, 10.0);
  ASSERT_LE(d.holes, 1);
  ASSERT_GE(d.rms, 0.005);
  /* MP3: 48 kHz stereo, 10 s and more, non-silent. */
  ASSERT_EQ_INT(decode_mp3(pre_mp3, mp3_len, &d), 0);
  print_message("# mp3: %zu bytes, %ld Hz, %d channels, %.2f s decoded, rms %.4f\n", mp3_len, d.rate, d.channels,
                d.seconds, d.rms);
  ASSERT_EQ_INT(d.rate, 48000);
  ASSERT_EQ_INT(d.channels, 2);
  ASSERT_GE(d.seconds, 10.0);
  ASSERT_GE(d.rms, 0.005);
  opus_decoder_destroy(dec);
  free(pre_ogg);
  free(pre_mp3);
  close(ogg);
  close(mp3);
  nc_ws_close(&opus);
  nc_ws_close(&pcm);
  lull_server_destroy(srv);
}

/* Requests that cannot be served get the error that says why. */
static void test_bad_requests_get_clear_errors(void **state) {
  (void)state;
  lull_server *srv = start(&(lull_server_config){.control_token = "s3cret"});
  uint16_t port = lull_server_port(srv);
  expect_http(port, "GET", "/stream.ogg?station=nope", NULL, NULL, 404, "unknown_station");
  expect_http(port, "GET", "/stream.ogg?bitrate=9", NULL, NULL, 400, "bad_request");
  expect_http(port, "GET", "/nothing-here", NULL, NULL, 404, "not_found");
  expect_http(port, "GET", "/ws/stream", NULL, NULL, 400, "websocket_required");
  expect_http(port, "DELETE", "/api/status", NULL, NULL, 405, NULL);
  expect_http(port, "GET", "/api/stations/main/params", NULL, NULL, 405, "method_not_allowed");
  expect_http(port, "POST", "/api/stations/nope/params", NULL, "{\"bpm\":60}", 404, "unknown_station");
  expect_http(port, "POST", "/api/stations/main/params", "Authorization: Bearer s3cret\r\n", "{\"bpm\":", 400, "bad_json");
  expect_http(port, "POST", "/api/stations/main/params", "Authorization: Bearer s3cret\r\n", "{\"bpm\":2}", 400,
              "out_of_range");
  expect_http(port, "POST", "/api/stations/main/params", "Authorization: Bearer s3cret\r\n", "{}", 400, "bad_message");
  char *huge = malloc(6001);
  memset(huge, ' ', 6000);
  huge[0] = '{', huge[5999] = '}', huge[6000] = 0;
  expect_http(port, "POST", "/api/stations/main/params", "Authorization: Bearer s3cret\r\n", huge, 413, "too_large");
  free(huge);
  expect_http(port, "POST", "/api/stations/main/params", "Authorization: Bearer s3cret\r\n", "{\"bpm\":66}", 202, NULL);

  lull_server_destroy(srv);
}

/* The player's files: ETags and revalidation, HEAD, caching of the API, the playlist. */
static void test_assets_head_and_playlist(void **state) {
  (void)state;
  lull_server *srv = start(NULL);
  uint16_t port = lull_server_port(srv);
  char *body;
  size_t page_len, head_len;
  char head[4096], tag[64] = "", again[128];
  ASSERT_EQ_INT(nc_http_head(port, "GET", "/", NULL, NULL, &body, &page_len, head, sizeof head), 200);
  ASSERT_STR_CONTAINS(body, "<html");
  free(body);
  /* The page may compile WebAssembly (the Opus decoder), which is served. */
  ASSERT_STR_CONTAINS(head, "script-src 'self' 'wasm-unsafe-eval';");
  char vhead[4096];
  size_t vlen = 0;
  ASSERT_EQ_INT(nc_http_head(port, "GET", "/vendor/opus-decoder.min.js", NULL, NULL, &body, &vlen, vhead, sizeof vhead), 200);
  ASSERT_STR_CONTAINS(vhead, "content-type: text/javascript");
  int found = 0; /* the bundle, its WebAssembly inside (bytes that may hold a NUL) */
  for (size_t i = 0; i + 11 <= vlen && !found; i++) found = memcmp(body + i, "OpusDecoder", 11) == 0;
  ASSERT_TRUE(vlen > 50000 && found);
  free(body);
  /* The player's files carry an ETag; a browser holding that version gets
   * 304 and no body, one holding another gets the file. */
  const char *et = strstr(head, "\netag: "); /* lws writes names in lower case */
  ASSERT_TRUE(et && sscanf(et + 7, "%63s", tag) == 1 && tag[0] == '"');
  ASSERT_STR_CONTAINS(head, "cache-control: no-cache");
  snprintf(again, sizeof again, "If-None-Match: \"old\", %s\r\n", tag);
  ASSERT_EQ_INT(nc_http_head(port, "GET", "/", again, NULL, &body, &head_len, head, sizeof head), 304);
  ASSERT_EQ_INT(head_len, 0);
  ASSERT_STR_CONTAINS(head, tag);
  free(body);
  ASSERT_EQ_INT(nc_http(port, "GET", "/", "If-None-Match: *\r\n", NULL, &body, &head_len), 304);
  free(body);
  ASSERT_EQ_INT(nc_http(port, "GET", "/", "If-None-Match: \"old\"\r\n", NULL, &body, &head_len), 200);
  ASSERT_EQ_INT(head_len, page_len);
  free(body);
  /* The API is never kept. */
  ASSERT_EQ_INT(nc_http_head(port, "GET", "/api/status", NULL, NULL, &body, NULL, head, sizeof head), 200);
  ASSERT_STR_CONTAINS(head, "cache-control: no-store");
  free(body);
  /* HEAD: the headers GET would send, no body; a stream's HEAD is no listener. */
  ASSERT_EQ_INT(nc_http(port, "HEAD", "/", NULL, NULL, &body, &head_len), 200);
  ASSERT_EQ_INT(head_len, 0);
  free(body);
  ASSERT_EQ_INT(nc_http(port, "HEAD", "/stream.ogg", NULL, NULL, &body, &head_len), 200);
  ASSERT_EQ_INT(head_len, 0);
  free(body);
  ASSERT_EQ_INT(nc_http(port, "DELETE", "/", NULL, NULL, &body, NULL), 405);
  ASSERT_STR_CONTAINS(body, "only GET and HEAD");
  free(body);
  ASSERT_EQ_INT(nc_http(port, "GET", "/listen.m3u", NULL, NULL, &body, NULL), 200);
  ASSERT_STR_CONTAINS(body, "#EXTM3U");
  ASSERT_STR_CONTAINS(body, "/main.ogg\n");
  ASSERT_STR_CONTAINS(body, "/main.mp3\n");
  free(body);
  lull_server_destroy(srv);
}

/* Mounts, /NAME.ogg and /NAME.mp3: streams like /stream.ogg?station=NAME,
 * and they shadow nothing else; a mount that names no station, or takes an
 * argument, gets a JSON error. */
static void test_mounts(void **state) {
  (void)state;
  lull_station_config st[2] = {{.name = "night"}, {.name = "main"}};
  lull_server *srv = start(&(lull_server_config){.stations = st, .n_stations = 2});
  uint16_t port = lull_server_port(srv);
  static const struct {
    const char *path, *type;
  } routes[] = {{"/index.html", "text/html"}, {"/app.mjs", "text/javascript"}, {"/api/status", "application/json"},
                {"/metrics", "text/plain"}, {"/listen.m3u", "audio/x-mpegurl"}, {"/status-json.xsl", "application/json"}};
  for (size_t i = 0; i < sizeof routes / sizeof *routes; i++) {
    char *body, head[4096], type[128];
    ASSERT_EQ_INT(nc_http_head(port, "GET", routes[i].path, NULL, NULL, &body, NULL, head, sizeof head), 200);
    ASSERT_TRUE(http_header(head, "content-type", type, sizeof type));
    if (strncmp(type, routes[i].type, strlen(routes[i].type)) != 0) fail_msg("%s: %s", routes[i].path, type);
    free(body);
  }
  /* The mounts play their station's stream; /stream.ogg still plays main. */
  static const char *const streams[] = {"/night.ogg", "/night.mp3", "/main.mp3", "/stream.ogg"};
  for (int i = 0; i < 4; i++) {
    int fd = nc_connect(port, 0);
    unsigned char *pre;
    size_t len;
    char head[2048], v[64];
    ASSERT_EQ_INT(nc_stream_open_head(fd, streams[i], NULL, &pre, &len, head, sizeof head), 200);
    ASSERT_TRUE(http_header(head, "icy-name", v, sizeof v));
    ASSERT_STR_EQ(v, i < 2 ? "night" : "main");
    ASSERT_TRUE(http_header(head, "content-type", v, sizeof v));
    ASSERT_STR_EQ(v, strstr(streams[i], ".ogg") ? "audio/ogg" : "audio/mpeg");
    free(pre);
    close(fd);
  }
  ASSERT_TRUE(wait_listeners(port, 0, 3));
  expect_http(port, "GET", "/nope.ogg", NULL, NULL, 404, "unknown_station");
  expect_http(port, "HEAD", "/nope.mp3", NULL, NULL, 404, NULL);
  expect_http(port, "GET", "/Night.mp3", NULL, NULL, 400, "bad_station");
  expect_http(port, "GET", "/night.ogg?station=main", NULL, NULL, 400, "bad_request");
  expect_http(port, "GET", "/a/night.ogg", NULL, NULL, 404, "not_found");
  expect_http(port, "GET", "/night.flac", NULL, NULL, 404, "not_found");
  expect_http(port, "POST", "/night.ogg", NULL, "{}", 405, "method_not_allowed");
  lull_server_destroy(srv);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_stream_plays_and_decodes),
      cmocka_unit_test(test_bad_requests_get_clear_errors),
      cmocka_unit_test(test_assets_head_and_playlist),
      cmocka_unit_test(test_mounts),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
