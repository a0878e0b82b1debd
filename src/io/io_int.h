/* io internals shared by its files (not for other modules): files that
 * appear only when complete (atomic_file.c) and strict JSON reading with
 * file:line:column errors (json_file.c). */
#ifndef LULL_IO_INT_H
#define LULL_IO_INT_H

#include <jansson.h>

#include "io/io.h"

/* ---- atomic files (atomic_file.c) ----------------------------------------- */

typedef struct lull_atomic_file {
  char *path; /* the target */
  char *tmp;  /* the temporary file beside it; NULL once renamed or never made */
  int fd;     /* the temporary file, open for writing; the writer owns it and
                 closes it (directly or through fdopen/sf_open_fd) before commit */
  int sync_fd; /* a dup of fd, this file's own: commit fsyncs through it
                  (meaningful only while path is set) */
} lull_atomic_file;

/* Create path's temporary file beside it ("PATH.tmp-XXXXXX", mode as the
 * umask says), so a target that cannot be written fails here, before any
 * work. LULL_OK, LULL_ENOMEM, or LULL_EIO naming the path and what is wrong
 * ("PATH: is a folder; give a file name", "PATH: the folder DIR does not
 * exist", "PATH: cannot write in the folder DIR: ..."); field names the flag
 * in diag. Nothing to clean up on error. */
int lull__atomic_open(lull_atomic_file *f, const char *path, const char *field, lull_diag *diag);
/* fsync the (closed) temporary file, rename it over the target, fsync the
 * target's folder, then release f. LULL_OK or LULL_EIO ("PATH: reason"),
 * after which nothing is left behind. */
int lull__atomic_commit(lull_atomic_file *f, const char *field, lull_diag *diag);
/* Commit a and b so that both appear or neither: both fsynced, then a
 * renamed, then b; if b's rename fails, a's new name is removed. Either may
 * be NULL or hold no temporary file (stdout): it is skipped. Both released.
 * LULL_OK or LULL_EIO naming the field and path that failed. */
int lull__atomic_commit_pair(lull_atomic_file *a, const char *field_a, lull_atomic_file *b, const char *field_b,
                             lull_diag *diag);
/* Remove the temporary file, if any, and release f (not its fd; sync_fd is
 * closed). Safe on a released or zeroed f, and twice. */
void lull__atomic_abort(lull_atomic_file *f);

/* A MIDI file being made (midi.c): its temporary file, fd -1 once closed. */
struct lull_midi_file {
  lull_atomic_file file;
};

/* ---- JSON files (json_file.c) --------------------------------------------- */

/* Parse JSON from text, or from the file at path when text is NULL (path
 * names it in messages either way). Duplicate keys are errors. LULL_OK with
 * *root to json_decref; LULL_EPARSE ("PATH:LINE:COLUMN: what"), or LULL_EIO
 * ("PATH: why") when the file cannot be read. */
int lull__json_read(const char *path, const char *text, json_t **root, lull_diag *diag);

#endif
