/* Audio files through libsndfile. Written as an atomic file (a temporary
 * file beside the target, renamed on commit), so a failed render never
 * leaves a partial file under the real name. WAV on stdout is written here instead (the
 * header first, with the sizes known in advance), since libsndfile cannot
 * write WAV to a pipe. 16-bit output gets TPDF dither (two uniform variates,
 * +-1 LSB), seeded so a render is reproducible. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "io/io_int.h"
#include "stream/stream.h"

#define CHUNK_FRAMES 4096
#define DITHER_STREAMS 16

struct lull_audio_writer {
  SNDFILE *sf;      /* NULL when streaming WAV to stdout, or writing Ogg/Opus */
  lull_encoder *opus; /* .ogg/.opus: the station's encoder, so files and streams are the same sound */
  FILE *ogg;
  float frame[2 * LULL_FRAME_SAMPLES];
  uint32_t frame_fill;
  uint64_t samples; /* written, per channel: where the Ogg stream is trimmed to */
  int ogg_failed;
  lull_atomic_file file; /* file.path is NULL for stdout */
  int reader_gone;        /* stdout: the pipe's reader closed it (EPIPE) */
  lull_sample_format fmt;
  uint32_t dither[DITHER_STREAMS]; /* xorshift32 streams (to_pcm16) */
  short pcm[CHUNK_FRAMES * 2];
  unsigned char bytes[CHUNK_FRAMES * 2 * 4];
};

static int write_all(int fd, const void *p, size_t n) {
  const unsigned char *b = p;
  while (n) {
    ssize_t w = write(fd, b, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    b += w;
    n -= (size_t)w;
  }
  return 0;
}

static unsigned char *le16(unsigned char *p, uint32_t v) {
  p[0] = (unsigned char)v, p[1] = (unsigned char)(v >> 8);
  return p + 2;
}
static unsigned char *le32(unsigned char *p, uint32_t v) {
  p[0] = (unsigned char)v, p[1] = (unsigned char)(v >> 8), p[2] = (unsigned char)(v >> 16), p[3] = (unsigned char)(v >> 24);
  return p + 4;
}

static unsigned bytes_per_sample(lull_sample_format fmt) {
  return fmt == LULL_SAMPLE_PCM16 ? 2 : fmt == LULL_SAMPLE_PCM24 ? 3 : 4;
}

/* RIFF/WAVE header for a stream: PCM (tag 1) or IEEE float (tag 3, with its
 * fact chunk). Sizes that do not fit, or are unknown, read 0xFFFFFFFF. */
static int write_wav_header(int fd, lull_sample_format fmt, uint32_t rate, uint64_t frames) {
  unsigned char h[64], *p = h;
  const unsigned bps = bytes_per_sample(fmt), align = 2 * bps;
  const int is_float = fmt == LULL_SAMPLE_FLOAT;
  uint64_t data = frames * align, riff = data + (is_float ? 50 : 36);
  uint32_t data32 = frames && data <= 0xFFFFFFF0u ? (uint32_t)data : 0xFFFFFFFFu;
  uint32_t riff32 = frames && riff <= 0xFFFFFFF0u ? (uint32_t)riff : 0xFFFFFFFFu;
  memcpy(p, "RIFF", 4), p = le32(p + 4, riff32), memcpy(p, "WAVE", 4), p += 4;
  memcpy(p, "fmt ", 4), p = le32(p + 4, is_float ? 18 : 16);
  p = le16(p, is_float ? 3 : 1), p = le16(p, 2), p = le32(p, rate), p = le32(p, rate * align);
  p = le16(p, align), p = le16(p, bps * 8);
  if (is_float) {
    p = le16(p, 0); /* cbSize */
    memcpy(p, "fact", 4), p = le32(p + 4, 4), p = le32(p, frames <= 0xFFFFFFF0u && frames ? (uint32_t)frames : 0xFFFFFFFFu);
  }
  memcpy(p, "data", 4), p = le32(p + 4, data32);
  return write_all(fd, h, (size_t)(p - h));
}

static const char *extension(const char *path) {
  const char *slash = strrchr(path, '/');
  const char *dot = strrchr(slash ? slash : path, '.');
  return dot ? dot : "";
}

static int is_ogg(const char *path) {
  const char *ext = extension(path);
  return strcasecmp(ext, ".ogg") == 0 || strcasecmp(ext, ".opus") == 0;
}

static void ogg_page_out(void *user, const unsigned char *data, uint32_t len, int header) {
  (void)header;
  lull_audio_writer *w = user;
  if (fwrite(data, 1, len, w->ogg) != len) w->ogg_failed = 1;
}

static int container(const char *path, lull_sample_format fmt, int *format, lull_diag *diag) {
  const char *ext = extension(path);
  if (is_ogg(path)) return LULL_OK;
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
  return lull_diag_set(diag, LULL_EFORMAT, "-o",
                       "%s: unknown extension \"%s\"; use .wav, .flac, .ogg or .opus (or - for WAV on stdout)", path, ext);
}

int lull__audio_open(const char *path, lull_sample_format fmt, uint32_t rate, uint64_t expected_frames,
                     lull_audio_writer **out, lull_diag *diag) {
  *out = NULL;
  int format = 0;
  int err = container(path, fmt, &format, diag);
  if (err) return err;
  SF_INFO info = {.samplerate = (int)rate, .channels = 2, .format = format};
  lull_audio_writer *w = calloc(1, sizeof *w);
  if (!w) return lull_diag_set(diag, LULL_ENOMEM, "", "out of memory");
  w->fmt = fmt;
  for (uint32_t k = 0, x = 0x12345678u; k < DITHER_STREAMS; k++) { /* fixed: a render is reproducible */
    x += 0x9e3779b9u; /* the streams start far apart; xorshift32's state must not be 0 */
    w->dither[k] = (x ^ (x >> 16)) * 0x85ebca6bu | 1u;
  }
  if (strcmp(path, "-") == 0) {
    if (write_wav_header(STDOUT_FILENO, fmt, rate, expected_frames)) {
      int e = errno;
      /* A reader gone already is reported by the first write, as later. */
      if (e == EPIPE) {
        w->reader_gone = 1;
        *out = w;
        return LULL_OK;
      }
      lull__audio_abort(w);
      return lull_diag_set(diag, LULL_EIO, "-o", "stdout: %s", strerror(e));
    }
    *out = w;
    return LULL_OK;
  }
  if ((err = lull__atomic_open(&w->file, path, "-o", diag))) {
    lull__audio_abort(w);
    return err;
  }
  int fd = w->file.fd;
  if (is_ogg(path)) {
    /* Opus at the stream's settings (96 kbit/s, 20 ms packets). */
    lull_encoder_sink sink = {NULL, ogg_page_out, w};
    lull_encoder_config ec = {.title = "lull", .artist = "lull"};
    w->ogg = fdopen(fd, "wb");
    int e = w->ogg ? lull__encoder_create(&ec, &sink, &w->opus, diag) : LULL_EIO;
    if (e) {
      if (!w->ogg) close(fd), lull_diag_set(diag, e, "-o", "%s: cannot write", path);
      lull__audio_abort(w);
      return e;
    }
    *out = w;
    return LULL_OK;
  }
  w->sf = sf_open_fd(fd, SFM_WRITE, &info, SF_TRUE);
  if (!w->sf) {
    close(fd);
    lull_diag_set(diag, LULL_EIO, "-o", "%s: %s", path, sf_strerror(NULL));
    lull__audio_abort(w);
    return LULL_EIO;
  }
  sf_command(w->sf, SFC_SET_CLIPPING, NULL, SF_TRUE);
  *out = w;
  return LULL_OK;
}

/* One step of xorshift32 in each lane. */
static uint32_t xorshift(uint32_t x) {
  x ^= x << 13;
  x ^= x >> 17;
  return x ^ (x << 5);
}

#if defined(__SSE2__)
typedef float v4f __attribute__((vector_size(16)));
typedef int32_t v4i __attribute__((vector_size(16)));
typedef uint32_t v4u __attribute__((vector_size(16)));
typedef short v8s __attribute__((vector_size(16)));

static v4u xorshift4(v4u x) {
  x ^= x << 13;
  x ^= x >> 17;
  return x ^ (x << 5);
}

/* Clamp x to [lo, hi] and round to nearest, ties to even, as lrintf does
 * (cvtps2dq rounds by the mode, the default's nearest); maxps gives its
 * second operand for NaN, so NaN becomes lo, as the scalar path makes it. */
static v4i clamp_round4(v4f x, float lo, float hi) {
  const v4f l = {lo, lo, lo, lo}, h = {hi, hi, hi, hi};
  return __builtin_ia32_cvtps2dq(__builtin_ia32_minps(__builtin_ia32_maxps(x, l), h));
}
#endif

/* One sample to 16 bits: x * 32767 + the dither d, clamped (NaN low), rounded. */
static short pcm16_of(float x, float d) {
  float v = x * 32767.0f + d;
  v = v > -32768.0f ? v : -32768.0f; /* NaN too */
  return (short)lrintf(v < 32767.0f ? v : 32767.0f);
}

/* n frames to 16 bits with TPDF dither: the difference of two uniform
 * variates (+-1 LSB, triangular), from sixteen xorshift streams, a lane each:
 * sixteen samples a round are four independent chains of two steps, which
 * the CPU overlaps (four streams were one chain of eight). The tail takes
 * lane 0's. As signed, each variate is
 * uniform on [-0.5, 0.5): the difference is the same triangle. */
static void to_pcm16(lull_audio_writer *w, const float *x, size_t n) {
  size_t i = 0;
#if defined(__SSE2__)
  v4u s[4];
  memcpy(s, w->dither, sizeof s);
  _Static_assert(sizeof s == sizeof w->dither, "a lane for each stream");
  for (; i + 16 <= 2 * n; i += 16) {
    v4i q[4];
    for (int h = 0; h < 4; h++) {
      v4f in;
      memcpy(&in, x + i + 4 * h, sizeof in);
      v4u a = xorshift4(s[h]), b = xorshift4(a);
      s[h] = b;
      v4f d = (__builtin_convertvector((v4i)a, v4f) - __builtin_convertvector((v4i)b, v4f)) * 0x1p-32f;
      q[h] = clamp_round4(in * 32767.0f + d, -32768.0f, 32767.0f);
    }
    for (int h = 0; h < 4; h += 2) {
      v8s packed = __builtin_ia32_packssdw128(q[h], q[h + 1]); /* within int16 already */
      memcpy(w->pcm + i + 4 * h, &packed, sizeof packed);
    }
  }
  memcpy(w->dither, s, sizeof s);
#endif
  for (; i < 2 * n; i++) {
    uint32_t a = xorshift(w->dither[0]), b = xorshift(a);
    w->dither[0] = b;
    w->pcm[i] = pcm16_of(x[i], ((float)(int32_t)a - (float)(int32_t)b) * 0x1p-32f);
  }
}

/* One sample to 24 bits, clamped to +-1 (NaN low), rounded. */
static int32_t pcm24_of(float x) {
  float c = x > -1.0f ? x : -1.0f; /* NaN too */
  return (int32_t)lrintf((c < 1.0f ? c : 1.0f) * 8388607.0f);
}

/* The stream's samples, little-endian. */
static int write_stream(lull_audio_writer *w, const float *x, size_t n) {
  unsigned char *p = w->bytes;
  size_t i = 0;
  if (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__) { /* already little-endian */
    if (w->fmt == LULL_SAMPLE_PCM16) {
      memcpy(p, w->pcm, sizeof(short) * 2 * n);
      p += sizeof(short) * 2 * n, i = 2 * n;
    } else if (w->fmt == LULL_SAMPLE_FLOAT) { /* IEEE single as WAV's float format has it */
      memcpy(p, x, sizeof(float) * 2 * n);
      p += sizeof(float) * 2 * n, i = 2 * n;
    }
  }
#if defined(__SSE2__)
  if (w->fmt == LULL_SAMPLE_PCM24) /* clamped, scaled and rounded four at a time */
    for (; i + 4 <= 2 * n; i += 4) {
      v4f in;
      memcpy(&in, x + i, sizeof in);
      const v4f one = {1.0f, 1.0f, 1.0f, 1.0f}, minus = {-1.0f, -1.0f, -1.0f, -1.0f};
      v4i q = __builtin_ia32_cvtps2dq(__builtin_ia32_minps(__builtin_ia32_maxps(in, minus), one) * 8388607.0f);
      for (int k = 0; k < 4; k++) p[0] = (unsigned char)q[k], p[1] = (unsigned char)(q[k] >> 8), p[2] = (unsigned char)(q[k] >> 16), p += 3;
    }
#endif
  for (; i < 2 * n; i++) {
    if (w->fmt == LULL_SAMPLE_PCM16) {
      p = le16(p, (uint16_t)w->pcm[i]);
    } else if (w->fmt == LULL_SAMPLE_PCM24) {
      int32_t v = pcm24_of(x[i]);
      p[0] = (unsigned char)v, p[1] = (unsigned char)(v >> 8), p[2] = (unsigned char)(v >> 16), p += 3;
    } else {
      uint32_t bits;
      memcpy(&bits, &x[i], 4);
      p = le32(p, bits);
    }
  }
  return write_all(STDOUT_FILENO, w->bytes, (size_t)(p - w->bytes));
}

int lull__audio_write(lull_audio_writer *w, const float *frames, size_t count, lull_diag *diag) {
  if (w->opus) {
    /* 20 ms frames into the encoder; a partial one waits for more. */
    while (count) {
      uint32_t take = LULL_FRAME_SAMPLES - w->frame_fill;
      if (take > count) take = (uint32_t)count;
      w->samples += take;
      memcpy(w->frame + 2 * w->frame_fill, frames, sizeof(float) * 2 * take);
      w->frame_fill += take, frames += 2 * take, count -= take;
      if (w->frame_fill == LULL_FRAME_SAMPLES) {
        w->frame_fill = 0;
        if (lull__encoder_write(w->opus, w->frame, LULL_FRAME_SAMPLES) != LULL_OK || w->ogg_failed)
          return lull_diag_set(diag, LULL_EIO, "-o", "%s: write failed: %s", w->file.path, strerror(errno));
      }
    }
    return LULL_OK;
  }
  while (count) {
    size_t n = count < CHUNK_FRAMES ? count : CHUNK_FRAMES;
    if (w->fmt == LULL_SAMPLE_PCM16) to_pcm16(w, frames, n);
    sf_count_t wrote;
    if (w->reader_gone) return lull_diag_set(diag, LULL_EIO, "-o", "stdout: the reader closed the pipe");
    if (!w->sf) wrote = write_stream(w, frames, n) == 0 ? (sf_count_t)n : -1;
    else if (w->fmt == LULL_SAMPLE_PCM16) wrote = sf_writef_short(w->sf, w->pcm, (sf_count_t)n);
    else wrote = sf_writef_float(w->sf, frames, (sf_count_t)n);
    if (!w->sf && wrote != (sf_count_t)n && errno == EPIPE) {
      w->reader_gone = 1;
      return lull_diag_set(diag, LULL_EIO, "-o", "stdout: the reader closed the pipe");
    }
    if (!w->sf && wrote != (sf_count_t)n)
      return lull_diag_set(diag, LULL_EIO, "-o", "stdout: write failed: %s", strerror(errno));
    if (wrote != (sf_count_t)n)
      return lull_diag_set(diag, LULL_EIO, "-o", "%s: write failed: %s", w->file.path ? w->file.path : "stdout",
                           sf_strerror(w->sf));
    frames += 2 * n;
    count -= n;
  }
  return LULL_OK;
}

/* The file whole under its temporary name: the last frames, the trailer
 * (sizes, the Ogg stream's end), closed. */
static int finish(lull_audio_writer *w, lull_diag *diag) {
  int err = LULL_OK;
  if (w->sf && sf_close(w->sf) != 0) err = lull_diag_set(diag, LULL_EIO, "-o", "%s: closing failed", w->file.path);
  w->sf = NULL;
  if (w->opus) {
    /* The last partial frame, padded with silence; the stream's end trims it. */
    if (w->frame_fill) {
      memset(w->frame + 2 * w->frame_fill, 0, sizeof(float) * 2 * (LULL_FRAME_SAMPLES - w->frame_fill));
      if (lull__encoder_write(w->opus, w->frame, LULL_FRAME_SAMPLES) != LULL_OK) err = LULL_EIO;
    }
    if (lull__encoder_finish(w->opus, (int64_t)w->samples) != LULL_OK || w->ogg_failed || fclose(w->ogg) != 0)
      err = lull_diag_set(diag, LULL_EIO, "-o", "%s: write failed", w->file.path);
    w->ogg = NULL;
    lull__encoder_destroy(w->opus);
    w->opus = NULL;
  }
  return err;
}

int lull__audio_commit(lull_audio_writer *w, lull_diag *diag) { return lull__audio_commit_with(w, NULL, diag); }

int lull__audio_commit_with(lull_audio_writer *w, lull_midi_file *m, lull_diag *diag) {
  int err = finish(w, diag);
  /* stdout's file holds no temporary file: the pair skips it. */
  if (!err) err = lull__atomic_commit_pair(&w->file, "-o", m ? &m->file : NULL, "--midi", diag);
  lull__midi_abort(m);
  lull__audio_abort(w);
  return err;
}

int lull__audio_reader_gone(const lull_audio_writer *w) { return w && w->reader_gone; }

void lull__audio_abort(lull_audio_writer *w) {
  if (!w) return;
  if (w->sf) sf_close(w->sf);
  if (w->ogg) fclose(w->ogg);
  lull__encoder_destroy(w->opus);
  lull__atomic_abort(&w->file);
  free(w);
}
