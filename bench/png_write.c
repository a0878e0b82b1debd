/* Palette PNG (png_write.h): signature, IHDR, PLTE, one IDAT holding a zlib
 * stream of stored deflate blocks (each at most 65535 bytes: header byte,
 * LEN, ~LEN, then the bytes), IEND. Every row starts with filter byte 0. */
#include "png_write.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint32_t png_crc32(uint32_t crc, const void *data, size_t n) {
  const unsigned char *p = data;
  crc = ~crc;
  for (size_t i = 0; i < n; i++) {
    crc ^= p[i];
    for (int b = 0; b < 8; b++) crc = crc & 1 ? 0xedb88320u ^ (crc >> 1) : crc >> 1; /* reflected 0x04c11db7 */
  }
  return ~crc;
}

uint32_t png_adler32(uint32_t adler, const void *data, size_t n) {
  const unsigned char *p = data;
  uint32_t a = adler & 0xffff, b = adler >> 16;
  for (size_t i = 0; i < n; i++) {
    a = (a + p[i]) % 65521;
    b = (b + a) % 65521;
  }
  return b << 16 | a;
}

static void be32(unsigned char *p, uint32_t v) {
  p[0] = (unsigned char)(v >> 24), p[1] = (unsigned char)(v >> 16), p[2] = (unsigned char)(v >> 8),
  p[3] = (unsigned char)v;
}

static int chunk(FILE *f, const char *type, const unsigned char *data, size_t n) {
  unsigned char head[8], tail[4];
  be32(head, (uint32_t)n);
  memcpy(head + 4, type, 4);
  be32(tail, png_crc32(png_crc32(0, type, 4), data, n));
  return fwrite(head, 1, 8, f) == 8 && (!n || fwrite(data, 1, n, f) == n) && fwrite(tail, 1, 4, f) == 4 ? 0 : -1;
}

int png_write_indexed(const char *path, const unsigned char *index, int w, int h, const unsigned char *rgb,
                      int colours) {
  size_t raw_len = (size_t)h * ((size_t)w + 1), blocks = raw_len / 65535 + 1;
  size_t z_len = 2 + raw_len + 5 * blocks + 4;
  unsigned char *raw = malloc(raw_len), *z = malloc(z_len);
  if (!raw || !z) {
    free(raw), free(z);
    return -1;
  }
  for (int y = 0; y < h; y++) {
    raw[(size_t)y * ((size_t)w + 1)] = 0; /* filter: none */
    memcpy(raw + (size_t)y * ((size_t)w + 1) + 1, index + (size_t)y * (size_t)w, (size_t)w);
  }
  size_t k = 0;
  z[k++] = 0x78, z[k++] = 0x01; /* deflate, 32 KiB window, no dictionary; (0x78 << 8 | 0x01) % 31 == 0 */
  for (size_t at = 0, b = 0; b < blocks; b++) {
    size_t n = raw_len - at < 65535 ? raw_len - at : 65535;
    z[k++] = b + 1 == blocks; /* BFINAL on the last, BTYPE 00: stored */
    z[k++] = (unsigned char)n, z[k++] = (unsigned char)(n >> 8);
    z[k++] = (unsigned char)~n, z[k++] = (unsigned char)(~n >> 8);
    memcpy(z + k, raw + at, n);
    k += n, at += n;
  }
  be32(z + k, png_adler32(1, raw, raw_len));
  k += 4;
  unsigned char ihdr[13];
  be32(ihdr, (uint32_t)w), be32(ihdr + 4, (uint32_t)h);
  /* 8 bits, palette, deflate, adaptive filtering (each row says none), no interlace. */
  ihdr[8] = 8, ihdr[9] = 3, ihdr[10] = ihdr[11] = ihdr[12] = 0;
  static const unsigned char signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  FILE *f = fopen(path, "wb");
  int err = !f || fwrite(signature, 1, 8, f) != 8 || chunk(f, "IHDR", ihdr, 13) ||
            chunk(f, "PLTE", rgb, (size_t)colours * 3) || chunk(f, "IDAT", z, k) || chunk(f, "IEND", z, 0);
  if (f && fclose(f)) err = 1;
  free(raw), free(z);
  return err ? -1 : 0;
}
