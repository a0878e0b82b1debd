/* Tape master stage: the mix runs through a delay line read at D + amount *
 * (wow + flutter) frames, a head bump and HF roll-off, an asymmetric soft
 * clip and added hiss, each blended in by the gliding amount. Invariant:
 * amount 0 is the input delayed by exactly D frames (the fast path copies
 * through the ring; the slow path's blends are then exact zeros too). */
#include <math.h>
#include <string.h>

#include "dsp/dsp.h"
#include "dsp/isa.h"

#define CTL LULL_PAL_CTL_FRAMES

#define BASE_DELAY_S 0.003f
#define GLIDE_S 2.0f /* a full 0 -> 1 swing */
#define BUMP_HZ 90.0f
#define BUMP_GAIN 0.26f /* +2 dB at the bump's centre */
#define ROLLOFF_HZ 7000.0f /* a worn cassette: the top octave gone */
#define DRIVE 1.5f
#define BIAS 0.08f /* asymmetry: H2 a few dB below H3 */
#define HISS_DBFS (-66.0f)
#define HISS_POLE_HZ 1500.0f
#define HISS_WHITE 0.15f

/* Wow and flutter: rate (Hz) and peak pitch deviation (fraction). */
static const float mod_hz[4] = {0.53f, 0.89f, 9.3f, 6.1f};
static const float mod_pitch[4] = {0.0012f, 0.0008f, 0.0004f, 0.0001f};

/* A sine of peak delay A frames at f Hz moves the pitch by A 2 pi f / fs. */
static float depth_frames(int k, float sample_rate_hz) {
  return mod_pitch[k] * sample_rate_hz / (2.0f * (float)M_PI * mod_hz[k]);
}

static uint32_t base_delay(float sample_rate_hz) { return (uint32_t)lroundf(BASE_DELAY_S * sample_rate_hz); }

static uint32_t line_frames(float sample_rate_hz) {
  float depth = 0;
  for (int k = 0; k < 4; k++) depth += depth_frames(k, sample_rate_hz);
  return lull__pow2_at_least(base_delay(sample_rate_hz) + (uint32_t)ceilf(depth) + 4);
}

#ifndef LULL_ISA_SUFFIX /* the generic build only: the v3 one has just the render */
size_t lull__tape_floats(float sample_rate_hz) { return 2u * line_frames(sample_rate_hz); }
#endif

static void clear_filters(lull_tape *t) {
  for (int c = 0; c < 2; c++) {
    lull__svf_reset(&t->lp[c]);
    lull__svf_reset(&t->bump[c]);
    t->dc[c].x1 = t->dc[c].y1 = 0;
  }
}

#ifndef LULL_ISA_SUFFIX /* the generic build only: the v3 one has just the render */
void lull__tape_init(lull_tape *t, float *mem, float sample_rate_hz, uint64_t seed) {
  uint32_t cap = line_frames(sample_rate_hz);
  memset(mem, 0, sizeof(float) * 2 * cap);
  t->process = lull__tape_process_generic;
#if LULL_HAVE_V3
  if (lull__isa_v3()) t->process = lull__tape_process_v3;
#endif
  t->line[0] = mem;
  t->line[1] = mem + cap;
  t->mask = cap - 1;
  t->pos = 0;
  t->ctl_left = 0;
  t->mod_now = t->mod_step = 0;
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
#endif

/* The amount 0 path: through the ring, D frames late. */
static void process_dry(lull_tape *t, float *left, float *right, uint32_t frames) {
  const uint32_t mask = t->mask, d = t->delay_frames;
  /* In runs the line can hold beside the delay, each written whole, then
   * read whole (block copies): the same as frame by frame, where frame
   * pos + 1 is written before pos + 1 - d is read. */
  const uint32_t most = mask + 1 - d;
  for (uint32_t done = 0; done < frames;) {
    uint32_t n = frames - done < most ? frames - done : most;
    for (int c = 0; c < 2; c++) {
      float *line = t->line[c], *x = c ? right + done : left + done;
      lull__ring_put(line, mask, t->pos + 1, x, n);
      lull__ring_get(line, mask, t->pos + 1 - d, x, n);
    }
    t->pos += n;
    done += n;
  }
  for (int k = 0; k < 4; k++) t->wow_phase[k] += t->wow_inc[k] * frames; /* wraps mod 2^32, as per frame */
  clear_filters(t); /* the blended path starts from rest when the amount rises */
  t->ctl_left = 0;
}

/* A run (up to one control period) goes in three passes: the line read and
 * the filters frame by frame, the saturation eight frames at a time (it
 * carries no state), then the DC blocker and hiss frame by frame. Each
 * sample sees the scalar operations in their order (bit-identical to a
 * frame-by-frame loop); only the passes' split differs. */
LULL_VEC v8f v8f_soft_clip(v8f x) { /* lull__soft_clip, lane by lane */
  const v8f three = v8f_set1(3.0f), one = v8f_set1(1.0f);
  x = v8f_select(x > three, three, v8f_select(x < -three, -three, x));
  v8f x2 = x * x;
  v8f y = x * (27.0f + x2) / (27.0f + 9.0f * x2);
  return v8f_select(y > one, one, v8f_select(y < -one, -one, y));
}

/* The filters' state a run keeps in registers: four lanes, the roll-off
 * lowpass of L and R, then the head bump of L and R (both hear the same
 * input), so one vector tick runs all four. */
typedef struct tape_filters {
  v4f ic1, ic2, a1, a2, a3, k;
} tape_filters;

/* The DC blocker and hiss, L and R in lanes 0 and 1 (2 and 3 idle). */
typedef struct tape_tail {
  v4f dc_x1, dc_y1, dc_r, hiss;
  v4u noise;
} tape_tail;

static tape_filters filters_load(const lull_tape *t) {
  const lull_svf *f[4] = {&t->lp[0], &t->lp[1], &t->bump[0], &t->bump[1]};
  tape_filters l;
  for (int i = 0; i < 4; i++) {
    l.ic1[i] = f[i]->ic1, l.ic2[i] = f[i]->ic2, l.a1[i] = f[i]->a1;
    l.a2[i] = f[i]->a2, l.a3[i] = f[i]->a3, l.k[i] = f[i]->k;
  }
  return l;
}

static void filters_store(lull_tape *t, const tape_filters *l) {
  lull_svf *f[4] = {&t->lp[0], &t->lp[1], &t->bump[0], &t->bump[1]};
  for (int i = 0; i < 4; i++) f[i]->ic1 = l->ic1[i], f[i]->ic2 = l->ic2[i];
}

static tape_tail tail_load(const lull_tape *t) {
  tape_tail l = {{0}, {0}, {0}, {0}, {0}};
  for (int c = 0; c < 2; c++) {
    l.dc_x1[c] = t->dc[c].x1, l.dc_y1[c] = t->dc[c].y1, l.dc_r[c] = t->dc[c].r;
    l.hiss[c] = t->hiss_state[c];
    l.noise[c] = t->hiss_noise[c].state;
  }
  return l;
}

static void tail_store(lull_tape *t, const tape_tail *l) {
  for (int c = 0; c < 2; c++) {
    t->dc[c].x1 = l->dc_x1[c], t->dc[c].y1 = l->dc_y1[c];
    t->hiss_state[c] = l->hiss[c];
    t->hiss_noise[c].state = l->noise[c];
  }
}

/* Head bump and roll-off of the line's output y (L, R, L, R), blended by
 * amount a: lanes 0 and 1 of the result are L and R. */
LULL_VEC v4f filters_tick(const lull_tape *t, tape_filters *l, v4f y, float a) {
  v4f v3 = y - l->ic2;
  v4f v1 = l->a1 * l->ic1 + l->a2 * v3;
  v4f v2 = l->ic2 + l->a2 * l->ic1 + l->a3 * v3;
  l->ic1 = 2.0f * v1 - l->ic1 + LULL_TINY;
  l->ic2 = 2.0f * v2 - l->ic2 + LULL_TINY;
  v4f bp = __builtin_shuffle(l->k * v1, (v4i){2, 3, 2, 3}); /* the bumps under the lowpasses */
  return y + a * (v2 + t->bump_gain * bp - y);
}

/* The saturation's change d of y1 (L and R rows, frames rounded up to 8). */
static void saturate(const lull_tape *t, float (*d)[CTL], const float (*y1)[CTL], uint32_t frames) {
  for (int c = 0; c < 2; c++)
    for (uint32_t j = 0; j < frames; j += 8) {
      v8f x;
      __builtin_memcpy(&x, &y1[c][j], sizeof x);
      v8f out = (v8f_soft_clip(t->drive * x + t->bias) - t->bias_out) * t->sat_norm - x;
      __builtin_memcpy(&d[c][j], &out, sizeof out);
    }
}

/* Only the clip's change is DC-blocked (the bias makes a little DC); then
 * hiss; both blended by amount a. Lanes 0 and 1 of the result are L and R. */
LULL_VEC v4f tail_tick(const lull_tape *t, tape_tail *l, v4f y1, v4f d, float a) {
  l->dc_y1 = d - l->dc_x1 + l->dc_r * l->dc_y1 + LULL_TINY;
  l->dc_x1 = d;
  v4u x = l->noise; /* lull__noise_next */
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  l->noise = x;
  v4f w = __builtin_convertvector((v4i)x, v4f) * 0x1p-31f;
  l->hiss = t->hiss_pole * l->hiss + (1.0f - t->hiss_pole) * w;
  v4f hiss = t->hiss_gain * (l->hiss + t->hiss_white * w);
  return y1 + a * (l->dc_y1 + hiss);
}

/* A sine of the modulation (frames) at the phases advanced by ahead frames. */
static float mod_at(const lull_tape *t, uint32_t ahead) {
  float mod = 0;
  for (int k = 0; k < 4; k++)
    mod += t->wow_depth_frames[k] * lull__sin_turns(lull__phase_turns(t->wow_phase[k] + t->wow_inc[k] * ahead));
  return mod;
}

/* The blended path, sample by sample, until the frames are done or the
 * amount lands on a target of 0 (then the dry path takes over at once, so
 * that where a render is cut never matters). Returns the frames done. Runs
 * go from one control point to the next: wow and flutter are sines every
 * CTL frames, a ramp between. */
static uint32_t process_wet(lull_tape *t, float *left, float *right, uint32_t frames) {
  const lull_tape k = *t; /* the constants, where the outputs cannot alias them */
  uint32_t i = 0;
  int dry = 0;
  while (i < frames && !dry) {
    if (t->ctl_left == 0) {
      t->mod_now = mod_at(t, 0);
      t->mod_step = (mod_at(t, CTL) - t->mod_now) / CTL;
      t->ctl_left = CTL;
    }
    const uint32_t n = frames - i < t->ctl_left ? frames - i : t->ctl_left;
    const float target = t->target, step = t->step, mod_step = t->mod_step, base = (float)t->delay_frames;
    float amount = t->amount, mod = t->mod_now;
    uint32_t pos = t->pos;
    float *bl = t->line[0], *br = t->line[1];
    _Alignas(32) float y1[2][CTL] = {{0}}, d[2][CTL], amt[CTL];
    tape_filters f = filters_load(t);
    uint32_t j = 0;
    while (j < n) {
      if (amount < target) amount = fminf(amount + step, target);
      else if (amount > target) amount = fmaxf(amount - step, target);
      const float a = amount, tap = base + a * mod;
      mod += mod_step;
      const uint32_t whole = (uint32_t)tap;
      const float frac = tap - (float)whole;
      pos++;
      bl[pos & k.mask] = left[i + j];
      br[pos & k.mask] = right[i + j];
      const uint32_t p0 = (pos - whole) & k.mask, p1 = (pos - whole - 1) & k.mask;
      v4f r0 = {bl[p0], br[p0]}, r1 = {bl[p1], br[p1]};
      v4f y = r0 + frac * (r1 - r0);
      v4f out = filters_tick(&k, &f, __builtin_shuffle(y, (v4i){0, 1, 0, 1}), a);
      y1[0][j] = out[0], y1[1][j] = out[1], amt[j] = a;
      j++;
      if (a == 0.0f && target == 0.0f) { /* this frame was exactly dry already */
        dry = 1;
        break;
      }
    }
    filters_store(t, &f);
    saturate(&k, d, (const float (*)[CTL])y1, j);
    tape_tail tail = tail_load(t);
    for (uint32_t m = 0; m < j; m++) {
      v4f out = tail_tick(&k, &tail, (v4f){y1[0][m], y1[1][m]}, (v4f){d[0][m], d[1][m]}, amt[m]);
      left[i + m] = out[0];
      right[i + m] = out[1];
    }
    tail_store(t, &tail);
    for (int w = 0; w < 4; w++) t->wow_phase[w] += t->wow_inc[w] * j; /* wraps mod 2^32, as per frame */
    t->amount = amount, t->mod_now = mod, t->pos = pos, t->ctl_left -= j;
    i += j;
  }
  return i;
}

void LULL_ISA_NAME(lull__tape_process)(lull_tape *t, float *left, float *right, uint32_t frames) {
  uint32_t i = 0;
  while (i < frames) {
    if (t->amount == 0.0f && t->target == 0.0f) {
      process_dry(t, left + i, right + i, frames - i);
      return;
    }
    i += process_wet(t, left + i, right + i, frames - i);
  }
}
