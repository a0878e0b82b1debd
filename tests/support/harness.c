/* Test harness support: seeds and artefacts. */
#include <sndfile.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "support/harness.h"

uint64_t lull_test_seed(uint64_t dflt) {
  const char *s = getenv("LULL_TEST_SEED");
  uint64_t seed = s && *s ? strtoull(s, NULL, 0) : dflt;
  printf("# seed %llu (set LULL_TEST_SEED to change)\n", (unsigned long long)seed);
  return seed;
}

void lull_test_dump_wav(const char *name, const float *x, size_t frames, int channels) {
  const char *dir = getenv("LULL_TEST_ARTIFACTS");
  if (!dir) dir = ".";
  mkdir(dir, 0777);
  char path[512];
  snprintf(path, sizeof path, "%s/%s.wav", dir, name);
  SF_INFO info = {.samplerate = 48000, .channels = channels, .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT};
  SNDFILE *f = sf_open(path, SFM_WRITE, &info);
  if (!f) return;
  sf_writef_float(f, x, (sf_count_t)frames);
  sf_close(f);
  printf("# wrote %s\n", path);
}
