/* Standard MIDI file reader for the tests and bench programs (formats 0
 * and 1, running status, meta and sysex skipped but for tempo and track
 * names). */
#include "support/midi_read.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct raw {
  uint64_t tick;
  int track, status, a, b;
} raw;

static uint32_t be(const unsigned char *p, int n) {
  uint32_t v = 0;
  for (int i = 0; i < n; i++) v = v << 8 | p[i];
  return v;
}

static int vlq(const unsigned char **p, const unsigned char *end, uint32_t *out) {
  uint32_t v = 0;
  for (int i = 0; i < 4; i++) {
    if (*p >= end) return -1;
    unsigned char c = *(*p)++;
    v = v << 7 | (c & 0x7f);
    if (!(c & 0x80)) {
      *out = v;
      return 0;
    }
  }
  return -1;
}

static int by_tick(const void *x, const void *y) {
  const raw *a = x, *b = y;
  return a->tick < b->tick ? -1 : a->tick > b->tick;
}

int midi_read(const char *path, midi_file *m, char *err) {
  memset(m, 0, sizeof *m);
  FILE *f = fopen(path, "rb");
  if (!f) return snprintf(err, 128, "cannot open %s", path), -1;
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *data = malloc(size > 0 ? (size_t)size : 1);
  raw *ev = NULL;
  size_t n = 0, cap = 0;
  if (!data || fread(data, 1, (size_t)size, f) != (size_t)size) {
    fclose(f);
    snprintf(err, 128, "short read");
    goto fail;
  }
  fclose(f);
  const unsigned char *p = data, *end = data + size;
  if (size < 14 || memcmp(p, "MThd", 4) || be(p + 4, 4) != 6) {
    snprintf(err, 128, "not a standard MIDI file (no MThd header)");
    goto fail;
  }
  m->format = (int)be(p + 8, 2), m->tracks = (int)be(p + 10, 2), m->ppq = (int)be(p + 12, 2);
  p += 14;
  if (m->ppq <= 0 || m->ppq & 0x8000) {
    snprintf(err, 128, "time division %d: only ticks per quarter note are read", m->ppq);
    goto fail;
  }
  m->track_names = calloc((size_t)m->tracks + 1, sizeof *m->track_names);
  if (!m->track_names) {
    snprintf(err, 128, "out of memory");
    goto fail;
  }
  for (int t = 0; t < m->tracks; t++) {
    if (end - p < 8 || memcmp(p, "MTrk", 4)) {
      snprintf(err, 128, "track %d: no MTrk", t);
      goto fail;
    }
    uint32_t len = be(p + 4, 4);
    p += 8;
    if (len > (size_t)(end - p)) {
      snprintf(err, 128, "track %d overruns the file", t);
      goto fail;
    }
    const unsigned char *te = p + len;
    uint64_t tick = 0;
    int status = 0;
    while (p < te) {
      uint32_t delta;
      if (vlq(&p, te, &delta)) {
        snprintf(err, 128, "bad delta");
        goto fail;
      }
      tick += delta;
      int s = *p;
      if (s & 0x80) p++, status = s;
      else s = status;
      if (s == 0xff) {
        int type = *p++;
        uint32_t l = 0;
        if (vlq(&p, te, &l) || l > (size_t)(te - p)) {
          snprintf(err, 128, "bad meta length");
          goto fail;
        }
        if (type == 0x51 && l == 3) {
          if (n == cap) cap = cap * 2 + 256, ev = realloc(ev, cap * sizeof *ev);
          ev[n++] = (raw){tick, t, 0xff, (int)be(p, 3), 0};
        } else if (type == 0x03 && !m->track_names[t]) {
          if (!(m->track_names[t] = malloc(l + 1))) {
            snprintf(err, 128, "out of memory");
            goto fail;
          }
          memcpy(m->track_names[t], p, l);
          m->track_names[t][l] = 0;
        }
        p += l;
      } else if (s == 0xf0 || s == 0xf7) {
        uint32_t l = 0;
        if (vlq(&p, te, &l)) {
          snprintf(err, 128, "bad sysex length");
          goto fail;
        }
        p += l;
      } else {
        int hi = s & 0xf0, a = *p++, b = (hi == 0xc0 || hi == 0xd0) ? 0 : *p++;
        if (n == cap) cap = cap * 2 + 256, ev = realloc(ev, cap * sizeof *ev);
        ev[n++] = (raw){tick, t, s, a, b};
      }
    }
    if (tick > m->end_tick) m->end_tick = tick;
    if (!m->track_names[t] && !(m->track_names[t] = calloc(1, 1))) {
      snprintf(err, 128, "out of memory");
      goto fail;
    }
  }
  qsort(ev, n, sizeof *ev, by_tick); /* stable enough: ties keep meaning below */
  /* Tempo map, then notes in seconds. */
  double sec = 0;
  uint64_t last = 0;
  uint32_t us = 500000;
  midi_note *open_notes[16][128] = {{0}};
  m->notes = calloc(n + 1, sizeof *m->notes);
  m->programs = calloc(n + 1, sizeof *m->programs);
  m->tempo_min_us = m->tempo_max_us = us;
  for (size_t i = 0; i < n; i++) {
    sec += (double)(ev[i].tick - last) * us / 1e6 / m->ppq;
    last = ev[i].tick;
    if (ev[i].status == 0xff) {
      us = (uint32_t)ev[i].a;
      if (m->tempos++ == 0) m->tempo_first_us = m->tempo_min_us = m->tempo_max_us = us;
      if (us < m->tempo_min_us) m->tempo_min_us = us;
      if (us > m->tempo_max_us) m->tempo_max_us = us;
      continue;
    }
    int hi = ev[i].status & 0xf0, ch = ev[i].status & 0x0f;
    if (hi == 0xc0) {
      m->programs[m->n_programs++] = (midi_program){ev[i].track, ch, ev[i].a, ev[i].tick, sec};
    } else if (hi == 0x90 && ev[i].b > 0) {
      midi_note *nt = &m->notes[m->count++];
      *nt = (midi_note){ev[i].track, ch, ev[i].a, ev[i].b, sec, -1, ev[i].tick, ev[i].tick};
      open_notes[ch][ev[i].a] = nt;
    } else if (hi == 0x80 || (hi == 0x90 && ev[i].b == 0)) {
      midi_note *nt = open_notes[ch][ev[i].a];
      if (nt && nt->off_s < 0) nt->off_s = sec, nt->off_tick = ev[i].tick;
    }
  }
  if (!m->tempos) m->tempo_first_us = us;
  m->tempo_last_us = us;
  free(ev);
  free(data);
  return 0;
fail:
  free(ev);
  free(data);
  midi_free(m);
  return -1;
}

void midi_free(midi_file *m) {
  if (m->track_names)
    for (int t = 0; t < m->tracks; t++) free(m->track_names[t]);
  free(m->track_names);
  free(m->notes);
  free(m->programs);
  m->track_names = NULL, m->notes = NULL, m->programs = NULL;
}
