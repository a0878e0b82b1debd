/* io: files. Phrase JSON in, WAV/FLAC out. Never called from the render path. */
#ifndef LULL_IO_H
#define LULL_IO_H

#include <stddef.h>
#include <stdint.h>

#include "lull/err.h"
#include "lull/event.h"
#include "lull/params.h"

/* ---- phrase files (phrase.c) -------------------------------------------- */

/* An explicit phrase, in the seed's shape, turned into events. */
typedef struct lull_phrase {
  double bpm;
  uint64_t length_frames; /* one pass; the next loop starts here */
  lull_event *events;     /* sorted by frame */
  size_t count;
} lull_phrase;

/* Read and validate a phrase file. On error diag names the file position or
 * the field ("melody[3].pitch") and what is allowed. Returns LULL_OK,
 * LULL_EIO, LULL_EPARSE, LULL_ERANGE, LULL_EUNKNOWN or LULL_ENOMEM. */
int lull__phrase_load(const char *path, uint32_t sample_rate_hz, lull_phrase *out, lull_diag *diag);
/* The same from a string (path is only used in messages). */
int lull__phrase_parse(const char *text, const char *path, uint32_t sample_rate_hz, lull_phrase *out,
                       lull_diag *diag);
void lull__phrase_free(lull_phrase *p);

/* ---- audio files (audio_file.c) ----------------------------------------- */

typedef enum lull_sample_format {
  LULL_SAMPLE_PCM16 = 0, /* TPDF-dithered */
  LULL_SAMPLE_PCM24,
  LULL_SAMPLE_FLOAT
} lull_sample_format;

typedef struct lull_audio_writer lull_audio_writer;

/* Open path for writing stereo audio; the container comes from the
 * extension (.wav, .flac; .ogg and .opus through the stations' Opus encoder,
 * so a file sounds exactly as a stream does). The file appears under its name only at
 * lull__audio_commit (temporary file, then rename). "-" streams WAV to
 * stdout, which may be a pipe: its header says expected_frames (0: unknown,
 * the sizes then read 0xFFFFFFFF, "until the end of the stream"). */
int lull__audio_open(const char *path, lull_sample_format fmt, uint32_t sample_rate_hz, uint64_t expected_frames,
                     lull_audio_writer **out, lull_diag *diag);
/* Write interleaved stereo float frames. */
int lull__audio_write(lull_audio_writer *w, const float *frames, size_t count, lull_diag *diag);
/* Finish and rename into place; frees w. */
int lull__audio_commit(lull_audio_writer *w, lull_diag *diag);
/* Drop the temporary file; frees w. NULL is fine. */
void lull__audio_abort(lull_audio_writer *w);

/* ---- MIDI files (midi.c) -------------------------------------------------- */

#define LULL_MIDI_PPQ 480

/* Write events (sorted by frame; as handed to the engine) as a type-1
 * standard MIDI file: a tempo track built from the LULL_CONTROL_BPM events,
 * then a track per part (pad, lead, kick, swell, hat). Percussion is on the
 * GM drum channel (kick 36, hat 42). Temporary file, then rename. */
int lull__midi_write(const char *path, const lull_event *events, size_t count, uint32_t sample_rate_hz,
                     lull_diag *diag);

/* ---- timelines (timeline.c) ----------------------------------------------- */

typedef struct lull_timeline_change {
  uint64_t frame;
  lull_params params; /* the params from then on */
} lull_timeline_change;

typedef struct lull_timeline {
  lull_timeline_change *changes; /* in order of frame */
  size_t count;
} lull_timeline;

/* Read a timeline: a JSON array of {"at": seconds, "key"|"mode"|"bpm"|
 * "intensity": ...}, applied on top of start in order. Errors name the entry
 * and field ("timeline[2].bpm"). */
int lull__timeline_load(const char *path, const lull_params *start, uint32_t sample_rate_hz, lull_timeline *out,
                        lull_diag *diag);
int lull__timeline_parse(const char *text, const char *path, const lull_params *start, uint32_t sample_rate_hz,
                         lull_timeline *out, lull_diag *diag);
void lull__timeline_free(lull_timeline *t);

#endif
