/* The synthesis engine: events in, 48 kHz stereo float32 out.
 * Everything is allocated by lull_engine_create; lull_engine_render never
 * allocates, locks, logs or makes a syscall. One engine is driven by one
 * thread at a time (the caller of schedule and render). */
#ifndef LULL_ENGINE_H
#define LULL_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "lull/err.h"
#include "lull/event.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LULL_SAMPLE_RATE_HZ 48000u
#define LULL_CHANNELS 2u

typedef struct lull_engine lull_engine;

/* A config of all zeroes means the defaults named beside each field. */
typedef struct lull_engine_config {
  uint32_t sample_rate_hz;  /* 0 = 48000; 22050..192000 */
  uint32_t event_capacity;  /* pending events; 0 = 4096 */
  float bpm;                /* the tempo; 0 = 70; 30..180 (validated and kept; no effect is tied to it) */
  uint64_t seed;            /* noise seed; 0 is a valid seed */
  int dry;                  /* nonzero: reverb and delay off */
  float reverb_decay_s;     /* RT60; 0 = 6; 2..10 */
  float master_gain_db;     /* before soft clip; 0 = 0 dB; -24..24 */
  /* LV2 effects on the master bus, in order, after reverb, delay and tape,
   * before the soft clip and limiter: each "URI[,preset=P][,SYMBOL=VALUE...]"
   * (lull plugins lists them). Opened at create; a bad one fails create
   * (diag names it). Their worker requests run inside their run (offline
   * renders are the same every time). */
  const char *const *fx;
  uint32_t fx_count;        /* 0..8 */
  /* LV2 instruments in place of parts' own voices (NULL: the built-in one),
   * each "URI[,preset=P][,SYMBOL=VALUE...]": the part's events reach it as
   * MIDI at their exact frame (note on and off, velocity; a HIT is a note
   * of the part's default length), mixed at the part's level and sends.
   * Qt-based plugins (padthv1, synthv1) abort without a display unless the
   * environment has QT_QPA_PLATFORM=offscreen: lull does not set it (setenv
   * is unsafe once threads run); the lull program sets it at its start, an
   * embedder sets it before starting threads. */
  const char *instrument[LULL_PART_COUNT];
  /* Nonzero: work a plugin asks for (the LV2 worker) runs in a thread of
   * its own, woken by lull_engine_service, so render never waits on it
   * (live); 0: inside the plugin's run, so renders repeat (offline). */
  int plugin_threads;
  /* Nonzero: count the CPU's time-stamp ticks each stage of the render
   * takes (lull_engine_stats.stage_ticks; an instruction, no syscall; x86
   * only, zeros elsewhere). For lull bench --stages. */
  int profile;
} lull_engine_config;

/* The render's stages, in order (lull_engine_config.profile). */
enum {
  LULL_STAGE_CONTROL = 0, /* control points (LFOs, glides) and events applied */
  LULL_STAGE_VOICES,      /* every voice into the buses (plugin instruments too) */
  LULL_STAGE_CHORUS,      /* the ensemble chorus (strings palettes) */
  LULL_STAGE_DELAY,
  LULL_STAGE_REVERB,
  LULL_STAGE_TAPE,        /* the tape stage (its dry path when off: a delay line) */
  LULL_STAGE_FX,          /* LV2 effects */
  LULL_STAGE_MASTER,      /* DC blocker, soft clip */
  LULL_STAGE_LIMITER,     /* the lookahead limiter, and interleaving the output */
  LULL_STAGE_COUNT
};
/* "control", "voices", ...; NULL out of range. Thread-safe. */
const char *lull_stage_name(int stage);

/* What the engine has counted since create. */
typedef struct lull_engine_stats {
  uint64_t frames_rendered;
  uint64_t events_applied;
  uint64_t events_late;    /* applied after their frame (scheduled too late) */
  uint64_t voices_stolen;
  uint32_t voices_active;  /* sounding right now, all parts */
  float brightness;        /* the glided LULL_CONTROL_BRIGHTNESS now */
  float limiter_gain_min;  /* lowest limiter gain seen (1 = never limited) */
  uint32_t plugin_faults;  /* LV2 plugins stopped for NaN, infinity or output past +24 dBFS
                              (an effect is bypassed, an instrument muted) */
  uint64_t stage_ticks[LULL_STAGE_COUNT]; /* time-stamp ticks per stage (config.profile) */
} lull_engine_stats;

/* Create an engine. Returns LULL_OK, LULL_EINVAL/LULL_ERANGE for a bad
 * config (diag, if not NULL, names the field), or LULL_ENOMEM. Not render-safe. */
__attribute__((warn_unused_result))
int lull_engine_create(const lull_engine_config *config, lull_engine **out, struct lull_diag *diag);

/* Free the engine; NULL is fine. Not render-safe. */
void lull_engine_destroy(lull_engine *engine);

/* Queue an event for its frame. Events at a frame already rendered are
 * applied at the start of the next render (and counted late). Returns
 * LULL_OK, LULL_EINVAL for a malformed event, or LULL_EFULL. Render thread. */
__attribute__((warn_unused_result))
int lull_engine_schedule(lull_engine *engine, const lull_event *event);

/* After a render, from the rendering thread: wake the plugins' worker
 * threads if the render left them work (lull_engine_config.plugin_threads).
 * Not render-safe (it may make a syscall); cheap when there is nothing. */
void lull_engine_service(lull_engine *engine);

/* After a render, from the rendering thread: an LV2 plugin's fault not yet
 * told, as one line into line (cap bytes): which plugin, what its output
 * did and when, and what lull did ("the LV2 instrument on lead
 * (urn:...): its output turned NaN at 0.100 s; muted"). 1 if there was one
 * (call again for the next), 0 if none. Each fault is told once, so a log
 * says it once however long the music plays on. */
int lull_engine_take_fault(lull_engine *engine, char *line, size_t cap);

/* Render frames of interleaved stereo float32 into out; advances the clock.
 * Render-safe: no allocation, lock, I/O or syscall. */
void lull_engine_render(lull_engine *engine, float *out, size_t frames);

/* Absolute frame of the next sample render will produce. Render thread. */
uint64_t lull_engine_position(const lull_engine *engine);

/* The tempo, 30..180; LULL_ERANGE otherwise. Validated and kept, but no
 * sound depends on it: the delay's times are fixed in seconds (0.83 s and
 * 1.29 s), so its echoes never line up with the bar. Render thread. */
__attribute__((warn_unused_result))
int lull_engine_set_bpm(lull_engine *engine, float bpm);

/* Release every sounding note (their releases still ring). Render thread. */
void lull_engine_release_all(lull_engine *engine);

/* Frames between an event's frame and its sound at the output: the
 * limiter's lookahead and the tape stage's delay, constant for the
 * engine's life, plus the LV2 effects' latency as last reported (see
 * below; it may change after a render). */
uint32_t lull_engine_latency_frames(const lull_engine *engine);

/* LV2 plugins' latency in frames, as their latency ports last reported
 * it (0 for a plugin without one): part -1, the master effects' sum (also
 * in lull_engine_latency_frames); else the instrument on that part (not
 * compensated: its notes sound that much late; 0 for a built-in voice).
 * After a render, from the rendering thread. */
uint32_t lull_engine_plugin_latency_frames(const lull_engine *engine, int part);

/* Copy the counters. Render thread. */
void lull_engine_get_stats(const lull_engine *engine, lull_engine_stats *stats);

#ifdef __cplusplus
}
#endif
#endif
