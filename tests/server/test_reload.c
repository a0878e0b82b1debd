/* A reload while serving (lull_server_reload; SIGHUP in lull serve): the
 * stations it adds start, those it leaves out end, one whose params alone
 * changed is steered with its listeners kept, one changed otherwise
 * restarts (its listeners told 1012), and the listeners of the others never
 * miss a packet; Icecast outputs follow their stations; a renewed TLS
 * certificate serves the next handshakes; a reload that fails changes
 * nothing; and stations added and removed over and over give their slots
 * back. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "server/fixture.h"
#include "support/harness.h"

#define MAXN 12

typedef struct cfgset {
  lull_station_config st[MAXN];
  lull_server_icecast ice[4];
  lull_server_config c;
} cfgset;

/* A config of stations named in names ("a:C", a name and a key), threads 2. */
static void stations_of(cfgset *s, const char *const *names, size_t n) {
  memset(s, 0, sizeof *s);
  for (size_t i = 0; i < n; i++) {
    lull_station_config *sc = &s->st[i];
    static char buf[MAXN * 4][40];
    static int next;
    char *name = buf[next++ % (MAXN * 4)];
    snprintf(name, 40, "%s", names[i]);
    char *colon = strchr(name, ':');
    sc->params = lull_params_default();
    sc->params.seed = 7;
    if (colon) {
      *colon = 0;
      lull_diag d = {{0}, {0}};
      ASSERT_EQ_INT(lull_params_set(&sc->params, "key", colon + 1, &d), LULL_OK);
    }
    sc->name = name;
  }
  s->c.stations = s->st;
  s->c.n_stations = n;
  s->c.threads = 2;
}

static void reload_ok(lull_server *srv, const lull_server_config *c) {
  lull_diag d = {{0}, {0}};
  int err = lull_server_reload(srv, c, &d);
  if (err) fail_msg("reload: %s: %s", d.field, d.message);
}

static void reload_refused(lull_server *srv, const lull_server_config *c, const char *field, const char *words) {
  lull_diag d = {{0}, {0}};
  ASSERT_TRUE(lull_server_reload(srv, c, &d) != LULL_OK);
  ASSERT_STR_EQ(d.field, field);
  ASSERT_STR_CONTAINS(d.message, words);
}

/* What GET path lists under key list, in its order, comma separated: each
 * element's field f1 (and " " and f2, if given). */
static void listed(uint16_t port, const char *path, const char *list, const char *f1, const char *f2, char *out,
                   size_t cap) {
  char *resp;
  ASSERT_EQ_INT(nc_http(port, "GET", path, NULL, NULL, &resp, NULL), 200);
  json_t *j = parse(resp);
  out[0] = 0;
  json_t *l = json_object_get(j, list);
  for (size_t i = 0; i < json_array_size(l); i++) {
    json_t *o = json_array_get(l, i);
    snprintf(out + strlen(out), cap - strlen(out), "%s%s%s%s", i ? "," : "", json_string_value(json_object_get(o, f1)),
             f2 ? " " : "", f2 ? json_string_value(json_object_get(o, f2)) : "");
  }
  json_decref(j);
  free(resp);
}

/* The names GET /api/stations lists. */
static void station_names(uint16_t port, char *out, size_t cap) {
  listed(port, "/api/stations", "stations", "name", NULL, out, cap);
}

/* A listener of station name and its packets so far. */
typedef struct ear {
  nc_ws ws;
  wsstat st;
  OpusDecoder *dec;
  json_t *params; /* the last params message */
  int closed;     /* its close code, once closed */
} ear;

static void ear_open(ear *e, uint16_t port, const char *name) {
  memset(e, 0, sizeof *e);
  char path[80];
  snprintf(path, sizeof path, "/ws/stream?station=%s", name);
  e->ws = ws_open(port, path);
  e->st.last_seq = -1;
  int oe;
  e->dec = opus_decoder_create(48000, 2, &oe);
}

/* Read what ear has for ms: packets counted (gaps too), params kept. */
static void ear_listen(ear *e, int ms) {
  double end = nc_now_s() + ms / 1000.0;
  while (!e->closed && nc_now_s() < end) {
    int op = nc_ws_recv(&e->ws, 50);
    if (op == 2) ws_packets(&e->ws, &e->st, e->dec, LULL_CODEC_OPUS);
    if (op == 1) {
      json_t *j = parse((const char *)e->ws.msg);
      if (strcmp(json_string_value(json_object_get(j, "type")), "params") == 0) {
        json_decref(e->params);
        e->params = j;
      } else {
        json_decref(j);
      }
    }
    if (op == 8) e->closed = e->ws.close_code;
    if (op < 0) e->closed = -1;
  }
}

static void ear_close(ear *e) {
  json_decref(e->params);
  opus_decoder_destroy(e->dec);
  nc_ws_close(&e->ws);
}

static const char *param_text(json_t *msg, const char *field) {
  return json_string_value(json_object_get(json_object_get(msg, "params"), field));
}

static void test_stations_change_and_the_others_play_on(void **state) {
  (void)state;
  logcap cap;
  cfgset s;
  stations_of(&s, (const char *[]){"a:C", "b:D", "d:F"}, 3);
  lull_server *srv = start_logged(&s.c, &cap);
  uint16_t port = lull_server_port(srv);
  ear a, b, d;
  ear_open(&a, port, "a");
  ear_open(&b, port, "b");
  ear_open(&d, port, "d");
  int fd = nc_connect(port, 0);
  unsigned char *pre;
  size_t pre_len;
  ASSERT_EQ_INT(nc_stream_open(fd, "/b.ogg", &pre, &pre_len), 200);
  free(pre);
  ear_listen(&a, 300);
  ear_listen(&d, 300);
  ASSERT_TRUE(a.st.packets > 0 && d.st.packets > 0);

  /* a steered to E (params alone), b left out, d as it was, c new. */
  cfgset n;
  stations_of(&n, (const char *[]){"a:E", "d:F", "c:G"}, 3);
  reload_ok(srv, &n.c);
  char names[256];
  station_names(port, names, sizeof names);
  ASSERT_STR_EQ(names, "a,d,c");
  ASSERT_EQ_INT(logged(&cap, "reload: 1 station added (c), 0 restarted with new settings, 1 steered to new params (a), "
                             "0 retitled, 1 removed (b), 1 unchanged"), 1);
  ASSERT_TRUE(lull_server_station(srv, "b") == NULL);
  /* b's listeners are told it went away; the mount is gone. */
  ear_listen(&b, 3000);
  ASSERT_EQ_INT(b.closed, 1001);
  char buf[65536];
  double t0 = nc_now_s();
  long got;
  while ((got = nc_read(fd, buf, sizeof buf, 3000)) > 0 && nc_now_s() - t0 < 3) {
  }
  ASSERT_TRUE(got <= 0); /* the stream ended */
  close(fd);
  expect_upgrade(port, "/ws/stream?station=b", NULL, 404, "unknown_station");
  /* a and d play on without a gap; a hears its new key. */
  ear_listen(&a, 1500);
  ear_listen(&d, 1000);
  ASSERT_EQ_INT(a.closed, 0);
  ASSERT_EQ_INT(d.closed, 0);
  ASSERT_EQ_INT(a.st.gaps, 0);
  ASSERT_EQ_INT(d.st.gaps, 0);
  ASSERT_EQ_INT(a.st.bad + d.st.bad, 0);
  ASSERT_TRUE(a.params != NULL);
  ASSERT_STR_EQ(param_text(a.params, "key"), "E");
  ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(a.params, "change"), "by")), "operator");
  /* c plays. */
  ear c;
  ear_open(&c, port, "c");
  ear_listen(&c, 500);
  ASSERT_TRUE(c.st.packets > 0);
  ASSERT_EQ_INT(c.st.gaps, 0);
  ASSERT_TRUE(wait_listeners(port, 3, 5));

  /* d with a new seed restarts: its listener is told to come back (1012)
   * and finds the new one; a's listener hears nothing of it. */
  uint64_t a_before = a.st.packets;
  cfgset r;
  stations_of(&r, (const char *[]){"a:E", "d:F", "c:G"}, 3);
  r.st[1].params.seed = 8;
  r.st[1].title = "Dee";
  reload_ok(srv, &r.c);
  ASSERT_EQ_INT(logged(&cap, "0 stations added, 1 restarted with new settings (d), 0 steered to new params, 0 retitled, "
                             "0 removed, 2 unchanged"), 1);
  ear_listen(&d, 3000);
  ASSERT_EQ_INT(d.closed, 1012);
  ear d2;
  ear_open(&d2, port, "d");
  ear_listen(&d2, 300);
  ASSERT_TRUE(d2.st.packets > 0);
  char *resp;
  ASSERT_EQ_INT(nc_http(port, "GET", "/api/stations/d", NULL, NULL, &resp, NULL), 200);
  ASSERT_STR_CONTAINS(resp, "\"title\":\"Dee\"");
  ASSERT_STR_CONTAINS(resp, "\"seed\":8");
  free(resp);
  ear_listen(&a, 500);
  ASSERT_EQ_INT(a.closed, 0);
  ASSERT_EQ_INT(a.st.gaps, 0);
  ASSERT_TRUE(a.st.packets > a_before);

  /* A new title and description: a keeps playing and its listener, and
   * every list shows them. */
  r.st[0].title = "Ay";
  r.st[0].description = "The first, retitled";
  reload_ok(srv, &r.c);
  ASSERT_EQ_INT(logged(&cap, "0 steered to new params, 1 retitled (a), 0 removed, 2 unchanged"), 1);
  ASSERT_EQ_INT(nc_http(port, "GET", "/api/stations/a", NULL, NULL, &resp, NULL), 200);
  ASSERT_STR_CONTAINS(resp, "\"title\":\"Ay\",\"description\":\"The first, retitled\"");
  free(resp);
  ASSERT_EQ_INT(nc_http(port, "GET", "/listen.m3u", NULL, NULL, &resp, NULL), 200);
  ASSERT_STR_CONTAINS(resp, "#EXTINF:-1,Ay (Ogg/Opus)");
  free(resp);
  ear_listen(&a, 500);
  ASSERT_EQ_INT(a.closed, 0);
  ASSERT_EQ_INT(a.st.gaps, 0);

  /* Lists follow the config's order, whichever slots the stations took. */
  stations_of(&r, (const char *[]){"c:G", "a:E", "e", "d:F"}, 4);
  r.st[3].params.seed = 8;
  r.st[3].title = "Dee";
  reload_ok(srv, &r.c);
  station_names(port, names, sizeof names);
  ASSERT_STR_EQ(names, "c,a,e,d");
  nc_ws h;
  char *hb = NULL;
  ASSERT_EQ_INT(nc_ws_open(&h, port, "/ws/stream?station=e", NULL, 0, &hb), 101);
  free(hb);
  json_t *hello = next_text(&h, "hello", 2000);
  ASSERT_TRUE(hello != NULL);
  json_t *hs = json_object_get(hello, "stations");
  ASSERT_EQ_INT(json_array_size(hs), 4);
  const char *order[] = {"c", "a", "e", "d"};
  for (size_t i = 0; i < 4; i++) ASSERT_STR_EQ(json_string_value(json_array_get(hs, i)), order[i]);
  json_decref(hello);
  nc_ws_close(&h);

  ear_close(&a);
  ear_close(&b);
  ear_close(&c);
  ear_close(&d);
  ear_close(&d2);
  lull_server_destroy(srv);
}

static void test_a_reload_that_fails_changes_nothing(void **state) {
  (void)state;
  cfgset s;
  stations_of(&s, (const char *[]){"a:C", "b:D"}, 2);
  lull_server *srv = start(&s.c);
  uint16_t port = lull_server_port(srv);
  ear a;
  ear_open(&a, port, "a");

  cfgset n;
  stations_of(&n, (const char *[]){"a:E", "c", "c"}, 3);
  reload_refused(srv, &n.c, "stations", "station \"c\" is given twice");
  stations_of(&n, (const char *[]){"a:E", "p-x"}, 2);
  reload_refused(srv, &n.c, "stations", "personal stations'");
  stations_of(&n, (const char *[]){"a:E", "c"}, 2);
  n.st[1].steer = LULL_STEER_TOKEN;
  reload_refused(srv, &n.c, "stations", "steer=token needs the server's control token");
  /* A steered station's new params are checked before anything changes. */
  stations_of(&n, (const char *[]){"a:E", "b:D", "c"}, 3);
  n.st[1].params.bpm = 500;
  reload_refused(srv, &n.c, "bpm", "30..180");
  /* A plugin that is not there: c is made (and unmade) before a changes. */
  stations_of(&n, (const char *[]){"a:E", "c"}, 2);
  const char *fx[] = {"urn:lull:test:no-such-plugin"};
  n.st[1].fx = fx;
  n.st[1].fx_count = 1;
  lull_diag d = {{0}, {0}};
  ASSERT_TRUE(lull_server_reload(srv, &n.c, &d) != LULL_OK);
  ASSERT_STR_CONTAINS(d.field, "fx");
  stations_of(&n, (const char *[]){"a:E", "c"}, 2);
  n.st[1].bitrate = 1000;
  reload_refused(srv, &n.c, "bitrate", "32000");
  stations_of(&n, (const char *[]){"a:E"}, 1);
  n.ice[0] = (lull_server_icecast){.station = "zz", .output = {.url = "icecast://127.0.0.1:1/x.ogg", .password = "p"}};
  n.c.icecast = n.ice;
  n.c.n_icecast = 1;
  reload_refused(srv, &n.c, "icecast", "no station \"zz\"");
  n.ice[0].station = "a";
  n.ice[0].output.password = "";
  reload_refused(srv, &n.c, "icecast", "needs the source password");
  n.ice[0].output.password = "p";
  n.ice[0].output.url = "http://127.0.0.1/x.ogg";
  lull_diag d2 = {{0}, {0}};
  ASSERT_TRUE(lull_server_reload(srv, &n.c, &d2) != LULL_OK);
  ASSERT_STR_CONTAINS(d2.message, "icecast://");
  stations_of(&n, (const char *[]){"a:E"}, 1);
  n.c.tls_cert = "/nonexistent/cert.pem";
  n.c.tls_key = "/nonexistent/key.pem";
  reload_refused(srv, &n.c, "tls_cert", "TLS cannot be turned on by a reload");

  /* Nothing changed: the same stations, a still in C and playing. */
  char names[256];
  station_names(port, names, sizeof names);
  ASSERT_STR_EQ(names, "a,b");
  ear_listen(&a, 500);
  ASSERT_EQ_INT(a.closed, 0);
  ASSERT_EQ_INT(a.st.gaps, 0);
  ASSERT_TRUE(a.params == NULL);
  lull_params p;
  lull_station_get_params(lull_server_station(srv, "a"), &p);
  ASSERT_EQ_INT(p.key, 0);
  ear_close(&a);
  lull_server_destroy(srv);
}

/* The Icecast outputs of /api/status: "station url" pairs, in its order. */
static void outputs(uint16_t port, char *out, size_t cap) { listed(port, "/api/status", "icecast", "station", "url", out, cap); }

static void test_icecast_outputs_follow_the_config(void **state) {
  (void)state;
  /* Port 1 refuses: the outputs retry, which is all this needs. */
  logcap cap;
  cfgset s;
  stations_of(&s, (const char *[]){"a", "b"}, 2);
  s.ice[0] = (lull_server_icecast){.station = "a", .output = {.url = "icecast://127.0.0.1:1/a.ogg", .password = "p"}};
  s.ice[1] = (lull_server_icecast){.station = "b", .output = {.url = "icecast://127.0.0.1:1/b.mp3", .password = "p"}};
  s.c.icecast = s.ice;
  s.c.n_icecast = 2;
  lull_server *srv = start_logged(&s.c, &cap);
  uint16_t port = lull_server_port(srv);
  char out[512];
  outputs(port, out, sizeof out);
  ASSERT_STR_EQ(out, "a icecast://127.0.0.1:1/a.ogg,b icecast://127.0.0.1:1/b.mp3");

  /* b goes (and its output with it), a's output stays, c gets one. */
  cfgset n;
  stations_of(&n, (const char *[]){"a", "c"}, 2);
  n.ice[0] = s.ice[0];
  n.ice[1] = (lull_server_icecast){.station = "c", .output = {.url = "icecast://127.0.0.1:1/c.ogg", .password = "p"}};
  n.c.icecast = n.ice;
  n.c.n_icecast = 2;
  reload_ok(srv, &n.c);
  outputs(port, out, sizeof out);
  ASSERT_STR_EQ(out, "a icecast://127.0.0.1:1/a.ogg,c icecast://127.0.0.1:1/c.ogg");
  ASSERT_EQ_INT(logged(&cap, "Icecast outputs: 1 stopped, 1 started, 1 kept"), 1);
  /* A new password restarts the output; a restarted station restarts its;
   * a new title leaves it alone. */
  n.ice[0].output.password = "q";
  n.st[1].params.seed = 9;
  n.st[0].title = "Ay";
  reload_ok(srv, &n.c);
  ASSERT_EQ_INT(logged(&cap, "1 restarted with new settings (c), 0 steered to new params, 1 retitled (a)"), 1);
  ASSERT_EQ_INT(logged(&cap, "Icecast outputs: 2 stopped, 2 started, 0 kept"), 1);
  outputs(port, out, sizeof out);
  ASSERT_STR_EQ(out, "a icecast://127.0.0.1:1/a.ogg,c icecast://127.0.0.1:1/c.ogg");
  /* c's output goes; a's stays through a new title. */
  n.c.n_icecast = 1;
  n.st[0].title = "Aye";
  reload_ok(srv, &n.c);
  ASSERT_EQ_INT(logged(&cap, "Icecast outputs: 1 stopped, 0 started, 1 kept"), 1);
  /* None at all. */
  n.c.n_icecast = 0;
  reload_ok(srv, &n.c);
  outputs(port, out, sizeof out);
  ASSERT_STR_EQ(out, "");
  lull_server_destroy(srv);
}

/* Stations added and removed over and over, eight at a time, a listener at
 * one of each eight: every slot comes back (more stations in all than there
 * are slots, 2 x 64), and so do descriptors. */
static void test_slots_come_back(void **state) {
  (void)state;
  cfgset s;
  stations_of(&s, (const char *[]){"a"}, 1);
  lull_server *srv = start(&s.c);
  uint16_t port = lull_server_port(srv);
  ear a;
  ear_open(&a, port, "a");
  ear_listen(&a, 200);
  int fds0 = open_fds();
  cfgset with, without;
  stations_of(&with, (const char *[]){"a", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8"}, 9);
  stations_of(&without, (const char *[]){"a"}, 1);
  /* Under ThreadSanitizer (LULL_TEST_SHORT), a few rounds: races, not counts. */
  int rounds = getenv("LULL_TEST_SHORT") ? 3 : 2 * LULL_SERVER_MAX_STATIONS / 8 + 1;
  for (int i = 0; i < rounds; i++) {
    lull_diag d = {{0}, {0}};
    int err;
    /* A full table waits for the reaper to free the ended ones (not for long). */
    double t0 = nc_now_s();
    while ((err = lull_server_reload(srv, &with.c, &d)) == LULL_ERANGE && nc_now_s() - t0 < 5) nap_ms(50);
    if (err) fail_msg("round %d: %s", i, d.message);
    ear x;
    ear_open(&x, port, "x1");
    reload_ok(srv, &without.c);
    ear_listen(&x, 3000);
    ASSERT_EQ_INT(x.closed, 1001);
    ear_close(&x);
    ear_listen(&a, 20);
  }
  print_message("# %d stations added and removed in %d rounds\n", 8 * rounds, rounds);
  ASSERT_TRUE(wait_listeners(port, 1, 5));
  double t0 = nc_now_s();
  while (open_fds() != fds0 && nc_now_s() - t0 < 3) nap_ms(50);
  ASSERT_EQ_INT(open_fds(), fds0);
  ASSERT_EQ_INT(a.closed, 0);
  ASSERT_EQ_INT(a.st.gaps, 0);
  ear_close(&a);
  lull_server_destroy(srv);
}

/* A listener that stopped reading (its socket full) cannot be sent the
 * close frame: it is cut off, and the station's slot comes back. */
static void test_a_listener_who_stopped_reading_lets_go(void **state) {
  (void)state;
  cfgset s, without;
  stations_of(&s, (const char *[]){"a", "x"}, 2);
  stations_of(&without, (const char *[]){"a"}, 1);
  lull_server *srv = start(&s.c);
  uint16_t port = lull_server_port(srv);
  nc_ws stalled;
  char *body = NULL;
  ASSERT_EQ_INT(nc_ws_open(&stalled, port, "/ws/stream?station=x", NULL, 2048, &body), 101);
  free(body);
  ASSERT_TRUE(wait_listeners(port, 1, 5));
  /* Another that floods and reads nothing: the server is closing it
   * already (1008) when the station ends, and cannot send that frame either. */
  nc_ws flood;
  ASSERT_EQ_INT(nc_ws_open(&flood, port, "/ws/stream?station=x", NULL, 2048, &body), 101);
  free(body);
  ASSERT_TRUE(wait_listeners(port, 2, 5));
  for (int i = 0; i < 60; i++) nc_ws_send(&flood, 1, "{\"type\":\"status\"}", 17);
  nap_ms(2000); /* their buffers fill */
  reload_ok(srv, &without.c);
  ASSERT_TRUE(wait_listeners(port, 0, 8));
  nc_ws_close(&stalled);
  nc_ws_close(&flood);
  lull_server_destroy(srv);
}

static void copy_file(const char *from, const char *to) {
  char cmd[512];
  snprintf(cmd, sizeof cmd, "cp %s %s", from, to);
  ASSERT_EQ_INT(system(cmd), 0);
}

static int tls_status(uint16_t port, const char *trust) {
  unsigned char *body = NULL;
  size_t len = 0;
  int status = tls_get(port, trust, "/api/status", NULL, 3, &body, &len, NULL, 0);
  free(body);
  return status;
}

static void test_a_renewed_certificate_serves_the_next_handshakes(void **state) {
  (void)state;
  test_cert old, renewed, live;
  make_cert(&old);
  make_cert(&renewed);
  make_cert(&live);
  copy_file(old.cert, live.cert);
  copy_file(old.key, live.key);
  cfgset s;
  stations_of(&s, (const char *[]){"main"}, 1);
  s.c.threads = 1;
  s.c.tls_cert = live.cert;
  s.c.tls_key = live.key;
  lull_server *srv = start(&s.c);
  uint16_t port = lull_server_port(srv);
  ASSERT_EQ_INT(tls_status(port, old.cert), 200);
  ASSERT_EQ_INT(tls_status(port, renewed.cert), -1);
  /* Renewed in place, then reloaded. */
  copy_file(renewed.cert, live.cert);
  copy_file(renewed.key, live.key);
  reload_ok(srv, &s.c);
  double t0 = nc_now_s();
  while (tls_status(port, renewed.cert) != 200 && nc_now_s() - t0 < 5) nap_ms(50);
  ASSERT_EQ_INT(tls_status(port, renewed.cert), 200);
  ASSERT_EQ_INT(tls_status(port, old.cert), -1);
  /* A certificate without its key: refused, the renewed pair stays. */
  copy_file(old.cert, live.cert);
  reload_refused(srv, &s.c, "tls_key", "is not the key of the certificate");
  nap_ms(100);
  ASSERT_EQ_INT(tls_status(port, renewed.cert), 200);
  lull_server_destroy(srv);
  char cmd[256];
  snprintf(cmd, sizeof cmd, "rm -rf %s %s %s", old.dir, renewed.dir, live.dir);
  ASSERT_EQ_INT(system(cmd), 0);
}

static void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  ASSERT_TRUE(f != NULL);
  fputs(text, f);
  fclose(f);
}

/* What the child has written to its stderr so far, appended to buf. */
static void drain(int fd, char *buf, size_t cap) {
  size_t len = strlen(buf);
  long n;
  while (len + 1 < cap && (n = nc_read(fd, buf + len, cap - 1 - len, 100)) > 0) len += (size_t)n;
  buf[len] = 0;
}

/* Write text to path, SIGHUP pid, and read its stderr into log until it
 * holds needle (up to 5 s). */
static void hup_with(pid_t pid, const char *path, const char *text, int err_fd, char *log, size_t cap, const char *needle) {
  write_file(path, text);
  size_t before = strlen(log);
  ASSERT_EQ_INT(kill(pid, SIGHUP), 0);
  double t0 = nc_now_s();
  while (!strstr(log + before, needle) && nc_now_s() - t0 < 5) drain(err_fd, log, cap);
}

/* lull serve --config FILE takes SIGHUP: a new station appears, and a
 * broken file changes nothing and says why. */
static void test_sighup_rereads_the_file(void **state) {
  (void)state;
  char dir[] = "/tmp/lull-reload-XXXXXX", path[64];
  ASSERT_TRUE(mkdtemp(dir) != NULL);
  snprintf(path, sizeof path, "%s/lull.ini", dir);
  write_file(path, "[server]\nthreads = 1\n\n[station a]\nkey = C\n");
  uint16_t port;
  int err_fd;
  pid_t pid = spawn_serve(LULL_BIN, (const char *[]){"--config", path, NULL}, 0, &port, &err_fd);
  ASSERT_TRUE(pid > 0);
  fcntl(err_fd, F_SETFL, fcntl(err_fd, F_GETFL) | O_NONBLOCK);
  char names[256], log[1 << 16] = "";
  station_names(port, names, sizeof names);
  ASSERT_STR_EQ(names, "a");

  write_file(path, "[server]\nthreads = 1\nmax-clients = 50\n\n[station a]\nkey = C\n\n[station b]\nkey = D\n");
  ASSERT_EQ_INT(kill(pid, SIGHUP), 0);
  double t0 = nc_now_s();
  do {
    nap_ms(50);
    station_names(port, names, sizeof names);
  } while (strcmp(names, "a,b") != 0 && nc_now_s() - t0 < 5);
  ASSERT_STR_EQ(names, "a,b");
  drain(err_fd, log, sizeof log);
  ASSERT_STR_CONTAINS(log, "reload: 1 station added (b)");
  ASSERT_STR_CONTAINS(log, "max-clients changed (running with 10000, the file says 50); it takes effect when the "
                          "server restarts");

  hup_with(pid, path, "[server]\nthreads = 1\n\n[station a]\nkey = H\n", err_fd, log, sizeof log, "not reloaded");
  ASSERT_STR_CONTAINS(log, "not reloaded, the running configuration stays");
  ASSERT_STR_CONTAINS(log, "[station a] key");
  station_names(port, names, sizeof names);
  ASSERT_STR_EQ(names, "a,b");

  /* A file an editor left empty would be the defaults (one station
   * "main", every other ended): refused. */
  hup_with(pid, path, "", err_fd, log, sizeof log, "holds no settings at all");
  ASSERT_STR_CONTAINS(log, "the file holds no settings at all");
  /* steer=token without a token, named by its file and section. */
  hup_with(pid, path, "[server]\nthreads = 1\n\n[station a]\nkey = C\nsteer = token\n", err_fd, log, sizeof log,
           "steer=token needs");
  ASSERT_STR_CONTAINS(log, "lull.ini:4: [station a] steer: steer=token needs the server's control token");
  station_names(port, names, sizeof names);
  ASSERT_STR_EQ(names, "a,b");
  /* Back to what it started with: nothing to warn of (the comparison is
   * with what runs, not with the last file). */
  size_t before = strlen(log);
  hup_with(pid, path, "[server]\nthreads = 1\n\n[station a]\nkey = C\n", err_fd, log, sizeof log, "1 removed (b)");
  ASSERT_STR_CONTAINS(log + before, "1 removed (b)");
  nap_ms(300); /* the warnings follow the summary */
  drain(err_fd, log, sizeof log);
  if (strstr(log + before, "takes effect when the server restarts")) fail_msg("warned: %s", log + before);

  ASSERT_EQ_INT(kill(pid, SIGTERM), 0);
  int status;
  ASSERT_TRUE(wait_exit(pid, nc_now_s(), 10, &status));
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  close(err_fd);
  unlink(path);
  rmdir(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_stations_change_and_the_others_play_on),
      cmocka_unit_test(test_a_reload_that_fails_changes_nothing),
      cmocka_unit_test(test_icecast_outputs_follow_the_config),
      cmocka_unit_test(test_slots_come_back),
      cmocka_unit_test(test_a_listener_who_stopped_reading_lets_go),
      cmocka_unit_test(test_a_renewed_certificate_serves_the_next_handshakes),
      cmocka_unit_test(test_sighup_rereads_the_file),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
