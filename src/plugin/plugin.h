/* plugin: the LV2 host (lilv). A host holds the world of installed plugins
 * and the URID map; an instance is one plugin opened from a spec
 * "URI[,preset=P][,SYMBOL=VALUE...]", its ports connected to buffers
 * allocated here, activated. Everything but lull__plugin_process is outside
 * the render path. Reached only by the engine's master slots and the CLI's
 * listing (DESIGN.md). */
#ifndef LULL_PLUGIN_H
#define LULL_PLUGIN_H

#include <stdint.h>
#include <stdio.h>

#include "lull/err.h"

typedef struct lull_plugin_host lull_plugin_host;
typedef struct lull_plugin lull_plugin;

/* Loads every bundle on LV2_PATH (or the system's). LULL_ENOMEM or LULL_OK. */
int lull__plugin_host_create(lull_plugin_host **out, lull_diag *diag);
void lull__plugin_host_destroy(lull_plugin_host *host);

/* The installed effects and instruments lull can host, then those it cannot
 * with the missing feature named; uri non-NULL: just that one, with ports.
 * LULL_EUNKNOWN (diag) for a URI not installed. */
int lull__plugin_list(lull_plugin_host *host, const char *uri, FILE *out, lull_diag *diag);

/* Open an effect for the master bus: 1 or 2 audio inputs and outputs.
 * field names the flag in errors ("--fx"). Every error is a diag naming the
 * URI, preset, symbol or value, and what is allowed. The instance runs
 * worker requests at once, inside run (deterministic; offline renders). */
int lull__plugin_open_fx(lull_plugin_host *host, const char *spec, const char *field, float sample_rate_hz,
                         uint32_t max_block, lull_plugin **out, lull_diag *diag);
/* Open an instrument: MIDI in (an atom port taking MIDI events), 1 or 2
 * audio outputs (any audio inputs hear silence). Errors as above. */
int lull__plugin_open_instrument(lull_plugin_host *host, const char *spec, const char *field, float sample_rate_hz,
                                 uint32_t max_block, lull_plugin **out, lull_diag *diag);
void lull__plugin_close(lull_plugin *p);

/* Render-safe: a three-byte MIDI message at frame offset of the next run
 * (offsets must not decrease). 0 if the sequence is full (then dropped). */
int lull__plugin_midi(lull_plugin *p, uint32_t offset, uint8_t status, uint8_t data1, uint8_t data2);
/* Render-safe: run the instrument for frames <= max_block into left and
 * right (a mono output into both). Faults (as below) mute it for good,
 * fading from its last good samples over 5 ms. */
void lull__plugin_render(lull_plugin *p, float *left, float *right, uint32_t frames);

/* Render-safe: the effect in place on frames <= max_block. A plugin whose
 * output turns NaN or infinite or passes +24 dBFS is bypassed from then on
 * (its input passes through, crossfaded from its last good output over
 * 5 ms) and counted. */
void lull__plugin_process(lull_plugin *p, float *left, float *right, uint32_t frames);

/* From now on the plugin's work (LV2 worker) runs in a thread of its own,
 * its answers delivered at the end of a later run, instead of inside run
 * (live rendering: run never waits on work). Not render-safe; LULL_OK also
 * for a plugin without a worker (nothing to do), else LULL_ENOMEM. */
int lull__plugin_start_worker(lull_plugin *p);
/* Wake the worker thread if run left it work. Not render-safe (a syscall):
 * call after the render, from the thread that renders. */
void lull__plugin_service(lull_plugin *p);

/* Its latency in frames (its latency port, read after a run; 0 if none). */
uint32_t lull__plugin_latency(const lull_plugin *p);
/* 1 once bypassed for a fault. */
int lull__plugin_faulted(const lull_plugin *p);
/* The fault, once: 1 and what happened into why ("its output turned NaN at
 * 12.345 s", the time counted from activation) at the first call after it,
 * 0 otherwise. Not render-safe; from the rendering thread, after a render. */
int lull__plugin_take_fault(lull_plugin *p, char *why, size_t cap);
const char *lull__plugin_uri(const lull_plugin *p);

#endif
