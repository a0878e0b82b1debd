/* io: files. Phrase and timeline JSON in (as the pump's lull_phrase and
 * lull_timeline, stream/stream.h), WAV/FLAC/Ogg, MIDI and PNG out. Never
 * called from the render path. */
#ifndef LULL_IO_H
#define LULL_IO_H

#include <stddef.h>
#include <stdint.h>

#include "lull/err.h"
#include "lull/event.h"
#include "stream/stream.h"

/* ---- phrase files (phrase.c) -------------------------------------------- */

/* Read and validate a phrase file (an explicit phrase in the seed's shape),
 * turned into events. On error diag names the file position or the field
 * ("melody[3].pitch") and what is allowed. Returns LULL_OK, LULL_EIO,
 * LULL_EPARSE, LULL_ERANGE, LULL_EUNKNOWN or LULL_ENOMEM. */
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
typedef struct lull_midi_file lull_midi_file;
/* The same, together with a finished MIDI file (lull__midi_finish; NULL:
 * none): both renamed into place, or neither (if the second rename fails,
 * the first file is removed again). Frees w and m, whatever happens. */
int lull__audio_commit_with(lull_audio_writer *w, lull_midi_file *m, lull_diag *diag);
/* stdout only: whether the reader closed the pipe (after which every write
 * fails with LULL_EIO, "stdout: the reader closed the pipe"). A reader that
 * has what it wanted is no failure: the caller stops quietly. SIGPIPE must
 * be ignored for this to be seen. */
int lull__audio_reader_gone(const lull_audio_writer *w);
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
/* The same in steps, for a render that also writes audio: open makes the
 * temporary file at once (a path that cannot be written fails before any
 * work: LULL_EIO naming it), finish writes the events into it and closes it
 * (LULL_EIO, LULL_ENOMEM), and lull__audio_commit_with renames it into place
 * with the audio file. abort removes it and frees m (NULL is fine). */
int lull__midi_open(const char *path, lull_midi_file **out, lull_diag *diag);
int lull__midi_finish(lull_midi_file *m, const lull_event *events, size_t count, uint32_t sample_rate_hz,
                      lull_diag *diag);
void lull__midi_abort(lull_midi_file *m);

/* The events of a render, kept for lull__midi_write: lull__midi_capture is
 * a lull_pump_tap (user: a lull_midi_capture, zeroed to start) that appends
 * them; LULL_OK or LULL_ENOMEM. Not for a station's producer (it allocates). */
typedef struct lull_midi_capture {
  lull_event *events;
  size_t count, cap;
} lull_midi_capture;
int lull__midi_capture(void *capture, const lull_event *events, size_t count, lull_diag *diag);
void lull__midi_capture_free(lull_midi_capture *c);

/* ---- timelines (timeline.c) ----------------------------------------------- */

/* Read a timeline: a JSON array of {"at": seconds, "key"|"mode"|"bpm"|
 * "intensity": ...}, applied on top of start in order. Errors name the entry
 * and field ("timeline[2].bpm"). */
int lull__timeline_load(const char *path, const lull_params *start, uint32_t sample_rate_hz, lull_timeline *out,
                        lull_diag *diag);
int lull__timeline_parse(const char *text, const char *path, const lull_params *start, uint32_t sample_rate_hz,
                         lull_timeline *out, lull_diag *diag);
void lull__timeline_free(lull_timeline *t);

/* ---- PNG images (png.c) ---------------------------------------------------- */

/* CRC-32 (ISO-HDLC, as PNG and gzip use) of n bytes, continuing from crc
 * (0 to start). */
uint32_t lull__png_crc32(uint32_t crc, const void *data, size_t n);
/* Adler-32 (RFC 1950) of n bytes, continuing from adler (1 to start). */
uint32_t lull__png_adler32(uint32_t adler, const void *data, size_t n);
/* An 8-bit palette PNG of index[y * w + x] (row 0 at the top; w and h
 * 1..16384) with palette rgb (colours entries of three bytes, 1..256), made
 * in memory without zlib: runs and repeated rows compressed (fixed Huffman
 * codes), anything else stored. *out (malloc'd, the caller frees it) and
 * *len. LULL_OK, LULL_EINVAL or LULL_ENOMEM. Any thread; allocates. */
__attribute__((warn_unused_result))
int lull__png_indexed(const unsigned char *index, int w, int h, const unsigned char *rgb, int colours,
                      unsigned char **out, size_t *len);
/* The same written to path (not atomically: figures, not music). LULL_OK,
 * LULL_EINVAL, LULL_ENOMEM, or LULL_EIO with errno set. */
__attribute__((warn_unused_result))
int lull__png_write(const char *path, const unsigned char *index, int w, int h, const unsigned char *rgb, int colours);

#endif
