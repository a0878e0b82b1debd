/* libFuzzer driver for WebSocket control messages (lull__control_parse,
 * server/control.c): whatever a client sends, the answer is a named
 * refusal the server can send back as JSON, or a change of exactly the
 * fields given, within their ranges (fuzz_ctl.c). Seeds are the README's
 * protocol examples. Run: make fuzz (FUZZ_SECONDS=..). */
#include <stdint.h>

#include "fuzz_ctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  lull_ctl_msg c;
  /* A WebSocket message arrives with no NUL: the parser takes its length. */
  int rc = lull__control_parse((const char *)data, size, &fuzz_ctl_current, &c);
  fuzz_ctl_check((const char *)data, size, 0, rc, &c);
  return 0;
}
