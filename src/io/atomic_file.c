/* A file that appears under its name only when complete: it is written as
 * a temporary file beside the target (same directory, so the rename cannot
 * cross file systems), then renamed over it (commit) or removed (abort).
 * Until commit the target is untouched, whatever happens to the writer. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/io_int.h"

int lull__atomic_open(lull_atomic_file *f, const char *path, const char *field, lull_diag *diag) {
  memset(f, 0, sizeof *f);
  f->fd = -1;
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
    return lull_diag_set(diag, LULL_EIO, field, "%s: cannot write here: %s", path, strerror(e));
  }
  /* mkstemp makes the file 0600; the finished file gets the usual mode. */
  mode_t mask = umask(0);
  umask(mask);
  (void)fchmod(f->fd, 0666 & ~mask);
  return LULL_OK;
}

int lull__atomic_commit(lull_atomic_file *f, const char *field, lull_diag *diag) {
  /* The seam for durability: an fsync of the data belongs before the
   * writer closes f->fd, and one of the directory after this rename. */
  if (rename(f->tmp, f->path) != 0) {
    int err = lull_diag_set(diag, LULL_EIO, field, "%s: %s", f->path, strerror(errno));
    lull__atomic_abort(f);
    return err;
  }
  free(f->tmp);
  f->tmp = NULL; /* renamed: nothing to remove */
  lull__atomic_abort(f);
  return LULL_OK;
}

void lull__atomic_abort(lull_atomic_file *f) {
  if (f->tmp) {
    unlink(f->tmp);
    free(f->tmp);
  }
  free(f->path);
  memset(f, 0, sizeof *f);
  f->fd = -1;
}
