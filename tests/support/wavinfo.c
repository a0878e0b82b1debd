/* wavinfo FILE|-: facts about an audio file for the CLI tests, one
 * key=value per line: rate, channels, frames, peak_dbfs, rms_dbfs,
 * dc (largest channel mean), nonfinite. */
#include <math.h>
#include <sndfile.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/signal.h"

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: wavinfo FILE|-\n");
    return 2;
  }
  SF_INFO info = {0};
  SNDFILE *f = strcmp(argv[1], "-") == 0 ? sf_open_fd(STDIN_FILENO, SFM_READ, &info, 0) : sf_open(argv[1], SFM_READ, &info);
  if (!f) {
    fprintf(stderr, "wavinfo: %s: %s\n", argv[1], sf_strerror(NULL));
    return 1;
  }
  size_t cap = 1 << 20, n = 0, ch = (size_t)info.channels;
  float *x = malloc(sizeof(float) * cap * ch);
  sf_count_t got;
  while ((got = sf_readf_float(f, x + n * ch, (sf_count_t)(cap - n))) > 0) {
    n += (size_t)got;
    if (n == cap) x = realloc(x, sizeof(float) * (cap *= 2) * ch);
  }
  sf_close(f);
  double dc = 0;
  for (size_t c = 0; c < ch; c++) dc = fmax(dc, fabs(sig_mean(x + c, n, ch)));
  printf("rate=%d\nchannels=%d\nframes=%zu\n", info.samplerate, info.channels, n);
  printf("peak_dbfs=%.3f\nrms_dbfs=%.3f\ndc=%.6f\nnonfinite=%zu\n", sig_db(sig_peak(x, n * ch, 1)),
         sig_db(sig_rms(x, n * ch, 1)), dc, sig_nonfinite(x, n * ch));
  free(x);
  return 0;
}
