/* What every fuzz driver asserts about a parser's answer, beyond not
 * crashing: a refusal names itself, and what the server sends of it is
 * JSON a client can read. A broken invariant aborts, which libFuzzer
 * reports as a crash with the input that broke it. */
#ifndef LULL_FUZZ_CHECK_H
#define LULL_FUZZ_CHECK_H

#include <stddef.h>

/* Abort with why (on stderr) unless ok. */
#define FUZZ_CHECK(ok, why) ((ok) ? (void)0 : fuzz_fail(__FILE__, __LINE__, (why)))
_Noreturn void fuzz_fail(const char *file, int line, const char *why);

/* Whether s (len bytes) is UTF-8 as RFC 3629 has it: no overlong forms,
 * no surrogates, nothing above U+10FFFF. */
int fuzz_utf8_valid(const char *s, size_t len);

/* The error object the server sends for a refusal (lull__error_json) must
 * parse as strict JSON, valid UTF-8, carrying this code. */
void fuzz_check_error_json(const char *code, const char *field, const char *message);

/* Whether needle (n bytes) occurs in hay (len bytes). */
int fuzz_contains(const char *hay, size_t len, const char *needle, size_t n);

/* A copy of data with a NUL after it, for the parsers that take C strings
 * (the fuzzer's own buffer has none). Freed by the caller. */
char *fuzz_cstr(const unsigned char *data, size_t size);

#endif
