/* midi.c: what the composer hands out, written as MIDI and read back by an
 * independent reader, has the same notes at the same times (within a
 * millisecond), through a tempo change. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/io.h"
#include "support/compose_util.h"
#include "support/harness.h"
#include "support/midi_read.h"

static void test_roundtrip_through_a_tempo_change(void **state) {
  (void)state;
  lull_composer *c = make_composer(9, LULL_MODE_AEOLIAN, 64, 0.9f, 12);
  event_list l = {0};
  compose_until(c, 0, 60 * 48000, &l);
  lull_params p = {9, LULL_MODE_AEOLIAN, 100, 0.9f, 12};
  ASSERT_EQ_INT(lull__composer_set_params(c, &p, NULL), LULL_OK);
  compose_until(c, 60 * 48000, 120 * 48000, &l);
  char path[] = "/tmp/lull-test-midi-XXXXXX";
  int fd = mkstemp(path);
  close(fd);
  lull_diag d;
  ASSERT_EQ_INT(lull__midi_write(path, l.ev, l.n, 48000, &d), LULL_OK);
  midi_file m;
  char err[128];
  if (midi_read(path, &m, err)) fail_msg("midi_read: %s", err);
  unlink(path);
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
          /* Monophonic lead: a note ends at the next lead note at the latest. */
          uint64_t end = e->frame + e->duration_frames;
          for (size_t j = i + 1; j < l.n && l.ev[j].frame < end; j++)
            if (l.ev[j].part == e->part && l.ev[j].kind == LULL_EVENT_ON &&
                (e->part == LULL_PART_LEAD || l.ev[j].pitch == e->pitch)) {
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

static void test_unwritable(void **state) {
  (void)state;
  lull_event e = {0, 4800, LULL_PART_LEAD, LULL_EVENT_ON, 60, 0, 0.5f};
  lull_diag d;
  ASSERT_EQ_INT(lull__midi_write("/nonexistent-dir/x.mid", &e, 1, 48000, &d), LULL_EIO);
  ASSERT_STR_CONTAINS(d.message, "/nonexistent-dir/x.mid");
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_roundtrip_through_a_tempo_change),
                                     cmocka_unit_test(test_unwritable)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
