/* The pump: events from a composer (with a timeline of param changes) or
 * from a phrase played N times, into an engine, rendered block by block.
 * A station's producer and `lull render` both run this one loop, so a file
 * and a stream of the same params are the same music. Everything is
 * allocated at create; lull__pump_next allocates, locks and prints nothing
 * (only a tap the caller installs may). */
#include <stdlib.h>
#include <string.h>

#include "compose/compose.h"
#include "lull/engine.h"
#include "stream/stream.h"

#define MAX_BLOCK_FRAMES 65536u
#define RELEASE_TAIL_S 1.5 /* the voices' longest release */
#define REVERB_TAIL_S 6.0  /* the reverb's RT60 (the engine's default decay) */
#define BATCH 64           /* events asked of the composer at a time; any size gives the same events */

struct lull_pump {
  lull_engine *engine;
  lull_composer *composer;       /* NULL while playing a phrase */
  const lull_timeline *timeline; /* composer: may be NULL */
  const lull_phrase *phrase;     /* or this */
  lull_pump_tap tap;
  void *tap_user;
  uint64_t music_frames;         /* composed: the piece's end (UINT64_MAX: endless); phrase: loops * length */
  uint64_t total_frames;         /* music, tails and latency (UINT64_MAX: endless) */
  uint64_t loops;
  uint64_t pos;                  /* next frame to render */
  size_t next_change;            /* timeline: the first change not yet applied */
  uint64_t loop;                 /* phrase: the pass, and its next event */
  size_t next_event;
  uint32_t block_frames, event_capacity;
  float pcm[];                   /* block_frames frames, interleaved stereo */
};

int lull__pump_create(const lull_pump_config *config, lull_pump **out, lull_diag *diag) {
  if (!config || !out) return lull_diag_set(diag, LULL_EINVAL, config ? "out" : "config", "must not be NULL");
  *out = NULL;
  lull_pump_config c = *config;
  if (c.block_frames == 0) c.block_frames = LULL_FRAME_SAMPLES;
  if (c.block_frames > MAX_BLOCK_FRAMES)
    return lull_diag_set(diag, LULL_ERANGE, "block_frames", "must be 1..%u, got %u", MAX_BLOCK_FRAMES, c.block_frames);
  if (c.loops == 0) c.loops = 1;
  lull_pump *p = calloc(1, sizeof *p + sizeof(float) * 2 * c.block_frames);
  if (!p) return lull_diag_set(diag, LULL_ENOMEM, "", "out of memory");
  p->timeline = c.timeline;
  p->phrase = c.phrase;
  p->tap = c.tap;
  p->tap_user = c.tap_user;
  p->loops = c.loops;
  p->block_frames = c.block_frames;
  int err;
  if (!c.phrase && (err = lull__composer_create(&c.params, LULL_SAMPLE_RATE_HZ, &p->composer, diag))) goto fail;
  lull_engine_config ec = {.bpm = c.phrase ? (float)c.phrase->bpm : c.params.bpm, .seed = c.params.seed,
                           .dry = c.dry, .event_capacity = c.event_capacity, .fx = c.fx, .fx_count = c.fx_count};
  memcpy(ec.instrument, c.instrument, sizeof ec.instrument);
  ec.plugin_threads = c.plugin_threads;
  if ((err = lull_engine_create(&ec, &p->engine, diag))) goto fail;
  p->event_capacity = ec.event_capacity ? ec.event_capacity : 4096u; /* the engine's default */
  if (c.phrase) p->music_frames = c.phrase->length_frames * c.loops;
  else p->music_frames = c.music_frames ? c.music_frames : UINT64_MAX;
  if (p->music_frames == UINT64_MAX) {
    p->total_frames = UINT64_MAX;
  } else {
    double tail_s = RELEASE_TAIL_S + (c.dry && !c.fx_count ? 0.0 : REVERB_TAIL_S); /* an effect may be a room */
    p->total_frames = p->music_frames + (uint64_t)(tail_s * LULL_SAMPLE_RATE_HZ) + lull_engine_latency_frames(p->engine);
  }
  *out = p;
  return LULL_OK;
fail:
  lull__pump_destroy(p);
  return err;
}

void lull__pump_destroy(lull_pump *p) {
  if (!p) return;
  lull_engine_destroy(p->engine);
  lull__composer_destroy(p->composer);
  free(p);
}

uint64_t lull__pump_total_frames(const lull_pump *p) { return p->total_frames; }

uint32_t lull__pump_plugin_faults(const lull_pump *p) {
  lull_engine_stats s;
  lull_engine_get_stats(p->engine, &s);
  return s.plugin_faults;
}

int lull__pump_take_fault(lull_pump *p, char *line, size_t cap) { return lull_engine_take_fault(p->engine, line, cap); }

int lull__pump_set_params(lull_pump *p, const lull_params *params, lull_diag *diag) {
  if (!p->composer) return lull_diag_set(diag, LULL_ESTATE, "params", "a phrase plays as written");
  return lull__composer_set_params(p->composer, params, diag);
}

void lull__pump_set_daylight(lull_pump *p, float light) {
  if (p->composer) lull__composer_set_daylight(p->composer, light);
}

void lull__pump_status(const lull_pump *p, lull_composer_status *out) {
  if (p->composer) lull__composer_status(p->composer, out);
  else memset(out, 0, sizeof *out);
}

/* The first error of a block is the one reported, with its message in
 * diag; later ones leave diag alone (the caller's copy becomes NULL). */
static void keep_first(int *first, lull_diag **diag, int err) {
  if (err == LULL_OK || *first != LULL_OK) return;
  *first = err;
  *diag = NULL;
}

/* The composer's events for the block [pos, pos + *n), which ends early at
 * the next timeline change and at the piece's end. A change due at pos is
 * applied first; at the piece's end every note is released. */
static int compose(lull_pump *p, uint64_t pos, uint64_t *n, lull_diag *diag) {
  const lull_timeline *t = p->timeline;
  const uint64_t music = p->music_frames;
  int err = LULL_OK;
  if (t && p->next_change < t->count && t->changes[p->next_change].frame <= pos) {
    keep_first(&err, &diag, lull__composer_set_params(p->composer, &t->changes[p->next_change].params, diag));
    p->next_change++;
  }
  /* Two changes at one frame make an empty block between them: each
   * reaches the composer on its own, as it would live. */
  if (t && p->next_change < t->count && t->changes[p->next_change].frame < pos + *n)
    *n = t->changes[p->next_change].frame - pos;
  if (pos < music && music < pos + *n) *n = music - pos;
  if (pos == music) lull_engine_release_all(p->engine); /* the piece ends; the tails ring */
  uint64_t until = pos + *n < music ? pos + *n : music;
  lull_event batch[BATCH];
  size_t got;
  while (pos < music && (got = lull__composer_fill(p->composer, until, batch, BATCH)) > 0) {
    for (size_t k = 0; k < got; k++)
      if (lull_engine_schedule(p->engine, &batch[k]) != LULL_OK)
        keep_first(&err, &diag, lull_diag_set(diag, LULL_EFULL, "", "the engine's event queue is full"));
    if (p->tap) keep_first(&err, &diag, p->tap(p->tap_user, batch, got, diag));
  }
  return err;
}

/* Every phrase event that starts before frame end, pass after pass. */
static int play_phrase(lull_pump *p, uint64_t end, lull_diag *diag) {
  const lull_phrase *ph = p->phrase;
  int err = LULL_OK;
  while (p->loop < p->loops) {
    if (p->next_event == ph->count) {
      p->loop++;
      p->next_event = 0;
      continue;
    }
    lull_event ev = ph->events[p->next_event];
    ev.frame += p->loop * ph->length_frames;
    if (ev.frame >= end) break;
    if (lull_engine_schedule(p->engine, &ev) != LULL_OK)
      keep_first(&err, &diag, lull_diag_set(diag, LULL_EFULL, "", "more than %u events within %u frames; the phrase is too dense",
                                     p->event_capacity, p->block_frames));
    if (p->tap) keep_first(&err, &diag, p->tap(p->tap_user, &ev, 1, diag));
    p->next_event++;
  }
  return err;
}

int lull__pump_next(lull_pump *p, float **pcm, size_t *frames, lull_diag *diag) {
  *pcm = p->pcm;
  *frames = 0;
  int err = LULL_OK;
  uint64_t n = 0;
  while (n == 0 && p->pos < p->total_frames) {
    uint64_t pos = p->pos;
    n = p->total_frames - pos < p->block_frames ? p->total_frames - pos : p->block_frames;
    if (p->composer) keep_first(&err, &diag, compose(p, pos, &n, diag));
    else keep_first(&err, &diag, play_phrase(p, pos + n, diag));
  }
  /* Rendered even after an error: a station's audio stays continuous. */
  lull_engine_render(p->engine, p->pcm, (size_t)n);
  lull_engine_service(p->engine); /* plugins' worker threads, after the render */
  p->pos += n;
  *frames = (size_t)n;
  return err;
}
