/* Granular voice: Hann-windowed grains read from the station's recent
 * output (a ring the engine writes) or from one cycle of a wave, scheduled,
 * placed, panned and pitched from a seeded stream. Positions are absolute
 * frames (the ring's `written` plus the frame in the block), so a split of
 * the render changes nothing; no read ever leaves the allowed window. */
#include <math.h>
#include <string.h>

#include "dsp/dsp.h"
#include "dsp/isa.h"

#define MIN_BEHIND_S 0.1f

#ifndef LULL_ISA_SUFFIX /* the generic build only: the v3 one has just the render */
/* Shimmer: an octave above the station, sparse long grains (8 a second,
 * 120-200 ms) from 0.4-1.5 s back, wide; slow in (3 s) and out (4 s). */
const lull_grains_patch lull__grains_shimmer = {
    .attack_s = 3.0f, .release_s = 4.0f, .density_hz = 8.0f, .grain_min_s = 0.12f, .grain_max_s = 0.2f, .ratio = 2.0f,
    .ref_hz = 0.0f, .jitter_cents = 4.0f, .lag_min_s = 0.4f, .lag_max_s = 1.5f, .spread = 0.9f, .gain = 0.8f};
/* Cloud: unison, dense short grains (30 a second, 30-80 ms) from 0.25-2 s
 * back, a little pitch smear (+-12 cents) for a blurred halo. */
const lull_grains_patch lull__grains_cloud = {
    .attack_s = 2.0f, .release_s = 3.0f, .density_hz = 30.0f, .grain_min_s = 0.03f, .grain_max_s = 0.08f,
    .ratio = 1.0f, .ref_hz = 0.0f, .jitter_cents = 12.0f, .lag_min_s = 0.25f, .lag_max_s = 2.0f, .spread = 0.7f,
    .gain = 0.8f};

void lull__grains_init(lull_grains *g, float sample_rate_hz) {
  memset(g, 0, sizeof *g);
  g->sample_rate_hz = sample_rate_hz;
  lull__noise_init(&g->rng, 1);
}

void lull__grains_start(lull_grains *g, const lull_grains_patch *patch, float hz, float velocity, uint64_t seed) {
  if (g->env.stage == LULL_ENV1_IDLE) { /* fresh: no grain left from before */
    g->live = 0;
    for (int k = 0; k < LULL_GRAINS_MAX; k++) g->grain[k].len = 0;
  }
  g->patch = patch;
  g->hz = hz;
  lull__noise_init(&g->rng, lull__splitmix64(&seed));
  /* Overlapping grains add as noise does: hold the level whatever the density. */
  float overlap = patch->density_hz * 0.5f * (patch->grain_min_s + patch->grain_max_s);
  g->gain = patch->gain * velocity / sqrtf(fmaxf(overlap, 1.0f) * 0.375f); /* Hann: mean square 3/8 */
  g->next_onset = 0;
  lull__env1_set(&g->env, patch->attack_s, patch->release_s, g->sample_rate_hz);
  lull__env1_gate_on(&g->env);
}

void lull__grains_release(lull_grains *g) { lull__env1_gate_off(&g->env); }
int lull__grains_active(const lull_grains *g) { return g->env.stage != LULL_ENV1_IDLE; }
float lull__grains_level(const lull_grains *g) { return g->env.level; }

/* A grain's onset, length, lag and pan: compiled once (generic), so that
 * what the seeded stream decides never depends on the CPU's kernels. */
void lull__grains_spawn(lull_grains *g, const lull_grain_source *src, uint64_t now) {
  const lull_grains_patch *p = g->patch;
  float fs = g->sample_rate_hz;
  g->next_onset = (uint32_t)(fs / fmaxf(p->density_hz, 0.1f) * (0.5f + lull__noise_unit(&g->rng)));
  float len_s = p->grain_min_s + (p->grain_max_s - p->grain_min_s) * lull__noise_unit(&g->rng);
  float cents = p->jitter_cents * (2.0f * lull__noise_unit(&g->rng) - 1.0f);
  float pan = 0.5f + p->spread * (lull__noise_unit(&g->rng) - 0.5f);
  float lag_s = p->lag_min_s + (p->lag_max_s - p->lag_min_s) * lull__noise_unit(&g->rng);
  float where = lull__noise_unit(&g->rng);
  uint32_t free_slots = ~g->live & ((1u << LULL_GRAINS_MAX) - 1);
  if (!free_slots) return; /* all busy: skip this onset */
  int k = __builtin_ctz(free_slots);
  lull_grain *gr = &g->grain[k];
  float jitter = lull__exp2_fast(cents * (1.0f / 1200.0f));
  float speed; /* frames of the source per output frame */
  gr->len = (uint32_t)(len_s * fs);
  if (gr->len < 2) return;
  if (src->written == LULL_GRAIN_CYCLE) {
    float hz = g->hz > 0 ? g->hz : 440.0f;
    speed = p->ratio * hz * (float)(src->mask + 1) / fs * jitter;
    gr->pos = (uint64_t)(where * (float)(src->mask + 1)) << 32;
  } else {
    speed = p->ratio * (p->ref_hz > 0 ? g->hz / p->ref_hz : 1.0f) * jitter;
    /* Start lag frames behind now, and further back by what a faster read
     * gains on the write head over the grain. */
    float lag = lag_s * fs + fmaxf(speed - 1.0f, 0.0f) * (float)gr->len;
    gr->pos = (uint64_t)(uint32_t)(now - (uint64_t)lag) << 32;
  }
  gr->step = (uint64_t)((double)speed * 4294967296.0);
  gr->age = 0;
  /* The Hann window sin^2(pi t / len) = (1 - cos(2 pi t / len)) / 2, its
   * cosine by the two-term recurrence (two operations a frame, not a sine). */
  float cos_step = lull__sin_turns(0.25f - 1.0f / (float)gr->len);
  gr->k2 = 2.0f * cos_step;
  gr->c = 1.0f;
  gr->c1 = cos_step; /* cos(-2 pi / len) */
  gr->gl = lull__sin_turns(0.25f - 0.25f * pan);
  gr->gr = lull__sin_turns(0.25f * pan);
  g->live |= 1u << k;
  g->started++;
}
#endif

void LULL_ISA_NAME(lull__grains_render)(lull_grains *voice, const lull_grain_source *src, float *out_l, float *out_r,
                         uint32_t frames) {
  uint32_t i = 0;
  if (voice->patch && voice->env.stage != LULL_ENV1_IDLE) {
    lull_grains local = *voice, *g = &local; /* a local copy: the outputs cannot alias it */
    const float *data = src->data;
    const uint32_t mask = src->mask;
    const int cycle = src->written == LULL_GRAIN_CYCLE;
    const uint32_t written = (uint32_t)src->written;
    const uint32_t min_behind = (uint32_t)ceilf(MIN_BEHIND_S * g->sample_rate_hz);
    for (; i < frames; i++) {
      if (g->env.stage == LULL_ENV1_IDLE) break;
      if (g->next_onset == 0) lull__grains_spawn(g, src, src->written + i);
      g->next_onset--;
      float e = lull__env1_tick(&g->env) * g->gain, l = 0, r = 0;
      for (uint32_t m = g->live; m; m &= m - 1) {
        int k = __builtin_ctz(m);
        lull_grain *gr = &g->grain[k];
        uint32_t idx = (uint32_t)(gr->pos >> 32);
        float frac = (float)(uint32_t)gr->pos * 0x1p-32f;
        /* The window: both frames read lie 0.1 s .. size - 1 behind. */
        uint32_t behind = written - idx;
        if (!cycle && (behind < min_behind + 1 || behind > mask)) {
          g->live &= ~(1u << k);
          gr->len = 0;
          g->cut++;
          continue;
        }
        float a = data[idx & mask], b = data[(idx + 1) & mask];
        float c = gr->c;
        gr->c = gr->k2 * c - gr->c1;
        gr->c1 = c;
        float s = (0.5f - 0.5f * c) * (a + frac * (b - a));
        l += gr->gl * s;
        r += gr->gr * s;
        gr->pos += gr->step;
        if (++gr->age >= gr->len) g->live &= ~(1u << k), gr->len = 0;
      }
      out_l[i] = e * l;
      out_r[i] = e * r;
    }
    *voice = local;
  }
  memset(out_l + i, 0, sizeof(float) * (frames - i));
  memset(out_r + i, 0, sizeof(float) * (frames - i));
}
