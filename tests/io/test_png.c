/* png.c: the checksums match their published check values; images read
 * back by a strict reader (support/pngcheck.c) come out pixel for pixel,
 * calm ones compressed (fixed Huffman, runs and repeated rows) to a small
 * part of their stored size, noisy ones stored; bad sizes are refused. */
#include <stdlib.h>

#include "io/io.h"
#include "support/harness.h"
#include "support/pngcheck.h"

static void check_round_trip(const unsigned char *px, int w, int h, const unsigned char *rgb, int colours,
                             png_image *img, size_t *len) {
  unsigned char *png;
  ASSERT_EQ_INT(lull__png_indexed(px, w, h, rgb, colours, &png, len), LULL_OK);
  char why[200];
  if (png_check(png, *len, img, why, sizeof why)) fail_msg("%dx%d: %s", w, h, why);
  free(png);
  ASSERT_EQ_INT(img->w, w);
  ASSERT_EQ_INT(img->h, h);
  ASSERT_EQ_INT(img->colours, colours);
  ASSERT_TRUE(!memcmp(img->rgb, rgb, (size_t)colours * 3));
  ASSERT_TRUE(!memcmp(img->index, px, (size_t)w * (size_t)h));
}

static void test_checksums(void **state) {
  (void)state;
  ASSERT_EQ_INT(lull__png_crc32(0, "123456789", 9), 0xcbf43926u); /* the CRC-32 check value */
  ASSERT_EQ_INT(lull__png_crc32(lull__png_crc32(0, "1234", 4), "56789", 5), 0xcbf43926u);
  ASSERT_EQ_INT(lull__png_adler32(1, "Wikipedia", 9), 0x11e60398u);
}

/* Noise does not compress: stored blocks (300 x 300: two of them). */
static void test_noise_is_stored(void **state) {
  (void)state;
  enum { W = 300, H = 300 };
  static unsigned char px[W * H];
  unsigned char rgb[256 * 3];
  uint32_t x = 12345;
  for (int i = 0; i < W * H; i++) x = x * 1103515245u + 12345u, px[i] = (unsigned char)(x >> 23);
  for (int i = 0; i < 256 * 3; i++) rgb[i] = (unsigned char)i;
  png_image img;
  size_t len;
  check_round_trip(px, W, H, rgb, 256, &img, &len);
  ASSERT_EQ_INT(img.stored_blocks, 2);
  ASSERT_EQ_INT(img.fixed_blocks, 0);
  png_image_free(&img);
}

/* Bands, a disc and a wavy horizon (what the artwork draws): one fixed
 * block, far smaller than the pixels. */
static void test_calm_picture_compresses(void **state) {
  (void)state;
  enum { W = 512, H = 512 };
  static unsigned char px[W * H];
  unsigned char rgb[64 * 3];
  for (int i = 0; i < 64 * 3; i++) rgb[i] = (unsigned char)(i * 4);
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      int horizon = 300 + (int)(30 * sin(x / 40.0)), dx = x - 200, dy = y - 150;
      px[y * W + x] = (unsigned char)(y > horizon ? 60 : dx * dx + dy * dy < 900 ? 50 : y / 10);
    }
  png_image img;
  size_t len;
  check_round_trip(px, W, H, rgb, 64, &img, &len);
  ASSERT_EQ_INT(img.fixed_blocks, 1);
  ASSERT_EQ_INT(img.stored_blocks, 0);
  ASSERT_LE(len, W * H / 20);
  png_image_free(&img);
}

/* The smallest, a row, a column, a run longer than a match (258), and
 * every literal of the fixed code (0..255, 8 and 9 bits). */
static void test_shapes(void **state) {
  (void)state;
  unsigned char rgb[256 * 3] = {0}, px[1000];
  png_image img;
  size_t len;
  const int sizes[][2] = {{1, 1}, {1000, 1}, {1, 1000}, {600, 1}, {31, 31}};
  for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
    int w = sizes[s][0], h = sizes[s][1];
    for (int i = 0; i < w * h; i++) px[i] = (unsigned char)(s == 4 ? i % 256 : s == 3 ? (i > 280) * 7 : 3);
    check_round_trip(px, w, h, rgb, 256, &img, &len);
    png_image_free(&img);
  }
}

static void test_refusals(void **state) {
  (void)state;
  unsigned char px[4] = {0}, rgb[3] = {0}, *png = (unsigned char *)"x";
  size_t len = 1;
  ASSERT_EQ_INT(lull__png_indexed(px, 0, 2, rgb, 1, &png, &len), LULL_EINVAL);
  ASSERT_TRUE(png == NULL && len == 0);
  ASSERT_EQ_INT(lull__png_indexed(px, 2, 2, rgb, 0, &png, &len), LULL_EINVAL);
  ASSERT_EQ_INT(lull__png_indexed(px, 2, 2, rgb, 257, &png, &len), LULL_EINVAL);
  ASSERT_EQ_INT(lull__png_indexed(px, 20000, 1, rgb, 1, &png, &len), LULL_EINVAL);
  ASSERT_EQ_INT(lull__png_write("/nonexistent-folder/x.png", px, 2, 2, rgb, 1), LULL_EIO);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_checksums),       cmocka_unit_test(test_noise_is_stored),
      cmocka_unit_test(test_calm_picture_compresses), cmocka_unit_test(test_shapes),
      cmocka_unit_test(test_refusals),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
