/* A small standard MIDI file reader for tests and bench programs: notes
 * with their times in seconds through the file's own tempo map, and in
 * ticks; program changes; each track's name. */
#ifndef LULL_TEST_MIDI_READ_H
#define LULL_TEST_MIDI_READ_H

#include <stddef.h>
#include <stdint.h>

typedef struct midi_note {
  int track, channel, note, velocity;
  double on_s, off_s;
  uint64_t on_tick, off_tick; /* off_tick = on_tick when the note never ends */
} midi_note;

typedef struct midi_program {
  int track, channel, program; /* program 0-based, as on the wire */
  uint64_t tick;
  double at_s;
} midi_program;

typedef struct midi_file {
  int format, tracks, ppq;
  midi_note *notes;
  size_t count;
  size_t tempos;    /* tempo changes seen */
  uint32_t tempo_first_us, tempo_last_us; /* per quarter note; 500000 (120 bpm) if none */
  uint32_t tempo_min_us, tempo_max_us;    /* over the whole map, likewise */
  char **track_names; /* tracks entries: a track's first name (meta 0x03), "" if none */
  uint64_t end_tick;  /* the latest end of track */
  midi_program *programs; /* program changes, in order of time (ties by track) */
  size_t n_programs;
} midi_file;

/* 0 on success; -1 with a message in err (at most 128 bytes) otherwise. */
int midi_read(const char *path, midi_file *out, char *err);
void midi_free(midi_file *m);

#endif
