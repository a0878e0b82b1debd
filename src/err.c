/* Error code names and texts, from the one table in lull/err.h. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lull/err.h"

const char *lull_strerror(int err) {
  switch (err) {
#define LULL_ERR_TEXT(name, code, text) \
  case code:                            \
    return text;
    LULL_ERR_MAP(LULL_ERR_TEXT)
#undef LULL_ERR_TEXT
  }
  return "unknown error";
}

const char *lull_err_name(int err) {
  switch (err) {
#define LULL_ERR_NAME(name, code, text) \
  case code:                            \
    return "LULL_" #name;
    LULL_ERR_MAP(LULL_ERR_NAME)
#undef LULL_ERR_NAME
  }
  return "LULL_E?";
}

int lull_diag_set(lull_diag *diag, int err, const char *field, const char *fmt, ...) {
  if (!diag) return err;
  snprintf(diag->field, sizeof diag->field, "%s", field ? field : "");
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(diag->message, sizeof diag->message, fmt, ap);
  va_end(ap);
  return err;
}
