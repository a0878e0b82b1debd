/* Icecast output URLs, icecast://[USER@]HOST[:PORT]/MOUNT.ogg|.opus|.mp3:
 * read into the target the output logs in to, or refused with what is
 * allowed. Pure text, apart from icecast.c so that its fuzzer needs no
 * libshout. */
#include "server/icecast_url.h"

#include <stdlib.h>
#include <string.h>

#include "lull/icecast.h"

int lull__icecast_url_parse(const char *url, lull_icecast_target *t, lull_diag *d) {
  memset(t, 0, sizeof *t);
  static const char scheme[] = "icecast://";
  if (!url || strncmp(url, scheme, sizeof scheme - 1) != 0)
    return lull_diag_set(d, LULL_EINVAL, "url", "must start with icecast:// (icecast://[USER@]HOST[:PORT]/MOUNT.ogg), got \"%.80s\"",
                         url ? url : "");
  const char *p = url + sizeof scheme - 1, *slash = strchr(p, '/');
  if (!slash) return lull_diag_set(d, LULL_EINVAL, "url", "needs a mount: icecast://HOST:PORT/MOUNT.ogg");
  const char *at = memchr(p, '@', (size_t)(slash - p));
  if (memchr(p, ':', (size_t)((at ? at : slash) - p)) && at)
    return lull_diag_set(d, LULL_EINVAL, "url",
                         "must not hold a password (USER:PASSWORD@); give it in LULL_ICECAST_PASSWORD or a file");
  if (at) {
    if (at == p || (size_t)(at - p) >= sizeof t->user) return lull_diag_set(d, LULL_EINVAL, "url", "bad user before @");
    memcpy(t->user, p, (size_t)(at - p));
    p = at + 1;
  } else {
    strcpy(t->user, "source");
  }
  const char *colon = memchr(p, ':', (size_t)(slash - p));
  const char *hend = colon ? colon : slash;
  if (hend == p || (size_t)(hend - p) >= sizeof t->host) return lull_diag_set(d, LULL_EINVAL, "url", "needs a host");
  memcpy(t->host, p, (size_t)(hend - p));
  if (strspn(t->host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") != strlen(t->host))
    return lull_diag_set(d, LULL_EINVAL, "url", "the host must be a name or an IPv4 address, got \"%.80s\"", t->host);
  if (strspn(t->user, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != strlen(t->user))
    return lull_diag_set(d, LULL_EINVAL, "url", "the user may hold letters, digits, '.', '_' and '-' only");
  t->port = 8000;
  if (colon) {
    /* Digits only: strtoul alone would also take spaces, CR LF and a sign
     * before them. */
    size_t digits = strspn(colon + 1, "0123456789");
    char *end;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (!digits || colon + 1 + digits != slash || end != slash || port < 1 || port > 65535)
      return lull_diag_set(d, LULL_EINVAL, "url", "the port must be 1..65535, got \"%.*s\"", (int)(slash - colon - 1), colon + 1);
    t->port = (unsigned)port;
  }
  size_t mlen = strlen(slash);
  /* libshout puts the mount in its request line: a control character (CR
   * LF above all) would end that line and start a header. */
  int control = 0;
  for (const unsigned char *m = (const unsigned char *)slash; *m; m++) control |= *m < 0x20 || *m == 0x7f;
  if (mlen < 2 || mlen >= sizeof t->mount || strpbrk(slash, " ?#\"\\") || control)
    return lull_diag_set(d, LULL_EINVAL, "url",
                         "the mount must be /NAME.ogg, /NAME.opus or /NAME.mp3 without spaces, control characters, ? or #");
  strcpy(t->mount, slash);
  const char *dot = strrchr(t->mount, '.');
  if (dot && strcmp(dot, ".mp3") == 0)
    t->mp3 = 1;
  else if (!dot || (strcmp(dot, ".ogg") != 0 && strcmp(dot, ".opus") != 0))
    return lull_diag_set(d, LULL_EINVAL, "url", "the mount must end in .ogg or .opus (Ogg/Opus) or .mp3 (MP3), got \"%s\"", t->mount);
  return LULL_OK;
}

int lull_icecast_check_url(const char *url, lull_diag *diag) {
  lull_icecast_target t;
  return lull__icecast_url_parse(url, &t, diag);
}
