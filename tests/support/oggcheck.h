/* An Ogg Opus file checked page by page, for the tests of recent.ogg:
 * what a strict reader of RFC 3533 and RFC 7845 would refuse. */
#ifndef LULL_TEST_OGGCHECK_H
#define LULL_TEST_OGGCHECK_H

#include <stddef.h>
#include <stdint.h>

typedef struct ogg_report {
  uint32_t pages, serial;
  uint32_t preskip;           /* OpusHead's */
  char title[300];            /* OpusTags' TITLE */
  uint64_t first_granule;     /* of the first audio page */
  uint64_t last_granule;
  uint32_t first_packets;     /* packets completed on the first audio page */
  uint64_t packets;           /* audio packets */
} ogg_report;

/* 0 when every page is well formed: "OggS", version 0, one serial,
 * sequence numbers 0, 1, 2..., its CRC right, BOS on the first page only,
 * EOS on the last only, OpusHead alone on page 0 and OpusTags alone on
 * page 1 (both granule 0), audio pages with granules that grow by 960 a
 * packet (20 ms packets), no packet continued across pages, and nothing
 * after the last page. Else -1 with the first fault in why. */
int ogg_check(const unsigned char *data, size_t len, ogg_report *out, char *why, size_t why_cap);

#endif
