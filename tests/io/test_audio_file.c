/* audio_file.c: WAV and FLAC read back with the written content; failures
 * and aborts leave no file, not even a temporary one. */
#include <sndfile.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <opus/opusfile.h>

#include "io/io.h"
#include "support/harness.h"
#include "support/signal.h"

static const char *const dir = lull_test_dir;

static void roundtrip(const char *name, lull_sample_format fmt, int sf_format, double tol) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  enum { N = 4800 };
  float *x = malloc(sizeof(float) * 2 * N), *y = malloc(sizeof(float) * 2 * N);
  for (int i = 0; i < N; i++) x[2 * i] = 0.5f * (float)sin(i * 0.05), x[2 * i + 1] = -0.25f;
  lull_audio_writer *w;
  lull_diag d;
  ASSERT_EQ_INT(lull__audio_open(path, fmt, 48000, 0, &w, &d), LULL_OK);
  ASSERT_TRUE(access(path, F_OK) != 0); /* not there until commit */
  ASSERT_EQ_INT(lull__audio_write(w, x, N, &d), LULL_OK);
  ASSERT_EQ_INT(lull__audio_commit(w, &d), LULL_OK);
  SF_INFO info = {0};
  SNDFILE *f = sf_open(path, SFM_READ, &info);
  ASSERT_TRUE(f != NULL);
  ASSERT_EQ_INT(info.samplerate, 48000);
  ASSERT_EQ_INT(info.channels, 2);
  ASSERT_EQ_INT(info.frames, N);
  ASSERT_EQ_INT(info.format, sf_format);
  ASSERT_EQ_INT(sf_readf_float(f, y, N), N);
  sf_close(f);
  for (int i = 0; i < 2 * N; i++) ASSERT_NEAR(y[i], x[i], tol);
  free(x), free(y);
}

static void test_formats(void **state) {
  (void)state;
  roundtrip("a.wav", LULL_SAMPLE_PCM16, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 2.5 / 32768); /* +-1 LSB TPDF */
  roundtrip("b.wav", LULL_SAMPLE_PCM24, SF_FORMAT_WAV | SF_FORMAT_PCM_24, 1.0 / 8388608);
  roundtrip("c.wav", LULL_SAMPLE_FLOAT, SF_FORMAT_WAV | SF_FORMAT_FLOAT, 0);
  roundtrip("d.flac", LULL_SAMPLE_PCM16, SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 2.5 / 32768);
  roundtrip("e.FLAC", LULL_SAMPLE_PCM24, SF_FORMAT_FLAC | SF_FORMAT_PCM_24, 1.0 / 8388608);
  ASSERT_EQ_INT(lull_test_files_in(dir), 5);
}

/* .ogg/.opus go through the stations' encoder: the file decodes (libopusfile)
 * to exactly as many samples as were written, at the same pitch. */
static void test_ogg_opus(void **state) {
  (void)state;
  char path[512];
  snprintf(path, sizeof path, "%s/tone.opus", dir);
  enum { N = 48000 + 123 };
  float *x = malloc(sizeof(float) * 2 * N);
  for (int i = 0; i < N; i++) x[2 * i] = x[2 * i + 1] = 0.4f * (float)sin(2 * M_PI * 440.0 * i / 48000.0);
  lull_audio_writer *w;
  lull_diag d;
  ASSERT_EQ_INT(lull__audio_open(path, LULL_SAMPLE_PCM16, 48000, 0, &w, &d), LULL_OK);
  ASSERT_EQ_INT(lull__audio_write(w, x, 1000, &d), LULL_OK); /* odd chunks: partial frames wait */
  ASSERT_EQ_INT(lull__audio_write(w, x + 2000, N - 1000, &d), LULL_OK);
  ASSERT_EQ_INT(lull__audio_commit(w, &d), LULL_OK);
  int err;
  OggOpusFile *of = op_open_file(path, &err);
  ASSERT_TRUE(of != NULL);
  ASSERT_EQ_INT(op_pcm_total(of, -1), N); /* trimmed to exactly what was written */
  float *y = malloc(sizeof(float) * 2 * N);
  int got = 0, n;
  while (got < N && (n = op_read_float(of, y + 2 * got, 2 * (N - got), NULL)) > 0) got += n;
  op_free(of);
  ASSERT_EQ_INT(got, N);
  ASSERT_NEAR(sig_zero_cross_hz(y + 2 * 4800, 38400, 2, 48000), 440.0, 440.0 * 0.005);
  ASSERT_NEAR(sig_rms(y + 2 * 4800, 38400, 2), 0.4 / sqrt(2.0), 0.02);
  free(x), free(y);
  unlink(path);
}

static void test_dither_is_not_truncation(void **state) {
  (void)state;
  /* A -100 dBFS sine would vanish if truncated to 16 bits; dither keeps it
   * (on average) and keeps the noise near 1 LSB. */
  char path[512];
  snprintf(path, sizeof path, "%s/dither.wav", dir);
  enum { N = 48000 };
  float *x = malloc(sizeof(float) * 2 * N);
  for (int i = 0; i < 2 * N; i++) x[i] = 0.3f / 32768.0f;
  lull_audio_writer *w;
  lull_diag d;
  ASSERT_EQ_INT(lull__audio_open(path, LULL_SAMPLE_PCM16, 48000, 0, &w, &d), LULL_OK);
  ASSERT_EQ_INT(lull__audio_write(w, x, N, &d), LULL_OK);
  ASSERT_EQ_INT(lull__audio_commit(w, &d), LULL_OK);
  SF_INFO info = {0};
  SNDFILE *f = sf_open(path, SFM_READ, &info);
  short *s = malloc(sizeof(short) * 2 * N);
  ASSERT_EQ_INT(sf_readf_short(f, s, N), N);
  sf_close(f);
  double mean = 0;
  for (int i = 0; i < 2 * N; i++) mean += s[i];
  ASSERT_NEAR(mean / (2 * N), 0.3, 0.05);
  /* TPDF: the error of each sample is the rounding's (uniform, 1/12 LSB^2)
   * plus the triangle's (1/6), 1/4 in all, within +-1.5 LSB; and sample to
   * sample (each stream, and lane to lane) it is uncorrelated. */
  double power = 0, lag1 = 0, lag16 = 0, most = 0;
  for (int i = 0; i < 2 * N; i++) {
    double e = s[i] - 0.3;
    power += e * e;
    most = fmax(most, fabs(e));
    if (i >= 1) lag1 += e * (s[i - 1] - 0.3);
    if (i >= 16) lag16 += e * (s[i - 16] - 0.3);
  }
  power /= 2 * N, lag1 /= 2 * N * power, lag16 /= 2 * N * power;
  printf("# dither: error power %.4f LSB^2, max %.2f, correlation %.4f at lag 1, %.4f at 16\n", power, most, lag1, lag16);
  ASSERT_NEAR(power, 0.25, 0.02);
  ASSERT_LE(most, 1.5);
  ASSERT_LE(fabs(lag1), 0.02);
  ASSERT_LE(fabs(lag16), 0.02);
  free(x), free(s);
  unlink(path);
}

static void test_failures_leave_nothing(void **state) {
  (void)state;
  int before = lull_test_files_in(dir);
  lull_audio_writer *w;
  lull_diag d;
  char path[512];
  snprintf(path, sizeof path, "%s/x.mp4", dir);
  ASSERT_EQ_INT(lull__audio_open(path, LULL_SAMPLE_PCM16, 48000, 0, &w, &d), LULL_EFORMAT);
  ASSERT_STR_CONTAINS(d.message, "use .wav, .flac, .ogg or .opus");
  snprintf(path, sizeof path, "%s/x.flac", dir);
  ASSERT_EQ_INT(lull__audio_open(path, LULL_SAMPLE_FLOAT, 48000, 0, &w, &d), LULL_EFORMAT);
  ASSERT_EQ_INT(lull__audio_open("/nonexistent-dir/x.wav", LULL_SAMPLE_PCM16, 48000, 0, &w, &d), LULL_EIO);
  ASSERT_STR_CONTAINS(d.message, "/nonexistent-dir/x.wav");
  snprintf(path, sizeof path, "%s/aborted.wav", dir);
  ASSERT_EQ_INT(lull__audio_open(path, LULL_SAMPLE_PCM16, 48000, 0, &w, &d), LULL_OK);
  float x[64] = {0};
  ASSERT_EQ_INT(lull__audio_write(w, x, 32, &d), LULL_OK);
  lull__audio_abort(w);
  lull__audio_abort(NULL);
  ASSERT_EQ_INT(lull_test_files_in(dir), before);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_formats), cmocka_unit_test(test_ogg_opus),
                                     cmocka_unit_test(test_dither_is_not_truncation),
                                     cmocka_unit_test(test_failures_leave_nothing)};
  return cmocka_run_group_tests(tests, lull_test_dir_setup, lull_test_dir_teardown);
}
