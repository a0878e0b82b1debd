/* server hub: the part of fan-out that does not depend on the network
 * library: the wire format of a packet and each listener's cursor policy
 * (burst on join, skip to the live edge when too far behind, disconnect
 * when behind for too long). Module interface for the transports. */
#ifndef LULL_HUB_H
#define LULL_HUB_H

#include <stddef.h>
#include <stdint.h>

#include "stream/stream.h"

/* ---- wire format (DESIGN.md, "Wire protocol") -------------------------------
 * Every packet on a WebSocket starts with 16 bytes, little-endian:
 *   0: version u8 (1)   1: codec u8 (1 Opus, 2 PCM int16 interleaved)
 *   2: payload length u16   4: sequence u32   8: position u64 (absolute frame
 *   of the packet's first sample); then the payload. A message holds one or
 *   more packets back to back. */
#define LULL_WIRE_HEADER_BYTES 16u
#define LULL_WIRE_VERSION 1u
enum { LULL_CODEC_OPUS = 1, LULL_CODEC_PCM = 2 };

typedef struct lull_wire_header {
  uint8_t version, codec;
  uint16_t length;
  uint32_t sequence;
  uint64_t position;
} lull_wire_header;

void lull__wire_put(unsigned char out[LULL_WIRE_HEADER_BYTES], const lull_wire_header *h);
/* Parse one header from in (n bytes available): LULL_OK, LULL_EPARSE when
 * the version is unknown or the payload would run past n. */
int lull__wire_get(const unsigned char *in, size_t n, lull_wire_header *h);

/* ---- listener cursors ---------------------------------------------------- */

typedef struct lull_hub_policy {
  uint32_t burst_packets; /* given at join so a player starts full; 0 = 15 (300 ms) */
  uint32_t skip_packets;  /* further behind than this: jump to the live edge; 0 = 50 (1 s) */
  uint32_t drop_ms;       /* behind the skip limit for this long: disconnect; 0 = 5000 */
} lull_hub_policy;

typedef struct lull_hub_cursor {
  uint64_t next;          /* the next packet to send */
  uint64_t dropped;       /* packets skipped (the listener's gap, counted) */
  uint64_t behind_since;  /* ms time of the first skip of this stretch; 0 = keeping up */
  uint64_t last_skip;     /* ms time of the latest skip */
  uint32_t skips;
} lull_hub_cursor;

typedef enum lull_hub_action {
  LULL_HUB_SEND = 0,    /* send from cursor->next (there may be nothing yet) */
  LULL_HUB_SKIPPED,     /* was too far behind: now at the live edge (dropped counted) */
  LULL_HUB_DISCONNECT   /* behind for too long: close the connection */
} lull_hub_action;

/* A new listener's cursor: burst_packets before the live edge (fewer if the
 * ring holds fewer). */
void lull__hub_join(lull_hub_cursor *c, const lull_ring *ring, const lull_hub_policy *p);
/* Before writing to a listener: apply the lag policy at time now_ms. */
lull_hub_action lull__hub_check(lull_hub_cursor *c, const lull_ring *ring, const lull_hub_policy *p, uint64_t now_ms);

#endif
