/* libFuzzer driver for lull serve's config file (lull__serve_text_read,
 * cli/serve_file.c, with inih): any text either gives settings, printing
 * nothing, whose --check-config print reads back to the very same
 * settings (memcmp: every text zero-padded); or fails with one
 * "lull serve: " line. Run: make fuzz (FUZZ_SECONDS=..). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* engine.c's names of the parts, which this driver does not link (liblull
 * is vector code, not built with clang): the same, in the same order. */
const char *lull_part_name(int part) {
  static const char *const names[] = {"pad", "lead", "kick", "swell", "hat", "bass", "air", "bell"};
  return part >= 0 && part < 8 ? names[part] : "?";
}
_Static_assert(LULL_PART_COUNT == 8, "the names above are every part");

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static lull_serve_settings s, again;
  static lull_serve_where w, w2;
  static FILE *err;
  static char *out;
  static size_t out_len;
  if (!err && !(err = open_memstream(&out, &out_len))) abort();
  rewind(err);
  int rc = lull__serve_text_read("fuzz.ini", (const char *)data, size, &s, &w, err);
  long printed = ftell(err);
  fflush(err);
  if (rc != 0) {
    FUZZ_CHECK(rc == -1, "0 or -1");
    FUZZ_CHECK(printed > 0 && strncmp(out, "lull serve: fuzz.ini:", 21) == 0, "a refusal names the file");
    FUZZ_CHECK(memchr(out, '\n', (size_t)printed) == out + printed - 1, "a refusal is one line");
    return 0;
  }
  FUZZ_CHECK(printed == 0, "a file taken prints nothing");
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  if (!f) abort();
  lull__serve_settings_print(f, &s, &w);
  fclose(f);
  rewind(err);
  int rc2 = lull__serve_text_read("printed.ini", text, len, &again, &w2, err);
  if (rc2) {
    fflush(err);
    fprintf(stderr, "%.*s---\n%s", (int)ftell(err), out, text);
  }
  FUZZ_CHECK(rc2 == 0, "the settings printed read back");
  if (memcmp(&s, &again, sizeof s) != 0) {
    size_t at = 0;
    while (((const char *)&s)[at] == ((const char *)&again)[at]) at++;
    fprintf(stderr, "byte %zu of the settings differs (the stations start at %zu, the outputs at %zu)\n%s", at,
            offsetof(lull_serve_settings, station), offsetof(lull_serve_settings, icecast), text);
  }
  FUZZ_CHECK(memcmp(&s, &again, sizeof s) == 0, "the settings printed read back the same");
  free(text);
  return 0;
}
