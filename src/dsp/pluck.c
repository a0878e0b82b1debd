/* Plucked and struck strings: Karplus-Strong with Jaffe-Smith decay
 * stretching and allpass tuning, a body of a few resonances, and the
 * presets. Invariant: one recurrence per frame, and every count (a string's
 * frames left) is exact to the frame, so split renders compare equal. */
#include <math.h>

#include "dsp/dsp.h"
#include "dsp/isa.h"

#define REF_HZ 261.6256
#define MIN_HZ 32.7032 /* C1: the longest string the lines hold */

static uint32_t line_frames(float sample_rate_hz) {
  return lull__pow2_at_least((uint32_t)((double)sample_rate_hz / MIN_HZ) + 4u);
}

#ifndef LULL_ISA_SUFFIX /* the generic build only: the v3 one has just the render */
size_t lull__pluck_floats(float sample_rate_hz) { return 2u * (size_t)line_frames(sample_rate_hz); }

void lull__pluck_init(lull_pluck *v, float *mem, float sample_rate_hz) {
  uint32_t size = line_frames(sample_rate_hz);
  *v = (lull_pluck){.mask = size - 1, .sample_rate_hz = sample_rate_hz};
  for (uint32_t i = 0; i < 2 * size; i++) mem[i] = 0.0f;
  v->str[0].line = mem;
  v->str[1].line = mem + size;
}

void lull__pluck_body_init(lull_pluck_body *b, const lull_pluck_patch *patch, float sample_rate_hz) {
  *b = (lull_pluck_body){0};
  lull__pluck_body_set(b, patch, sample_rate_hz);
}

void lull__pluck_body_set(lull_pluck_body *b, const lull_pluck_patch *patch, float sample_rate_hz) {
  b->count = 0;
  for (int k = 0; k < LULL_PLUCK_BODY; k++) b->b0[k] = b->a1[k] = b->a2[k] = 0.0f; /* unused: silent */
  for (int i = 0; i < LULL_PLUCK_BODY; i++) {
    double hz = patch->body_hz[i];
    if (hz <= 0.0 || hz >= 0.45 * (double)sample_rate_hz) continue;
    /* RBJ cookbook band-pass (0 dB peak): a resonance of the box. */
    double w = 2.0 * M_PI * hz / (double)sample_rate_hz, alpha = sin(w) / (2.0 * (double)patch->body_q[i]);
    double a0 = 1.0 + alpha;
    int k = b->count++;
    b->b0[k] = (float)((double)patch->body_gain[i] * alpha / a0);
    b->a1[k] = (float)(-2.0 * cos(w) / a0);
    b->a2[k] = (float)((1.0 - alpha) / a0);
  }
}

/* One frame of the body: in plus each resonance (transposed direct form
 * II, b1 = 0, b2 = -b0), states in z1, z2. */
#endif

static inline float body_tick(const lull_pluck_body *b, float *z1, float *z2, float x) {
  float y = x;
  for (int k = 0; k < LULL_PLUCK_BODY; k++) {
    float r = b->b0[k] * x + z1[k];
    z1[k] = z2[k] - b->a1[k] * r;
    z2[k] = -b->b0[k] * x - b->a2[k] * r + LULL_TINY;
    y += r;
  }
  return y;
}

#ifndef LULL_ISA_SUFFIX /* the generic build only: the v3 one has just the render */
void lull__pluck_body_process(lull_pluck_body *b, float *out, const float *in, uint32_t frames) {
  float z1[LULL_PLUCK_BODY], z2[LULL_PLUCK_BODY]; /* local: out cannot alias them */
  for (int k = 0; k < LULL_PLUCK_BODY; k++) z1[k] = b->z1[k], z2[k] = b->z2[k];
  for (uint32_t i = 0; i < frames; i++) out[i] = body_tick(b, z1, z2, in[i]);
  for (int k = 0; k < LULL_PLUCK_BODY; k++) b->z1[k] = z1[k], b->z2[k] = z2[k];
}
#endif

/* Tune string st for hz with fundamental T60 t60_s (Jaffe and Smith):
 * the loop gain per period g = 0.001^(1 / (hz t60)). The loop filter's gain
 * at the fundamental is |1 - S + S e^-jw|; at S = 1/2 it is cos(w / 2), the
 * most damping. If that already loses too much (high notes), solve for the
 * S < 1/2 that gives g exactly; otherwise keep 1/2 and lose the rest in
 * rho. Then the line gets the whole frames of fs / hz left after the
 * filter's phase delay, and the allpass the fraction in [0.1, 1.1). */
static void tune(lull_pluck_string *st, double fs, double hz, double t60_s, uint32_t max_frames) {
  double w = 2.0 * M_PI * hz / fs, g = pow(0.001, 1.0 / (hz * t60_s)), c = cos(w), s = 0.5;
  double half = cos(0.5 * w);
  if (g > half) {
    double disc = 1.0 - 2.0 * (1.0 - g * g) / (1.0 - c);
    s = 0.5 * (1.0 - sqrt(disc > 0.0 ? disc : 0.0));
    st->rho = 1.0f;
  } else {
    st->rho = (float)(g / half);
  }
  double filter_delay = atan2(s * sin(w), 1.0 - s + s * c) / w;
  double total = fs / hz - filter_delay;
  double whole = floor(total - 0.1);
  if (whole < 2.0) whole = 2.0;
  if (whole > (double)max_frames) whole = (double)max_frames;
  double frac = total - whole; /* the allpass's phase delay at w, exactly: */
  st->c = (float)(sin(0.5 * (1.0 - frac) * w) / sin(0.5 * (1.0 + frac) * w));
  st->s = (float)s;
  st->n = (uint32_t)whole;
}

/* The loop's gain per period at the fundamental: rho |1 - S + S e^-jw|. */
static double period_gain(const lull_pluck_string *st, double w) {
  double s = st->s;
  return sqrt((1.0 - s) * (1.0 - s) + s * s + 2.0 * s * (1.0 - s) * cos(w)) * (double)st->rho;
}

/* Frames for a string to fall 90 dB (10^-4.5; its fundamental is its
 * slowest partial), plus ring of the body. */
static uint32_t frames_to_silence(const lull_pluck_string *st, double fs, double hz, double body_frames) {
  double h = period_gain(st, 2.0 * M_PI * hz / fs);
  if (h >= 1.0) return UINT32_MAX;
  double f = -4.5 * M_LN10 / log(h) * fs / hz + body_frames;
  return f > 4e9 ? 4000000000u : (uint32_t)f + 1u;
}

/* A resonance of bandwidth hz / q rings with time constant q / (pi hz):
 * 90 dB in 10.4 of those. */
static double body_ring_frames(const lull_pluck_patch *p, double fs) {
  double most = 0.0;
  for (int i = 0; i < LULL_PLUCK_BODY; i++)
    if (p->body_hz[i] > 0.0f && p->body_gain[i] != 0.0f)
      most = fmax(most, 4.5 * M_LN10 * (double)p->body_q[i] / (M_PI * (double)p->body_hz[i]) * fs);
  return most;
}

/* Damp string st (of frequency hz) to fall 60 dB in time_ms from now. */
static void damp(lull_pluck *v, lull_pluck_string *st, double time_ms, double body_frames) {
  double fs = v->sample_rate_hz, hz = st->hz, w = 2.0 * M_PI * hz / fs;
  double want = pow(0.001, 1.0 / (hz * time_ms * 0.001)), have = period_gain(st, w);
  if (have > want) st->rho = (float)((double)st->rho * want / have);
  uint32_t left = frames_to_silence(st, fs, hz, body_frames);
  if (left < st->left) st->left = left;
}

/* The excitation's samples one by one (so they can be made again): a
 * raised-cosine strike 1 / tone long, or seeded noise through two one-pole
 * lowpasses at tone. */
typedef struct excitation {
  lull_noise noise;
  float a, y1, y2;
  double width;
  uint32_t j;
  int struck;
} excitation;

static void excitation_init(excitation *e, int struck, double tone, double fs, uint32_t d, uint64_t seed) {
  *e = (excitation){.struck = struck, .a = (float)(1.0 - exp(-2.0 * M_PI * tone / fs))};
  e->width = fmin(fmax(fs / tone, 2.0), (double)d);
  lull__noise_init(&e->noise, seed);
}

static float excitation_next(excitation *e) {
  uint32_t j = e->j++;
  if (e->struck)
    return (double)j < e->width ? (float)(0.5 - 0.5 * cos(2.0 * M_PI * (j + 0.5) / e->width)) : 0.0f;
  e->y1 += e->a * (lull__noise_next(&e->noise) - e->y1);
  e->y2 += e->a * (e->y1 - e->y2);
  return e->y2;
}

#ifndef LULL_ISA_SUFFIX /* the generic build only: the v3 one has just the render */
void lull__pluck_start(lull_pluck *v, const lull_pluck_patch *patch, float hz_in, float velocity, uint64_t seed) {
  const double fs = v->sample_rate_hz, body_frames = body_ring_frames(patch, fs);
  double hz = fmin(fmax((double)hz_in, MIN_HZ), 0.25 * fs);
  float vel = velocity < 0.0f ? 0.0f : velocity > 1.0f ? 1.0f : velocity;
  /* A sounding string is damped and rings out on its own line; the note
   * takes the other (whatever still rang there is written over). */
  lull_pluck_string *old = &v->str[v->cur];
  if (old->left) {
    damp(v, old, fmin((double)v->release_ms, 150.0), body_frames);
    v->cur ^= 1;
  }
  lull_pluck_string *st = &v->str[v->cur];
  double t60 = (double)patch->t60_s * pow(hz / REF_HZ, -(double)patch->t60_key);
  tune(st, fs, hz, t60, v->mask - 1);
  st->x1 = st->ap_x1 = st->ap_y1 = 0.0f;
  st->hz = (float)hz;
  st->left = frames_to_silence(st, fs, hz, body_frames);

  /* The excitation, one line's length d, written where the line reads next;
   * then the pluck point: a circular comb x[j] - x[j - gap mod d] (a
   * string plucked at 1/k of its length has no k-th harmonics; circular
   * because the line repeats it). The first gap values need the original
   * tail, written over by then: made again from the same seed. */
  const uint32_t d = st->n, mask = v->mask, at = v->pos - d;
  float *line = st->line;
  double tone = fmin((double)patch->tone_hz * exp2(-3.0 * (1.0 - (double)vel)), 0.45 * fs);
  excitation ex;
  excitation_init(&ex, patch->struck, tone, fs, d, seed);
  for (uint32_t j = 0; j < d; j++) line[(at + j) & mask] = excitation_next(&ex);
  uint32_t gap = (uint32_t)lround((double)patch->position * d);
  if (gap >= 1 && gap < d) {
    for (uint32_t j = d; j-- > gap;) line[(at + j) & mask] -= line[(at + j - gap) & mask];
    excitation_init(&ex, patch->struck, tone, fs, d, seed);
    for (uint32_t j = 0; j < d - gap; j++) excitation_next(&ex);
    for (uint32_t j = 0; j < gap; j++) line[(at + j) & mask] -= excitation_next(&ex);
  }
  double mean = 0.0, peak = 0.0;
  for (uint32_t j = 0; j < d; j++) mean += (double)line[(at + j) & mask];
  mean /= d;
  for (uint32_t j = 0; j < d; j++) peak = fmax(peak, fabs((double)line[(at + j) & mask] - mean));
  double amp = (double)patch->level * (0.25 + 0.75 * (double)vel), scale = peak > 0.0 ? amp / peak : 0.0;
  for (uint32_t j = 0; j < d; j++) line[(at + j) & mask] = (float)(((double)line[(at + j) & mask] - mean) * scale);

  /* The tine: a resonator y = 2 r cos(w) y1 - r^2 y2 + kick, struck anew
   * on top of what it still rings (a kick of A sin w peaks at A). */
  double tw = 2.0 * M_PI * (double)patch->tine_ratio * hz / fs;
  if (patch->tine_gain > 0.0f && patch->tine_t60_s > 0.0f && tw < 0.9 * M_PI) {
    double r = pow(0.001, 1.0 / ((double)patch->tine_t60_s * fs));
    v->tine_cos = (float)cos(tw);
    v->tine_r = (float)r;
    v->tine_kick = (float)((double)patch->tine_gain * amp * sin(tw));
    uint32_t left = (uint32_t)(1.5 * (double)patch->tine_t60_s * fs) + 1u;
    if (left > st->left) st->left = left;
  } else {
    v->tine_kick = 0.0f;
  }
  lull__pluck_body_set(&v->body, patch, (float)fs); /* what the box still rings goes on */
  v->level = (float)(0.25 + 0.75 * (double)vel);
  v->level_mul = (float)pow(period_gain(st, 2.0 * M_PI * hz / fs), hz / fs);
  v->hz = (float)hz;
  v->release_ms = patch->release_ms;
  v->body_frames = (float)body_frames;
}

void lull__pluck_release(lull_pluck *v) {
  for (int i = 0; i < 2; i++)
    if (v->str[i].left) damp(v, &v->str[i], (double)v->release_ms, (double)v->body_frames);
  double r = pow(0.001, 1.0 / ((double)v->release_ms * 0.001 * (double)v->sample_rate_hz));
  if (r < (double)v->tine_r) v->tine_r = (float)r;
  v->level_mul = (float)pow(0.001, 1.0 / ((double)v->release_ms * 0.001 * (double)v->sample_rate_hz));
}
#endif

/* One string for n frames, added into out: read the line d frames back,
 * loop filter, allpass, loss, write back. */
static void run_string(lull_pluck_string *st, float *out, uint32_t n, uint32_t pos, uint32_t mask) {
  float *line = st->line;
  const uint32_t d = st->n;
  const float s = st->s, c = st->c, rho = st->rho;
  float x1 = st->x1, ax = st->ap_x1, ay = st->ap_y1;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t p = pos + i;
    float x = line[(p - d) & mask];
    float lf = x + s * (x1 - x); /* (1 - S) x[n] + S x[n-1] */
    x1 = x;
    float ap = (c * lf + ax) - c * ay; /* first-order allpass: c x + x[n-1] - c y[n-1] */
    ax = lf;
    ay = ap;
    float y = rho * ap + LULL_TINY;
    line[p & mask] = y;
    out[i] += y;
  }
  st->x1 = x1;
  st->ap_x1 = ax;
  st->ap_y1 = ay;
}

void LULL_ISA_NAME(lull__pluck_render)(lull_pluck *v, float *out, uint32_t frames) {
  for (uint32_t i = 0; i < frames; i++) out[i] = 0.0f;
  uint32_t live = 0; /* the voice ends with its strings, body and tine too: exact to the frame, so splits agree */
  for (int k = 0; k < 2; k++) {
    lull_pluck_string *st = &v->str[k];
    uint32_t n = st->left < frames ? st->left : frames;
    if (st->left != UINT32_MAX) st->left -= n;
    run_string(st, out, n, v->pos, v->mask);
    if (n > live) live = n;
  }
  v->pos += frames;
  frames = live;
  /* the body and the tine in one pass (their recurrences overlap) */
  lull_pluck_body *body = &v->body;
  float z1[LULL_PLUCK_BODY], z2[LULL_PLUCK_BODY];
  for (int k = 0; k < LULL_PLUCK_BODY; k++) z1[k] = body->z1[k], z2[k] = body->z2[k];
  const float b = 2.0f * v->tine_r * v->tine_cos, r2 = v->tine_r * v->tine_r, lm = v->level_mul;
  float y1 = v->tine_y1, y2 = v->tine_y2, kick = v->tine_kick, level = v->level;
  for (uint32_t i = 0; i < frames; i++) {
    float y = b * y1 - r2 * y2 + kick + LULL_TINY;
    kick = 0.0f;
    y2 = y1;
    y1 = y;
    out[i] = body_tick(body, z1, z2, out[i]) + y;
    level *= lm;
  }
  for (int k = 0; k < LULL_PLUCK_BODY; k++) body->z1[k] = z1[k], body->z2[k] = z2[k];
  v->tine_y1 = y1;
  v->tine_y2 = y2;
  v->tine_kick = kick;
  v->level = level;
}

#ifndef LULL_ISA_SUFFIX /* the generic build only: the v3 one has just the render */
int lull__pluck_active(const lull_pluck *v) { return v->str[0].left != 0 || v->str[1].left != 0; }

float lull__pluck_level(const lull_pluck *v) { return v->level; }

/* ---- presets --------------------------------------------------------- */

/* Harp: nylon, long and round. Plucked at the middle, as harpists do (the
 * even harmonics gone: hollow and soft), a dark burst (1.2 kHz at full velocity), 6 s to -60 dB
 * at C4 (4.2 s at C5: key 0.5), a light wooden box (soundboard resonances
 * at 180, 420, 1100 Hz). */
const lull_pluck_patch lull__pluck_harp = {
    .t60_s = 6.0f, .t60_key = 0.5f, .release_ms = 250.0f, .tone_hz = 1200.0f, .position = 0.5f, .level = 0.3f,
    .body_hz = {180.0f, 420.0f, 1100.0f}, .body_q = {4.0f, 5.0f, 4.0f}, .body_gain = {1.2f, 0.8f, 0.5f},
    .top_hz = 2093.0f};

/* Guitar: steel-ish and brighter: a 5 kHz burst plucked near the bridge
 * (0.18: a comb with gentle notches), 3.5 s at C4, and a guitar body: the
 * air resonance near 100 Hz, the top plate near 200 and 400 Hz. */
const lull_pluck_patch lull__pluck_guitar = {
    .t60_s = 3.5f, .t60_key = 0.6f, .release_ms = 150.0f, .tone_hz = 5000.0f, .position = 0.18f, .level = 0.28f,
    .body_hz = {100.0f, 205.0f, 410.0f}, .body_q = {6.0f, 8.0f, 6.0f}, .body_gain = {2.0f, 2.2f, 1.2f},
    .top_hz = 1568.0f};

/* Kalimba: a struck tine, short and bright: a 3 kHz raised-cosine strike,
 * 1.6 s at C4, a hollow box resonance near 300 Hz, and the bar's second
 * mode at 5.4x (it is what makes a tine sound like metal), gone in 0.4 s. */
const lull_pluck_patch lull__pluck_kalimba = {
    .t60_s = 1.6f, .t60_key = 0.4f, .release_ms = 100.0f, .tone_hz = 3000.0f, .position = 0.0f, .struck = 1,
    .level = 0.3f, .body_hz = {300.0f, 780.0f}, .body_q = {5.0f, 6.0f}, .body_gain = {1.5f, 0.6f},
    .tine_ratio = 5.4f, .tine_gain = 0.25f, .tine_t60_s = 0.4f, .top_hz = 2093.0f};
#endif
