/* The recent store (see stream.h): the last minutes of a station's Opus
 * packets, written by its producer, copied out by any number of readers.
 * Memory orderings, a seqlock over a ring (Boehm, "Can seqlocks get along
 * with programming language memory models?", 2012):
 * - append: the claims (the packet and the words it will write) are stored
 *   relaxed, then a release fence, then the words and the index entry
 *   (relaxed), then head with release.
 * - copy: head with acquire, the index entries and words (relaxed), an
 *   acquire fence, then the claims (relaxed). A word read that the writer
 *   had begun to overwrite makes the fences synchronise, so the claims read
 *   afterwards show it: whatever the claims say may have been overwritten
 *   is dropped from the front of the copy.
 * Every shared word is an atomic (relaxed: plain moves on x86-64), so the
 * racing reads are defined C11 and ThreadSanitizer needs no annotation. */
#include <stdlib.h>
#include <string.h>

#include "stream/stream.h"

#define PACKET_MAX 1275u  /* an Opus packet's largest size (RFC 6716) */
#define INDEX_SPARE 256u  /* index entries beyond the packets kept: the writer is never near a reader's */
#define WORDS(len) (((uint64_t)(len) + 7u) / 8u)

int lull__recent_init(lull_recent *r, uint32_t seconds, uint32_t bitrate) {
  memset(r, 0, sizeof *r);
  if (seconds == 0 || seconds > LULL_RECENT_MAX_MINUTES * 60u || bitrate == 0) return LULL_EINVAL;
  uint64_t packets = (uint64_t)seconds * 50u;
  /* The bit rate with room for VBR above it (LULL_RECENT_HEADROOM), and each
   * packet rounded up to whole words (half a word on average). */
  uint64_t bytes = (uint64_t)seconds * bitrate / 8u * LULL_RECENT_HEADROOM_PCT / 100u + packets * 4u;
  r->seconds = seconds;
  r->words_cap = WORDS(bytes) + WORDS(PACKET_MAX);
  r->index_mask = lull__pow2_at_least(packets + INDEX_SPARE) - 1u;
  /* Zeroed by calloc, not word by word: the pages of the minutes not yet
   * played stay untouched, so a station costs its memory as it plays (a
   * fresh personal station 10 MB less, and no page faults on the network
   * thread that starts it). Zero bytes are a zero lock-free atomic. */
  _Static_assert(ATOMIC_LLONG_LOCK_FREE == 2, "64-bit atomics are plain words here");
  r->words = calloc(r->words_cap, sizeof *r->words);
  r->index = calloc((size_t)r->index_mask + 1u, sizeof *r->index);
  if (!r->words || !r->index) {
    lull__recent_free(r);
    return LULL_ENOMEM;
  }
  atomic_init(&r->head, 0);
  atomic_init(&r->claim_seq, 0);
  atomic_init(&r->claim_words, 0);
  return LULL_OK;
}

void lull__recent_free(lull_recent *r) {
  free((void *)r->words);
  free((void *)r->index);
  r->words = r->index = NULL;
}

size_t lull__recent_memory(const lull_recent *r) {
  return r->words ? r->words_cap * sizeof *r->words + ((size_t)r->index_mask + 1u) * sizeof *r->index : 0;
}

void lull__recent_append(lull_recent *r, const unsigned char *packet, uint32_t len) {
  if (len == 0 || len > PACKET_MAX) return; /* not an Opus packet */
  uint64_t seq = atomic_load_explicit(&r->head, memory_order_relaxed); /* only this thread writes */
  uint64_t off = r->end_words, n = WORDS(len);
  atomic_store_explicit(&r->claim_seq, seq, memory_order_relaxed);
  atomic_store_explicit(&r->claim_words, off + n, memory_order_relaxed);
  atomic_thread_fence(memory_order_release); /* the claims before any word they cover */
  size_t at = (size_t)(off % r->words_cap);
  for (uint64_t i = 0; i < n; i++) {
    uint64_t w = 0;
    size_t take = len - i * 8 < 8 ? len - i * 8 : 8;
    memcpy(&w, packet + i * 8, take);
    atomic_store_explicit(&r->words[at], w, memory_order_relaxed);
    if (++at == r->words_cap) at = 0;
  }
  atomic_store_explicit(&r->index[seq & r->index_mask], off << 16 | len, memory_order_relaxed);
  r->end_words = off + n;
  atomic_store_explicit(&r->head, seq + 1, memory_order_release); /* the packet, whole */
}

uint64_t lull__recent_packets(const lull_recent *r) {
  return atomic_load_explicit(&((lull_recent *)r)->head, memory_order_acquire);
}

int lull__recent_copy(lull_recent *r, uint32_t want, lull_recent_copy *out) {
  memset(out, 0, sizeof *out);
  uint64_t head = atomic_load_explicit(&r->head, memory_order_acquire);
  uint64_t keep = (uint64_t)r->index_mask + 1u - INDEX_SPARE; /* the entries surely not being rewritten */
  uint64_t n = head < want ? head : want;
  if (n > keep) n = keep;
  if (!n) return LULL_OK;
  uint64_t first = head - n;
  out->lens = malloc(n * sizeof *out->lens);
  uint64_t *offs = malloc(n * sizeof *offs);
  if (!out->lens || !offs) {
    free(offs);
    lull__recent_copy_free(out);
    return LULL_ENOMEM;
  }
  for (uint64_t i = 0; i < n; i++) {
    uint64_t e = atomic_load_explicit(&r->index[(first + i) & r->index_mask], memory_order_relaxed);
    offs[i] = e >> 16;
    out->lens[i] = (uint16_t)(e & 0xffff);
  }
  /* The packets lie back to back in the words: from the first whose words
   * are still in the ring (as of the newest packet, with room for the next)
   * to the newest's end. An entry rewritten while we read it names a newer
   * packet, at or past that end: skipped here, and dropped below. */
  uint64_t end = offs[n - 1] + WORDS(out->lens[n - 1]), skip = 0;
  while (skip < n && !(offs[skip] < end && end - offs[skip] + WORDS(PACKET_MAX) <= r->words_cap)) skip++;
  uint64_t from = skip < n ? offs[skip] : end, count = end - from;
  out->words = malloc((count ? count : 1) * sizeof *out->words);
  if (!out->words) {
    free(offs);
    lull__recent_copy_free(out);
    return LULL_ENOMEM;
  }
  size_t at = (size_t)(from % r->words_cap);
  for (uint64_t i = 0; i < count; i++) {
    out->words[i] = atomic_load_explicit(&r->words[at], memory_order_relaxed);
    if (++at == r->words_cap) at = 0;
  }
  atomic_thread_fence(memory_order_acquire); /* the reads above, then the claims */
  uint64_t cseq = atomic_load_explicit(&r->claim_seq, memory_order_relaxed);
  uint64_t cwords = atomic_load_explicit(&r->claim_words, memory_order_relaxed);
  /* Overwritten, or being overwritten, while we read: an index entry of a
   * packet index_mask + 1 older than the one claimed, words older than the
   * claimed end by the whole ring. Only the oldest can be: drop them. */
  while (skip < n && (first + skip + r->index_mask < cseq || offs[skip] + r->words_cap < cwords)) skip++;
  out->count = (uint32_t)(n - skip);
  out->first = first + skip;
  if (skip && skip < n) {
    /* The copy starts at the first packet kept. */
    uint64_t drop = offs[skip] - from;
    memmove(out->words, out->words + drop, (size_t)(count - drop) * sizeof *out->words);
    memmove(out->lens, out->lens + skip, (size_t)(n - skip) * sizeof *out->lens);
  }
  free(offs);
  return LULL_OK;
}

void lull__recent_copy_free(lull_recent_copy *c) {
  free(c->words);
  free(c->lens);
  memset(c, 0, sizeof *c);
}
