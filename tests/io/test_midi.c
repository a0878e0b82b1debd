/* midi.c: what the composer hands out, written as MIDI and read back by an
 * independent reader, has the same notes at the same times (within a
 * millisecond), through a tempo change; a palette change is a program
 * change on each melodic part's channel. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/io.h"
#include "support/compose_util.h"
#include "support/harness.h"
#include "support/midi_read.h"

/* The events written as a MIDI file and read back: into m, and its bytes
 * into data (up to cap; how many returned). The file is removed. */
static size_t write_and_read(const lull_event *ev, size_t n, midi_file *m, unsigned char *data, size_t cap) {
  char path[] = "/tmp/lull-test-midi-XXXXXX";
  int fd = mkstemp(path);
  close(fd);
  lull_diag d;
  ASSERT_EQ_INT(lull__midi_write(path, ev, n, 48000, &d), LULL_OK);
  char err[128];
  if (midi_read(path, m, err)) fail_msg("midi_read: %s", err);
  FILE *f = fopen(path, "rb");
  size_t len = fread(data, 1, cap, f);
  fclose(f);
  unlink(path);
  return len;
}

static void test_roundtrip_through_a_tempo_change(void **state) {
  (void)state;
  lull_composer *c = make_composer(9, LULL_MODE_AEOLIAN, 64, 0.9f, 12);
  event_list l = {0};
  compose_until(c, 0, 60 * 48000, &l);
  lull_params p = {9, LULL_MODE_AEOLIAN, 100, 0.9f, 12, 0};
  ASSERT_EQ_INT(lull__composer_set_params(c, &p, NULL), LULL_OK);
  compose_until(c, 60 * 48000, 120 * 48000, &l);
  midi_file m;
  unsigned char head[14];
  ASSERT_EQ_INT(write_and_read(l.ev, l.n, &m, head, sizeof head), sizeof head);
  ASSERT_EQ_INT(m.format, 1);
  ASSERT_EQ_INT(m.tracks, 1 + LULL_PART_COUNT);
  ASSERT_EQ_INT(m.ppq, LULL_MIDI_PPQ);
  ASSERT_GE(m.tempos, 3); /* 64, the ramp, 100 */
  /* Every note event is in the file, in order of time per track. */
  size_t expected = 0;
  for (size_t i = 0; i < l.n; i++) expected += l.ev[i].kind == LULL_EVENT_ON || l.ev[i].kind == LULL_EVENT_HIT;
  ASSERT_EQ_INT(m.count, expected);
  size_t found = 0;
  for (size_t i = 0; i < l.n; i++) {
    const lull_event *e = &l.ev[i];
    if (e->kind != LULL_EVENT_ON && e->kind != LULL_EVENT_HIT) continue;
    int note = e->part == LULL_PART_KICK ? 36 : e->part == LULL_PART_HAT ? 42 : e->pitch;
    double t = (double)e->frame / 48000.0;
    for (size_t k = 0; k < m.count; k++)
      if (m.notes[k].track == 1 + e->part && m.notes[k].note == note && fabs(m.notes[k].on_s - t) < 1e-3) {
        found++;
        ASSERT_NEAR(m.notes[k].velocity, lroundf(e->velocity * 127), 1);
        if (e->duration_frames) {
          /* A note ends where its part strikes its pitch again, at the latest. */
          uint64_t end = e->frame + e->duration_frames;
          for (size_t j = i + 1; j < l.n && l.ev[j].frame < end; j++)
            if (l.ev[j].part == e->part && l.ev[j].kind == LULL_EVENT_ON && l.ev[j].pitch == e->pitch) {
              end = l.ev[j].frame;
              break;
            }
          ASSERT_NEAR(m.notes[k].off_s - m.notes[k].on_s, (double)(end - e->frame) / 48000, 2e-3);
        }
        ASSERT_GE(m.notes[k].off_s, m.notes[k].on_s); /* every note ends */
        break;
      }
  }
  ASSERT_EQ_INT(found, expected);
  midi_free(&m);
  free(l.ev);
  lull__composer_destroy(c);
}

/* Whether the n bytes of what occur in the file's bytes. */
static int has_bytes(const unsigned char *data, size_t len, const void *what, size_t n) {
  for (size_t i = 0; i + n <= len; i++)
    if (memcmp(data + i, what, n) == 0) return 1;
  return 0;
}

/* One note of every part: each on its own track (named after the part)
 * and channel, melodic parts with their GM program; the lead keeps
 * overlapping notes of different pitches whole (it is polyphonic), and a
 * pitch struck again ends the note before it. */
static void test_every_part_has_a_track(void **state) {
  (void)state;
  static const int channel[LULL_PART_COUNT] = {0, 1, 9, 2, 9, 3, 4, 5};
  static const int program[LULL_PART_COUNT] = {89, 4, -1, 94, -1, 38, 91, 14};
  lull_event ev[LULL_PART_COUNT + 2];
  for (int p = 0; p < LULL_PART_COUNT; p++)
    ev[p] = (lull_event){(uint64_t)p * 4800, 48000, (uint8_t)p, LULL_EVENT_ON, (uint8_t)(40 + 5 * p), 0, 0.5f};
  ev[LULL_PART_KICK].kind = ev[LULL_PART_HAT].kind = ev[LULL_PART_SWELL].kind = LULL_EVENT_HIT;
  ev[LULL_PART_COUNT] = (lull_event){9600, 48000, LULL_PART_LEAD, LULL_EVENT_ON, 80, 0, 0.5f};     /* over the first */
  ev[LULL_PART_COUNT + 1] = (lull_event){38400, 9600, LULL_PART_LEAD, LULL_EVENT_ON, 45, 0, 0.5f}; /* its pitch again */
  midi_file m;
  unsigned char data[4096];
  size_t len = write_and_read(ev, LULL_PART_COUNT + 2, &m, data, sizeof data);
  ASSERT_EQ_INT(m.tracks, 1 + LULL_PART_COUNT);
  ASSERT_EQ_INT(m.count, LULL_PART_COUNT + 2);
  for (int p = 0; p < LULL_PART_COUNT; p++) {
    const char *name = lull_part_name(p);
    unsigned char meta[16] = {0xff, 0x03, (unsigned char)strlen(name)};
    memcpy(meta + 3, name, strlen(name));
    ASSERT_TRUE(has_bytes(data, len, meta, 3 + strlen(name)));
    if (program[p] >= 0) {
      unsigned char pc[2] = {(unsigned char)(0xc0 | channel[p]), (unsigned char)program[p]};
      ASSERT_TRUE(has_bytes(data, len, pc, 2));
    }
    int seen = 0;
    for (size_t k = 0; k < m.count; k++)
      if (m.notes[k].track == 1 + p) {
        seen++;
        ASSERT_EQ_INT(m.notes[k].channel, channel[p]);
      }
    ASSERT_EQ_INT(seen, p == LULL_PART_LEAD ? 3 : 1);
  }
  for (size_t k = 0; k < m.count; k++) {
    if (m.notes[k].track != 1 + LULL_PART_LEAD) continue;
    /* 80 whole (1 s); the first 45 (from 0.1 s) cut at 0.8 s, where 45 comes again for 0.2 s. */
    double want = m.notes[k].note == 80 ? 1.0 : m.notes[k].on_s < 0.5 ? 0.7 : 0.2;
    ASSERT_NEAR(m.notes[k].off_s - m.notes[k].on_s, want, 2e-3);
  }
  midi_free(&m);
}

/* Palettes: each melodic part starts with the program of the palette named
 * at frame 0 and changes program at each palette change, on its own
 * channel, at the change's tick, before the notes there; the drums
 * (channel 10) never get one. Without a palette event: classic's. */
static void test_palette_program_changes(void **state) {
  (void)state;
  static const int channel[LULL_PART_COUNT] = {0, 1, 9, 2, 9, 3, 4, 5};
  /* GM, 0-based: glass = Pad 1 (new age), Orchestral Harp, -, Pad 7 (halo), -, Acoustic Bass, FX 1 (rain),
   * FX 3 (crystal); night = Pad 8 (sweep), FX 7 (echoes), -, FX 4 (atmosphere), -, Synth Bass 1, Seashore,
   * FX 3 (crystal) */
  static const int glass[LULL_PART_COUNT] = {88, 46, -1, 94, -1, 32, 96, 98};
  static const int night[LULL_PART_COUNT] = {95, 102, -1, 99, -1, 38, 122, 98};
  lull_event ev[] = {
      {0, 0, LULL_CONTROL_PALETTE, LULL_EVENT_SET, 0, 0, (float)LULL_PALETTE_GLASS},
      {0, 48000, LULL_PART_LEAD, LULL_EVENT_ON, 60, 0, 0.5f},
      {0, 0, LULL_PART_KICK, LULL_EVENT_HIT, 36, 0, 0.5f},
      {96000, 0, LULL_CONTROL_PALETTE, LULL_EVENT_SET, 0, 0, (float)LULL_PALETTE_NIGHT},
      {96000, 48000, LULL_PART_LEAD, LULL_EVENT_ON, 64, 0, 0.5f},
  };
  midi_file m;
  unsigned char data[4096];
  size_t len = write_and_read(ev, sizeof ev / sizeof *ev, &m, data, sizeof data);
  ASSERT_EQ_INT(m.n_programs, 2 * 6); /* six melodic parts, twice */
  const uint64_t change_tick = 2 * 2 * LULL_MIDI_PPQ; /* 2 s at 120 bpm (no tempo given) */
  for (int p = 0; p < LULL_PART_COUNT; p++) {
    int seen = 0;
    for (size_t k = 0; k < m.n_programs; k++) {
      const midi_program *pc = &m.programs[k];
      if (pc->channel != channel[p] || glass[p] < 0) continue;
      ASSERT_EQ_INT(pc->track, 1 + p);
      ASSERT_EQ_INT(pc->program, seen == 0 ? glass[p] : night[p]);
      ASSERT_EQ_INT(pc->tick, seen == 0 ? 0 : change_tick);
      seen++;
    }
    ASSERT_EQ_INT(seen, glass[p] < 0 ? 0 : 2);
  }
  for (size_t k = 0; k < m.n_programs; k++) ASSERT_TRUE(m.programs[k].channel != 9);
  /* On the lead's track at the change: the program, then (delta 0) the note. */
  unsigned char then_note[5] = {0xc1, 102, 0x00, 0x91, 64};
  ASSERT_TRUE(has_bytes(data, len, then_note, sizeof then_note));
  midi_free(&m);

  /* No palette named: classic's programs at the start, and no others. */
  write_and_read(ev + 1, 1, &m, data, sizeof data);
  ASSERT_EQ_INT(m.n_programs, 6);
  for (size_t k = 0; k < m.n_programs; k++) ASSERT_EQ_INT(m.programs[k].tick, 0);
  for (size_t k = 0; k < m.n_programs; k++)
    if (m.programs[k].channel == 1) ASSERT_EQ_INT(m.programs[k].program, 4); /* Electric Piano 1 */
  midi_free(&m);
}

static void test_unwritable(void **state) {
  (void)state;
  lull_event e = {0, 4800, LULL_PART_LEAD, LULL_EVENT_ON, 60, 0, 0.5f};
  lull_diag d;
  ASSERT_EQ_INT(lull__midi_write("/nonexistent-dir/x.mid", &e, 1, 48000, &d), LULL_EIO);
  ASSERT_STR_CONTAINS(d.message, "/nonexistent-dir/x.mid");
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_roundtrip_through_a_tempo_change),
                                     cmocka_unit_test(test_every_part_has_a_track),
                                     cmocka_unit_test(test_palette_program_changes),
                                     cmocka_unit_test(test_unwritable)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
