/* An 8-bit palette PNG written without zlib: the image data goes in stored
 * (uncompressed) deflate blocks, so the file is about width * height bytes;
 * CRC-32 (chunks) and Adler-32 (the zlib stream) are computed here. */
#ifndef LULL_BENCH_PNG_WRITE_H
#define LULL_BENCH_PNG_WRITE_H

#include <stddef.h>
#include <stdint.h>

/* CRC-32 (ISO-HDLC, as PNG and gzip use) of n bytes, continuing from crc
 * (0 to start). */
uint32_t png_crc32(uint32_t crc, const void *data, size_t n);
/* Adler-32 (RFC 1950) of n bytes, continuing from adler (1 to start). */
uint32_t png_adler32(uint32_t adler, const void *data, size_t n);
/* index[y * w + x] (row 0 at the top) with palette rgb (colours entries of
 * three bytes, at most 256) to path. 0, or -1 if the file cannot be
 * written (errno set). */
int png_write_indexed(const char *path, const unsigned char *index, int w, int h, const unsigned char *rgb,
                      int colours);

#endif
