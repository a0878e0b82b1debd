/* A file that appears under its name only when complete: it is written as
 * a temporary file beside the target (same directory, so the rename cannot
 * cross file systems), then renamed over it (commit) or removed (abort).
 * Until commit the target is untouched, whatever happens to the writer; after
 * it, the data and the name are on disk (fsync of the file, then of its
 * folder), so a crash cannot leave the name pointing at an empty file. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/io_int.h"

/* The folder that holds path's name ("." for a bare name); NULL: no memory. */
static char *folder_of(const char *path) {
  const char *slash = strrchr(path, '/');
  return slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
}

/* Why path's temporary file could not be made, in the user's terms. */
static int cannot_create(const char *path, int e, const char *field, lull_diag *diag) {
  char *folder = folder_of(path);
  const char *in = folder ? folder : "its folder";
  int err;
  if (e == ENOENT) err = lull_diag_set(diag, LULL_EIO, field, "%s: the folder %s does not exist", path, in);
  else if (e == ENOTDIR) err = lull_diag_set(diag, LULL_EIO, field, "%s: %s is not a folder", path, in);
  else if (e == EACCES || e == EPERM || e == EROFS)
    err = lull_diag_set(diag, LULL_EIO, field, "%s: cannot write in the folder %s: %s", path, in, strerror(e));
  else err = lull_diag_set(diag, LULL_EIO, field, "%s: cannot write here: %s", path, strerror(e));
  free(folder);
  return err;
}

int lull__atomic_open(lull_atomic_file *f, const char *path, const char *field, lull_diag *diag) {
  memset(f, 0, sizeof *f);
  f->fd = -1;
  f->sync_fd = -1;
  /* What the rename would refuse (a folder) or should not do (replace a
   * device or a FIFO with a file) is refused here, before any work: the
   * rename comes only after the whole render. */
  struct stat st;
  if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
    return lull_diag_set(diag, LULL_EIO, field, "%s: is %s; give a file name", path,
                         S_ISDIR(st.st_mode) ? "a folder" : "not a regular file (a device or a FIFO)");
  size_t n = strlen(path) + sizeof ".tmp-XXXXXX";
  f->path = strdup(path);
  f->tmp = malloc(n);
  if (!f->path || !f->tmp) {
    lull__atomic_abort(f);
    return lull_diag_set(diag, LULL_ENOMEM, field, "out of memory");
  }
  snprintf(f->tmp, n, "%s.tmp-XXXXXX", path);
  f->fd = mkstemp(f->tmp);
  if (f->fd < 0) {
    int e = errno;
    free(f->tmp);
    f->tmp = NULL; /* nothing was created: nothing to remove */
    lull__atomic_abort(f);
    return cannot_create(path, e, field, diag);
  }
  /* The writer closes fd (through fdopen or libsndfile); this second
   * descriptor on the same open file outlives that, for the fsync. */
  f->sync_fd = dup(f->fd);
  if (f->sync_fd < 0) {
    int e = errno;
    close(f->fd);
    lull__atomic_abort(f);
    return lull_diag_set(diag, LULL_EIO, field, "%s: %s", path, strerror(e));
  }
  /* mkstemp makes the file 0600; the finished file gets the usual mode. */
  mode_t mask = umask(0);
  umask(mask);
  (void)fchmod(f->fd, 0666 & ~mask);
  return LULL_OK;
}

/* Make the rename itself durable: fsync the folder that holds the name. Best
 * effort: the file is in place by now, and undoing the rename would destroy
 * a finished file to guard against a crash in the next few seconds (some
 * file systems also refuse fsync on a folder, with EINVAL). */
static void sync_folder(const char *path) {
  char *folder = folder_of(path);
  if (!folder) return;
  int fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  free(folder);
  if (fd < 0) return;
  (void)fsync(fd);
  close(fd);
}

int lull__atomic_commit(lull_atomic_file *f, const char *field, lull_diag *diag) {
  return lull__atomic_commit_pair(f, field, NULL, NULL, diag);
}

/* Both, or neither: every fsync comes before the first rename, so the only
 * failure left once a's name is in place is b's rename, and then a's new
 * name is removed again. (Whatever a replaced is gone by then: a rename
 * cannot be undone. Only a folder changed under a running render gets
 * here; lull__atomic_open has checked both targets before any work.) */
int lull__atomic_commit_pair(lull_atomic_file *a, const char *field_a, lull_atomic_file *b, const char *field_b,
                             lull_diag *diag) {
  lull_atomic_file *f[2] = {a, b};
  const char *field[2] = {field_a, field_b};
  int err = LULL_OK;
  /* The data reaches the disk before the name does: renamed first, a crash
   * could leave the target empty or short, where the old file was whole. */
  for (int i = 0; i < 2 && !err; i++)
    if (f[i] && f[i]->tmp && fsync(f[i]->sync_fd) != 0)
      err = lull_diag_set(diag, LULL_EIO, field[i], "%s: %s", f[i]->path, strerror(errno));
  int renamed[2] = {0, 0};
  for (int i = 0; i < 2 && !err; i++) {
    if (!f[i] || !f[i]->tmp) continue;
    if (rename(f[i]->tmp, f[i]->path) != 0) {
      err = lull_diag_set(diag, LULL_EIO, field[i], "%s: %s", f[i]->path, strerror(errno));
      break;
    }
    free(f[i]->tmp);
    f[i]->tmp = NULL; /* renamed: nothing to remove */
    renamed[i] = 1;
  }
  for (int i = 0; i < 2; i++) {
    if (!f[i]) continue;
    if (err && renamed[i]) unlink(f[i]->path);
    if (renamed[i]) sync_folder(f[i]->path);
    lull__atomic_abort(f[i]);
  }
  return err;
}

void lull__atomic_abort(lull_atomic_file *f) {
  /* A zeroed f (stdout's, in audio_file.c) has no path and owns no
   * descriptor: its sync_fd of 0 is not one to close. */
  if (f->path && f->sync_fd >= 0) close(f->sync_fd);
  if (f->tmp) {
    unlink(f->tmp);
    free(f->tmp);
  }
  free(f->path);
  memset(f, 0, sizeof *f);
  f->fd = -1;
  f->sync_fd = -1;
}
