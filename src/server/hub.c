/* Listener cursors and the wire header. A listener is a position in the
 * station's ring and nothing else, so memory per listener is constant and
 * no packet is copied per listener. The policy is Redis's client output
 * limits in other words: a listener may fall a second behind (a hiccup on
 * its network), is then moved to the live edge with the gap counted, and
 * one that stays behind for five seconds is closed, at a safe point (before
 * a write), so the others never notice. */
#include <stdlib.h>
#include <string.h>

#include "server/hub.h"

static void put_le(unsigned char *p, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le(const unsigned char *p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; i--) v = v << 8 | p[i];
  return v;
}

void lull__wire_put(unsigned char out[LULL_WIRE_HEADER_BYTES], const lull_wire_header *h) {
  out[0] = h->version;
  out[1] = h->codec;
  put_le(out + 2, h->length, 2);
  put_le(out + 4, h->sequence, 4);
  put_le(out + 8, h->position, 8);
}

int lull__wire_get(const unsigned char *in, size_t n, lull_wire_header *h) {
  if (n < LULL_WIRE_HEADER_BYTES) return LULL_EPARSE;
  h->version = in[0];
  h->codec = in[1];
  h->length = (uint16_t)get_le(in + 2, 2);
  h->sequence = (uint32_t)get_le(in + 4, 4);
  h->position = get_le(in + 8, 8);
  if (h->version != LULL_WIRE_VERSION || (h->codec != LULL_CODEC_OPUS && h->codec != LULL_CODEC_PCM)) return LULL_EPARSE;
  if (LULL_WIRE_HEADER_BYTES + (size_t)h->length > n) return LULL_EPARSE;
  return LULL_OK;
}

static uint32_t burst(const lull_hub_policy *p) { return p && p->burst_packets ? p->burst_packets : 15; }
static uint32_t skip_limit(const lull_hub_policy *p) { return p && p->skip_packets ? p->skip_packets : 50; }
static uint32_t drop_ms(const lull_hub_policy *p) { return p && p->drop_ms ? p->drop_ms : 5000; }

void lull__hub_join_at(lull_hub_cursor *c, uint64_t head, uint64_t oldest, const lull_hub_policy *p) {
  uint64_t b = burst(p);
  c->next = head > b ? head - b : 0;
  if (c->next < oldest) c->next = oldest;
  c->dropped = 0;
  c->behind_since = 0;
  c->last_skip = 0;
  c->skips = 0;
}

lull_hub_action lull__hub_check_at(lull_hub_cursor *c, uint64_t head, uint64_t oldest, const lull_hub_policy *p,
                                   uint64_t now_ms) {
  uint64_t lag = head > c->next ? head - c->next : 0;
  /* What is held is a hard limit too: past it the units are gone. */
  uint64_t limit = skip_limit(p);
  if (limit > head - oldest) limit = head - oldest;
  /* A stretch of falling behind ends after drop_ms without a skip. (After a
   * skip the lag looks fine: it is needing skips again that tells.) */
  if (c->behind_since && now_ms - c->last_skip >= drop_ms(p)) c->behind_since = 0;
  if (lag <= limit && c->next >= oldest) return LULL_HUB_SEND;
  if (c->behind_since && now_ms - c->behind_since >= drop_ms(p)) return LULL_HUB_DISCONNECT;
  if (!c->behind_since) c->behind_since = now_ms ? now_ms : 1;
  c->last_skip = now_ms;
  /* To the live edge, keeping a small burst so the player does not starve. */
  uint64_t to = head > burst(p) ? head - burst(p) : 0;
  if (to < oldest) to = oldest;
  c->dropped += to > c->next ? to - c->next : 0;
  c->next = to;
  c->skips++;
  return LULL_HUB_SKIPPED;
}

static uint64_t ring_oldest(const lull_ring *ring, uint64_t head) {
  uint64_t window = ring->capacity - LULL_RING_MARGIN;
  return head > window ? head - window : 0;
}

void lull__hub_join(lull_hub_cursor *c, const lull_ring *ring, const lull_hub_policy *p) {
  uint64_t head = lull__ring_head(ring);
  lull__hub_join_at(c, head, ring_oldest(ring, head), p);
}

lull_hub_action lull__hub_check(lull_hub_cursor *c, const lull_ring *ring, const lull_hub_policy *p, uint64_t now_ms) {
  uint64_t head = lull__ring_head(ring);
  return lull__hub_check_at(c, head, ring_oldest(ring, head), p, now_ms);
}

/* ---- feeds ---------------------------------------------------------------- */

uint32_t lull__feed_unit_ms(int kind, uint32_t per_unit) {
  /* Ogg pages carry three packets; MP3 chunks come with each 20 ms frame. */
  return kind == LULL_FEED_OGG ? 60 : kind == LULL_FEED_MP3 ? 20 : 20 * per_unit;
}

int lull__feed_init(lull_feed *f, int kind, lull_ring *src, uint32_t per_unit, uint32_t history_ms) {
  memset(f, 0, sizeof *f);
  if (kind < 0 || kind >= LULL_FEED_KINDS || !src || per_unit < 1 || per_unit > 16) return LULL_EINVAL;
  if (kind == LULL_FEED_OGG || kind == LULL_FEED_MP3) per_unit = 1;
  if (history_ms < 1000) history_ms = 1000;
  f->kind = kind;
  f->src = src;
  f->per_unit = per_unit;
  f->unit_ms = lull__feed_unit_ms(kind, per_unit);
  uint64_t units = history_ms / f->unit_ms + 2;
  /* Bytes for that history at the highest rate each kind can have:
   * Opus 256 kbit/s, PCM 1536 kbit/s, MP3 320 kbit/s, plus framing. */
  uint64_t per_s = kind == LULL_FEED_WS_PCM ? 192000 + 50 * 16 : kind == LULL_FEED_MP3 ? 40000 : 32000 + 50 * 16 + 2000;
  f->log_bytes = (size_t)(per_s * history_ms / 1000 + 16 * 4096 + 65536);
  f->unit_mask = lull__pow2_at_least(units) - 1;
  f->log = malloc(f->log_bytes);
  f->units = calloc((size_t)f->unit_mask + 1, sizeof *f->units);
  if (!f->log || !f->units) {
    lull__feed_free(f);
    return LULL_ENOMEM;
  }
  /* Start a little in the past, so the first listener gets its burst. */
  uint64_t head = lull__ring_head(src), back = (uint64_t)(history_ms / 2 / 20);
  uint64_t oldest = ring_oldest(src, head);
  uint64_t start = head > back ? head - back : 0;
  if (start < oldest) start = oldest;
  f->src_next = start / per_unit * per_unit;
  if (f->src_next < oldest) f->src_next += per_unit;
  return LULL_OK;
}

void lull__feed_free(lull_feed *f) {
  free(f->log);
  free(f->units);
  f->log = NULL;
  f->units = NULL;
}

/* Room for len contiguous bytes at the log's end (wrapping to its start
 * when the rest would not fit), with the units whose bytes it covers let go. */
static unsigned char *log_reserve(lull_feed *f, size_t len, uint64_t *off) {
  uint64_t at = f->log_end;
  size_t pos = (size_t)(at % f->log_bytes);
  if (pos + len > f->log_bytes) at += f->log_bytes - pos, pos = 0;
  *off = at;
  uint64_t end = at + len;
  while (f->tail < f->head && f->units[f->tail & f->unit_mask].off < (end > f->log_bytes ? end - f->log_bytes : 0))
    f->tail++;
  return f->log + pos;
}

static void log_commit(lull_feed *f, uint64_t off, uint32_t len, uint64_t published_ns) {
  if (f->head - f->tail > f->unit_mask) f->tail++;
  f->units[f->head & f->unit_mask] = (lull_feed_unit){off, len, published_ns};
  f->head++;
  f->log_end = off + len;
}

static size_t ws_frame_header(unsigned char *p, size_t payload) {
  p[0] = 0x82; /* FIN, binary */
  if (payload < 126) {
    p[1] = (unsigned char)payload;
    return 2;
  }
  p[1] = 126;
  p[2] = (unsigned char)(payload >> 8);
  p[3] = (unsigned char)payload;
  return 4;
}

/* One unit from source packets [seq, seq + per_unit): LULL_OK, LULL_EAGAIN
 * (not all there yet) or LULL_EOVERTAKEN (lost: skip them). Each slot's
 * length is read once: the writer may be rewriting the slot under us, and
 * two reads could disagree (the frame header would then announce one size
 * and the copy write another). A length past the slot's capacity can only
 * be such a rewrite, so it is not copied and the unit counts as torn. */
static int build_unit(lull_feed *f, uint64_t seq) {
  const lull_ring_slot *slot[16];
  uint32_t len[16];
  size_t payload = 0;
  int ws = f->kind == LULL_FEED_WS_OPUS || f->kind == LULL_FEED_WS_PCM;
  /* The wire header has 16 bits for the length. */
  uint32_t cap = ws && f->src->slot_bytes > UINT16_MAX ? UINT16_MAX : f->src->slot_bytes;
  for (uint32_t i = 0; i < f->per_unit; i++) {
    uint64_t lost = 0;
    int err = lull__ring_get(f->src, seq + i, &slot[i], &lost);
    if (err) return err;
    len[i] = lull__slot_len(slot[i]);
    if (len[i] > cap) {
      f->torn++;
      return LULL_EOVERTAKEN;
    }
    payload += len[i] + (ws ? LULL_WIRE_HEADER_BYTES : 0);
  }
  size_t total = payload + (ws ? (payload < 126 ? 2 : 4) : 0);
  uint64_t off;
  unsigned char *p = log_reserve(f, total, &off), *q = p;
  if (ws) q += ws_frame_header(q, payload);
  for (uint32_t i = 0; i < f->per_unit; i++) {
    if (ws) {
      lull_wire_header h = {LULL_WIRE_VERSION, f->kind == LULL_FEED_WS_PCM ? LULL_CODEC_PCM : LULL_CODEC_OPUS,
                            (uint16_t)len[i], (uint32_t)(seq + i), lull__slot_position(slot[i])};
      lull__wire_put(q, &h);
      q += LULL_WIRE_HEADER_BYTES;
    }
    memcpy(q, slot[i]->data, len[i]);
    q += len[i];
  }
  uint64_t published_ns = lull__slot_published_ns(slot[f->per_unit - 1]); /* the unit is whole from then */
  int intact = 1;
  for (uint32_t i = 0; i < f->per_unit; i++) intact &= lull__ring_intact(f->src, slot[i], seq + i);
  if (!intact) {
    f->torn++;
    return LULL_EOVERTAKEN;
  }
  log_commit(f, off, (uint32_t)total, published_ns);
  return LULL_OK;
}

uint64_t lull__feed_pull(lull_feed *f) {
  uint64_t before = f->head;
  for (;;) {
    int err = build_unit(f, f->src_next);
    if (err == LULL_EAGAIN) break;
    if (err == LULL_EOVERTAKEN) {
      /* This thread fell behind the station: go on from the oldest packet
       * still safe to read, on a unit boundary. */
      uint64_t head = lull__ring_head(f->src), oldest = ring_oldest(f->src, head) + LULL_RING_MARGIN;
      uint64_t next = (oldest + f->per_unit - 1) / f->per_unit * f->per_unit;
      if (next <= f->src_next) next = f->src_next + f->per_unit;
      f->lost += next - f->src_next;
      f->src_next = next;
      continue;
    }
    f->src_next += f->per_unit;
  }
  return f->head - before;
}

size_t lull__feed_run(const lull_feed *f, uint64_t from, size_t max_bytes, const unsigned char **data, uint64_t *units) {
  *units = 0;
  if (from >= f->head || from < f->tail) return 0;
  const lull_feed_unit *u = &f->units[from & f->unit_mask];
  size_t len = u->len;
  uint64_t n = 1;
  while (from + n < f->head) {
    const lull_feed_unit *v = &f->units[(from + n) & f->unit_mask];
    if (v->off != u->off + len || len + v->len > max_bytes) break; /* wrapped, or enough */
    len += v->len;
    n++;
  }
  *data = f->log + (size_t)(u->off % f->log_bytes);
  *units = n;
  return len;
}

uint64_t lull__feed_published_ns(const lull_feed *f, uint64_t from, uint64_t units) {
  return f->units[(from + units - 1) & f->unit_mask].published_ns;
}
