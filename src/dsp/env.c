/* Eight-lane linear ADSR. Each lane's segment ends at an exact frame; the
 * caller never processes past lull__adsr8_frames_left, so inside a block a
 * lane's level is level += step, and at a segment's end it is set exactly. */
#include <math.h>

#include "dsp/dsp.h"

static uint32_t ms_to_frames(float ms, float sample_rate_hz) {
  float f = roundf(ms * sample_rate_hz * 0.001f);
  return f < 0 ? 0u : (uint32_t)f;
}

void lull__adsr8_configure_lane(lull_adsr8 *e, int lane, const lull_adsr_config *cfg, float sample_rate_hz) {
  e->attack_frames[lane] = ms_to_frames(cfg->attack_ms, sample_rate_hz);
  e->decay_frames[lane] = ms_to_frames(cfg->decay_ms, sample_rate_hz);
  e->release_frames[lane] = ms_to_frames(cfg->release_ms, sample_rate_hz);
  e->sustain[lane] = cfg->sustain;
}

void lull__adsr8_init(lull_adsr8 *e, const lull_adsr_config *cfg, float sample_rate_hz) {
  for (int j = 0; j < LULL_LANES; j++) lull__adsr8_configure_lane(e, j, cfg, sample_rate_hz);
  lull__adsr8_reset(e);
}

void lull__adsr8_reset(lull_adsr8 *e) {
  e->level = v8f_set1(0);
  e->step = v8f_set1(0);
  for (int j = 0; j < LULL_LANES; j++) {
    e->left[j] = UINT32_MAX;
    e->stage[j] = LULL_ADSR_IDLE;
  }
}

static void enter(lull_adsr8 *e, int j, lull_adsr_stage stage);

/* The segment of lane j has ended: on to the next. */
static void finish(lull_adsr8 *e, int j) {
  switch (e->stage[j]) {
    case LULL_ADSR_ATTACK: e->level[j] = 1.0f; enter(e, j, LULL_ADSR_DECAY); break;
    case LULL_ADSR_DECAY: enter(e, j, LULL_ADSR_SUSTAIN); break;
    case LULL_ADSR_RELEASE: enter(e, j, LULL_ADSR_IDLE); break;
    default: e->left[j] = UINT32_MAX; break;
  }
}

/* Start a segment from the lane's level towards target over frames; a
 * zero-length segment ends at once (at most three in a row). */
static void ramp(lull_adsr8 *e, int j, lull_adsr_stage stage, float target, uint32_t frames) {
  e->stage[j] = (uint8_t)stage;
  if (frames == 0) {
    e->level[j] = target;
    e->step[j] = 0;
    e->left[j] = 0;
    finish(e, j);
    return;
  }
  e->step[j] = (target - e->level[j]) / (float)frames;
  e->left[j] = frames;
}

static void enter(lull_adsr8 *e, int j, lull_adsr_stage stage) {
  switch (stage) {
    case LULL_ADSR_ATTACK: {
      /* From the current level at the attack's slope: a retrigger is as
       * smooth as a first note. */
      float rest = 1.0f - e->level[j];
      if (rest < 0) rest = 0;
      ramp(e, j, stage, 1.0f, (uint32_t)ceilf(rest * (float)e->attack_frames[j]));
      break;
    }
    case LULL_ADSR_DECAY: ramp(e, j, stage, e->sustain[j], e->decay_frames[j]); break;
    case LULL_ADSR_SUSTAIN:
      e->stage[j] = LULL_ADSR_SUSTAIN;
      e->level[j] = e->sustain[j];
      e->step[j] = 0;
      e->left[j] = UINT32_MAX;
      break;
    case LULL_ADSR_RELEASE: ramp(e, j, stage, 0.0f, e->release_frames[j]); break;
    case LULL_ADSR_IDLE:
      e->stage[j] = LULL_ADSR_IDLE;
      e->level[j] = 0;
      e->step[j] = 0;
      e->left[j] = UINT32_MAX;
      break;
  }
}

void lull__adsr8_gate_on(lull_adsr8 *e, int lane) { enter(e, lane, LULL_ADSR_ATTACK); }

void lull__adsr8_gate_off(lull_adsr8 *e, int lane) {
  if (e->stage[lane] != LULL_ADSR_IDLE && e->stage[lane] != LULL_ADSR_RELEASE)
    enter(e, lane, LULL_ADSR_RELEASE);
}

uint32_t lull__adsr8_frames_left(const lull_adsr8 *e) {
  uint32_t m = UINT32_MAX;
  for (int j = 0; j < LULL_LANES; j++)
    if (e->left[j] < m) m = e->left[j];
  return m;
}

void lull__adsr8_advance(lull_adsr8 *e, uint32_t frames) {
  for (int j = 0; j < LULL_LANES; j++) {
    if (e->left[j] == UINT32_MAX) continue;
    e->left[j] -= frames;
    if (e->left[j] == 0) finish(e, j);
  }
}
