/* The engine: event heap -> voice pool -> dry and send buses -> delay and
 * reverb -> DC blocker -> soft clip -> lookahead limiter. One allocation at
 * create holds the engine and all its buffers; render only moves through
 * them. Render splits each call into sub-blocks that end at every grid
 * line (LULL_GRID_FRAMES), event and voice state change, so the output is
 * the same whatever block sizes the caller renders in. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsp/denormal.h"
#include "dsp/isa.h"
#include "lull/engine.h"
#include "lull/err.h"
#include "lull/params.h"
#include "plugin/plugin.h"
#include "synth/synth_int.h"

#define DEFAULT_EVENTS 4096u
#define MAX_EVENTS (1u << 20)
/* The delay runs free of the tempo: 0.83 s left, 1.29 s right (a ratio
 * near 1.554, no small fraction, and no beat of 30..180 bpm a multiple of
 * either), each wandering +- 1.5 ms. */
#define DELAY_MAX_S 1.5f
#define DELAY_LEFT_S 0.83f
#define DELAY_RIGHT_S 1.29f
#define DELAY_MOD_MS 1.5f
#define DELAY_FEEDBACK 0.35f
#define CEILING_DB (-1.5f) /* sample peaks: inter-sample overs of up to 0.5 dB stay under -1 dBTP */
#define LOOKAHEAD_MS 1.5f
#define LIMITER_RELEASE_MS 120.0f
#define MASTER_SMOOTH_MS 50.0f
#define SOFT_CLIP_DRIVE 0.95f /* the seed's tanh(0.95 x) */
#define ROOM_GLIDE_MS 450.0f   /* a palette's room arrives in about 2 s (99 %) */
#define RECENT_S 4.0f          /* what grains may read: the last seconds of output */
#define LULL_MAX_FX 8
/* Notes of plugin instruments sounding with a set end: at most one a part
 * and pitch (a pitch struck again forgets its pending end), so never full. */
#define LULL_PLUGIN_OFFS (LULL_PART_COUNT * 128)
#define ENSEMBLE_AFTER_S 15.0f /* the chorus runs this long after its palette: a bar's hold and a release */

struct lull_engine {
  lull_pool pool; /* first: holds the 32-byte aligned vectors */
  lull_wavetable wt;
  lull_seq seq;
  lull_reverb reverb;
  lull_delay delay;
  lull_ensemble ensemble;
  lull_tape tape;
  lull_smooth room_decay, room_damping, echo_feedback; /* the palette's room, glided at grid lines */
  lull_smooth makeup;        /* the palette's gain on the master (its music as loud as classic's) */
  uint64_t ensemble_left;    /* frames the chorus runs on (UINT64_MAX: its palette is in force) */
  lull_grain_source recent;  /* the output's last seconds, mono, for grains */
  float *recent_data;
  lull_limiter limiter;
  lull_dcblock dc[2];
  lull_smooth master;
  float master_now, master_step; /* at the control period's start, and per frame */
  float mix[2][LULL_MAX_BLOCK], rev_in[LULL_MAX_BLOCK], dly_in[LULL_MAX_BLOCK], ens_in[LULL_MAX_BLOCK];
  float scratch[LULL_SCRATCH][LULL_MAX_BLOCK];
  float silence[LULL_MAX_BLOCK];
  lull_plugin_host *plugins; /* NULL: no LV2 effects */
  lull_plugin *fx[LULL_MAX_FX];
  lull_plugin *instr[LULL_PART_COUNT]; /* NULL: the part's own voices */
  /* Note-offs due for plugin instruments: frame, part, pitch; unordered. */
  struct plugin_off { uint64_t frame; uint8_t part, pitch; } offs[LULL_PLUGIN_OFFS];
  uint32_t n_offs;
  uint64_t sounding[LULL_PART_COUNT][2]; /* plugin instruments: pitches on, a bit each */
  float plug[2][LULL_MAX_BLOCK];
  lull_engine_config cfg;
  lull_engine_stats stats;
  uint64_t pos;
  uint64_t tick; /* the profile's last mark */
};

static size_t round_up(size_t n, size_t a) { return (n + a - 1) / a * a; }

static int validate(lull_engine_config *c, lull_diag *diag) {
  if (c->sample_rate_hz == 0) c->sample_rate_hz = LULL_SAMPLE_RATE_HZ;
  if (c->sample_rate_hz < 22050 || c->sample_rate_hz > 192000)
    return lull_diag_set(diag, LULL_ERANGE, "sample_rate_hz", "must be 22050..192000, got %u", c->sample_rate_hz);
  if (c->event_capacity == 0) c->event_capacity = DEFAULT_EVENTS;
  if (c->event_capacity > MAX_EVENTS)
    return lull_diag_set(diag, LULL_ERANGE, "event_capacity", "must be 1..%u, got %u", MAX_EVENTS, c->event_capacity);
  if (c->bpm == 0) c->bpm = 70.0f;
  if (!(c->bpm >= 30.0f && c->bpm <= 180.0f))
    return lull_diag_set(diag, LULL_ERANGE, "bpm", "must be 30..180, got %g", (double)c->bpm);
  if (c->reverb_decay_s == 0) c->reverb_decay_s = 6.0f;
  if (!(c->reverb_decay_s >= 2.0f && c->reverb_decay_s <= 10.0f))
    return lull_diag_set(diag, LULL_ERANGE, "reverb_decay_s", "must be 2..10, got %g", (double)c->reverb_decay_s);
  if (!(c->master_gain_db >= -24.0f && c->master_gain_db <= 24.0f))
    return lull_diag_set(diag, LULL_ERANGE, "master_gain_db", "must be -24..24, got %g", (double)c->master_gain_db);
  if (c->fx_count > LULL_MAX_FX || (c->fx_count && !c->fx))
    return lull_diag_set(diag, LULL_ERANGE, "fx", "at most %d effects, got %u", LULL_MAX_FX, c->fx_count);
  return LULL_OK;
}

int lull_engine_create(const lull_engine_config *config, lull_engine **out, lull_diag *diag) {
  if (!out) return lull_diag_set(diag, LULL_EINVAL, "out", "must not be NULL");
  *out = NULL;
  lull_engine_config c = {0};
  if (config) c = *config;
  int err = validate(&c, diag);
  if (err) return err;
  float fs = (float)c.sample_rate_hz;

  /* One allocation, carved up: engine | wavetables | reverb | delay |
   * ensemble | tape | recent output | scalar voices and their strings | events. */
  size_t recent = lull__pow2_at_least((uint32_t)(RECENT_S * fs));
  size_t off_wt = round_up(sizeof(lull_engine), 64);
  size_t off_rev = round_up(off_wt + lull__wavetable_floats() * sizeof(float), 64);
  size_t off_dly = round_up(off_rev + lull__reverb_floats(fs) * sizeof(float), 64);
  size_t off_ens = round_up(off_dly + lull__delay_floats(fs, DELAY_MAX_S) * sizeof(float), 64);
  size_t off_tape = round_up(off_ens + lull__ensemble_floats(fs) * sizeof(float), 64);
  size_t off_recent = round_up(off_tape + lull__tape_floats(fs) * sizeof(float), 64);
  size_t off_x = round_up(off_recent + recent * sizeof(float), 64);
  size_t off_str = round_up(off_x + LULL_XVOICES * sizeof(lull_xvoice), 64);
  size_t off_ev = round_up(off_str + lull__pool_floats(fs) * sizeof(float), 64);
  size_t total = round_up(off_ev + (size_t)c.event_capacity * sizeof(lull_seq_item), 64);
  unsigned char *mem = aligned_alloc(64, total);
  if (!mem) return lull_diag_set(diag, LULL_ENOMEM, "", "engine: cannot allocate %zu bytes", total);
  memset(mem, 0, off_wt);
  memset(mem + off_recent, 0, off_ev - off_recent);
  lull_engine *e = (lull_engine *)mem;
  e->cfg = c;
  lull__wavetable_init(&e->wt, fs, (float *)(mem + off_wt));
  lull__pool_init(&e->pool, &e->wt, fs, c.seed);
  e->recent_data = (float *)(mem + off_recent);
  e->recent = (lull_grain_source){e->recent_data, (uint32_t)(recent - 1), 0};
  lull__pool_attach(&e->pool, (lull_xvoice *)(mem + off_x), (float *)(mem + off_str), e->scratch, &e->recent);
  lull__ensemble_init(&e->ensemble, (float *)(mem + off_ens), fs);
  lull__tape_init(&e->tape, (float *)(mem + off_tape), fs, c.seed ^ 0x7461706500000000ull);
  lull__smooth_init(&e->room_decay, c.reverb_decay_s, ROOM_GLIDE_MS, fs);
  lull__smooth_init(&e->room_damping, 0.35f, ROOM_GLIDE_MS, fs);
  lull__smooth_init(&e->echo_feedback, DELAY_FEEDBACK, ROOM_GLIDE_MS, fs);
  lull__smooth_init(&e->makeup, 1.0f, ROOM_GLIDE_MS, fs);
  lull__seq_init(&e->seq, (lull_seq_item *)(mem + off_ev), c.event_capacity);
  lull_reverb_config rc = {c.reverb_decay_s, 25.0f, 0.35f, 0.6f};
  lull__reverb_init(&e->reverb, &rc, fs, (float *)(mem + off_rev));
  lull_delay_config dc = {DELAY_LEFT_S, DELAY_RIGHT_S, DELAY_FEEDBACK, DELAY_MOD_MS};
  lull__delay_init(&e->delay, &dc, fs, DELAY_MAX_S, (float *)(mem + off_dly));
  lull__limiter_init(&e->limiter, CEILING_DB, LOOKAHEAD_MS, LIMITER_RELEASE_MS, fs);
  lull__dcblock_init(&e->dc[0], 10.0f, fs);
  lull__dcblock_init(&e->dc[1], 10.0f, fs);
  lull__smooth_init(&e->master, powf(10.0f, c.master_gain_db / 20.0f) * SOFT_CLIP_DRIVE, MASTER_SMOOTH_MS, fs);
  e->stats.limiter_gain_min = 1.0f;
  e->master_now = e->master.value;
  e->cfg.fx = NULL; /* the caller's strings are not kept */
  int any_instrument = 0;
  for (int part = 0; part < LULL_PART_COUNT; part++) any_instrument |= c.instrument[part] != NULL, e->cfg.instrument[part] = NULL;
  if (c.fx_count || any_instrument) {
    if ((err = lull__plugin_host_create(&e->plugins, diag)) != LULL_OK) {
      lull_engine_destroy(e);
      return err;
    }
    for (uint32_t i = 0; i < c.fx_count; i++)
      if ((err = lull__plugin_open_fx(e->plugins, c.fx[i], "fx", fs, LULL_MAX_BLOCK, &e->fx[i], diag)) != LULL_OK) {
        lull_engine_destroy(e);
        return err;
      }
    for (uint32_t i = 0; c.plugin_threads && i < c.fx_count; i++)
      if ((err = lull__plugin_start_worker(e->fx[i])) != LULL_OK) {
        lull_engine_destroy(e);
        return lull_diag_set(diag, err, "fx", "cannot start a worker thread for %s", c.fx[i]);
      }
    for (int part = 0; part < LULL_PART_COUNT; part++) {
      char field[32];
      snprintf(field, sizeof field, "instrument.%s", lull_part_name(part));
      if (c.instrument[part] &&
          (err = lull__plugin_open_instrument(e->plugins, c.instrument[part], field, fs, LULL_MAX_BLOCK, &e->instr[part], diag))) {
        lull_engine_destroy(e);
        return err;
      }
      if (e->instr[part] && c.plugin_threads && (err = lull__plugin_start_worker(e->instr[part])) != LULL_OK) {
        lull_engine_destroy(e);
        return lull_diag_set(diag, err, field, "cannot start a worker thread for %s", c.instrument[part]);
      }
    }
  }
  *out = e;
  return LULL_OK;
}

void lull_engine_destroy(lull_engine *engine) {
  if (!engine) return;
  for (int i = 0; i < LULL_MAX_FX; i++) lull__plugin_close(engine->fx[i]);
  for (int i = 0; i < LULL_PART_COUNT; i++) lull__plugin_close(engine->instr[i]);
  lull__plugin_host_destroy(engine->plugins);
  free(engine);
}

static int control_ok(int control, float v) {
  switch (control) {
    case LULL_CONTROL_BRIGHTNESS: return v >= 0.0f && v <= 1.0f;
    case LULL_CONTROL_BPM: return v >= 30.0f && v <= 180.0f;
    case LULL_CONTROL_GAIN_DB: return v >= -24.0f && v <= 24.0f;
    case LULL_CONTROL_PALETTE: return v >= 0.0f && v < (float)LULL_PALETTE_COUNT && v == floorf(v);
    default: return 0;
  }
}

int lull_engine_schedule(lull_engine *e, const lull_event *ev) {
  if (!e || !ev) return LULL_EINVAL;
  if (ev->kind == LULL_EVENT_SET) return control_ok(ev->part, ev->velocity) ? lull__seq_push(&e->seq, ev) : LULL_EINVAL;
  if (ev->part >= LULL_PART_COUNT || ev->kind > LULL_EVENT_HIT || ev->pitch > 127 ||
      !(ev->velocity >= 0.0f && ev->velocity <= 1.0f))
    return LULL_EINVAL;
  return lull__seq_push(&e->seq, ev);
}

uint64_t lull_engine_position(const lull_engine *e) { return e->pos; }

int lull_engine_set_bpm(lull_engine *e, float bpm) {
  if (!(bpm >= 30.0f && bpm <= 180.0f)) return LULL_ERANGE;
  e->cfg.bpm = bpm; /* kept, and nothing else: the delay is not tied to the tempo */
  return LULL_OK;
}

static void plugin_off(lull_engine *e, int part, uint8_t pitch);

const char *lull_stage_name(int stage) {
  static const char *const names[LULL_STAGE_COUNT] = {"control", "voices", "chorus", "delay", "reverb",
                                                      "tape",    "fx",     "master", "limiter"};
  return stage >= 0 && stage < LULL_STAGE_COUNT ? names[stage] : NULL;
}

/* The time-stamp counter: one instruction (no syscall), for the profile. */
static inline uint64_t ticks(void) {
#if defined(__x86_64__) || defined(__i386__)
  return __builtin_ia32_rdtsc();
#else
  return 0;
#endif
}

/* With config.profile, the ticks since the last mark go to stage. */
static inline void mark(lull_engine *e, int stage) {
  if (!e->cfg.profile) return;
  uint64_t t = ticks();
  e->stats.stage_ticks[stage] += t - e->tick;
  e->tick = t;
}

void lull_engine_service(lull_engine *e) {
  if (!e->plugins) return;
  for (uint32_t i = 0; i < e->cfg.fx_count; i++) lull__plugin_service(e->fx[i]);
  for (int part = 0; part < LULL_PART_COUNT; part++)
    if (e->instr[part]) lull__plugin_service(e->instr[part]);
}

int lull_engine_take_fault(lull_engine *e, char *line, size_t cap) {
  char why[160];
  for (uint32_t i = 0; e->plugins && i < e->cfg.fx_count; i++)
    if (lull__plugin_take_fault(e->fx[i], why, sizeof why)) {
      snprintf(line, cap, "the LV2 effect %u on the master (%s): %s; bypassed from there", i + 1,
               lull__plugin_uri(e->fx[i]), why);
      return 1;
    }
  for (int part = 0; e->plugins && part < LULL_PART_COUNT; part++)
    if (e->instr[part] && lull__plugin_take_fault(e->instr[part], why, sizeof why)) {
      snprintf(line, cap, "the LV2 instrument on %s (%s): %s; muted from there", lull_part_name(part),
               lull__plugin_uri(e->instr[part]), why);
      return 1;
    }
  return 0;
}

void lull_engine_release_all(lull_engine *e) {
  lull__pool_release_all(&e->pool);
  for (int part = 0; part < LULL_PART_COUNT; part++) {
    if (!e->instr[part]) continue;
    for (int pitch = 0; pitch < 128; pitch++)
      if (e->sounding[part][pitch >> 6] >> (pitch & 63) & 1) plugin_off(e, part, (uint8_t)pitch);
    (void)lull__plugin_midi(e->instr[part], 0, 0xB0, 123, 0); /* all notes off, for what the count missed */
  }
  e->n_offs = 0;
}

uint32_t lull_engine_latency_frames(const lull_engine *e) {
  uint32_t frames = lull__limiter_latency(&e->limiter) + lull__tape_latency_frames(&e->tape);
  return frames + lull_engine_plugin_latency_frames(e, -1); /* as last reported */
}

uint32_t lull_engine_plugin_latency_frames(const lull_engine *e, int part) {
  uint32_t frames = 0;
  if (part < 0)
    for (uint32_t i = 0; e->plugins && i < e->cfg.fx_count; i++) frames += lull__plugin_latency(e->fx[i]);
  else if (part < LULL_PART_COUNT && e->instr[part])
    frames = lull__plugin_latency(e->instr[part]);
  return frames;
}

void lull_engine_get_stats(const lull_engine *e, lull_engine_stats *s) {
  *s = e->stats;
  s->voices_stolen = e->pool.stolen;
  s->voices_active = lull__pool_active_voices(&e->pool);
  s->limiter_gain_min = e->limiter.min_gain;
  s->plugin_faults = 0;
  for (uint32_t i = 0; i < e->cfg.fx_count; i++) s->plugin_faults += (uint32_t)lull__plugin_faulted(e->fx[i]);
  for (int part = 0; part < LULL_PART_COUNT; part++)
    if (e->instr[part]) s->plugin_faults += (uint32_t)lull__plugin_faulted(e->instr[part]);
  s->brightness = e->pool.brightness.value;
}

/* A palette: its instruments take the next notes; its room, chorus and
 * tape glide there (or are there at once if nothing has been rendered). The
 * reverb's decay set in the config is classic's; other palettes bring their own. */
static void set_palette(lull_engine *e, int palette) {
  const lull_palette_spec *ps = &lull__palettes[palette];
  if (e->pos > 0 && palette != e->pool.palette) {
    /* The old palette's held notes sound on for a bar while the new one's rise. */
    lull__pool_handover(&e->pool, e->pos, (uint64_t)(4.0f * 60.0f * e->pool.sample_rate_hz / e->cfg.bpm));
  }
  lull__pool_set_palette(&e->pool, palette);
  lull__smooth_set(&e->makeup, powf(10.0f, ps->makeup_db / 20.0f));
  lull__smooth_set(&e->room_decay, palette == LULL_PALETTE_CLASSIC ? e->cfg.reverb_decay_s : ps->reverb_decay_s);
  lull__smooth_set(&e->room_damping, ps->reverb_damping);
  lull__smooth_set(&e->echo_feedback, ps->delay_feedback);
  lull__ensemble_set_depth(&e->ensemble, ps->ensemble_depth);
  if (ps->ensemble_depth > 0.0f) e->ensemble_left = UINT64_MAX;
  else if (e->ensemble_left == UINT64_MAX) e->ensemble_left = (uint64_t)(ENSEMBLE_AFTER_S * e->pool.sample_rate_hz);
  lull__tape_set_amount(&e->tape, ps->tape);
  if (e->pos == 0) {
    e->pool.pad_tone.value = e->pool.pad_tone.target;
    e->room_decay.value = e->room_decay.target;
    e->room_damping.value = e->room_damping.target;
    e->echo_feedback.value = e->echo_feedback.target;
    e->makeup.value = e->makeup.target;
    e->master_now = e->master.value * e->makeup.value;
    e->master_step = 0.0f;
    lull__tape_snap(&e->tape);
    lull__reverb_set_decay(&e->reverb, e->room_decay.value, e->room_damping.value);
    e->delay.feedback = e->echo_feedback.value;
    lull__pool_control(&e->pool, 0);
  }
}

/* Note on and off for a plugin instrument, keeping account of what sounds
 * (release_all ends each by name: not every instrument honours CC 123). */
static int plugin_on(lull_engine *e, int part, uint8_t pitch, uint8_t vel) {
  if (!lull__plugin_midi(e->instr[part], 0, 0x90, pitch, vel)) return 0; /* the sequence is full */
  e->sounding[part][pitch >> 6] |= 1ull << (pitch & 63);
  return 1;
}

static void plugin_off(lull_engine *e, int part, uint8_t pitch) {
  if (lull__plugin_midi(e->instr[part], 0, 0x80, pitch, 64)) e->sounding[part][pitch >> 6] &= ~(1ull << (pitch & 63));
}

/* Forget the pending ends of a part's pitch; whether there was one (the
 * pitch still sounds). MIDI ends a pitch, not a note: an earlier note's end
 * must not cut a later one of the same pitch short. */
static int plugin_forget_offs(lull_engine *e, uint8_t part, uint8_t pitch) {
  int found = 0;
  for (uint32_t i = 0; i < e->n_offs;) {
    if (e->offs[i].part == part && e->offs[i].pitch == pitch) {
      e->offs[i] = e->offs[--e->n_offs];
      found = 1;
    } else {
      i++;
    }
  }
  return found;
}

/* A note for a plugin instrument: on now, off after its duration (a HIT's
 * default is the part's); a note with no end waits for its OFF event. A
 * pitch still sounding is ended first, so that it is struck again. */
static void plugin_note_on(lull_engine *e, const lull_event *ev) {
  int ending = plugin_forget_offs(e, ev->part, ev->pitch);
  if (ending || (e->sounding[ev->part][ev->pitch >> 6] >> (ev->pitch & 63) & 1)) plugin_off(e, ev->part, ev->pitch);
  int vel = (int)lrintf(ev->velocity * 127.0f);
  vel = vel < 1 ? 1 : vel > 127 ? 127 : vel;
  uint64_t length = ev->duration_frames;
  if (!length && ev->kind == LULL_EVENT_HIT)
    length = (uint64_t)(lull__part_specs[ev->part].default_ms * (float)e->cfg.sample_rate_hz / 1000.0f) + 1;
  if (length && e->n_offs == LULL_PLUGIN_OFFS) return; /* cannot happen (see LULL_PLUGIN_OFFS); never a note without its end */
  if (plugin_on(e, ev->part, ev->pitch, (uint8_t)vel) && length)
    e->offs[e->n_offs++] = (struct plugin_off){e->pos + length, ev->part, ev->pitch};
}

static void apply(lull_engine *e, const lull_event *ev) {
  switch (ev->kind) {
    case LULL_EVENT_SET:
      if (ev->part == LULL_CONTROL_BRIGHTNESS) lull__smooth_set(&e->pool.brightness, ev->velocity);
      else if (ev->part == LULL_CONTROL_BPM) e->cfg.bpm = ev->velocity; /* validated at schedule; moves nothing */
      else if (ev->part == LULL_CONTROL_GAIN_DB) lull__smooth_set(&e->master, powf(10.0f, ev->velocity / 20.0f) * SOFT_CLIP_DRIVE);
      else set_palette(e, (int)ev->velocity);
      break;
    case LULL_EVENT_OFF:
      if (e->instr[ev->part]) {
        (void)plugin_forget_offs(e, ev->part, ev->pitch);
        plugin_off(e, ev->part, ev->pitch);
      } else {
        lull__pool_note_off(&e->pool, ev->part, ev->pitch);
      }
      break;
    default:
      if (e->instr[ev->part]) plugin_note_on(e, ev);
      else lull__pool_note_on(&e->pool, ev->part, ev->pitch, ev->velocity, ev->duration_frames, e->pos);
      break;
  }
  e->stats.events_applied++;
}

/* Plugin notes whose end has come: their note-offs, at the sub-block's start. */
static void plugin_offs_due(lull_engine *e) {
  for (uint32_t i = 0; i < e->n_offs;) {
    if (e->offs[i].frame > e->pos) {
      i++;
      continue;
    }
    plugin_off(e, e->offs[i].part, e->offs[i].pitch);
    e->offs[i] = e->offs[--e->n_offs];
  }
}

static uint64_t plugin_next_off(const lull_engine *e) {
  uint64_t next = UINT64_MAX;
  for (uint32_t i = 0; i < e->n_offs; i++)
    if (e->offs[i].frame < next) next = e->offs[i].frame;
  return next;
}

/* A plugin instrument's block into the buses at its part's level and sends. */
static void mix_plugin(lull_engine *e, int part, const lull_mix_bus *bus, uint32_t n) {
  const lull_part_spec *spec = &lull__part_specs[part];
  float *l = e->plug[0], *r = e->plug[1];
  lull__plugin_render(e->instr[part], l, r, n);
  const float g = spec->level, rev = g * spec->reverb_send, dly = g * spec->delay_send;
  for (uint32_t i = 0; i < n; i++) {
    bus->left[i] += g * l[i];
    bus->right[i] += g * r[i];
  }
  if (!bus->reverb) return;
  for (uint32_t i = 0; i < n; i++) {
    float mono = 0.5f * (l[i] + r[i]);
    bus->reverb[i] += rev * mono;
    bus->delay[i] += dly * mono;
  }
}

/* One sub-block: voices into the buses, effects, master chain. */
static void render_block(lull_engine *e, float *out, uint32_t n) {
  float *ml = e->mix[0], *mr = e->mix[1];
  memset(ml, 0, sizeof(float) * n);
  memset(mr, 0, sizeof(float) * n);
  lull_mix_bus bus = {ml, mr, NULL, NULL, e->ens_in};
  if (!e->cfg.dry) {
    memset(e->rev_in, 0, sizeof(float) * n);
    memset(e->dly_in, 0, sizeof(float) * n);
    bus.reverb = e->rev_in;
    bus.delay = e->dly_in;
  }
  memset(e->ens_in, 0, sizeof(float) * n);
  mark(e, LULL_STAGE_CONTROL);
  lull__pool_render(&e->pool, &bus, n, e->pos);
  for (int part = 0; part < LULL_PART_COUNT; part++)
    if (e->instr[part]) mix_plugin(e, part, &bus, n);
  /* What grains may read: the voices' dry mix, before the grains add
   * theirs (no loop through themselves, nor through the master's gain). */
  uint32_t mask = e->recent.mask, w = (uint32_t)e->recent.written;
  for (uint32_t i = 0; i < n; i++) e->recent_data[(w + i) & mask] = 0.5f * (ml[i] + mr[i] + e->ens_in[i]);
  lull__xvoice_render(&e->pool, &bus, n, e->pos, 1); /* their "now" is the block's start (they read 0.1 s back) */
  e->recent.written += n;
  mark(e, LULL_STAGE_VOICES);
  /* The chorus runs while its palette is in force and for a while after,
   * counted in frames from the change (an event's exact frame): when it
   * runs never depends on how the render was cut. */
  if (e->ensemble_left) {
    uint32_t m = e->ensemble_left < n ? (uint32_t)e->ensemble_left : n;
    lull__ensemble_process(&e->ensemble, e->ens_in, ml, mr, m);
    if (e->ensemble_left != UINT64_MAX) e->ensemble_left -= m;
  }
  mark(e, LULL_STAGE_CHORUS);
  if (!e->cfg.dry) {
    /* Mono delay send into the left line: the ping-pong carries it across. */
    lull__delay_process(&e->delay, ml, mr, e->dly_in, e->silence, n);
    mark(e, LULL_STAGE_DELAY);
    lull__reverb_process(&e->reverb, ml, mr, e->rev_in, n);
    mark(e, LULL_STAGE_REVERB);
  }
  lull__tape_process(&e->tape, ml, mr, n);
  mark(e, LULL_STAGE_TAPE);
  for (uint32_t i = 0; i < e->cfg.fx_count; i++) lull__plugin_process(e->fx[i], ml, mr, n);
  mark(e, LULL_STAGE_FX);
  e->pool.dcblock(&e->dc[0], &e->dc[1], ml, mr, n);
  e->pool.soft_clip(ml, mr, n, e->master_now, e->master_step, (uint32_t)(e->pos % LULL_GRID_FRAMES));
  mark(e, LULL_STAGE_MASTER);
  lull__limiter_process(&e->limiter, ml, mr, n);
  for (uint32_t i = 0; i < n; i++) {
    out[2 * i] = ml[i];
    out[2 * i + 1] = mr[i];
  }
  mark(e, LULL_STAGE_LIMITER);
}

/* At each grid line: LFOs and smoothed values plan their next period. */
static void control_tick(lull_engine *e) {
  lull__pool_control(&e->pool, e->pos);
  if (!e->cfg.dry) {
    float decay = e->room_decay.value, damping = e->room_damping.value;
    lull__smooth_next(&e->room_decay, LULL_GRID_FRAMES);
    lull__smooth_next(&e->room_damping, LULL_GRID_FRAMES);
    if (e->room_decay.value != decay || e->room_damping.value != damping) /* only while a palette's room arrives */
      lull__reverb_set_decay(&e->reverb, e->room_decay.value, e->room_damping.value);
    e->delay.feedback = lull__smooth_next(&e->echo_feedback, LULL_GRID_FRAMES);
    lull__reverb_control(&e->reverb);
    lull__delay_control(&e->delay);
  }
  e->master_now = e->master.value * e->makeup.value;
  float next = lull__smooth_next(&e->master, LULL_GRID_FRAMES) * lull__smooth_next(&e->makeup, LULL_GRID_FRAMES);
  e->master_step = (next - e->master_now) / LULL_GRID_FRAMES;
}

void lull_engine_render(lull_engine *e, float *out, size_t frames) {
  unsigned fp_mode = lull__denormals_off(); /* for the render; restored for the caller */
  if (e->cfg.profile) e->tick = ticks();
  size_t done = 0;
  while (done < frames) {
    uint32_t phase = (uint32_t)(e->pos % LULL_GRID_FRAMES);
    if (phase == 0) control_tick(e);
    if (e->n_offs) plugin_offs_due(e); /* before this frame's notes: a note struck again sounds */
    const lull_event *ev;
    while ((ev = lull__seq_peek(&e->seq)) && ev->frame <= e->pos) {
      if (ev->frame < e->pos) e->stats.events_late++;
      lull_event copy = *ev;
      lull__seq_pop(&e->seq);
      apply(e, &copy);
    }
    size_t left = frames - done;
    uint32_t n = LULL_GRID_FRAMES - phase;
    if (left < n) n = (uint32_t)left;
    if (ev && ev->frame - e->pos < n) n = (uint32_t)(ev->frame - e->pos);
    uint32_t change = lull__pool_frames_to_change(&e->pool, e->pos);
    if (change < n) n = change;
    if (e->n_offs) {
      uint64_t off = plugin_next_off(e);
      if (off - e->pos < n) n = (uint32_t)(off - e->pos);
    }
    render_block(e, out + 2 * done, n);
    e->pos += n;
    done += n;
  }
  e->stats.frames_rendered += frames;
  lull__denormals_restore(fp_mode);
#if LULL_HAVE_V3
  /* Whatever a v3 kernel may have left (isa.h, LULL_ISA_LEAVE): the
   * caller's SSE code after the render runs at full speed. */
  if (e->pool.render == lull__bank_render_v3) __asm__ volatile("vzeroupper");
#endif
}

const char *lull_part_name(int part) {
  static const char *const names[LULL_PART_COUNT] = {"pad", "lead", "kick", "swell", "hat", "bass", "air", "bell"};
  return part >= 0 && part < LULL_PART_COUNT ? names[part] : NULL;
}
