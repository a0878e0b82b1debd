/* Test harness support: seeds, artefacts and scratch folders. */
#include <dirent.h>
#include <sndfile.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

int lull_test_files_in(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return -1;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d))) n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
  closedir(d);
  return n;
}

char lull_test_dir[64];

int lull_test_dir_setup(void **state) {
  (void)state;
  snprintf(lull_test_dir, sizeof lull_test_dir, "/tmp/lull-test-XXXXXX");
  return mkdtemp(lull_test_dir) ? 0 : -1;
}

/* One level deep: the tests make no folders inside it. */
int lull_test_dir_teardown(void **state) {
  (void)state;
  DIR *d = opendir(lull_test_dir);
  if (!d) return 0;
  struct dirent *e;
  char path[1024];
  while ((e = readdir(d)))
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
      snprintf(path, sizeof path, "%s/%s", lull_test_dir, e->d_name), unlink(path);
  closedir(d);
  rmdir(lull_test_dir);
  return 0;
}
