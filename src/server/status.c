/* Every JSON text that reports on the server: /api/status, /api/stations,
 * /api/metrics, and the log's periodic metrics line (/metrics, the
 * Prometheus text, is prometheus.c's). Counters are read without locks (relaxed atomics): a report is a
 * snapshot, each figure exact but not all from the same instant. */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "lull/lull.h"
#include "server/conn.h"
#include "stream/stream.h"

void lull__sb_printf(sbuf *b, const char *fmt, ...) {
  for (;;) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if (b->p && b->len + (size_t)n < b->cap) {
      b->len += (size_t)n;
      return;
    }
    size_t cap = b->cap ? b->cap * 2 : 4096;
    while (cap < b->len + (size_t)n + 1) cap *= 2;
    char *q = realloc(b->p, cap);
    if (!q) return;
    b->p = q;
    b->cap = cap;
  }
}

/* Listeners of station i: by kind into l (if given), the total returned. */
uint32_t lull__station_listeners(lull_server *srv, size_t i, uint32_t l[LULL_FEED_KINDS]) {
  uint32_t total = 0;
  for (int k = 0; k < LULL_FEED_KINDS; k++) {
    uint32_t n = atomic_load(&srv->sstats[i].listeners[k]);
    if (l) l[k] = n;
    total += n;
  }
  return total;
}

/* Minutes of recent audio a station keeps for recent.ogg (0: none). */
static unsigned recent_minutes(lull_station *st) {
  const lull_recent *r = lull__station_recent(st);
  return r ? r->seconds / 60u : 0;
}


int lull__steer_json(char *out, size_t cap, const lull_server *srv, size_t i, const lull_station_now *now) {
  const char *steer = srv->steer[i] == STEER_PERSONAL ? "personal" : lull_steer_name(srv->steer[i]);
  if (!now->changed_fields) return snprintf(out, cap, "\"steer\":\"%s\",\"change\":null", steer);
  char fields[64];
  lull__param_names(fields, sizeof fields, now->changed_fields, 1);
  uint64_t now_ms = lull__now_ms(), at_ms = now->changed_ns / 1000000u;
  /* "heard_at": the sample position from which the change sounds (the
   * stream's packets carry theirs), when the station knows it. */
  char heard[40] = "";
  if (now->changed_at) snprintf(heard, sizeof heard, ",\"heard_at\":%llu", (unsigned long long)now->changed_at);
  return snprintf(out, cap, "\"steer\":\"%s\",\"change\":{\"by\":\"%s\",\"fields\":[%s],\"ago_ms\":%llu%s}",
                  steer, lull_by_name(now->changed_by), fields,
                  (unsigned long long)(now_ms > at_ms ? now_ms - at_ms : 0), heard);
}

int lull__face_json(char *out, size_t cap, const lull_server *srv, size_t i, const lull_station_now *now) {
  /* Checked at create (station_text.c): UTF-8 without control characters,
   * so escaping at most doubles them (quotes, backslashes). */
  const lull_station *st = srv->stations[i];
  char title[2 * 4 * LULL_STATION_TITLE_MAX + 8], about[2 * 4 * LULL_STATION_DESCRIPTION_MAX + 8], steer[STEER_JSON_BYTES];
  lull_station_face face;
  lull_station_get_face(st, &face);
  lull__json_escape(title, sizeof title, face.title);
  lull__json_escape(about, sizeof about, face.description);
  lull__steer_json(steer, sizeof steer, srv, i, now);
  return snprintf(out, cap, "\"title\":\"%s\",\"description\":\"%s\",%s", title, about, steer);
}

void lull__station_json(lull_server *srv, sbuf *b, size_t i) {
  lull_station *st = srv->stations[i];
  lull_station_now now;
  lull_station_metrics m;
  lull_station_get_now(st, &now);
  lull_station_get_metrics(st, &m);
  char params[256];
  lull__params_json(params, sizeof params, &now.params);
  uint32_t l[LULL_FEED_KINDS], total = lull__station_listeners(srv, i, l);
  char face[FACE_JSON_BYTES];
  lull__face_json(face, sizeof face, srv, i, &now);
  /* The day cycle: null when off, else the hour the light came from. */
  char day[160] = "null";
  if (now.daycycle)
    snprintf(day, sizeof day, "{\"cycle\":true,\"clock\":\"%s\",\"hour\":%.2f,\"light\":%.3f,\"phase\":\"%s\"}",
             now.daycycle == LULL_DAYCYCLE_CLOCK ? "local" : "fixed", (double)now.day_hour, (double)now.day_light,
             lull_day_phase(now.day_hour));
  lull__sb_printf(b,
            "{\"name\":\"%s\",%s,\"params\":%s,\"day\":%s,\"now\":{\"chord\":\"%s\",\"bar\":%llu,\"section\":%u,"
            "\"key\":\"%s\",\"mode\":\"%s\",\"home\":%s},"
            "\"listeners\":{\"total\":%u,\"ws_opus\":%u,\"ws_pcm\":%u,\"ogg\":%u,\"mp3\":%u},"
            "\"lead_ms\":%.2f,\"lead_ms_min\":%.2f,\"lead_ms_max\":%.2f,\"burst_ms\":%u,\"skip_ms\":%u,"
            "\"frames\":%llu,\"late_frames\":%llu,\"faults\":%llu,\"encode_us_mean\":%.1f,\"realtime\":%s,"
            "\"recent_minutes\":%u}",
            lull_station_name(st), face, params, day, now.chord, (unsigned long long)now.bar, now.section,
            lull_key_name(now.key), lull_mode_name(now.mode),
            now.key == now.params.key && now.mode == now.params.mode ? "true" : "false", total, l[0], l[1], l[2],
            l[3], m.lead_ms, m.lead_ms_min, m.lead_ms_max, srv->cfg.burst_ms, srv->cfg.skip_ms,
            (unsigned long long)m.frames, (unsigned long long)m.late_frames, (unsigned long long)m.faults,
            m.encode_us_mean, m.realtime ? "true" : "false", recent_minutes(st));
}

lull__totals lull__worker_totals(lull_server *srv) {
  lull__totals t = {0};
  for (unsigned i = 0; i < srv->n_workers; i++) {
    t.bytes += atomic_load_explicit(&srv->workers[i].bytes, memory_order_relaxed);
    t.writes += atomic_load_explicit(&srv->workers[i].writes, memory_order_relaxed);
    t.dropped += atomic_load_explicit(&srv->workers[i].dropped, memory_order_relaxed);
    t.slow_closed += atomic_load_explicit(&srv->workers[i].slow_closed, memory_order_relaxed);
  }
  return t;
}

/* Every palette with its one line: the page builds its picker from these. */
static void palettes_json(sbuf *b) {
  for (int i = 0; i < LULL_PALETTE_COUNT; i++) {
    char about[256];
    lull__json_escape(about, sizeof about, lull_palette_describe(i));
    lull__sb_printf(b, "%s{\"name\":\"%s\",\"about\":\"%s\"}", i ? "," : "", lull_palette_name(i), about);
  }
}

void lull__status_json(lull_server *srv, sbuf *b) {
  lull__sb_printf(b, "{\"version\":\"%s\",\"uptime_s\":%.1f,\"listeners\":%u,\"max_clients\":%u,\"threads\":%u,"
               "\"packets_per_message\":%u,\"http_write_ms\":%u,\"control_token\":%s,\"stations\":[",
            LULL_VERSION, (double)(lull__now_ms() - srv->start_ms) / 1000.0, atomic_load(&srv->listeners), srv->cfg.max_clients,
            srv->n_workers, srv->cfg.packets_per_message, srv->cfg.http_write_ms, srv->token[0] ? "true" : "false");
  uint16_t held[LULL_SERVER_MAX_STATIONS];
  size_t ns = lull__stations_hold(srv, held);
  for (size_t j = 0; j < ns; j++) {
    if (j) lull__sb_printf(b, ",");
    lull__station_json(srv, b, held[j]);
  }
  lull__stations_put(srv, held, ns);
  lull__sb_printf(b, "],\"icecast\":[");
  pthread_mutex_lock(&srv->icecast_lock);
  for (size_t i = 0; i < srv->n_icecast; i++) {
    lull_icecast_status st;
    lull_icecast_get_status(srv->icecast[i], &st);
    char err[sizeof st.last_error * 2];
    lull__json_escape(err, sizeof err, st.last_error); /* libshout's messages may hold quotes */
    lull__sb_printf(b,
              "%s{\"station\":\"%s\",\"url\":\"%s\",\"state\":\"%s\",\"last_error\":\"%s\",\"bytes_sent\":%llu,"
              "\"queue_bytes\":%u,\"connects\":%llu,\"failures\":%llu,\"skipped_pages\":%llu,\"retry_in_s\":%.1f}",
              i ? "," : "", lull_station_name(srv->stations[srv->icecast_station[i]]), st.url,
              lull_icecast_state_name(st.state), err, (unsigned long long)st.bytes_sent, st.queue_bytes,
              (unsigned long long)st.connects, (unsigned long long)st.failures, (unsigned long long)st.skipped_pages,
              st.retry_in_s);
  }
  pthread_mutex_unlock(&srv->icecast_lock);
  lull__sb_printf(b, "],\"personal\":{\"running\":%u,\"max\":%u,\"idle_s\":%u,\"started\":%llu,\"refused\":%llu}",
                  lull__personal_running(srv), srv->cfg.max_personal, srv->cfg.personal_idle_s,
                  (unsigned long long)atomic_load(&srv->personal_started),
                  (unsigned long long)atomic_load(&srv->personal_refused));
  lull__sb_printf(b, ",\"palettes\":[");
  palettes_json(b);
  lull__sb_printf(b, "]}\n");
}

void lull__metrics_json(lull_server *srv, sbuf *b) {
  lull__totals t = lull__worker_totals(srv);
  lull__sb_printf(b, "{\"uptime_s\":%.1f,\"listeners\":%u", (double)(lull__now_ms() - srv->start_ms) / 1000.0,
            atomic_load(&srv->listeners));
#define X(name, help) lull__sb_printf(b, ",\"" #name "\":%llu", (unsigned long long)atomic_load(&srv->name));
  LULL_SERVER_COUNTERS(X)
#undef X
  lull__sb_printf(b, ",\"bytes_sent\":%llu,\"sends\":%llu,\"packets_dropped\":%llu,\"slow_disconnects\":%llu,\"stations\":{",
            (unsigned long long)t.bytes, (unsigned long long)t.writes, (unsigned long long)t.dropped,
            (unsigned long long)t.slow_closed);
  uint16_t held[LULL_SERVER_MAX_STATIONS];
  size_t ns = lull__stations_hold(srv, held);
  for (size_t j = 0; j < ns; j++) {
    size_t i = held[j];
    lull_station_metrics m;
    lull_station_get_metrics(srv->stations[i], &m);
    lull__sb_printf(b, "%s\"%s\":{\"frames\":%llu,\"late_frames\":%llu,\"faults\":%llu,\"plugin_faults\":%u,"
              "\"commands\":%llu,\"lead_ms\":%.2f}",
              j ? "," : "", lull_station_name(srv->stations[i]), (unsigned long long)m.frames,
              (unsigned long long)m.late_frames, (unsigned long long)m.faults, m.plugin_faults,
              (unsigned long long)m.commands, m.lead_ms);
  }
  lull__stations_put(srv, held, ns);
  lull__sb_printf(b, "}}\n");
}

void lull__metrics_line(lull_server *srv) {
  lull__totals t = lull__worker_totals(srv);
  uint64_t ms = lull__now_ms(), lb = srv->metrics_bytes, lm = srv->metrics_ms;
  srv->metrics_bytes = t.bytes;
  srv->metrics_ms = ms;
  double kbit = lm && ms > lm ? (double)(t.bytes - lb) * 8.0 / (double)(ms - lm) : 0;
  char st[512] = "";
  size_t n = 0;
  uint16_t held[LULL_SERVER_MAX_STATIONS];
  size_t ns = lull__stations_hold(srv, held);
  for (size_t j = 0; j < ns && n < sizeof st - 64; j++) {
    size_t i = held[j];
    lull_station_metrics m;
    lull_station_get_metrics(srv->stations[i], &m);
    n += (size_t)snprintf(st + n, sizeof st - n, "%s %s: %u listening, lead %.1f ms, late %llu", j ? ";" : "",
                          lull_station_name(srv->stations[i]),
                          lull__station_listeners(srv, i, NULL), m.lead_ms, (unsigned long long)m.late_frames);
  }
  lull__stations_put(srv, held, ns);
  lull__log(srv, LULL_LOG_INFO, "metrics: %u listeners, %.0f kbit/s out, %llu packets dropped, %llu slow closed;%s",
       atomic_load(&srv->listeners), kbit, (unsigned long long)t.dropped, (unsigned long long)t.slow_closed, st);
}

void lull__stations_json(lull_server *srv, sbuf *b) {
  lull__sb_printf(b, "{\"stations\":[");
  uint16_t held[LULL_SERVER_MAX_STATIONS];
  size_t ns = lull__stations_hold(srv, held);
  for (size_t j = 0; j < ns; j++) {
    size_t i = held[j];
    lull_station *st = srv->stations[i];
    /* Where the music is too, not just its params: a station card shows it. */
    lull_station_now now;
    lull_station_get_now(st, &now);
    char params[256], face[FACE_JSON_BYTES];
    lull__params_json(params, sizeof params, &now.params);
    lull__face_json(face, sizeof face, srv, i, &now);
    lull__sb_printf(b, "%s{\"name\":\"%s\",%s,\"params\":%s,\"now\":{\"chord\":\"%s\",\"key\":\"%s\",\"mode\":\"%s\"},"
                    "\"listeners\":%u,\"recent_minutes\":%u}", j ? "," : "", lull_station_name(st), face, params, now.chord,
                    lull_key_name(now.key), lull_mode_name(now.mode), lull__station_listeners(srv, i, NULL),
                    recent_minutes(st));
  }
  lull__stations_put(srv, held, ns);
  lull__sb_printf(b, "]}\n");
}
