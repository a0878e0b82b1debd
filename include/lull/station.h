/* A station: a composer, an engine, an Opus/Ogg encoder and the rings its
 * listeners read, driven by one producer thread that renders and encodes
 * one 20 ms frame at a time a fixed lead ahead of the wall clock. Many
 * stations can run in one process (there is no global state). */
#ifndef LULL_STATION_H
#define LULL_STATION_H

#include <stdint.h>

#include "lull/err.h"
#include "lull/event.h"
#include "lull/log.h"
#include "lull/params.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LULL_FRAME_SAMPLES 960u /* 20 ms at 48 kHz */
/* A station's face: what a listener reads before pressing play. Counted in
 * characters (Unicode code points, UTF-8 encoded), so that a title in
 * Japanese gets as many as one in English; stored in up to 4 bytes each. */
#define LULL_STATION_TITLE_MAX 64u        /* characters, at least 1 */
#define LULL_STATION_DESCRIPTION_MAX 240u /* characters, may be empty */

typedef struct lull_station lull_station;

/* The day cycle (lull_station_config.daycycle): the music follows the
 * light of the hour, darkest about 02:00 and brightest about 14:00. */
enum {
  LULL_DAYCYCLE_OFF = 0,   /* no day cycle (the default) */
  LULL_DAYCYCLE_CLOCK = 1, /* the local hour (localtime_r, TZ), read at most once a minute */
  LULL_DAYCYCLE_FIXED = 2  /* day_hour, kept: a station that stays at dusk, or a test */
};

/* All zeroes means the defaults named beside each field. */
/* Who may steer a shared station (lull_station_config.steer); a server
 * enforces it. DEFAULT: token when the server has a control token, else
 * open. */
enum { LULL_STEER_DEFAULT = 0, LULL_STEER_OPEN, LULL_STEER_TOKEN, LULL_STEER_NONE };
/* Who changed a station's params (lull_station_set_params_by). */
enum { LULL_BY_OPERATOR = 0, LULL_BY_LISTENER, LULL_BY_TIMELINE };

typedef struct lull_station_config {
  const char *name;      /* [a-z0-9-]{1,32}; NULL = "main" */
  const char *title;     /* what listeners read (lull_station_title_check); NULL = the name */
  const char *description; /* one or two sentences (lull_station_description_check); NULL = "" */
  lull_params params;    /* bpm 0: lull_params_default() */
  uint32_t lead_ms;      /* how far ahead of the wall clock; 0 = 60; 20..1000 */
  uint32_t bitrate;      /* Opus bit/s; 0 = 96000; 32000..256000 */
  uint32_t ring_seconds; /* history kept for listeners; 0 = 8; 2..60 */
  uint32_t recent_minutes; /* Opus kept for downloads of the last minutes (recent.ogg), about
                            0.86 MB a minute at 96 kbit/s; 0 = none (lull serve keeps 10); 0..30 */
  int dry;               /* nonzero: no reverb or delay */
  int daycycle;          /* LULL_DAYCYCLE_*; 0 = off */
  double day_hour;       /* 0..<24 (14.5 = 14:30), read with LULL_DAYCYCLE_FIXED only */
  /* LV2 plugins (lull_engine_config): master effects and instruments per
   * part, each "URI[,preset=P][,SYMBOL=VALUE...]"; opened at create (a bad
   * one fails it, diag's field "fx" or "instrument.PART"). Borrowed for
   * create only. */
  const char *const *fx;
  uint32_t fx_count;
  const char *instrument[LULL_PART_COUNT];
  int priority;          /* 1..99: run the producer SCHED_FIFO at this priority, so a busy
                            machine cannot delay its frames; 0 = normal scheduling. If the
                            system refuses (no CAP_SYS_NICE), it runs normally and
                            lull_station_metrics.realtime says so. */
  /* Called by the producer thread after each frame is published (packets,
   * pages and PCM): keep it short and non-blocking (wake a network thread). */
  void (*on_frame)(void *user);
  void *on_frame_user;
  /* Lines for the operator, from the producer thread: an LV2 plugin's
   * fault, once each ("station night: the LV2 instrument on pad (...): its
   * output turned NaN at 12.345 s; muted from there"). NULL = lull_log_stderr. */
  lull_log_fn log;
  void *log_user;
  int steer;             /* LULL_STEER_*: who may steer it through a server */
} lull_station_config;

/* What is playing: the params in force and where the music is. */
typedef struct lull_station_now {
  lull_params params;
  char chord[16];           /* "Am7" */
  uint64_t bar;             /* bars since the start */
  uint32_t section;         /* sections since the start */
  uint32_t params_changes;  /* how many times the params changed (a version) */
  int key, mode;            /* where the music is now: params.key/mode is home, a section may travel */
  int daycycle;             /* LULL_DAYCYCLE_*: off, or the day fields below are in force */
  float day_hour;           /* 0..<24, the hour the light was last taken from */
  float day_light;          /* 0 (deep night) .. 1 (midday): lull_daylight(day_hour) */
  /* The last change of params: which (LULL_PARAM_*; 0: none yet), by whom
   * (LULL_BY_*) and when it took effect (CLOCK_MONOTONIC ns). */
  uint32_t changed_fields;
  int changed_by;
  uint64_t changed_ns;
  /* Where the last change is heard, as a sample position (the stream's
   * packets carry theirs): intensity's from the frame it took effect in,
   * key's and mode's from the new tonic chord on the first beat not yet
   * planned; 0 when not known (tempo, palette). */
  uint64_t changed_at;
} lull_station_now;

typedef struct lull_station_metrics {
  uint64_t frames;          /* 20 ms frames produced */
  uint64_t late_frames;     /* produced more than a frame after they were due */
  uint64_t faults;          /* frames replaced by silence (render or encode fault) */
  uint32_t plugin_faults;   /* LV2 plugins stopped for NaN, infinity or output past +24 dBFS */
  uint64_t overtaken;       /* reads refused because the reader fell too far behind */
  uint64_t torn;            /* reads overwritten while in use (should stay 0) */
  uint64_t commands;        /* param changes applied */
  uint64_t packets, pages;  /* published so far */
  double encode_us_mean, encode_us_max; /* per frame, render + encode */
  double lead_ms, lead_ms_min, lead_ms_max; /* lead over the wall clock at publication */
  int realtime;             /* the producer runs SCHED_FIFO */
} lull_station_metrics;

/* Create (not started). LULL_ERANGE/LULL_EINVAL name the bad field in diag. */
__attribute__((warn_unused_result))
int lull_station_create(const lull_station_config *config, lull_station **out, lull_diag *diag);
/* Stop (if started) and free; NULL is fine. */
void lull_station_destroy(lull_station *st);

/* Start the real-time producer thread. LULL_ESTATE if already running. */
__attribute__((warn_unused_result))
int lull_station_start(lull_station *st);
/* Stop the producer thread and wait for it (within a frame). */
void lull_station_stop(lull_station *st);

/* Clock off: produce frames 20 ms frames now, in the calling thread, as fast
 * as possible (offline rendering, tests). LULL_ESTATE while started. */
__attribute__((warn_unused_result))
int lull_station_run(lull_station *st, uint64_t frames);

/* Change the params named in fields (an OR of LULL_PARAM_*, params.h; the
 * other fields of params, and other bits, are ignored) from any thread.
 * Applied at the start of the next frame: harmony from the next beat, tempo
 * ramped, intensity at once. LULL_ERANGE names a bad field; LULL_EFULL if
 * too many changes are pending (nothing is blocked). */
__attribute__((warn_unused_result))
int lull_station_set_params(lull_station *st, const lull_params *params, uint32_t fields, lull_diag *diag);
/* The same, saying who asked (LULL_BY_*; lull_station_set_params is the
 * operator), which lull_station_now tells listeners. */
__attribute__((warn_unused_result))
int lull_station_set_params_by(lull_station *st, const lull_params *params, uint32_t fields, int by, lull_diag *diag);
/* Who may steer it (LULL_STEER_*, as configured). Any thread. */
int lull_station_steer(const lull_station *st);
/* "open", "token", "none" (LULL_STEER_DEFAULT: "default"); "?" otherwise. */
const char *lull_steer_name(int steer);
/* "operator", "listener", "timeline"; "?" otherwise. */
const char *lull_by_name(int by);

/* The params in force (as of the last frame). Any thread. */
void lull_station_get_params(const lull_station *st, lull_params *out);
/* The params and the music's position, as of the last frame. Any thread. */
void lull_station_get_now(const lull_station *st, lull_station_now *out);
/* Counters and timings. Any thread. */
void lull_station_get_metrics(const lull_station *st, lull_station_metrics *out);
/* The light of an hour (0..<24, local): 0.5 - 0.5 cos(2 pi (hour - 2) / 24),
 * 0 at 02:00 and 1 at 14:00, smooth all round. Thread-safe. */
float lull_daylight(double hour);
/* The part of the day an hour falls in: "night" (before 5 and from 21),
 * "dawn" (5..8), "morning" (8..12), "afternoon" (12..17), "evening"
 * (17..21). Thread-safe. */
const char *lull_day_phase(double hour);
/* Whether name is a valid station name: 1..32 of a-z, 0-9 and -. */
int lull_station_name_valid(const char *name);
/* Whether text may be a station's title: UTF-8 of 1..LULL_STATION_TITLE_MAX
 * characters, none of them a control character (U+0000..U+001F,
 * U+007F..U+009F). LULL_OK, or LULL_ERANGE (length) or LULL_EINVAL (not
 * UTF-8, a control character) with field "title" and the limit in diag.
 * Thread-safe; allocates nothing. */
__attribute__((warn_unused_result))
int lull_station_title_check(const char *text, lull_diag *diag);
/* The same for a description: 0..LULL_STATION_DESCRIPTION_MAX characters,
 * field "description". */
__attribute__((warn_unused_result))
int lull_station_description_check(const char *text, lull_diag *diag);
/* The station's name. */
const char *lull_station_name(const lull_station *st);
/* Its title (the name when the config gave none) and description ("" when
 * none): never NULL; as made, or as lull_station_set_face last set them.
 * Any thread while nobody sets them; else lull_station_get_face. */
const char *lull_station_title(const lull_station *st);
const char *lull_station_description(const lull_station *st);

/* A station's face, copied whole. */
typedef struct lull_station_face {
  char title[LULL_STATION_TITLE_MAX * 4 + 1]; /* 4 bytes a character at most in UTF-8 */
  char description[LULL_STATION_DESCRIPTION_MAX * 4 + 1];
} lull_station_face;
/* Its title and description now. Thread-safe. */
void lull_station_get_face(const lull_station *st, lull_station_face *out);
/* New ones (title NULL: the name; description NULL: ""), checked as at
 * create; on an error (diag names it) nothing changes. The Ogg stream's own
 * tags keep the title it started with: players break on changed tags.
 * Thread-safe. */
__attribute__((warn_unused_result))
int lull_station_set_face(lull_station *st, const char *title, const char *description, lull_diag *diag);

#ifdef __cplusplus
}
#endif
#endif
