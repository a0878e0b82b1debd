/* artwork.png end to end (artwork.c, artwork_draw.c): a real server on
 * loopback and a real client; every size comes back as a strict reader's
 * PNG (support/pngcheck.c) of that size, in the station's colours, the same
 * bytes each time; stations in other keys look different; the ETag names
 * key and mode, 304 while they stay, a new picture once they change; HEAD
 * says what GET sends; every bad request gets its JSON error. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "io/io.h"
#include "server/artwork.h"
#include "server/fixture.h"
#include "support/harness.h"
#include "support/pngcheck.h"

static lull_server *start_three(void) {
  static lull_station_config st[3];
  st[0] = (lull_station_config){.name = "main", .params = lull_params_default()};
  st[0].params.key = 9, st[0].params.mode = LULL_MODE_AEOLIAN;
  st[1] = (lull_station_config){.name = "night", .params = lull_params_default()};
  st[1].params.key = 2, st[1].params.mode = LULL_MODE_DORIAN;
  st[2] = (lull_station_config){.name = "twin", .params = st[0].params}; /* main's key and mode */
  return start(&(lull_server_config){.stations = st, .n_stations = 3});
}

typedef struct got {
  int status;
  char *body, head[4096], etag[128], type[64], cache[64];
  size_t len;
} got;

static got get(uint16_t port, const char *method, const char *path, const char *headers) {
  got g = {0};
  g.status = nc_http_head(port, method, path, headers, NULL, &g.body, &g.len, g.head, sizeof g.head);
  http_header(g.head, "etag", g.etag, sizeof g.etag);
  http_header(g.head, "content-type", g.type, sizeof g.type);
  http_header(g.head, "cache-control", g.cache, sizeof g.cache);
  return g;
}

/* A 200 with a well-formed PNG of size x size, read into img. */
static void expect_png(const got *g, int size, png_image *img) {
  char why[200];
  ASSERT_EQ_INT(g->status, 200);
  ASSERT_STR_EQ(g->type, "image/png");
  ASSERT_STR_EQ(g->cache, "no-cache");
  if (png_check((const unsigned char *)g->body, g->len, img, why, sizeof why)) fail_msg("size %d: %s", size, why);
  ASSERT_EQ_INT(img->w, size);
  ASSERT_EQ_INT(img->h, size);
}

/* GET path answers with a PNG of size x size. */
static void expect_picture(uint16_t port, const char *path, int size) {
  got g = get(port, "GET", path, NULL);
  png_image img;
  expect_png(&g, size, &img);
  png_image_free(&img);
  free(g.body);
}

static void test_every_size(void **state) {
  (void)state;
  lull_server *srv = start_three();
  uint16_t port = lull_server_port(srv);
  for (int i = 0; i < LULL_ARTWORK_SIZES; i++) {
    int size = lull__artwork_sizes[i];
    char path[96];
    snprintf(path, sizeof path, "/api/stations/night/artwork.png?size=%d", size);
    got g = get(port, "GET", path, NULL), again = get(port, "GET", path, NULL), head = get(port, "HEAD", path, NULL);
    png_image img;
    expect_png(&g, size, &img);
    char want[64], v[32];
    snprintf(want, sizeof want, "\"art1-%d-D-dorian\"", size);
    ASSERT_STR_EQ(g.etag, want);
    ASSERT_TRUE(again.len == g.len && !memcmp(again.body, g.body, g.len)); /* the same bytes, from the cache */
    ASSERT_EQ_INT(head.status, 200);
    ASSERT_EQ_INT(head.len, 0);
    ASSERT_TRUE(http_header(head.head, "content-length", v, sizeof v));
    ASSERT_EQ_INT(strtoull(v, NULL, 10), g.len);
    ASSERT_STR_EQ(head.etag, want);
    /* Calm pictures compress: well under a byte a pixel (stored, it would be over one). */
    ASSERT_LE(g.len, (size_t)size * (size_t)size / 4);
    print_message("# night, %d x %d: %zu bytes\n", size, size, g.len);
    png_image_free(&img);
    free(g.body), free(again.body), free(head.body);
  }
  expect_picture(port, "/api/stations/night/artwork.png", 512); /* no size: 512 */
  lull_server_destroy(srv);
}

/* The share of pixels that differ between two pictures of one size. */
static double differ(const png_image *a, const png_image *b) {
  size_t n = (size_t)a->w * a->h, d = 0;
  for (size_t i = 0; i < n; i++) d += memcmp(a->rgb + 3 * a->index[i], b->rgb + 3 * b->index[i], 3) != 0;
  return (double)d / (double)n;
}

/* The mean colour of the top rows (the sky): its hue, in degrees. */
static double sky_hue(const png_image *img) {
  double r = 0, g = 0, b = 0;
  for (size_t i = 0; i < img->w * 20; i++) {
    const unsigned char *c = img->rgb + 3 * img->index[i];
    r += c[0], g += c[1], b += c[2];
  }
  double mx = fmax(r, fmax(g, b)), mn = fmin(r, fmin(g, b)), h;
  if (mx == mn) return 0;
  if (mx == r) h = fmod((g - b) / (mx - mn), 6);
  else if (mx == g) h = (b - r) / (mx - mn) + 2;
  else h = (r - g) / (mx - mn) + 4;
  return fmod(h * 60 + 360, 360);
}

static void test_stations_look_their_own(void **state) {
  (void)state;
  lull_server *srv = start_three();
  uint16_t port = lull_server_port(srv);
  got m = get(port, "GET", "/api/stations/main/artwork.png?size=256", NULL);
  got n = get(port, "GET", "/api/stations/night/artwork.png?size=256", NULL);
  got t = get(port, "GET", "/api/stations/twin/artwork.png?size=256", NULL);
  png_image pm, pn, pt;
  expect_png(&m, 256, &pm), expect_png(&n, 256, &pn), expect_png(&t, 256, &pt);
  /* cards.mjs cardColour: A (3 fifths) at 290 degrees, D (2 fifths) at 260. */
  int hue, light;
  lull__artwork_colour(9, LULL_MODE_AEOLIAN, &hue, &light);
  ASSERT_EQ_INT(hue, 290);
  ASSERT_EQ_INT(light, 19);
  lull__artwork_colour(2, LULL_MODE_DORIAN, &hue, &light);
  ASSERT_EQ_INT(hue, 260);
  ASSERT_EQ_INT(light, 23);
  lull__artwork_colour(7, LULL_MODE_LYDIAN, &hue, &light); /* G: 1 fifth */
  ASSERT_EQ_INT(hue, 230);
  ASSERT_EQ_INT(light, 32);
  ASSERT_NEAR(sky_hue(&pm), 290, 12);
  ASSERT_NEAR(sky_hue(&pn), 260, 12);
  ASSERT_GE(differ(&pm, &pn), 0.5); /* another key and mode: nearly every pixel */
  /* The same key and mode, another name: the same colours, other hills. */
  ASSERT_TRUE(!memcmp(pm.rgb, pt.rgb, (size_t)pm.colours * 3));
  ASSERT_GE(differ(&pm, &pt), 0.02);
  ASSERT_STR_EQ(m.etag, t.etag);
  png_image_free(&pm), png_image_free(&pn), png_image_free(&pt);
  free(m.body), free(n.body), free(t.body);
  lull_server_destroy(srv);
}

static void test_etag_follows_key_and_mode(void **state) {
  (void)state;
  lull_server *srv = start_three();
  uint16_t port = lull_server_port(srv);
  const char *path = "/api/stations/main/artwork.png?size=128";
  got first = get(port, "GET", path, NULL);
  png_image before, after;
  expect_png(&first, 128, &before);
  ASSERT_STR_EQ(first.etag, "\"art1-128-A-aeolian\"");
  char inm[200];
  snprintf(inm, sizeof inm, "If-None-Match: %s\r\n", first.etag);
  got same = get(port, "GET", path, inm);
  ASSERT_EQ_INT(same.status, 304);
  ASSERT_EQ_INT(same.len, 0);
  ASSERT_STR_EQ(same.etag, first.etag);
  got other = get(port, "GET", path, "If-None-Match: \"art1-128-E-lydian\"\r\n");
  ASSERT_EQ_INT(other.status, 200);
  /* Someone steers: the old tag gets the new picture. */
  char *body;
  ASSERT_EQ_INT(nc_http(port, "POST", "/api/stations/main/params", NULL, "{\"key\":\"E\",\"mode\":\"lydian\"}", &body,
                        NULL), 202);
  free(body);
  got changed = {0};
  for (int i = 0; i < 100; i++) {
    free(changed.body);
    changed = get(port, "GET", path, inm);
    if (changed.status != 304) break;
    nap_ms(20);
  }
  expect_png(&changed, 128, &after);
  ASSERT_STR_EQ(changed.etag, "\"art1-128-E-lydian\"");
  ASSERT_GE(differ(&before, &after), 0.5);
  png_image_free(&before), png_image_free(&after);
  free(first.body), free(same.body), free(other.body), free(changed.body);
  lull_server_destroy(srv);
}

/* An error's status, code, field, and words that its message holds. */
static void expect_refusal(uint16_t port, const char *method, const char *path, int status, const char *code,
                           const char *field, const char *words) {
  got g = get(port, method, path, NULL);
  if (g.status != status) fail_msg("%s %s: %d, expected %d: %s", method, path, g.status, status, g.body);
  ASSERT_STR_EQ(g.type, "application/json");
  json_t *j = parse(g.body), *e = json_object_get(j, "error");
  ASSERT_STR_EQ(json_string_value(json_object_get(e, "code")), code);
  ASSERT_STR_EQ(json_string_value(json_object_get(e, "field")), field);
  ASSERT_STR_CONTAINS(json_string_value(json_object_get(e, "message")), words);
  json_decref(j);
  free(g.body);
}

static void test_bad_requests(void **state) {
  (void)state;
  lull_server *srv = start_three();
  uint16_t port = lull_server_port(srv);
  const char *sizes = "96, 128, 192, 256, 384, 512";
  expect_refusal(port, "GET", "/api/stations/nope/artwork.png", 404, "unknown_station", "station", "no station \"nope\"");
  expect_refusal(port, "GET", "/api/stations/Bad!/artwork.png", 400, "bad_station", "station", "a-z");
  expect_refusal(port, "GET", "/api/stations/main/artwork.png?size=100", 400, "bad_request", "size", sizes);
  expect_refusal(port, "GET", "/api/stations/main/artwork.png?size=abc", 400, "bad_request", "size", "\"abc\"");
  expect_refusal(port, "GET", "/api/stations/main/artwork.png?size=", 400, "bad_request", "size", sizes);
  expect_refusal(port, "GET", "/api/stations/main/artwork.png?size", 400, "bad_request", "size", sizes);
  expect_refusal(port, "GET", "/api/stations/main/artwork.png?size=512x", 400, "bad_request", "size", "\"512x\"");
  expect_refusal(port, "GET", "/api/stations/main/artwork.png?size=0512", 400, "bad_request", "size", sizes);
  expect_refusal(port, "GET", "/api/stations/main/artwork.png?size=-96", 400, "bad_request", "size", sizes);
  expect_refusal(port, "GET", "/api/stations/main/artwork.png?size=96&size=7", 400, "bad_request", "size", sizes);
  expect_refusal(port, "GET", "/api/stations/main/artwork.png?width=96", 400, "bad_request", "width", "size=96");
  expect_refusal(port, "GET", "/api/stations/main/artwork.png/more", 404, "not_found", "path", "artwork.png");
  expect_refusal(port, "POST", "/api/stations/main/artwork.png", 405, "method_not_allowed", "method", "GET");
  expect_refusal(port, "DELETE", "/api/stations/main/artwork.png", 405, "method_not_allowed", "method", "GET");
  expect_picture(port, "/api/stations/main/artwork.png?size=96", 96); /* still serving */
  lull_server_destroy(srv);
}

/* Figures, never asserted: the time to draw and encode each size (the
 * cache's misses), and the sizes in bytes. */
static void test_draw_figures(void **state) {
  (void)state;
  static unsigned char index[LULL_ARTWORK_MAX * LULL_ARTWORK_MAX];
  unsigned char rgb[768], *png;
  for (int i = 0; i < LULL_ARTWORK_SIZES; i++) {
    int size = lull__artwork_sizes[i], colours = 0;
    size_t len = 0;
    struct timespec t0, t1, t2;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int r = 0; r < 10; r++) colours = lull__artwork_draw("main", 9, LULL_MODE_AEOLIAN, size, index, rgb);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    for (int r = 0; r < 10; r++) {
      ASSERT_EQ_INT(lull__png_indexed(index, size, size, rgb, colours, &png, &len), LULL_OK);
      free(png);
    }
    clock_gettime(CLOCK_MONOTONIC, &t2);
    double draw = ((double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6) / 10;
    double enc = ((double)(t2.tv_sec - t1.tv_sec) * 1e3 + (double)(t2.tv_nsec - t1.tv_nsec) / 1e6) / 10;
    print_message("# %3d x %3d: drawn in %.2f ms, PNG in %.2f ms, %zu bytes, %d colours\n", size, size, draw, enc, len,
                  colours);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_size),      cmocka_unit_test(test_stations_look_their_own),
      cmocka_unit_test(test_etag_follows_key_and_mode), cmocka_unit_test(test_bad_requests),
      cmocka_unit_test(test_draw_figures),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
