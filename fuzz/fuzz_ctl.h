/* The invariants of a parsed control message or REST body (control.c),
 * shared by fuzz_control and fuzz_rest: a refusal is named and readable,
 * and an accepted message changes exactly what it says, to the values a
 * second reading of the same JSON gives, within every range. */
#ifndef LULL_FUZZ_CTL_H
#define LULL_FUZZ_CTL_H

#include <stddef.h>

#include "server/server_int.h"

/* The params a message is applied to: not the defaults, so that a field
 * left alone is told apart from one set to its default. */
extern const lull_params fuzz_ctl_current;

/* Check rc and c, what lull__control_parse (body 0) or
 * lull__control_parse_body (body 1) made of text. */
void fuzz_ctl_check(const char *text, size_t len, int body, int rc, const lull_ctl_msg *c);

#endif
