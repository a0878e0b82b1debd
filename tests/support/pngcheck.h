/* A PNG read back as a strict reader would, for the tests of io/png.c and
 * of the server's artwork: the chunks and their CRCs, IHDR, PLTE, and the
 * image data inflated (stored and fixed-Huffman deflate blocks, which is
 * what lull writes; dynamic blocks are refused) to its palette indices. */
#ifndef LULL_TEST_PNGCHECK_H
#define LULL_TEST_PNGCHECK_H

#include <stddef.h>
#include <stdint.h>

typedef struct png_image {
  uint32_t w, h;
  int colours;               /* PLTE entries */
  unsigned char rgb[256 * 3];
  unsigned char *index;      /* w * h palette indices (malloc'd; png_image_free) */
  int stored_blocks, fixed_blocks;
} png_image;

/* 0 when data is one well-formed 8-bit palette PNG: the signature, IHDR
 * first (bit depth 8, colour type 3, no interlace), PLTE, IDAT chunks,
 * IEND last with nothing after it, every CRC right, a zlib stream whose
 * header, blocks and Adler-32 check out and that holds exactly h rows of
 * filter 0 and w indices each, all within the palette. Else -1 with the
 * first fault in why. */
int png_check(const unsigned char *data, size_t len, png_image *out, char *why, size_t why_cap);
void png_image_free(png_image *img);

#endif
