/* The synth's inner loops: the voice kernels (one sub-block of one bank,
 * eight voices in SIMD lanes, added into the dry, reverb-send and delay-send
 * buses) and the master's DC blocker and soft clip. Compiled twice (isa.h):
 * generic, and for x86-64-v3 (AVX2 + FMA), where the wavetable reads become
 * gathers; the engine picks one at create. */
#include <math.h>

#include "synth/synth_int.h"

/* The kernels write each sample's lanes to y[n]; emit() then applies the
 * per-lane pan and send gains. Transposing 8x8 tiles turns those sums over
 * lanes into vertical multiply-adds over eight samples at a time. */
LULL_VEC void emit(const lull_bank *b, v8f *y, uint32_t frames, const lull_mix_bus *bus, int with_delay) {
  float *const outs[4] = {bus->left, bus->right, bus->reverb, bus->delay};
  const v8f *gains[4] = {&b->gain_l, &b->gain_r, &b->gain_rev, &b->gain_dly};
  int nout = !bus->reverb ? 2 : with_delay ? 4 : 3; /* no sends when dry */
  for (uint32_t n = frames; n < ((frames + 7) & ~7u); n++) y[n] = v8f_set1(0);
  for (uint32_t n0 = 0; n0 < frames; n0 += 8) {
    v8f col[8];
    for (int i = 0; i < 8; i++) col[i] = y[n0 + i];
    v8f_transpose8(col); /* col[j][i] = lane j at sample n0 + i */
    uint32_t count = frames - n0 < 8 ? frames - n0 : 8;
    for (int o = 0; o < nout; o++) {
      const v8f g = *gains[o];
      v8f acc = col[0] * g[0];
      for (int j = 1; j < 8; j++) acc += col[j] * g[j];
      float *out = outs[o] + n0;
      if (count == 8) {
        v8f cur;
        __builtin_memcpy(&cur, out, sizeof cur);
        cur += acc;
        __builtin_memcpy(out, &cur, sizeof cur);
      } else {
        for (uint32_t i = 0; i < count; i++) out[i] += acc[i];
      }
    }
  }
}

/* Pad: two detuned band-limited saws through a lowpass (its cutoff moves
 * with the part's LFO at control rate, lull__pool_control). */
LULL_VEC void render_pad(lull_bank *b, v8f *y, uint32_t frames) {
  const float *data = b->wt_data;
  v8u pa = b->phase_a, pb = b->phase_b;
  const v8u ia = b->inc_a, ib = b->inc_b, ta = b->table_a, tb = b->table_b;
  v8f level = b->env.level;
  const v8f step = b->env.step;
  lull_svf8 f = b->svf;
  for (uint32_t n = 0; n < frames; n++) {
    v8f x = (lull__wt_read8(data, ta, pa) + lull__wt_read8(data, tb, pb)) * 0.5f;
    pa += ia;
    pb += ib;
    y[n] = lull__svf8_tick(&f, LULL_SVF_LOWPASS, x) * level;
    level += step;
  }
  b->svf.ic1 = f.ic1;
  b->svf.ic2 = f.ic2;
  b->phase_a = pa;
  b->phase_b = pb;
  b->env.level = level;
}

/* The misc bank: lead and kick lanes are a sine whose increment may ramp
 * (glide, sweep), the kick's also decaying exponentially; swell and hat
 * lanes are seeded noise through the lane's filter, the response mixed from
 * the filter's states (v1 = (ic1 + ic1')/2, v2 = (ic2 + ic2')/2, see
 * lull_svf8). Every lane runs both paths; per-lane weights pick one. */
LULL_VEC void render_misc(lull_bank *b, v8f *y, uint32_t frames) {
  v8u phase = b->phase_a, inc = b->inc_a;
  const v8u dinc = (v8u)b->dinc;
  v8f amp = b->amp;
  const v8f decay = b->decay, ms = b->mix_sine;
  lull_noise8 noise = b->noise;
  lull_svf8 f = b->svf;
  const v8f m0 = b->mix_in, m1 = b->mix_band * 0.5f, m2 = b->mix_low * 0.5f;
  v8f level = b->env.level;
  const v8f step = b->env.step;
  for (uint32_t n = 0; n < frames; n++) {
    v8f s = lull__sin_turns8(lull__phase_turns8(phase)) * amp;
    phase += inc;
    inc += dinc;
    amp *= decay;
    v8f v0 = lull__noise8_next(&noise);
    v8f n1 = f.c11 * f.ic1 + (f.c12 * f.ic2 + f.b1 * v0);
    v8f n2 = f.c22 * f.ic2 + (f.c21 * f.ic1 + f.b2 * v0);
    y[n] = (ms * s + m0 * v0 + m1 * (f.ic1 + n1) + m2 * (f.ic2 + n2)) * level;
    f.ic1 = n1;
    f.ic2 = n2;
    level += step;
  }
  b->phase_a = phase;
  b->inc_a = inc;
  b->amp = amp;
  b->noise = noise;
  b->svf.ic1 = f.ic1;
  b->svf.ic2 = f.ic2;
  b->env.level = level;
}

void LULL_ISA_NAME(lull__bank_render)(lull_bank *b, const lull_mix_bus *bus, uint32_t frames) {
  v8f y[LULL_MAX_BLOCK];
  switch (b->kind) {
    case LULL_BANK_MISC:
      render_misc(b, y, frames);
      emit(b, y, frames, bus, 1);
      break;
    default:
      render_pad(b, y, frames);
      emit(b, y, frames, bus, 0);
      break;
  }
}

/* The master's gain and soft clip: branch-free, so it vectorises. */
void LULL_ISA_NAME(lull__soft_clip_block)(float *left, float *right, uint32_t frames, float gain, float step,
                                          uint32_t phase) {
  /* Eight frames at a time with vector compares (float ternaries are not
   * if-converted under -ftrapping-math); the same formula as the scalar
   * lull__soft_clip, which does the tail. */
  const v8f iota = {0, 1, 2, 3, 4, 5, 6, 7}, hi = v8f_set1(3.0f), lo = v8f_set1(-3.0f);
  const v8f one = v8f_set1(1.0f), minus_one = v8f_set1(-1.0f);
  uint32_t i = 0;
  for (; i + 8 <= frames; i += 8) {
    v8f g = gain + step * ((float)(int32_t)(phase + i) + iota);
    for (int c = 0; c < 2; c++) {
      float *p = c ? right + i : left + i;
      v8f x;
      __builtin_memcpy(&x, p, sizeof x);
      x *= g;
      x = v8f_select(x > hi, hi, v8f_select(x < lo, lo, x));
      v8f x2 = x * x;
      v8f y = x * (27.0f + x2) / (27.0f + 9.0f * x2);
      y = v8f_select(y > one, one, v8f_select(y < minus_one, minus_one, y));
      __builtin_memcpy(p, &y, sizeof y);
    }
  }
  for (; i < frames; i++) {
    float g = gain + step * (float)(int32_t)(phase + i);
    left[i] = lull__soft_clip(left[i] * g);
    right[i] = lull__soft_clip(right[i] * g);
  }
}

/* DC blocker on both channels: two independent recurrences in one loop (one
 * multiply-add deep when FMA is there). */
void LULL_ISA_NAME(lull__dcblock_stereo)(lull_dcblock *l, lull_dcblock *r, float *left, float *right, uint32_t frames) {
  lull__dcblock_process2(l, r, left, right, frames);
}
