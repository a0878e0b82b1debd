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
/* The same over any sequence of units: head is the next unit to come,
 * oldest the oldest still held (the policy counts in units). */
void lull__hub_join_at(lull_hub_cursor *c, uint64_t head, uint64_t oldest, const lull_hub_policy *p);
lull_hub_action lull__hub_check_at(lull_hub_cursor *c, uint64_t head, uint64_t oldest, const lull_hub_policy *p,
                                   uint64_t now_ms);

/* ---- feeds ------------------------------------------------------------------
 * A network thread's view of one station stream, framed once for its
 * transport: consecutive units (a WebSocket message of N packets, an Ogg
 * page, an MP3 chunk) laid back to back in a byte log, so that everything a
 * listener has pending is one contiguous run, written with one send. The
 * thread that pulls is the only one that reads, so the log needs no
 * synchronisation; the station's ring is read inside its margin and checked
 * for tearing. Listeners hold a cursor in units (the policy above). */

enum { LULL_FEED_WS_OPUS = 0, LULL_FEED_WS_PCM, LULL_FEED_OGG, LULL_FEED_MP3, LULL_FEED_KINDS };

typedef struct lull_feed_unit {
  uint64_t off; /* in the log, free-running (position = off % log_bytes) */
  uint32_t len;
  uint64_t published_ns; /* when the station published its last packet (lull__ring_clock_ns) */
} lull_feed_unit;

typedef struct lull_feed {
  int kind;
  lull_ring *src;
  uint32_t per_unit;      /* source packets per unit (WebSocket messages), else 1 */
  uint32_t unit_ms;       /* a unit's duration, for the policy */
  uint64_t src_next;      /* next source packet to take */
  unsigned char *log;
  size_t log_bytes;
  uint64_t log_end;       /* bytes written, free-running */
  lull_feed_unit *units;
  uint32_t unit_mask;
  uint64_t head, tail;    /* units [tail, head) are held */
  uint64_t lost, torn;    /* source packets this thread missed (it was too slow) */
} lull_feed;

/* A unit's duration: per_unit packets on a WebSocket, 60 ms for an Ogg
 * page (three packets), 20 ms for an MP3 chunk (one frame's output). */
uint32_t lull__feed_unit_ms(int kind, uint32_t per_unit);
/* history_ms of units are kept (at least 1000). per_unit: 1..16. */
int lull__feed_init(lull_feed *f, int kind, lull_ring *src, uint32_t per_unit, uint32_t history_ms);
void lull__feed_free(lull_feed *f);
/* Take what the station published since; returns how many units are new. */
uint64_t lull__feed_pull(lull_feed *f);
/* The contiguous bytes of units from `from` on (at most max_bytes, but at
 * least one whole unit): returns the length, 0 when there is nothing (from
 * == head or from < tail). *units says how many units the run holds. */
size_t lull__feed_run(const lull_feed *f, uint64_t from, size_t max_bytes, const unsigned char **data, uint64_t *units);
/* When the newest of units [from, from + units) was published, for send
 * latency; from + units - 1 must be held. */
uint64_t lull__feed_published_ns(const lull_feed *f, uint64_t from, uint64_t units);

#endif
