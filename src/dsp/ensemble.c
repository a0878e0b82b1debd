/* String machine: the strings voice (detuned band-limited saws and a square
 * through an enveloped lowpass, delayed vibrato) and the BBD-style ensemble
 * chorus it is meant to run through. Both move their slow parts every
 * LULL_PAL_CTL_FRAMES frames counted in their state (split-invariant). */
#include <math.h>
#include <string.h>

#include "dsp/dsp.h"

#define CTL LULL_PAL_CTL_FRAMES

/* Violins and violas: three saws +-7 cents (a section, not a synth), a
 * square at 0.35 for body, the lowpass at 1.8 kHz + 2 hz (warm, muted); 0.8 s in, 2 s
 * out; vibrato 5.5 Hz +-6 cents after 0.8 s. */
const lull_strings_patch lull__strings_ensemble = {
    .attack_s = 0.8f, .release_s = 2.0f, .saws = 3, .detune_cents = 7.0f, .pulse_mix = 0.35f, .pitch_ratio = 1.0f,
    .cutoff_hz = 1800.0f, .cutoff_track = 2.0f, .q = 0.7f, .vibrato_hz = 5.5f, .vibrato_cents = 6.0f,
    .vibrato_delay_s = 0.8f, .gain = 0.5f};
/* Cellos and basses: narrower detune, more square (a hollow woody low
 * end), the lowpass at 600 Hz + 1.5 hz; slower vibrato, later. */
const lull_strings_patch lull__strings_low = {
    .attack_s = 1.0f, .release_s = 2.5f, .saws = 3, .detune_cents = 5.0f, .pulse_mix = 0.6f, .pitch_ratio = 1.0f,
    .cutoff_hz = 600.0f, .cutoff_track = 1.5f, .q = 0.8f, .vibrato_hz = 4.8f, .vibrato_cents = 5.0f,
    .vibrato_delay_s = 1.2f, .gain = 0.55f};
/* Night drone: an octave below the note, two saws barely apart (a slow
 * beat) and a full square, the lowpass at 350 Hz + hz (dark), 3 s in and
 * 2 s out, a 0.2 Hz drift of +-4 cents in place of vibrato. */
const lull_strings_patch lull__strings_drone = {
    .attack_s = 3.0f, .release_s = 2.0f, .saws = 2, .detune_cents = 3.0f, .pulse_mix = 1.0f, .pitch_ratio = 0.5f,
    .cutoff_hz = 350.0f, .cutoff_track = 1.0f, .q = 0.7f, .vibrato_hz = 0.2f, .vibrato_cents = 4.0f,
    .vibrato_delay_s = 3.0f, .gain = 0.6f};

void lull__strings_init(lull_strings *v, float sample_rate_hz) {
  memset(v, 0, sizeof *v);
  v->sample_rate_hz = sample_rate_hz;
  lull__svf_init(&v->lp, sample_rate_hz);
}

void lull__strings_start(lull_strings *v, const lull_strings_patch *patch, const lull_wavetable *wt, float hz,
                         float velocity, uint64_t seed) {
  float fs = v->sample_rate_hz;
  if (v->env.stage == LULL_ENV1_IDLE) { /* fresh: from rest; a steal keeps phases and filter */
    lull__svf_reset(&v->lp);
    for (int k = 0; k < 4; k++) v->phase[k] = (uint32_t)(lull__splitmix64(&seed) >> 32);
  }
  v->patch = patch;
  v->data = wt->data;
  hz *= patch->pitch_ratio;
  int saws = patch->saws < 2 ? 2 : patch->saws > 3 ? 3 : patch->saws;
  static const float spread[3] = {-1.0f, 1.0f, 0.0f};
  for (int k = 0; k < 4; k++) {
    float f = k < saws ? hz * exp2f(spread[k] * patch->detune_cents / 1200.0f) : hz;
    v->inc_base[k] = (float)lull__hz_to_inc(f, fs);
    v->inc[k] = (uint32_t)v->inc_base[k];
    /* The table for the top of the vibrato, so no harmonic passes the limit. */
    float top = f * exp2f(patch->vibrato_cents / 1200.0f);
    v->table[k] = lull__wavetable_offset(wt, k < saws ? LULL_WAVE_SAW : LULL_WAVE_SQUARE, top);
  }
  v->saws = saws;
  lull_noise rng;
  lull__noise_init(&rng, lull__splitmix64(&seed));
  float rate = patch->vibrato_hz * (0.9f + 0.2f * lull__noise_unit(&rng));
  v->vib_inc = lull__hz_to_inc(rate, fs);
  v->vib_phase = (uint32_t)(lull__splitmix64(&seed) >> 32);
  v->vib_cents = 0;
  v->vib_cents_step = patch->vibrato_cents * CTL / fmaxf(patch->vibrato_delay_s * fs, CTL);
  v->gain = patch->gain * velocity / ((float)saws + patch->pulse_mix);
  v->cutoff_hz = fminf(patch->cutoff_hz + patch->cutoff_track * hz, 0.45f * fs);
  v->lp_level = -1.0f; /* the filter is set at the first control point */
  v->ctl_left = 0;
  lull__env1_set(&v->env, patch->attack_s, patch->release_s, fs);
  lull__env1_gate_on(&v->env);
}

void lull__strings_release(lull_strings *v) { lull__env1_gate_off(&v->env); }
int lull__strings_active(const lull_strings *v) { return v->env.stage != LULL_ENV1_IDLE; }
float lull__strings_level(const lull_strings *v) { return v->env.level; }

void lull__strings_control(lull_strings *v) {
  const lull_strings_patch *p = v->patch;
  v->vib_cents = fminf(v->vib_cents + v->vib_cents_step, p->vibrato_cents);
  float cents = v->vib_cents * lull__sin_turns(lull__phase_turns(v->vib_phase));
  v->vib_phase += v->vib_inc * CTL;
  float ratio = lull__exp2_fast(cents * (1.0f / 1200.0f));
  for (int k = 0; k < 4; k++) v->inc[k] = (uint32_t)(v->inc_base[k] * ratio);
  if (v->env.level != v->lp_level) { /* held: the filter stays where it is (no tan) */
    lull__svf_set_fast(&v->lp, v->cutoff_hz * (0.4f + 0.6f * v->env.level), p->q);
    v->lp_level = v->env.level;
  }
  v->ctl_left = CTL;
}

void lull__strings_render(lull_strings *voice, float *out, uint32_t frames) {
  lull__strings_render_n_generic(&voice, 1, &out, frames);
}

/* ---- the ensemble chorus ---- */

/* Base delays of the taps, 4.9-9.2 ms: apart, so that at no frequency do
 * the three and the dry line up on average (a search over triples kept the
 * gain on a sine within +-0.9 dB from 250 Hz to 6 kHz at depth 1). */
static const float base_s[LULL_ENSEMBLE_TAPS] = {0.0078f, 0.0049f, 0.0092f};
#define ENS_MAX_BASE_S 0.0092f
#define ENS_BASS_HZ 200.0f /* below: dry and mono (the taps would comb the bass) */
#define ENS_SLOW_HZ 0.6f
#define ENS_SLOW_S 0.0015f
#define ENS_FAST_HZ 6.0f
#define ENS_FAST_S 0.00012f
#define ENS_LP_HZ 9000.0f
#define ENS_GLIDE_S 0.025f /* one-pole time constant: ~100 ms to settle */
#define ENS_DRY_TURNS (3.0f / 16.0f) /* depth 1: 67.5 degrees of the equal-power fade */

/* Tap gains: 0 left, 1 centre, 2 right. */
static const float tap_gain[2][LULL_ENSEMBLE_TAPS] = {{1.0f, 0.55f, 0.0f}, {0.0f, 0.55f, 1.0f}};
/* 1 / sqrt(1 + 0.55^2): the wet's power equals the input's when the taps are incoherent. */
#define ENS_WET_NORM 0.8762f

static uint32_t ensemble_frames(float sample_rate_hz) {
  return lull__pow2_at_least((uint32_t)ceilf((ENS_MAX_BASE_S + ENS_SLOW_S + ENS_FAST_S) * sample_rate_hz) + 4);
}

size_t lull__ensemble_floats(float sample_rate_hz) { return ensemble_frames(sample_rate_hz); }

static float tap_at(const lull_ensemble *e, int k, uint32_t slow, uint32_t fast) {
  uint32_t third = (uint32_t)k * 1431655765u; /* k * 2^32 / 3: 120 degrees */
  float m = e->slow_frames * lull__sin_turns(lull__phase_turns(slow + third)) +
            e->fast_frames * lull__sin_turns(lull__phase_turns(fast + third));
  return e->base_frames[k] + e->depth * m;
}

static void ensemble_control(lull_ensemble *e) {
  e->depth += (e->target - e->depth) * e->glide_coef;
  if (fabsf(e->target - e->depth) < 1e-6f) e->depth = e->target;
  for (int k = 0; k < LULL_ENSEMBLE_TAPS; k++) {
    float now = e->tap_frames[k];
    float next = tap_at(e, k, e->slow_phase + e->slow_inc * CTL, e->fast_phase + e->fast_inc * CTL);
    e->tap_step[k] = (next - now) / CTL;
  }
  e->slow_phase += e->slow_inc * CTL;
  e->fast_phase += e->fast_inc * CTL;
  float dry = lull__sin_turns(0.25f - e->depth * ENS_DRY_TURNS);
  float wet = ENS_WET_NORM * lull__sin_turns(e->depth * ENS_DRY_TURNS);
  e->dry_step = (dry - e->dry) / CTL;
  e->wet_step = (wet - e->wet) / CTL;
  e->ctl_left = CTL;
}

void lull__ensemble_init(lull_ensemble *e, float *mem, float sample_rate_hz) {
  memset(e, 0, sizeof *e);
  uint32_t cap = ensemble_frames(sample_rate_hz);
  memset(mem, 0, sizeof(float) * cap);
  e->line = mem;
  e->mask = cap - 1;
  e->sample_rate_hz = sample_rate_hz;
  for (int k = 0; k < LULL_ENSEMBLE_TAPS; k++) e->base_frames[k] = base_s[k] * sample_rate_hz;
  e->slow_frames = ENS_SLOW_S * sample_rate_hz;
  e->fast_frames = ENS_FAST_S * sample_rate_hz;
  e->slow_inc = lull__hz_to_inc(ENS_SLOW_HZ, sample_rate_hz);
  e->fast_inc = lull__hz_to_inc(ENS_FAST_HZ, sample_rate_hz);
  e->depth = e->target = 1.0f;
  e->glide_coef = 1.0f - expf(-(float)CTL / (ENS_GLIDE_S * sample_rate_hz));
  for (int k = 0; k < LULL_ENSEMBLE_TAPS; k++) e->tap_frames[k] = tap_at(e, k, 0, 0);
  e->dry = lull__sin_turns(0.25f - ENS_DRY_TURNS);
  e->wet = ENS_WET_NORM * lull__sin_turns(ENS_DRY_TURNS);
  for (int c = 0; c < 2; c++) {
    lull__svf_init(&e->lp[c], sample_rate_hz);
    lull__svf_set(&e->lp[c], fminf(ENS_LP_HZ, 0.45f * sample_rate_hz), 0.6f);
  }
  lull__svf_init(&e->bass, sample_rate_hz);
  lull__svf_set(&e->bass, ENS_BASS_HZ, 0.5f);
}

void lull__ensemble_set_depth(lull_ensemble *e, float depth01) {
  e->target = depth01 > 0.0f ? (depth01 < 1.0f ? depth01 : 1.0f) : 0.0f;
}

/* In runs from one control point to the next, the running state in locals
 * (nothing else sees their addresses: registers while out is written). The
 * three filters tick as one vector: lane 0 the bass split (its input the
 * dry), lanes 1 and 2 the wet's lowpasses (their inputs the taps, which
 * read frames at least 4.9 ms old, never the one the split writes). */
void lull__ensemble_process(lull_ensemble *ens, const float *in, float *out_l, float *out_r, uint32_t frames) {
  lull_ensemble local = *ens, *e = &local; /* a local copy: the outputs cannot alias it */
  const uint32_t mask = e->mask;
  float *line = e->line;
  const lull_svf *f[3] = {&e->bass, &e->lp[0], &e->lp[1]};
  const v4f a1 = {f[0]->a1, f[1]->a1, f[2]->a1, 0}, a2 = {f[0]->a2, f[1]->a2, f[2]->a2, 0},
            a3 = {f[0]->a3, f[1]->a3, f[2]->a3, 0};
  const float bass_k = e->bass.k;
  v4f ic1 = {f[0]->ic1, f[1]->ic1, f[2]->ic1, 0}, ic2 = {f[0]->ic2, f[1]->ic2, f[2]->ic2, 0};
  uint32_t i = 0;
  while (i < frames) {
    if (e->ctl_left == 0) ensemble_control(e);
    const uint32_t n = frames - i < e->ctl_left ? frames - i : e->ctl_left;
    float t0 = e->tap_frames[0], t1 = e->tap_frames[1], t2 = e->tap_frames[2];
    const float s0 = e->tap_step[0], s1 = e->tap_step[1], s2 = e->tap_step[2], dry_step = e->dry_step,
                wet_step = e->wet_step;
    float dry_gain = e->dry, wet_gain = e->wet;
    uint32_t pos = e->pos;
    for (uint32_t j = 0; j < n; j++) {
      const float x = in[i + j];
      pos++;
      /* Taps 0 left, 1 centre (0.55 each side), 2 right. */
      float y[LULL_ENSEMBLE_TAPS], tap[LULL_ENSEMBLE_TAPS] = {t0, t1, t2};
      t0 += s0, t1 += s1, t2 += s2;
      for (int k = 0; k < LULL_ENSEMBLE_TAPS; k++) {
        uint32_t whole = (uint32_t)tap[k];
        float frac = tap[k] - (float)whole;
        float a = line[(pos - whole) & mask], b = line[(pos - whole - 1) & mask];
        y[k] = a + frac * (b - a);
      }
      float wl = tap_gain[0][0] * y[0] + tap_gain[0][1] * y[1] + tap_gain[0][2] * y[2];
      float wr = tap_gain[1][0] * y[0] + tap_gain[1][1] * y[1] + tap_gain[1][2] * y[2];
      /* lull__svf_tick, lane by lane */
      v4f v3 = (v4f){x, wl, wr, 0} - ic2;
      v4f v1 = a1 * ic1 + a2 * v3;
      v4f v2 = ic2 + a2 * ic1 + a3 * v3;
      ic1 = 2.0f * v1 - ic1 + LULL_TINY;
      ic2 = 2.0f * v2 - ic2 + LULL_TINY;
      /* high: a 2-pole high-pass (x - lp - bp); low = x - high, so that
       * low + high is x exactly (depth 0 is the dry input). */
      float low = v2[0], high = x - low - bass_k * v1[0];
      low = x - high;
      line[pos & mask] = high;
      dry_gain += dry_step;
      wet_gain += wet_step;
      float dry = low + dry_gain * high;
      out_l[i + j] += dry + wet_gain * v2[1];
      out_r[i + j] += dry + wet_gain * v2[2];
    }
    e->tap_frames[0] = t0, e->tap_frames[1] = t1, e->tap_frames[2] = t2;
    e->dry = dry_gain, e->wet = wet_gain;
    e->pos = pos;
    e->ctl_left -= n;
    i += n;
  }
  lull_svf *g[3] = {&e->bass, &e->lp[0], &e->lp[1]};
  for (int k = 0; k < 3; k++) g[k]->ic1 = ic1[k], g[k]->ic2 = ic2[k];
  *ens = local;
}
