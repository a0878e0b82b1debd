/* A strict PNG reader for the tests (pngcheck.h): chunks, CRCs, and an
 * inflater of stored and fixed-Huffman blocks (RFC 1951 3.2.5-3.2.6). */
#include "support/pngcheck.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/io.h"

static uint32_t be32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

typedef struct in {
  const unsigned char *p;
  size_t n, at; /* at: in bits */
} in;

static int bit(in *s) {
  if (s->at >= s->n * 8) return -1;
  int b = (s->p[s->at / 8] >> (s->at % 8)) & 1;
  s->at++;
  return b;
}

static long bits(in *s, int n) { /* a plain number, least significant bit first */
  long v = 0;
  for (int i = 0; i < n; i++) {
    int b = bit(s);
    if (b < 0) return -1;
    v |= (long)b << i;
  }
  return v;
}

static long code(in *s, int n, long v) { /* n more bits of a Huffman code, most significant first */
  for (int i = 0; i < n; i++) {
    int b = bit(s);
    if (b < 0) return -1;
    v = v << 1 | b;
  }
  return v;
}

/* A symbol of the fixed literal/length code. */
static int fixed_symbol(in *s) {
  long c = code(s, 7, 0);
  if (c < 0) return -1;
  if (c <= 0x17) return 256 + (int)c;
  if ((c = code(s, 1, c)) < 0) return -1;
  if (c >= 0x30 && c <= 0xbf) return (int)c - 0x30;
  if (c >= 0xc0 && c <= 0xc7) return 280 + (int)c - 0xc0;
  if ((c = code(s, 1, c)) < 0) return -1;
  return c >= 0x190 && c <= 0x1ff ? 144 + (int)c - 0x190 : -1;
}

static const int len_base[29] = {3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31,
                                 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
static const int len_extra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
static const int dist_base[30] = {1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769,
                                  1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};

static int say(char *why, size_t cap, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, cap, fmt, ap);
  va_end(ap);
  return -1;
}

/* The zlib stream z into out (cap bytes, which it must fill exactly). */
static int inflate(const unsigned char *z, size_t zn, unsigned char *out, size_t cap, png_image *img, char *why,
                   size_t wcap) {
  if (zn < 6 || (z[0] & 0x0f) != 8 || (z[0] << 8 | z[1]) % 31 || (z[1] & 0x20))
    return say(why, wcap, "zlib header %02x %02x", zn ? z[0] : 0, zn > 1 ? z[1] : 0);
  in s = {z + 2, zn - 6, 0};
  size_t k = 0;
  for (int last = 0; !last;) {
    last = bit(&s);
    long type = bits(&s, 2);
    if (last < 0 || type < 0) return say(why, wcap, "deflate: the stream ends inside a block header");
    if (type == 0) {
      s.at = (s.at + 7) / 8 * 8;
      size_t at = s.at / 8;
      if (at + 4 > s.n) return say(why, wcap, "stored block: no LEN");
      size_t len = (size_t)(s.p[at] | s.p[at + 1] << 8), nlen = (size_t)(s.p[at + 2] | s.p[at + 3] << 8);
      if ((len ^ 0xffff) != nlen) return say(why, wcap, "stored block: LEN %zu, NLEN %zu", len, nlen);
      if (at + 4 + len > s.n || k + len > cap) return say(why, wcap, "stored block: %zu bytes too many", len);
      memcpy(out + k, s.p + at + 4, len);
      k += len;
      s.at = (at + 4 + len) * 8;
      img->stored_blocks++;
    } else if (type == 1) {
      for (;;) {
        int sym = fixed_symbol(&s);
        if (sym < 0 || sym > 285) return say(why, wcap, "fixed block: bad symbol at bit %zu", s.at);
        if (sym == 256) break;
        if (sym < 256) {
          if (k >= cap) return say(why, wcap, "fixed block: more bytes than the image holds");
          out[k++] = (unsigned char)sym;
          continue;
        }
        long extra = bits(&s, len_extra[sym - 257]), d = code(&s, 5, 0);
        if (extra < 0 || d < 0 || d > 29) return say(why, wcap, "fixed block: bad length or distance");
        long dextra = bits(&s, d < 4 ? 0 : (int)d / 2 - 1);
        if (dextra < 0) return say(why, wcap, "fixed block: the stream ends in a distance");
        size_t len = (size_t)(len_base[sym - 257] + extra), dist = (size_t)(dist_base[d] + dextra);
        if (dist > k || dist > 32768) return say(why, wcap, "fixed block: distance %zu before the start", dist);
        if (k + len > cap) return say(why, wcap, "fixed block: more bytes than the image holds");
        for (size_t i = 0; i < len; i++, k++) out[k] = out[k - dist];
      }
      img->fixed_blocks++;
    } else {
      return say(why, wcap, "deflate block type %ld (lull writes only stored and fixed)", type);
    }
  }
  size_t end = (s.at + 7) / 8;
  if (end != s.n) return say(why, wcap, "%zu bytes between the last block and the Adler-32", s.n - end);
  if (k != cap) return say(why, wcap, "the image data holds %zu bytes, not %zu", k, cap);
  if (lull__png_adler32(1, out, k) != be32(z + zn - 4)) return say(why, wcap, "Adler-32 wrong");
  return 0;
}

int png_check(const unsigned char *data, size_t len, png_image *img, char *why, size_t wcap) {
  memset(img, 0, sizeof *img);
  if (len < 8 || memcmp(data, "\x89PNG\r\n\x1a\n", 8)) return say(why, wcap, "no PNG signature");
  unsigned char *z = NULL;
  size_t zn = 0, at = 8;
  int n_chunks = 0, ended = 0, rc = -1;
  while (!ended) {
    if (at + 12 > len) {
      say(why, wcap, "the file ends inside a chunk at %zu", at);
      goto out;
    }
    uint32_t n = be32(data + at);
    const unsigned char *type = data + at + 4, *body = type + 4;
    if (n > len - at - 12) {
      say(why, wcap, "chunk %.4s of %u bytes runs past the end", type, n);
      goto out;
    }
    if (lull__png_crc32(0, type, 4 + n) != be32(body + n)) {
      say(why, wcap, "chunk %.4s: CRC wrong", type);
      goto out;
    }
    if (n_chunks == 0 && memcmp(type, "IHDR", 4)) {
      say(why, wcap, "the first chunk is %.4s, not IHDR", type);
      goto out;
    }
    if (!memcmp(type, "IHDR", 4)) {
      if (n != 13 || n_chunks) {
        say(why, wcap, "IHDR of %u bytes, or not first", n);
        goto out;
      }
      img->w = be32(body), img->h = be32(body + 4);
      if (!img->w || !img->h || img->w > 16384 || img->h > 16384 || body[8] != 8 || body[9] != 3 || body[10] ||
          body[11] || body[12]) {
        say(why, wcap, "IHDR: %ux%u, depth %d, colour type %d (want 8-bit palette, no interlace)", img->w, img->h,
            body[8], body[9]);
        goto out;
      }
    } else if (!memcmp(type, "PLTE", 4)) {
      if (n % 3 || n == 0 || n > 768) {
        say(why, wcap, "PLTE of %u bytes", n);
        goto out;
      }
      img->colours = (int)n / 3;
      memcpy(img->rgb, body, n);
    } else if (!memcmp(type, "IDAT", 4)) {
      unsigned char *more = realloc(z, zn + n + 1);
      if (!more) goto out;
      z = more;
      memcpy(z + zn, body, n);
      zn += n;
    } else if (!memcmp(type, "IEND", 4)) {
      ended = 1;
    }
    n_chunks++;
    at += 12 + n;
  }
  if (at != len) {
    say(why, wcap, "%zu bytes after IEND", len - at);
    goto out;
  }
  if (!img->colours || !zn) {
    say(why, wcap, "no PLTE or no IDAT");
    goto out;
  }
  size_t row = img->w + 1, raw_len = row * img->h;
  unsigned char *raw = malloc(raw_len);
  img->index = malloc((size_t)img->w * img->h);
  if (!raw || !img->index) {
    free(raw);
    goto out;
  }
  if (inflate(z, zn, raw, raw_len, img, why, wcap)) {
    free(raw);
    goto out;
  }
  rc = 0;
  for (uint32_t y = 0; y < img->h && !rc; y++) {
    if (raw[y * row]) rc = say(why, wcap, "row %u: filter %d", y, raw[y * row]);
    for (uint32_t x = 0; x < img->w && !rc; x++) {
      unsigned char v = raw[y * row + 1 + x];
      if (v >= img->colours) rc = say(why, wcap, "pixel %u,%u: index %d past the palette's %d", x, y, v, img->colours);
      img->index[(size_t)y * img->w + x] = v;
    }
  }
  free(raw);
out:
  free(z);
  if (rc) png_image_free(img);
  return rc;
}

void png_image_free(png_image *img) {
  free(img->index);
  img->index = NULL;
}
