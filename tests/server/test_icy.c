/* ICY metadata (server/icy.c): the block format, blocks at exactly every
 * LULL_ICY_METAINT bytes of audio however the audio comes in, and end to
 * end: an MP3 listener that sends Icy-MetaData: 1 (plain HTTP, served by
 * the worker itself, and over TLS, carried by libwebsockets) gets
 * icy-metaint, blocks at exact intervals with MP3 frames intact between
 * them, and a StreamTitle that follows the music when it is steered; one
 * that does not ask gets MP3 and nothing else. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/fixture.h"
#include "server/icy.h"
#include "support/decode.h"
#include "support/harness.h"

#define DOT "\xc2\xb7"

static void test_block_format(void **state) {
  (void)state;
  lull_icy y;
  lull__icy_init(&y);
  ASSERT_EQ_INT(y.left, LULL_ICY_METAINT);
  unsigned char b[LULL_ICY_BLOCK_MAX];
  /* UTF-8 in, ISO-8859-1 out (U+00B7 is 0xB7), as Icecast sends it. */
  size_t n = lull__icy_block(&y, "D dorian " DOT " Gm9 " DOT " 60 bpm", b);
  const char want[] = "StreamTitle='D dorian \xb7 Gm9 \xb7 60 bpm';";
  size_t text = sizeof want - 1, blocks = (text + 15) / 16;
  ASSERT_EQ_INT(b[0], blocks);
  ASSERT_EQ_INT(n, 1 + 16 * blocks);
  ASSERT_TRUE(memcmp(b + 1, want, text) == 0);
  for (size_t i = 1 + text; i < n; i++) ASSERT_EQ_INT(b[i], 0);
  /* Unchanged: the single byte 0. Changed: whole again. */
  ASSERT_EQ_INT(lull__icy_block(&y, "D dorian " DOT " Gm9 " DOT " 60 bpm", b), 1);
  ASSERT_EQ_INT(b[0], 0);
  n = lull__icy_block(&y, "E lydian", b);
  ASSERT_EQ_INT(n, 1 + 16 * 2);
  ASSERT_TRUE(memcmp(b + 1, "StreamTitle='E lydian';", 23) == 0);
  /* A quote or a control character would end or break the value; a
   * character beyond Latin-1 becomes '?'. */
  n = lull__icy_block(&y, "it's\na \xe2\x82\xac", b);
  ASSERT_TRUE(memcmp(b + 1, "StreamTitle='it s a ?';", 23) == 0);
  /* A long title is cut to fit the block. */
  char longest[400];
  memset(longest, 'a', sizeof longest - 1);
  longest[sizeof longest - 1] = 0;
  n = lull__icy_block(&y, longest, b);
  ASSERT_LE(n, LULL_ICY_BLOCK_MAX);
  ASSERT_EQ_INT(n, 1 + 16u * b[0]);
  ASSERT_EQ_INT(strlen(y.sent), LULL_ICY_TITLE_MAX - 1);
  /* Only "1" asks. */
  ASSERT_TRUE(lull__icy_wants("1"));
  ASSERT_TRUE(lull__icy_wants(" 1 "));
  ASSERT_TRUE(!lull__icy_wants("0"));
  ASSERT_TRUE(!lull__icy_wants(""));
  ASSERT_TRUE(!lull__icy_wants("11"));
  ASSERT_TRUE(!lull__icy_wants("1x"));
}

static void counting_title(void *user, char *out, size_t cap) {
  int *calls = user;
  /* The title changes every other block. */
  snprintf(out, cap, "title %d", (*calls)++ / 2);
}

/* Audio in chunks of every awkward size: blocks land after exactly
 * LULL_ICY_METAINT bytes of audio each time, the audio between them is the
 * audio, and the title is asked only when a block is due. */
static void test_interleave_exact(void **state) {
  (void)state;
  const size_t total = 7 * LULL_ICY_METAINT + 1234;
  unsigned char *in = malloc(total), *out = malloc(LULL_ICY_OUT_MAX(total) + 8 * LULL_ICY_BLOCK_MAX);
  uint32_t x = 12345; /* fixed seed */
  for (size_t i = 0; i < total; i++) in[i] = (unsigned char)((x = x * 1103515245u + 12345u) >> 24);
  static const size_t sizes[] = {1, 7, 333, 15999, 16000, 16001, 5000, 2, 40000, 384};
  lull_icy y;
  lull__icy_init(&y);
  int calls = 0;
  size_t n = 0;
  for (size_t off = 0, k = 0; off < total; k++) {
    size_t len = sizes[k % 10] < total - off ? sizes[k % 10] : total - off;
    unsigned char *chunk = malloc(LULL_ICY_OUT_MAX(len));
    size_t got = lull__icy_interleave(&y, in + off, len, chunk, counting_title, &calls);
    ASSERT_LE(got, LULL_ICY_OUT_MAX(len));
    memcpy(out + n, chunk, got);
    free(chunk);
    n += got;
    off += len;
  }
  ASSERT_EQ_INT(calls, 7);
  /* Parse as a client: metaint bytes of audio, a length byte, the block. */
  size_t at = 0, audio = 0, full = 0;
  while (at < n) {
    size_t take = n - at < LULL_ICY_METAINT ? n - at : LULL_ICY_METAINT;
    ASSERT_TRUE(memcmp(out + at, in + audio, take) == 0);
    at += take;
    audio += take;
    if (at == n) break;
    unsigned len = out[at];
    if (len) {
      ASSERT_TRUE(memcmp(out + at + 1, "StreamTitle='title ", 19) == 0);
      full++;
    }
    at += 1 + 16 * len;
  }
  ASSERT_EQ_INT(audio, total);
  ASSERT_EQ_INT(full, 4); /* titles 0, 1, 2, 3: each new one once */
  free(in);
  free(out);
}

/* ---- end to end ------------------------------------------------------------- */

/* MPEG-1 Layer III frames at 48 kHz, walked from the first byte: how many
 * whole frames follow each other without a gap (a byte out of place
 * breaks the walk); *end is where the walk stopped. */
static size_t mp3_walk(const unsigned char *p, size_t len, size_t *end) {
  static const unsigned kbit[16] = {0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 0};
  size_t i = 0, frames = 0;
  while (i + 4 <= len) {
    if (p[i] != 0xff || (p[i + 1] & 0xfe) != 0xfa || !kbit[p[i + 2] >> 4] || ((p[i + 2] >> 2) & 3) != 1) break;
    size_t size = 144u * kbit[p[i + 2] >> 4] * 1000u / 48000u + ((p[i + 2] >> 1) & 1);
    if (i + size > len) {
      i = len; /* the last frame, cut by the end of the read */
      break;
    }
    i += size;
    frames++;
  }
  *end = i;
  return frames;
}

typedef struct icy_read {
  unsigned char *audio;
  size_t audio_len, blocks, full;
  char titles[8][LULL_ICY_TITLE_MAX];
  size_t n_titles;
} icy_read;

/* Take an ICY stream apart at exactly metaint bytes: every block's length
 * and text checked, the audio kept. */
static void icy_parse(const unsigned char *p, size_t len, icy_read *r) {
  memset(r, 0, sizeof *r);
  r->audio = malloc(len + 1);
  size_t at = 0;
  while (at < len) {
    size_t take = len - at < LULL_ICY_METAINT ? len - at : LULL_ICY_METAINT;
    memcpy(r->audio + r->audio_len, p + at, take);
    r->audio_len += take;
    at += take;
    if (at >= len) break;
    size_t blen = 16u * p[at];
    if (at + 1 + blen > len) break; /* cut by the end of the read */
    r->blocks++;
    if (blen) {
      const char *b = (const char *)p + at + 1;
      if (strncmp(b, "StreamTitle='", 13) != 0) fail_msg("block %zu is not a StreamTitle: %.40s", r->blocks, b);
      const char *q = memchr(b + 13, '\'', blen - 13);
      ASSERT_TRUE(q != NULL);
      ASSERT_TRUE(q[1] == ';');
      for (const char *z = q + 2; z < b + blen; z++) ASSERT_EQ_INT(*z, 0);
      if (r->n_titles < 8) snprintf(r->titles[r->n_titles++], LULL_ICY_TITLE_MAX, "%.*s", (int)(q - b - 13), b + 13);
      r->full++;
    }
    at += 1 + blen;
  }
}

/* The audio of an ICY read: whole MP3 frames from its first byte to its
 * end, and libmpg123 decodes it, not silent. */
static void expect_mp3(const unsigned char *audio, size_t len, const char *what) {
  size_t end;
  size_t frames = mp3_walk(audio, len, &end);
  print_message("# %s: %zu bytes of MP3, %zu frames walked to byte %zu\n", what, len, frames, end);
  ASSERT_EQ_INT(end, len);
  ASSERT_GE(frames, 100);
  decoded d;
  ASSERT_EQ_INT(decode_mp3(audio, len, &d), 0);
  ASSERT_EQ_INT(d.rate, 48000);
  ASSERT_GE(d.seconds, 2.0);
  ASSERT_GE(d.rms, 0.005);
}

static lull_server *start_night(void) {
  static lull_station_config st[2];
  st[0] = (lull_station_config){.name = "night", .title = "Night", .description = "Slow and low"};
  st[0].params = lull_params_default();
  st[0].params.key = 2; /* D */
  st[0].params.mode = LULL_MODE_DORIAN;
  st[0].params.bpm = 60;
  st[1] = (lull_station_config){.name = "main"};
  return start(&(lull_server_config){.stations = st, .n_stations = 2, .http_write_ms = 20});
}

static void read_for(int fd, unsigned char **buf, size_t *len, size_t *cap, double seconds) {
  for (double end = nc_now_s() + seconds; nc_now_s() < end;) {
    if (*len == *cap) *buf = realloc(*buf, *cap *= 2);
    long n = nc_read(fd, *buf + *len, *cap - *len, 100);
    if (n == 0 || n == -1) break;
    if (n > 0) *len += (size_t)n;
  }
}

static void test_icy_stream_follows_the_music(void **state) {
  (void)state;
  lull_server *srv = start_night();
  uint16_t port = lull_server_port(srv);
  int icy = nc_connect(port, 0), plain = nc_connect(port, 0);
  unsigned char *a, *b;
  size_t a_len, b_len, a_cap = 1 << 20, b_cap = 1 << 20;
  char head[2048], plain_head[2048], v[64];
  ASSERT_EQ_INT(nc_stream_open_head(icy, "/night.mp3", "Icy-MetaData: 1\r\n", &a, &a_len, head, sizeof head), 200);
  ASSERT_EQ_INT(nc_stream_open_head(plain, "/stream.mp3?station=night", NULL, &b, &b_len, plain_head, sizeof plain_head),
                200);
  a = realloc(a, a_cap);
  b = realloc(b, b_cap);
  static const char *const want[][2] = {{"icy-metaint", "16000"},   {"icy-name", "Night"},
                                        {"icy-description", "Slow and low"}, {"icy-br", "128"},
                                        {"icy-genre", "ambient"},  {"icy-url", "http://127.0.0.1/"}};
  for (int i = 0; i < 6; i++) {
    if (!http_header(head, want[i][0], v, sizeof v)) fail_msg("no %s in %s", want[i][0], head);
    ASSERT_STR_EQ(v, want[i][1]);
  }
  /* Not asked: no metaint, the rest the same. */
  ASSERT_TRUE(!http_header(plain_head, "icy-metaint", v, sizeof v));
  ASSERT_TRUE(http_header(plain_head, "icy-name", v, sizeof v));
  ASSERT_STR_EQ(v, "Night");

  /* Three seconds, then a steer to E lydian, then up to eight more until a
   * block says so. */
  read_for(icy, &a, &a_len, &a_cap, 3);
  read_for(plain, &b, &b_len, &b_cap, 0.2);
  char *reply = NULL;
  ASSERT_EQ_INT(nc_http(port, "POST", "/api/stations/night/params", NULL,
                        "{\"key\":\"E\",\"mode\":\"lydian\"}", &reply, NULL),
                202);
  free(reply);
  icy_read r = {0};
  for (double end = nc_now_s() + 8; nc_now_s() < end;) {
    read_for(icy, &a, &a_len, &a_cap, 0.5);
    read_for(plain, &b, &b_len, &b_cap, 0.1);
    free(r.audio);
    icy_parse(a, a_len, &r);
    if (r.n_titles && strstr(r.titles[r.n_titles - 1], "E lydian")) break;
  }
  close(icy);
  close(plain);
  print_message("# icy: %zu bytes, %zu blocks (%zu with a title):", a_len, r.blocks, r.full);
  for (size_t i = 0; i < r.n_titles; i++) print_message(" \"%s\"", r.titles[i]);
  print_message("\n");
  ASSERT_GE(r.blocks, 3);
  /* The first block carries the title; the music's key and mode are in it,
   * as is the tempo, in Latin-1 like Icecast's. */
  ASSERT_GE(r.n_titles, 2);
  ASSERT_TRUE(strncmp(r.titles[0], "D dorian \xb7 ", 11) == 0);
  ASSERT_STR_CONTAINS(r.titles[0], " \xb7 60 bpm");
  ASSERT_STR_CONTAINS(r.titles[r.n_titles - 1], "E lydian");
  /* Between the blocks: MP3 frames, back to back from the first byte. */
  expect_mp3(r.audio, r.audio_len, "icy listener (blocks taken out)");
  free(r.audio);
  /* The listener that did not ask: plain MP3, no block anywhere. */
  for (size_t i = 0; i + 11 <= b_len; i++) ASSERT_TRUE(memcmp(b + i, "StreamTitle", 11) != 0);
  expect_mp3(b, b_len, "plain listener");
  free(a);
  free(b);

  /* A HEAD says what GET would, metaint included, and is no listener. */
  ASSERT_EQ_INT(nc_http_head(port, "HEAD", "/night.mp3", "Icy-MetaData: 1\r\n", NULL, &reply, NULL, head, sizeof head), 200);
  free(reply);
  ASSERT_TRUE(http_header(head, "icy-name", v, sizeof v));
  ASSERT_TRUE(http_header(head, "icy-metaint", v, sizeof v));
  /* Ogg never gets blocks (its tags stay fixed), even when asked. */
  int ogg = nc_connect(port, 0);
  ASSERT_EQ_INT(nc_stream_open_head(ogg, "/night.ogg", "Icy-MetaData: 1\r\n", &a, &a_len, head, sizeof head), 200);
  ASSERT_TRUE(!http_header(head, "icy-metaint", v, sizeof v));
  ASSERT_TRUE(http_header(head, "icy-br", v, sizeof v));
  ASSERT_STR_EQ(v, "96");
  close(ogg);
  free(a);
  lull_server_destroy(srv);
}

/* Over TLS, where libwebsockets carries the stream (session.c): the same
 * blocks at the same intervals. */
static void test_icy_over_tls(void **state) {
  (void)state;
  test_cert tc;
  make_cert(&tc);
  lull_server *srv = start(&(lull_server_config){.tls_cert = tc.cert, .tls_key = tc.key, .http_write_ms = 20});
  uint16_t port = lull_server_port(srv);
  unsigned char *body;
  size_t len;
  char head[2048], v[64];
  ASSERT_EQ_INT(tls_get(port, tc.cert, "/main.mp3", "Icy-MetaData: 1\r\n", 4, &body, &len, head, sizeof head), 200);
  ASSERT_TRUE(http_header(head, "icy-metaint", v, sizeof v));
  ASSERT_STR_EQ(v, "16000");
  ASSERT_TRUE(http_header(head, "icy-url", v, sizeof v));
  ASSERT_TRUE(strncmp(v, "https://127.0.0.1:", 18) == 0);
  icy_read r;
  icy_parse(body, len, &r);
  print_message("# icy over TLS: %zu bytes, %zu blocks, first title \"%s\"\n", len, r.blocks, r.n_titles ? r.titles[0] : "");
  ASSERT_GE(r.blocks, 2);
  ASSERT_GE(r.n_titles, 1);
  ASSERT_STR_CONTAINS(r.titles[0], " bpm");
  expect_mp3(r.audio, r.audio_len, "icy over TLS");
  free(r.audio);
  free(body);
  lull_server_destroy(srv);
  unlink(tc.cert);
  unlink(tc.key);
  rmdir(tc.dir);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_block_format),
      cmocka_unit_test(test_interleave_exact),
      cmocka_unit_test(test_icy_stream_follows_the_music),
      cmocka_unit_test(test_icy_over_tls),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
