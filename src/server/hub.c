/* Listener cursors and the wire header. A listener is a position in the
 * station's ring and nothing else, so memory per listener is constant and
 * no packet is copied per listener. The policy is Redis's client output
 * limits in other words: a listener may fall a second behind (a hiccup on
 * its network), is then moved to the live edge with the gap counted, and
 * one that stays behind for five seconds is closed, at a safe point (before
 * a write), so the others never notice. */
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

void lull__hub_join(lull_hub_cursor *c, const lull_ring *ring, const lull_hub_policy *p) {
  uint64_t head = lull__ring_head(ring), b = burst(p);
  uint64_t oldest = head > ring->capacity - LULL_RING_MARGIN ? head - (ring->capacity - LULL_RING_MARGIN) : 0;
  c->next = head > b ? head - b : 0;
  if (c->next < oldest) c->next = oldest;
  c->dropped = 0;
  c->behind_since = 0;
  c->last_skip = 0;
  c->skips = 0;
}

lull_hub_action lull__hub_check(lull_hub_cursor *c, const lull_ring *ring, const lull_hub_policy *p, uint64_t now_ms) {
  uint64_t head = lull__ring_head(ring);
  uint64_t lag = head > c->next ? head - c->next : 0;
  /* The ring's own window is a hard limit too: past it the packets are gone. */
  uint64_t limit = skip_limit(p);
  if (limit > ring->capacity - LULL_RING_MARGIN) limit = ring->capacity - LULL_RING_MARGIN;
  /* A stretch of falling behind ends after drop_ms without a skip. (After a
   * skip the lag looks fine: it is needing skips again that tells.) */
  if (c->behind_since && now_ms - c->last_skip >= drop_ms(p)) c->behind_since = 0;
  if (lag <= limit) return LULL_HUB_SEND;
  if (c->behind_since && now_ms - c->behind_since >= drop_ms(p)) return LULL_HUB_DISCONNECT;
  if (!c->behind_since) c->behind_since = now_ms ? now_ms : 1;
  c->last_skip = now_ms;
  /* To the live edge, keeping a small burst so the player does not starve. */
  uint64_t to = head > burst(p) ? head - burst(p) : 0;
  c->dropped += to - c->next;
  c->next = to;
  c->skips++;
  return LULL_HUB_SKIPPED;
}
