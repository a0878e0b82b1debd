/* midiinfo FILE: what the tests' own MIDI reader (midi_read.c) makes of a
 * file, one key=value per line, then one line per note ("note TRACK CHANNEL
 * PITCH VELOCITY ON_S OFF_S", in the reader's order) and per program
 * change ("program TRACK CHANNEL PROGRAM AT_S"), for the CLI test to
 * hold against an independent reader (tests/cli/midi_check.py, mido). */
#include <stdio.h>
#include <stdlib.h>

#include "support/midi_read.h"

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: midiinfo FILE\n");
    return 2;
  }
  midi_file m;
  char err[128];
  if (midi_read(argv[1], &m, err)) {
    fprintf(stderr, "midiinfo: %s: %s\n", argv[1], err);
    return 1;
  }
  printf("format=%d\ntracks=%d\nppq=%d\ntempos=%zu\ntempo_first_us=%u\ntempo_last_us=%u\nnotes=%zu\n", m.format,
         m.tracks, m.ppq, m.tempos, m.tempo_first_us, m.tempo_last_us, m.count);
  for (size_t i = 0; i < m.count; i++) {
    const midi_note *n = &m.notes[i];
    printf("note %d %d %d %d %.9f %.9f\n", n->track, n->channel, n->note, n->velocity, n->on_s, n->off_s);
  }
  for (size_t i = 0; i < m.n_programs; i++) {
    const midi_program *p = &m.programs[i];
    printf("program %d %d %d %.9f\n", p->track, p->channel, p->program, p->at_s);
  }
  midi_free(&m);
  return 0;
}
