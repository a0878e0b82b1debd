/* The LV2 host against real plugins from Debian: Dragonfly Hall Reverb on
 * the master lengthens the tail, the limiter still holds the true peak,
 * renders repeat exactly, every bad spec is refused by name before anything
 * plays; padthv1 and synthv1 on the pad play a note at its pitch from its
 * frame, and padthv1's renders repeat exactly. */
#include <ebur128.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

int usleep(unsigned usec); /* POSIX.1-2001; not declared under _XOPEN_SOURCE=700 */

#include "plugin/plugin.h"
#include "stream/stream.h"
#include "support/decode.h"
#include "support/engine_util.h"
#include "support/harness.h"
#include "support/signal.h"

#define HALL "https://github.com/michaelwillis/dragonfly-reverb"
#define FS 48000u

/* One loud pad chord of 0.5 s at frame 0 (+6 dB on the master: into the
 * limiter), then n frames rendered. */
static float *render_chord(const char *fx, int dry, size_t frames) {
  const char *chain[1] = {fx};
  lull_engine_config cfg = {.dry = dry, .fx = fx ? chain : NULL, .fx_count = fx ? 1 : 0, .master_gain_db = 6};
  lull_engine *e = NULL;
  lull_diag diag = {{0}, {0}};
  int err = lull_engine_create(&cfg, &e, &diag);
  if (err != LULL_OK) fail_msg("engine with %s: %s: %s", fx ? fx : "no fx", diag.field, diag.message);
  static const int chord[4] = {45, 52, 57, 60};
  for (int i = 0; i < 4; i++) test_note(e, 0, LULL_PART_PAD, LULL_EVENT_ON, chord[i], 1.0f, FS / 2);
  float *x = test_render(e, frames, 480);
  lull_engine_stats st;
  lull_engine_get_stats(e, &st);
  assert_int_equal(st.plugin_faults, 0);
  lull_engine_destroy(e);
  return x;
}

static double window_db(const float *x, double from_s, double to_s) {
  size_t a = (size_t)(from_s * FS), b = (size_t)(to_s * FS);
  return sig_db(sig_rms(x + 2 * a, b - a, 2) + 1e-12);
}

static void hall_lengthens_the_tail(void **state) {
  (void)state;
  size_t n = 6 * FS;
  float *plain = render_chord(NULL, 1, n);
  float *hall = render_chord(HALL ",decay=6,late_level=60,dry_level=80", 1, n);
  /* The chord's release is 1-2 s; from 3 s to 4 s the dry engine is near
   * silence, the hall still rings. */
  double plain_db = window_db(plain, 3.0, 4.0), hall_db = window_db(hall, 3.0, 4.0);
  double head_plain = window_db(plain, 0.1, 0.4), head_hall = window_db(hall, 0.1, 0.4);
  print_message("0.1-0.4 s: %.1f dB dry, %.1f dB hall; 3-4 s: %.1f dB dry, %.1f dB hall\n", head_plain, head_hall,
                plain_db, hall_db);
  assert_true(hall_db > plain_db + 20.0);
  assert_true(hall_db > head_hall - 40.0); /* still a real tail, not a trace */
  assert_int_equal(sig_nonfinite(hall, 2 * n), 0);
  /* The limiter after the effect: the true peak stays at or below -1 dBTP. */
  ebur128_state *st = ebur128_init(2, FS, EBUR128_MODE_TRUE_PEAK);
  ebur128_add_frames_float(st, hall, n);
  double tp = 0, ch;
  for (unsigned c = 0; c < 2; c++) {
    ebur128_true_peak(st, c, &ch);
    if (ch > tp) tp = ch;
  }
  ebur128_destroy(&st);
  print_message("true peak with the hall: %.2f dBTP\n", sig_db(tp));
  assert_true(sig_db(tp) <= -1.0);
  free(plain);
  free(hall);
}

static void renders_repeat_exactly(void **state) {
  (void)state;
  size_t n = 2 * FS;
  float *a = render_chord(HALL ",decay=4", 0, n), *b = render_chord(HALL ",decay=4", 0, n);
  assert_memory_equal(a, b, sizeof(float) * 2 * n);
  free(a);
  free(b);
}

/* An effect's spec (instrument 0) or the pad's instrument's is refused
 * with err, the message holding needle. */
static void expect_refused_as(int instrument, const char *spec, int err, const char *needle) {
  const char *chain[1] = {spec};
  lull_engine_config cfg = {.fx = chain, .fx_count = 1};
  if (instrument) cfg.fx_count = 0, cfg.instrument[LULL_PART_PAD] = spec;
  lull_engine *e = NULL;
  lull_diag diag = {{0}, {0}};
  assert_int_equal(lull_engine_create(&cfg, &e, &diag), err);
  assert_null(e);
  assert_string_equal(diag.field, instrument ? "instrument.pad" : "fx");
  if (!strstr(diag.message, needle)) fail_msg("\"%s\": message \"%s\" lacks \"%s\"", spec, diag.message, needle);
}

static void expect_refused(const char *spec, int err, const char *needle) { expect_refused_as(0, spec, err, needle); }

static void bad_specs_are_refused_by_name(void **state) {
  (void)state;
  expect_refused("urn:lull:no-such-plugin", LULL_EUNKNOWN, "urn:lull:no-such-plugin");
  expect_refused(HALL ",decay=60", LULL_ERANGE, HALL ": decay must be 0.1..10, got 60");
  expect_refused(HALL ",decay=fast", LULL_EINVAL, HALL ": decay=fast: not a number");
  expect_refused(HALL ",decay=nan", LULL_EINVAL, "not a number");
  expect_refused(HALL ",colour=3", LULL_EUNKNOWN, "no control input \"colour\"");
  expect_refused(HALL ",preset=Cathedral", LULL_EUNKNOWN, "no preset \"Cathedral\"");
  expect_refused(HALL ",decay", LULL_EINVAL, "preset=P or SYMBOL=VALUE");
  expect_refused("", LULL_EINVAL, "URI");
  expect_refused(HALL ",,decay=2", LULL_EINVAL, "an empty field");
  expect_refused(HALL ",decay=2,", LULL_EINVAL, "an empty field");
  expect_refused(",decay=2", LULL_EINVAL, "an empty field");
  expect_refused(HALL ",preset=a,preset=b", LULL_EINVAL, "preset= is given twice");
}

/* A plugin whose output passes +24 dBFS is bypassed: its last good output
 * crossfades to its input over 5 ms (240 frames), then the input passes
 * unchanged; it says so once, naming what went wrong. */
static void an_exploding_effect_is_bypassed(void **state) {
  (void)state;
  lull_plugin_host *host = NULL;
  lull_plugin *p = NULL;
  assert_int_equal(lull__plugin_host_create(&host, NULL), LULL_OK);
  assert_int_equal(lull__plugin_open_fx(host, HALL ",dry_level=100", "fx", FS, 256, &p, NULL), LULL_OK);
  float l[256], r[256];
  for (int i = 0; i < 256; i++) l[i] = r[i] = 0.1f;
  lull__plugin_process(p, l, r, 256);
  assert_false(lull__plugin_faulted(p));
  const float last = l[255];
  char why[160];
  assert_int_equal(lull__plugin_take_fault(p, why, sizeof why), 0);
  for (int i = 0; i < 256; i++) l[i] = r[i] = 100.0f; /* +40 dBFS in: the dry path passes it out */
  lull__plugin_process(p, l, r, 256);
  assert_true(lull__plugin_faulted(p));
  assert_true(fabsf(l[0] - (last + (100.0f - last) / 240)) < 1e-3f); /* the fade's first step from the last good */
  for (int i = 1; i < 240; i++) assert_true(l[i] > l[i - 1] && l[i] - l[i - 1] < 0.5f); /* a ramp, no step */
  for (int i = 239; i < 256; i++) assert_true(l[i] == 100.0f && r[i] == 100.0f);
  assert_int_equal(lull__plugin_take_fault(p, why, sizeof why), 1);
  print_message("%s\n", why);
  assert_non_null(strstr(why, "its output reached +"));
  assert_non_null(strstr(why, "at 0.005 s")); /* the first frame of the second 256-frame block */
  assert_int_equal(lull__plugin_take_fault(p, why, sizeof why), 0); /* told once */
  for (int i = 0; i < 256; i++) l[i] = r[i] = 0.25f;
  lull__plugin_process(p, l, r, 256);
  for (int i = 0; i < 256; i++) assert_true(l[i] == 0.25f && r[i] == 0.25f);
  lull__plugin_close(p);
  lull__plugin_host_destroy(host);
}

/* One note through an LV2 instrument playing the pad, dry: its pitch and
 * the frame it starts at. */
static void note_through(const char *uri) {
  lull_engine_config cfg = {.dry = 1};
  cfg.instrument[LULL_PART_PAD] = uri;
  lull_engine *e = NULL;
  lull_diag diag = {{0}, {0}};
  if (lull_engine_create(&cfg, &e, &diag) != LULL_OK) fail_msg("%s: %s: %s", uri, diag.field, diag.message);
  const uint64_t at = 4800; /* 0.1 s */
  test_note(e, at, LULL_PART_PAD, LULL_EVENT_ON, 69, 0.8f, FS); /* A4 for 1 s */
  size_t n = 2 * FS;
  float *x = test_render(e, n, 333); /* blocks that cut across the note's frames */
  uint32_t own = lull_engine_plugin_latency_frames(e, LULL_PART_PAD); /* the instrument's, from its port */
  uint32_t latency = lull_engine_latency_frames(e) + own;
  size_t first = 0;
  while (first < n && fabsf(x[2 * first]) < 1e-6f && fabsf(x[2 * first + 1]) < 1e-6f) first++;
  double *spec = sig_spectrum(x + 2 * (FS / 2), 32768, 2);
  double mag = 0, hz = sig_peak_hz(spec, 32768, FS, 300, 600, &mag);
  print_message("%s: starts at frame %zu (note %llu + latency %u, of which the plugin's %u), peak %.2f Hz, RMS %.1f dB\n",
                uri, first, (unsigned long long)at, latency, own, hz, sig_db(sig_rms(x + 2 * (FS / 2), FS / 2, 2)));
  assert_true(first >= at + latency && first <= at + latency + 48); /* within 1 ms of its frame */
  assert_true(fabs(hz - 440.0) / 440.0 < 0.01);
  assert_true(sig_db(sig_rms(x + 2 * (FS / 2), FS / 2, 2)) > -50.0);
  lull_engine_stats st;
  lull_engine_get_stats(e, &st);
  assert_int_equal(st.plugin_faults, 0);
  free(spec);
  free(x);
  lull_engine_destroy(e);
}

/* Chords through padthv1 on the pad, rendered twice: the same samples. */
static float *padthv1_chords(size_t n) {
  lull_engine_config cfg = {0};
  cfg.instrument[LULL_PART_PAD] = "http://padthv1.sourceforge.net/lv2";
  lull_engine *e = NULL;
  if (lull_engine_create(&cfg, &e, NULL) != LULL_OK) fail_msg("padthv1 did not open");
  static const int chords[3][3] = {{57, 60, 64}, {53, 57, 60}, {55, 59, 62}};
  for (int c = 0; c < 3; c++)
    for (int k = 0; k < 3; k++) test_note(e, (uint64_t)c * FS, LULL_PART_PAD, LULL_EVENT_ON, chords[c][k], 0.7f, FS);
  float *x = test_render(e, n, 960);
  lull_engine_destroy(e);
  return x;
}

static void padthv1_renders_repeat_exactly(void **state) {
  (void)state;
  size_t n = 4 * FS;
  float *a = padthv1_chords(n), *b = padthv1_chords(n);
  assert_true(sig_rms(a, n, 2) > 1e-3);
  assert_memory_equal(a, b, sizeof(float) * 2 * n);
  free(a);
  free(b);
}

static void padthv1_plays_its_note(void **state) {
  (void)state;
  note_through("http://padthv1.sourceforge.net/lv2");
}

static void synthv1_plays_its_note(void **state) {
  (void)state;
  note_through("http://synthv1.sourceforge.net/lv2");
}

#define PROBE "urn:lull:test:probe"

/* The probe's output after a render of 64 frames. */
static float probe_level(lull_plugin *p) {
  float l[64], r[64];
  lull__plugin_render(p, l, r, 64);
  assert_true(l[0] == r[0] && l[63] == l[0]); /* mono into both, constant */
  return l[0];
}

/* The probe's level for note 127 (1.0 at gain 1), opened from spec. */
static float probe_full_level(lull_plugin_host *host, const char *spec) {
  lull_plugin *p = NULL;
  lull_diag d = {{0}, {0}};
  if (lull__plugin_open_instrument(host, spec, "instrument.pad", FS, 64, &p, &d) != LULL_OK)
    fail_msg("%s: %s", spec, d.message);
  assert_int_equal(lull__plugin_midi(p, 0, 0x90, 127, 100), 1);
  (void)probe_level(p); /* the run that asked */
  float level = probe_level(p);
  lull__plugin_close(p);
  return level;
}

/* A preset by its label (a comma in it written \,) or its URI sets the
 * port it names (lilv state); SYMBOL=VALUE overrides it in either order. A
 * port given in fractions of the sample rate (lv2:sampleRate) takes and
 * checks values in Hz. */
static void presets_and_rate_scaled_ports(void **state) {
  (void)state;
  lull_plugin_host *host = NULL;
  assert_int_equal(lull__plugin_host_create(&host, NULL), LULL_OK);
  assert_true(probe_full_level(host, PROBE) == 1.0f);
  assert_true(probe_full_level(host, PROBE ",preset=Half\\, quiet") == 0.5f);
  assert_true(probe_full_level(host, PROBE ",preset=" PROBE "#half") == 0.5f);
  assert_true(probe_full_level(host, PROBE ",preset=Half\\, quiet,gain=0.25") == 0.25f);
  assert_true(probe_full_level(host, PROBE ",gain=0.25,preset=" PROBE "#half") == 0.25f);
  assert_true(probe_full_level(host, PROBE ",cutoff=20000") == 1.0f); /* 0.42 of 48 kHz: within 0..0.5 */
  lull__plugin_host_destroy(host);
  expect_refused_as(1, PROBE ",cutoff=30000", LULL_ERANGE, PROBE ": cutoff must be 0..24000, got 30000");
  expect_refused_as(1, PROBE ",preset=Half, quiet", LULL_EINVAL, "\" quiet\": options are preset=P or SYMBOL=VALUE");
  expect_refused_as(1, PROBE ",preset=Half", LULL_EUNKNOWN, "has no preset \"Half\"");
}

/* Offline, work runs inside run and its answer lands right after it. */
static void worker_inside_run(void **state) {
  (void)state;
  lull_plugin_host *host = NULL;
  lull_plugin *p = NULL;
  assert_int_equal(lull__plugin_host_create(&host, NULL), LULL_OK);
  assert_int_equal(lull__plugin_open_instrument(host, PROBE, "instrument.pad", FS, 64, &p, NULL), LULL_OK);
  assert_true(probe_level(p) == 0.0f); /* the warm-up's answer reset by its activate */
  assert_int_equal(lull__plugin_midi(p, 0, 0x90, 69, 100), 1);
  assert_true(probe_level(p) == 0.0f);        /* the run that asked */
  assert_true(probe_level(p) == 69.0f / 127); /* answered after it */
  lull__plugin_close(p);
  lull__plugin_host_destroy(host);
}

/* Live, work runs in the worker thread: not inside run, not before
 * lull__plugin_service wakes it, and its answer arrives in a later run. */
static void worker_in_its_thread(void **state) {
  (void)state;
  lull_plugin_host *host = NULL;
  lull_plugin *p = NULL;
  assert_int_equal(lull__plugin_host_create(&host, NULL), LULL_OK);
  assert_int_equal(lull__plugin_open_instrument(host, PROBE, "instrument.pad", FS, 64, &p, NULL), LULL_OK);
  assert_int_equal(lull__plugin_start_worker(p), LULL_OK);
  assert_int_equal(lull__plugin_midi(p, 0, 0x90, 72, 100), 1);
  assert_true(probe_level(p) == 0.0f);
  for (int i = 0; i < 10; i++) { /* 100 ms unwoken: nothing */
    usleep(10000);
    assert_true(probe_level(p) == 0.0f);
  }
  lull__plugin_service(p);
  assert_true(probe_level(p) == 0.0f); /* the work takes 20 ms: not waited for */
  int runs = 1;
  while (probe_level(p) == 0.0f && runs++ < 400) usleep(5000);
  print_message("the worker's answer came %d runs after the wake\n", runs);
  assert_true(probe_level(p) == 72.0f / 127);
  lull__plugin_close(p); /* joins the thread */
  lull__plugin_host_destroy(host);
}

/* An instrument whose output turns NaN is muted and counted: the probe
 * sounds for its note 60, then goes NaN with note 100. The mute fades over
 * 5 ms (no step as big as a twentieth of the note's own start), and the
 * engine tells the fault once, naming the plugin, what and when. */
static void an_exploding_instrument_is_muted(void **state) {
  (void)state;
  lull_engine_config cfg = {.dry = 1};
  cfg.instrument[LULL_PART_LEAD] = PROBE ",explode=1";
  lull_engine *e = NULL;
  lull_diag d = {{0}, {0}};
  if (lull_engine_create(&cfg, &e, &d) != LULL_OK) fail_msg("%s: %s", d.field, d.message);
  test_note(e, 0, LULL_PART_LEAD, LULL_EVENT_ON, 60, 1.0f, 0);
  test_note(e, FS / 10, LULL_PART_LEAD, LULL_EVENT_ON, 100, 1.0f, 0);
  float *x = test_render(e, FS / 5, 480);
  assert_int_equal(sig_nonfinite(x, 2 * (FS / 5)), 0); /* the NaN never reached the mix: muted */
  assert_true(sig_peak(x, FS / 20, 2) > 0.05); /* 0-50 ms: note 60 sounds (a step: the DC blocker lets its start by) */
  double onset = 0, at_fault = 0;
  for (size_t i = 1; i < FS / 5; i++) {
    double step = fabs((double)x[2 * i] - x[2 * (i - 1)]);
    if (i < FS / 20) onset = fmax(onset, step);
    else if (i > FS / 10 - 96 && i < FS / 10 + 480) at_fault = fmax(at_fault, step);
  }
  print_message("largest step: at the note's start %.4f, at the fault %.5f\n", onset, at_fault);
  assert_true(at_fault < onset / 20);
  lull_engine_stats st;
  lull_engine_get_stats(e, &st);
  assert_int_equal(st.plugin_faults, 1);
  char line[512];
  assert_int_equal(lull_engine_take_fault(e, line, sizeof line), 1);
  print_message("%s\n", line);
  assert_non_null(strstr(line, "the LV2 instrument on lead (" PROBE "): its output turned NaN at 0.10"));
  assert_non_null(strstr(line, "; muted from there"));
  assert_int_equal(lull_engine_take_fault(e, line, sizeof line), 0); /* once */
  free(x);
  lull_engine_destroy(e);
}

/* A pitch struck again while it sounds plays on for its own length: the
 * first note's end does not cut the second short. */
static void a_pitch_struck_again_plays_its_length(void **state) {
  (void)state;
  lull_engine_config cfg = {.dry = 1};
  cfg.instrument[LULL_PART_PAD] = "http://synthv1.sourceforge.net/lv2";
  lull_engine *e = NULL;
  if (lull_engine_create(&cfg, &e, NULL) != LULL_OK) fail_msg("synthv1 did not open");
  test_note(e, 0, LULL_PART_PAD, LULL_EVENT_ON, 60, 0.8f, FS);          /* 0-1 s */
  test_note(e, FS / 2, LULL_PART_PAD, LULL_EVENT_ON, 60, 0.8f, 2 * FS); /* 0.5-2.5 s */
  float *x = test_render(e, 3 * FS, 960);
  double held = window_db(x, 1.25, 2.3), early = window_db(x, 0.2, 0.45);
  print_message("0.2-0.45 s %.1f dB; 1.25-2.3 s (the second note alone) %.1f dB\n", early, held);
  assert_true(held > early - 10.0);
  free(x);
  lull_engine_destroy(e);
}

/* release_all ends every sounding note by name, for instruments that
 * ignore all-notes-off (the probe does): its level falls to 0, which the
 * master's DC blocker shows as a step down. */
static void release_all_ends_each_note(void **state) {
  (void)state;
  lull_engine_config cfg = {.dry = 1};
  cfg.instrument[LULL_PART_LEAD] = PROBE;
  lull_engine *e = NULL;
  if (lull_engine_create(&cfg, &e, NULL) != LULL_OK) fail_msg("the probe did not open");
  test_note(e, 0, LULL_PART_LEAD, LULL_EVENT_ON, 64, 1.0f, 0); /* no end: held until released */
  float *before = test_render(e, FS / 2, 480);
  lull_engine_release_all(e);
  float *after = test_render(e, FS / 50, 480);
  double low = 0;
  for (size_t i = 0; i < FS / 50; i++) low = after[2 * i] < low ? after[2 * i] : low;
  print_message("after release_all the output steps down to %.3f\n", low);
  assert_true(low < -0.1);
  free(before);
  free(after);
  lull_engine_destroy(e);
}

/* What a station logged. */
typedef struct log_lines {
  int n;
  char last[600];
} log_lines;

static void keep_line(void *user, int level, const char *message) {
  log_lines *l = user;
  assert_int_equal(level, LULL_LOG_WARN);
  l->n++;
  snprintf(l->last, sizeof l->last, "%s", message);
}

/* A station whose pad faults (the probe turns NaN at its first note) plays
 * on: the NaN never reaches the stream, the fault is counted and logged
 * once, naming the station, part, plugin and what happened. */
static void a_station_logs_a_fault_once(void **state) {
  (void)state;
  log_lines got = {0, {0}};
  lull_station_config c = {.name = "faulty", .log = keep_line, .log_user = &got};
  c.instrument[LULL_PART_PAD] = PROBE ",explode=2";
  c.params = lull_params_default();
  lull_station *st = NULL;
  lull_diag d = {{0}, {0}};
  if (lull_station_create(&c, &st, &d) != LULL_OK) fail_msg("station: %s: %s", d.field, d.message);
  assert_int_equal(lull_station_run(st, 300), LULL_OK); /* 6 s: the pad plays from the first bar */
  lull_station_metrics m;
  lull_station_get_metrics(st, &m);
  print_message("%d line(s): %s\n", got.n, got.last);
  assert_int_equal(got.n, 1);
  assert_non_null(strstr(got.last, "station faulty: the LV2 instrument on pad (" PROBE "): its output turned NaN at "));
  assert_non_null(strstr(got.last, "; muted from there"));
  assert_int_equal(m.plugin_faults, 1);
  assert_int_equal(m.faults, 0); /* no frame needed silencing: the mute came first */
  assert_int_equal(m.frames, 300);
  lull_station_destroy(st);
}

/* A station whose pad is padthv1 and whose master has Dragonfly Hall. */
static lull_station *lv2_station(void) {
  static const char *const fx[1] = {HALL ",decay=5"};
  lull_station_config c = {.name = "lv2", .fx = fx, .fx_count = 1};
  c.instrument[LULL_PART_PAD] = "http://padthv1.sourceforge.net/lv2";
  c.params = lull_params_default();
  c.params.intensity = 0.5f;
  lull_station *st = NULL;
  lull_diag d = {{0}, {0}};
  if (lull_station_create(&c, &st, &d) != LULL_OK) fail_msg("station: %s: %s", d.field, d.message);
  return st;
}

/* What a new listener reads: the Ogg header, then the ring's pages. */
static size_t read_pages(lull_station *st, unsigned char **ogg) {
  uint32_t hlen = 0;
  const unsigned char *h = lull__station_ogg_header(st, &hlen);
  assert_non_null(h);
  size_t len = hlen, cap = 1 << 20;
  *ogg = malloc(cap);
  memcpy(*ogg, h, hlen);
  const lull_ring_slot *slot;
  uint64_t lost, next = 0;
  int err;
  while ((err = lull__ring_get(lull__station_pages(st), next, &slot, &lost)) != LULL_EAGAIN) {
    assert_int_equal(err, LULL_OK); /* nothing overtaken */
    size_t n = lull__slot_len(slot);
    if (len + n > cap) *ogg = realloc(*ogg, cap = 2 * (len + n));
    memcpy(*ogg + len, slot->data, n);
    len += n, next++;
  }
  return len;
}

/* 10 s of a station with an LV2 pad and an LV2 reverb: the Ogg stream
 * decodes to 10 s of sound, with no fault. */
static void a_station_with_plugins_streams(void **state) {
  (void)state;
  lull_station *st = lv2_station();
  assert_int_equal(lull_station_run(st, 500), LULL_OK); /* 500 frames of 20 ms */
  unsigned char *ogg;
  size_t len = read_pages(st, &ogg);
  decoded out = {0};
  assert_int_equal(decode_ogg_opus(ogg, len, &out), 0);
  print_message("%.2f s decoded, RMS %.1f dB, %llu holes\n", out.seconds, sig_db(out.rms), (unsigned long long)out.holes);
  assert_true(fabs(out.seconds - 10.0) < 0.1);
  assert_int_equal(out.holes, 0);
  assert_true(sig_db(out.rms) > -45.0);
  lull_station_metrics m;
  lull_station_get_metrics(st, &m);
  assert_int_equal(m.faults, 0);
  free(ogg);
  lull_station_destroy(st);
}

/* `test_plugin --timing` (CTest test_plugin_timing, label timing): the same
 * station live for 10 s keeps the clock. */
static void a_station_with_plugins_keeps_time(void **state) {
  (void)state;
  lull_station *st = lv2_station();
  assert_int_equal(lull_station_start(st), LULL_OK);
  sleep(10);
  lull_station_stop(st);
  lull_station_metrics m;
  lull_station_get_metrics(st, &m);
  print_message("10 s live with padthv1 and Dragonfly Hall: %llu frames, %llu late, render+encode %.0f us mean, "
                "%.0f max\n", (unsigned long long)m.frames, (unsigned long long)m.late_frames, m.encode_us_mean,
                m.encode_us_max);
  assert_true(m.frames >= 490);
  assert_int_equal(m.late_frames, 0);
  assert_int_equal(m.faults, 0);
  lull_station_destroy(st);
}

int main(int argc, char **argv) {
  setenv("QT_QPA_PLATFORM", "offscreen", 0); /* as the lull program does (padthv1, synthv1 are Qt) */
  if (argc > 1 && strcmp(argv[1], "--timing") == 0) {
    const struct CMUnitTest timing[] = {cmocka_unit_test(a_station_with_plugins_keeps_time)};
    return cmocka_run_group_tests(timing, NULL, NULL);
  }
  if (argc > 1 && strcmp(argv[1], "--probe") == 0) { /* lull's own probe only: for ThreadSanitizer (Qt plugins race in their own threads) */
    const struct CMUnitTest probe[] = {
        cmocka_unit_test(worker_inside_run),           cmocka_unit_test(presets_and_rate_scaled_ports),
        cmocka_unit_test(worker_in_its_thread),        cmocka_unit_test(an_exploding_instrument_is_muted),
        cmocka_unit_test(release_all_ends_each_note),  cmocka_unit_test(a_station_logs_a_fault_once),
    };
    return cmocka_run_group_tests(probe, NULL, NULL);
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(hall_lengthens_the_tail),
      cmocka_unit_test(renders_repeat_exactly),
      cmocka_unit_test(bad_specs_are_refused_by_name),
      cmocka_unit_test(an_exploding_effect_is_bypassed),
      cmocka_unit_test(padthv1_plays_its_note),
      cmocka_unit_test(synthv1_plays_its_note),
      cmocka_unit_test(padthv1_renders_repeat_exactly),
      cmocka_unit_test(a_station_with_plugins_streams),
      cmocka_unit_test(worker_inside_run),
      cmocka_unit_test(presets_and_rate_scaled_ports),
      cmocka_unit_test(worker_in_its_thread),
      cmocka_unit_test(an_exploding_instrument_is_muted),
      cmocka_unit_test(a_pitch_struck_again_plays_its_length),
      cmocka_unit_test(release_all_ends_each_note),
      cmocka_unit_test(a_station_logs_a_fault_once),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
