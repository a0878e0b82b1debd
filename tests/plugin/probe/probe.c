/* lull's own test instrument (not for music): a note-on asks the host's
 * worker for work, the work answers with the note's pitch (after 20 ms, as
 * slow work would), and from that answer on the output is the constant
 * pitch / 127, until a note off (it ignores CC 123, all notes off). With
 * explode=1 a note above 88 makes it NaN, with explode=2 any note; gain scales the output (a preset,
 * "Half, quiet", sets it to 0.5); cutoff is in fractions of the sample rate
 * (lv2:sampleRate) and does nothing. It shows whether work ran inside run
 * or in a thread, when its answer came, and what a preset set. */
#define _POSIX_C_SOURCE 200809L /* nanosleep */
#include <lv2/atom/atom.h>
#include <lv2/atom/util.h>
#include <lv2/core/lv2.h>
#include <lv2/midi/midi.h>
#include <lv2/urid/urid.h>
#include <lv2/worker/worker.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PROBE_URI "urn:lull:test:probe"

typedef struct probe {
  const LV2_Atom_Sequence *midi;
  float *out;
  const float *explode, *gain;
  LV2_URID midi_event;
  LV2_Worker_Schedule *schedule;
  float level;
} probe;

static LV2_Handle instantiate(const LV2_Descriptor *d, double rate, const char *path, const LV2_Feature *const *features) {
  (void)d, (void)rate, (void)path;
  LV2_URID_Map *map = NULL;
  LV2_Worker_Schedule *schedule = NULL;
  for (int i = 0; features[i]; i++) {
    if (!strcmp(features[i]->URI, LV2_URID__map)) map = features[i]->data;
    if (!strcmp(features[i]->URI, LV2_WORKER__schedule)) schedule = features[i]->data;
  }
  if (!map || !schedule) return NULL;
  probe *p = calloc(1, sizeof *p);
  if (!p) return NULL;
  p->midi_event = map->map(map->handle, LV2_MIDI__MidiEvent);
  p->schedule = schedule;
  return p;
}

static void connect_port(LV2_Handle h, uint32_t port, void *data) {
  probe *p = h;
  if (port == 0) p->midi = data;
  else if (port == 1) p->out = data;
  else if (port == 2) p->explode = data;
  else if (port == 3) p->gain = data;
}

static void activate(LV2_Handle h) { ((probe *)h)->level = 0; }

static void run(LV2_Handle h, uint32_t frames) {
  probe *p = h;
  LV2_ATOM_SEQUENCE_FOREACH(p->midi, ev) {
    const uint8_t *msg = (const uint8_t *)(ev + 1);
    if (ev->body.type != p->midi_event || ev->body.size < 3) continue;
    if ((msg[0] & 0xF0) == 0x90 && msg[2] > 0) p->schedule->schedule_work(p->schedule->handle, 1, &msg[1]);
    if ((msg[0] & 0xF0) == 0x80) p->level = 0; /* any note off silences it; CC 123 does not */
  }
  float bad = *p->explode > 1.5f ? 0.0f : 88.5f / 127; /* a level above this is NaN */
  float v = *p->explode > 0.5f && p->level > bad ? NAN : *p->gain * p->level;
  for (uint32_t i = 0; i < frames; i++) p->out[i] = v;
}

static LV2_Worker_Status work(LV2_Handle h, LV2_Worker_Respond_Function respond, LV2_Worker_Respond_Handle rh,
                              uint32_t size, const void *data) {
  (void)h;
  const struct timespec slow = {0, 20 * 1000 * 1000};
  nanosleep(&slow, NULL);
  return respond(rh, size, data);
}

static LV2_Worker_Status work_response(LV2_Handle h, uint32_t size, const void *data) {
  if (size == 1) ((probe *)h)->level = (float)*(const uint8_t *)data / 127.0f;
  return LV2_WORKER_SUCCESS;
}

static const void *extension_data(const char *uri) {
  static const LV2_Worker_Interface worker = {work, work_response, NULL};
  return strcmp(uri, LV2_WORKER__interface) == 0 ? &worker : NULL;
}

static void cleanup(LV2_Handle h) { free(h); }

static const LV2_Descriptor descriptor = {PROBE_URI, instantiate, connect_port, activate, run, NULL, cleanup, extension_data};

LV2_SYMBOL_EXPORT const LV2_Descriptor *lv2_descriptor(uint32_t index) { return index == 0 ? &descriptor : NULL; }
