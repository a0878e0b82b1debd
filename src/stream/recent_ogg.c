/* A copy of recent packets as an Ogg Opus file (RFC 7845), made page by
 * page as the reader asks, so that a download never holds more than its
 * copy and one send: OpusHead (page 0, beginning of stream), OpusTags
 * (page 1), then pages of up to a second of packets, numbered on from 2,
 * the last one flagged end of stream. The layout is fixed at open, so the
 * file's size is known before its first byte. The stream is cut from the
 * middle of another: its pre-skip is 80 ms, the decoder's convergence time
 * RFC 7845 recommends for cropped streams, and a page's granule position
 * counts the samples of its packets and all before (pre-skip included). */
#include <ogg/ogg.h>
#include <opus/opus.h>
#include <stdlib.h>
#include <string.h>

#include "stream/stream.h"

#define PAGE_PACKETS 50u  /* a second a page, as opusenc writes files */
#define FRAME 960u
#define HEAD_BYTES 19u
#define TAGS_MAX 1024u

struct lull_recent_file {
  lull_recent_copy copy;
  unsigned char tags[TAGS_MAX];
  uint32_t tags_len;
  uint32_t serial;
  uint64_t size;
  uint32_t page;      /* the next page's sequence number */
  uint32_t packet;    /* the next packet to put in a page */
  uint64_t word;      /* where it starts in copy.words */
};

static void put_le32(unsigned char *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

/* Packets [from, to) that one page holds, starting at from: at most a
 * second of them, and as many as 255 lacing values describe. */
static uint32_t page_end(const lull_recent_copy *c, uint32_t from, uint32_t *lacing) {
  uint32_t to = from, n = 0;
  while (to < c->count && to - from < PAGE_PACKETS && n + c->lens[to] / 255u + 1u <= 255u) n += c->lens[to++] / 255u + 1u;
  *lacing = n;
  return to;
}

/* One page from the given packet bytes into out; its size. */
static size_t page(unsigned char *out, uint32_t flags, uint64_t granule, uint32_t serial, uint32_t seq,
                   const uint16_t *lens, uint32_t count, const unsigned char *const *data) {
  unsigned char *lace = out + 27;
  uint32_t nl = 0;
  size_t body = 0;
  for (uint32_t i = 0; i < count; i++) {
    for (uint32_t left = lens[i];; left -= 255u) {
      lace[nl++] = (unsigned char)(left < 255u ? left : 255u);
      if (left < 255u) break;
    }
    body += lens[i];
  }
  unsigned char *b = lace + nl;
  for (uint32_t i = 0; i < count; i++) memcpy(b, data[i], lens[i]), b += lens[i];
  memcpy(out, "OggS", 4);
  out[4] = 0; /* version */
  out[5] = (unsigned char)flags;
  for (int i = 0; i < 8; i++) out[6 + i] = (unsigned char)(granule >> (8 * i));
  put_le32(out + 14, serial);
  put_le32(out + 18, seq);
  put_le32(out + 22, 0); /* the CRC, over the page with this field zero */
  out[26] = (unsigned char)nl;
  ogg_page og = {out, 27 + (long)nl, out + 27 + nl, (long)body};
  ogg_page_checksum_set(&og);
  return 27 + nl + body;
}

int lull__recent_file_open(lull_recent_copy *copy, const char *title, uint32_t serial, lull_recent_file **out) {
  *out = NULL;
  if (copy->count < LULL_RECENT_MIN_PACKETS) return LULL_EINVAL;
  lull_recent_file *f = calloc(1, sizeof *f);
  if (!f) return LULL_ENOMEM;
  /* OpusTags: the vendor, then TITLE and ARTIST (RFC 7845 5.2). The title
   * is a station's (at most 256 bytes); longer is cut. */
  const char *vendor = opus_get_version_string();
  size_t vl = strlen(vendor), tl = strlen(title);
  if (tl > 512) tl = 512;
  unsigned char *t = f->tags;
  memcpy(t, "OpusTags", 8), t += 8;
  put_le32(t, (uint32_t)vl), t += 4, memcpy(t, vendor, vl), t += vl;
  put_le32(t, 2), t += 4;
  put_le32(t, (uint32_t)(6 + tl)), t += 4, memcpy(t, "TITLE=", 6), memcpy(t + 6, title, tl), t += 6 + tl;
  put_le32(t, 11), t += 4, memcpy(t, "ARTIST=lull", 11), t += 11;
  f->tags_len = (uint32_t)(t - f->tags);
  f->serial = serial;
  /* The size: the two header pages, then each audio page's header, lacing
   * and packets. */
  f->size = 27 + 1 + HEAD_BYTES + 27 + f->tags_len / 255u + 1u + f->tags_len;
  for (uint32_t p = 0, lacing; p < copy->count;) {
    uint32_t q = page_end(copy, p, &lacing);
    f->size += 27 + lacing;
    for (; p < q; p++) f->size += copy->lens[p];
  }
  f->copy = *copy;
  memset(copy, 0, sizeof *copy);
  *out = f;
  return LULL_OK;
}

uint64_t lull__recent_file_size(const lull_recent_file *f) { return f->size; }

double lull__recent_file_seconds(const lull_recent_file *f) {
  return (double)((uint64_t)f->copy.count * FRAME - LULL_RECENT_PRESKIP) / 48000.0;
}

size_t lull__recent_file_read(lull_recent_file *f, unsigned char *out, size_t cap) {
  size_t n = 0;
  if (f->page == 0 && cap >= 27 + 1 + HEAD_BYTES) {
    unsigned char head[HEAD_BYTES] = {'O', 'p', 'u', 's', 'H', 'e', 'a', 'd', 1, 2};
    head[10] = LULL_RECENT_PRESKIP & 0xff, head[11] = LULL_RECENT_PRESKIP >> 8;
    put_le32(head + 12, 48000); /* output gain 0, mapping family 0: the rest stays zero */
    uint16_t len = HEAD_BYTES;
    const unsigned char *d = head;
    n += page(out, 0x02, 0, f->serial, f->page++, &len, 1, &d);
  }
  if (f->page == 1 && cap - n >= 27 + 255 + f->tags_len) {
    uint16_t len = (uint16_t)f->tags_len;
    const unsigned char *d = f->tags;
    n += page(out + n, 0, 0, f->serial, f->page++, &len, 1, &d);
  }
  while (f->page >= 2 && f->packet < f->copy.count) {
    uint32_t lacing, q = page_end(&f->copy, f->packet, &lacing);
    size_t need = 27 + lacing;
    for (uint32_t p = f->packet; p < q; p++) need += f->copy.lens[p];
    if (cap - n < need) break;
    const unsigned char *data[PAGE_PACKETS];
    uint64_t w = f->word;
    for (uint32_t p = f->packet; p < q; p++) {
      data[p - f->packet] = (const unsigned char *)(f->copy.words + w);
      w += (f->copy.lens[p] + 7u) / 8u;
    }
    uint64_t granule = (uint64_t)q * FRAME;
    n += page(out + n, q == f->copy.count ? 0x04 : 0, granule, f->serial, f->page++, f->copy.lens + f->packet,
              q - f->packet, data);
    f->packet = q;
    f->word = w;
  }
  return n;
}

void lull__recent_file_free(lull_recent_file *f) {
  if (!f) return;
  lull__recent_copy_free(&f->copy);
  free(f);
}
