/* See decode.h. */
#include "support/decode.h"

#include <math.h>
#include <mpg123.h>
#include <opus/opusfile.h>
#include <string.h>

int decode_ogg_opus(const unsigned char *data, size_t len, decoded *out) {
  memset(out, 0, sizeof *out);
  int err = 0;
  OggOpusFile *of = op_open_memory(data, len, &err);
  if (!of) return err ? err : -1;
  out->channels = op_channel_count(of, -1);
  out->rate = (long)op_head(of, -1)->input_sample_rate;
  int16_t buf[5760 * 2];
  uint64_t frames = 0;
  double sumsq = 0;
  for (int n; (n = op_read_stereo(of, buf, 5760 * 2)) != 0;) {
    if (n == OP_HOLE) {
      out->holes++;
      continue;
    }
    if (n < 0) break;
    frames += (uint64_t)n;
    for (int i = 0; i < 2 * n; i++) sumsq += (double)buf[i] * buf[i];
  }
  op_free(of);
  out->seconds = (double)frames / 48000.0;
  out->rms = frames ? sqrt(sumsq / (double)(2 * frames)) / 32768.0 : 0;
  return 0;
}

int decode_mp3(const unsigned char *data, size_t len, decoded *out) {
  memset(out, 0, sizeof *out);
  int err, enc = 0;
  if (mpg123_init() != MPG123_OK) return -1;
  mpg123_handle *mh = mpg123_new(NULL, &err);
  if (!mh) return -1;
  mpg123_param(mh, MPG123_ADD_FLAGS, MPG123_QUIET, 0);
  if (mpg123_open_feed(mh) != MPG123_OK || mpg123_feed(mh, data, len) != MPG123_OK) {
    mpg123_delete(mh);
    return -1;
  }
  static unsigned char pcm[65536];
  uint64_t frames = 0;
  double sumsq = 0;
  for (;;) {
    size_t got = 0;
    int r = mpg123_read(mh, pcm, sizeof pcm, &got);
    if (r == MPG123_NEW_FORMAT) mpg123_getformat(mh, &out->rate, &out->channels, &enc);
    if (got && enc == MPG123_ENC_SIGNED_16 && out->channels == 2) {
      const int16_t *x = (const int16_t *)pcm;
      for (size_t i = 0; i < got / 2; i++) sumsq += (double)x[i] * x[i];
      frames += got / 4;
    }
    if (r != MPG123_OK && r != MPG123_NEW_FORMAT) break;
  }
  mpg123_delete(mh);
  out->seconds = (double)frames / 48000.0;
  out->rms = frames ? sqrt(sumsq / (double)(2 * frames)) / 32768.0 : 0;
  return 0;
}
