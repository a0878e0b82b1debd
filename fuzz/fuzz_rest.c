/* libFuzzer driver for REST bodies, POST /api/stations/NAME/params
 * (lull__control_parse_body, server/control.c): the same invariants as
 * control messages (fuzz_ctl.c), with no "type" and no status request.
 * Run: make fuzz (FUZZ_SECONDS=..). */
#include <stdint.h>

#include "fuzz_ctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  lull_ctl_msg c;
  int rc = lull__control_parse_body((const char *)data, size, &fuzz_ctl_current, &c);
  fuzz_ctl_check((const char *)data, size, 1, rc, &c);
  return 0;
}
