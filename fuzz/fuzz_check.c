/* The invariants the fuzz drivers share (fuzz_check.h). */
#include "fuzz_check.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/server_int.h"

void fuzz_fail(const char *file, int line, const char *why) {
  fprintf(stderr, "%s:%d: invariant broken: %s\n", file, line, why);
  abort();
}

int fuzz_utf8_valid(const char *s, size_t len) {
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0;
  while (i < len) {
    unsigned c = p[i];
    size_t n;
    unsigned cp, min;
    if (c < 0x80) {
      i++;
      continue;
    } else if ((c & 0xe0) == 0xc0) {
      n = 2, cp = c & 0x1f, min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
      n = 3, cp = c & 0x0f, min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
      n = 4, cp = c & 0x07, min = 0x10000;
    } else {
      return 0;
    }
    if (i + n > len) return 0;
    for (size_t k = 1; k < n; k++) {
      if ((p[i + k] & 0xc0) != 0x80) return 0;
      cp = cp << 6 | (p[i + k] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    i += n;
  }
  return 1;
}

void fuzz_check_error_json(const char *code, const char *field, const char *message) {
  FUZZ_CHECK(code && code[0], "a refusal has a code");
  FUZZ_CHECK(message && message[0], "a refusal has a message");
  FUZZ_CHECK(field != NULL, "a refusal has a field, if empty");
  char out[1024];
  int n = lull__error_json(out, sizeof out, code, field, message);
  FUZZ_CHECK(n > 0 && (size_t)n < sizeof out, "the error JSON fits the server's buffers");
  FUZZ_CHECK(fuzz_utf8_valid(out, (size_t)n), "the error JSON is UTF-8 (a WebSocket text frame must be)");
  json_error_t e;
  json_t *root = json_loadb(out, (size_t)n, JSON_REJECT_DUPLICATES, &e);
  FUZZ_CHECK(root != NULL, "the error JSON parses");
  const char *got = json_string_value(json_object_get(root, "code"));
  FUZZ_CHECK(got && strcmp(got, code) == 0, "the error JSON carries the code");
  FUZZ_CHECK(json_is_string(json_object_get(root, "field")) && json_is_string(json_object_get(root, "message")),
             "the error JSON has a field and a message");
  json_decref(root);
}

int fuzz_contains(const char *hay, size_t len, const char *needle, size_t n) {
  for (size_t i = 0; i + n <= len; i++)
    if (memcmp(hay + i, needle, n) == 0) return 1;
  return 0;
}

char *fuzz_cstr(const unsigned char *data, size_t size) {
  char *s = malloc(size + 1);
  if (!s) abort();
  memcpy(s, data, size);
  s[size] = 0;
  return s;
}
