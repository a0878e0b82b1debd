/* Opus in Ogg (RFC 7845) with libopus and libogg: one opus_encode_float per
 * 20 ms frame gives the raw packet (for WebSocket) at once; the same packet
 * goes into the Ogg stream, flushed as a page every three packets (60 ms).
 * Pages 0 and 1 are the headers (OpusHead, OpusTags). A page's granule is
 * the samples decoded up to its last packet, pre-skip included.
 * (libopusenc was the first choice; through its multistream encoder libopus
 * ran CPU detection (cpuid, which traps in a VM) on every frame: 40 % of the
 * encode time here.) */
#include <ogg/ogg.h>
#include <opus/opus.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stream/stream.h"

#define FRAME 960
#define PACKETS_PER_PAGE 3
#define MAX_PACKET 1500

struct lull_encoder {
  OpusEncoder *opus;
  ogg_stream_state ogg;
  lull_encoder_sink sink;
  int64_t granule;      /* decoded samples so far, pre-skip included */
  int64_t packetno;
  int preskip, in_page;
  unsigned char packet[MAX_PACKET];
};

static void flush_pages(lull_encoder *e, int header) {
  ogg_page page;
  while (ogg_stream_flush(&e->ogg, &page)) {
    /* One contiguous page for the sink: header and body are adjacent here
     * only by luck, so copy into one buffer. */
    unsigned char buf[65536];
    size_t n = (size_t)page.header_len + (size_t)page.body_len;
    if (n > sizeof buf) continue; /* cannot happen: 3 packets of <= 1275 bytes */
    memcpy(buf, page.header, (size_t)page.header_len);
    memcpy(buf + page.header_len, page.body, (size_t)page.body_len);
    if (e->sink.page) e->sink.page(e->sink.user, buf, (uint32_t)n, header);
  }
}

static void put_le32(unsigned char *p, uint32_t v) {
  p[0] = (unsigned char)v, p[1] = (unsigned char)(v >> 8), p[2] = (unsigned char)(v >> 16), p[3] = (unsigned char)(v >> 24);
}

static void write_headers(lull_encoder *e, const char *title, const char *artist) {
  unsigned char head[19] = {'O', 'p', 'u', 's', 'H', 'e', 'a', 'd', 1, 2};
  head[10] = (unsigned char)e->preskip, head[11] = (unsigned char)(e->preskip >> 8);
  put_le32(head + 12, 48000);
  /* output gain 0, mapping family 0: bytes 16..18 stay zero */
  ogg_packet p = {head, sizeof head, 1, 0, 0, e->packetno++};
  ogg_stream_packetin(&e->ogg, &p);
  flush_pages(e, 1);
  /* OpusTags: vendor, then "TITLE=..." and "ARTIST=...". */
  const char *vendor = opus_get_version_string();
  char t1[160], t2[160];
  snprintf(t1, sizeof t1, "TITLE=%s", title);
  snprintf(t2, sizeof t2, "ARTIST=%s", artist);
  size_t vl = strlen(vendor), l1 = strlen(t1), l2 = strlen(t2);
  unsigned char tags[512];
  size_t n = 0;
  memcpy(tags, "OpusTags", 8), n = 8;
  put_le32(tags + n, (uint32_t)vl), n += 4, memcpy(tags + n, vendor, vl), n += vl;
  put_le32(tags + n, 2), n += 4;
  put_le32(tags + n, (uint32_t)l1), n += 4, memcpy(tags + n, t1, l1), n += l1;
  put_le32(tags + n, (uint32_t)l2), n += 4, memcpy(tags + n, t2, l2), n += l2;
  ogg_packet q = {tags, (long)n, 0, 0, 0, e->packetno++};
  ogg_stream_packetin(&e->ogg, &q);
  flush_pages(e, 1);
}

int lull__encoder_create(const lull_encoder_config *cfg, const lull_encoder_sink *sink, lull_encoder **out,
                         lull_diag *diag) {
  *out = NULL;
  uint32_t bitrate = cfg && cfg->bitrate ? cfg->bitrate : 96000;
  if (bitrate < 32000 || bitrate > 256000)
    return lull_diag_set(diag, LULL_ERANGE, "bitrate", "must be 32000..256000 bit/s, got %u", bitrate);
  lull_encoder *e = calloc(1, sizeof *e);
  if (!e) return lull_diag_set(diag, LULL_ENOMEM, "", "out of memory");
  e->sink = *sink;
  int err;
  e->opus = opus_encoder_create(48000, 2, OPUS_APPLICATION_AUDIO, &err);
  if (!e->opus) {
    free(e);
    return lull_diag_set(diag, LULL_EIO, "encoder", "libopus: %s", opus_strerror(err));
  }
  opus_encoder_ctl(e->opus, OPUS_SET_BITRATE((opus_int32)bitrate));
  opus_encoder_ctl(e->opus, OPUS_SET_SIGNAL(OPUS_SIGNAL_MUSIC));
  /* 8 of 10: a fifth less CPU than 10, no audible loss at 96 kbit/s. */
  opus_encoder_ctl(e->opus, OPUS_SET_COMPLEXITY(8));
  opus_int32 lookahead = 312;
  opus_encoder_ctl(e->opus, OPUS_GET_LOOKAHEAD(&lookahead));
  e->preskip = (int)lookahead;
  /* A fixed serial number: the same music makes the same file. */
  ogg_stream_init(&e->ogg, cfg && cfg->serial ? (int)cfg->serial : 0x6c756c6c /* "lull" */);
  write_headers(e, cfg && cfg->title ? cfg->title : "lull", cfg && cfg->artist ? cfg->artist : "lull");
  *out = e;
  return LULL_OK;
}

void lull__encoder_destroy(lull_encoder *e) {
  if (!e) return;
  opus_encoder_destroy(e->opus);
  ogg_stream_clear(&e->ogg);
  free(e);
}

static int encode(lull_encoder *e, const float *pcm, int eos, int64_t final_granule) {
  opus_int32 n = opus_encode_float(e->opus, pcm, FRAME, e->packet, MAX_PACKET);
  if (n < 0) return LULL_EIO;
  if (e->sink.packet && !eos) e->sink.packet(e->sink.user, e->packet, (uint32_t)n);
  e->granule += FRAME;
  ogg_packet p = {e->packet, n, 0, eos, eos ? final_granule : e->granule, e->packetno++};
  ogg_stream_packetin(&e->ogg, &p);
  if (++e->in_page == PACKETS_PER_PAGE || eos) {
    flush_pages(e, 0);
    e->in_page = 0;
  }
  return LULL_OK;
}

int lull__encoder_write(lull_encoder *e, const float *pcm, uint32_t frames) {
  if (frames != FRAME) return LULL_EINVAL;
  return encode(e, pcm, 0, 0);
}

int lull__encoder_finish(lull_encoder *e, int64_t samples) {
  /* One more frame of silence carries the encoder's lookahead out; the last
   * granule then marks exactly where the input ended (end trimming). */
  static const float silence[2 * FRAME];
  int64_t end = (samples < 0 || samples > e->granule ? e->granule : samples) + e->preskip;
  return encode(e, silence, 1, end);
}
