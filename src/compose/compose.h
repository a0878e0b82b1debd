/* compose: the composer. From params and a seed it produces lull_events bar
 * by bar, deterministically: harmony (weighted progressions per mode,
 * phrases of unequal chords with cadences, a voice-led pad over a stepping
 * bass, excursions that come home), motifs developed into short phrases,
 * loops on free periods, humanised percussion, layers that fade over tens
 * of seconds, and a tempo that breathes. No audio types. Module interface
 * for stream/ and cli/. */
#ifndef LULL_COMPOSE_H
#define LULL_COMPOSE_H

#include <stddef.h>
#include <stdint.h>

#include "lull/err.h"
#include "lull/event.h"
#include "lull/params.h"

typedef struct lull_composer lull_composer;

typedef struct lull_composer_status {
  lull_params params;   /* in force at the last beat handed out */
  char chord[16];       /* "Am7", "Fmaj7", "Dsus2" */
  uint64_t bar;         /* bars since the start: the last one planned */
  uint64_t bar_frame;   /* where that bar starts */
  uint32_t section;     /* sections since the start */
  uint32_t section_phrase, section_phrases; /* where in the section */
  int key_now, mode_now;      /* where the music is: params.key/mode is home, a section may travel */
  uint64_t scale_since_frame; /* where the scale in force began */
  uint64_t lost;              /* events dropped because the plan was full: a fault, 0 */
} lull_composer_status;

/* Create a composer; the params are validated (diag names the field). */
__attribute__((warn_unused_result))
int lull__composer_create(const lull_params *params, uint32_t sample_rate_hz, lull_composer **out, lull_diag *diag);
void lull__composer_destroy(lull_composer *c);

/* Append to out (at most cap) the events that start before frame until, in
 * order; returns how many. Call again with the same or a later until for
 * the rest. The composer plans at most one bar past until. */
size_t lull__composer_fill(lull_composer *c, uint64_t until, lull_event *out, size_t cap);

/* New params. Key, mode and tempo change from the first beat not yet handed
 * out (the pad moves there to the new harmony; the tempo ramps over that
 * beat); intensity at once (its brightness glides in the engine) and in the
 * next bar's writing. The seed cannot change. */
__attribute__((warn_unused_result))
int lull__composer_set_params(lull_composer *c, const lull_params *params, lull_diag *diag);

void lull__composer_status(const lull_composer *c, lull_composer_status *status);

/* The day cycle: light 0 (deep night) .. 1 (midday) from the local hour,
 * or < 0 for none (the default). Brightness, density and tempo drift with
 * it, slowly, from the next bar. */
void lull__composer_set_daylight(lull_composer *c, float light);

/* The events include LULL_EVENT_SET controls: LULL_CONTROL_BPM at frame 0
 * and wherever the tempo changes (so they are also the tempo map of what was
 * handed out), and LULL_CONTROL_BRIGHTNESS and LULL_CONTROL_GAIN_DB from
 * intensity and the form. */

#endif
