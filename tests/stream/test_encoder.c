/* encoder.c: Opus packets and Ogg pages (RFC 7845). The stream decodes back
 * (libopusfile) to the input within an SNR bound, left and right in their
 * places, trimmed to the samples written; pages are well-formed on their
 * own terms (capture pattern, version, flags, serial, sequence, CRC checked
 * here, not by libogg), the headers say what RFC 7845 asks, granules count
 * 960 a packet from the pre-skip, and the raw packets a WebSocket listener
 * gets are the bytes inside the pages, each a 20 ms stereo Opus frame. */
#include <opus/opus.h>
#include <opus/opusfile.h>
#include <stdlib.h>

#include "stream/stream.h"
#include "support/harness.h"
#include "support/signal.h"

#define FRAME 960

typedef struct sink {
  unsigned char *ogg;
  size_t len, cap;
  int header_pages, pages;
  unsigned char packets[400][1500];
  uint32_t packet_len[400];
  int npackets;
} sink;

static void on_packet(void *user, const unsigned char *data, uint32_t len) {
  sink *s = user;
  ASSERT_TRUE(s->npackets < 400 && len <= 1500);
  memcpy(s->packets[s->npackets], data, len);
  s->packet_len[s->npackets++] = len;
}

static void on_page(void *user, const unsigned char *data, uint32_t len, int header) {
  sink *s = user;
  if (s->len + len > s->cap) s->cap = (s->len + len) * 2, s->ogg = realloc(s->ogg, s->cap);
  memcpy(s->ogg + s->len, data, len);
  s->len += len;
  /* The header pages come first, and only they are flagged. */
  ASSERT_EQ_INT(header, s->pages < 2);
  s->header_pages += header, s->pages++;
}

/* Left: 440 Hz at -6 dBFS; right: 1 kHz at -12 dBFS (so a swap shows). */
static float *test_signal(size_t frames) {
  float *x = malloc(sizeof(float) * 2 * frames);
  for (size_t i = 0; i < frames; i++) {
    x[2 * i] = (float)(0.5 * sin(2 * M_PI * 440.0 * (double)i / 48000.0));
    x[2 * i + 1] = (float)(0.25 * sin(2 * M_PI * 1000.0 * (double)i / 48000.0));
  }
  return x;
}

static lull_encoder *encode(const lull_encoder_config *cfg, sink *s, const float *x, int frames20, int64_t trim_to) {
  lull_encoder_sink k = {on_packet, on_page, s};
  lull_encoder *e;
  lull_diag d;
  ASSERT_EQ_INT(lull__encoder_create(cfg, &k, &e, &d), LULL_OK);
  ASSERT_EQ_INT(s->pages, 2); /* OpusHead and OpusTags are out at once */
  for (int f = 0; f < frames20; f++) {
    ASSERT_EQ_INT(lull__encoder_write(e, x + (size_t)f * 2 * FRAME, FRAME), LULL_OK);
    ASSERT_EQ_INT(s->npackets, f + 1); /* each packet at once */
  }
  ASSERT_EQ_INT(lull__encoder_finish(e, trim_to), LULL_OK);
  return e;
}

/* Ogg's CRC-32: polynomial 0x04c11db7, initial 0, not reflected, over the
 * whole page with its CRC field zero (RFC 3533). */
static uint32_t ogg_crc(const unsigned char *p, size_t n) {
  uint32_t crc = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char b = (i >= 22 && i < 26) ? 0 : p[i];
    crc ^= (uint32_t)b << 24;
    for (int k = 0; k < 8; k++) crc = crc & 0x80000000u ? crc << 1 ^ 0x04c11db7u : crc << 1;
  }
  return crc;
}

static uint32_t le32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

typedef struct page_walk {
  int pages, packets_in_audio;
  int64_t last_granule;
  int bos_pages, eos_pages, last_eos;
} page_walk;

/* Check every page; hand each whole packet to fn (packet number, bytes). */
static page_walk walk(const sink *s, uint32_t serial, void (*fn)(const sink *, int, const unsigned char *, size_t)) {
  page_walk w = {0};
  unsigned char packet[4096];
  size_t plen = 0;
  int pno = 0;
  for (size_t at = 0; at < s->len;) {
    const unsigned char *p = s->ogg + at;
    ASSERT_TRUE(s->len - at >= 27);
    ASSERT_TRUE(memcmp(p, "OggS", 4) == 0);
    ASSERT_EQ_INT(p[4], 0); /* version */
    ASSERT_EQ_INT(le32(p + 14), serial);
    ASSERT_EQ_INT(le32(p + 18), w.pages); /* sequence */
    const int nseg = p[26];
    size_t body = 0;
    for (int i = 0; i < nseg; i++) body += p[27 + i];
    const size_t n = 27 + (size_t)nseg + body;
    ASSERT_TRUE(at + n <= s->len);
    ASSERT_EQ_INT(le32(p + 22), ogg_crc(p, n));
    const int flags = p[5];
    ASSERT_EQ_INT(flags & 1, 0); /* no packet continues across pages here */
    w.bos_pages += (flags & 2) != 0;
    w.eos_pages += (flags & 4) != 0;
    w.last_eos = (flags & 4) != 0;
    if (w.pages == 0) ASSERT_EQ_INT(flags & 2, 2);
    int64_t granule = 0;
    for (int i = 7; i >= 0; i--) granule = granule << 8 | p[6 + i];
    const unsigned char *b = p + 27 + nseg;
    int ended = 0;
    for (int i = 0; i < nseg; i++) {
      memcpy(packet + plen, b, p[27 + i]);
      plen += p[27 + i], b += p[27 + i];
      if (p[27 + i] < 255) {
        if (fn) fn(s, pno, packet, plen);
        pno++, plen = 0, ended++;
      }
    }
    /* Headers alone on their pages, granule 0; audio pages end packets. */
    if (w.pages < 2) {
      ASSERT_EQ_INT(ended, 1);
      ASSERT_EQ_INT(granule, 0);
    } else {
      w.packets_in_audio += ended;
      w.last_granule = granule;
    }
    at += n;
    w.pages++;
  }
  ASSERT_EQ_INT(plen, 0);
  return w;
}

static int preskip_seen;

static void check_headers_and_packets(const sink *s, int pno, const unsigned char *p, size_t n) {
  if (pno == 0) { /* OpusHead, RFC 7845 5.1 */
    ASSERT_EQ_INT(n, 19);
    ASSERT_TRUE(memcmp(p, "OpusHead", 8) == 0);
    ASSERT_EQ_INT(p[8], 1);  /* version */
    ASSERT_EQ_INT(p[9], 2);  /* channels */
    preskip_seen = p[10] | p[11] << 8;
    ASSERT_EQ_INT(le32(p + 12), 48000);
    ASSERT_EQ_INT(p[16] | p[17] << 8, 0); /* output gain */
    ASSERT_EQ_INT(p[18], 0);              /* mapping family */
  } else if (pno == 1) { /* OpusTags, 5.2: vendor, then TITLE= and ARTIST= */
    ASSERT_TRUE(memcmp(p, "OpusTags", 8) == 0);
    size_t at = 8, vl = le32(p + at);
    at += 4 + vl;
    ASSERT_EQ_INT(le32(p + at), 2);
    at += 4;
    size_t l1 = le32(p + at);
    ASSERT_TRUE(l1 == 16 && memcmp(p + at + 4, "TITLE=night test", l1) == 0);
    at += 4 + l1;
    size_t l2 = le32(p + at);
    ASSERT_TRUE(l2 == 11 && memcmp(p + at + 4, "ARTIST=lull", l2) == 0);
    ASSERT_EQ_INT(at + 4 + l2, n);
  } else { /* audio: the same bytes the WebSocket listener got, but the last (end of stream) */
    const int k = pno - 2;
    if (k < s->npackets) {
      ASSERT_EQ_INT(n, s->packet_len[k]);
      ASSERT_TRUE(memcmp(p, s->packets[k], n) == 0);
    }
    /* TOC (RFC 6716 3.1): CELT fullband 20 ms (config 31), stereo, one frame. */
    ASSERT_EQ_INT(p[0] >> 3, 31);
    ASSERT_EQ_INT((p[0] >> 2) & 1, 1);
    ASSERT_EQ_INT(p[0] & 3, 0);
    ASSERT_EQ_INT(opus_packet_get_samples_per_frame(p, 48000) * opus_packet_get_nb_frames(p, (opus_int32)n), FRAME);
  }
}

static void test_decodes_back(void **state) {
  (void)state;
  const int frames20 = 150; /* 3 s */
  const int64_t samples = (int64_t)frames20 * FRAME - 500; /* trimmed mid-frame */
  float *x = test_signal((size_t)frames20 * FRAME);
  static sink s;
  memset(&s, 0, sizeof s);
  lull_encoder_config cfg = {.title = "night test", .serial = 1234};
  lull_encoder *e = encode(&cfg, &s, x, frames20, samples);
  ASSERT_EQ_INT(s.header_pages, 2);
  ASSERT_EQ_INT(s.npackets, frames20); /* the end-of-stream packet is for the file only */

  preskip_seen = -1;
  page_walk w = walk(&s, 1234, check_headers_and_packets);
  ASSERT_EQ_INT(w.bos_pages, 1);
  ASSERT_EQ_INT(w.eos_pages, 1);
  ASSERT_EQ_INT(w.last_eos, 1);
  ASSERT_EQ_INT(w.packets_in_audio, frames20 + 1);
  ASSERT_EQ_INT(w.pages, 2 + (frames20 + 1 + 2) / 3); /* three packets a page */
  ASSERT_GE(preskip_seen, 120); /* libopus's lookahead: 312 at 48 kHz (6.5 ms) */
  ASSERT_LE(preskip_seen, 1000);
  ASSERT_EQ_INT(w.last_granule, samples + preskip_seen); /* end trimming */

  /* libopusfile: 48 kHz stereo, exactly the samples written, and close to
   * them: the pre-skip removed, so sample i is input sample i. */
  int err;
  OggOpusFile *of = op_open_memory(s.ogg, s.len, &err);
  ASSERT_TRUE(of != NULL);
  ASSERT_EQ_INT(op_channel_count(of, -1), 2);
  ASSERT_EQ_INT(op_pcm_total(of, -1), samples);
  float *y = calloc((size_t)samples * 2, sizeof(float));
  int64_t got = 0;
  int n;
  while (got < samples && (n = op_read_float(of, y + 2 * got, (int)(2 * (samples - got)), NULL)) > 0) got += n;
  ASSERT_EQ_INT(got, samples);
  op_free(of);
  /* SNR per channel past the first 20 ms (the codec's start-up). */
  double snr[2];
  for (int c = 0; c < 2; c++) {
    double sig = 0, noise = 0;
    for (int64_t i = FRAME; i < samples; i++) {
      double a = x[2 * i + c], b = y[2 * i + c];
      sig += a * a, noise += (a - b) * (a - b);
    }
    snr[c] = 10 * log10(sig / noise);
  }
  printf("# Opus 96 kbit/s, 440 Hz left, 1 kHz right: SNR %.1f dB left, %.1f dB right; %zu bytes for 3 s\n", snr[0],
         snr[1], s.len);
  /* Measured 38.1 and 41.8 dB (libopus 1.3.1). 30 dB is what Opus at this
   * rate keeps with margin, and what one sample of misalignment (a wrong
   * pre-skip) breaks: a 440 Hz sine against itself shifted by one sample
   * has an SNR of -20 log10(2 sin(pi 440 / 48000)) = 24.8 dB, 1 kHz 17.7 dB. */
  if (snr[0] < 30.0 || snr[1] < 30.0) lull_test_dump_wav("encoder_decoded", y, (size_t)samples, 2);
  ASSERT_GE(snr[0], 30.0);
  ASSERT_GE(snr[1], 30.0);
  /* Each channel's tone where it belongs. */
  double *spec = sig_spectrum(y + 2 * 4800, 65536, 2), mag;
  ASSERT_NEAR(sig_peak_hz(spec, 65536, 48000, 100, 5000, &mag), 440.0, 2.0);
  free(spec);
  spec = sig_spectrum(y + 2 * 4800 + 1, 65536, 2);
  ASSERT_NEAR(sig_peak_hz(spec, 65536, 48000, 100, 5000, &mag), 1000.0, 2.0);
  free(spec);
  free(y);
  free(x);
  free(s.ogg);
  lull__encoder_destroy(e);
}

/* The raw packets alone (what a WebSocket listener decodes) through libopus. */
static void test_packets_decode_with_libopus(void **state) {
  (void)state;
  const int frames20 = 50;
  float *x = test_signal((size_t)frames20 * FRAME);
  static sink s;
  memset(&s, 0, sizeof s);
  lull_encoder *e = encode(NULL, &s, x, frames20, -1);
  walk(&s, 0x6c756c6c, NULL); /* the default serial, "lull" */
  int err;
  OpusDecoder *dec = opus_decoder_create(48000, 2, &err);
  ASSERT_TRUE(dec != NULL);
  float pcm[2 * 5760];
  double sq = 0;
  for (int k = 0; k < s.npackets; k++) {
    ASSERT_EQ_INT(opus_decode_float(dec, s.packets[k], (opus_int32)s.packet_len[k], pcm, 5760, 0), FRAME);
    if (k >= 10)
      for (int i = 0; i < 2 * FRAME; i += 2) sq += (double)pcm[i] * pcm[i];
  }
  opus_decoder_destroy(dec);
  /* The left channel's 440 Hz at -6 dBFS: rms 0.354, -9 dBFS. */
  ASSERT_NEAR(sig_db(sqrt(sq / (40.0 * FRAME))), -9.03, 0.5);
  free(x);
  free(s.ogg);
  lull__encoder_destroy(e);
}

static void test_config_and_input_refused(void **state) {
  (void)state;
  static sink s;
  memset(&s, 0, sizeof s);
  lull_encoder_sink k = {on_packet, on_page, &s};
  lull_encoder *e = (lull_encoder *)&s;
  lull_diag d;
  lull_encoder_config low = {.bitrate = 31999}, high = {.bitrate = 256001};
  ASSERT_EQ_INT(lull__encoder_create(&low, &k, &e, &d), LULL_ERANGE);
  ASSERT_TRUE(e == NULL);
  ASSERT_STR_EQ(d.field, "bitrate");
  ASSERT_STR_CONTAINS(d.message, "32000..256000 bit/s, got 31999");
  ASSERT_EQ_INT(lull__encoder_create(&high, &k, &e, &d), LULL_ERANGE);
  ASSERT_STR_EQ(d.field, "bitrate");
  ASSERT_EQ_INT(s.pages, 0); /* nothing written for a refused config */
  lull_encoder_config edge = {.bitrate = 32000};
  ASSERT_EQ_INT(lull__encoder_create(&edge, &k, &e, &d), LULL_OK);
  float pcm[2 * FRAME] = {0};
  ASSERT_EQ_INT(lull__encoder_write(e, pcm, FRAME - 1), LULL_EINVAL); /* 20 ms exactly */
  ASSERT_EQ_INT(lull__encoder_write(e, pcm, FRAME + 1), LULL_EINVAL);
  ASSERT_EQ_INT(s.npackets, 0);
  ASSERT_EQ_INT(lull__encoder_write(e, pcm, FRAME), LULL_OK);
  ASSERT_EQ_INT(s.npackets, 1);
  lull__encoder_destroy(e);
  lull__encoder_destroy(NULL);
  free(s.ogg);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_decodes_back), cmocka_unit_test(test_packets_decode_with_libopus),
                                     cmocka_unit_test(test_config_and_input_refused)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
