/* The station: one producer thread makes one 20 ms frame at a time (the
 * pump's composer -> engine, then the encoder). Frame k is due at t0 +
 * k * 20 ms - lead (absolute deadlines, so sleep errors never accumulate);
 * a frame produced more than a frame after it was due is counted late, and
 * the producer catches up without skipping (the audio stays continuous, the
 * lead shrinks for a while). Commands are drained at each frame's start; a
 * non-finite frame or a failed encode becomes silence and is counted, and
 * the stream goes on. */
#include <assert.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compose/compose.h"
#include "dsp/denormal.h"
#include "stream/stream.h"

#define FRAME LULL_FRAME_SAMPLES
#define PACKET_BYTES 1500u   /* an Opus packet is at most 1275 bytes */
#define PAGE_BYTES 4096u     /* three packets of <= 1275 bytes, lacing and a 27-byte header: <= 3870 */
#define HEADER_BYTES 4096u   /* OpusHead + OpusTags pages */
#define QUEUE_CAP 64u
#define PCM_BYTES (FRAME * 4u) /* int16 stereo */
#define MP3_BYTES 8192u      /* >= 1.25 * 960 + 7200 */
#define DAY_FRAMES 3000u     /* the day cycle's light is taken once a minute (of frames) */

/* Buckets of the frame and encode histograms: 50 us (an easy frame's encode)
 * up to 20 ms, the whole frame's budget (above it the station cannot keep
 * up); finer where a healthy station's frames fall (0.1..1 ms). */
static const uint64_t timing_bounds_ns[] = {50000,   100000,  150000,  200000,  300000,   500000,
                                            750000,  1000000, 2000000, 5000000, 10000000, 20000000};
#define TIMING_BOUNDS (sizeof timing_bounds_ns / sizeof timing_bounds_ns[0])
_Static_assert(TIMING_BOUNDS <= LULL_HIST_MAX_BOUNDS, "too many buckets");

struct lull_station {
  char name[33];
  char title[LULL_STATION_TITLE_MAX * 4 + 1]; /* 4 bytes a character at most in UTF-8 */
  char description[LULL_STATION_DESCRIPTION_MAX * 4 + 1];
  pthread_mutex_t face_lock; /* title and description: a reload may change them */
  char ogg_title[LULL_STATION_TITLE_MAX * 4 + 1]; /* the encoder's, fixed */
  lull_station_config cfg;
  lull_params params;
  lull_pump *pump; /* composer -> engine, 20 ms blocks */
  lull_encoder *encoder;
  lull_ring packets, pages, pcm16, mp3;
  lull_recent recent; /* recent.ogg's packets; words NULL when off */
  lull_mp3 *mp3enc;
  _Atomic int mp3_listeners;
  lull_queue commands;
  float *pcm; /* the frame being made: the pump's block, silenced in place on a fault */
  unsigned char header[HEADER_BYTES];
  uint32_t header_len, header_pages;
  _Atomic uint32_t header_ready; /* release: header[] is complete */
  uint64_t frame;                /* next frame to produce */
  pthread_t thread;
  _Atomic int running, started, realtime;
  _Atomic int inject_fault;
  _Atomic uint32_t day_updates; /* times the light was handed to the pump (relaxed: a count for tests) */
  /* Published for other threads (relaxed counters; params by seqlock). */
  _Atomic uint64_t m_frames, m_late, m_faults, m_commands, m_encode_max_ns;
  lull_hist frame_hist, encode_hist; /* whole frames; the Opus/Ogg encode in them */
  _Atomic uint32_t m_plugin_faults;
  int has_instruments; /* any LV2 instrument (the config's strings are not kept) */
  _Atomic int64_t m_lead_ns, m_lead_min_ns, m_lead_max_ns;
  _Atomic uint32_t params_version;
  lull_station_now now;  /* the producer's copy */
  /* now, as words (relaxed atomics, so the seqlock's racing reads are defined) */
  _Atomic uint64_t now_pub[(sizeof(lull_station_now) + 7) / 8];
};

static void publish_now(lull_station *st, int changed);

float lull_daylight(double hour) {
  return (float)(0.5 - 0.5 * cos(6.283185307179586 * (hour - 2.0) / 24.0));
}

const char *lull_day_phase(double hour) {
  return hour < 5 ? "night" : hour < 8 ? "dawn" : hour < 12 ? "morning" : hour < 17 ? "afternoon" : hour < 21 ? "evening" : "night";
}

/* The day cycle: the hour (the local clock's, or the fixed one) becomes the
 * light the composer hears. On the producer thread, between frames (never
 * in the engine's render); with the cycle off it is never called, and the
 * composer keeps its "no day cycle". */
static void day_update(lull_station *st) {
  double h = st->cfg.day_hour;
  if (st->cfg.daycycle == LULL_DAYCYCLE_CLOCK) {
    time_t t = time(NULL);
    struct tm tm;
    if (localtime_r(&t, &tm)) h = tm.tm_hour + tm.tm_min / 60.0 + tm.tm_sec / 3600.0;
  }
  st->now.day_hour = (float)h;
  st->now.day_light = lull_daylight(h);
  lull__pump_set_daylight(st->pump, st->now.day_light);
  atomic_fetch_add_explicit(&st->day_updates, 1, memory_order_relaxed);
}

/* Encoder sinks: packets and pages go straight into their rings. */
static void on_packet(void *user, const unsigned char *data, uint32_t len) {
  lull_station *st = user;
  if (len > PACKET_BYTES) return; /* impossible for Opus */
  unsigned char *dst = lull__ring_begin(&st->packets);
  memcpy(dst, data, len);
  uint64_t seq = lull__ring_head(&st->packets);
  lull__ring_publish(&st->packets, len, seq * FRAME, 0);
  if (st->recent.words) lull__recent_append(&st->recent, data, len);
}

static void on_page(void *user, const unsigned char *data, uint32_t len, int header) {
  lull_station *st = user;
  if (header) {
    /* OpusHead, then OpusTags: ready for listeners once both are here. */
    if (st->header_len + len <= HEADER_BYTES) memcpy(st->header + st->header_len, data, len), st->header_len += len;
    if (++st->header_pages == 2) atomic_store_explicit(&st->header_ready, 1, memory_order_release);
    return;
  }
  if (len > PAGE_BYTES) return; /* cannot happen with a 60 ms muxing delay */
  uint64_t granule = 0;
  for (int i = 7; i >= 0; i--) granule = granule << 8 | data[6 + i];
  unsigned char *dst = lull__ring_begin(&st->pages);
  memcpy(dst, data, len);
  lull__ring_publish(&st->pages, len, granule, 0);
}

int lull_station_create(const lull_station_config *config, lull_station **out, lull_diag *diag) {
  if (!out) return lull_diag_set(diag, LULL_EINVAL, "out", "must not be NULL");
  *out = NULL;
  lull_station_config c = {0};
  if (config) c = *config;
  const char *name = c.name ? c.name : "main";
  if (!lull_station_name_valid(name))
    return lull_diag_set(diag, LULL_EINVAL, "name", "must be 1..32 of a-z, 0-9 and -, got \"%.40s\"", name);
  int err = c.title ? lull_station_title_check(c.title, diag) : LULL_OK;
  if (!err && c.description) err = lull_station_description_check(c.description, diag);
  if (err) return err;
  if (c.params.bpm == 0) {
    uint64_t seed = c.params.seed;
    c.params = lull_params_default();
    c.params.seed = seed;
  }
  err = lull_params_validate(&c.params, diag);
  if (err) return err;
  if (c.lead_ms == 0) c.lead_ms = 60;
  if (c.lead_ms < 20 || c.lead_ms > 1000)
    return lull_diag_set(diag, LULL_ERANGE, "lead_ms", "must be 20..1000, got %u", c.lead_ms);
  if (c.ring_seconds == 0) c.ring_seconds = 8;
  if (c.ring_seconds < 2 || c.ring_seconds > 60)
    return lull_diag_set(diag, LULL_ERANGE, "ring_seconds", "must be 2..60, got %u", c.ring_seconds);
  if (c.recent_minutes > LULL_RECENT_MAX_MINUTES)
    return lull_diag_set(diag, LULL_ERANGE, "recent_minutes", "must be 0 (off) or 1..%u, got %u", LULL_RECENT_MAX_MINUTES,
                         c.recent_minutes);
  if (c.daycycle < LULL_DAYCYCLE_OFF || c.daycycle > LULL_DAYCYCLE_FIXED)
    return lull_diag_set(diag, LULL_ERANGE, "daycycle", "must be 0 (off), 1 (the local clock) or 2 (day_hour), got %d",
                         c.daycycle);
  if (c.daycycle == LULL_DAYCYCLE_FIXED && !(c.day_hour >= 0 && c.day_hour < 24))
    return lull_diag_set(diag, LULL_ERANGE, "day_hour", "must be an hour from 0 to below 24 (14.5 = 14:30), got %g", c.day_hour);
  if (c.priority < 0 || c.priority > 99)
    return lull_diag_set(diag, LULL_ERANGE, "priority", "must be 0 (normal) or 1..99 (SCHED_FIFO), got %d", c.priority);
  if (c.steer < LULL_STEER_DEFAULT || c.steer > LULL_STEER_NONE)
    return lull_diag_set(diag, LULL_ERANGE, "steer", "must be LULL_STEER_DEFAULT, _OPEN, _TOKEN or _NONE, got %d", c.steer);
  lull_station *st = calloc(1, sizeof *st);
  if (!st) return lull_diag_set(diag, LULL_ENOMEM, "", "out of memory");
  snprintf(st->name, sizeof st->name, "%s", name);
  snprintf(st->title, sizeof st->title, "%s", c.title ? c.title : name); /* checked: it fits */
  snprintf(st->description, sizeof st->description, "%s", c.description ? c.description : "");
  memcpy(st->ogg_title, st->title, sizeof st->ogg_title);
  pthread_mutex_init(&st->face_lock, NULL);
  c.name = st->name;
  c.title = st->title;
  c.description = st->description;
  st->cfg = c;
  st->params = st->now.params = c.params;
  uint32_t slots = lull__pow2_at_least(c.ring_seconds * 50);
  lull_pump_config pc = {.params = c.params, .block_frames = FRAME, .dry = c.dry, .fx = c.fx, .fx_count = c.fx_count,
                         .plugin_threads = 1};
  memcpy(pc.instrument, c.instrument, sizeof pc.instrument);
  st->cfg.fx = NULL; /* the caller's strings are not kept */
  for (int part = 0; part < LULL_PART_COUNT; part++) st->has_instruments |= c.instrument[part] != NULL;
  memset(st->cfg.instrument, 0, sizeof st->cfg.instrument);
  lull_encoder_config enc = {.bitrate = c.bitrate, .title = st->ogg_title, .artist = "lull"};
  lull_encoder_sink sink = {on_packet, on_page, st};
  if ((err = lull__ring_init(&st->packets, slots, PACKET_BYTES)) || (err = lull__ring_init(&st->pages, slots, PAGE_BYTES)) ||
      (err = lull__ring_init(&st->pcm16, slots, PCM_BYTES)) || (err = lull__ring_init(&st->mp3, slots, MP3_BYTES)) ||
      (err = lull__queue_init(&st->commands, QUEUE_CAP)) ||
      (c.recent_minutes && (err = lull__recent_init(&st->recent, c.recent_minutes * 60, c.bitrate ? c.bitrate : 96000)))) {
    lull_station_destroy(st);
    return lull_diag_set(diag, err, "", "station: out of memory");
  }
  if ((err = lull__pump_create(&pc, &st->pump, diag)) && diag && (!strcmp(diag->field, "fx") || !strncmp(diag->field, "instrument.", 11))) {
    char field[sizeof diag->field]; /* which station's plugin: "night.fx", "night.instrument.pad" */
    memcpy(field, diag->field, sizeof field);
    field[sizeof field - 1] = 0;
    size_t n = strlen(st->name); /* at most 32, and the field at most 17: it fits */
    memcpy(diag->field, st->name, n);
    diag->field[n] = '.';
    snprintf(diag->field + n + 1, sizeof diag->field - n - 1, "%.30s", field);
  }
  if (err || (err = lull__encoder_create(&enc, &sink, &st->encoder, diag)) ||
      (err = lull__mp3_create(0, &st->mp3enc, diag))) {
    lull_station_destroy(st);
    return err;
  }
  st->now.daycycle = c.daycycle;
  if (c.daycycle) day_update(st);
  atomic_init(&st->m_lead_min_ns, INT64_MAX);
  atomic_init(&st->m_lead_max_ns, INT64_MIN);
  lull__hist_init(&st->frame_hist, timing_bounds_ns, TIMING_BOUNDS);
  lull__hist_init(&st->encode_hist, timing_bounds_ns, TIMING_BOUNDS);
  publish_now(st, 0);
  *out = st;
  return LULL_OK;
}

void lull_station_destroy(lull_station *st) {
  if (!st) return;
  lull_station_stop(st);
  lull__encoder_destroy(st->encoder);
  lull__mp3_destroy(st->mp3enc);
  lull__pump_destroy(st->pump);
  lull__ring_free(&st->packets);
  lull__ring_free(&st->pages);
  lull__ring_free(&st->pcm16);
  lull__ring_free(&st->mp3);
  lull__recent_free(&st->recent);
  lull__queue_free(&st->commands);
  pthread_mutex_destroy(&st->face_lock);
  free(st);
}

static void publish_now(lull_station *st, int changed) {
  lull_composer_status cs;
  lull__pump_status(st->pump, &cs);
  /* A seqlock for a small struct read by other threads. */
  uint32_t v = atomic_load_explicit(&st->params_version, memory_order_relaxed);
  atomic_store_explicit(&st->params_version, v + 1, memory_order_relaxed);
  atomic_thread_fence(memory_order_release);
  st->now.params = st->params;
  memcpy(st->now.chord, cs.chord, sizeof st->now.chord);
  st->now.bar = cs.bar;
  st->now.section = cs.section;
  st->now.key = cs.key_now;
  st->now.mode = cs.mode_now;
  if (changed) {
    st->now.params_changes++;
    uint32_t f = st->now.changed_fields;
    st->now.changed_at = f & (LULL_PARAM_KEY | LULL_PARAM_MODE) ? cs.scale_since_frame
                         : f & LULL_PARAM_INTENSITY             ? st->frame * FRAME /* this frame's glide starts it */
                                                                : 0;
  }
  uint64_t w[sizeof st->now_pub / 8] = {0};
  memcpy(w, &st->now, sizeof st->now);
  for (size_t i = 0; i < sizeof w / 8; i++) atomic_store_explicit(&st->now_pub[i], w[i], memory_order_relaxed);
  atomic_store_explicit(&st->params_version, v + 2, memory_order_release);
}

/* The frame as PCM for PCM listeners, and as MP3 while anyone listens. */
static void publish_pcm(lull_station *st) {
  unsigned char *d = lull__ring_begin(&st->pcm16);
  for (uint32_t i = 0; i < 2 * FRAME; i++) {
    float x = st->pcm[i] * 32767.0f;
    x = x > 32767.0f ? 32767.0f : x < -32768.0f ? -32768.0f : x;
    int16_t v = (int16_t)lrintf(x);
    d[2 * i] = (unsigned char)((uint16_t)v & 0xff);
    d[2 * i + 1] = (unsigned char)((uint16_t)v >> 8);
  }
  lull__ring_publish(&st->pcm16, PCM_BYTES, st->frame * FRAME, 0);
  if (atomic_load_explicit(&st->mp3_listeners, memory_order_relaxed) <= 0) return;
  unsigned char *m = lull__ring_begin(&st->mp3);
  int n = lull__mp3_encode(st->mp3enc, st->pcm, FRAME, m, MP3_BYTES);
  if (n > 0) lull__ring_publish(&st->mp3, (uint32_t)n, st->frame * FRAME, 0);
}

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* One 20 ms frame: commands, the pump (events, render), encode. Denormals are off for
 * all of it (FTZ/DAZ), the encoder's filters included: quiet tails would
 * otherwise send libopus through denormal arithmetic. */
static void produce(lull_station *st) {
  unsigned fp_mode = lull__denormals_off();
  uint64_t t0 = now_ns();
  lull_command cmd;
  int changed = 0;
  uint32_t changed_fields = 0;
  while (lull__queue_pop(&st->commands, &cmd) == LULL_OK) {
    changed_fields |= cmd.fields;
    st->now.changed_by = cmd.by; /* the last to ask, of this frame's */
    if (cmd.fields & LULL_PARAM_KEY) st->params.key = cmd.params.key;
    if (cmd.fields & LULL_PARAM_MODE) st->params.mode = cmd.params.mode;
    if (cmd.fields & LULL_PARAM_BPM) st->params.bpm = cmd.params.bpm;
    if (cmd.fields & LULL_PARAM_INTENSITY) st->params.intensity = cmd.params.intensity;
    if (cmd.fields & LULL_PARAM_PALETTE) st->params.palette = cmd.params.palette;
    changed = 1;
    atomic_fetch_add_explicit(&st->m_commands, 1, memory_order_relaxed);
  }
  if (changed && lull__pump_set_params(st->pump, &st->params, NULL) != LULL_OK) changed = 0;
  if (changed) st->now.changed_fields = changed_fields, st->now.changed_ns = t0;
  if (st->cfg.daycycle && st->frame && st->frame % DAY_FRAMES == 0) day_update(st);
  size_t frames;
  int fault = lull__pump_next(st->pump, &st->pcm, &frames, NULL) != LULL_OK; /* an event refused */
  assert(frames == FRAME); /* endless */
  if (atomic_exchange_explicit(&st->inject_fault, 0, memory_order_relaxed)) st->pcm[100] = NAN;
  float sum = 0;
  for (uint32_t i = 0; i < 2 * FRAME; i++) sum += st->pcm[i] * 0.0f; /* NaN or Inf anywhere makes it NaN */
  if (sum != 0.0f) {
    memset(st->pcm, 0, sizeof(float) * 2 * FRAME);
    fault = 1;
  }
  uint64_t e0 = now_ns();
  int encoded = lull__encoder_write(st->encoder, st->pcm, FRAME) == LULL_OK;
  lull__hist_observe(&st->encode_hist, now_ns() - e0);
  if (!encoded) {
    fault = 1;
    memset(st->pcm, 0, sizeof(float) * 2 * FRAME);
    (void)lull__encoder_write(st->encoder, st->pcm, FRAME);
  }
  if (fault) atomic_fetch_add_explicit(&st->m_faults, 1, memory_order_relaxed);
  if (st->cfg.fx_count || st->has_instruments) { /* after the render: the engine's count, for metrics */
    atomic_store_explicit(&st->m_plugin_faults, lull__pump_plugin_faults(st->pump), memory_order_relaxed);
    char line[512], msg[600];
    while (lull__pump_take_fault(st->pump, line, sizeof line)) { /* each once */
      snprintf(msg, sizeof msg, "station %s: %s", st->name, line);
      (st->cfg.log ? st->cfg.log : lull_log_stderr)(st->cfg.log_user, LULL_LOG_WARN, msg);
    }
  }
  publish_pcm(st);
  publish_now(st, changed);
  uint64_t dt = now_ns() - t0;
  lull__hist_observe(&st->frame_hist, dt);
  if (dt > atomic_load_explicit(&st->m_encode_max_ns, memory_order_relaxed))
    atomic_store_explicit(&st->m_encode_max_ns, dt, memory_order_relaxed);
  st->frame++;
  atomic_fetch_add_explicit(&st->m_frames, 1, memory_order_relaxed);
  lull__denormals_restore(fp_mode);
  if (st->cfg.on_frame) st->cfg.on_frame(st->cfg.on_frame_user);
}

int lull_station_run(lull_station *st, uint64_t frames) {
  if (atomic_load(&st->started)) return LULL_ESTATE;
  for (uint64_t i = 0; i < frames; i++) produce(st);
  return LULL_OK;
}

static void *producer(void *arg) {
  lull_station *st = arg;
  if (st->cfg.priority > 0) {
    /* Real-time scheduling, if the system allows it: frames are then made on
     * time even while other work fills the cores. */
    struct sched_param sp = {.sched_priority = st->cfg.priority};
    atomic_store(&st->realtime, pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp) == 0);
  }
  const uint64_t period = 20000000ull, lead = (uint64_t)st->cfg.lead_ms * 1000000ull;
  /* Frame k plays at t0 + k period: it is made `lead` before. Frames already
   * made (by lull_station_run) keep their place on the timeline. */
  uint64_t t0 = now_ns() + lead - st->frame * period;
  while (atomic_load_explicit(&st->running, memory_order_acquire)) {
    uint64_t play = t0 + st->frame * period, due = play - lead;
    uint64_t now = now_ns();
    if (now < due) {
      struct timespec ts = {(time_t)(due / 1000000000ull), (long)(due % 1000000000ull)};
      while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0) {
      }
    } else if (now > due + period) {
      atomic_fetch_add_explicit(&st->m_late, 1, memory_order_relaxed);
    }
    produce(st);
    int64_t l = (int64_t)play - (int64_t)now_ns();
    atomic_store_explicit(&st->m_lead_ns, l, memory_order_relaxed);
    if (l < atomic_load_explicit(&st->m_lead_min_ns, memory_order_relaxed))
      atomic_store_explicit(&st->m_lead_min_ns, l, memory_order_relaxed);
    if (l > atomic_load_explicit(&st->m_lead_max_ns, memory_order_relaxed))
      atomic_store_explicit(&st->m_lead_max_ns, l, memory_order_relaxed);
  }
  return NULL;
}

int lull_station_start(lull_station *st) {
  int expected = 0;
  if (!atomic_compare_exchange_strong(&st->started, &expected, 1)) return LULL_ESTATE;
  atomic_store_explicit(&st->running, 1, memory_order_release);
  if (pthread_create(&st->thread, NULL, producer, st) != 0) {
    atomic_store(&st->running, 0);
    atomic_store(&st->started, 0);
    return LULL_ENOMEM;
  }
  return LULL_OK;
}

void lull_station_stop(lull_station *st) {
  if (!st || !atomic_load(&st->started)) return;
  atomic_store_explicit(&st->running, 0, memory_order_release);
  pthread_join(st->thread, NULL);
  atomic_store(&st->started, 0);
}

int lull_station_set_params(lull_station *st, const lull_params *p, uint32_t fields, lull_diag *diag) {
  return lull_station_set_params_by(st, p, fields, LULL_BY_OPERATOR, diag);
}

int lull_station_steer(const lull_station *st) { return st->cfg.steer; }

const char *lull_steer_name(int steer) {
  static const char *const names[] = {"default", "open", "token", "none"};
  return steer >= 0 && steer < 4 ? names[steer] : "?";
}

const char *lull_by_name(int by) {
  static const char *const names[] = {"operator", "listener", "timeline"};
  return by >= 0 && by < 3 ? names[by] : "?";
}

int lull_station_set_params_by(lull_station *st, const lull_params *p, uint32_t fields, int by, lull_diag *diag) {
  if (!st || !p) return lull_diag_set(diag, LULL_EINVAL, "params", "must not be NULL");
  if (by < LULL_BY_OPERATOR || by > LULL_BY_TIMELINE)
    return lull_diag_set(diag, LULL_EINVAL, "by", "must be LULL_BY_OPERATOR, LULL_BY_LISTENER or LULL_BY_TIMELINE");
  /* Validate the fields given, against the params they would join. */
  lull_params check;
  lull_station_get_params(st, &check);
  if (fields & LULL_PARAM_KEY) check.key = p->key;
  if (fields & LULL_PARAM_MODE) check.mode = p->mode;
  if (fields & LULL_PARAM_BPM) check.bpm = p->bpm;
  if (fields & LULL_PARAM_INTENSITY) check.intensity = p->intensity;
  if (fields & LULL_PARAM_PALETTE) check.palette = p->palette;
  int err = lull_params_validate(&check, diag);
  if (err) return err;
  lull_command cmd = {fields & LULL_PARAM_ALL, *p, by};
  if (lull__queue_push(&st->commands, &cmd) != LULL_OK)
    return lull_diag_set(diag, LULL_EFULL, "", "too many changes pending; try again in a moment");
  return LULL_OK;
}

void lull_station_get_now(const lull_station *st, lull_station_now *out) {
  lull_station *s = (lull_station *)st;
  for (;;) {
    uint32_t v1 = atomic_load_explicit(&s->params_version, memory_order_acquire);
    if (v1 & 1) continue;
    uint64_t w[sizeof s->now_pub / 8];
    for (size_t i = 0; i < sizeof w / 8; i++) w[i] = atomic_load_explicit(&s->now_pub[i], memory_order_relaxed);
    atomic_thread_fence(memory_order_acquire);
    if (atomic_load_explicit(&s->params_version, memory_order_relaxed) == v1) {
      memcpy(out, w, sizeof *out);
      return;
    }
  }
}

void lull_station_get_params(const lull_station *st, lull_params *out) {
  lull_station_now n;
  lull_station_get_now(st, &n);
  *out = n.params;
}

void lull_station_get_metrics(const lull_station *st, lull_station_metrics *m) {
  lull_station *s = (lull_station *)st;
  memset(m, 0, sizeof *m);
  m->frames = atomic_load_explicit(&s->m_frames, memory_order_relaxed);
  m->late_frames = atomic_load_explicit(&s->m_late, memory_order_relaxed);
  m->faults = atomic_load_explicit(&s->m_faults, memory_order_relaxed);
  m->plugin_faults = atomic_load_explicit(&s->m_plugin_faults, memory_order_relaxed);
  m->commands = atomic_load_explicit(&s->m_commands, memory_order_relaxed);
  m->overtaken = atomic_load_explicit(&s->packets.overtaken, memory_order_relaxed) +
                 atomic_load_explicit(&s->pages.overtaken, memory_order_relaxed);
  m->torn = atomic_load_explicit(&s->packets.torn, memory_order_relaxed) +
            atomic_load_explicit(&s->pages.torn, memory_order_relaxed);
  m->packets = lull__ring_head(&s->packets);
  m->pages = lull__ring_head(&s->pages);
  lull_hist_snapshot frame = {0};
  lull__hist_accumulate(&s->frame_hist, &frame);
  uint64_t timed = frame.cumulative[frame.n];
  if (timed) m->encode_us_mean = (double)frame.sum_ns / 1e3 / (double)timed;
  m->encode_us_max = (double)atomic_load_explicit(&s->m_encode_max_ns, memory_order_relaxed) / 1e3;
  int64_t lmin = atomic_load_explicit(&s->m_lead_min_ns, memory_order_relaxed);
  int64_t lmax = atomic_load_explicit(&s->m_lead_max_ns, memory_order_relaxed);
  m->lead_ms = (double)atomic_load_explicit(&s->m_lead_ns, memory_order_relaxed) / 1e6;
  m->lead_ms_min = lmin == INT64_MAX ? 0 : (double)lmin / 1e6;
  m->lead_ms_max = lmax == INT64_MIN ? 0 : (double)lmax / 1e6;
  m->realtime = atomic_load_explicit(&s->realtime, memory_order_relaxed);
}

const char *lull_station_name(const lull_station *st) { return st->name; }
const char *lull_station_title(const lull_station *st) { return st->title; }
const char *lull_station_description(const lull_station *st) { return st->description; }

void lull_station_get_face(const lull_station *st, lull_station_face *out) {
  pthread_mutex_t *lock = (pthread_mutex_t *)&st->face_lock; /* the face is read, the lock taken */
  pthread_mutex_lock(lock);
  memcpy(out->title, st->title, sizeof out->title);
  memcpy(out->description, st->description, sizeof out->description);
  pthread_mutex_unlock(lock);
}

int lull_station_set_face(lull_station *st, const char *title, const char *description, lull_diag *diag) {
  int err = title ? lull_station_title_check(title, diag) : LULL_OK;
  if (!err && description) err = lull_station_description_check(description, diag);
  if (err) return err;
  pthread_mutex_lock(&st->face_lock);
  snprintf(st->title, sizeof st->title, "%s", title ? title : st->name);
  snprintf(st->description, sizeof st->description, "%s", description ? description : "");
  pthread_mutex_unlock(&st->face_lock);
  return LULL_OK;
}
uint32_t lull__station_bitrate(const lull_station *st) { return st->cfg.bitrate ? st->cfg.bitrate : 96000; }
lull_ring *lull__station_packets(lull_station *st) { return &st->packets; }
lull_ring *lull__station_pages(lull_station *st) { return &st->pages; }
lull_ring *lull__station_pcm(lull_station *st) { return &st->pcm16; }
lull_ring *lull__station_mp3(lull_station *st) { return &st->mp3; }
lull_recent *lull__station_recent(lull_station *st) { return st->recent.words ? &st->recent : NULL; }
void lull__station_mp3_listeners(lull_station *st, int delta) {
  atomic_fetch_add_explicit(&st->mp3_listeners, delta, memory_order_relaxed);
}

const unsigned char *lull__station_ogg_header(const lull_station *st, uint32_t *len) {
  if (!atomic_load_explicit(&((lull_station *)st)->header_ready, memory_order_acquire)) {
    *len = 0;
    return NULL;
  }
  *len = st->header_len;
  return st->header;
}

uint32_t lull__station_day_updates(const lull_station *st) {
  return atomic_load_explicit(&((lull_station *)st)->day_updates, memory_order_relaxed);
}

void lull__station_timings(const lull_station *st, lull_hist_snapshot *frame, lull_hist_snapshot *encode) {
  memset(frame, 0, sizeof *frame);
  memset(encode, 0, sizeof *encode);
  lull__hist_accumulate(&st->frame_hist, frame);
  lull__hist_accumulate(&st->encode_hist, encode);
}

void lull__station_inject_fault(lull_station *st) { atomic_store_explicit(&st->inject_fault, 1, memory_order_relaxed); }

void lull__station_composer_status(const lull_station *st, struct lull_composer_status *out) {
  lull__pump_status(st->pump, out);
}
