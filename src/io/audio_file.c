/* Audio files through libsndfile. Written to a temporary file beside the
 * target and renamed on commit, so a failed render never leaves a partial
 * file under the real name. 16-bit output gets TPDF dither (two uniform
 * variates, +-1 LSB), seeded so a render is reproducible. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/io.h"

#define CHUNK_FRAMES 4096

struct lull_audio_writer {
  SNDFILE *sf;
  char *path, *tmp; /* tmp NULL when writing to stdout */
  lull_sample_format fmt;
  uint32_t dither;
  short pcm[CHUNK_FRAMES * 2];
};

static const char *extension(const char *path) {
  const char *slash = strrchr(path, '/');
  const char *dot = strrchr(slash ? slash : path, '.');
  return dot ? dot : "";
}

static int container(const char *path, lull_sample_format fmt, int *format, lull_diag *diag) {
  const char *ext = extension(path);
  int sub = fmt == LULL_SAMPLE_PCM16 ? SF_FORMAT_PCM_16 : fmt == LULL_SAMPLE_PCM24 ? SF_FORMAT_PCM_24 : SF_FORMAT_FLOAT;
  if (strcmp(path, "-") == 0 || strcasecmp(ext, ".wav") == 0) {
    *format = SF_FORMAT_WAV | sub;
    return LULL_OK;
  }
  if (strcasecmp(ext, ".flac") == 0) {
    if (fmt == LULL_SAMPLE_FLOAT)
      return lull_diag_set(diag, LULL_EFORMAT, "--bits", "FLAC holds 16 or 24 bits, not float; use --bits 16 or 24");
    *format = SF_FORMAT_FLAC | sub;
    return LULL_OK;
  }
  return lull_diag_set(diag, LULL_EFORMAT, "-o", "%s: unknown extension \"%s\"; use .wav or .flac (or - for WAV on stdout)",
                       path, ext);
}

int lull__audio_open(const char *path, lull_sample_format fmt, uint32_t rate, lull_audio_writer **out,
                     lull_diag *diag) {
  *out = NULL;
  int format = 0;
  int err = container(path, fmt, &format, diag);
  if (err) return err;
  SF_INFO info = {.samplerate = (int)rate, .channels = 2, .format = format};
  lull_audio_writer *w = calloc(1, sizeof *w);
  if (!w) return lull_diag_set(diag, LULL_ENOMEM, "", "out of memory");
  w->fmt = fmt;
  w->dither = 0x12345678u;
  int fd;
  if (strcmp(path, "-") == 0) {
    fd = STDOUT_FILENO;
  } else {
    size_t n = strlen(path);
    w->path = strdup(path);
    w->tmp = malloc(n + 16);
    if (!w->path || !w->tmp) {
      lull__audio_abort(w);
      return lull_diag_set(diag, LULL_ENOMEM, "", "out of memory");
    }
    snprintf(w->tmp, n + 16, "%s.tmp-XXXXXX", path);
    fd = mkstemp(w->tmp);
    if (fd < 0) {
      int e = errno;
      free(w->tmp);
      w->tmp = NULL;
      lull__audio_abort(w);
      return lull_diag_set(diag, LULL_EIO, "-o", "%s: cannot write here: %s", path, strerror(e));
    }
    /* mkstemp makes the file 0600; the finished file gets the usual mode. */
    mode_t mask = umask(0);
    umask(mask);
    (void)fchmod(fd, 0666 & ~mask);
  }
  w->sf = sf_open_fd(fd, SFM_WRITE, &info, fd != STDOUT_FILENO);
  if (!w->sf) {
    if (fd != STDOUT_FILENO) close(fd);
    lull_diag_set(diag, LULL_EIO, "-o", "%s: %s", path, sf_strerror(NULL));
    lull__audio_abort(w);
    return LULL_EIO;
  }
  sf_command(w->sf, SFC_SET_CLIPPING, NULL, SF_TRUE);
  *out = w;
  return LULL_OK;
}

static float uniform(uint32_t *s) {
  uint32_t x = *s;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  *s = x;
  return (float)x * 0x1p-32f;
}

int lull__audio_write(lull_audio_writer *w, const float *frames, size_t count, lull_diag *diag) {
  while (count) {
    size_t n = count < CHUNK_FRAMES ? count : CHUNK_FRAMES;
    sf_count_t wrote;
    if (w->fmt == LULL_SAMPLE_PCM16) {
      for (size_t i = 0; i < 2 * n; i++) {
        float d = uniform(&w->dither) - uniform(&w->dither);
        float x = roundf(frames[i] * 32767.0f + d);
        w->pcm[i] = (short)fminf(fmaxf(x, -32768.0f), 32767.0f);
      }
      wrote = sf_writef_short(w->sf, w->pcm, (sf_count_t)n);
    } else {
      wrote = sf_writef_float(w->sf, frames, (sf_count_t)n);
    }
    if (wrote != (sf_count_t)n)
      return lull_diag_set(diag, LULL_EIO, "-o", "%s: write failed: %s", w->path ? w->path : "stdout",
                           sf_strerror(w->sf));
    frames += 2 * n;
    count -= n;
  }
  return LULL_OK;
}

int lull__audio_commit(lull_audio_writer *w, lull_diag *diag) {
  int err = LULL_OK;
  if (sf_close(w->sf) != 0)
    err = lull_diag_set(diag, LULL_EIO, "-o", "%s: closing failed", w->path ? w->path : "stdout");
  w->sf = NULL;
  if (!err && w->tmp) {
    if (rename(w->tmp, w->path) != 0) {
      err = lull_diag_set(diag, LULL_EIO, "-o", "%s: %s", w->path, strerror(errno));
    } else {
      free(w->tmp);
      w->tmp = NULL; /* renamed: nothing to remove */
    }
  }
  lull__audio_abort(w);
  return err;
}

void lull__audio_abort(lull_audio_writer *w) {
  if (!w) return;
  if (w->sf) sf_close(w->sf);
  if (w->tmp) {
    unlink(w->tmp);
    free(w->tmp);
  }
  free(w->path);
  free(w);
}
