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
  /* The data reaches the disk before the name does: renamed first, a crash
   * could leave the target empty or short, where the old file was whole. */
  if (fsync(f->sync_fd) != 0 || rename(f->tmp, f->path) != 0) {
    int err = lull_diag_set(diag, LULL_EIO, field, "%s: %s", f->path, strerror(errno));
    lull__atomic_abort(f);
    return err;
  }
  free(f->tmp);
  f->tmp = NULL; /* renamed: nothing to remove */
  sync_folder(f->path);
  lull__atomic_abort(f);
  return LULL_OK;
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
