/* The strings voice's block kernel: up to four voices at once (see
 * ensemble.c for the voice). Compiled twice, generic and for x86-64-v3
 * (isa.h), where the wavetable reads are gathers and the filter fuses. */
#include <string.h>

#include "dsp/dsp.h"
#include "dsp/isa.h"

#define CTL LULL_PAL_CTL_FRAMES

/* Up to four voices in lockstep, one to a lane of each vector: their
 * envelopes, oscillators and filters tick together, which hides the filter's
 * serial latency that bounds one voice alone. Each lane keeps its own
 * control points (a chunk runs to the nearest of them), so every lane gives
 * exactly what the voice gives rendered by itself. A lane whose envelope
 * ends keeps ticking at level 0 (its output is 0, its state is not used
 * again: a start from idle resets it). */
#define LANES 4
static inline v4f sel4(v4i mask, v4f a, v4f b) { return (v4f)(((v4i)a & mask) | ((v4i)b & ~mask)); }
void LULL_ISA_NAME(lull__strings_render_n)(lull_strings *const *voice, int count, float *const *out, uint32_t frames) {
  lull_strings local[LANES];
  int lane_of[LANES], n = 0;
  const float *data = NULL;
  for (int k = 0; k < count && k < LANES; k++) {
    if (voice[k]->patch && voice[k]->env.stage != LULL_ENV1_IDLE) {
      local[n] = *voice[k];
      lane_of[n++] = k;
      data = voice[k]->data;
    } else {
      memset(out[k], 0, sizeof(float) * frames);
    }
  }
  if (n == 0) return;
  /* Lanes by voice; oscillator o of every lane in vector o. Empty lanes:
   * weight and gain 0, table 0, idle. */
  v4u table[4] = {{0}}, phase[4] = {{0}}, inc[4] = {{0}};
  v4f weight[4] = {{0}}, gain = {0}, level = {0}, att_step = {0}, rel_coef = {0};
  v4f ic1 = {0}, ic2 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
  v4i stage = {0};
  uint32_t ctl_left[LANES] = {UINT32_MAX, UINT32_MAX, UINT32_MAX, UINT32_MAX};
  for (int l = 0; l < n; l++) {
    const lull_strings *v = &local[l];
    for (int o = 0; o < 4; o++) table[o][l] = v->table[o], phase[o][l] = v->phase[o], inc[o][l] = v->inc[o];
    weight[0][l] = weight[1][l] = 1.0f;
    weight[2][l] = v->saws == 3 ? 1.0f : 0.0f;
    weight[3][l] = v->patch->pulse_mix;
    gain[l] = v->gain;
    level[l] = v->env.level, att_step[l] = v->env.attack_step, rel_coef[l] = v->env.release_coef;
    stage[l] = v->env.stage;
    ic1[l] = v->lp.ic1, ic2[l] = v->lp.ic2, a1[l] = v->lp.a1, a2[l] = v->lp.a2, a3[l] = v->lp.a3;
    ctl_left[l] = v->ctl_left;
  }
  const v4i attack = {LULL_ENV1_ATTACK, LULL_ENV1_ATTACK, LULL_ENV1_ATTACK, LULL_ENV1_ATTACK};
  const v4i release = {LULL_ENV1_RELEASE, LULL_ENV1_RELEASE, LULL_ENV1_RELEASE, LULL_ENV1_RELEASE};
  const v4i hold = {LULL_ENV1_HOLD, LULL_ENV1_HOLD, LULL_ENV1_HOLD, LULL_ENV1_HOLD};
  const v4f one = {1.0f, 1.0f, 1.0f, 1.0f}, floor_ = {2.5119e-4f, 2.5119e-4f, 2.5119e-4f, 2.5119e-4f};
  uint32_t i = 0;
  v4f y[CTL];
  while (i < frames) {
    uint32_t run = frames - i;
    for (int l = 0; l < n; l++) {
      if (ctl_left[l] == 0) {
        lull_strings *v = &local[l];
        v->env.level = level[l];
        lull__strings_control(v);
        for (int o = 0; o < 4; o++) inc[o][l] = v->inc[o];
        a1[l] = v->lp.a1, a2[l] = v->lp.a2, a3[l] = v->lp.a3;
        ctl_left[l] = CTL;
      }
      if (ctl_left[l] < run) run = ctl_left[l];
    }
    for (uint32_t j = 0; j < run; j++) {
      /* lull__env1_tick, lane by lane */
      v4i in_att = stage == attack, in_rel = stage == release;
      level = sel4(in_att, level + att_step, sel4(in_rel, level * rel_coef, level));
      v4i top = in_att & (level >= one), end = in_rel & (level < floor_);
      level = sel4(top, one, (v4f)((v4i)level & ~end));
      stage = (top & hold) | (~top & ~end & stage);
      v4f o[4];
      for (int k = 0; k < 4; k++) {
        o[k] = lull__wt_read4(data, table[k], phase[k]) * weight[k];
        phase[k] += inc[k];
      }
      v4f x = (o[0] + o[1]) + (o[2] + o[3]);
      /* lull__svf_tick's lowpass, lane by lane */
      v4f v3 = x - ic2;
      v4f v1 = a1 * ic1 + a2 * v3;
      v4f v2 = ic2 + a2 * ic1 + a3 * v3;
      ic1 = 2.0f * v1 - ic1 + LULL_TINY;
      ic2 = 2.0f * v2 - ic2 + LULL_TINY;
      y[j] = gain * level * v2;
    }
    for (int l = 0; l < n; l++) {
      float *o = out[lane_of[l]] + i;
      for (uint32_t j = 0; j < run; j++) o[j] = y[j][l];
    }
    for (int l = 0; l < n; l++) ctl_left[l] -= run;
    i += run;
  }
  for (int l = 0; l < n; l++) {
    lull_strings *v = &local[l];
    for (int o = 0; o < 4; o++) v->phase[o] = phase[o][l];
    v->env.level = level[l];
    v->env.stage = stage[l];
    v->lp.ic1 = ic1[l], v->lp.ic2 = ic2[l];
    v->ctl_left = ctl_left[l];
    *voice[lane_of[l]] = *v;
  }
}
