/* recent.ogg end to end: a station plays a few seconds, the file of its
 * last minute is downloaded by a real client, read page by page as a
 * strict reader would (sequence, CRC, headers, granules, end of stream)
 * and decoded with libopusfile to the length the station had made; slow
 * and vanishing downloaders stall no listener and give their place back;
 * every bad request gets its JSON error. */
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "server/fixture.h"
#include "support/decode.h"
#include "support/harness.h"
#include "support/oggcheck.h"

/* Station main keeps a minute and has a title; quiet keeps none. */
static lull_server *start_two(uint32_t bitrate) {
  static lull_station_config st[2];
  st[0] = (lull_station_config){.name = "main", .title = "Main room", .recent_minutes = 1, .bitrate = bitrate};
  st[1] = (lull_station_config){.name = "quiet"};
  return start(&(lull_server_config){.stations = st, .n_stations = 2});
}

static void wait_frames(lull_server *srv, uint64_t frames) {
  for (int i = 0; i < 500 && station_frames(srv) < frames; i++) nap_ms(20);
  ASSERT_GE(station_frames(srv), frames);
}

static void check_file(const unsigned char *file, size_t len, ogg_report *rep) {
  char why[200];
  if (ogg_check(file, len, rep, why, sizeof why)) fail_msg("recent.ogg: %s", why);
}

static void test_recent_ogg_is_the_last_of_what_played(void **state) {
  (void)state;
  lull_server *srv = start_two(0);
  uint16_t port = lull_server_port(srv);
  wait_frames(srv, 200); /* 4 s */
  uint64_t before = station_frames(srv);
  char *body, head[4096], v[128];
  size_t len;
  ASSERT_EQ_INT(nc_http_head(port, "GET", "/api/stations/main/recent.ogg?minutes=1", NULL, NULL, &body, &len, head,
                             sizeof head), 200);
  uint64_t after = station_frames(srv);
  ASSERT_TRUE(http_header(head, "content-type", v, sizeof v));
  ASSERT_STR_EQ(v, "audio/ogg");
  ASSERT_TRUE(http_header(head, "content-disposition", v, sizeof v));
  ASSERT_STR_EQ(v, "attachment; filename=\"main-recent.ogg\"");
  ASSERT_TRUE(http_header(head, "content-length", v, sizeof v));
  ASSERT_EQ_INT(strtoull(v, NULL, 10), len);
  ASSERT_TRUE(http_header(head, "x-lull-seconds", v, sizeof v));
  double said = strtod(v, NULL);
  ogg_report rep;
  check_file((unsigned char *)body, len, &rep);
  ASSERT_EQ_INT(rep.preskip, 3840);
  ASSERT_STR_EQ(rep.title, "Main room");
  ASSERT_TRUE(rep.serial != 0x6c756c6c); /* not the live stream's */
  ASSERT_LE(rep.first_granule, 48000);    /* from 0: the first page is at most a second */
  ASSERT_GE(rep.first_granule, rep.preskip);
  ASSERT_EQ_INT(rep.last_granule, rep.packets * 960);
  /* Everything the station made before the request (it has run less than
   * the minute asked), nothing it had not made by the answer. */
  ASSERT_GE(rep.packets, before);
  ASSERT_LE(rep.packets, after);
  decoded d;
  ASSERT_EQ_INT(decode_ogg_opus((unsigned char *)body, len, &d), 0);
  print_message("# recent.ogg: %zu bytes, %llu packets, %.2f s decoded (said %.2f; %llu..%llu frames made), rms %.4f\n",
                len, (unsigned long long)rep.packets, d.seconds, said, (unsigned long long)before,
                (unsigned long long)after, d.rms);
  ASSERT_EQ_INT(d.channels, 2);
  ASSERT_EQ_INT(d.holes, 0);
  ASSERT_NEAR(d.seconds, (double)(rep.packets * 960 - 3840) / 48000.0, 1e-6);
  ASSERT_NEAR(d.seconds, said, 0.01);
  /* Against the seconds the station had run: within one page's worth. */
  ASSERT_NEAR(d.seconds, (double)before * 0.02 - 0.08, 1.0);
  ASSERT_GE(d.rms, 0.002);
  free(body);
  /* HEAD: the same headers, no body; minutes absent is 10 (here: all there is). */
  ASSERT_EQ_INT(nc_http_head(port, "HEAD", "/api/stations/main/recent.ogg", NULL, NULL, &body, &len, head, sizeof head), 200);
  ASSERT_EQ_INT(len, 0);
  ASSERT_TRUE(http_header(head, "content-length", v, sizeof v) && strtoull(v, NULL, 10) > 10000);
  free(body);
  /* What the page reads: whether each station keeps recent audio. */
  ASSERT_EQ_INT(nc_http(port, "GET", "/api/stations", NULL, NULL, &body, NULL), 200);
  json_t *j = parse(body);
  json_t *list = json_object_get(j, "stations");
  ASSERT_EQ_INT(json_integer_value(json_object_get(json_array_get(list, 0), "recent_minutes")), 1);
  ASSERT_EQ_INT(json_integer_value(json_object_get(json_array_get(list, 1), "recent_minutes")), 0);
  json_decref(j);
  free(body);
  ASSERT_EQ_INT(nc_http(port, "GET", "/api/status", NULL, NULL, &body, NULL), 200);
  j = parse(body);
  list = json_object_get(j, "stations");
  ASSERT_EQ_INT(json_integer_value(json_object_get(json_array_get(list, 0), "recent_minutes")), 1);
  json_decref(j);
  free(body);
  lull_server_destroy(srv);
}

/* A GET for recent.ogg on its own connection: the status, and the body's
 * first bytes (those that came with the head) in *pre (malloc'd). */
static int start_download(uint16_t port, int rcvbuf, int *fd, unsigned char **pre, size_t *pre_len) {
  *fd = nc_connect(port, rcvbuf);
  return nc_stream_open(*fd, "/api/stations/main/recent.ogg?minutes=1", pre, pre_len);
}

/* Four downloaders that read nothing (a tiny receive buffer) hold the four
 * places: a fifth is told to come back; a listener's packets keep coming
 * without a gap all the while; once they leave, their places are free. */
static void test_stalled_downloads_stall_nothing_else(void **state) {
  (void)state;
  lull_server *srv = start_two(256000); /* files larger than what the sockets and a chunk hold */
  uint16_t port = lull_server_port(srv);
  wait_frames(srv, 200);
  nc_ws ws = ws_open(port, "/ws/stream?station=main");
  int fd[4];
  unsigned char *pre[4];
  size_t pre_len[4];
  for (int i = 0; i < 4; i++) ASSERT_EQ_INT(start_download(port, 2048, &fd[i], &pre[i], &pre_len[i]), 200);
  expect_http(port, "GET", "/api/stations/main/recent.ogg", NULL, NULL, 503, "too_many_downloads");
  wsstat st = {.last_seq = -1};
  int err;
  OpusDecoder *dec = opus_decoder_create(48000, 2, &err);
  double t0 = nc_now_s();
  while (nc_now_s() - t0 < 1.5)
    if (nc_ws_recv(&ws, 100) == 2) ws_packets(&ws, &st, dec, LULL_CODEC_OPUS);
  opus_decoder_destroy(dec);
  print_message("# a listener beside 4 stalled downloads: %llu packets in 1.5 s, %llu gaps\n",
                (unsigned long long)st.packets, (unsigned long long)st.gaps);
  ASSERT_EQ_INT(st.gaps, 0);
  ASSERT_GE(st.packets, 60);
  /* One reads its file to the end, slowly but whole; the others vanish. */
  size_t cap = 1 << 21, len = pre_len[0];
  unsigned char *file = realloc(pre[0], cap);
  for (long n; (n = nc_read(fd[0], file + len, cap - len, 1000)) > 0;) len += (size_t)n;
  ogg_report rep;
  check_file(file, len, &rep);
  ASSERT_GE(rep.packets, 200);
  free(file);
  for (int i = 0; i < 4; i++) close(fd[i]);
  for (int i = 1; i < 4; i++) free(pre[i]);
  /* Their places come back: four downloads again, one after another. */
  int ok = 0;
  for (int i = 0; i < 100 && ok < 4; i++) {
    char *body;
    int status = nc_http(port, "GET", "/api/stations/main/recent.ogg?minutes=1", NULL, NULL, &body, NULL);
    free(body);
    if (status == 200) ok++;
    else nap_ms(20);
  }
  ASSERT_EQ_INT(ok, 4);
  nc_ws_close(&ws);
  lull_server_destroy(srv);
}

/* Every bad request: its status and JSON error, and the stream goes on. */
static void test_bad_requests(void **state) {
  (void)state;
  lull_server *srv = start_two(0);
  uint16_t port = lull_server_port(srv);
  wait_frames(srv, 50);
  expect_http(port, "GET", "/api/stations/nope/recent.ogg", NULL, NULL, 404, "unknown_station");
  expect_http(port, "GET", "/api/stations/Bad!/recent.ogg", NULL, NULL, 400, "bad_station");
  expect_http(port, "GET", "/api/stations/quiet/recent.ogg", NULL, NULL, 404, "recent_off");
  const char *bad[] = {"abc", "0", "31", "-1", "10x", "", "1.5", "+5", "99999999999"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    char path[128], *body;
    snprintf(path, sizeof path, "/api/stations/main/recent.ogg?minutes=%s", bad[i]);
    int status = nc_http(port, "GET", path, NULL, NULL, &body, NULL);
    if (status != 400) fail_msg("minutes=%s: %d, expected 400", bad[i], status);
    json_t *j = parse(body), *e = json_object_get(j, "error");
    ASSERT_STR_EQ(json_string_value(json_object_get(e, "field")), "minutes");
    ASSERT_STR_CONTAINS(json_string_value(json_object_get(e, "message")), "1 to 30");
    json_decref(j);
    free(body);
  }
  expect_http(port, "GET", "/api/stations/main/recent.ogg?minutes=5&hours=1", NULL, NULL, 400, "bad_request");
  expect_http(port, "POST", "/api/stations/main/recent.ogg", "Content-Type: application/json\r\n", "{}", 405,
              "method_not_allowed");
  expect_http(port, "DELETE", "/api/stations/main/recent.ogg", NULL, NULL, 405, "method_not_allowed");
  expect_http(port, "GET", "/api/stations/main/recent.mp3", NULL, NULL, 404, "not_found");
  /* The feature off for the whole server: 404, saying how to turn it on. */
  lull_server *off = start(NULL);
  char *body;
  ASSERT_EQ_INT(nc_http(lull_server_port(off), "GET", "/api/stations/main/recent.ogg", NULL, NULL, &body, NULL), 404);
  ASSERT_STR_CONTAINS(body, "--recent-minutes 1..30");
  free(body);
  lull_server_destroy(off);
  /* Still streaming. */
  uint64_t f = station_frames(srv);
  wait_frames(srv, f + 10);
  ASSERT_EQ_INT(nc_http(port, "GET", "/api/stations/main/recent.ogg?minutes=30", NULL, NULL, &body, NULL), 200);
  free(body);
  lull_server_destroy(srv);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_recent_ogg_is_the_last_of_what_played),
      cmocka_unit_test(test_stalled_downloads_stall_nothing_else),
      cmocka_unit_test(test_bad_requests),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
