/* Strict JSON in, for phrase files and timelines: duplicate keys are
 * rejected, and a syntax error names its place as PATH:LINE:COLUMN (a file
 * that cannot be read names only the file). What the JSON means is the
 * caller's to check. */
#include "io/io_int.h"

int lull__json_read(const char *path, const char *text, json_t **root, lull_diag *diag) {
  json_error_t e;
  *root = text ? json_loads(text, JSON_REJECT_DUPLICATES, &e) : json_load_file(path, JSON_REJECT_DUPLICATES, &e);
  if (*root) return LULL_OK;
  /* jansson reports a file it could not open or read at line -1. */
  if (!text && e.line < 1) return lull_diag_set(diag, LULL_EIO, "", "%s: %s", path, e.text);
  return lull_diag_set(diag, LULL_EPARSE, "", "%s:%d:%d: %s", path, e.line, e.column, e.text);
}
