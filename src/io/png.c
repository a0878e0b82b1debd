/* 8-bit palette PNGs without zlib (io.h): signature, IHDR, PLTE, one IDAT
 * holding a zlib stream, IEND; every row starts with filter byte 0. The
 * stream is one fixed-Huffman deflate block (RFC 1951 3.2.6) whose only
 * matches are runs (distance 1) and the row above (distance w + 1): calm
 * pictures of bands and shapes shrink to a few bytes a row. When that is no
 * smaller (noise, a spectrogram), stored blocks carry the bytes as they are
 * (each at most 65535 bytes: header byte, LEN, ~LEN, then the bytes). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/io.h"

uint32_t lull__png_crc32(uint32_t crc, const void *data, size_t n) {
  const unsigned char *p = data;
  crc = ~crc;
  for (size_t i = 0; i < n; i++) {
    crc ^= p[i];
    for (int b = 0; b < 8; b++) crc = crc & 1 ? 0xedb88320u ^ (crc >> 1) : crc >> 1; /* reflected 0x04c11db7 */
  }
  return ~crc;
}

uint32_t lull__png_adler32(uint32_t adler, const void *data, size_t n) {
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

/* ---- deflate ----------------------------------------------------------------
 * Bits go out least significant first; Huffman codes most significant bit
 * first (so reversed here), extra bits as plain numbers. */
typedef struct bits {
  unsigned char *p;
  size_t k, cap;
  uint32_t acc;
  int n;
} bits;

static void put(bits *b, uint32_t v, int n) {
  b->acc |= v << b->n;
  b->n += n;
  while (b->n >= 8) {
    if (b->k < b->cap) b->p[b->k] = (unsigned char)b->acc;
    b->k++;
    b->acc >>= 8, b->n -= 8;
  }
}

static void put_code(bits *b, uint32_t code, int n) {
  uint32_t r = 0;
  for (int i = 0; i < n; i++) r |= ((code >> i) & 1u) << (n - 1 - i);
  put(b, r, n);
}

/* The fixed literal/length code (RFC 1951 3.2.6). */
static void put_symbol(bits *b, int sym) {
  if (sym < 144) put_code(b, 0x30u + (uint32_t)sym, 8);
  else if (sym < 256) put_code(b, 0x190u + (uint32_t)(sym - 144), 9);
  else if (sym < 280) put_code(b, (uint32_t)(sym - 256), 7);
  else put_code(b, 0xc0u + (uint32_t)(sym - 280), 8);
}

static const uint16_t len_base[29] = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
                                      31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
static const uint8_t len_extra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
static const uint16_t dist_base[30] = {1,   2,   3,   4,   5,   7,    9,    13,   17,   25,   33,   49,   65,    97,    129,
                                       193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};

static void put_match(bits *b, size_t len, size_t dist) {
  int c = 28;
  while (len_base[c] > len) c--;
  put_symbol(b, 257 + c);
  put(b, (uint32_t)(len - len_base[c]), len_extra[c]);
  int d = 29;
  while (dist_base[d] > dist) d--;
  put_code(b, (uint32_t)d, 5);
  put(b, (uint32_t)(dist - dist_base[d]), d < 4 ? 0 : d / 2 - 1);
}

static size_t match_len(const unsigned char *raw, size_t at, size_t n, size_t dist) {
  if (dist > at || dist > 32768) return 0;
  size_t max = n - at < 258 ? n - at : 258, l = 0;
  while (l < max && raw[at + l] == raw[at + l - dist]) l++;
  return l;
}

/* raw as one fixed-Huffman block into z (cap bytes): its length, which is
 * more than cap when it did not fit. */
static size_t deflate_fixed(const unsigned char *raw, size_t n, size_t row, unsigned char *z, size_t cap) {
  bits b = {z, 0, cap, 0, 0};
  put(&b, 1, 1); /* BFINAL */
  put(&b, 1, 2); /* BTYPE 01: fixed Huffman codes */
  for (size_t at = 0; at < n && b.k <= cap;) {
    size_t run = match_len(raw, at, n, 1), up = match_len(raw, at, n, row);
    size_t l = run >= up ? run : up;
    if (l >= 3) {
      put_match(&b, l, run >= up ? 1 : row);
      at += l;
    } else {
      put_symbol(&b, raw[at++]);
    }
  }
  put_symbol(&b, 256); /* end of block */
  if (b.n) put(&b, 0, 8 - b.n);
  return b.k;
}

static size_t deflate_stored(const unsigned char *raw, size_t n, unsigned char *z) {
  size_t k = 0, blocks = n / 65535 + 1;
  for (size_t at = 0, i = 0; i < blocks; i++) {
    size_t m = n - at < 65535 ? n - at : 65535;
    z[k++] = i + 1 == blocks; /* BFINAL on the last, BTYPE 00: stored */
    z[k++] = (unsigned char)m, z[k++] = (unsigned char)(m >> 8);
    z[k++] = (unsigned char)~m, z[k++] = (unsigned char)(~m >> 8);
    memcpy(z + k, raw + at, m);
    k += m, at += m;
  }
  return k;
}

/* ---- the file ---------------------------------------------------------------- */

static size_t chunk(unsigned char *out, const char *type, const unsigned char *data, size_t n) {
  be32(out, (uint32_t)n);
  memcpy(out + 4, type, 4);
  if (n) memmove(out + 8, data, n);
  be32(out + 8 + n, lull__png_crc32(0, out + 4, 4 + n));
  return 12 + n;
}

int lull__png_indexed(const unsigned char *index, int w, int h, const unsigned char *rgb, int colours,
                      unsigned char **out, size_t *out_len) {
  *out = NULL, *out_len = 0;
  if (w < 1 || h < 1 || w > 16384 || h > 16384 || colours < 1 || colours > 256) return LULL_EINVAL;
  size_t row = (size_t)w + 1, raw_len = (size_t)h * row, blocks = raw_len / 65535 + 1;
  size_t stored_len = 2 + raw_len + 5 * blocks + 4;
  /* signature, IHDR, PLTE, IDAT's head, then the zlib stream at its place, its CRC, IEND */
  size_t head = 8 + 25 + 12 + (size_t)colours * 3 + 8;
  unsigned char *raw = malloc(raw_len), *png = malloc(head + stored_len + 4 + 12);
  if (!raw || !png) {
    free(raw), free(png);
    return LULL_ENOMEM;
  }
  for (int y = 0; y < h; y++) {
    raw[(size_t)y * row] = 0; /* filter: none */
    memcpy(raw + (size_t)y * row + 1, index + (size_t)y * (size_t)w, (size_t)w);
  }
  unsigned char *z = png + head;
  size_t k = 0;
  z[k++] = 0x78, z[k++] = 0x01; /* deflate, 32 KiB window, no dictionary; (0x78 << 8 | 0x01) % 31 == 0 */
  size_t fixed = deflate_fixed(raw, raw_len, row, z + k, stored_len - 6);
  k += fixed <= stored_len - 6 ? fixed : deflate_stored(raw, raw_len, z + k);
  be32(z + k, lull__png_adler32(1, raw, raw_len));
  k += 4;
  free(raw);
  static const unsigned char signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  unsigned char ihdr[13];
  be32(ihdr, (uint32_t)w), be32(ihdr + 4, (uint32_t)h);
  /* 8 bits, palette, deflate, adaptive filtering (each row says none), no interlace. */
  ihdr[8] = 8, ihdr[9] = 3, ihdr[10] = ihdr[11] = ihdr[12] = 0;
  size_t at = 0;
  memcpy(png, signature, 8);
  at += 8;
  at += chunk(png + at, "IHDR", ihdr, 13);
  at += chunk(png + at, "PLTE", rgb, (size_t)colours * 3);
  at += chunk(png + at, "IDAT", z, k); /* z is already in place: moved onto itself */
  at += chunk(png + at, "IEND", NULL, 0);
  *out = png, *out_len = at;
  return LULL_OK;
}

int lull__png_write(const char *path, const unsigned char *index, int w, int h, const unsigned char *rgb, int colours) {
  unsigned char *png;
  size_t len;
  int err = lull__png_indexed(index, w, h, rgb, colours, &png, &len);
  if (err) return err;
  FILE *f = fopen(path, "wb");
  int bad = !f || fwrite(png, 1, len, f) != len;
  if (f && fclose(f)) bad = 1;
  free(png);
  return bad ? LULL_EIO : LULL_OK;
}
