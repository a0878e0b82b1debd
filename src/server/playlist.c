/* Where a station's streams are, as absolute URLs a client can use from
 * where it stands: the scheme and host it reached the server by (its Host,
 * once the server's host check passes it; behind a trusted proxy, the
 * scheme the proxy names in X-Forwarded-Proto), and the playlists that list
 * every station's Ogg and MP3 streams, /listen.m3u and /listen.pls. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lull/lull.h"
#include "server/conn.h"

void lull__mount_path(char *out, size_t cap, const char *name, int kind) {
  const char *ext = kind == LULL_FEED_MP3 ? "mp3" : "ogg";
  /* /stream.ogg is the query form (station "main" unless it says): a
   * station called "stream" is named there. */
  if (strcmp(name, "stream") == 0)
    snprintf(out, cap, "/stream.%s?station=stream", ext);
  else
    snprintf(out, cap, "/%s.%s", name, ext);
}

static int host_chars_ok(const char *h) {
  if (!*h) return 0;
  for (; *h; h++)
    if (!((*h >= 'a' && *h <= 'z') || (*h >= 'A' && *h <= 'Z') || (*h >= '0' && *h <= '9') || strchr(".-:[]", *h)))
      return 0;
  return 1;
}

unsigned lull__base_url(const lull_server *srv, const char *host, const char *proto, int proxied, char *out, size_t cap,
                        const char **field, const char **why) {
  const char *scheme = srv->tls_cert[0] ? "https" : "http";
  if (proxied && proto && *proto) {
    /* "https" or a list of them, the client's hop first ("https, http"). */
    size_t skip = strspn(proto, " \t"), n = strcspn(proto + skip, ", \t");
    if (n == 5 && strncasecmp(proto + skip, "https", 5) == 0)
      scheme = "https";
    else if (n == 4 && strncasecmp(proto + skip, "http", 4) == 0)
      scheme = "http";
    else {
      *field = "x-forwarded-proto";
      *why = "X-Forwarded-Proto must be http or https";
      return 400;
    }
  }
  if (!host || !*host) { /* HTTP/1.0: the address the server is bound to */
    snprintf(out, cap, strchr(srv->bind, ':') ? "%s://[%s]:%u" : "%s://%s:%u", scheme, srv->bind, srv->port);
    return 0;
  }
  *field = "host";
  if (strlen(host) > 255 || !host_chars_ok(host)) {
    *why = "malformed Host header";
    return 400;
  }
  if (!lull__host_name_ok(srv, host)) {
    *why = "this server does not answer to that host name (--allow-host)";
    return 403;
  }
  snprintf(out, cap, "%s://%s", scheme, host);
  return 0;
}

unsigned lull__request_base_url(struct lws *wsi, lull_server *srv, char *out, size_t cap, const char **field,
                                const char **why) {
  char host[300] = "", proto[64] = "";
  if (lws_hdr_total_length(wsi, WSI_TOKEN_HOST) >= (int)sizeof host) {
    *field = "host";
    *why = "malformed Host header";
    return 400;
  }
  lws_hdr_copy(wsi, host, sizeof host, WSI_TOKEN_HOST);
  conn *c = lull__conn_of(wsi);
  int proxied = c && c->proxied;
  if (proxied && lws_hdr_custom_length(wsi, "x-forwarded-proto:", 18) > 0 &&
      lws_hdr_custom_copy(wsi, proto, sizeof proto, "x-forwarded-proto:", 18) < 0) { /* too long to be one */
    *field = "x-forwarded-proto";
    *why = "X-Forwarded-Proto must be http or https";
    return 400;
  }
  return lull__base_url(srv, host, proto, proxied, out, cap, field, why);
}

/* /listen.m3u (pls 0) or /listen.pls (1): Ogg/Opus then MP3 of each station. */
int lull__playlist(struct lws *wsi, lull_server *srv, int pls) {
  char base[320];
  const char *field = "", *why = "";
  unsigned status = lull__request_base_url(wsi, srv, base, sizeof base, &field, &why);
  if (status) return lull__respond_error(wsi, status, status == 403 ? "forbidden_host" : "bad_request", field, why);
  static const int kinds[] = {LULL_FEED_OGG, LULL_FEED_MP3};
  static const char *const formats[] = {"Ogg/Opus", "MP3"};
  sbuf b = {0};
  uint16_t held[LULL_SERVER_MAX_STATIONS];
  size_t ns = lull__stations_hold(srv, held);
  lull__sb_printf(&b, pls ? "[playlist]\nNumberOfEntries=%zu\n" : "#EXTM3U\n", 2 * ns);
  for (size_t i = 0; i < ns; i++)
    for (int k = 0; k < 2; k++) {
      const lull_station *st = srv->stations[held[i]];
      lull_station_face face;
      lull_station_get_face(st, &face);
      char path[64];
      lull__mount_path(path, sizeof path, lull_station_name(st), kinds[k]);
      size_t n = 2 * i + (size_t)k + 1;
      if (pls)
        lull__sb_printf(&b, "File%zu=%s%s\nTitle%zu=%s (%s)\nLength%zu=-1\n", n, base, path, n, face.title,
                        formats[k], n);
      else
        lull__sb_printf(&b, "#EXTINF:-1,%s (%s)\n%s%s\n", face.title, formats[k], base, path);
    }
  lull__stations_put(srv, held, ns);
  if (pls) lull__sb_printf(&b, "Version=2\n");
  int rc = b.p ? lull__respond(wsi, 200, pls ? "audio/x-scpls" : "audio/x-mpegurl", b.p, b.len)
               : lull__respond_error(wsi, 503, "out_of_memory", "", "out of memory");
  free(b.p);
  return rc;
}
