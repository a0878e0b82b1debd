/* FM voices: up to four sine operators with DX-style envelopes, wired by an
 * algorithm, and the presets. Invariant: every frame is the same pure
 * recurrence (envelope segments change at exact frames counted in the
 * state), so output does not depend on how renders are split; and at start()
 * the indices are capped so that no sideband above fs/2 reaches -43 dB of
 * the strongest (see cap_tree). */
#include <math.h>

#include "dsp/dsp.h"
#include "dsp/isa.h"

enum { STAGE_IDLE = 0, STAGE_ATTACK, STAGE_DECAY1, STAGE_DECAY2, STAGE_HOLD, STAGE_RELEASE };

#define REF_HZ 261.6256f     /* C4: key scaling is 1 here */
#define FLOOR_RATIO 1e-5f    /* -100 dB: a decay to zero ends here, then snaps to 0 */

/* Whom each operator modulates (-1: a carrier), per algorithm. Modulators
 * always sit above their targets, so a pass from the top down has every
 * operator's input ready. */
static const int8_t algo_target[LULL_FM_ALGO_COUNT][LULL_FM_OPS] = {
    [LULL_FM_ALGO_2_1] = {-1, 0, -1, -1},   [LULL_FM_ALGO_3_2_1] = {-1, 0, 1, -1},
    [LULL_FM_ALGO_21_43] = {-1, 0, -1, 2},  [LULL_FM_ALGO_23_1] = {-1, 0, 0, -1},
    [LULL_FM_ALGO_4_3_2_1] = {-1, 0, 1, 2},
};
static const int algo_ops[LULL_FM_ALGO_COUNT] = {2, 3, 4, 3, 4};

/* Bessel edge table: besselj_edge[k] is the largest index beta for which
 * every sideband of order above k is 43 dB (40 dB + a margin for envelope
 * smear) under the strongest, max_j |J_j(beta)|, for all indices up to beta.
 * Computed with jn() on a 0.0005 grid; the alias tests of test_fm.c hold
 * the caps built on it to account. */
static const float besselj_edge[32] = {
    0.0140f,  0.2365f,  0.6770f,  1.1860f,  1.7835f,  2.4325f,  3.1435f,  3.8330f,
    4.6120f,  5.3905f,  6.1585f,  6.9550f,  7.7890f,  8.6150f,  9.4360f,  10.2550f,
    11.1250f, 11.9900f, 12.8515f, 13.7095f, 14.5650f, 15.4405f, 16.3330f, 17.2225f,
    18.1100f, 18.9955f, 19.8795f, 20.7620f, 21.6665f, 22.5770f, 23.4860f, 24.3935f,
};

/* The highest significant sideband order for index beta (0: the carrier
 * alone). Past the table the edge grows by about one order per 0.9. */
static float sideband_orders(float beta) {
  if (beta <= 0.0f) return 0.0f;
  for (int k = 0; k < 32; k++)
    if (beta <= besselj_edge[k]) return (float)k;
  return 32.0f + ceilf((beta - besselj_edge[31]) / 0.9f);
}

/* Harmonics of a self-modulated operator, y = sin(phi + beta y): Fourier
 * coefficients 2 J_n(n beta) / (n beta) (Kepler's equation). The highest
 * one within 43 dB of the first, for beta = 0, 0.05, .. 1 (jn() offline;
 * the test of feedback checks the series); read at the next grid point up. */
static const uint8_t feedback_edge[21] = {1, 2, 2, 3, 3, 3, 4, 4, 5, 5, 6, 6, 7, 8, 10, 11, 13, 16, 21, 28, 41};

static float feedback_harmonics(float beta) {
  if (beta <= 0.0f) return 1.0f;
  int i = (int)ceilf(beta * 20.0f - 1e-4f);
  return (float)feedback_edge[i > 20 ? 20 : i];
}

/* Upper spectral edge (-43 dB) of operator k's output with the indices of
 * its tree scaled by s: its own frequency (times its feedback harmonics),
 * plus for each modulator the sideband orders times that modulator's edge
 * (a bound: a modulator's whole spectrum spreads like its top). */
static float edge_hz(const float *hz, const float *index, const int8_t *target, int ops, int fb_op, float fb,
                     int k, float s) {
  float e = hz[k] * (k == fb_op ? feedback_harmonics(s * fb) : 1.0f);
  for (int m = k + 1; m < ops; m++)
    if (target[m] == k) e += sideband_orders(s * index[m]) * edge_hz(hz, index, target, ops, fb_op, fb, m, s);
  return e;
}

/* Whether operator m feeds carrier c (directly or up a stack). */
static int in_tree(const int8_t *target, int m, int c) {
  while (m >= 0 && m != c) m = target[m];
  return m == c;
}

/* Cap carrier c's tree: the largest scale s in [0, 1] of its modulation
 * indices (and feedback) that keeps its edge below fs/2, by bisection. */
static float cap_tree(const float *hz, const float *index, const int8_t *target, int ops, int fb_op, float fb,
                      int c, float nyquist_hz) {
  if (edge_hz(hz, index, target, ops, fb_op, fb, c, 1.0f) <= nyquist_hz) return 1.0f;
  float lo = 0.0f, hi = 1.0f;
  for (int i = 0; i < 20; i++) {
    float mid = 0.5f * (lo + hi);
    if (edge_hz(hz, index, target, ops, fb_op, fb, c, mid) <= nyquist_hz) lo = mid;
    else hi = mid;
  }
  return lo;
}

static uint32_t ms_frames(float ms, float fs) {
  double f = (double)ms * 0.001 * (double)fs;
  return f < 1.0 ? 1u : f > 4e9 ? 4000000000u : (uint32_t)f;
}

/* Enter stage st for operator k from its current level: set mul/add and the
 * frames it lasts. Exponential segments use a per-frame ratio of 60 dB over
 * the rate's frames and last until the target (or the floor) is crossed. */
static void enter(lull_fm *v, int k, int st) {
  for (;;) {
    v->stage[k] = (uint8_t)st;
    float lvl = v->level[k];
    if (st == STAGE_IDLE || st == STAGE_HOLD) {
      v->mul[k] = 1.0f;
      v->add[k] = 0.0f;
      v->left[k] = UINT32_MAX;
      return;
    }
    if (st == STAGE_ATTACK) {
      float to = v->target[k][0], step = v->rate[k][0];
      if (lvl >= to || step <= 0.0f) {
        st = STAGE_DECAY1;
        continue;
      }
      double n = ceil((double)(to - lvl) / (double)step);
      v->mul[k] = 1.0f;
      v->add[k] = (to - lvl) / (float)n; /* lands on the target exactly */
      v->left[k] = (uint32_t)n;
      return;
    }
    float to = st == STAGE_RELEASE ? 0.0f : v->target[k][st - STAGE_ATTACK];
    float t60 = v->rate[k][st == STAGE_RELEASE ? 3 : st - STAGE_ATTACK];
    float goal = to > v->floor[k] ? to : v->floor[k];
    float from = lvl > v->floor[k] ? lvl : v->floor[k];
    if (from == goal || (to == 0.0f && lvl <= v->floor[k])) {
      v->level[k] = to == 0.0f ? 0.0f : goal;
      st = st == STAGE_RELEASE ? STAGE_IDLE : st == STAGE_DECAY2 ? STAGE_HOLD : st + 1;
      continue;
    }
    double per_frame = -3.0 * M_LN10 / (double)t60; /* ln of the frame ratio: 60 dB over t60 frames */
    double span = log((double)goal / (double)from);  /* < 0 falling, > 0 rising */
    if (span > 0) per_frame = -per_frame;
    double n = ceil(span / per_frame);
    v->level[k] = from;
    v->mul[k] = (float)exp(span / n); /* lands on the goal after n frames (to float rounding) */
    v->add[k] = 0.0f;
    v->left[k] = n < 1 ? 1u : n > 4e9 ? 4000000000u : (uint32_t)n;
    return;
  }
}

/* Operator k's segment ended: snap to its target, move on. */
static void next_stage(lull_fm *v, int k) {
  int st = v->stage[k];
  if (st == STAGE_RELEASE) {
    v->level[k] = 0.0f;
    enter(v, k, STAGE_IDLE);
    return;
  }
  float to = v->target[k][st - STAGE_ATTACK];
  v->level[k] = to; /* a decay to zero stopped at the floor: now 0 */
  enter(v, k, st == STAGE_DECAY2 ? STAGE_HOLD : st + 1);
}

#ifndef LULL_ISA_SUFFIX /* the generic build only: the v3 one has just the render */
void lull__fm_init(lull_fm *v, float sample_rate_hz) {
  *v = (lull_fm){.sample_rate_hz = sample_rate_hz, .ops = 2, .fb_op = -1};
  for (int k = 0; k < LULL_FM_OPS; k++) enter(v, k, STAGE_IDLE);
}

void lull__fm_start(lull_fm *v, const lull_fm_patch *patch, float hz, float velocity, uint64_t seed) {
  (void)seed; /* FM is deterministic: phases run on from where they are */
  float fs = v->sample_rate_hz, vel = velocity < 0.0f ? 0.0f : velocity > 1.0f ? 1.0f : velocity;
  int ops = algo_ops[patch->algo];
  const int8_t *target = algo_target[patch->algo];
  float key = hz / REF_HZ, op_hz[LULL_FM_OPS], index[LULL_FM_OPS];
  for (int k = 0; k < ops; k++) {
    const lull_fm_op_patch *o = &patch->op[k];
    op_hz[k] = o->ratio * hz + o->detune_hz;
    float lvl = o->level * (1.0f - o->vel_sens * (1.0f - vel));
    if (target[k] >= 0 && key > 1.0f) lvl *= powf(key, -o->key_level);
    index[k] = lvl;
  }
  float fb = patch->feedback > 1.0f ? 1.0f : patch->feedback < 0.0f ? 0.0f : patch->feedback;
  int fb_op = fb > 0.0f && patch->feedback_op >= 0 && patch->feedback_op < ops ? patch->feedback_op : -1;
  /* The caps: per carrier tree (the trees of an algorithm are disjoint). */
  float nyquist = 0.5f * fs;
  for (int c = 0; c < ops; c++) {
    if (target[c] >= 0) continue;
    float s = cap_tree(op_hz, index, target, ops, fb_op, fb, c, nyquist);
    for (int m = c + 1; m < ops; m++)
      if (in_tree(target, m, c)) index[m] *= s;
    if (fb_op >= 0 && in_tree(target, fb_op, c)) fb *= s;
    if (op_hz[c] >= nyquist) index[c] = 0.0f; /* a carrier above Nyquist is muted */
  }
  if (v->ops > ops) /* operators the new algorithm does not use fall silent */
    for (int k = ops; k < LULL_FM_OPS; k++) {
      v->level[k] = 0.0f;
      enter(v, k, STAGE_IDLE);
    }
  for (int k = 0; k < ops; k++) {
    const lull_fm_op_patch *o = &patch->op[k];
    float time_scale = powf(key, -o->key_rate);
    v->inc[k] = op_hz[k] < nyquist ? lull__hz_to_inc(op_hz[k], fs) : 0u;
    v->target[k][0] = index[k] * o->l1;
    v->target[k][1] = index[k] * o->l2;
    v->target[k][2] = index[k] * o->l3;
    v->peak[k] = o->level;
    v->floor[k] = o->level * FLOOR_RATIO + 1e-12f;
    v->rate[k][0] = v->target[k][0] / (float)ms_frames(o->attack_ms * time_scale, fs);
    v->rate[k][1] = (float)ms_frames(o->decay1_ms * time_scale, fs);
    v->rate[k][2] = (float)ms_frames(o->decay2_ms * time_scale, fs);
    v->rate[k][3] = (float)ms_frames(o->release_ms * time_scale, fs);
    enter(v, k, STAGE_ATTACK);
  }
  if (fb_op != v->fb_op) v->fb_s1 = v->fb_s2 = 0.0f;
  v->fb_op = fb_op;
  v->fb = fb_op >= 0 ? 0.5f * fb : 0.0f;
  v->ops = ops;
  v->algo = patch->algo;
}

void lull__fm_release(lull_fm *v) {
  for (int k = 0; k < v->ops; k++)
    if (v->stage[k] != STAGE_IDLE && v->stage[k] != STAGE_RELEASE) enter(v, k, STAGE_RELEASE);
}
#endif

/* Frames are made in sub-blocks of up to SUB, operator by operator from the
 * top down (each one's modulation is then complete): first the envelopes,
 * one recurrence per frame (so their values never depend on where a render
 * was cut), then each operator's sines eight frames at a time. The phase
 * offset is added in turns and wrapped by the 1.5 * 2^23 rounding trick.
 * The feedback operator runs frame by frame (it hears itself), DX style: the
 * mean of its last two outputs (a lowpass that keeps the loop from hunting). */
enum { SUB = 64 };
#define INV_TWO_PI 0.159154943092f
#define ROUND_MAGIC 12582912.0f /* 1.5 * 2^23: x + M - M rounds x to an integer */

static void render_sub(lull_fm *v, float *out, uint32_t n) {
  const int8_t *target = algo_target[v->algo];
  const int ops = v->ops;
  const uint32_t n8 = (n + 7u) & ~7u;
  _Alignas(32) float env[LULL_FM_OPS][SUB], mod[LULL_FM_OPS][SUB], sum[SUB];
  int live[LULL_FM_OPS];
  for (int k = 0; k < ops; k++) {
    float l = v->level[k];
    const float m = v->mul[k], a = v->add[k];
    live[k] = l != 0.0f || a != 0.0f; /* an operator at 0 adds exactly nothing */
    for (uint32_t i = 0; i < n; i++) {
      env[k][i] = l;
      l = l * m + a;
    }
    for (uint32_t i = n; i < n8; i++) env[k][i] = 0.0f;
    v->level[k] = l;
  }
  for (uint32_t i = 0; i < n8; i++) sum[i] = 0.0f;
  for (int k = 0; k < ops; k++)
    for (uint32_t i = 0; i < n8; i++) mod[k][i] = 0.0f;
  for (int k = ops - 1; k >= 0; k--) {
    float *dst = target[k] < 0 ? sum : mod[target[k]];
    const uint32_t ph = v->phase[k], inc = v->inc[k];
    v->phase[k] = ph + n * inc;
    if (!live[k]) continue;
    if (k == v->fb_op) {
      float s1 = v->fb_s1, s2 = v->fb_s2;
      const float fb = v->fb;
      for (uint32_t i = 0; i < n; i++) {
        float t = lull__phase_turns(ph + i * inc) + (mod[k][i] + fb * (s1 + s2)) * INV_TWO_PI;
        t -= (t + ROUND_MAGIC) - ROUND_MAGIC;
        float s = lull__sin_turns(t);
        s2 = s1;
        s1 = s;
        dst[i] += env[k][i] * s;
      }
      v->fb_s1 = s1;
      v->fb_s2 = s2;
      continue;
    }
    v8u p = v8u_set1(ph) + (v8u){0, inc, 2 * inc, 3 * inc, 4 * inc, 5 * inc, 6 * inc, 7 * inc};
    const v8u step = v8u_set1(8 * inc);
    for (uint32_t i = 0; i < n8; i += 8, p += step) {
      v8f e, m, d;
      __builtin_memcpy(&e, &env[k][i], sizeof e);
      __builtin_memcpy(&m, &mod[k][i], sizeof m);
      __builtin_memcpy(&d, &dst[i], sizeof d);
      v8f t = lull__phase_turns8(p) + m * INV_TWO_PI;
      t -= (t + ROUND_MAGIC) - ROUND_MAGIC;
      d += e * lull__sin_turns8(t);
      __builtin_memcpy(&dst[i], &d, sizeof d);
    }
  }
  lull__copy_floats(out, sum, n);
}

void LULL_ISA_NAME(lull__fm_render)(lull_fm *v, float *out, uint32_t frames) {
  while (frames) {
    uint32_t n = frames < SUB ? frames : SUB;
    for (int k = 0; k < v->ops; k++)
      if (v->left[k] < n) n = v->left[k];
    render_sub(v, out, n);
    for (int k = 0; k < v->ops; k++) {
      if (v->left[k] == UINT32_MAX) continue;
      v->left[k] -= n;
      if (v->left[k] == 0) next_stage(v, k);
    }
    out += n;
    frames -= n;
  }
}

#ifndef LULL_ISA_SUFFIX /* the generic build only: the v3 one has just the render */
int lull__fm_active(const lull_fm *v) {
  const int8_t *target = algo_target[v->algo];
  for (int k = 0; k < v->ops; k++)
    if (target[k] < 0 && v->level[k] > 0.0f && v->stage[k] != STAGE_IDLE) return 1;
  return 0;
}

float lull__fm_level(const lull_fm *v) {
  const int8_t *target = algo_target[v->algo];
  float best = 0.0f;
  for (int k = 0; k < v->ops; k++)
    if (target[k] < 0 && v->peak[k] > 0.0f && v->level[k] / v->peak[k] > best) best = v->level[k] / v->peak[k];
  return best > 1.0f ? 1.0f : best;
}

/* ---- presets ------------------------------------------------------------
 * Carriers' levels sum to about 0.4 (the peak of a note at velocity 1);
 * modulators' levels are indices in radians at C4 and velocity 1. */

/* Glass: a soft bowl-like tone. Two carriers at the note, 0.35 Hz apart (a
 * slow 3 s beat, the second quieter so it never cancels), modulated at the
 * inharmonic 3.5 and 2.76 (glass and bowl partials) by indices that fade
 * twice as fast as the tone, so it turns purer as it rings. 40 ms attack;
 * 12 s to -60 dB at C4, 9.75 s at C5 (key_rate 0.3). */
const lull_fm_patch lull__fm_glass = {
    .algo = LULL_FM_ALGO_21_43,
    .top_hz = 2093.0f,
    .op = {
        {.ratio = 1.0f, .level = 0.25f, .attack_ms = 40, .decay1_ms = 12000, .decay2_ms = 12000,
         .release_ms = 1500, .l1 = 1, .l2 = 1, .l3 = 0, .vel_sens = 0.6f, .key_rate = 0.3f},
        {.ratio = 3.5f, .level = 1.1f, .attack_ms = 60, .decay1_ms = 6000, .decay2_ms = 6000,
         .release_ms = 1500, .l1 = 1, .l2 = 1, .l3 = 0, .vel_sens = 0.7f, .key_rate = 0.3f, .key_level = 0.5f},
        {.ratio = 1.0f, .detune_hz = 0.35f, .level = 0.14f, .attack_ms = 40, .decay1_ms = 12000,
         .decay2_ms = 12000, .release_ms = 1500, .l1 = 1, .l2 = 1, .l3 = 0, .vel_sens = 0.6f, .key_rate = 0.3f},
        {.ratio = 2.76f, .level = 0.8f, .attack_ms = 60, .decay1_ms = 5000, .decay2_ms = 5000,
         .release_ms = 1500, .l1 = 1, .l2 = 1, .l3 = 0, .vel_sens = 0.7f, .key_rate = 0.3f, .key_level = 0.5f},
    }};

/* Bell: a struck tubular bell. 1 ms attack; a bright clang from 3.5 (index
 * 2.4, gone in about 2.5 s) on the strike tone, and a second carrier at 2.0
 * modulated at 1.41 (sqrt 2: the inharmonic hum above). 6 s to -60 dB at C4,
 * 4.2 s at C5 (key_rate 0.5). */
const lull_fm_patch lull__fm_bell = {
    .algo = LULL_FM_ALGO_21_43,
    .top_hz = 2093.0f,
    .op = {
        {.ratio = 1.0f, .level = 0.26f, .attack_ms = 1, .decay1_ms = 6000, .decay2_ms = 6000,
         .release_ms = 1200, .l1 = 1, .l2 = 1, .l3 = 0, .vel_sens = 0.5f, .key_rate = 0.5f},
        {.ratio = 3.5f, .level = 2.4f, .attack_ms = 1, .decay1_ms = 2500, .decay2_ms = 2500,
         .release_ms = 1200, .l1 = 1, .l2 = 1, .l3 = 0, .vel_sens = 0.8f, .key_rate = 0.5f, .key_level = 0.4f},
        {.ratio = 2.0f, .level = 0.12f, .attack_ms = 1, .decay1_ms = 4000, .decay2_ms = 4000,
         .release_ms = 1200, .l1 = 1, .l2 = 1, .l3 = 0, .vel_sens = 0.5f, .key_rate = 0.5f},
        {.ratio = 1.41f, .level = 1.5f, .attack_ms = 1, .decay1_ms = 2000, .decay2_ms = 2000,
         .release_ms = 1200, .l1 = 1, .l2 = 1, .l3 = 0, .vel_sens = 0.8f, .key_rate = 0.5f, .key_level = 0.4f},
    }};

/* Electric piano (DX "E.PIANO 1" shape): a body pair 1:1 (index 1.2 falling
 * to 0.4 in the first second: the bark, strong with velocity) and a tine
 * pair whose 14:1 modulator dies in 0.25 s (the "ding"). The body sustains
 * 5 s to -60 dB at C4 while held (key_rate 0.4), the tine 3 s; release
 * 300 ms like a damper. */
const lull_fm_patch lull__fm_epiano = {
    .algo = LULL_FM_ALGO_21_43,
    .top_hz = 1047.0f,
    .op = {
        {.ratio = 1.0f, .level = 0.26f, .attack_ms = 2, .decay1_ms = 5000, .decay2_ms = 5000,
         .release_ms = 300, .l1 = 1, .l2 = 1, .l3 = 0, .vel_sens = 0.5f, .key_rate = 0.4f},
        {.ratio = 1.0f, .level = 1.2f, .attack_ms = 2, .decay1_ms = 1500, .decay2_ms = 8000,
         .release_ms = 300, .l1 = 1, .l2 = 0.35f, .l3 = 0, .vel_sens = 0.9f, .key_rate = 0.4f, .key_level = 0.3f},
        {.ratio = 1.0f, .level = 0.14f, .attack_ms = 1, .decay1_ms = 3000, .decay2_ms = 3000,
         .release_ms = 300, .l1 = 1, .l2 = 1, .l3 = 0, .vel_sens = 0.6f, .key_rate = 0.4f},
        {.ratio = 14.0f, .level = 1.6f, .attack_ms = 1, .decay1_ms = 250, .decay2_ms = 250,
         .release_ms = 300, .l1 = 1, .l2 = 1, .l3 = 0, .vel_sens = 0.9f, .key_rate = 0.4f, .key_level = 0.6f},
    }};

/* Piano, soft (for the tape palette's lead): a body 1:1 (index 0.9 falling
 * as it rings) and an upper partial at 2.003 (a string's slight stretch),
 * struck by a 7:1 modulator that is gone in 80 ms (the hammer). 7 s to
 * -60 dB at C4 (key_rate 0.5); release 400 ms. */
const lull_fm_patch lull__fm_piano = {
    .algo = LULL_FM_ALGO_21_43,
    .top_hz = 1047.0f,
    .op = {
        {.ratio = 1.0f, .level = 0.28f, .attack_ms = 3, .decay1_ms = 7000, .decay2_ms = 7000,
         .release_ms = 400, .l1 = 1, .l2 = 1, .l3 = 0, .vel_sens = 0.6f, .key_rate = 0.5f},
        {.ratio = 1.0f, .level = 0.9f, .attack_ms = 3, .decay1_ms = 2000, .decay2_ms = 6000,
         .release_ms = 400, .l1 = 1, .l2 = 0.4f, .l3 = 0, .vel_sens = 0.8f, .key_rate = 0.5f, .key_level = 0.4f},
        {.ratio = 2.003f, .level = 0.1f, .attack_ms = 2, .decay1_ms = 4000, .decay2_ms = 4000,
         .release_ms = 400, .l1 = 1, .l2 = 1, .l3 = 0, .vel_sens = 0.5f, .key_rate = 0.5f},
        {.ratio = 7.0f, .level = 1.3f, .attack_ms = 1, .decay1_ms = 80, .decay2_ms = 80,
         .release_ms = 200, .l1 = 1, .l2 = 1, .l3 = 0, .vel_sens = 0.9f, .key_rate = 0.3f, .key_level = 0.5f},
    }};
#endif
