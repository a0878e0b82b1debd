/* Textures: stereo noise voices (wind, rain, surf, brush). Each channel has
 * its own noise (L and R uncorrelated); the slow parts (the wind's sweep and
 * gusts, the surf's swell) move every LULL_PAL_CTL_FRAMES frames counted in
 * the voice, their level ramping linearly in between, so any split of a
 * render gives the same samples. */
#include <math.h>
#include <string.h>

#include "dsp/dsp.h"
#include "dsp/isa.h"

#define CTL LULL_PAL_CTL_FRAMES
#define BRUSH_ATTACK_S 0.004f
#define RAIN_FLOOR_HZ 1500.0f
/* A 2-pole Butterworth lowpass passes white noise over 1.11 fc (its
 * equivalent noise bandwidth); the SVF band-pass at Q over pi fc / (2 Q). */
#define LP_ENBW 1.11f

#ifndef LULL_ISA_SUFFIX /* the generic build only: the v3 one has just the render */
/* Wind in a reed bed: a band an octave either side of the note, Q 1.5, a
 * sweep of ~14 s, RMS 0.12 in a full gust; slow in and out. */
const lull_texture_patch lull__texture_wind = {
    .kind = LULL_TEXTURE_WIND, .attack_s = 3.0f, .release_s = 4.0f, .gain = 0.12f,
    .band_octaves = 1.0f, .q = 1.5f, .rate_hz = 0.07f};
/* Steady light rain: 180 drops a second (dense enough to be rain, sparse
 * enough to hear drops), 2-8 kHz, peak 0.25 each, over a floor at RMS 0.012. */
const lull_texture_patch lull__texture_rain = {
    .kind = LULL_TEXTURE_RAIN, .attack_s = 2.0f, .release_s = 3.0f, .gain = 0.25f,
    .density_hz = 180.0f, .lo_hz = 2000.0f, .hi_hz = 8000.0f, .floor = 0.012f};
/* Distant surf: swells of 6-12 s, the cutoff 250 Hz in the trough to
 * 3.5 kHz at the crest, RMS 0.14 at the crest. */
const lull_texture_patch lull__texture_surf = {
    .kind = LULL_TEXTURE_SURF, .attack_s = 3.0f, .release_s = 5.0f, .gain = 0.14f,
    .lo_hz = 250.0f, .hi_hz = 3500.0f, .swell_min_s = 6.0f, .swell_max_s = 12.0f};
/* A brush on a snare head: 2-6 kHz, 120 ms to -60 dB (a soft swish). */
const lull_texture_patch lull__texture_brush = {
    .kind = LULL_TEXTURE_BRUSH, .gain = 0.11f, .lo_hz = 2000.0f, .hi_hz = 6000.0f, .length_s = 0.12f};

void lull__texture_init(lull_texture *v, float sample_rate_hz) {
  memset(v, 0, sizeof *v);
  v->sample_rate_hz = sample_rate_hz;
  for (int c = 0; c < 2; c++)
    for (int k = 0; k < 4; k++) lull__svf_init(&v->f[c][k], sample_rate_hz);
  lull__noise_init(&v->rng, 1);
  lull__noise_init(&v->noise[0], 2);
  lull__noise_init(&v->noise[1], 3);
}

/* RMS of uniform noise (variance 1/3) over an equivalent bandwidth. */
#endif

static float noise_rms(float enbw_hz, float sample_rate_hz) {
  return sqrtf(enbw_hz / (3.0f * 0.5f * sample_rate_hz));
}

static float sine_turns_wrapped(uint32_t phase) { return lull__sin_turns(lull__phase_turns(phase)); }

static void copy_coefs(lull_svf *to, const lull_svf *from) {
  to->a1 = from->a1, to->a2 = from->a2, to->a3 = from->a3, to->k = from->k;
}

static void control_wind(lull_texture *v) {
  const lull_texture_patch *p = v->patch;
  float s = 0.6f * sine_turns_wrapped(v->mod_phase[0]) + 0.4f * sine_turns_wrapped(v->mod_phase[1]);
  float gust = 0.55f + 0.45f * (0.6f * sine_turns_wrapped(v->mod_phase[2]) + 0.4f * sine_turns_wrapped(v->mod_phase[3]));
  for (int k = 0; k < 4; k++) v->mod_phase[k] += v->mod_inc[k] * CTL;
  v->centre_hz = v->hz * lull__exp2_fast(p->band_octaves * s);
  float centre = v->centre_hz;
  lull__svf_set_fast(&v->f[0][0], centre, p->q);
  copy_coefs(&v->f[1][0], &v->f[0][0]);
  /* Band-passed noise grows as sqrt(centre): hold its RMS at gain * gust. */
  float norm = 1.0f / noise_rms(3.14159265f * centre / (2.0f * p->q), v->sample_rate_hz);
  float target = v->gain * gust * norm;
  v->level_step = (target - v->level) / CTL;
}

static void control_surf(lull_texture *v) {
  const lull_texture_patch *p = v->patch;
  uint32_t before = v->mod_phase[0];
  v->mod_phase[0] += v->mod_inc[0];
  if (v->mod_phase[0] < before) { /* a new swell: its own period */
    float period_s = p->swell_min_s + (p->swell_max_s - p->swell_min_s) * lull__noise_unit(&v->rng);
    v->mod_inc[0] = (uint32_t)(4294967296.0f * CTL / (period_s * v->sample_rate_hz));
  }
  float x = 0.5f - 0.5f * sine_turns_wrapped(v->mod_phase[0] + 0x40000000u); /* sin^2(pi phase) */
  float swell = x * x;                                                      /* a sharper crest */
  float cutoff = p->lo_hz * lull__exp2_fast(v->span_octaves * swell);
  lull__svf_set_fast(&v->f[0][0], cutoff, 0.7071f);
  copy_coefs(&v->f[1][0], &v->f[0][0]);
  float target = v->gain * (0.12f + 0.88f * swell) / noise_rms(LP_ENBW * cutoff, v->sample_rate_hz);
  v->level_step = (target - v->level) / CTL;
}

#ifndef LULL_ISA_SUFFIX /* the generic build only: the v3 one has just the render */
void lull__texture_start(lull_texture *v, const lull_texture_patch *patch, float hz, float velocity, uint64_t seed) {
  int fresh = v->env.stage == LULL_ENV1_IDLE || v->patch != patch;
  v->patch = patch;
  v->gain = patch->gain * velocity;
  lull__noise_init(&v->rng, lull__splitmix64(&seed));
  lull__noise_init(&v->noise[0], lull__splitmix64(&seed));
  lull__noise_init(&v->noise[1], lull__splitmix64(&seed));
  float fs = v->sample_rate_hz;
  if (fresh) {
    for (int c = 0; c < 2; c++)
      for (int k = 0; k < 4; k++) lull__svf_reset(&v->f[c][k]);
    v->level = 0;
    memset(v->drop_y1, 0, sizeof v->drop_y1);
    memset(v->drop_y2, 0, sizeof v->drop_y2);
    memset(v->drop_c, 0, sizeof v->drop_c);
    v->next_drop = 0;
  }
  v->level_step = 0;
  v->ctl_left = 0;
  v->hz = hz;
  v->span_octaves = patch->hi_hz > patch->lo_hz && patch->lo_hz > 0 ? log2f(patch->hi_hz / patch->lo_hz) : 0;
  switch (patch->kind) {
    case LULL_TEXTURE_WIND: {
      /* Two sweep sines (base rate and ~2.3x) and two gust sines (~3x, ~7x),
       * rates and phases seeded, so no two notes blow alike. */
      static const float mult[4] = {1.0f, 2.3f, 3.1f, 7.3f};
      for (int k = 0; k < 4; k++) {
        float r = patch->rate_hz * mult[k] * (0.8f + 0.4f * lull__noise_unit(&v->rng));
        v->mod_inc[k] = lull__hz_to_inc(r, fs);
        v->mod_phase[k] = (uint32_t)(lull__splitmix64(&seed) >> 32);
      }
      break;
    }
    case LULL_TEXTURE_RAIN: {
      v->drop_p = patch->density_hz / fs;
      float lp = fminf(RAIN_FLOOR_HZ, 0.45f * fs);
      for (int c = 0; c < 2; c++) lull__svf_set(&v->f[c][0], lp, 0.7071f);
      v->norm_base = patch->floor / noise_rms(LP_ENBW * lp, fs);
      v->level = 1.0f;
      break;
    }
    case LULL_TEXTURE_SURF: {
      float period_s = patch->swell_min_s + (patch->swell_max_s - patch->swell_min_s) * lull__noise_unit(&v->rng);
      v->mod_inc[0] = (uint32_t)(4294967296.0f * CTL / (period_s * fs));
      if (fresh) v->mod_phase[0] = (uint32_t)(lull__noise_unit(&v->rng) * 0.25f * 4294967296.0f);
      break;
    }
    default: { /* BRUSH */
      static const float butterworth4_q[2] = {0.5412f, 1.3066f};
      for (int c = 0; c < 2; c++)
        for (int k = 0; k < 2; k++) {
          lull__svf_set(&v->f[c][k], patch->lo_hz, butterworth4_q[k]);
          lull__svf_set(&v->f[c][2 + k], fminf(patch->hi_hz, 0.45f * fs), butterworth4_q[k]);
        }
      v->level = v->gain / noise_rms(patch->hi_hz - patch->lo_hz, fs);
      v->hit_frame = 0;
      v->hit_frames = (uint32_t)(patch->length_s * fs);
      lull__env1_set(&v->env, BRUSH_ATTACK_S, patch->length_s - BRUSH_ATTACK_S, fs);
      lull__env1_gate_on(&v->env);
      return;
    }
  }
  lull__env1_set(&v->env, patch->attack_s, patch->release_s, fs);
  lull__env1_gate_on(&v->env);
}

void lull__texture_release(lull_texture *v) {
  if (v->patch && v->patch->kind != LULL_TEXTURE_BRUSH) lull__env1_gate_off(&v->env);
}

int lull__texture_active(const lull_texture *v) { return v->env.stage != LULL_ENV1_IDLE; }

float lull__texture_level(const lull_texture *v) { return v->env.level; }
#endif

/* WIND and SURF: noise through one moving filter per channel, the band-pass
 * (wind) or the lowpass (surf), under the slow level. L and R run in lanes
 * 0 and 1 of one vector (2 and 3 idle), each lane the scalar filter's
 * operations in their order, in runs between control points. */
static uint32_t render_filtered(lull_texture *v, float *out_l, float *out_r, uint32_t frames) {
  const int wind = v->patch->kind == LULL_TEXTURE_WIND;
  uint32_t i = 0;
  while (i < frames && v->env.stage != LULL_ENV1_IDLE) {
    if (v->ctl_left == 0) {
      if (wind) control_wind(v);
      else control_surf(v);
      v->ctl_left = CTL;
    }
    const uint32_t n = frames - i < v->ctl_left ? frames - i : v->ctl_left;
    const lull_svf *f0 = &v->f[0][0], *f1 = &v->f[1][0];
    const v4f a1 = {f0->a1, f1->a1}, a2 = {f0->a2, f1->a2}, a3 = {f0->a3, f1->a3}, k = {f0->k, f1->k};
    v4f ic1 = {f0->ic1, f1->ic1}, ic2 = {f0->ic2, f1->ic2};
    v4u noise = {v->noise[0].state, v->noise[1].state};
    lull_env1 env = v->env;
    float level = v->level;
    const float level_step = v->level_step;
    uint32_t j = 0;
    for (; j < n && env.stage != LULL_ENV1_IDLE; j++) {
      level += level_step;
      float e = lull__env1_tick(&env) * level;
      v4u x = noise; /* lull__noise_next */
      x ^= x << 13;
      x ^= x >> 17;
      x ^= x << 5;
      noise = x;
      v4f v0 = __builtin_convertvector((v4i)x, v4f) * 0x1p-31f; /* lull__svf_tick */
      v4f v3 = v0 - ic2;
      v4f v1 = a1 * ic1 + a2 * v3;
      v4f v2 = ic2 + a2 * ic1 + a3 * v3;
      ic1 = 2.0f * v1 - ic1 + LULL_TINY;
      ic2 = 2.0f * v2 - ic2 + LULL_TINY;
      v4f y = e * (wind ? k * v1 : v2);
      out_l[i + j] = y[0];
      out_r[i + j] = y[1];
    }
    v->f[0][0].ic1 = ic1[0], v->f[1][0].ic1 = ic1[1];
    v->f[0][0].ic2 = ic2[0], v->f[1][0].ic2 = ic2[1];
    v->noise[0].state = noise[0], v->noise[1].state = noise[1];
    v->env = env;
    v->level = level;
    v->ctl_left -= j;
    i += j;
  }
  return i;
}

static void start_drop(lull_texture *v) {
  const lull_texture_patch *p = v->patch;
  uint32_t slot = v->next_drop++ % LULL_TEXTURE_DROPS;
  float hz = p->lo_hz * lull__exp2_fast(v->span_octaves * lull__noise_unit(&v->rng));
  float tau_frames = (0.0015f + 0.0025f * lull__noise_unit(&v->rng)) * v->sample_rate_hz;
  float r = lull__exp2_fast(-1.442695f / tau_frames);
  float amp = v->gain * (0.3f + 0.7f * lull__noise_unit(&v->rng)), pan = lull__noise_unit(&v->rng);
  /* The two ears hear the drop 2-6 % apart in pitch (its own resonance seen
   * from two places): after a few cycles L and R no longer agree. */
  float spread = 0.02f + 0.04f * lull__noise_unit(&v->rng);
  float w[2] = {hz / v->sample_rate_hz, hz * (1.0f + spread) / v->sample_rate_hz};
  float g[2] = {lull__sin_turns(0.25f - 0.25f * pan), lull__sin_turns(0.25f * pan)}; /* equal power */
  /* y[n] = 2 r cos(w) y[n-1] - r^2 y[n-2]; from y = a sin(w), 0 it rings
   * as a r^n sin((n + 1) w): peak a. */
  for (int c = 0; c < 2; c++) {
    float wc = w[c] < 0.45f ? w[c] : 0.45f;
    v->drop_c[c][slot] = 2.0f * r * lull__sin_turns(0.25f - wc);
    v->drop_y1[c][slot] = amp * g[c] * lull__sin_turns(wc);
    v->drop_y2[c][slot] = 0;
  }
  v->drop_r2[slot] = r * r;
  v->drops++;
}

/* The drops ring in eight lanes a channel (LULL_TEXTURE_DROPS is 8); their
 * state goes back to the voice only around a new drop and at the end. */
LULL_VEC void drops_load(const lull_texture *v, v8f y1[2], v8f y2[2], v8f c[2], v8f *r2) {
  for (int ch = 0; ch < 2; ch++) {
    __builtin_memcpy(&y1[ch], v->drop_y1[ch], sizeof y1[ch]);
    __builtin_memcpy(&y2[ch], v->drop_y2[ch], sizeof y2[ch]);
    __builtin_memcpy(&c[ch], v->drop_c[ch], sizeof c[ch]);
  }
  __builtin_memcpy(r2, v->drop_r2, sizeof *r2);
}

LULL_VEC void drops_store(lull_texture *v, const v8f y1[2], const v8f y2[2]) {
  for (int ch = 0; ch < 2; ch++) {
    __builtin_memcpy(v->drop_y1[ch], &y1[ch], sizeof y1[ch]);
    __builtin_memcpy(v->drop_y2[ch], &y2[ch], sizeof y2[ch]);
  }
}

static uint32_t render_rain(lull_texture *v, float *out_l, float *out_r, uint32_t frames) {
  _Static_assert(LULL_TEXTURE_DROPS == 8, "one v8f of drops a channel");
  float lp, bp, *out[2] = {out_l, out_r};
  v8f y1[2], y2[2], c[2], r2;
  drops_load(v, y1, y2, c, &r2);
  uint32_t i = 0;
  for (; i < frames; i++) {
    if (v->env.stage == LULL_ENV1_IDLE) break;
    if (lull__noise_unit(&v->rng) < v->drop_p) {
      drops_store(v, y1, y2);
      start_drop(v);
      drops_load(v, y1, y2, c, &r2);
    }
    float e = lull__env1_tick(&v->env);
    v8f y[2];
    for (int ch = 0; ch < 2; ch++) {
      y[ch] = c[ch] * y1[ch] - r2 * y2[ch] + LULL_TINY;
      y2[ch] = y1[ch];
      y1[ch] = y[ch];
    }
    /* Both channels' sums at once: fold halves, then pairs, then neighbours. */
    v8f s = __builtin_shuffle(y[0], y[1], (v8i){0, 1, 2, 3, 8, 9, 10, 11}) +
            __builtin_shuffle(y[0], y[1], (v8i){4, 5, 6, 7, 12, 13, 14, 15});
    s += __builtin_shuffle(s, (v8i){2, 3, 0, 1, 6, 7, 4, 5});
    s += __builtin_shuffle(s, (v8i){1, 0, 3, 2, 5, 4, 7, 6});
    for (int ch = 0; ch < 2; ch++) {
      lull__svf_tick(&v->f[ch][0], lull__noise_next(&v->noise[ch]), &lp, &bp);
      out[ch][i] = e * (s[4 * ch] + v->norm_base * lp);
    }
  }
  drops_store(v, y1, y2);
  return i;
}

static uint32_t render_brush(lull_texture *v, float *out_l, float *out_r, uint32_t frames) {
  float lp, bp, *out[2] = {out_l, out_r};
  for (uint32_t i = 0; i < frames; i++) {
    if (v->env.stage == LULL_ENV1_IDLE) return i;
    float e = lull__env1_tick(&v->env);
    if (v->env.stage == LULL_ENV1_HOLD) lull__env1_gate_off(&v->env); /* the top: decay at once */
    if (++v->hit_frame >= v->hit_frames) v->env.level = 0, v->env.stage = LULL_ENV1_IDLE;
    for (int c = 0; c < 2; c++) {
      /* 4th-order Butterworth high-pass then lowpass: two sections each. */
      lull_svf *f = v->f[c];
      float x = lull__noise_next(&v->noise[c]);
      lull__svf_tick(&f[0], x, &lp, &bp);
      x -= lp + bp;
      lull__svf_tick(&f[1], x, &lp, &bp);
      x -= lp + bp;
      lull__svf_tick(&f[2], x, &lp, &bp);
      lull__svf_tick(&f[3], lp, &lp, &bp);
      out[c][i] = e * v->level * lp;
    }
  }
  return frames;
}

void LULL_ISA_NAME(lull__texture_render)(lull_texture *voice, float *out_l, float *out_r, uint32_t frames) {
  uint32_t done = 0;
  if (voice->patch && voice->env.stage != LULL_ENV1_IDLE) {
    lull_texture local = *voice, *v = &local; /* a local copy: the outputs cannot alias it */
    switch (v->patch->kind) {
      case LULL_TEXTURE_RAIN: done = render_rain(v, out_l, out_r, frames); break;
      case LULL_TEXTURE_BRUSH: done = render_brush(v, out_l, out_r, frames); break;
      default: done = render_filtered(v, out_l, out_r, frames); break;
    }
    *voice = local;
  }
  /* Silent from the frame the voice fell idle: the same zeros whatever the split. */
  memset(out_l + done, 0, sizeof(float) * (frames - done));
  memset(out_r + done, 0, sizeof(float) * (frames - done));
}
