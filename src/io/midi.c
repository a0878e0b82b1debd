/* Standard MIDI files, type 1. Ticks come from frames through the tempo
 * map the events carry (LULL_CONTROL_BPM): within a stretch of one tempo,
 * tick = tick0 + (frame - frame0) * bpm / 60 / rate * PPQ. Each part gets a
 * track and a channel of its own; a note's end is its duration (cut where
 * its channel strikes the same pitch again, since a channel cannot hold one
 * pitch twice), its OFF event, or (percussion) the part's length. Each
 * melodic part starts with the General MIDI program nearest its instrument
 * in the palette at frame 0, and a palette change (LULL_CONTROL_PALETTE)
 * writes the new palette's programs at its tick.
 * A render's events are kept by lull__midi_capture, a pump tap. Written as
 * an atomic file (a temporary file, then renamed), made before the render so
 * a bad path fails first and renamed with the audio file (both or neither). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/io_int.h"

typedef struct buf {
  unsigned char *data;
  size_t len, cap;
  int failed;
} buf;

static void put(buf *b, const void *p, size_t n) {
  if (b->failed) return;
  if (b->len + n > b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 4096;
    while (cap < b->len + n) cap *= 2;
    unsigned char *d = realloc(b->data, cap);
    if (!d) {
      b->failed = 1;
      return;
    }
    b->data = d;
    b->cap = cap;
  }
  memcpy(b->data + b->len, p, n);
  b->len += n;
}

static void put8(buf *b, unsigned v) {
  unsigned char c = (unsigned char)v;
  put(b, &c, 1);
}

static void put_be(buf *b, uint32_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; i--) put8(b, (v >> (8 * i)) & 0xff);
}

static void put_vlq(buf *b, uint32_t v) {
  unsigned char tmp[5];
  int n = 0;
  tmp[n++] = v & 0x7f;
  while (v >>= 7) tmp[n++] = (unsigned char)(0x80 | (v & 0x7f));
  while (n) put8(b, tmp[--n]);
}

/* One timed message of a track. */
typedef struct msg {
  uint64_t tick;
  int order;              /* at one tick: tempo (0), note-offs (1), program changes (2), note-ons (3) */
  unsigned char bytes[8];
  int len;
} msg;

static int by_tick(const void *a, const void *b) {
  const msg *x = a, *y = b;
  if (x->tick != y->tick) return x->tick < y->tick ? -1 : 1;
  return x->order - y->order;
}

typedef struct tempo_map {
  uint64_t *frame;
  double *bpm, *tick;
  size_t n;
} tempo_map;

static double tick_of(const tempo_map *m, uint64_t frame, double rate) {
  size_t i = 0;
  while (i + 1 < m->n && m->frame[i + 1] <= frame) i++; /* tempo segments are few */
  return m->tick[i] + (double)(frame - m->frame[i]) * m->bpm[i] / 60.0 / rate * LULL_MIDI_PPQ;
}

static void track(buf *out, msg *msgs, size_t n, const char *name) {
  buf t = {0};
  qsort(msgs, n, sizeof *msgs, by_tick);
  put_vlq(&t, 0);
  put8(&t, 0xff), put8(&t, 0x03), put_vlq(&t, (uint32_t)strlen(name)), put(&t, name, strlen(name));
  uint64_t last = 0;
  for (size_t i = 0; i < n; i++) {
    put_vlq(&t, (uint32_t)(msgs[i].tick - last));
    put(&t, msgs[i].bytes, (size_t)msgs[i].len);
    last = msgs[i].tick;
  }
  put_vlq(&t, 0), put8(&t, 0xff), put8(&t, 0x2f), put8(&t, 0x00);
  put(out, "MTrk", 4);
  put_be(out, (uint32_t)t.len, 4);
  put(out, t.data, t.len);
  out->failed |= t.failed;
  free(t.data);
}

static const struct {
  const char *name;
  int channel;        /* 0-based on the wire: pad 0 (MIDI channel 1), ..., drums 9 (channel 10) */
  double hit_seconds; /* a HIT's length when its event gives none */
} parts[LULL_PART_COUNT] = {
    [LULL_PART_PAD] = {"pad", 0, 0},     [LULL_PART_LEAD] = {"lead", 1, 0}, [LULL_PART_KICK] = {"kick", 9, 0.25},
    [LULL_PART_SWELL] = {"swell", 2, 2}, [LULL_PART_HAT] = {"hat", 9, 0.1}, [LULL_PART_BASS] = {"bass", 3, 0},
    [LULL_PART_AIR] = {"air", 4, 0},     [LULL_PART_BELL] = {"bell", 5, 0},
};

#define DRUMS (-1) /* channel 10: General MIDI gives it a drum kit, no program */

/* The General MIDI program nearest each palette's instrument for each part,
 * as written on the wire: 0-based, so GM's "15 Tubular Bells" is 14. The
 * names below are GM's (1-based). A palette change (LULL_CONTROL_PALETTE)
 * writes the new palette's row as program changes at its tick. */
static const signed char programs[LULL_PALETTE_COUNT][LULL_PART_COUNT] = {
    /*                       pad  lead  kick   swell  hat    bass  air  bell */
    [LULL_PALETTE_CLASSIC] = {89, 4, DRUMS, 94, DRUMS, 38, 91, 14},
    /* 90 Pad 2 (warm), 5 Electric Piano 1, 95 Pad 7 (halo), 39 Synth Bass 1, 92 Pad 4 (choir), 15 Tubular Bells */
    [LULL_PALETTE_GLASS] = {88, 46, DRUMS, 94, DRUMS, 32, 96, 98},
    /* 89 Pad 1 (new age), 47 Orchestral Harp, 95 Pad 7 (halo), 33 Acoustic Bass, 97 FX 1 (rain), 99 FX 3 (crystal) */
    [LULL_PALETTE_STRINGS] = {48, 46, DRUMS, 49, DRUMS, 42, 52, 8},
    /* 49 String Ensemble 1, 47 Orchestral Harp, 50 String Ensemble 2, 43 Cello, 53 Choir Aahs, 9 Celesta */
    [LULL_PALETTE_KEYS] = {89, 5, DRUMS, 94, DRUMS, 33, 91, 108},
    /* 90 Pad 2 (warm), 6 Electric Piano 2 (GM's DX-style piano), 95 Pad 7 (halo), 34 Electric Bass (finger),
     * 92 Pad 4 (choir), 109 Kalimba */
    [LULL_PALETTE_NIGHT] = {95, 102, DRUMS, 99, DRUMS, 38, 122, 98},
    /* 96 Pad 8 (sweep), 103 FX 7 (echoes), 100 FX 4 (atmosphere), 39 Synth Bass 1 (the sub drone),
     * 123 Seashore (GM's nearest to wind), 99 FX 3 (crystal) */
    [LULL_PALETTE_TAPE] = {50, 0, DRUMS, 94, DRUMS, 32, 91, 11},
    /* 51 SynthStrings 1 (a worn, Mellotron-like pad), 1 Acoustic Grand Piano, 95 Pad 7 (halo), 33 Acoustic Bass,
     * 92 Pad 4 (choir), 12 Vibraphone */
};

/* The palette a LULL_CONTROL_PALETTE event names, or -1 when it is not one. */
static int palette_of(const lull_event *e) {
  if (e->kind != LULL_EVENT_SET || e->part != LULL_CONTROL_PALETTE) return -1;
  float v = e->velocity;
  return v >= 0.0f && v < (float)LULL_PALETTE_COUNT && v == floorf(v) ? (int)v : -1;
}

/* The whole file's bytes into result: LULL_OK or LULL_ENOMEM (the caller
 * frees result->data either way). */
static int encode(const lull_event *ev, size_t n, uint32_t rate, buf *result) {
  int err = LULL_ENOMEM;
  tempo_map m = {0};
  msg *msgs = NULL;
  buf out = {0};
  /* The tempo map. */
  size_t tempos = 1;
  for (size_t i = 0; i < n; i++) tempos += ev[i].kind == LULL_EVENT_SET && ev[i].part == LULL_CONTROL_BPM;
  m.frame = calloc(tempos, sizeof *m.frame), m.bpm = calloc(tempos, sizeof *m.bpm), m.tick = calloc(tempos, sizeof *m.tick);
  msgs = calloc(2 * n + tempos + 4, sizeof *msgs);
  if (!m.frame || !m.bpm || !m.tick || !msgs) goto done;
  m.n = 1, m.frame[0] = 0, m.bpm[0] = 120, m.tick[0] = 0;
  for (size_t i = 0; i < n; i++) {
    if (ev[i].kind != LULL_EVENT_SET || ev[i].part != LULL_CONTROL_BPM) continue;
    if (ev[i].frame == m.frame[m.n - 1]) {
      m.bpm[m.n - 1] = ev[i].velocity;
      continue;
    }
    m.tick[m.n] = tick_of(&m, ev[i].frame, rate);
    m.frame[m.n] = ev[i].frame;
    m.bpm[m.n] = ev[i].velocity;
    m.n++;
  }
  put(&out, "MThd", 4);
  put_be(&out, 6, 4), put_be(&out, 1, 2), put_be(&out, 1 + LULL_PART_COUNT, 2), put_be(&out, LULL_MIDI_PPQ, 2);
  /* Track 0: tempo map and a 4/4 signature. */
  size_t k = 0;
  msgs[k++] = (msg){0, 0, {0xff, 0x58, 0x04, 4, 2, 24, 8}, 7}; /* 4/4, 24 clocks a click, 8 32nds a quarter */
  for (size_t i = 0; i < m.n; i++) {
    uint32_t us = (uint32_t)llround(60e6 / m.bpm[i]);
    msgs[k++] = (msg){(uint64_t)llround(m.tick[i]), 0, {0xff, 0x51, 0x03, (unsigned char)(us >> 16), (unsigned char)(us >> 8), (unsigned char)us}, 6};
  }
  track(&out, msgs, k, "lull");
  /* The palette at the start: the composer names it at frame 0 (the last
   * word there counts); classic when nothing does. */
  int first = LULL_PALETTE_CLASSIC;
  for (size_t i = 0; i < n && ev[i].frame == 0; i++)
    if (palette_of(&ev[i]) >= 0) first = palette_of(&ev[i]);
  for (int part = 0; part < LULL_PART_COUNT; part++) {
    k = 0;
    int ch = parts[part].channel, drums = programs[LULL_PALETTE_CLASSIC][part] == DRUMS;
    /* Programs: the first palette's at tick 0, then each change's at its
     * tick, after the note-offs there and before the note-ons. */
    if (!drums) msgs[k++] = (msg){0, 2, {(unsigned char)(0xc0 | ch), (unsigned char)programs[first][part]}, 2};
    for (size_t i = 0; i < n && !drums; i++) {
      int pal = palette_of(&ev[i]);
      if (pal >= 0 && ev[i].frame > 0)
        msgs[k++] = (msg){(uint64_t)llround(tick_of(&m, ev[i].frame, rate)), 2,
                          {(unsigned char)(0xc0 | ch), (unsigned char)programs[pal][part]}, 2};
    }
    for (size_t i = 0; i < n; i++) {
      const lull_event *e = &ev[i];
      if (e->part != part || e->kind == LULL_EVENT_SET || e->kind == LULL_EVENT_OFF) continue;
      int note = part == LULL_PART_KICK ? 36 : part == LULL_PART_HAT ? 42 : e->pitch;
      int vel = (int)lroundf(e->velocity * 127.0f);
      vel = vel < 1 ? 1 : vel > 127 ? 127 : vel;
      uint64_t end;
      if (e->duration_frames) end = e->frame + e->duration_frames;
      else if (e->kind == LULL_EVENT_HIT) end = e->frame + (uint64_t)(parts[part].hit_seconds * rate);
      else { /* held until its OFF (or the last event) */
        end = ev[n - 1].frame;
        for (size_t j = i + 1; j < n; j++)
          if (ev[j].part == part && ev[j].pitch == e->pitch && ev[j].kind != LULL_EVENT_SET &&
              (ev[j].kind == LULL_EVENT_OFF || ev[j].kind == LULL_EVENT_ON)) {
            end = ev[j].frame;
            break;
          }
      }
      /* A channel cannot hold one pitch twice: a note ends where its pitch
       * (for drums, its note) starts again, or at its OFF if that comes
       * before its length runs out (a change of key lets go of the bass). */
      for (size_t j = i + 1; j < n && ev[j].frame < end; j++)
        if (ev[j].part == part && ev[j].kind != LULL_EVENT_SET && (ev[j].pitch == e->pitch || drums)) {
          end = ev[j].frame;
          break;
        }
      msgs[k++] = (msg){(uint64_t)llround(tick_of(&m, e->frame, rate)), 3,
                        {(unsigned char)(0x90 | ch), (unsigned char)note, (unsigned char)vel}, 3};
      msgs[k++] = (msg){(uint64_t)llround(tick_of(&m, end, rate)), 1, {(unsigned char)(0x80 | ch), (unsigned char)note, 0}, 3};
    }
    track(&out, msgs, k, parts[part].name);
  }
  err = out.failed ? LULL_ENOMEM : LULL_OK;
done:
  *result = out;
  free(msgs);
  free(m.frame), free(m.bpm), free(m.tick);
  return err;
}

int lull__midi_open(const char *path, lull_midi_file **out, lull_diag *diag) {
  *out = NULL;
  lull_midi_file *mf = calloc(1, sizeof *mf);
  if (!mf) return lull_diag_set(diag, LULL_ENOMEM, "--midi", "out of memory");
  int err = lull__atomic_open(&mf->file, path, "--midi", diag);
  if (err) {
    free(mf);
    return err;
  }
  *out = mf;
  return LULL_OK;
}

int lull__midi_finish(lull_midi_file *mf, const lull_event *ev, size_t n, uint32_t rate, lull_diag *diag) {
  buf out = {0};
  int err = encode(ev, n, rate, &out);
  if (err) {
    free(out.data);
    return lull_diag_set(diag, err, "--midi", "out of memory");
  }
  int e = 0;
  FILE *f = fdopen(mf->file.fd, "wb");
  if (!f) {
    e = errno;
    close(mf->file.fd);
  } else {
    errno = 0;
    if (fwrite(out.data, 1, out.len, f) != out.len) e = errno ? errno : EIO;
    if (fclose(f) != 0 && !e) e = errno;
  }
  mf->file.fd = -1; /* closed either way */
  free(out.data);
  if (e) return lull_diag_set(diag, LULL_EIO, "--midi", "%s: %s", mf->file.path, strerror(e));
  return LULL_OK;
}

void lull__midi_abort(lull_midi_file *mf) {
  if (!mf) return;
  if (mf->file.fd >= 0) close(mf->file.fd);
  lull__atomic_abort(&mf->file);
  free(mf);
}

int lull__midi_write(const char *path, const lull_event *ev, size_t n, uint32_t rate, lull_diag *diag) {
  lull_midi_file *mf;
  int err = lull__midi_open(path, &mf, diag);
  if (err) return err;
  if ((err = lull__midi_finish(mf, ev, n, rate, diag))) {
    lull__midi_abort(mf);
    return err;
  }
  err = lull__atomic_commit(&mf->file, "--midi", diag);
  free(mf);
  return err;
}

int lull__midi_capture(void *capture, const lull_event *ev, size_t n, lull_diag *diag) {
  lull_midi_capture *c = capture;
  if (c->count + n > c->cap) {
    size_t cap = c->cap ? c->cap * 2 : 4096;
    while (cap < c->count + n) cap *= 2;
    lull_event *p = realloc(c->events, cap * sizeof *p);
    if (!p) return lull_diag_set(diag, LULL_ENOMEM, "--midi", "out of memory for the MIDI events");
    c->events = p;
    c->cap = cap;
  }
  memcpy(c->events + c->count, ev, n * sizeof *ev);
  c->count += n;
  return LULL_OK;
}

void lull__midi_capture_free(lull_midi_capture *c) {
  free(c->events);
  memset(c, 0, sizeof *c);
}
