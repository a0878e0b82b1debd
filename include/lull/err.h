/* lull error codes: one enum, LULL_OK is 0 and every failure is negative.
 * lull_strerror() and lull_err_name() map codes to text; lull_diag carries
 * the field and the allowed range when a validator rejects input. */
#ifndef LULL_ERR_H
#define LULL_ERR_H

#ifdef __cplusplus
extern "C" {
#endif

#define LULL_ERR_MAP(X)                                              \
  X(OK, 0, "success")                                                \
  X(EINVAL, -1, "invalid argument")                                  \
  X(ENOMEM, -2, "out of memory")                                     \
  X(ERANGE, -3, "value out of range")                                \
  X(EFULL, -4, "queue is full")                                      \
  X(EPARSE, -5, "malformed input")                                   \
  X(EIO, -6, "input/output error")                                   \
  X(EFORMAT, -7, "unsupported format")                               \
  X(EUNKNOWN, -8, "unknown name")                                   \
  X(EAGAIN, -9, "nothing yet, try again")                            \
  X(EOVERTAKEN, -10, "overtaken: the data was overwritten")          \
  X(ESTATE, -11, "not possible in this state")

typedef enum lull_err {
#define LULL_ERR_ENUM(name, code, text) LULL_##name = (code),
  LULL_ERR_MAP(LULL_ERR_ENUM)
#undef LULL_ERR_ENUM
} lull_err;

/* A validator's account of what was wrong: which field, what was allowed. */
typedef struct lull_diag {
  char field[64];    /* e.g. "melody[3].pitch" */
  char message[256]; /* e.g. "must be 0..127, got 200" */
} lull_diag;

/* Static text for an error code ("queue is full"); never NULL. Thread-safe. */
const char *lull_strerror(int err);
/* The code's name ("LULL_EFULL"); never NULL. Thread-safe. */
const char *lull_err_name(int err);
/* Fill diag (may be NULL) with field and a printf-style message. Returns err. */
int lull_diag_set(lull_diag *diag, int err, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#ifdef __cplusplus
}
#endif
#endif
