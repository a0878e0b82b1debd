/* mp3.c: LAME at 48 kHz, 128 kbit/s CBR joint stereo, fed 20 ms at a time
 * as a station does. The stream is back-to-back frames that say MPEG-1
 * Layer III, 48 kHz, 128 kbit/s, joint stereo; libmpg123 decodes it, and a
 * stream joined at a later chunk, as 48 kHz stereo with each channel's sine
 * at its pitch within 0.5 % and its level within 1 dB. (LAME's chunks are
 * not whole frames: measured 364, 262, 211, 0, 177, 359 bytes... so a late
 * listener starts mid-frame and relies on the decoder finding the next
 * frame header; this checks that libmpg123 does.) */
#include <mpg123.h>
#include <stdlib.h>

#include "stream/stream.h"
#include "support/harness.h"
#include "support/signal.h"

#define FRAME 960
#define SECONDS 4
#define CHUNKS (SECONDS * 50)

typedef struct stream {
  unsigned char *data;
  size_t len;
  size_t chunk_at[CHUNKS]; /* where each non-empty chunk starts */
  int chunks;
} stream;

/* Left 440 Hz at -6 dBFS, right 1 kHz at -12 dBFS. */
static void encode(stream *s) {
  lull_mp3 *m;
  lull_diag d;
  ASSERT_EQ_INT(lull__mp3_create(0, &m, &d), LULL_OK);
  s->data = malloc((size_t)CHUNKS * (FRAME * 5 / 4 + 7200));
  float pcm[2 * FRAME];
  for (int k = 0; k < CHUNKS; k++) {
    for (int i = 0; i < FRAME; i++) {
      double t = (double)(k * FRAME + i) / 48000.0;
      pcm[2 * i] = (float)(0.5 * sin(2 * M_PI * 440.0 * t));
      pcm[2 * i + 1] = (float)(0.25 * sin(2 * M_PI * 1000.0 * t));
    }
    int n = lull__mp3_encode(m, pcm, FRAME, s->data + s->len, FRAME * 5 / 4 + 7200);
    ASSERT_GE(n, 0);
    if (n > 0) s->chunk_at[s->chunks++] = s->len;
    s->len += (size_t)n;
  }
  lull__mp3_destroy(m);
}

typedef struct pcm {
  float *x;
  size_t frames;
  long rate;
  int channels;
} pcm;

/* libmpg123, asked for 32-bit float at whatever rate and channels it finds. */
static pcm decode(const unsigned char *data, size_t len) {
  pcm out = {0};
  int err, enc = 0;
  ASSERT_EQ_INT(mpg123_init(), MPG123_OK);
  mpg123_handle *mh = mpg123_new(NULL, &err);
  ASSERT_TRUE(mh != NULL);
  mpg123_param(mh, MPG123_ADD_FLAGS, MPG123_QUIET, 0);
  mpg123_format_none(mh);
  ASSERT_EQ_INT(mpg123_format(mh, 48000, MPG123_MONO | MPG123_STEREO, MPG123_ENC_FLOAT_32), MPG123_OK);
  ASSERT_EQ_INT(mpg123_open_feed(mh), MPG123_OK);
  ASSERT_EQ_INT(mpg123_feed(mh, data, len), MPG123_OK);
  size_t cap = (size_t)SECONDS * 48000 * 2 + 48000;
  out.x = malloc(cap * sizeof(float));
  for (;;) {
    size_t got = 0;
    int r = mpg123_read(mh, (unsigned char *)(out.x + 2 * out.frames), (cap - 2 * out.frames) * sizeof(float), &got);
    if (r == MPG123_NEW_FORMAT) mpg123_getformat(mh, &out.rate, &out.channels, &enc);
    out.frames += got / (2 * sizeof(float));
    if (r != MPG123_OK && r != MPG123_NEW_FORMAT) break;
  }
  mpg123_delete(mh);
  ASSERT_EQ_INT(enc, MPG123_ENC_FLOAT_32);
  return out;
}

/* Pitch and level of one channel over 65536 frames from frame `from`. */
static void check_tone(const pcm *p, size_t from, int ch, double hz, double rms_db) {
  ASSERT_GE(p->frames, from + 65536);
  double *spec = sig_spectrum(p->x + 2 * from + ch, 65536, 2), mag;
  double peak = sig_peak_hz(spec, 65536, 48000, 100, 5000, &mag);
  free(spec);
  double zc = sig_zero_cross_hz(p->x + 2 * from + ch, 65536, 2, 48000);
  double level = sig_db(sig_rms(p->x + 2 * from + ch, 65536, 2));
  printf("# channel %d: spectrum peak %.2f Hz, zero crossings %.2f Hz (want %.0f), %.2f dBFS rms (want %.2f)\n", ch, peak,
         zc, hz, level, rms_db);
  ASSERT_NEAR(peak, hz, hz * 0.005);
  ASSERT_NEAR(zc, hz, hz * 0.005);
  ASSERT_NEAR(level, rms_db, 1.0);
}

static void test_decodes_back(void **state) {
  (void)state;
  stream s = {0};
  encode(&s);
  /* CBR 128 kbit/s: 16000 bytes a second, less what LAME still holds back
   * (its encoder delay and up to two 384-byte frames). */
  printf("# %d s: %zu bytes in %d chunks\n", SECONDS, s.len, s.chunks);
  ASSERT_LE(s.len, SECONDS * 16000);
  ASSERT_GE(s.len, SECONDS * 16000 - 2 * 384 - 1105 / 3);
  /* Every frame header: sync, MPEG-1 (11), Layer III (01), bitrate index 9
   * (128 kbit/s), sampling index 1 (48 kHz), joint stereo (mode 01); 48 kHz
   * frames of 1152 samples at 128 kbit/s are 384 bytes (no padding). */
  int frames = 0;
  size_t at = 0;
  for (; at + 384 <= s.len; frames++) {
    const unsigned char *h = s.data + at;
    ASSERT_TRUE(h[0] == 0xff && (h[1] & 0xe0) == 0xe0);
    ASSERT_EQ_INT((h[1] >> 3) & 3, 3);
    ASSERT_EQ_INT((h[1] >> 1) & 3, 1);
    ASSERT_EQ_INT(h[2] >> 4, 9);
    ASSERT_EQ_INT((h[2] >> 2) & 3, 1);
    ASSERT_EQ_INT(h[3] >> 6, 1);
    at += 384 + ((h[2] >> 1) & 1);
  }
  ASSERT_EQ_INT(at, (size_t)frames * 384);
  ASSERT_LE(s.len - at, 383); /* the rest of a frame LAME is still writing */
  pcm p = decode(s.data, s.len);
  ASSERT_EQ_INT(p.rate, 48000);
  ASSERT_EQ_INT(p.channels, 2);
  ASSERT_EQ_INT(p.frames, (size_t)frames * 1152);
  check_tone(&p, 48000, 0, 440.0, -9.03);
  check_tone(&p, 48000, 1, 1000.0, -15.05);
  free(p.x);
  /* A listener joining at the chunk nearest one second in. */
  pcm late = decode(s.data + s.chunk_at[s.chunks / 4], s.len - s.chunk_at[s.chunks / 4]);
  ASSERT_EQ_INT(late.rate, 48000);
  ASSERT_EQ_INT(late.channels, 2);
  check_tone(&late, 4800, 0, 440.0, -9.03);
  free(late.x);
  free(s.data);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_decodes_back)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
