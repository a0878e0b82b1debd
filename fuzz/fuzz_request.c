/* libFuzzer driver for the request head as the worker sees it (the first
 * MAX_HEAD bytes; lull__direct_parse, server/request.c): any bytes, read
 * only within their length, are not a stream request (-1), a request to
 * serve (a GET or HEAD of /stream.ogg, /stream.mp3 or a mount /NAME.ogg,
 * /NAME.mp3, whose head ends and names a valid station), or a 400 or 431 with a refusal the server can
 * send.
 * Seeds: real heads for every route, WebSocket upgrades, HEAD, bad ones.
 * Run: make fuzz (FUZZ_SECONDS=..). */
#include <stdint.h>
#include <string.h>

#include "fuzz_check.h"
#include "lull/station.h"
#include "server/hub.h"
#include "server/request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* conn.h's, which would bring libwebsockets and libev with it. */
#define MAX_HEAD 2048

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > MAX_HEAD) return 0; /* the worker never reads more */
  lull_direct_req r;
  int rc = lull__direct_parse((const char *)data, size, &r);
  FUZZ_CHECK(memchr(r.station, 0, sizeof r.station) && memchr(r.code, 0, sizeof r.code) &&
                 memchr(r.field, 0, sizeof r.field) && memchr(r.message, 0, sizeof r.message),
             "texts end within their buffers");
  size_t len = strnlen((const char *)data, size); /* what the worker's C string holds */
  int get = len >= 4 && memcmp(data, "GET ", 4) == 0, head = len >= 5 && memcmp(data, "HEAD ", 5) == 0;
  if (rc < 0) {
    FUZZ_CHECK(r.status == 400 && strcmp(r.code, "bad_request") == 0, "not a stream request: 400 if answered");
  } else {
    FUZZ_CHECK(get || head, "a stream request is a GET or a HEAD");
    FUZZ_CHECK(r.is_head == head, "is_head is the method");
    FUZZ_CHECK(r.kind == LULL_FEED_OGG || r.kind == LULL_FEED_MP3, "a stream is Ogg or MP3");
    const char *path = (const char *)data + (head ? 5 : 4);
    size_t plen = 0, room = len - (size_t)(path - (const char *)data);
    while (plen < room && !strchr(" ?\r\n", path[plen])) plen++;
    if (!r.mount) {
      FUZZ_CHECK(memcmp(path, r.kind == LULL_FEED_OGG ? "/stream.ogg" : "/stream.mp3", 11) == 0, "the path names the stream");
    } else {
      char name[40];
      FUZZ_CHECK(lull__mount_parse(path, plen, name, sizeof name) == r.kind, "a mount's extension names the stream");
      FUZZ_CHECK(plen >= 5 && path[0] == '/' && !memchr(path + 1, '/', plen - 1), "a mount is one segment");
      if (rc == 0) FUZZ_CHECK(strcmp(name, r.station) == 0, "a mount names its station");
    }
  }
  if (rc == 0) {
    FUZZ_CHECK(r.status == 0 && !r.code[0], "a request to serve carries no refusal");
    FUZZ_CHECK(lull_station_name_valid(r.station), "a request to serve names a valid station");
    FUZZ_CHECK(fuzz_contains((const char *)data, len, "\r\n\r\n", 4), "a request to serve has its whole head");
  } else if (rc > 0) {
    FUZZ_CHECK((unsigned)rc == r.status && (rc == 400 || rc == 431) && r.reason, "a refusal is a 400 or a 431");
  }
  if (rc) fuzz_check_error_json(r.code, r.field, r.message);
  return 0;
}
