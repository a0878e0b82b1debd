/* log.c: the text line, the journal's form when stderr is the journal's
 * stream (and only then), and JSON lines with every awkward byte escaped. */
#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lull/log.h"
#include "support/harness.h"

/* What one call of fn wrote to stderr (fd 2 pointed at a file meanwhile),
 * with JOURNAL_STREAM set to the file's own DEV:INODE (journal > 0), to
 * another (journal < 0) or unset (0). */
static char *written(void (*fn)(void *, int, const char *), int level, const char *message, int journal) {
  static char out[32768];
  char path[] = "/tmp/lull-test-log-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_TRUE(fd >= 0);
  unlink(path);
  fflush(stderr);
  int saved = dup(2);
  dup2(fd, 2);
  struct stat st;
  fstat(fd, &st);
  char js[64];
  snprintf(js, sizeof js, "%llu:%llu", (unsigned long long)st.st_dev, (unsigned long long)st.st_ino + (journal < 0));
  if (journal)
    setenv("JOURNAL_STREAM", js, 1);
  else
    unsetenv("JOURNAL_STREAM");
  fn(NULL, level, message);
  fflush(stderr);
  dup2(saved, 2);
  close(saved);
  unsetenv("JOURNAL_STREAM");
  ssize_t n = pread(fd, out, sizeof out - 1, 0);
  close(fd);
  out[n > 0 ? n : 0] = 0;
  return out;
}

static int matches(const char *text, const char *pattern) {
  regex_t re;
  ASSERT_EQ_INT(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0);
  int ok = regexec(&re, text, 0, NULL, 0) == 0;
  regfree(&re);
  return ok;
}

static void test_text_and_journal(void **state) {
  (void)state;
  const char *t = written(lull_log_stderr, LULL_LOG_INFO, "serving http://127.0.0.1:8000/", 0);
  ASSERT_TRUE(matches(t, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z info  serving http://127\\.0\\.0\\.1:8000/\n$"));
  /* stderr is the journal's stream: its priority prefix, no stamp of ours. */
  ASSERT_STR_EQ(written(lull_log_stderr, LULL_LOG_INFO, "serving", 1), "<6>serving\n");
  ASSERT_STR_EQ(written(lull_log_stderr, LULL_LOG_ERROR, "cannot listen", 1), "<3>cannot listen\n");
  ASSERT_STR_EQ(written(lull_log_stderr, LULL_LOG_WARN, "w", 1), "<4>w\n");
  ASSERT_STR_EQ(written(lull_log_stderr, LULL_LOG_DEBUG, "d", 1), "<7>d\n");
  /* The variable inherited by a process whose stderr went elsewhere: text. */
  ASSERT_TRUE(matches(written(lull_log_stderr, LULL_LOG_WARN, "w", -1), "^[0-9-]+T[0-9:.]+Z warn  w\n$"));
}

static void test_json(void **state) {
  (void)state;
  const char *j = written(lull_log_json, LULL_LOG_WARN, "a \"quote\", a \\ back\nslash\ttab \x01 caf\xc3\xa9", 1);
  ASSERT_TRUE(matches(j, "^\\{\"time\":\"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z\",\"level\":\"warn\","));
  ASSERT_STR_CONTAINS(j, ",\"message\":\"a \\\"quote\\\", a \\\\ back\\u000aslash\\u0009tab \\u0001 caf\xc3\xa9\"}\n");
  ASSERT_EQ_INT(strchr(j, '\n') - j + 1, (long)strlen(j)); /* one line */
  /* Bytes that are not UTF-8 (a config file's, say) become U+FFFD; valid
   * sequences of 2, 3 and 4 bytes pass. */
  j = written(lull_log_json, LULL_LOG_ERROR, "[caf\xff] \xc3 \xe2\x82 \xed\xa0\x80 \xc0\xaf \xe2\x82\xac \xf0\x9f\x8e\xb5", 0);
  ASSERT_STR_CONTAINS(j, "\"message\":\"[caf\\ufffd] \\ufffd \\ufffd\\ufffd \\ufffd\\ufffd\\ufffd \\ufffd\\ufffd "
                         "\xe2\x82\xac \xf0\x9f\x8e\xb5\"}\n");
  /* A long message is cut, still one valid line. */
  char big[9000];
  memset(big, '"', sizeof big - 1);
  big[sizeof big - 1] = 0;
  j = written(lull_log_json, LULL_LOG_INFO, big, 0);
  ASSERT_EQ_INT(strlen(j), strlen("{\"time\":\"2026-11-30T14:23:05.123Z\",\"level\":\"info\",\"message\":\"") + 2 * 4096 + 3);
  ASSERT_STR_CONTAINS(j + strlen(j) - 3, "\"}\n");
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_text_and_journal), cmocka_unit_test(test_json)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
