/* Tape master stage: the mix runs through a delay line read at D + amount *
 * (wow + flutter) frames, a head bump and HF roll-off, an asymmetric soft
 * clip and added hiss, each blended in by the gliding amount. Invariant:
 * amount 0 is the input delayed by exactly D frames (the fast path copies
 * through the ring; the slow path's blends are then exact zeros too). */
#include <math.h>
#include <string.h>

#include "dsp/dsp.h"

#define BASE_DELAY_S 0.003f
#define GLIDE_S 2.0f /* a full 0 -> 1 swing */
#define BUMP_HZ 90.0f
#define BUMP_GAIN 0.26f /* +2 dB at the bump's centre */
#define ROLLOFF_HZ 12000.0f
#define DRIVE 1.5f
#define BIAS 0.08f /* asymmetry: H2 a few dB below H3 */
#define HISS_DBFS (-66.0f)
#define HISS_POLE_HZ 1500.0f
#define HISS_WHITE 0.15f

/* Wow and flutter: rate (Hz) and peak pitch deviation (fraction). */
static const float mod_hz[4] = {0.53f, 0.89f, 9.3f, 6.1f};
static const float mod_pitch[4] = {0.0012f, 0.0008f, 0.0004f, 0.0001f};

static uint32_t pow2_at_least(uint32_t n) {
  uint32_t p = 1;
  while (p < n) p <<= 1;
  return p;
}

/* A sine of peak delay A frames at f Hz moves the pitch by A 2 pi f / fs. */
static float depth_frames(int k, float sample_rate_hz) {
  return mod_pitch[k] * sample_rate_hz / (2.0f * (float)M_PI * mod_hz[k]);
}

static uint32_t base_delay(float sample_rate_hz) { return (uint32_t)lroundf(BASE_DELAY_S * sample_rate_hz); }

static uint32_t line_frames(float sample_rate_hz) {
  float depth = 0;
  for (int k = 0; k < 4; k++) depth += depth_frames(k, sample_rate_hz);
  return pow2_at_least(base_delay(sample_rate_hz) + (uint32_t)ceilf(depth) + 4);
}

size_t lull__tape_floats(float sample_rate_hz) { return 2u * line_frames(sample_rate_hz); }

static void clear_filters(lull_tape *t) {
  for (int c = 0; c < 2; c++) {
    lull__svf_reset(&t->lp[c]);
    lull__svf_reset(&t->bump[c]);
    t->dc[c].x1 = t->dc[c].y1 = 0;
  }
}

void lull__tape_init(lull_tape *t, float *mem, float sample_rate_hz, uint64_t seed) {
  uint32_t cap = line_frames(sample_rate_hz);
  memset(mem, 0, sizeof(float) * 2 * cap);
  t->line[0] = mem;
  t->line[1] = mem + cap;
  t->mask = cap - 1;
  t->pos = 0;
  t->delay_frames = base_delay(sample_rate_hz);
  t->sample_rate_hz = sample_rate_hz;
  t->amount = t->target = 0;
  t->step = 1.0f / (GLIDE_S * sample_rate_hz);
  for (int k = 0; k < 4; k++) {
    t->wow_phase[k] = (uint32_t)(lull__splitmix64(&seed) >> 32);
    t->wow_inc[k] = lull__hz_to_inc(mod_hz[k], sample_rate_hz);
    t->wow_depth_frames[k] = depth_frames(k, sample_rate_hz);
  }
  for (int c = 0; c < 2; c++) {
    lull__svf_init(&t->lp[c], sample_rate_hz);
    lull__svf_set(&t->lp[c], fminf(ROLLOFF_HZ, 0.45f * sample_rate_hz), 0.6f);
    lull__svf_init(&t->bump[c], sample_rate_hz);
    lull__svf_set(&t->bump[c], BUMP_HZ, 0.8f);
    lull__dcblock_init(&t->dc[c], 5.0f, sample_rate_hz);
    lull__noise_init(&t->hiss_noise[c], lull__splitmix64(&seed));
    t->hiss_state[c] = 0;
  }
  t->bump_gain = BUMP_GAIN;
  /* sat(x) = (clip(drive x + bias) - clip(bias)) / (drive clip'(bias)):
   * zero at zero, unity slope there (quiet passages pass unchanged). */
  t->drive = DRIVE;
  t->bias = BIAS;
  t->bias_out = lull__soft_clip(BIAS);
  float h = 1e-3f;
  float slope = (lull__soft_clip(BIAS + h) - lull__soft_clip(BIAS - h)) / (2.0f * h);
  t->sat_norm = 1.0f / (DRIVE * slope);
  /* Hiss: white w through a one-pole (pole p) plus HISS_WHITE w. With
   * var(w) = 1/3: var = ((1-p)/(1+p) + c^2 + 2c(1-p)) / 3. */
  float p = expf(-2.0f * (float)M_PI * HISS_POLE_HZ / sample_rate_hz), c = HISS_WHITE;
  float var = ((1 - p) / (1 + p) + c * c + 2 * c * (1 - p)) / 3.0f;
  t->hiss_pole = p;
  t->hiss_white = c;
  t->hiss_gain = powf(10.0f, HISS_DBFS / 20.0f) / sqrtf(var);
  clear_filters(t);
}

void lull__tape_set_amount(lull_tape *t, float amount01) {
  t->target = amount01 > 0.0f ? (amount01 < 1.0f ? amount01 : 1.0f) : 0.0f; /* NaN -> 0 */
}

void lull__tape_snap(lull_tape *t) { t->amount = t->target; }

uint32_t lull__tape_latency_frames(const lull_tape *t) { return t->delay_frames; }

/* The amount 0 path: through the ring, D frames late. */
static void process_dry(lull_tape *t, float *left, float *right, uint32_t frames) {
  const uint32_t mask = t->mask, d = t->delay_frames;
  float *bl = t->line[0], *br = t->line[1];
  uint32_t pos = t->pos;
  for (uint32_t i = 0; i < frames; i++) {
    pos++;
    bl[pos & mask] = left[i];
    br[pos & mask] = right[i];
    left[i] = bl[(pos - d) & mask];
    right[i] = br[(pos - d) & mask];
  }
  t->pos = pos;
  for (int k = 0; k < 4; k++) t->wow_phase[k] += t->wow_inc[k] * frames; /* wraps mod 2^32, as per frame */
  clear_filters(t); /* the blended path starts from rest when the amount rises */
}

static inline float sat(const lull_tape *t, float x) {
  return (lull__soft_clip(t->drive * x + t->bias) - t->bias_out) * t->sat_norm;
}

void lull__tape_process(lull_tape *t, float *left, float *right, uint32_t frames) {
  if (t->amount == 0.0f && t->target == 0.0f) {
    process_dry(t, left, right, frames);
    return;
  }
  const uint32_t mask = t->mask;
  float *io[2] = {left, right};
  for (uint32_t i = 0; i < frames; i++) {
    if (t->amount < t->target) t->amount = fminf(t->amount + t->step, t->target);
    else if (t->amount > t->target) t->amount = fmaxf(t->amount - t->step, t->target);
    const float a = t->amount;
    float mod = 0;
    for (int k = 0; k < 4; k++) {
      mod += t->wow_depth_frames[k] * lull__sin_turns(lull__phase_turns(t->wow_phase[k]));
      t->wow_phase[k] += t->wow_inc[k];
    }
    float tap = (float)t->delay_frames + a * mod;
    uint32_t whole = (uint32_t)tap;
    float frac = tap - (float)whole;
    uint32_t pos = ++t->pos;
    for (int c = 0; c < 2; c++) {
      float *buf = t->line[c];
      buf[pos & mask] = io[c][i];
      float r0 = buf[(pos - whole) & mask], r1 = buf[(pos - whole - 1) & mask];
      float y = r0 + frac * (r1 - r0);
      float lp, bp, unused;
      lull__svf_tick(&t->lp[c], y, &lp, &unused);
      lull__svf_tick(&t->bump[c], y, &unused, &bp);
      float y1 = y + a * (lp + t->bump_gain * bp - y);
      /* Only the clip's change is DC-blocked: the bias makes a little DC. */
      float d = sat(t, y1) - y1;
      lull_dcblock *dc = &t->dc[c];
      dc->y1 = d - dc->x1 + dc->r * dc->y1 + LULL_TINY;
      dc->x1 = d;
      float w = lull__noise_next(&t->hiss_noise[c]);
      t->hiss_state[c] = t->hiss_pole * t->hiss_state[c] + (1.0f - t->hiss_pole) * w;
      float hiss = t->hiss_gain * (t->hiss_state[c] + t->hiss_white * w);
      io[c][i] = y1 + a * (dc->y1 + hiss);
    }
  }
}
