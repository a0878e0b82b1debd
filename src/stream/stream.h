/* stream: the packet ring, the command queue, the Opus/Ogg encoder, and
 * the pump that drives a composer (or a phrase) through an engine; the
 * station (station.c) ties them together, and offline renders use the same
 * pump. Module interface for server/, io/ and cli/. */
#ifndef LULL_STREAM_H
#define LULL_STREAM_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "lull/err.h"
#include "lull/event.h"
#include "lull/params.h"
#include "lull/station.h"

/* ---- packet ring (ring.c) -------------------------------------------------
 *
 * One writer, any number of readers, fixed capacity (a power of two).
 * Sequence numbers are free-running u64; packet s lives in slot s & mask.
 *
 *          oldest readable            head (next to write)
 *               v                         v
 *   ... | s-5 | s-4 | s-3 | s-2 | s-1 |  s  | ...     slot = seq & mask
 *
 * A reader holds only its next sequence number (its cursor). It may use a
 * slot's bytes in place (no copy) while the slot is at least MARGIN slots
 * away from being written again; lull__ring_get refuses slots closer than
 * that (LULL_EOVERTAKEN, with how many were lost), and lull__ring_intact
 * says afterwards whether the slot was overwritten during use (a seqlock:
 * it cannot happen unless a reader holds a slot for MARGIN frames). */

#define LULL_RING_MARGIN 8u

/* The smallest power of two >= n (ring and table sizes). The same as
 * dsp.h's, kept here because dsp.h (GCC vector code) is not for the parsers'
 * clang fuzz builds that include this header; one definition per unit. */
#ifndef LULL_POW2_AT_LEAST
#define LULL_POW2_AT_LEAST
static inline uint32_t lull__pow2_at_least(uint64_t n) {
  uint32_t p = 1;
  while (p < n) p <<= 1;
  return p;
}
#endif

/* The fields are atomics (relaxed): a reader may read them while the writer
 * rewrites the slot (it then learns from lull__ring_intact), and in C11 such
 * a read must be atomic. The bytes are plain: read them only inside the
 * margin, or (a reader that may race, like the stress test) atomically. */
typedef struct lull_ring_slot {
  _Atomic uint64_t seq;      /* the packet held, or UINT64_MAX while being written */
  _Atomic uint64_t position; /* absolute frame of its first sample (packets), granule (pages) */
  _Atomic uint64_t published_ns; /* lull__ring_clock_ns() when it was published (send latency) */
  _Atomic uint32_t len;
  _Atomic uint32_t flags;
  unsigned char data[];      /* slot_bytes */
} lull_ring_slot;

static inline uint32_t lull__slot_len(const lull_ring_slot *s) {
  return atomic_load_explicit(&((lull_ring_slot *)s)->len, memory_order_relaxed);
}
static inline uint64_t lull__slot_position(const lull_ring_slot *s) {
  return atomic_load_explicit(&((lull_ring_slot *)s)->position, memory_order_relaxed);
}
static inline uint64_t lull__slot_published_ns(const lull_ring_slot *s) {
  return atomic_load_explicit(&((lull_ring_slot *)s)->published_ns, memory_order_relaxed);
}

typedef struct lull_ring {
  _Alignas(64) _Atomic uint64_t head; /* next sequence number to be written */
  _Alignas(64) _Atomic uint64_t overtaken; /* reads refused as too old */
  _Atomic uint64_t torn;                   /* reads overwritten while in use */
  _Alignas(64) uint32_t capacity, mask, slot_bytes;
  size_t stride;
  unsigned char *slots;
} lull_ring;

int lull__ring_init(lull_ring *r, uint32_t capacity, uint32_t slot_bytes);
void lull__ring_free(lull_ring *r);
/* Writer only. Room for the next packet (slot_bytes), then publish it
 * (stamped with the time: one clock read, never inside a render). */
unsigned char *lull__ring_begin(lull_ring *r);
void lull__ring_publish(lull_ring *r, uint32_t len, uint64_t position, uint32_t flags);
/* Any thread. Sequence number the next packet will get. */
uint64_t lull__ring_head(const lull_ring *r);
/* Any reader. The slot of packet seq: LULL_OK, LULL_EAGAIN (not written
 * yet), or LULL_EOVERTAKEN with *lost = how many packets are gone. */
int lull__ring_get(lull_ring *r, uint64_t seq, const lull_ring_slot **slot, uint64_t *lost);
/* After using a slot: whether it still held seq (else the use was torn). */
int lull__ring_intact(lull_ring *r, const lull_ring_slot *slot, uint64_t seq);
/* The clock of published_ns: CLOCK_MONOTONIC in ns. Any thread. */
uint64_t lull__ring_clock_ns(void);

/* ---- histograms (hist.c) ----------------------------------------------------
 *
 * Durations counted into fixed buckets, as Prometheus histograms show them.
 * One thread observes (relaxed atomic adds: no lock, no syscall, no
 * allocation), any thread reads. The buckets are kept apart, not cumulative:
 *
 *   bounds_ns:   b0      b1      b2   ...  b(n-1)
 *   counts:    [<= b0] [<= b1] [<= b2] ... [<= b(n-1)] [above]
 *
 * A reader sums them into cumulative counts in one pass, so its +Inf bucket
 * is its count by construction, even while the writer goes on; the sum may
 * be a few observations ahead of or behind the counts (each figure is
 * exact, not all from the same instant). */

#define LULL_HIST_MAX_BOUNDS 16u

typedef struct lull_hist {
  const uint64_t *bounds_ns; /* ascending upper bounds (Prometheus' le), n of them; static */
  uint32_t n;
  _Atomic uint64_t counts[LULL_HIST_MAX_BOUNDS + 1]; /* [n]: above the last bound */
  _Atomic uint64_t sum_ns;
} lull_hist;

typedef struct lull_hist_snapshot {
  const uint64_t *bounds_ns;
  uint32_t n;
  uint64_t cumulative[LULL_HIST_MAX_BOUNDS + 1]; /* [i]: observations <= bounds_ns[i]; [n]: all (+Inf) */
  uint64_t sum_ns;
} lull_hist_snapshot;

/* Empty, with n (1..LULL_HIST_MAX_BOUNDS) ascending bounds that outlive it. */
void lull__hist_init(lull_hist *h, const uint64_t *bounds_ns, uint32_t n);
/* One duration. The histogram's one writer; no allocation, lock or syscall. */
void lull__hist_observe(lull_hist *h, uint64_t ns);
/* Add h's counts into acc, whose bounds must be h's (a zeroed acc takes
 * them): one histogram's snapshot, or several (a server's workers) summed. Any thread. */
void lull__hist_accumulate(const lull_hist *h, lull_hist_snapshot *acc);

/* ---- recent audio (recent.c, recent_ogg.c) ---------------------------------
 *
 * The last minutes of a station's Opus packets, for downloads of what a
 * listener just heard. One writer (the producer, once a packet: no
 * allocation, lock or wait), any number of readers, each copying what it
 * wants under a seqlock (the orderings are in recent.c):
 *
 *   index (a power of two, seq & mask):  seq -> word offset << 16 | length
 *   words (the packets back to back, each rounded up to 8 bytes):
 *
 *      ... | oldest kept |  ...  | newest | next ... |  (offset % words_cap)
 *                                            ^ claim: being written
 *
 * The words are sized for the seconds asked at the station's bit rate with
 * room for VBR above it; when the music runs richer than that, the ring
 * holds a little less time (a copy says how much it got). */

#define LULL_RECENT_MAX_MINUTES 30u
#define LULL_RECENT_HEADROOM_PCT 115u   /* words for 115 % of the nominal bit rate */
#define LULL_RECENT_PRESKIP 3840u       /* 80 ms: RFC 7845's pre-skip for a cropped stream */
#define LULL_RECENT_MIN_PACKETS 5u      /* more than the pre-skip: a file with sound in it */

typedef struct lull_recent {
  _Alignas(64) _Atomic uint64_t head;  /* packets published; the next one's seq */
  _Atomic uint64_t claim_seq;          /* the packet being written (or the last one) */
  _Atomic uint64_t claim_words;        /* the words written once it is done */
  _Alignas(64) uint64_t end_words;     /* writer only: words written */
  uint32_t seconds, index_mask;
  size_t words_cap;
  _Atomic uint64_t *words;
  _Atomic uint64_t *index;
} lull_recent;

/* Room for seconds (1..30 minutes' worth) at bitrate bit/s: LULL_OK,
 * LULL_EINVAL or LULL_ENOMEM. Not render-safe (allocates). */
int lull__recent_init(lull_recent *r, uint32_t seconds, uint32_t bitrate);
void lull__recent_free(lull_recent *r);
/* Bytes the store holds allocated. Any thread. */
size_t lull__recent_memory(const lull_recent *r);
/* The writer only: one Opus packet (1..1275 bytes; others are ignored).
 * No allocation, lock, syscall or wait. */
void lull__recent_append(lull_recent *r, const unsigned char *packet, uint32_t len);
/* Packets appended so far. Any thread. */
uint64_t lull__recent_packets(const lull_recent *r);

/* A reader's copy: count packets from seq first on, their bytes back to
 * back in words (each rounded up to whole words), their lengths in lens. */
typedef struct lull_recent_copy {
  uint64_t *words;
  uint16_t *lens;
  uint32_t count;
  uint64_t first;
} lull_recent_copy;

/* Copy the newest packets, want at most (fewer when the store holds fewer,
 * or when the writer overwrote the oldest while they were read): LULL_OK
 * (count may be 0) or LULL_ENOMEM. Any thread, any number at once; never
 * makes the writer wait. Allocates the copy. */
int lull__recent_copy(lull_recent *r, uint32_t want, lull_recent_copy *out);
void lull__recent_copy_free(lull_recent_copy *c);

/* The copy as an Ogg Opus file (recent_ogg.c), made page by page. */
typedef struct lull_recent_file lull_recent_file;
/* Takes the copy (it must hold at least LULL_RECENT_MIN_PACKETS, else
 * LULL_EINVAL and the copy stays the caller's); title goes in the TITLE
 * tag, serial is the Ogg stream's. LULL_OK or LULL_ENOMEM. Any thread. */
int lull__recent_file_open(lull_recent_copy *copy, const char *title, uint32_t serial, lull_recent_file **out);
/* The file's size in bytes, and the seconds of audio it decodes to. */
uint64_t lull__recent_file_size(const lull_recent_file *f);
double lull__recent_file_seconds(const lull_recent_file *f);
/* The next whole pages, as many as fit in cap bytes (a page is at most
 * 64 KiB: with cap >= 65536 each call makes progress): their size, 0 at
 * the end. The file's owner's thread. */
size_t lull__recent_file_read(lull_recent_file *f, unsigned char *out, size_t cap);
void lull__recent_file_free(lull_recent_file *f);

/* ---- command queue (queue.c) -----------------------------------------------
 * Bounded, lock-free, many producers and one consumer (Vyukov's bounded
 * queue: a sequence number per cell). Full: refused, never blocks. */

typedef struct lull_command {
  uint32_t fields; /* which of params to change (LULL_PARAM_*) */
  lull_params params;
  int by;          /* LULL_BY_*: who asked */
} lull_command;

typedef struct lull_queue_cell {
  _Atomic uint64_t seq;
  lull_command cmd;
} lull_queue_cell;

typedef struct lull_queue {
  _Alignas(64) _Atomic uint64_t tail; /* producers */
  _Alignas(64) uint64_t head;         /* the consumer */
  _Alignas(64) uint32_t mask;
  lull_queue_cell *cells;
} lull_queue;

int lull__queue_init(lull_queue *q, uint32_t capacity);
void lull__queue_free(lull_queue *q);
/* Any thread. LULL_OK or LULL_EFULL. */
int lull__queue_push(lull_queue *q, const lull_command *cmd);
/* The consumer only. LULL_OK or LULL_EAGAIN (empty). */
int lull__queue_pop(lull_queue *q, lull_command *cmd);

/* ---- Opus/Ogg encoder (encoder.c) ----------------------------------------- */

typedef struct lull_encoder lull_encoder;

typedef struct lull_encoder_config {
  uint32_t bitrate;     /* 32000..256000; 0 = 96000 */
  const char *title;    /* Ogg comments, fixed for the stream's life */
  const char *artist;
  uint32_t serial;      /* Ogg stream serial; 0 = a fixed default */
} lull_encoder_config;

/* Called with each audio packet (20 ms) and each finished Ogg page. */
typedef struct lull_encoder_sink {
  void (*packet)(void *user, const unsigned char *data, uint32_t len);
  void (*page)(void *user, const unsigned char *data, uint32_t len, int header);
  void *user;
} lull_encoder_sink;

int lull__encoder_create(const lull_encoder_config *cfg, const lull_encoder_sink *sink, lull_encoder **out,
                         lull_diag *diag);
void lull__encoder_destroy(lull_encoder *e);
/* Encode 960 frames (20 ms) of interleaved stereo float: the packet comes
 * out at once; a page every three packets. */
int lull__encoder_write(lull_encoder *e, const float *pcm, uint32_t frames);
/* Finish the stream: last page, end-of-stream flag, and the length trimmed
 * to samples (per channel) written; < 0: every frame written. */
int lull__encoder_finish(lull_encoder *e, int64_t samples);

/* ---- MP3 encoder (mp3.c) -------------------------------------------------- */

typedef struct lull_mp3 lull_mp3;
/* The stations' MP3 rate (bit/s), what lull__mp3_create(0) gives. */
#define LULL_MP3_BITRATE 128000u
/* bitrate in bit/s (0 = LULL_MP3_BITRATE). */
int lull__mp3_create(uint32_t bitrate, lull_mp3 **out, lull_diag *diag);
void lull__mp3_destroy(lull_mp3 *m);
/* Encode interleaved stereo float; returns the bytes written to out (whole
 * frames, possibly 0) or LULL_EIO. cap >= 1.25 * frames + 7200. */
int lull__mp3_encode(lull_mp3 *m, const float *pcm, uint32_t frames, unsigned char *out, uint32_t cap);

/* ---- the pump (pump.c) -----------------------------------------------------
 *
 * The one loop from music to audio, for a station's producer (endless, a
 * 20 ms block at a time) and for offline renders (a piece, then its tails):
 *
 *   composer + timeline ─┐                   ┌─▶ block: caller encodes or writes it
 *                        ├─▶ events ─▶ engine┤
 *   phrase x loops ──────┘      │            └── (render: no allocation, lock or I/O)
 *                               └─▶ tap (optional: MIDI capture)
 *
 * Before rendering a block the pump hands the engine every event that
 * starts in it. Blocks end at each timeline change and at the piece's end,
 * so a change reaches the composer at its exact frame and the notes are
 * released exactly there. The composer is asked for events up to each
 * block's end, so the block size is part of what a render is: the same
 * config gives the same audio, bit for bit. */

/* An explicit phrase (io reads them from files): events played once per
 * pass, a pass every length_frames. */
typedef struct lull_phrase {
  double bpm;
  uint64_t length_frames; /* one pass; the next loop starts here */
  lull_event *events;     /* sorted by frame */
  size_t count;
} lull_phrase;

/* Param changes at given frames, to replay a session offline. */
typedef struct lull_timeline_change {
  uint64_t frame;
  lull_params params; /* the params from then on */
} lull_timeline_change;

typedef struct lull_timeline {
  lull_timeline_change *changes; /* in order of frame */
  size_t count;
} lull_timeline;

/* Sees the events of each block as they are handed to the engine, in
 * order. LULL_OK, or an error (diag filled) that fails the block. */
typedef int (*lull_pump_tap)(void *user, const lull_event *events, size_t count, lull_diag *diag);

/* Zeroes elsewhere make a station's pump: endless, 20 ms blocks. The
 * params have no zero default: give valid ones (lull_params_default()). */
typedef struct lull_pump_config {
  lull_params params;            /* composed music from these; the seed also seeds the engine's noise */
  const lull_timeline *timeline; /* composed: changes of params; NULL = none. Borrowed for the pump's life */
  uint64_t music_frames;         /* composed: the piece's length, after which every note is released
                                    and the tails ring out; 0 = endless */
  const lull_phrase *phrase;     /* play this instead of composing; borrowed for the pump's life */
  uint64_t loops;                /* phrase: passes back to back; 0 = 1 */
  uint32_t block_frames;         /* the largest block; 0 = LULL_FRAME_SAMPLES; 1..65536 */
  uint32_t event_capacity;       /* the engine's queue: events one block may hold; 0 = the engine's default */
  int dry;                       /* no reverb or delay (and their shorter tail) */
  const char *const *fx;         /* LV2 effects on the master (lull_engine_config); borrowed for create */
  uint32_t fx_count;
  const char *instrument[LULL_PART_COUNT]; /* LV2 instruments per part (lull_engine_config); borrowed for create */
  int plugin_threads;            /* plugins' work in threads of their own (live; lull_engine_config) */
  lull_pump_tap tap;             /* NULL = none */
  void *tap_user;
} lull_pump_config;

typedef struct lull_pump lull_pump;

/* Create the composer (unless a phrase is given), the engine and the block
 * buffer: the pump's only allocations. LULL_OK, LULL_ERANGE or LULL_EINVAL
 * (diag names the field), or LULL_ENOMEM. Not render-safe. */
__attribute__((warn_unused_result))
int lull__pump_create(const lull_pump_config *config, lull_pump **out, lull_diag *diag);
/* Free the pump, its composer and engine; NULL is fine. */
void lull__pump_destroy(lull_pump *p);

/* Frames the pump will produce: the music, the releases and reverb tail
 * (1.5 s, plus 6 s unless dry) and the engine's latency; UINT64_MAX when
 * endless. Any thread. */
uint64_t lull__pump_total_frames(const lull_pump *p);
/* LV2 plugins the engine stopped for a fault (lull_engine_stats.plugin_faults). */
uint32_t lull__pump_plugin_faults(const lull_pump *p);
/* A plugin fault not yet told (lull_engine_take_fault). After a block. */
int lull__pump_take_fault(lull_pump *p, char *line, size_t cap);

/* The next block, in the pump's buffer: *pcm (interleaved stereo float,
 * the caller may change it in place until the next call) and *frames
 * (0 when everything has been produced; else 1..block_frames). The block
 * is always rendered; an event the engine refused (LULL_EFULL), a timeline
 * change the composer refused or the tap's error is returned after it,
 * with diag (may be NULL) saying what. With no tap: no allocation, lock or
 * I/O (a station's producer thread). */
__attribute__((warn_unused_result))
int lull__pump_next(lull_pump *p, float **pcm, size_t *frames, lull_diag *diag);

/* New params for the composer, from the next block on (see
 * lull__composer_set_params). LULL_ESTATE when playing a phrase. The
 * pump's thread. */
__attribute__((warn_unused_result))
int lull__pump_set_params(lull_pump *p, const lull_params *params, lull_diag *diag);

/* The day cycle's light 0..1 (< 0: none); see lull__composer_set_daylight.
 * Nothing for a phrase. The pump's thread. */
void lull__pump_set_daylight(lull_pump *p, float light);

/* The composer's view (chord, params, bar); zeroes for a phrase. The
 * pump's thread. */
struct lull_composer_status;
void lull__pump_status(const lull_pump *p, struct lull_composer_status *out);

/* ---- station internals for readers (station.c) ---------------------------- */

/* The rings listeners read: 20 ms Opus packets, Ogg pages, 20 ms of PCM
 * (int16 interleaved stereo, little-endian), and MP3 chunks (whole frames;
 * written only while lull__station_mp3_listeners says someone listens). */
lull_ring *lull__station_packets(lull_station *st);
lull_ring *lull__station_pages(lull_station *st);
lull_ring *lull__station_pcm(lull_station *st);
lull_ring *lull__station_mp3(lull_station *st);
/* The station's recent packets; NULL when it keeps none (recent_minutes 0). */
lull_recent *lull__station_recent(lull_station *st);
/* The Opus bit rate of its streams (bit/s); MP3's is LULL_MP3_BITRATE. Any thread. */
uint32_t lull__station_bitrate(const lull_station *st);
/* MP3 listeners come (+1) and go (-1); encoding runs while any are there. */
void lull__station_mp3_listeners(lull_station *st, int delta);
/* The Ogg header pages (OpusHead, OpusTags) a new listener starts with; NULL
 * with *len 0 until the first frame has been encoded. Any thread. */
const unsigned char *lull__station_ogg_header(const lull_station *st, uint32_t *len);
/* How many times the day cycle handed the pump its light (once at create,
 * then once a minute of frames; never with the cycle off). Any thread. */
uint32_t lull__station_day_updates(const lull_station *st);
/* How long its frames took, as histograms: each whole frame (commands,
 * render, encode, publication) and the Opus/Ogg encode in it. Any thread. */
void lull__station_timings(const lull_station *st, lull_hist_snapshot *frame, lull_hist_snapshot *encode);
/* Tests: the next frame's audio is spoiled (NaN), as a fault would. */
void lull__station_inject_fault(lull_station *st);
/* The composer's view (chord, params, bar) as of the last frame. Producer
 * thread, or any thread while the station is not started. */
struct lull_composer_status;
void lull__station_composer_status(const lull_station *st, struct lull_composer_status *out);

/* ---- station text (station_text.c) ---------------------------------------- */

/* The UTF-8 sequence s starts with: its length (1..4) with its code point
 * in *cp, or 0 when it is not one RFC 3629 allows (overlong, a surrogate,
 * above U+10FFFF, cut off by the NUL). Also the server's JSON escaping. */
size_t lull__utf8_decode(const unsigned char *s, uint32_t *cp);

#endif
