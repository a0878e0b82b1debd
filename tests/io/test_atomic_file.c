/* atomic_file.c: a committed file is whole under its name with no
 * temporary file left; its data is fsynced before the rename and its folder
 * after (the calls are seen through the linker's --wrap, in order); an
 * abort or a failed rename leaves nothing; a pair appears whole or not at
 * all, even when its second rename fails. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/io_int.h"
#include "support/harness.h"

/* What reached the system, in order: 'f' fsync of a regular file, 'd' of a
 * folder, 'r' a rename; with the inode fsynced. */
enum { MAX_CALLS = 16 };
static struct {
  char kind;
  ino_t ino;
} calls[MAX_CALLS];
static int ncalls, renames, fail_rename; /* fail the fail_rename-th rename (from 1); 0: none */

int __real_fsync(int fd);
int __real_rename(const char *from, const char *to);
int __wrap_fsync(int fd);
int __wrap_rename(const char *from, const char *to);

int __wrap_fsync(int fd) {
  struct stat st;
  if (ncalls < MAX_CALLS && fstat(fd, &st) == 0) {
    calls[ncalls].kind = S_ISDIR(st.st_mode) ? 'd' : 'f';
    calls[ncalls++].ino = st.st_ino;
  }
  return __real_fsync(fd);
}

int __wrap_rename(const char *from, const char *to) {
  if (ncalls < MAX_CALLS) calls[ncalls++].kind = 'r';
  if (++renames == fail_rename) {
    errno = EXDEV;
    return -1;
  }
  return __real_rename(from, to);
}

static const char *const dir = lull_test_dir;

static ino_t inode(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 ? st.st_ino : 0;
}

/* The wrappers see calls (the counter counts), then a commit: fsync of the
 * temporary file, the rename, fsync of the folder; the content whole under
 * its name and nothing else in the folder. */
static void test_commit_syncs_file_then_renames_then_syncs_folder(void **state) {
  (void)state;
  ncalls = 0;
  int dfd = open(dir, O_RDONLY | O_DIRECTORY);
  ASSERT_EQ_INT(fsync(dfd), 0);
  close(dfd);
  ASSERT_EQ_INT(ncalls, 1);
  ASSERT_EQ_INT(calls[0].kind, 'd');
  char path[512];
  snprintf(path, sizeof path, "%s/a.txt", dir);
  lull_atomic_file f;
  lull_diag d;
  ASSERT_EQ_INT(lull__atomic_open(&f, path, "-o", &d), LULL_OK);
  ino_t tmp_ino = inode(f.tmp);
  ASSERT_TRUE(tmp_ino != 0);
  ASSERT_EQ_INT(write(f.fd, "hello", 5), 5);
  close(f.fd); /* the writer closes its descriptor first, as fclose/sf_close do */
  ncalls = 0;
  ASSERT_EQ_INT(lull__atomic_commit(&f, "-o", &d), LULL_OK);
  ASSERT_EQ_INT(ncalls, 3);
  ASSERT_EQ_INT(calls[0].kind, 'f');
  ASSERT_EQ_INT(calls[0].ino, tmp_ino); /* the data, before its name */
  ASSERT_EQ_INT(calls[1].kind, 'r');
  ASSERT_EQ_INT(calls[2].kind, 'd');
  ASSERT_EQ_INT(calls[2].ino, inode(dir)); /* the name, after the rename */
  ASSERT_EQ_INT(inode(path), tmp_ino);
  char buf[8] = {0};
  int fd = open(path, O_RDONLY);
  ASSERT_EQ_INT(read(fd, buf, sizeof buf), 5);
  close(fd);
  ASSERT_STR_EQ(buf, "hello");
  ASSERT_EQ_INT(lull_test_files_in(dir), 1); /* no temporary file left */
  unlink(path);
}

/* A relative path: the folder synced is the working directory. */
static void test_commit_relative_path(void **state) {
  (void)state;
  char cwd[512];
  ASSERT_TRUE(getcwd(cwd, sizeof cwd) != NULL);
  ASSERT_EQ_INT(chdir(dir), 0);
  lull_atomic_file f;
  lull_diag d;
  ASSERT_EQ_INT(lull__atomic_open(&f, "b.txt", "-o", &d), LULL_OK);
  close(f.fd);
  ncalls = 0;
  ASSERT_EQ_INT(lull__atomic_commit(&f, "-o", &d), LULL_OK);
  ASSERT_EQ_INT(ncalls, 3);
  ASSERT_EQ_INT(calls[2].kind, 'd');
  ASSERT_EQ_INT(calls[2].ino, inode(dir));
  ASSERT_EQ_INT(lull_test_files_in(dir), 1);
  unlink("b.txt");
  ASSERT_EQ_INT(chdir(cwd), 0);
}

/* Abort, a failed rename: nothing left, the error names the path; and a
 * zeroed file (stdout's) owns no descriptor, so aborting it closes none. */
static void test_failures_leave_nothing(void **state) {
  (void)state;
  char path[512];
  snprintf(path, sizeof path, "%s/c.txt", dir);
  lull_atomic_file f;
  lull_diag d;
  ASSERT_EQ_INT(lull__atomic_open(&f, path, "-o", &d), LULL_OK);
  close(f.fd);
  lull__atomic_abort(&f);
  lull__atomic_abort(&f);
  ASSERT_EQ_INT(lull_test_files_in(dir), 0);
  ASSERT_EQ_INT(lull__atomic_open(&f, path, "--midi", &d), LULL_OK);
  close(f.fd);
  renames = 0, fail_rename = 1;
  ASSERT_EQ_INT(lull__atomic_commit(&f, "--midi", &d), LULL_EIO);
  fail_rename = 0;
  ASSERT_STR_EQ(d.field, "--midi");
  ASSERT_STR_CONTAINS(d.message, path);
  ASSERT_EQ_INT(lull_test_files_in(dir), 0);
  int fd0_open = fcntl(0, F_GETFD) != -1;
  lull_atomic_file zero;
  memset(&zero, 0, sizeof zero);
  lull__atomic_abort(&zero);
  ASSERT_EQ_INT(fcntl(0, F_GETFD) != -1, fd0_open);
}

/* Two files committed together: both fsynced before either rename, then
 * both in place. When the second rename fails, the first file's new name is
 * removed again: neither appears, no temporary file is left, and the error
 * names the second. */
static void test_pair_both_or_neither(void **state) {
  (void)state;
  char a_path[512], b_path[512];
  snprintf(a_path, sizeof a_path, "%s/p.wav", dir);
  snprintf(b_path, sizeof b_path, "%s/p.mid", dir);
  lull_atomic_file a, b;
  lull_diag d;
  ASSERT_EQ_INT(lull__atomic_open(&a, a_path, "-o", &d), LULL_OK);
  ASSERT_EQ_INT(lull__atomic_open(&b, b_path, "--midi", &d), LULL_OK);
  close(a.fd), close(b.fd);
  ncalls = 0;
  ASSERT_EQ_INT(lull__atomic_commit_pair(&a, "-o", &b, "--midi", &d), LULL_OK);
  ASSERT_EQ_INT(ncalls, 6);
  const char order[] = "ffrrdd";
  for (int i = 0; i < 6; i++) ASSERT_EQ_INT(calls[i].kind, order[i]);
  ASSERT_TRUE(inode(a_path) && inode(b_path));
  ASSERT_EQ_INT(lull_test_files_in(dir), 2);
  unlink(a_path), unlink(b_path);

  for (int which = 1; which <= 2; which++) {
    ASSERT_EQ_INT(lull__atomic_open(&a, a_path, "-o", &d), LULL_OK);
    ASSERT_EQ_INT(lull__atomic_open(&b, b_path, "--midi", &d), LULL_OK);
    close(a.fd), close(b.fd);
    renames = 0, fail_rename = which;
    memset(&d, 0, sizeof d);
    ASSERT_EQ_INT(lull__atomic_commit_pair(&a, "-o", &b, "--midi", &d), LULL_EIO);
    fail_rename = 0;
    ASSERT_STR_EQ(d.field, which == 1 ? "-o" : "--midi");
    ASSERT_STR_CONTAINS(d.message, which == 1 ? a_path : b_path);
    ASSERT_EQ_INT(lull_test_files_in(dir), 0); /* neither file, no temporary file */
  }
  /* One side absent (stdout has no file): the other alone. */
  ASSERT_EQ_INT(lull__atomic_open(&b, b_path, "--midi", &d), LULL_OK);
  close(b.fd);
  lull_atomic_file none;
  memset(&none, 0, sizeof none);
  ASSERT_EQ_INT(lull__atomic_commit_pair(&none, "-o", &b, "--midi", &d), LULL_OK);
  ASSERT_EQ_INT(lull_test_files_in(dir), 1);
  unlink(b_path);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_commit_syncs_file_then_renames_then_syncs_folder),
                                     cmocka_unit_test(test_commit_relative_path),
                                     cmocka_unit_test(test_failures_leave_nothing),
                                     cmocka_unit_test(test_pair_both_or_neither)};
  return cmocka_run_group_tests(tests, lull_test_dir_setup, lull_test_dir_teardown);
}
