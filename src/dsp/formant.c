/* Formant filter (three parallel band-passes at a vowel's formants) and the
 * choir voice built on it: detuned saws with their own vibrato through the
 * filter, the vowel drifting slowly. Coefficients move every
 * LULL_PAL_CTL_FRAMES frames counted in the voice (split-invariant). */
#include <math.h>
#include <string.h>

#include "dsp/dsp.h"

#define CTL LULL_PAL_CTL_FRAMES
#define MAX_Q 10.0f /* narrower formants whistle on a sparse saw spectrum */
#define DB_TO_LOG2 0.16609640f /* 10^(dB/20) = 2^(dB * log2(10) / 20) */

enum { VOWEL_A = 0, VOWEL_E, VOWEL_I, VOWEL_O, VOWEL_U, VOWELS };

/* {F Hz, level dB, bandwidth Hz} for F1..F3: the Csound manual's appendix
 * "Formant Values" (tenor and soprano). */
static const float formants[2][VOWELS][LULL_FORMANTS][3] = {
    {/* tenor */
     {{650, 0, 80}, {1080, -6, 90}, {2650, -7, 120}},
     {{400, 0, 70}, {1700, -14, 80}, {2600, -12, 100}},
     {{290, 0, 40}, {1870, -15, 90}, {2800, -18, 100}},
     {{400, 0, 40}, {800, -10, 80}, {2600, -12, 100}},
     {{350, 0, 40}, {600, -20, 60}, {2700, -17, 100}}},
    {/* soprano */
     {{800, 0, 80}, {1150, -6, 90}, {2900, -32, 120}},
     {{350, 0, 60}, {2000, -20, 100}, {2800, -15, 120}},
     {{270, 0, 60}, {2140, -12, 90}, {2950, -26, 100}},
     {{450, 0, 40}, {800, -11, 80}, {2830, -22, 100}},
     {{325, 0, 50}, {700, -16, 60}, {2700, -35, 170}}},
};

static float bandwidth(const float *fm) { return fmaxf(fm[2], fm[0] / MAX_Q); }

/* A saw's power through a band-pass at F of bandwidth B and level a is
 * about a^2 B / F^2 (its spectral density falls as 1/f^2): each vowel is
 * scaled to the power of "a". Not per sample (libm). */
static float vowel_norm(int voice, int vowel) {
  float p[2] = {0, 0};
  const int which[2] = {VOWEL_A, vowel};
  for (int j = 0; j < 2; j++)
    for (int k = 0; k < LULL_FORMANTS; k++) {
      const float *fm = formants[voice][which[j]][k];
      float a = powf(10.0f, fm[1] / 20.0f);
      p[j] += a * a * bandwidth(fm) / (fm[0] * fm[0]);
    }
  return sqrtf(p[0] / p[1]);
}

void lull__formant_init(lull_formant *f, float sample_rate_hz) {
  memset(f, 0, sizeof *f);
  f->sample_rate_hz = sample_rate_hz;
  for (int k = 0; k < LULL_FORMANTS; k++) lull__svf_init(&f->bp[k], sample_rate_hz);
  lull__formant_set_voice(f, LULL_FORMANT_TENOR);
  lull__formant_set_vowel(f, 0.0f);
}

void lull__formant_set_voice(lull_formant *f, int voice) {
  f->voice = voice == LULL_FORMANT_SOPRANO ? LULL_FORMANT_SOPRANO : LULL_FORMANT_TENOR;
  for (int v = 0; v < VOWELS; v++) f->norm[v] = vowel_norm(f->voice, v);
}

void lull__formant_set_blend(lull_formant *f, int vowel_a, int vowel_b, float t) {
  const float(*a)[3] = formants[f->voice][vowel_a], (*b)[3] = formants[f->voice][vowel_b];
  float norm = f->norm[vowel_a] + t * (f->norm[vowel_b] - f->norm[vowel_a]);
  for (int k = 0; k < LULL_FORMANTS; k++) {
    float hz = a[k][0] + t * (b[k][0] - a[k][0]);
    float db = a[k][1] + t * (b[k][1] - a[k][1]);
    float bw = bandwidth(a[k]) + t * (bandwidth(b[k]) - bandwidth(a[k]));
    lull__svf_set_fast(&f->bp[k], hz, hz / bw);
    f->gain[k] = norm * lull__exp2_fast(db * DB_TO_LOG2);
  }
}

void lull__formant_set_vowel(lull_formant *f, float vowel) {
  vowel = vowel > 0.0f ? (vowel < 4.0f ? vowel : 4.0f) : 0.0f;
  int i = (int)vowel;
  if (i > 3) i = 3;
  f->vowel = vowel;
  lull__formant_set_blend(f, i, i + 1, vowel - (float)i);
}

static inline float formant_tick(lull_formant *f, float x) {
  float y = 0, lp, bp;
  for (int k = 0; k < LULL_FORMANTS; k++) {
    lull__svf_tick(&f->bp[k], x, &lp, &bp);
    y += f->gain[k] * bp;
  }
  return y;
}

void lull__formant_process(lull_formant *filter, float *out, const float *in, uint32_t frames) {
  lull_formant f = *filter; /* a local copy: out cannot alias it */
  for (uint32_t i = 0; i < frames; i++) out[i] = formant_tick(&f, in[i]);
  *filter = f;
}

/* ---- the choir voice ---- */

/* A soft "ooh": the vowel between u and o, slow drift (~12 s), 1.2 s in;
 * gain 2.4 brings an A3 to peak ~0.35 (u and o pass little above F1). */
const lull_choir_patch lull__choir_ooh = {
    .attack_s = 1.2f, .release_s = 2.5f, .detune_cents = 6.0f, .vibrato_cents = 7.0f, .vowel_lo = 0.0f,
    .vowel_hi = 0.9f, .drift_hz = 0.08f, .voice = -1, .gain = 2.4f};
/* An open "aah": between o and a, a little wider and quicker; gain 1 (the
 * open vowel passes more, and peakier). */
const lull_choir_patch lull__choir_aah = {
    .attack_s = 1.0f, .release_s = 2.5f, .detune_cents = 8.0f, .vibrato_cents = 8.0f, .vowel_lo = 1.1f,
    .vowel_hi = 2.0f, .drift_hz = 0.1f, .voice = -1, .gain = 1.0f};

void lull__choir_init(lull_choir *v, float sample_rate_hz) {
  memset(v, 0, sizeof *v);
  v->sample_rate_hz = sample_rate_hz;
  lull__formant_init(&v->formant, sample_rate_hz);
}

/* The drift's place on the path u (0) - o (1) - a (2) into the filter. */
static void set_path(lull_formant *f, float pos) {
  if (pos < 1.0f) lull__formant_set_blend(f, VOWEL_U, VOWEL_O, pos);
  else lull__formant_set_blend(f, VOWEL_O, VOWEL_A, pos - 1.0f);
}

static void choir_control(lull_choir *v) {
  const lull_choir_patch *p = v->patch;
  for (int k = 0; k < 3; k++) {
    float cents = p->vibrato_cents * lull__sin_turns(lull__phase_turns(v->vib_phase[k]));
    v->vib_phase[k] += v->vib_inc[k] * CTL;
    v->inc[k] = (uint32_t)(v->inc_base[k] * lull__exp2_fast(cents * (1.0f / 1200.0f)));
  }
  float d = 0.6f * lull__sin_turns(lull__phase_turns(v->drift_phase[0])) +
            0.4f * lull__sin_turns(lull__phase_turns(v->drift_phase[1]));
  for (int k = 0; k < 2; k++) v->drift_phase[k] += v->drift_inc[k] * CTL;
  v->vowel_pos = p->vowel_lo + (p->vowel_hi - p->vowel_lo) * (0.5f + 0.5f * d);
  set_path(&v->formant, v->vowel_pos);
  v->ctl_left = CTL;
}

void lull__choir_start(lull_choir *v, const lull_choir_patch *patch, const lull_wavetable *wt, float hz, float velocity,
                       uint64_t seed) {
  float fs = v->sample_rate_hz;
  int fresh = v->env.stage == LULL_ENV1_IDLE;
  v->patch = patch;
  v->data = wt->data;
  int voice = patch->voice >= 0 ? patch->voice : hz < 300.0f ? LULL_FORMANT_TENOR : LULL_FORMANT_SOPRANO;
  if (fresh || voice != v->formant.voice) lull__formant_set_voice(&v->formant, voice);
  if (fresh)
    for (int k = 0; k < LULL_FORMANTS; k++) lull__svf_reset(&v->formant.bp[k]);
  lull_noise rng;
  lull__noise_init(&rng, lull__splitmix64(&seed));
  static const float spread[3] = {-1.0f, 0.0f, 1.0f};
  for (int k = 0; k < 3; k++) {
    float f = hz * exp2f(spread[k] * patch->detune_cents / 1200.0f);
    v->inc_base[k] = (float)lull__hz_to_inc(f, fs);
    v->inc[k] = (uint32_t)v->inc_base[k];
    v->table[k] = lull__wavetable_offset(wt, LULL_WAVE_SAW, f * exp2f(patch->vibrato_cents / 1200.0f));
    v->vib_inc[k] = lull__hz_to_inc(4.5f + 1.5f * lull__noise_unit(&rng), fs);
    v->vib_phase[k] = (uint32_t)(lull__splitmix64(&seed) >> 32);
    if (fresh) v->phase[k] = (uint32_t)(lull__splitmix64(&seed) >> 32);
  }
  v->drift_inc[0] = lull__hz_to_inc(patch->drift_hz * (0.8f + 0.4f * lull__noise_unit(&rng)), fs);
  v->drift_inc[1] = lull__hz_to_inc(patch->drift_hz * (2.1f + 0.6f * lull__noise_unit(&rng)), fs);
  v->drift_phase[0] = (uint32_t)(lull__splitmix64(&seed) >> 32);
  v->drift_phase[1] = (uint32_t)(lull__splitmix64(&seed) >> 32);
  v->gain = patch->gain * velocity / 3.0f;
  v->ctl_left = 0;
  lull__env1_set(&v->env, patch->attack_s, patch->release_s, fs);
  lull__env1_gate_on(&v->env);
}

void lull__choir_release(lull_choir *v) { lull__env1_gate_off(&v->env); }
int lull__choir_active(const lull_choir *v) { return v->env.stage != LULL_ENV1_IDLE; }
float lull__choir_level(const lull_choir *v) { return v->env.level; }

/* In runs between control points, like the strings voice (ensemble.c). */
void lull__choir_render(lull_choir *voice, float *out, uint32_t frames) {
  uint32_t i = 0;
  if (voice->patch && voice->env.stage != LULL_ENV1_IDLE) {
    lull_choir local = *voice, *v = &local; /* a local copy: out cannot alias it */
    const float *data = v->data;
    while (i < frames && v->env.stage != LULL_ENV1_IDLE) {
      if (v->ctl_left == 0) choir_control(v);
      const uint32_t n = frames - i < v->ctl_left ? frames - i : v->ctl_left;
      const uint32_t t0 = v->table[0], t1 = v->table[1], t2 = v->table[2];
      const uint32_t i0 = v->inc[0], i1 = v->inc[1], i2 = v->inc[2];
      uint32_t p0 = v->phase[0], p1 = v->phase[1], p2 = v->phase[2];
      const float gain = v->gain;
      lull_env1 env = v->env;
      lull_formant f = v->formant;
      uint32_t j = 0;
      for (; j < n && env.stage != LULL_ENV1_IDLE; j++) {
        float e = lull__env1_tick(&env);
        float s = 0;
        s += lull__wt_read(data, t0, p0);
        s += lull__wt_read(data, t1, p1);
        s += lull__wt_read(data, t2, p2);
        p0 += i0, p1 += i1, p2 += i2;
        out[i + j] = gain * e * formant_tick(&f, s);
      }
      v->phase[0] = p0, v->phase[1] = p1, v->phase[2] = p2;
      v->env = env;
      v->formant = f;
      v->ctl_left -= j;
      i += j;
    }
    *voice = local;
  }
  memset(out + i, 0, sizeof(float) * (frames - i));
}
