/* GET /status-json.xsl: the server and its mounts in the shape Icecast 2.4
 * gives, so that directory scripts and dashboards written for Icecast read
 * lull unchanged. A station has two mounts, /NAME.ogg and /NAME.mp3 (one
 * source each, as Icecast lists one per mount); ?mount=/NAME.mp3 picks one.
 * Icecast's quirks are kept: "source" is one object when there is one
 * source and an array when there are more, keys are in Icecast's (sorted)
 * order, and each source ends in "dummy":null. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lull/lull.h"
#include "server/conn.h"
#include "server/icy.h"
#include "server/request.h"
#include "stream/stream.h"

/* Icecast's two forms of a time, in UTC: "Tue, 01 Dec 2026 14:46:17 +0000"
 * and "2026-12-01T14:46:17+0000" (English names whatever the locale). */
static void times(int64_t unix_s, char rfc[64], char iso[64]) {
  static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  time_t t = (time_t)unix_s;
  struct tm tm;
  gmtime_r(&t, &tm);
  snprintf(rfc, 64, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12],
           tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  snprintf(iso, 64, "%04d-%02d-%02dT%02d:%02d:%02d+0000", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
           tm.tm_min, tm.tm_sec);
}

/* One source: station i's stream of this kind. */
static void source_json(lull_server *srv, sbuf *b, size_t i, int kind, const char *base, const char *rfc, const char *iso) {
  const lull_station *st = srv->stations[i];
  lull_station_now now;
  lull_station_get_now(st, &now);
  char path[64], name[2 * 4 * LULL_STATION_TITLE_MAX + 8], about[2 * 4 * LULL_STATION_DESCRIPTION_MAX + 8],
      title[LULL_ICY_TITLE_MAX], title_json[2 * LULL_ICY_TITLE_MAX], url[2 * 320];
  lull__mount_path(path, sizeof path, lull_station_name(st), kind);
  lull_station_face face;
  lull_station_get_face(st, &face);
  lull__json_escape(name, sizeof name, face.title);
  const char *d = face.description;
  lull__json_escape(about, sizeof about, d[0] ? d : LULL_ICY_DESCRIPTION);
  lull__icy_title(title, sizeof title, &now);
  lull__json_escape(title_json, sizeof title_json, title);
  lull__json_escape(url, sizeof url, base);
  unsigned kbit = (kind == LULL_FEED_MP3 ? LULL_MP3_BITRATE : lull__station_bitrate(st)) / 1000u;
  lull__sb_printf(b,
                  "{\"audio_info\":\"bitrate=%u;samplerate=48000;channels=2\",\"bitrate\":%u,\"channels\":2,"
                  "\"genre\":\"" LULL_ICY_GENRE "\",\"listener_peak\":%u,\"listeners\":%u,\"listenurl\":\"%s%s\","
                  "\"samplerate\":48000,\"server_description\":\"%s\",\"server_name\":\"%s\",\"server_type\":\"%s\","
                  "\"server_url\":\"%s/\",\"stream_start\":\"%s\",\"stream_start_iso8601\":\"%s\",%s\"title\":\"%s\","
                  "\"dummy\":null}",
                  kbit, kbit, atomic_load(&srv->sstats[i].peak[kind]), atomic_load(&srv->sstats[i].listeners[kind]), url,
                  path, about, name, kind == LULL_FEED_MP3 ? "audio/mpeg" : "audio/ogg", url, rfc, iso,
                  kind == LULL_FEED_MP3 ? "" : "\"subtype\":\"Opus\",", title_json);
}

/* The only argument, mount=/NAME.ogg or /NAME.mp3: 0 with *station and
 * *kind (-1: none given), or the refusal's result with *refused set. */
static int mount_arg(struct lws *wsi, lull_server *srv, int *station, int *kind, int *refused) {
  char frag[300];
  *refused = 1;
  *station = *kind = -1;
  for (int i = 0; lws_hdr_copy_fragment(wsi, frag, sizeof frag, WSI_TOKEN_HTTP_URI_ARGS, i) > 0; i++) {
    if (strncmp(frag, "mount=", 6) != 0) {
      char m[160];
      frag[strcspn(frag, "=")] = 0;
      snprintf(m, sizeof m, "unknown query argument \"%.60s\" (mount=/NAME.ogg or /NAME.mp3 is the only one)", frag);
      return lull__respond_error(wsi, 400, "bad_request", frag, m);
    }
    char name[40];
    const char *v = frag + 6;
    if ((*kind = lull__mount_parse(v, strlen(v), name, sizeof name)) < 0) {
      /* /stream.ogg and /stream.mp3 play "main" (no station= can follow here). */
      *kind = strcmp(v, "/stream.mp3") == 0 ? LULL_FEED_MP3 : strcmp(v, "/stream.ogg") == 0 ? LULL_FEED_OGG : -1;
      if (*kind < 0) return lull__respond_error(wsi, 400, "bad_mount", "mount", "a mount is /NAME.ogg or /NAME.mp3");
      snprintf(name, sizeof name, "main");
    }
    /* The configured stations only: personal ones are in no public list. */
    if (!lull_station_name_valid(name))
      return lull__respond_error(wsi, 400, "bad_station", "mount", "station names are 1..32 of a-z, 0-9 and -");
    if (*station >= 0) lull__station_put(srv, *station); /* a second mount= */
    if ((*station = strncmp(name, "p-", 2) ? lull__station_find(srv, name) : -1) < 0) {
      char m[160];
      snprintf(m, sizeof m, "no mount \"%.60s\" (GET /status-json.xsl lists them)", v);
      return lull__respond_error(wsi, 404, "unknown_mount", "mount", m);
    }
  }
  *refused = 0;
  return 0;
}

int lull__icestats(struct lws *wsi, lull_server *srv) {
  int station, kind, refused;
  int rc = mount_arg(wsi, srv, &station, &kind, &refused);
  if (refused) {
    lull__station_put(srv, station);
    return rc;
  }
  char base[320];
  const char *field = "", *why = "";
  unsigned status = lull__request_base_url(wsi, srv, base, sizeof base, &field, &why);
  if (status) {
    lull__station_put(srv, station);
    return lull__respond_error(wsi, status, status == 403 ? "forbidden_host" : "bad_request", field, why);
  }
  /* Icecast's host is a name without scheme or port. */
  char host[256], host_json[512];
  const char *h = strstr(base, "://") + 3;
  size_t hl = h[0] == '[' ? strcspn(h, "]") + (strchr(h, ']') != NULL) : strcspn(h, ":");
  snprintf(host, sizeof host, "%.*s", (int)hl, h);
  lull__json_escape(host_json, sizeof host_json, host);
  char rfc[64], iso[64];
  times(srv->start_unix, rfc, iso);
  sbuf b = {0};
  lull__sb_printf(&b,
                  "{\"icestats\":{\"admin\":\"\",\"host\":\"%s\",\"location\":\"\",\"server_id\":\"lull %s\","
                  "\"server_start\":\"%s\",\"server_start_iso8601\":\"%s\",\"source\":",
                  host_json, LULL_VERSION, rfc, iso);
  if (station >= 0) {
    source_json(srv, &b, (size_t)station, kind, base, rfc, iso);
    lull__station_put(srv, station);
  } else {
    /* Two sources a station: always more than one, an array. */
    lull__sb_printf(&b, "[");
    uint16_t held[LULL_SERVER_MAX_STATIONS];
    size_t ns = lull__stations_hold(srv, held);
    for (size_t i = 0; i < ns; i++) {
      lull__sb_printf(&b, i ? "," : "");
      source_json(srv, &b, held[i], LULL_FEED_MP3, base, rfc, iso); /* Icecast's order: by mount, .mp3 before .ogg */
      lull__sb_printf(&b, ",");
      source_json(srv, &b, held[i], LULL_FEED_OGG, base, rfc, iso);
    }
    lull__stations_put(srv, held, ns);
    lull__sb_printf(&b, "]");
  }
  lull__sb_printf(&b, "}}\n");
  rc = b.p ? lull__respond(wsi, 200, "application/json", b.p, b.len)
           : lull__respond_error(wsi, 503, "out_of_memory", "", "out of memory");
  free(b.p);
  return rc;
}
