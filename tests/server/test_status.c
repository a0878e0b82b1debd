/* Status and metrics, as a monitoring tool reads them. */
#include <signal.h>
#include <stdio.h>

#include <stdlib.h>
#include <string.h>

#include "server/fixture.h"
#include "support/harness.h"

/* /api/status, /api/metrics and /api/stations as JSON; /metrics as
 * Prometheus text, every sample announced by its # TYPE. */
static void test_rest_json_and_prometheus(void **state) {
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
  /* Prometheus text: every sample line is "name{labels} value", each name
   * announced by a # TYPE line first. */
  ASSERT_EQ_INT(nc_http(port, "GET", "/metrics", NULL, NULL, &body, NULL), 200);
  char typed[64][64];
  int ntyped = 0, samples = 0;
  for (char *save = NULL, *line = strtok_r(body, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    char name[64];
    if (sscanf(line, "# TYPE %63s", name) == 1) {
      ASSERT_TRUE(ntyped < 64);
      snprintf(typed[ntyped++], 64, "%s", name);
      continue;
    }
    if (line[0] == '#') continue;
    double v;
    char rest[256];
    ASSERT_TRUE(sscanf(line, "%63[a-zA-Z0-9_:]%255[^ ] %lf", name, rest, &v) >= 2 || sscanf(line, "%63[a-zA-Z0-9_:] %lf", name, &v) == 2);
    int known = 0;
    for (int i = 0; i < ntyped; i++) known |= strcmp(typed[i], name) == 0;
    if (!known) fail_msg("metric %s has no # TYPE before it", name);
    samples++;
  }
  ASSERT_GE(samples, 15);
  free(body);
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
  signal(SIGPIPE, SIG_IGN);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rest_json_and_prometheus),
      cmocka_unit_test(test_palette_listed_steered_and_broadcast),
      cmocka_unit_test(test_day_cycle_in_status),
      cmocka_unit_test(test_title_and_description),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
