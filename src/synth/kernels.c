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

/* The reads of one half of the lanes (half 0: lanes 0-3, 1: lanes 4-7),
 * as lull__wt_read4 does them; the other half reads zeros. */
LULL_VEC v8f wt_read_half(const float *data, v8u table, v8u phase, const int half) {
  v8u i = table + (phase >> (32 - LULL_WT_BITS));
  v8f frac = __builtin_convertvector((v8i)(phase & ((1u << (32 - LULL_WT_BITS)) - 1)), v8f) * 0x1p-21f;
#if defined(__AVX__)
  typedef double v2d __attribute__((vector_size(16)));
  double q[4];
  for (int k = 0; k < 4; k++) __builtin_memcpy(&q[k], data + i[4 * half + k], sizeof q[k]);
  v4f lo = (v4f)(v2d){q[0], q[1]}, hi = (v4f)(v2d){q[2], q[3]};
  v4f a4 = __builtin_shuffle(lo, hi, (v4i){0, 2, 4, 6}), b4 = __builtin_shuffle(lo, hi, (v4i){1, 3, 5, 7});
  const v4f z = {0, 0, 0, 0}; /* in registers: through memory it would stall on the wide reload */
  v8f a = half ? __builtin_shufflevector(z, a4, 0, 1, 2, 3, 4, 5, 6, 7) : __builtin_shufflevector(a4, z, 0, 1, 2, 3, 4, 5, 6, 7);
  v8f b = half ? __builtin_shufflevector(z, b4, 0, 1, 2, 3, 4, 5, 6, 7) : __builtin_shufflevector(b4, z, 0, 1, 2, 3, 4, 5, 6, 7);
#else
  v8f a = v8f_set1(0), b = v8f_set1(0);
  for (int j = 4 * half; j < 4 * half + 4; j++) {
    a[j] = data[i[j]];
    b[j] = data[i[j] + 1];
  }
#endif
  return a + frac * (b - a);
}

/* Pad: two detuned band-limited saws through a lowpass (its cutoff moves
 * with the part's LFO at control rate, lull__pool_control). half is -1 for
 * all lanes, or the one half (0 or 1) where the sounding lanes are: then
 * the other half's lanes read zeros instead of their tables. They are idle,
 * and nothing of an idle lane is heard (its level is 0) or kept (a fresh
 * note resets its phase and filter), so the sounding lanes come out the
 * same bit for bit. The reads are most of the pad's cost, and a chord
 * mostly sounds alone in its half (83 % of the frames of the README's 600 s
 * render). */
LULL_VEC void render_pad_lanes(lull_bank *b, v8f *y, uint32_t frames, const int half) {
  const float *data = b->wt_data;
  v8u pa = b->phase_a, pb = b->phase_b;
  const v8u ia = b->inc_a, ib = b->inc_b, ta = b->table_a, tb = b->table_b;
  v8f level = b->env.level;
  const v8f step = b->env.step;
  lull_svf8 f = b->svf;
  for (uint32_t n = 0; n < frames; n++) {
    v8f x = half < 0 ? lull__wt_read8(data, ta, pa) + lull__wt_read8(data, tb, pb)
                     : wt_read_half(data, ta, pa, half) + wt_read_half(data, tb, pb, half);
    x *= 0.5f;
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

LULL_VEC void render_pad(lull_bank *b, v8f *y, uint32_t frames) {
  if (!(b->active & 0xf0)) render_pad_lanes(b, y, frames, 0);
  else if (!(b->active & 0x0f)) render_pad_lanes(b, y, frames, 1);
  else render_pad_lanes(b, y, frames, -1);
}

/* The misc bank: kick lanes are a sine whose increment ramps (the sweep),
 * decaying exponentially; air, swell and hat lanes are seeded noise through
 * the lane's filter, the response mixed from the filter's states
 * (v1 = (ic1 + ic1')/2, v2 = (ic2 + ic2')/2, see lull_svf8). Where
 * mix_cascade is 1 (the swell) that response goes through a second band-pass
 * with the same coefficients: 12 dB an octave on each skirt instead of 6.
 * Every lane runs every path; per-lane weights pick. Where curve is 1 (the
 * kick) the envelope's linear level e goes through smoothstep, e^2 (3 - 2e):
 * an attack that starts and lands with zero slope. */
LULL_VEC void render_misc_paths(lull_bank *b, v8f *y, uint32_t frames, const int sine, const int noisy,
                                const int cascaded) {
  v8u phase = b->phase_a, inc = b->inc_a;
  const v8u dinc = (v8u)b->dinc;
  v8f amp = b->amp;
  const v8f decay = b->decay, ms = b->mix_sine, curve = b->curve, cascade = b->mix_cascade;
  lull_noise8 noise = b->noise;
  lull_svf8 f = b->svf;
  v8f ic3 = b->ic3, ic4 = b->ic4;
  const v8f m0 = b->mix_in, m1 = b->mix_band * 0.5f, m2 = b->mix_low * 0.5f, half_k = f.k * 0.5f;
  v8f level = b->env.level;
  const v8f step = b->env.step;
  /* With both paths, in two passes (the noise path into y, then the sine
   * and the envelope): each loop's chain of dependent operations is
   * shorter and the CPU overlaps more samples (~20 % faster here). With
   * one path, in one. */
  const int split = sine && noisy;
  for (uint32_t n = 0; n < frames; n++) {
    v8f u = v8f_set1(0);
    if (noisy) {
      v8f v0 = lull__noise8_next(&noise);
      v8f n1 = f.c11 * f.ic1 + (f.c12 * f.ic2 + f.b1 * v0);
      v8f n2 = f.c22 * f.ic2 + (f.c21 * f.ic1 + f.b2 * v0);
      u = m0 * v0 + m1 * (f.ic1 + n1) + m2 * (f.ic2 + n2);
      f.ic1 = n1;
      f.ic2 = n2;
      if (cascaded) {
        v8f n3 = f.c11 * ic3 + (f.c12 * ic4 + f.b1 * u);
        v8f n4 = f.c22 * ic4 + (f.c21 * ic3 + f.b2 * u);
        u += cascade * (half_k * (ic3 + n3) - u);
        ic3 = n3;
        ic4 = n4;
      }
    }
    if (split) {
      y[n] = u;
      continue;
    }
    if (sine) {
      u += ms * (lull__sin_turns8(lull__phase_turns8(phase)) * amp);
      phase += inc;
      inc += dinc;
      amp *= decay;
      y[n] = u * (level + curve * (level * level * (3.0f - 2.0f * level) - level));
    } else {
      y[n] = u * level; /* only kick lanes have a curve */
    }
    level += step;
  }
  for (uint32_t n = 0; split && n < frames; n++) {
    v8f u = y[n] + ms * (lull__sin_turns8(lull__phase_turns8(phase)) * amp);
    phase += inc;
    inc += dinc;
    amp *= decay;
    y[n] = u * (level + curve * (level * level * (3.0f - 2.0f * level) - level));
    level += step;
  }
  b->phase_a = phase;
  b->inc_a = inc;
  b->amp = amp;
  b->noise = noise;
  b->svf.ic1 = f.ic1;
  b->svf.ic2 = f.ic2;
  b->ic3 = ic3;
  b->ic4 = ic4;
  b->env.level = level;
}

/* Only the paths some sounding lane needs run (a path no sounding lane
 * uses leaves nothing that a later note reads: a new note resets what it
 * uses). Which lanes sound is fixed within a sub-block, so this does not
 * depend on how the render is split. */
LULL_VEC void render_misc(lull_bank *b, v8f *y, uint32_t frames) {
  int sine = 0, noisy = 0, cascaded = 0;
  for (int j = 0; j < LULL_LANES; j++) {
    if (!(b->active & (1u << j))) continue;
    sine |= b->mix_sine[j] != 0.0f;
    noisy |= b->mix_sine[j] == 0.0f;
    cascaded |= b->mix_cascade[j] != 0.0f;
  }
  if (sine && !noisy) render_misc_paths(b, y, frames, 1, 0, 0);
  else if (!sine && !cascaded) render_misc_paths(b, y, frames, 0, 1, 0);
  else if (!sine) render_misc_paths(b, y, frames, 0, 1, 1);
  else if (!cascaded) render_misc_paths(b, y, frames, 1, 1, 0);
  else render_misc_paths(b, y, frames, 1, 1, 1);
}

/* The FM bank (lead, bell, bass): per lane a carrier phase-modulated by one
 * modulator (Chowning 1973), plus an added sine:
 *   y = level (af + a) [sin(2 pi (pc + (if + i) sin(2 pi pm))) + (pf + p) sin(2 pi pp)]
 * with a, i and p decaying exponentially (one multiply each per sample) and
 * the index in turns. The modulation is added to the carrier's phase in
 * fixed point (|index| < 1 turn), so the sine is always read in range. */
LULL_VEC void render_fm_paths(lull_bank *b, v8f *y, uint32_t frames, const int with_partial) {
  v8u pc = b->phase_a, pm = b->phase_b, pp = b->phase_c;
  const v8u ic = b->inc_a, im = b->inc_b, ip = b->inc_c;
  v8f amp = b->amp, index = b->index, partial = b->partial;
  const v8f amp_decay = b->decay, index_decay = b->index_decay, partial_decay = b->partial_decay;
  const v8f amp_floor = b->amp_floor, index_floor = b->index_floor, partial_floor = b->partial_floor;
  v8f level = b->env.level;
  const v8f step = b->env.step;
  /* Two passes: the modulator into y first, then the carrier from it, so
   * each loop's chain of dependent operations is half as long and the CPU
   * overlaps more samples. */
  for (uint32_t n = 0; n < frames; n++) {
    y[n] = lull__sin_turns8(lull__phase_turns8(pm)) * (index_floor + index);
    pm += im;
    index *= index_decay;
  }
  for (uint32_t n = 0; n < frames; n++) {
    v8u offset = (v8u)__builtin_convertvector(y[n] * 0x1p31f, v8i) << 1; /* turns to 2^32 a turn */
    v8f tone = lull__sin_turns8(lull__phase_turns8(pc + offset));
    if (with_partial) {
      tone += (partial_floor + partial) * lull__sin_turns8(lull__phase_turns8(pp));
      pp += ip;
      partial *= partial_decay;
    }
    y[n] = tone * ((amp_floor + amp) * level);
    pc += ic;
    amp *= amp_decay;
    level += step;
  }
  b->phase_a = pc;
  b->phase_b = pm;
  b->phase_c = with_partial ? pp : pp + ip * frames; /* the added partial's phase moves on either way */
  b->amp = amp;
  b->index = index;
  b->partial = partial;
  b->env.level = level;
}

/* The added partial only where a sounding lane has one: once it has
 * decayed to zero (flush_fm, voices.c) it would add exact zeros. */
LULL_VEC void render_fm(lull_bank *b, v8f *y, uint32_t frames) {
  int with_partial = 0;
  for (int j = 0; j < LULL_LANES; j++)
    with_partial |= (b->active & (1u << j)) && b->partial_floor[j] + b->partial[j] != 0.0f;
  if (with_partial) render_fm_paths(b, y, frames, 1);
  else render_fm_paths(b, y, frames, 0);
}

void LULL_ISA_NAME(lull__bank_render)(lull_bank *b, const lull_mix_bus *bus, uint32_t frames) {
  v8f y[LULL_MAX_BLOCK];
  switch (b->kind) {
    case LULL_BANK_MISC:
      render_misc(b, y, frames);
      emit(b, y, frames, bus, 1);
      break;
    case LULL_BANK_FM:
      render_fm(b, y, frames);
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
