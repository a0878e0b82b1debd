/* libFuzzer driver for Icecast output URLs (lull__icecast_url_parse,
 * server/icecast_url.c): any text is refused with a message, or gives a
 * target whose parts are those of the URL, of the allowed characters and
 * ranges, as the usage text has them: icecast://[USER@]HOST[:PORT]/MOUNT
 * ending .ogg, .opus or .mp3. Run: make fuzz (FUZZ_SECONDS=..). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "lull/icecast.h"
#include "server/icecast_url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int only(const char *s, const char *allowed) { return s[0] && strspn(s, allowed) == strlen(s); }

static int ends_with(const char *s, const char *tail) {
  size_t n = strlen(s), k = strlen(tail);
  return n >= k && strcmp(s + n - k, tail) == 0;
}

#define ALNUM "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *url = fuzz_cstr(data, size); /* a command-line argument */
  lull_icecast_target t;
  lull_diag d;
  memset(&d, 0, sizeof d);
  int err = lull__icecast_url_parse(url, &t, &d);
  lull_diag d2;
  FUZZ_CHECK(lull_icecast_check_url(url, &d2) == err, "lull_icecast_check_url agrees");
  if (err == LULL_OK) {
    FUZZ_CHECK(strncmp(url, "icecast://", 10) == 0, "the scheme is icecast://");
    FUZZ_CHECK(only(t.user, ALNUM "._-") && only(t.host, ALNUM ".-"), "user and host are of the allowed characters");
    FUZZ_CHECK(t.port >= 1 && t.port <= 65535, "the port is 1..65535");
    FUZZ_CHECK(t.mount[0] == '/' && t.mount[1], "the mount is /NAME");
    FUZZ_CHECK(t.mp3 ? ends_with(t.mount, ".mp3") : ends_with(t.mount, ".ogg") || ends_with(t.mount, ".opus"),
               "the mount's ending is the format");
    /* libshout sends the mount in its request line: one token, with no
     * space or control character (a CR LF would start a header), ?, #,
     * quote or backslash. */
    for (const unsigned char *m = (const unsigned char *)t.mount; *m; m++)
      FUZZ_CHECK(*m > 0x20 && *m != 0x7f && !strchr("?#\"\\", *m), "the mount is one clean token");
    /* The URL is exactly what the target says, its port in digits. */
    const char *authority = url + 10;
    int default_user = !memchr(authority, '@', strcspn(authority, "/"));
    const char *after_host = authority + (default_user ? 0 : strlen(t.user) + 1) + strlen(t.host);
    size_t port_len = 0; /* ":" and the digits */
    if (*after_host == ':') {
      size_t n = strcspn(after_host + 1, "/");
      FUZZ_CHECK(n >= 1 && strspn(after_host + 1, "0123456789") == n, "the port is digits");
      FUZZ_CHECK(strtoul(after_host + 1, NULL, 10) == t.port, "the port is the URL's");
      port_len = n + 1;
    }
    char *again = malloc(size + 16);
    if (!again) abort();
    snprintf(again, size + 16, "icecast://%s%s%s%.*s%s", default_user ? "" : t.user, default_user ? "" : "@", t.host,
             (int)port_len, after_host, t.mount);
    FUZZ_CHECK(strcmp(again, url) == 0, "the URL is the target's parts, nothing more");
    free(again);
  } else {
    FUZZ_CHECK(err == LULL_EINVAL && d.message[0] && strcmp(d.field, "url") == 0, "a refusal names the url and why");
  }
  free(url);
  return 0;
}
