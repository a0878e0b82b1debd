/* Status and metrics, as a monitoring tool reads them. */
#include <poll.h>
#include <signal.h>
#include <stdio.h>

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lull/lull.h"
#include "server/fixture.h"
#include "support/harness.h"
#include "support/prom.h"

static time_t main_started;

/* /api/status, /api/metrics and /api/stations as JSON (/metrics below). */
static void test_rest_json(void **state) {
  (void)state;
  lull_server *srv = start(NULL);
  uint16_t port = lull_server_port(srv);
  nc_ws ws = ws_open(port, "/ws/stream");
  const char *json_paths[] = {"/api/status", "/api/metrics", "/api/stations"};
  char *body;
  /* The chord is known once the station has made its first frame (a
   * sanitizer build may take a moment after the start). */
  for (int i = 0; i < 100 && station_frames(srv) == 0; i++) nap_ms(20);
  for (int i = 0; i < 3; i++) {
    ASSERT_EQ_INT(nc_http(port, "GET", json_paths[i], NULL, NULL, &body, NULL), 200);
    json_t *j = parse(body);
    if (i == 0) {
      ASSERT_STR_CONTAINS(json_string_value(json_object_get(j, "version")), ".");
      json_t *st = json_array_get(json_object_get(j, "stations"), 0);
      ASSERT_EQ_INT(json_integer_value(json_object_get(json_object_get(st, "listeners"), "ws_opus")), 1);
      json_t *lead = json_object_get(st, "lead_ms");
      /* Never more than the lead asked for (a sanitizer build may fall behind, so no lower bound). */
      ASSERT_TRUE(json_is_number(lead) && json_number_value(lead) <= 61);
      json_t *now = json_object_get(st, "now");
      ASSERT_TRUE(json_string_length(json_object_get(now, "chord")) > 0);
      /* Where the music is: a key and mode, and whether that is home. */
      lull_params where = lull_params_default();
      ASSERT_EQ_INT(lull_params_set(&where, "key", json_string_value(json_object_get(now, "key")), NULL), LULL_OK);
      ASSERT_TRUE(json_string_length(json_object_get(now, "mode")) > 0);
      ASSERT_TRUE(json_is_boolean(json_object_get(now, "home")));
    }
    json_decref(j);
    free(body);
  }
  nc_ws_close(&ws);
  lull_server_destroy(srv);
}

/* promtool check metrics on text, where Debian's prometheus package put it
 * (scripts/install-deps.sh): 1 if it passed, 0 if promtool is not here; a
 * failure fails the test with promtool's words. */
static int promtool_passes(const char *text) {
  if (system("command -v promtool >/dev/null 2>&1") != 0) return 0;
  char path[] = "/tmp/lull-metrics-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_TRUE(fd >= 0);
  size_t len = strlen(text);
  ASSERT_EQ_INT(write(fd, text, len), (long long)len);
  close(fd);
  char cmd[128], out[4096] = "";
  snprintf(cmd, sizeof cmd, "promtool check metrics < %s 2>&1", path);
  FILE *p = popen(cmd, "r");
  ASSERT_TRUE(p != NULL);
  size_t n = fread(out, 1, sizeof out - 1, p);
  out[n] = 0;
  int status = pclose(p);
  unlink(path);
  if (status != 0) fail_msg("promtool check metrics (exit %d):\n%s", WEXITSTATUS(status), out);
  return 1;
}

/* Read what the listeners were sent for ms milliseconds. */
static void listen_ms(nc_ws *ws, int ogg, int ms) {
  static unsigned char buf[1 << 16];
  double end = nc_now_s() + ms / 1000.0;
  while (nc_now_s() < end) {
    struct pollfd fds[2] = {{ws->fd, POLLIN, 0}, {ogg, POLLIN, 0}};
    if (poll(fds, 2, 20) < 0) break;
    if (fds[0].revents)
      while (nc_ws_recv(ws, 0) == 2) {
      }
    if (fds[1].revents) ASSERT_TRUE(nc_read(ogg, buf, sizeof buf, 0) > 0);
  }
}

/* /metrics after Prometheus' conventions, held by a checker of the text
 * format (support/prom.c) and, where installed, by promtool: every family
 * with its HELP and TYPE, base units, whole histograms; then the figures
 * themselves: the version, frames timed, send latency counted for the
 * listeners there are (and none for kinds without any), and the process's
 * own figures, which this process can check (the server runs in it). */
static void test_prometheus_conventions(void **state) {
  (void)state;
  lull_server *srv = start(NULL);
  uint16_t port = lull_server_port(srv);
  nc_ws ws = ws_open(port, "/ws/stream");
  int ogg = nc_connect(port, 0);
  unsigned char *pre;
  size_t pre_len;
  ASSERT_EQ_INT(nc_stream_open(ogg, "/stream.ogg", &pre, &pre_len), 200);
  free(pre);
  char *body = NULL, err[256];
  prom_doc d = {0};
  /* Until both listeners have had writes past their join burst (a few
   * hundred ms; the limit only guards against a hang). */
  for (int i = 0; i < 100; i++) {
    listen_ms(&ws, ogg, 100);
    free(body);
    prom_free(&d);
    ASSERT_EQ_INT(nc_http(port, "GET", "/metrics", NULL, NULL, &body, NULL), 200);
    if (prom_check(body, &d, err, sizeof err)) fail_msg("/metrics: %s\n%s", err, body);
    if (prom_value(&d, "lull_send_latency_seconds_count", "kind=\"ws-opus\"") >= 2 &&
        prom_value(&d, "lull_send_latency_seconds_count", "kind=\"ogg\"") >= 2)
      break;
  }
  static const struct {
    const char *name, *type;
  } families[] = {
      {"lull_build_info", "gauge"},
      {"lull_uptime_seconds", "gauge"},
      {"lull_connects_total", "counter"},
      {"lull_http_requests_total", "counter"},
      {"lull_sent_bytes_total", "counter"},
      {"lull_sends_total", "counter"},
      {"lull_packets_dropped_total", "counter"},
      {"lull_listeners", "gauge"},
      {"lull_station_frames_total", "counter"},
      {"lull_station_late_frames_total", "counter"},
      {"lull_station_lead_seconds", "gauge"},
      {"lull_station_frame_seconds", "histogram"},
      {"lull_station_encode_seconds", "histogram"},
      {"lull_send_latency_seconds", "histogram"},
      {"process_cpu_seconds_total", "counter"},
      {"process_resident_memory_bytes", "gauge"},
      {"process_virtual_memory_bytes", "gauge"},
      {"process_open_fds", "gauge"},
      {"process_max_fds", "gauge"},
      {"process_start_time_seconds", "gauge"},
  };
  for (size_t i = 0; i < sizeof families / sizeof families[0]; i++) {
    const prom_family *f = prom_family_of(&d, families[i].name);
    if (!f) fail_msg("/metrics has no %s", families[i].name);
    ASSERT_STR_EQ(f->type, families[i].type);
  }
  ASSERT_TRUE(prom_family_of(&d, "lull_station_lead_ms") == NULL);
  ASSERT_TRUE(prom_family_of(&d, "lull_station_encode_us_mean") == NULL);
  char version[64];
  snprintf(version, sizeof version, "version=\"%s\"", LULL_VERSION);
  ASSERT_NEAR(prom_value(&d, "lull_build_info", version), 1, 0);
  ASSERT_NEAR(prom_value(&d, "lull_listeners", "station=\"main\",kind=\"ws-opus\""), 1, 0);
  ASSERT_NEAR(prom_value(&d, "lull_listeners", "station=\"main\",kind=\"ogg\""), 1, 0);
  /* Every frame timed (the two reads are microseconds apart), in seconds:
   * a frame takes well under its 20 ms even under sanitizers. */
  const char *main_st = "station=\"main\"";
  double frames = prom_value(&d, "lull_station_frames_total", main_st);
  ASSERT_GE(frames, 1);
  const char *hists[] = {"lull_station_frame_seconds", "lull_station_encode_seconds"};
  for (int k = 0; k < 2; k++) {
    char count[64], sum[64];
    snprintf(count, sizeof count, "%s_count", hists[k]);
    snprintf(sum, sizeof sum, "%s_sum", hists[k]);
    ASSERT_NEAR(prom_value(&d, count, main_st), frames, 2);
    ASSERT_LE(prom_value(&d, sum, main_st) / prom_value(&d, count, main_st), 0.02);
  }
  ASSERT_LE(prom_value(&d, "lull_station_encode_seconds_sum", main_st), prom_value(&d, "lull_station_frame_seconds_sum", main_st));
  ASSERT_LE(prom_value(&d, "lull_station_lead_seconds", main_st), 0.061);
  /* Send latency: counted for the two listeners' kinds, in seconds (a
   * write follows its packet by far less than the 1 s skip limit), and
   * nothing for kinds nobody listens to. */
  const char *kinds[] = {"kind=\"ws-opus\"", "kind=\"ogg\"", "kind=\"ws-pcm\"", "kind=\"mp3\""};
  for (int k = 0; k < 4; k++) {
    double n = prom_value(&d, "lull_send_latency_seconds_count", kinds[k]);
    if (k >= 2) {
      ASSERT_NEAR(n, 0, 0);
      continue;
    }
    ASSERT_GE(n, 2);
    ASSERT_LE(prom_value(&d, "lull_send_latency_seconds_sum", kinds[k]) / n, 0.5);
  }
  ASSERT_GE(prom_value(&d, "lull_sends_total", ""), 4);
  /* The process: this one. */
  ASSERT_NEAR(prom_value(&d, "process_open_fds", ""), open_fds(), 3);
  double started = prom_value(&d, "process_start_time_seconds", "");
  ASSERT_LE(started, (double)main_started + 1);
  ASSERT_GE(started, (double)main_started - 60);
  ASSERT_GE(prom_value(&d, "process_resident_memory_bytes", ""), 1 << 20);
  ASSERT_GE(prom_value(&d, "process_cpu_seconds_total", ""), 0);
  if (promtool_passes(body)) print_message("# promtool check metrics: passed\n");
  else print_message("# promtool is not installed: the text format checked by support/prom.c alone\n");
  prom_free(&d);
  free(body);
  close(ogg);
  nc_ws_close(&ws);
  lull_server_destroy(srv);
}

/* The palette end to end: /api/status lists every palette with its line
 * and shows the station's; a control message and a REST body change it,
 * every listener hears of it (a params message), and a number or an
 * unknown name is refused with the names allowed. */
static void test_palette_listed_steered_and_broadcast(void **state) {
  (void)state;
  lull_server *srv = start(NULL);
  uint16_t port = lull_server_port(srv);
  nc_ws a = ws_open(port, "/ws/stream"), b = ws_open(port, "/ws/stream?codec=pcm");
  char *body;
  ASSERT_EQ_INT(nc_http(port, "GET", "/api/status", NULL, NULL, &body, NULL), 200);
  json_t *j = parse(body);
  json_t *pals = json_object_get(j, "palettes");
  ASSERT_EQ_INT(json_array_size(pals), LULL_PALETTE_COUNT);
  for (int i = 0; i < LULL_PALETTE_COUNT; i++) {
    json_t *x = json_array_get(pals, (size_t)i);
    ASSERT_STR_EQ(json_string_value(json_object_get(x, "name")), lull_palette_name(i));
    ASSERT_STR_EQ(json_string_value(json_object_get(x, "about")), lull_palette_describe(i));
  }
  json_t *params = json_object_get(json_array_get(json_object_get(j, "stations"), 0), "params");
  ASSERT_STR_EQ(json_string_value(json_object_get(params, "palette")), "classic");
  json_decref(j);
  free(body);

  const char *msg = "{\"type\":\"control\",\"palette\":\"glass\"}";
  ASSERT_EQ_INT(nc_ws_send(&a, 1, msg, strlen(msg)), 0);
  nc_ws *both[2] = {&a, &b};
  for (int i = 0; i < 2; i++) {
    json_t *p = next_text(both[i], "params", 2000);
    ASSERT_TRUE(p != NULL);
    ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(p, "params"), "palette")), "glass");
    json_decref(p);
  }
  int status = nc_http(port, "POST", "/api/stations/main/params", NULL, "{\"palette\":\"night\"}", &body, NULL);
  if (status != 202) fail_msg("POST: %d %s", status, body);
  ASSERT_STR_CONTAINS(body, "\"palette\":\"night\"");
  free(body);
  for (int i = 0; i < 2; i++) {
    json_t *p = next_text(both[i], "params", 2000);
    ASSERT_TRUE(p != NULL);
    ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(p, "params"), "palette")), "night");
    json_decref(p);
  }
  lull_params now;
  lull_station_get_params(lull_server_station(srv, "main"), &now);
  ASSERT_EQ_INT(now.palette, LULL_PALETTE_NIGHT);
  ASSERT_EQ_INT(nc_http(port, "GET", "/api/stations", NULL, NULL, &body, NULL), 200);
  ASSERT_STR_CONTAINS(body, "\"palette\":\"night\"");
  free(body);

  expect_error(&a, "{\"type\":\"control\",\"palette\":2}", "wrong_type", "palette");
  expect_error(&a, "{\"type\":\"control\",\"palette\":\"disco\"}", "out_of_range", "palette");
  ASSERT_EQ_INT(nc_http(port, "POST", "/api/stations/main/params", NULL, "{\"palette\":\"disco\"}", &body, NULL), 400);
  j = parse(body);
  json_t *err = json_object_get(j, "error");
  ASSERT_STR_EQ(json_string_value(json_object_get(err, "code")), "out_of_range");
  ASSERT_STR_EQ(json_string_value(json_object_get(err, "field")), "palette");
  ASSERT_STR_CONTAINS(json_string_value(json_object_get(err, "message")), "classic, glass, strings, keys, night, tape");
  json_decref(j);
  free(body);
  lull_station_get_params(lull_server_station(srv, "main"), &now);
  ASSERT_EQ_INT(now.palette, LULL_PALETTE_NIGHT); /* nothing refused changed it */
  nc_ws_close(&a);
  nc_ws_close(&b);
  lull_server_destroy(srv);
}

/* The day cycle in /api/status: per station, null when off; at a fixed
 * hour that hour, its light and the part of the day. */
static void test_day_cycle_in_status(void **state) {
  (void)state;
  lull_station_config st[2] = {{.name = "day", .daycycle = LULL_DAYCYCLE_FIXED, .day_hour = 14.5}, {.name = "plain"}};
  lull_server *srv = start(&(lull_server_config){.stations = st, .n_stations = 2});
  char *body;
  ASSERT_EQ_INT(nc_http(lull_server_port(srv), "GET", "/api/status", NULL, NULL, &body, NULL), 200);
  json_t *j = parse(body);
  json_t *sts = json_object_get(j, "stations");
  json_t *day = json_object_get(json_array_get(sts, 0), "day");
  ASSERT_TRUE(json_is_object(day));
  ASSERT_TRUE(json_is_true(json_object_get(day, "cycle")));
  ASSERT_STR_EQ(json_string_value(json_object_get(day, "clock")), "fixed");
  ASSERT_NEAR(json_number_value(json_object_get(day, "hour")), 14.5, 1e-9);
  ASSERT_NEAR(json_number_value(json_object_get(day, "light")), lull_daylight(14.5), 1e-3);
  ASSERT_STR_EQ(json_string_value(json_object_get(day, "phase")), "afternoon");
  json_t *none = json_object_get(json_array_get(sts, 1), "day");
  ASSERT_TRUE(none != NULL && json_is_null(none));
  json_decref(j);
  free(body);
  lull_server_destroy(srv);
}

/* A station's face: its title and description (escaped: quotes, a
 * backslash, non-ASCII, a description of 240 two-byte characters) in
 * /api/stations, /api/status and the hello, with where the music is in
 * /api/stations; a station given neither shows its name and "". A title
 * or description the checks refuse stops the server's creation, named. */
static void test_title_and_description(void **state) {
  (void)state;
  char long_about[481] = "";
  for (int i = 0; i < 240; i++) strcat(long_about, "\xc3\xa9");
  const char *title = "Main \"room\" \\ \xe5\xa4\x9c";
  lull_station_config st[2] = {{.name = "main", .title = title, .description = long_about}, {.name = "plain"}};
  lull_server *srv = start(&(lull_server_config){.stations = st, .n_stations = 2});
  uint16_t port = lull_server_port(srv);
  for (int i = 0; i < 100 && station_frames(srv) == 0; i++) nap_ms(20);
  const char *paths[] = {"/api/stations", "/api/status"};
  for (int k = 0; k < 2; k++) {
    char *body;
    ASSERT_EQ_INT(nc_http(port, "GET", paths[k], NULL, NULL, &body, NULL), 200);
    json_t *j = parse(body);
    json_t *sts = json_object_get(j, "stations");
    ASSERT_EQ_INT(json_array_size(sts), 2);
    json_t *a = json_array_get(sts, 0), *b = json_array_get(sts, 1);
    ASSERT_STR_EQ(json_string_value(json_object_get(a, "title")), title);
    ASSERT_STR_EQ(json_string_value(json_object_get(a, "description")), long_about);
    ASSERT_STR_EQ(json_string_value(json_object_get(b, "title")), "plain");
    ASSERT_STR_EQ(json_string_value(json_object_get(b, "description")), "");
    /* What a station card shows: where the music is. */
    json_t *now = json_object_get(a, "now");
    ASSERT_TRUE(json_string_length(json_object_get(now, "chord")) > 0);
    lull_params where = lull_params_default();
    ASSERT_EQ_INT(lull_params_set(&where, "key", json_string_value(json_object_get(now, "key")), NULL), LULL_OK);
    ASSERT_EQ_INT(lull_params_set(&where, "mode", json_string_value(json_object_get(now, "mode")), NULL), LULL_OK);
    json_decref(j);
    free(body);
  }
  const char *hello_paths[] = {"/ws/stream", "/ws/stream?station=plain&codec=pcm"};
  for (int k = 0; k < 2; k++) {
    nc_ws ws;
    char *body = NULL;
    ASSERT_EQ_INT(nc_ws_open(&ws, port, hello_paths[k], NULL, 0, &body), 101);
    free(body);
    json_t *hello = next_text(&ws, "hello", 2000);
    ASSERT_TRUE(hello != NULL);
    ASSERT_STR_EQ(json_string_value(json_object_get(hello, "title")), k ? "plain" : title);
    ASSERT_STR_EQ(json_string_value(json_object_get(hello, "description")), k ? "" : long_about);
    json_decref(hello);
    nc_ws_close(&ws);
  }
  lull_server_destroy(srv);

  /* Refused by name before anything listens. */
  char too_long[300] = "";
  for (int i = 0; i < 65; i++) strcat(too_long, "t");
  lull_station_config bad[3] = {{.name = "a", .title = too_long}, {.name = "b", .description = "two\nlines"},
                                {.name = "c", .title = "\xc3"}};
  const char *field[3] = {"title", "description", "title"};
  const int code[3] = {LULL_ERANGE, LULL_EINVAL, LULL_EINVAL};
  for (int k = 0; k < 3; k++) {
    lull_diag d = {{0}, {0}};
    lull_server *none = NULL;
    ASSERT_EQ_INT(lull_server_create(&(lull_server_config){.stations = &bad[k], .n_stations = 1}, &none, &d), code[k]);
    ASSERT_TRUE(none == NULL);
    ASSERT_STR_EQ(d.field, field[k]);
  }
}

int main(void) {
  main_started = time(NULL);
  signal(SIGPIPE, SIG_IGN);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rest_json),
      cmocka_unit_test(test_prometheus_conventions),
      cmocka_unit_test(test_palette_listed_steered_and_broadcast),
      cmocka_unit_test(test_day_cycle_in_status),
      cmocka_unit_test(test_title_and_description),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
