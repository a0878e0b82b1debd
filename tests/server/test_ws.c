/* The WebSocket protocol end to end: steering reaches every listener of the
 * station and no other, every bad message gets its error, protocol breaches
 * close with their codes, and bad upgrades are refused. */
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdlib.h>
#include <string.h>

#include "server/fixture.h"
#include "support/harness.h"

static void test_control_reaches_every_listener_of_its_station(void **state) {
  (void)state;
  lull_station_config st[2] = {{.name = "main"}, {.name = "other"}};
  lull_server *srv = start(&(lull_server_config){.stations = st, .n_stations = 2});
  uint16_t port = lull_server_port(srv);
  nc_ws a = ws_open(port, "/ws/stream?station=main"), b = ws_open(port, "/ws/stream?station=main&codec=pcm");
  nc_ws c = ws_open(port, "/ws/stream?station=other");
  const char *msg = "{\"type\":\"control\",\"intensity\":0.9,\"key\":\"D\",\"mode\":\"dorian\"}";
  ASSERT_EQ_INT(nc_ws_send(&a, 1, msg, strlen(msg)), 0);
  nc_ws *mains[2] = {&a, &b};
  for (int i = 0; i < 2; i++) {
    json_t *p = next_text(mains[i], "params", 2000);
    ASSERT_TRUE(p != NULL);
    ASSERT_NEAR(params_num(p, "intensity"), 0.9, 1e-6);
    ASSERT_STR_CONTAINS(json_string_value(json_object_get(json_object_get(p, "params"), "key")), "D");
    ASSERT_STR_CONTAINS(json_string_value(json_object_get(json_object_get(p, "params"), "mode")), "dorian");
    json_decref(p);
  }
  json_t *none = next_text(&c, "params", 600);
  ASSERT_TRUE(none == NULL);
  lull_params other;
  lull_station_get_params(lull_server_station(srv, "other"), &other);
  ASSERT_NEAR(other.intensity, 0.4, 1e-6);
  ASSERT_EQ_INT(other.key, 9);

  /* The same through REST. */
  char *body;
  int status = nc_http(port, "POST", "/api/stations/main/params", NULL, "{\"bpm\": 90}", &body, NULL);
  if (status != 202) fail_msg("POST: %d %s", status, body);
  free(body);
  for (int i = 0; i < 2; i++) {
    json_t *p = next_text(mains[i], "params", 2000);
    ASSERT_TRUE(p != NULL);
    ASSERT_NEAR(params_num(p, "bpm"), 90, 1e-6);
    ASSERT_NEAR(params_num(p, "intensity"), 0.9, 1e-6);
    json_decref(p);
  }
  ASSERT_TRUE(next_text(&c, "params", 300) == NULL);
  status = nc_http(port, "GET", "/api/status", NULL, NULL, &body, NULL);
  ASSERT_EQ_INT(status, 200);
  json_t *j = parse(body);
  json_t *sts = json_object_get(j, "stations");
  ASSERT_NEAR(params_num(json_array_get(sts, 0), "bpm"), 90, 1e-6);
  ASSERT_NEAR(params_num(json_array_get(sts, 1), "bpm"), 64, 1e-6);
  json_decref(j);
  free(body);
  nc_ws_close(&a);
  nc_ws_close(&b);
  nc_ws_close(&c);
  lull_server_destroy(srv);
}

/* Every kind of bad message gets its error code; the connection stays open
 * unless the client broke the protocol. */
static void test_bad_messages_get_clear_errors(void **state) {
  (void)state;
  lull_server *srv = start(&(lull_server_config){.control_token = "s3cret", .max_per_ip = 6});
  uint16_t port = lull_server_port(srv);
  nc_ws ws = ws_open(port, "/ws/stream");
  expect_error(&ws, "{\"type\":\"control\",\"intensity\":", "bad_json", NULL);
  expect_error(&ws, "[1,2]", "bad_message", NULL);
  expect_error(&ws, "{\"intensity\":0.5}", "bad_message", "type");
  expect_error(&ws, "{\"type\":\"dance\"}", "unknown_type", "type");
  expect_error(&ws, "{\"type\":\"control\",\"volume\":3}", "unknown_field", "volume");
  expect_error(&ws, "{\"type\":\"control\",\"bpm\":\"fast\"}", "wrong_type", "bpm");
  expect_error(&ws, "{\"type\":\"control\",\"bpm\":500}", "out_of_range", "bpm");
  expect_error(&ws, "{\"type\":\"control\",\"intensity\":-0.1}", "out_of_range", "intensity");
  expect_error(&ws, "{\"type\":\"control\",\"key\":\"H\"}", "out_of_range", "key");
  expect_error(&ws, "{\"type\":\"control\",\"mode\":\"jazz\"}", "out_of_range", "mode");
  expect_error(&ws, "{\"type\":\"control\",\"seed\":3}", "unknown_field", "seed");
  expect_error(&ws, "{\"type\":\"control\",\"bpm\":60,\"bpm\":70}", "bad_json", NULL);
  expect_error(&ws, "{\"type\":\"control\",\"bpm\":60}", "unauthorized", "token");
  expect_error(&ws, "{\"type\":\"control\",\"bpm\":60,\"token\":\"guess\"}", "unauthorized", "token");
  /* The right token steers. */
  const char *ok = "{\"type\":\"control\",\"bpm\":61,\"token\":\"s3cret\"}";
  ASSERT_EQ_INT(nc_ws_send(&ws, 1, ok, strlen(ok)), 0);
  json_t *p = next_text(&ws, "params", 2000);
  ASSERT_TRUE(p != NULL);
  ASSERT_NEAR(params_num(p, "bpm"), 61, 1e-6);
  json_decref(p);
  /* Still open: a status request is answered. */
  ASSERT_EQ_INT(nc_ws_send(&ws, 1, "{\"type\":\"status\"}", 17), 0);
  json_t *s = next_text(&ws, "status", 2000);
  ASSERT_TRUE(s != NULL);
  json_decref(s);
  /* A flood: beyond 10 a second, refused. */
  sleep(1);
  for (int i = 0; i < 15; i++) ASSERT_EQ_INT(nc_ws_send(&ws, 1, "{\"type\":\"status\"}", 17), 0);
  int limited = 0;
  for (json_t *e; (e = next_text(&ws, "error", 500));) {
    limited += strcmp(json_string_value(json_object_get(e, "code")), "rate_limited") == 0;
    json_decref(e);
  }
  ASSERT_GE(limited, 4);
  /* Protocol violations close: too large (1009), binary (1003). */
  char big[5000];
  memset(big, ' ', sizeof big);
  big[0] = '{';
  big[sizeof big - 1] = '}';
  ASSERT_EQ_INT(nc_ws_send(&ws, 1, big, sizeof big), 0);
  expect_close(&ws, 1009);
  nc_ws_close(&ws);
  ws = ws_open(port, "/ws/stream");
  ASSERT_EQ_INT(nc_ws_send(&ws, 2, "\x01\x02", 2), 0);
  expect_close(&ws, 1003);
  nc_ws_close(&ws);

  /* Refused at the door. */
  expect_upgrade(port, "/ws/stream?station=nope", NULL, 404, "unknown_station");
  expect_upgrade(port, "/ws/stream?station=Bad_Name", NULL, 400, "bad_station");
  expect_upgrade(port, "/ws/stream?codec=flac", NULL, 400, "bad_codec");
  expect_upgrade(port, "/ws/stream?volume=11", NULL, 400, "bad_request");
  expect_upgrade(port, "/elsewhere", NULL, 404, "not_found");
  /* And after all that, a listener is served as ever. */
  ws = ws_open(port, "/ws/stream");
  int op, got = 0;
  while ((op = nc_ws_recv(&ws, 2000)) > 0 && got < 20) got += op == 2;
  ASSERT_GE(got, 20);
  nc_ws_close(&ws);
  lull_server_destroy(srv);
}

/* A frame whose header announces more than the message limit is refused
 * once its first buffer's worth is in, not after the rest has trickled. */
static void test_frame_announcing_too_much_is_refused(void **state) {
  (void)state;
  lull_server *srv = start(NULL);
  uint16_t port = lull_server_port(srv);
  nc_ws ws = ws_open(port, "/ws/stream");
  unsigned char frame[14 + 4200];
  frame[0] = 0x81;   /* FIN, text */
  frame[1] = 0xFF;   /* masked, 64-bit length */
  uint64_t announced = 100000000;
  for (int i = 0; i < 8; i++) frame[2 + i] = (unsigned char)(announced >> (56 - 8 * i));
  memset(frame + 10, 0, 4); /* mask 0: the payload as it is */
  memset(frame + 14, ' ', 4200);
  ASSERT_EQ_INT(send(ws.fd, frame, sizeof frame, MSG_NOSIGNAL), (long)sizeof frame);
  expect_close(&ws, 1009);
  nc_ws_close(&ws);
  lull_server_destroy(srv);
}

/* A close frame on its way ends the listener at once, whoever sent it:
 * libwebsockets answering frames it refuses by itself (a reserved opcode,
 * a reserved control opcode, RSV bits: close 1002, said to lull by nothing
 * but the close reason it holds), and a client's own close frame (echoed).
 * Nothing follows the server's close frame, and the listener's place and
 * disconnect line come within 2 s, not after the 5 s libwebsockets waits
 * for the answer to its close. */
static void test_close_frames_end_the_listener_at_once(void **state) {
  (void)state;
  static logcap log;
  lull_server *srv = start_logged(&(lull_server_config){.max_per_ip = 1}, &log);
  uint16_t port = lull_server_port(srv);
  static const struct {
    unsigned first; /* the frame's first byte */
    int close_code;
    const char *name;
  } frames[] = {
      {0x83, 1002, "reserved opcode 3"},
      {0x8B, 1002, "reserved control opcode 0xB"},
      {0xC1, 1002, "RSV1 on a text frame"},
      {0x88, 1000, "the client's close frame"},
  };
  for (size_t i = 0; i < sizeof frames / sizeof *frames; i++) {
    nc_ws ws = ws_open(port, "/ws/stream"); /* the place of the one before is back: the limit is 1 */
    int op;
    while ((op = nc_ws_recv(&ws, 2000)) > 0 && op != 2) {
    }
    ASSERT_EQ_INT(op, 2); /* audio flows */
    unsigned char f[16];
    static const unsigned char bye[2] = {1000 >> 8, 1000 & 0xff};
    size_t n = nc_ws_frame(f, frames[i].first, frames[i].first == 0x88 ? 2 : 0, bye, frames[i].first == 0x88 ? 2 : 0);
    double t0 = nc_now_s();
    ASSERT_EQ_INT(send(ws.fd, f, n, MSG_NOSIGNAL), (long)n);
    int gone = wait_listeners(port, 0, 2);
    double gone_ms = (nc_now_s() - t0) * 1000;
    /* Audio before the close frame is fine; after it, nothing. The client
     * never answers the close: the connection ends when lws stops waiting. */
    int closed = 0, after = 0;
    while ((op = nc_ws_recv(&ws, 1500)) > 0) {
      if (op == 8 && !closed) {
        closed = 1;
        ASSERT_EQ_INT(ws.close_code, frames[i].close_code);
      } else if (closed) {
        after++;
      }
    }
    print_message("# %-28s close %d; listener gone in %.0f ms; %d messages after the close frame\n", frames[i].name,
                  ws.close_code, gone_ms, after);
    ASSERT_TRUE(closed);
    ASSERT_EQ_INT(after, 0);
    if (!gone) fail_msg("%s: still a listener after 2 s", frames[i].name);
    nc_ws_close(&ws);
  }
  ASSERT_EQ_INT(logged(&log, "(closed by libwebsockets: 1002"), 3);
  ASSERT_EQ_INT(logged(&log, "(the listener closed it: 1000)"), 1);
  char *body;
  ASSERT_EQ_INT(nc_http(port, "GET", "/api/metrics", NULL, NULL, &body, NULL), 200);
  json_t *m = parse(body);
  ASSERT_EQ_INT(json_integer_value(json_object_get(m, "protocol_closed")), 3);
  json_decref(m);
  free(body);
  lull_server_destroy(srv);
}

/* A client steering as fast as it may does not multiply everyone's sends:
 * listeners get the latest params, at most every 250 ms. */
static void test_params_broadcasts_are_coalesced(void **state) {
  (void)state;
  lull_server *srv = start(NULL);
  uint16_t port = lull_server_port(srv);
  nc_ws a = ws_open(port, "/ws/stream"), b = ws_open(port, "/ws/stream");
  nap_ms(300);
  for (int i = 0; i < 10; i++) { /* the rate limit's whole bucket at once */
    char m[64];
    int n = snprintf(m, sizeof m, "{\"type\":\"control\",\"bpm\":%d}", 60 + i);
    ASSERT_EQ_INT(nc_ws_send(&a, 1, m, (size_t)n), 0);
  }
  int count = 0;
  double last = 0;
  for (json_t *p; (p = next_text(&b, "params", 700));) {
    count++;
    last = params_num(p, "bpm");
    json_decref(p);
  }
  print_message("# 10 changes in a burst: %d params messages to another listener, the last bpm %.0f\n", count, last);
  ASSERT_GE(count, 1);
  ASSERT_LE(count, 3);
  ASSERT_NEAR(last, 69, 1e-6);
  nc_ws_close(&a);
  nc_ws_close(&b);
  lull_server_destroy(srv);
}

/* The last packet's sample position in a binary message (the stream's). */
static uint64_t last_position(const nc_ws *ws) {
  uint64_t pos = 0;
  for (const unsigned char *p = ws->msg, *end = ws->msg + ws->msg_len; p < end;) {
    lull_wire_header h;
    ASSERT_EQ_INT(lull__wire_get(p, (size_t)(end - p), &h), LULL_OK);
    pos = h.position;
    p += LULL_WIRE_HEADER_BYTES + h.length;
  }
  return pos;
}

/* Send a control message; the params message that follows: its change's
 * heard_at (0 when it has none), with the stream's position at the send in
 * *before and the packet carrying heard_at reached (1 s at most). */
static uint64_t heard_at(nc_ws *ws, const char *msg, uint64_t *before) {
  *before = 0;
  while (!*before) /* the newest position heard */
    if (nc_ws_recv(ws, 1000) == 2) *before = last_position(ws);
  nap_ms(110); /* within the rate limit */
  ASSERT_EQ_INT(nc_ws_send(ws, 1, msg, strlen(msg)), 0);
  uint64_t at = 0, last = *before;
  int got = 0;
  for (double end = nc_now_s() + 3; nc_now_s() < end && (!got || (at && last < at));) {
    int op = nc_ws_recv(ws, 200);
    if (op == 2) last = last_position(ws);
    if (op != 1) continue;
    json_t *j = parse((const char *)ws->msg);
    if (strcmp(json_string_value(json_object_get(j, "type")), "params") == 0) {
      got = 1;
      at = (uint64_t)json_integer_value(json_object_get(json_object_get(j, "change"), "heard_at"));
    }
    json_decref(j);
  }
  ASSERT_TRUE(got);
  if (at) ASSERT_TRUE(last >= at); /* the packet that carries it came */
  return at;
}

/* A change says where it is heard: intensity from the frame it took effect
 * in (within the station's lead of what was being sent), a key from the
 * new tonic chord on the next beat (within one beat of it); tempo alone
 * does not say. bench_control measures the time to it. */
static void test_a_change_says_where_it_is_heard(void **state) {
  (void)state;
  lull_server *srv = start(NULL);
  nc_ws a = ws_open(lull_server_port(srv), "/ws/stream");
  uint64_t before, at = heard_at(&a, "{\"type\":\"control\",\"intensity\":0.9}", &before);
  print_message("# intensity heard from %+.0f ms of the stream's position at the send\n", (double)(at - before) / 48.0);
  ASSERT_TRUE(at > before);
  ASSERT_LE(at - before, 48000 * 0.3); /* the lead (60 ms), the 250 ms params pacing aside: at once */
  at = heard_at(&a, "{\"type\":\"control\",\"key\":\"D\"}", &before);
  double beat = 48000.0 * 60.0 / 64.0; /* the default tempo */
  print_message("# key heard from %+.0f ms (a beat is %.0f ms)\n", (double)(at - before) / 48.0, beat / 48.0);
  ASSERT_TRUE(at > before);
  ASSERT_LE(at - before, beat + 48000 * 0.3);
  ASSERT_EQ_INT(heard_at(&a, "{\"type\":\"control\",\"bpm\":70}", &before), 0);
  nc_ws_close(&a);
  lull_server_destroy(srv);
}

/* The "change" of a params message or hello: by whom, which fields. */
static void expect_change(json_t *msg, const char *by, const char *fields) {
  json_t *ch = json_object_get(msg, "change");
  if (!json_is_object(ch)) fail_msg("no change in %s", json_dumps(msg, 0));
  ASSERT_STR_EQ(json_string_value(json_object_get(ch, "by")), by);
  char got[64] = "";
  size_t i;
  json_t *f;
  json_array_foreach(json_object_get(ch, "fields"), i, f) {
    strcat(got, i ? "," : "");
    strcat(got, json_string_value(f));
  }
  ASSERT_STR_EQ(got, fields);
  json_int_t ago = json_integer_value(json_object_get(ch, "ago_ms"));
  ASSERT_TRUE(ago >= 0 && ago < 60000);
}

/* steer=open, token and none, side by side on a server with a control
 * token: a listener steers the open station (and the change says "by a
 * listener"), the operator's token steers the open and token ones ("by
 * the operator"), nobody steers none (403 over REST, "not_steerable" over
 * the socket); hello tells each listener what it may do; a wrong token is
 * refused even where none is needed; steer=token without a server token is
 * refused at create. */
static void test_steer_open_token_none(void **state) {
  (void)state;
  lull_station_config st[3] = {{.name = "open", .steer = LULL_STEER_OPEN}, {.name = "ops"}, {.name = "fixed", .steer = LULL_STEER_NONE}};
  lull_server *srv = start(&(lull_server_config){.stations = st, .n_stations = 3, .control_token = "s3cret"});
  uint16_t port = lull_server_port(srv);
  nc_ws o, k, f;
  nc_ws *all[3] = {&o, &k, &f};
  const char *control[3] = {"open", "token", "none"}, *paths[3] = {"/ws/stream?station=open", "/ws/stream?station=ops",
                                                                      "/ws/stream?station=fixed"};
  for (int i = 0; i < 3; i++) {
    char *body = NULL;
    if (nc_ws_open(all[i], port, paths[i], NULL, 0, &body) != 101) fail_msg("upgrade %s", paths[i]);
    free(body);
    json_t *h = next_text(all[i], "hello", 2000);
    ASSERT_TRUE(h != NULL);
    ASSERT_STR_EQ(json_string_value(json_object_get(h, "control")), control[i]);
    ASSERT_STR_EQ(json_string_value(json_object_get(h, "steer")), control[i]);
    ASSERT_TRUE(json_is_null(json_object_get(h, "change")));
    json_decref(h);
  }
  /* A listener on the open station. */
  const char *msg = "{\"type\":\"control\",\"key\":\"D\",\"mode\":\"dorian\"}";
  ASSERT_EQ_INT(nc_ws_send(&o, 1, msg, strlen(msg)), 0);
  json_t *p = next_text(&o, "params", 2000);
  ASSERT_TRUE(p != NULL);
  expect_change(p, "listener", "key,mode");
  json_decref(p);
  /* The operator on it, by REST with the bearer. */
  char *body;
  int status = nc_http(port, "POST", "/api/stations/open/params", "Authorization: Bearer s3cret\r\n", "{\"bpm\":70}", &body, NULL);
  if (status != 202) fail_msg("POST: %d %s", status, body);
  free(body);
  p = next_text(&o, "params", 2000);
  ASSERT_TRUE(p != NULL);
  expect_change(p, "operator", "bpm");
  json_decref(p);
  /* A wrong token is wrong even on an open station. */
  expect_error(&o, "{\"type\":\"control\",\"bpm\":60,\"token\":\"guess\"}", "unauthorized", "token");
  expect_http(port, "POST", "/api/stations/open/params", "Authorization: Bearer guess\r\n", "{\"bpm\":60}", 401, "unauthorized");
  /* The token station: refused without, applied with (the operator). */
  expect_error(&k, "{\"type\":\"control\",\"bpm\":60}", "unauthorized", "token");
  msg = "{\"type\":\"control\",\"intensity\":0.8,\"token\":\"s3cret\"}";
  ASSERT_EQ_INT(nc_ws_send(&k, 1, msg, strlen(msg)), 0);
  p = next_text(&k, "params", 2000);
  ASSERT_TRUE(p != NULL);
  expect_change(p, "operator", "intensity");
  json_decref(p);
  /* The fixed station: nobody, not even the operator. */
  expect_error(&f, "{\"type\":\"control\",\"bpm\":60}", "not_steerable", "station");
  expect_error(&f, "{\"type\":\"control\",\"bpm\":60,\"token\":\"s3cret\"}", "not_steerable", "station");
  expect_http(port, "POST", "/api/stations/fixed/params", "Authorization: Bearer s3cret\r\n", "{\"bpm\":60}", 403, "not_steerable");
  lull_params fixed;
  lull_station_get_params(lull_server_station(srv, "fixed"), &fixed);
  ASSERT_NEAR(fixed.bpm, 64, 1e-6);
  /* The status says each station's steer and last change. */
  status = nc_http(port, "GET", "/api/stations", NULL, NULL, &body, NULL);
  ASSERT_EQ_INT(status, 200);
  json_t *j = parse(body);
  json_t *sts = json_object_get(j, "stations");
  for (int i = 0; i < 3; i++) ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(sts, (size_t)i), "steer")), control[i]);
  expect_change(json_array_get(sts, 0), "operator", "bpm");
  ASSERT_TRUE(json_is_null(json_object_get(json_array_get(sts, 2), "change")));
  json_decref(j);
  free(body);
  for (int i = 0; i < 3; i++) nc_ws_close(all[i]);
  lull_server_destroy(srv);
  /* steer=token needs a token to need. */
  lull_station_config one = {.name = "ops", .steer = LULL_STEER_TOKEN};
  lull_server *none = NULL;
  lull_diag d = {{0}, {0}};
  ASSERT_EQ_INT(lull_server_create(&(lull_server_config){.stations = &one, .n_stations = 1}, &none, &d), LULL_EINVAL);
  ASSERT_STR_CONTAINS(d.message, "steer=token needs the server's control token");
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_control_reaches_every_listener_of_its_station),
      cmocka_unit_test(test_a_change_says_where_it_is_heard),
      cmocka_unit_test(test_bad_messages_get_clear_errors),
      cmocka_unit_test(test_frame_announcing_too_much_is_refused),
      cmocka_unit_test(test_close_frames_end_the_listener_at_once),
      cmocka_unit_test(test_params_broadcasts_are_coalesced),
      cmocka_unit_test(test_steer_open_token_none),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
