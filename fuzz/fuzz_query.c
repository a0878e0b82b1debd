/* libFuzzer driver for the query string of a direct stream request
 * (lull__direct_query, server/request.c: "station=NAME", the only
 * argument): any bytes, with no NUL after them, give a valid station name
 * or a 400 that names the argument, and the refusal is JSON a client can
 * read. Run: make fuzz (FUZZ_SECONDS=..). */
#include <stdint.h>
#include <string.h>

#include "fuzz_check.h"
#include "lull/station.h"
#include "server/request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  lull_direct_req r;
  memset(&r, 0, sizeof r);
  int rc = lull__direct_query((const char *)data, size, &r);
  FUZZ_CHECK(memchr(r.station, 0, sizeof r.station) && memchr(r.code, 0, sizeof r.code) &&
                 memchr(r.field, 0, sizeof r.field) && memchr(r.message, 0, sizeof r.message),
             "texts end within their buffers");
  if (rc == 0) {
    FUZZ_CHECK(r.status == 0 && !r.code[0], "an accepted query carries no refusal");
    FUZZ_CHECK(lull_station_name_valid(r.station), "an accepted query names a valid station");
    /* The name is the query's, never one cut to fit. */
    FUZZ_CHECK(strcmp(r.station, "main") == 0 || fuzz_contains((const char *)data, size, r.station, strlen(r.station)),
               "the station is main or one the query names");
    return 0;
  }
  FUZZ_CHECK(rc == 400 && r.status == 400 && r.reason, "a bad query is a 400");
  FUZZ_CHECK(strcmp(r.code, "bad_request") == 0 || strcmp(r.code, "bad_station") == 0,
             "a bad query is bad_request or bad_station");
  fuzz_check_error_json(r.code, r.field, r.message);
  return 0;
}
