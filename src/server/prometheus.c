/* GET /metrics: every figure in Prometheus' text exposition format 0.0.4,
 * after its conventions: base units (seconds, bytes) in the names, counters
 * ending in _total, one # HELP and one # TYPE line before each family's
 * samples, label values escaped, durations as histograms, the process
 * collector's process_* figures and lull_build_info. Read without locks
 * (relaxed atomics, see status.c); a histogram's +Inf bucket always equals
 * its _count (hist.c). */
#include <stdatomic.h>
#include <stdio.h>

#include "lull/lull.h"
#include "server/conn.h"
#include "server/process.h"
#include "stream/stream.h"

/* A family's two lines; its samples follow. */
static void family(sbuf *b, const char *name, const char *type, const char *help) {
  lull__sb_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value escaped as the format wants: backslash, double quote and
 * line feed as \\, \" and \n. out holds at least 2 * strlen(in) + 1. */
static const char *label_value(char *out, size_t cap, const char *in) {
  size_t n = 0;
  for (; *in && n + 3 < cap; in++) {
    if (*in == '\\' || *in == '"') out[n++] = '\\', out[n++] = *in;
    else if (*in == '\n') out[n++] = '\\', out[n++] = 'n';
    else out[n++] = *in;
  }
  out[n] = 0;
  return out;
}

/* A histogram's samples under one label set (labels: `a="x"`, escaped),
 * durations in seconds. */
static void histogram(sbuf *b, const char *name, const char *labels, const lull_hist_snapshot *h) {
  for (uint32_t i = 0; i < h->n; i++)
    lull__sb_printf(b, "%s_bucket{%s,le=\"%.9g\"} %llu\n", name, labels, (double)h->bounds_ns[i] / 1e9,
                    (unsigned long long)h->cumulative[i]);
  lull__sb_printf(b, "%s_bucket{%s,le=\"+Inf\"} %llu\n%s_sum{%s} %.9f\n%s_count{%s} %llu\n", name, labels,
                  (unsigned long long)h->cumulative[h->n], name, labels, (double)h->sum_ns / 1e9, name, labels,
                  (unsigned long long)h->cumulative[h->n]);
}

/* The stations' counters, each read from lull_station_metrics. */
static const struct {
  const char *name, *help;
} station_counters[] = {
    {"lull_station_frames_total", "20 ms frames the station made."},
    {"lull_station_late_frames_total", "Frames made more than a frame after they were due."},
    {"lull_station_faults_total", "Frames replaced by silence (a render or encode fault)."},
    {"lull_station_plugin_faults_total", "LV2 plugins stopped for NaN, infinity or output past +24 dBFS."},
    {"lull_station_commands_total", "Param changes the station applied."},
};

static uint64_t station_counter(const lull_station_metrics *m, int k) {
  switch (k) {
    case 0: return m->frames;
    case 1: return m->late_frames;
    case 2: return m->faults;
    case 3: return m->plugin_faults;
    default: return m->commands;
  }
}

static void stations(lull_server *srv, sbuf *b) {
  uint16_t held[LULL_SERVER_MAX_STATIONS];
  size_t ns = lull__stations_hold(srv, held);
  char names[LULL_SERVER_MAX_STATIONS][80];
  lull_station_metrics m[LULL_SERVER_MAX_STATIONS]; /* each read once; counters printed whole */
  for (size_t i = 0; i < ns; i++) {
    char name[68];
    snprintf(names[i], sizeof names[i], "station=\"%s\"", label_value(name, sizeof name, lull_station_name(srv->stations[held[i]])));
    lull_station_get_metrics(srv->stations[held[i]], &m[i]);
  }
  family(b, "lull_listeners", "gauge", "Listeners connected now.");
  for (size_t i = 0; i < ns; i++)
    for (int k = 0; k < LULL_FEED_KINDS; k++)
      lull__sb_printf(b, "lull_listeners{%s,kind=\"%s\"} %u\n", names[i], lull__feed_names[k],
                      atomic_load(&srv->sstats[held[i]].listeners[k]));
  for (int k = 0; k < (int)(sizeof station_counters / sizeof station_counters[0]); k++) {
    family(b, station_counters[k].name, "counter", station_counters[k].help);
    for (size_t i = 0; i < ns; i++)
      lull__sb_printf(b, "%s{%s} %llu\n", station_counters[k].name, names[i],
                      (unsigned long long)station_counter(&m[i], k));
  }
  family(b, "lull_station_lead_seconds", "gauge",
         "How far ahead of the wall clock the last frame was published (the configured lead when on time).");
  for (size_t i = 0; i < ns; i++)
    lull__sb_printf(b, "lull_station_lead_seconds{%s} %.6f\n", names[i], m[i].lead_ms / 1e3);
  lull_hist_snapshot frame[LULL_SERVER_MAX_STATIONS], encode[LULL_SERVER_MAX_STATIONS];
  for (size_t i = 0; i < ns; i++) lull__station_timings(srv->stations[held[i]], &frame[i], &encode[i]);
  family(b, "lull_station_frame_seconds", "histogram",
         "Time to make one 20 ms frame: commands, render, encode, publication (a frame's budget is 0.02 s).");
  for (size_t i = 0; i < ns; i++) histogram(b, "lull_station_frame_seconds", names[i], &frame[i]);
  family(b, "lull_station_encode_seconds", "histogram", "Time to encode one 20 ms frame to Opus and Ogg.");
  for (size_t i = 0; i < ns; i++) histogram(b, "lull_station_encode_seconds", names[i], &encode[i]);
  lull__stations_put(srv, held, ns);
}

static void icecast(lull_server *srv, sbuf *b) {
  lull_icecast_status st[LULL_SERVER_MAX_ICECAST]; /* each output's status read once */
  char station[LULL_SERVER_MAX_ICECAST][68];
  pthread_mutex_lock(&srv->icecast_lock);
  size_t n = srv->n_icecast;
  for (size_t i = 0; i < n; i++) {
    lull_icecast_get_status(srv->icecast[i], &st[i]);
    label_value(station[i], sizeof station[i], lull_station_name(srv->stations[srv->icecast_station[i]]));
  }
  pthread_mutex_unlock(&srv->icecast_lock);
  if (!n) return;
  static const struct {
    const char *name, *type, *help;
  } ice[] = {
      {"lull_icecast_connected", "gauge", "1 while logged in to Icecast."},
      {"lull_icecast_sent_bytes_total", "counter", "Bytes handed to Icecast."},
      {"lull_icecast_queue_bytes", "gauge", "Bytes waiting in libshout's queue."},
      {"lull_icecast_connects_total", "counter", "Successful logins."},
      {"lull_icecast_failures_total", "counter", "Failed attempts and lost connections."},
  };
  for (int k = 0; k < 5; k++) {
    family(b, ice[k].name, ice[k].type, ice[k].help);
    for (size_t i = 0; i < n; i++) {
      uint64_t v = k == 0   ? st[i].state == LULL_ICECAST_CONNECTED
                   : k == 1 ? st[i].bytes_sent
                   : k == 2 ? st[i].queue_bytes
                   : k == 3 ? st[i].connects
                            : st[i].failures;
      char url[2 * sizeof st[i].url + 1];
      lull__sb_printf(b, "%s{station=\"%s\",url=\"%s\"} %llu\n", ice[k].name,
                      station[i],
                      label_value(url, sizeof url, st[i].url), (unsigned long long)v);
    }
  }
}

/* The names and meanings client libraries give them, so that dashboards
 * made for any process work. */
static void process(sbuf *b) {
  lull__process p;
  if (lull__process_read(&p)) return; /* no /proc: nothing rather than zeroes */
  family(b, "process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.");
  lull__sb_printf(b, "process_cpu_seconds_total %.2f\n", p.cpu_seconds);
  family(b, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
  lull__sb_printf(b, "process_resident_memory_bytes %llu\n", (unsigned long long)p.resident_bytes);
  family(b, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.");
  lull__sb_printf(b, "process_virtual_memory_bytes %llu\n", (unsigned long long)p.virtual_bytes);
  family(b, "process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.");
  lull__sb_printf(b, "process_start_time_seconds %.2f\n", p.start_time_seconds);
  if (p.open_fds >= 0) {
    family(b, "process_open_fds", "gauge", "Number of open file descriptors.");
    lull__sb_printf(b, "process_open_fds %lld\n", (long long)p.open_fds);
  }
  if (p.max_fds >= 0) {
    family(b, "process_max_fds", "gauge", "Maximum number of open file descriptors.");
    lull__sb_printf(b, "process_max_fds %lld\n", (long long)p.max_fds);
  }
}

void lull__metrics_prometheus(lull_server *srv, sbuf *b) {
  char version[2 * sizeof LULL_VERSION];
  family(b, "lull_build_info", "gauge", "The lull version serving (always 1).");
  lull__sb_printf(b, "lull_build_info{version=\"%s\"} 1\n", label_value(version, sizeof version, LULL_VERSION));
  family(b, "lull_uptime_seconds", "gauge", "Seconds since the server started.");
  lull__sb_printf(b, "lull_uptime_seconds %.3f\n", (double)(lull__now_ms() - srv->start_ms) / 1000.0);
  family(b, "lull_personal_stations", "gauge", "Personal stations running (starting, playing or ending).");
  lull__sb_printf(b, "lull_personal_stations %u\n", lull__personal_running(srv));
  family(b, "lull_personal_stations_max", "gauge", "Personal stations allowed at once (--max-personal).");
  lull__sb_printf(b, "lull_personal_stations_max %u\n", srv->cfg.max_personal);
  family(b, "lull_personal_started_total", "counter", "Personal stations started.");
  lull__sb_printf(b, "lull_personal_started_total %llu\n", (unsigned long long)atomic_load(&srv->personal_started));
  family(b, "lull_personal_refused_total", "counter", "Personal stations refused: all taken, or the address had enough.");
  lull__sb_printf(b, "lull_personal_refused_total %llu\n", (unsigned long long)atomic_load(&srv->personal_refused));
#define X(name, help)                                   \
  family(b, "lull_" #name "_total", "counter", help "."); \
  lull__sb_printf(b, "lull_" #name "_total %llu\n", (unsigned long long)atomic_load(&srv->name));
  LULL_SERVER_COUNTERS(X)
#undef X
  lull__totals t = lull__worker_totals(srv);
  family(b, "lull_sent_bytes_total", "counter", "Stream bytes sent to listeners.");
  lull__sb_printf(b, "lull_sent_bytes_total %llu\n", (unsigned long long)t.bytes);
  family(b, "lull_sends_total", "counter", "Writes to listeners' sockets (what fan-out costs: sends, not bytes).");
  lull__sb_printf(b, "lull_sends_total %llu\n", (unsigned long long)t.writes);
  family(b, "lull_packets_dropped_total", "counter", "Packets skipped for listeners that fell behind.");
  lull__sb_printf(b, "lull_packets_dropped_total %llu\n", (unsigned long long)t.dropped);
  family(b, "lull_slow_disconnects_total", "counter", "Listeners closed for staying behind.");
  lull__sb_printf(b, "lull_slow_disconnects_total %llu\n", (unsigned long long)t.slow_closed);
  /* Send latency, each kind's histogram summed over the workers. */
  family(b, "lull_send_latency_seconds", "histogram",
         "From the station publishing a packet to a write holding it (the newest in the write) "
         "being handed to the kernel, per write to a listener past its join burst.");
  for (int k = 0; k < LULL_FEED_KINDS; k++) {
    lull_hist_snapshot h = {0};
    for (unsigned i = 0; i < srv->n_workers; i++) lull__hist_accumulate(&srv->workers[i].send_latency[k], &h);
    char labels[32];
    snprintf(labels, sizeof labels, "kind=\"%s\"", lull__feed_names[k]);
    histogram(b, "lull_send_latency_seconds", labels, &h);
  }
  stations(srv, b);
  icecast(srv, b);
  process(b);
}
