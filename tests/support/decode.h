/* The streams decoded back, for the server tests: Ogg/Opus (libopusfile)
 * and MP3 (libmpg123) bytes to their format, length and level. */
#ifndef LULL_TEST_DECODE_H
#define LULL_TEST_DECODE_H

#include <stddef.h>
#include <stdint.h>

typedef struct decoded {
  long rate;       /* Opus: the header's input rate; MP3: the decoded rate */
  int channels;
  double seconds;  /* at 48 kHz */
  double rms;      /* of all samples, full scale 1 */
  uint64_t holes;  /* Ogg: gaps libopusfile reported */
} decoded;

/* 0, or libopusfile's error when the bytes do not open as Ogg/Opus. */
int decode_ogg_opus(const unsigned char *data, size_t len, decoded *out);
/* 0, or -1 when libmpg123 cannot start. */
int decode_mp3(const unsigned char *data, size_t len, decoded *out);

#endif
