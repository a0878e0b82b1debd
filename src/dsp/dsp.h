/* dsp: the primitives voices and effects are built from. Module interface
 * for synth/ (not public API). Every primitive is a value type: x_init()
 * allocates nothing (memory is handed in), x_reset() clears state, x_set_*()
 * moves targets without clearing state. All of it is render-safe.
 *
 * Banks of eight voices of one kind run in SIMD lanes (GCC vector types):
 * on AVX2 one v8f is one register, elsewhere two. */
#ifndef LULL_DSP_H
#define LULL_DSP_H

#include <stddef.h>
#include <stdint.h>

#define LULL_LANES 8

/* Every function that takes or returns a vector is forced inline: then no
 * vector ever crosses a call, and the AVX2 clones (LULL_HOT) and default
 * code can never disagree on how vectors are passed. */
#define LULL_VEC static inline __attribute__((always_inline))

typedef float v8f __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));
typedef uint32_t v8u __attribute__((vector_size(32)));

LULL_VEC v8f v8f_set1(float x) { return (v8f){x, x, x, x, x, x, x, x}; }
LULL_VEC v8u v8u_set1(uint32_t x) { return (v8u){x, x, x, x, x, x, x, x}; }

/* Bitwise select: lanes where mask is all-ones take a, the rest b. */
LULL_VEC v8f v8f_select(v8i mask, v8f a, v8f b) {
  return (v8f)(((v8i)a & mask) | ((v8i)b & ~mask));
}

/* Sums of the lanes of a, b, c and d at once (a bank's four outputs). */
LULL_VEC void v8f_hsum4(v8f a, v8f b, v8f c, v8f d, float *sa, float *sb, float *sc, float *sd) {
  /* ab = [a0+a4 .. a3+a7 | b0+b4 .. b3+b7], cd likewise; then two folds. */
  v8f ab = __builtin_shuffle(a, b, (v8i){0, 1, 2, 3, 8, 9, 10, 11}) + __builtin_shuffle(a, b, (v8i){4, 5, 6, 7, 12, 13, 14, 15});
  v8f cd = __builtin_shuffle(c, d, (v8i){0, 1, 2, 3, 8, 9, 10, 11}) + __builtin_shuffle(c, d, (v8i){4, 5, 6, 7, 12, 13, 14, 15});
  v8f s = __builtin_shuffle(ab, cd, (v8i){0, 1, 8, 9, 4, 5, 12, 13}) + __builtin_shuffle(ab, cd, (v8i){2, 3, 10, 11, 6, 7, 14, 15});
  v8f u = s + __builtin_shuffle(s, (v8i){1, 0, 3, 2, 5, 4, 7, 6});
  *sa = u[0];
  *sc = u[2];
  *sb = u[4];
  *sd = u[6];
}

/* Transpose an 8x8 tile in place: r[i][j] becomes r[j][i]. Three stages of
 * eight two-source shuffles (unpack pairs, then quads, then halves). */
LULL_VEC void v8f_transpose8(v8f r[8]) {
  const v8i lo2 = {0, 8, 1, 9, 4, 12, 5, 13}, hi2 = {2, 10, 3, 11, 6, 14, 7, 15};
  const v8i lo4 = {0, 1, 8, 9, 4, 5, 12, 13}, hi4 = {2, 3, 10, 11, 6, 7, 14, 15};
  const v8i lo8 = {0, 1, 2, 3, 8, 9, 10, 11}, hi8 = {4, 5, 6, 7, 12, 13, 14, 15};
  v8f t[8], s[8];
  for (int i = 0; i < 8; i += 2) {
    t[i] = __builtin_shuffle(r[i], r[i + 1], lo2);
    t[i + 1] = __builtin_shuffle(r[i], r[i + 1], hi2);
  }
  for (int i = 0; i < 8; i += 4) {
    s[i] = __builtin_shuffle(t[i], t[i + 2], lo4);
    s[i + 1] = __builtin_shuffle(t[i], t[i + 2], hi4);
    s[i + 2] = __builtin_shuffle(t[i + 1], t[i + 3], lo4);
    s[i + 3] = __builtin_shuffle(t[i + 1], t[i + 3], hi4);
  }
  for (int i = 0; i < 4; i++) {
    r[i] = __builtin_shuffle(s[i], s[i + 4], lo8);
    r[i + 4] = __builtin_shuffle(s[i], s[i + 4], hi8);
  }
}

/* Sums of the lanes of a and of b. */
LULL_VEC void v8f_hsum2(v8f a, v8f b, float *sa, float *sb) {
  v8f s = __builtin_shuffle(a, b, (v8i){0, 1, 2, 3, 8, 9, 10, 11}) + __builtin_shuffle(a, b, (v8i){4, 5, 6, 7, 12, 13, 14, 15});
  v8f t = s + __builtin_shuffle(s, (v8i){2, 3, 0, 1, 6, 7, 4, 5});
  v8f u = t + __builtin_shuffle(t, (v8i){1, 0, 3, 2, 5, 4, 7, 6});
  *sa = u[0];
  *sb = u[4];
}

/* Short copies in 32-byte pieces: a memcpy of variable size becomes a rep
 * movs whose start-up costs more than a whole block of these. */
static inline void lull__copy_floats(float *dst, const float *src, size_t n) {
  for (; n >= 8; n -= 8, dst += 8, src += 8) __builtin_memcpy(dst, src, 32);
  for (; n; n--) *dst++ = *src++;
}

/* n frames into / out of a power-of-two ring (mask + 1 long) from slot at,
 * in at most two contiguous runs (the wrap). */
static inline void lull__ring_put(float *ring, uint32_t mask, uint32_t at, const float *src, size_t n) {
  size_t i = at & mask, first = n < mask + 1 - i ? n : mask + 1 - i;
  lull__copy_floats(ring + i, src, first);
  lull__copy_floats(ring, src + first, n - first);
}
static inline void lull__ring_get(const float *ring, uint32_t mask, uint32_t at, float *dst, size_t n) {
  size_t i = at & mask, first = n < mask + 1 - i ? n : mask + 1 - i;
  lull__copy_floats(dst, ring + i, first);
  lull__copy_floats(dst + first, ring, n - first);
}

/* Read a power-of-two ring buffer for a block: frame k at tap[k] frames
 * before pos + k (fractional: linear interpolation). plain gets the reads;
 * damped gets g ((1 - d) r[k] + d r'[k]), r' read one frame earlier at the
 * same tap: a one-zero lowpass with no state. Every tap must be at least n
 * (the block reads only what was written before it). Eight frames whose
 * whole tap agrees (and that do not wrap) take three unaligned loads; the
 * rest go one by one through the same formula. */
static inline void lull__tap_read(const float *buf, uint32_t mask, uint32_t pos, const float *tap, size_t n, float d,
                                  float g, float *damped, float *plain) {
  for (size_t k = 0; k < n; k += 8) {
    size_t m = n - k < 8 ? n - k : 8;
    uint32_t w0 = (uint32_t)tap[k], w1 = (uint32_t)tap[k + m - 1];
    uint32_t start = (pos + (uint32_t)k - w0) & mask;
    if (m == 8 && w0 == w1 && start >= 2 && start + 8 <= mask + 1) {
      v8f a, b, c, t;
      __builtin_memcpy(&a, buf + start, sizeof a);
      __builtin_memcpy(&b, buf + start - 1, sizeof b);
      __builtin_memcpy(&c, buf + start - 2, sizeof c);
      __builtin_memcpy(&t, tap + k, sizeof t);
      v8f frac = t - (float)w0;
      v8f u = a + frac * (b - a), v = b + frac * (c - b);
      v8f y = g * (u + d * (v - u));
      __builtin_memcpy(plain + k, &u, sizeof u);
      __builtin_memcpy(damped + k, &y, sizeof y);
      continue;
    }
    for (size_t j = k; j < k + m; j++) {
      uint32_t whole = (uint32_t)tap[j];
      float frac = tap[j] - (float)whole;
      uint32_t at = pos + (uint32_t)j - whole;
      float a = buf[at & mask], b = buf[(at - 1) & mask], c = buf[(at - 2) & mask];
      float u = a + frac * (b - a), v = b + frac * (c - b);
      plain[j] = u;
      damped[j] = g * (u + d * (v - u));
    }
  }
}

/* The smallest power of two >= n: the size of every delay line and ring
 * (a mask wraps the index). Not per sample. stream.h has the same one. */
#ifndef LULL_POW2_AT_LEAST
#define LULL_POW2_AT_LEAST
static inline uint32_t lull__pow2_at_least(uint64_t n) {
  uint32_t p = 1;
  while (p < n) p <<= 1;
  return p;
}
#endif

/* ---- approximations (no libm per sample) ------------------------------ */

/* sin(2*pi*x) for x in turns, |x| <= 0.5. Folded to a quarter wave, then an
 * odd Taylor polynomial of degree 11: |error| < 1e-6 (tested). */
static inline float lull__sin_turns(float x) {
  union { float f; uint32_t u; } ux = {x}, ax;
  uint32_t sign = ux.u & 0x80000000u;
  ax.u = ux.u & 0x7fffffffu;
  float u = 0.25f - __builtin_fabsf(ax.f - 0.25f); /* |x| folded into [0, 0.25] */
  float u2 = u * u;
  float p = -15.0946425768f;                       /* -(2pi)^11/11! */
  p = p * u2 + 42.0586939448f;                     /* (2pi)^9/9! */
  p = p * u2 - 76.7058597531f;                     /* -(2pi)^7/7! */
  p = p * u2 + 81.6052492761f;                     /* (2pi)^5/5! */
  p = p * u2 - 41.3417022404f;                     /* -(2pi)^3/3! */
  p = p * u2 + 6.28318530718f;                     /* 2pi */
  union { float f; uint32_t u; } r = {p * u};
  r.u ^= sign;
  return r.f;
}

LULL_VEC v8f lull__sin_turns8(v8f x) {
  const v8i sign_bit = (v8i){INT32_MIN, INT32_MIN, INT32_MIN, INT32_MIN,
                             INT32_MIN, INT32_MIN, INT32_MIN, INT32_MIN};
  v8i sign = (v8i)x & sign_bit;
  v8f ax = (v8f)((v8i)x & ~sign_bit);
  v8f q = 0.25f - (v8f)((v8i)(ax - 0.25f) & ~sign_bit);
  v8f q2 = q * q;
  v8f p = v8f_set1(-15.0946425768f);
  p = p * q2 + 42.0586939448f;
  p = p * q2 - 76.7058597531f;
  p = p * q2 + 81.6052492761f;
  p = p * q2 - 41.3417022404f;
  p = p * q2 + 6.28318530718f;
  return (v8f)((v8i)(p * q) ^ sign);
}

/* Phase (full turn = 2^32) to turns in [-0.5, 0.5). */
static inline float lull__phase_turns(uint32_t phase) {
  return (float)(int32_t)phase * 0x1p-32f;
}
LULL_VEC v8f lull__phase_turns8(v8u phase) {
  return __builtin_convertvector((v8i)phase, v8f) * 0x1p-32f;
}

/* Soft clip: a rational tanh (x(27+x^2)/(27+9x^2), exact at 0 and +-3, where
 * it meets +-1 with zero slope); within 2.5 % of tanh, monotonic, |y| <= 1. */
static inline float lull__soft_clip(float x) {
  x = x > 3.0f ? 3.0f : x < -3.0f ? -3.0f : x; /* f(+-3) = +-1, flat there */
  float x2 = x * x;
  float y = x * (27.0f + x2) / (27.0f + 9.0f * x2);
  return y > 1.0f ? 1.0f : y < -1.0f ? -1.0f : y; /* rounding near +-3 */
}

/* Frequency of a MIDI note (A4 = 69 = 440 Hz). Not per sample. */
float lull__midi_hz(float note);
/* Phase increment (2^32 per turn) for a frequency. */
uint32_t lull__hz_to_inc(double hz, double sample_rate_hz);

/* The grid: slow parameters (LFOs, smoothed gains and times) move on a
 * fixed grid of absolute frames, a line every LULL_GRID_FRAMES (their
 * control rate, 750 Hz at 48 kHz). A block never crosses a grid line, so
 * the output does not depend on how the caller chunks its render calls. */
#define LULL_GRID_FRAMES 64

/* Added in feedback loops so state decays to zero-ish instead of into
 * denormals even when FTZ/DAZ is off (Opus's VERY_SMALL). */
#define LULL_TINY 1e-20f

/* ---- band-limited wavetables (wavetable.c) ---------------------------- */

#define LULL_WT_BITS 11
#define LULL_WT_SIZE (1u << LULL_WT_BITS)
#define LULL_WT_BANDS 22 /* half-octave bands from 16 Hz up */

typedef enum lull_wave { LULL_WAVE_SAW = 0, LULL_WAVE_SQUARE, LULL_WAVE_COUNT } lull_wave;

typedef struct lull_wavetable {
  float *data; /* [wave][band][LULL_WT_SIZE + 1], one guard sample per table */
  float band_top_hz[LULL_WT_BANDS];
  float sample_rate_hz;
} lull_wavetable;

/* Floats of memory the tables need. */
size_t lull__wavetable_floats(void);
/* Fill the tables in mem (lull__wavetable_floats() floats). Harmonics stay
 * below 0.4583 * fs (22 kHz at 48 kHz) for every frequency of a band. */
void lull__wavetable_init(lull_wavetable *wt, float sample_rate_hz, float *mem);
/* Offset into wt->data of the table to play hz with. */
uint32_t lull__wavetable_offset(const lull_wavetable *wt, lull_wave wave, float hz);

/* ---- oscillators (osc.c) ---------------------------------------------- */

/* One band-limited table oscillator; phase is a u32 (exact frequency). */
typedef struct lull_osc {
  const float *data;
  uint32_t phase, inc, table; /* table: offset from lull__wavetable_offset */
} lull_osc;

void lull__osc_init(lull_osc *o, const lull_wavetable *wt);
void lull__osc_set_hz(lull_osc *o, const lull_wavetable *wt, lull_wave wave, float hz);
/* Add frames samples of the wave into out (in-place accumulate). */
void lull__osc_process(lull_osc *o, float *out, size_t frames);

static inline float lull__wt_read(const float *data, uint32_t table, uint32_t phase) {
  uint32_t i = phase >> (32 - LULL_WT_BITS);
  float frac = (float)(int32_t)(phase & ((1u << (32 - LULL_WT_BITS)) - 1)) * 0x1p-21f; /* signed: one instruction */
  const float *t = data + table + i;
  return t[0] + frac * (t[1] - t[0]);
}

/* Four reads at once (four oscillators of one voice). */
typedef float v4f __attribute__((vector_size(16)));
typedef uint32_t v4u __attribute__((vector_size(16)));
typedef int32_t v4i __attribute__((vector_size(16)));
typedef float v2f __attribute__((vector_size(8)));
static inline v4f lull__wt_read4(const float *data, v4u table, v4u phase) {
  v4u i = table + (phase >> (32 - LULL_WT_BITS));
  /* The fraction's 21 bits convert as signed (one instruction, the same value). */
  v4f frac = __builtin_convertvector((v4i)(phase & ((1u << (32 - LULL_WT_BITS)) - 1)), v4f) * 0x1p-21f;
  /* Each oscillator's two neighbouring samples in one 64-bit load, moved as
   * a double so that they stay in vector registers; then a0 b0 a1 b1 and
   * a2 b2 a3 b3 unzip into a and b. */
  double q[4];
  for (int k = 0; k < 4; k++) __builtin_memcpy(&q[k], data + i[k], sizeof q[k]);
  typedef double v2d __attribute__((vector_size(16)));
  v4f lo = (v4f)(v2d){q[0], q[1]}, hi = (v4f)(v2d){q[2], q[3]};
  v4f a = __builtin_shuffle(lo, hi, (v4i){0, 2, 4, 6}), b = __builtin_shuffle(lo, hi, (v4i){1, 3, 5, 7});
  return a + frac * (b - a);
}

LULL_VEC v8f lull__wt_read8(const float *data, v8u table, v8u phase) {
  v8u i = table + (phase >> (32 - LULL_WT_BITS));
  v8f frac = __builtin_convertvector((v8i)(phase & ((1u << (32 - LULL_WT_BITS)) - 1)), v8f) * 0x1p-21f;
  /* As lull__wt_read4: eight 64-bit loads of neighbouring pairs, unzipped
   * within each 128-bit half (one shuffle each for a and b). Loaded as
   * {0 1 4 5} and {2 3 6 7} so the unzip lands in order. AVX2's gathers
   * were slower: two 8-lane gathers cost more here than eight loads
   * (0.82 -> 0.74 CPU s for the README's 600 s dry render). Without AVX
   * the 256-bit shuffles are split and cost more than scalar reads. */
  v8f a, b;
#if defined(__AVX__)
  typedef double v4d __attribute__((vector_size(32)));
  double q[8];
  for (int k = 0; k < 8; k++) __builtin_memcpy(&q[k], data + i[k], sizeof q[k]);
  v8f lo = (v8f)(v4d){q[0], q[1], q[4], q[5]}, hi = (v8f)(v4d){q[2], q[3], q[6], q[7]};
  a = __builtin_shuffle(lo, hi, (v8i){0, 2, 8, 10, 4, 6, 12, 14});
  b = __builtin_shuffle(lo, hi, (v8i){1, 3, 9, 11, 5, 7, 13, 15});
#else
  for (int j = 0; j < LULL_LANES; j++) {
    a[j] = data[i[j]];
    b[j] = data[i[j] + 1];
  }
#endif
  return a + frac * (b - a);
}

/* ---- ADSR envelope, eight lanes (env.c) ------------------------------- */

/* Linear segments as in the seed; times are exact to the frame. The engine
 * splits blocks where any lane changes segment (lull__adsr8_frames_left), so
 * inside a block each lane's level is one add per sample. */
typedef struct lull_adsr_config {
  float attack_ms, decay_ms, sustain, release_ms;
} lull_adsr_config;

typedef enum lull_adsr_stage {
  LULL_ADSR_IDLE = 0,
  LULL_ADSR_ATTACK,
  LULL_ADSR_DECAY,
  LULL_ADSR_SUSTAIN,
  LULL_ADSR_RELEASE
} lull_adsr_stage;

typedef struct lull_adsr8 {
  v8f level, step;
  uint32_t left[LULL_LANES]; /* frames left in the segment; UINT32_MAX = open-ended */
  uint8_t stage[LULL_LANES];
  /* Per lane, so one bank can hold voices of two parts. */
  uint32_t attack_frames[LULL_LANES], decay_frames[LULL_LANES], release_frames[LULL_LANES];
  float sustain[LULL_LANES];
} lull_adsr8;

/* Every lane gets cfg. */
void lull__adsr8_init(lull_adsr8 *e, const lull_adsr_config *cfg, float sample_rate_hz);
/* One lane gets cfg (takes effect at its next segment). */
void lull__adsr8_configure_lane(lull_adsr8 *e, int lane, const lull_adsr_config *cfg, float sample_rate_hz);
void lull__adsr8_reset(lull_adsr8 *e);
/* (Re)start lane from its current level: attack at the same slope. */
void lull__adsr8_gate_on(lull_adsr8 *e, int lane);
/* Release lane from its current level to zero over the release time. */
void lull__adsr8_gate_off(lull_adsr8 *e, int lane);
/* Frames until some lane changes segment (UINT32_MAX: none will). */
uint32_t lull__adsr8_frames_left(const lull_adsr8 *e);
/* After processing frames (no more than frames_left): move lanes on. */
void lull__adsr8_advance(lull_adsr8 *e, uint32_t frames);
static inline int lull__adsr8_active(const lull_adsr8 *e, int lane) {
  return e->stage[lane] != LULL_ADSR_IDLE;
}

/* ---- state-variable filter (svf.c) ------------------------------------ */

/* Zavalishin's topology-preserving SVF in Simper's trapezoidal form: stable
 * for any cutoff below Nyquist, modulation-friendly. Bandpass is normalised
 * to unity gain at its centre. */
typedef enum lull_svf_mode { LULL_SVF_LOWPASS = 0, LULL_SVF_BANDPASS, LULL_SVF_HIGHPASS } lull_svf_mode;

typedef struct lull_svf {
  float ic1, ic2;
  float a1, a2, a3, k;
  float sample_rate_hz;
} lull_svf;

void lull__svf_init(lull_svf *f, float sample_rate_hz);
void lull__svf_reset(lull_svf *f);
/* Cutoff is limited to [10 Hz, 0.49 fs]; q > 0.05. Not per sample. */
void lull__svf_set(lull_svf *f, float cutoff_hz, float q);
void lull__svf_process(lull_svf *f, lull_svf_mode mode, float *out, const float *in, size_t frames);

/* The lanes run the same filter as a 2x2 state-space update, which leaves
 * two multiply-adds on the loop-carried path instead of four:
 *   ic1' = (2 a1 - 1) ic1 - 2 a2 ic2 + 2 a2 v0
 *   ic2' = 2 a2 ic1 + (1 - 2 a3) ic2 + 2 a3 v0
 * and v1 = (ic1 + ic1') / 2, v2 = (ic2 + ic2') / 2 (bandpass k v1, lowpass v2). */
typedef struct lull_svf8 {
  v8f ic1, ic2;
  v8f c11, c12, c21, c22, b1, b2, k;
  v8f a1, a2, a3;
  float sample_rate_hz;
} lull_svf8;

void lull__svf8_init(lull_svf8 *f, float sample_rate_hz);
void lull__svf8_reset_lane(lull_svf8 *f, int lane);
void lull__svf8_set_lane(lull_svf8 *f, int lane, float cutoff_hz, float q);
/* The coefficients for cutoff and q, to copy into many lanes. */
typedef struct lull_svf_coefs { float a1, a2, a3, k; } lull_svf_coefs;
lull_svf_coefs lull__svf_coefs(float cutoff_hz, float q, float sample_rate_hz);
static inline void lull__svf8_put_lane(lull_svf8 *f, int lane, lull_svf_coefs c) {
  f->a1[lane] = c.a1;
  f->a2[lane] = c.a2;
  f->a3[lane] = c.a3;
  f->k[lane] = c.k;
  f->c11[lane] = 2.0f * c.a1 - 1.0f;
  f->c12[lane] = -2.0f * c.a2;
  f->c21[lane] = 2.0f * c.a2;
  f->c22[lane] = 1.0f - 2.0f * c.a3;
  f->b1[lane] = 2.0f * c.a2;
  f->b2[lane] = 2.0f * c.a3;
}
/* One sample through all lanes; returns the chosen response. */
LULL_VEC v8f lull__svf8_tick(lull_svf8 *f, lull_svf_mode mode, v8f v0) {
  v8f n1 = f->c11 * f->ic1 + (f->c12 * f->ic2 + f->b1 * v0);
  v8f n2 = f->c22 * f->ic2 + (f->c21 * f->ic1 + f->b2 * v0);
  v8f v1 = 0.5f * (f->ic1 + n1), v2 = 0.5f * (f->ic2 + n2);
  f->ic1 = n1;
  f->ic2 = n2;
  switch (mode) {
    case LULL_SVF_BANDPASS: return f->k * v1;
    case LULL_SVF_HIGHPASS: return v0 - f->k * v1 - v2;
    default: return v2;
  }
}

/* ---- noise (noise.c) ------------------------------------------------- */

/* splitmix64 (Steele, Lea, Flood 2014): the next of a sequence of
 * well-mixed 64-bit values from *x; seeds every stream of noise and LFO. */
uint64_t lull__splitmix64(uint64_t *x);

/* xorshift32: uniform white noise in [-1, 1), fully determined by the seed. */
typedef struct lull_noise { uint32_t state; } lull_noise;
void lull__noise_init(lull_noise *n, uint64_t seed);
static inline float lull__noise_next(lull_noise *n) {
  uint32_t x = n->state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  n->state = x;
  return (float)(int32_t)x * 0x1p-31f;
}

typedef struct lull_noise8 { v8u state; } lull_noise8;
void lull__noise8_init(lull_noise8 *n, uint64_t seed);
LULL_VEC v8f lull__noise8_next(lull_noise8 *n) {
  v8u x = n->state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  n->state = x;
  return __builtin_convertvector((v8i)x, v8f) * 0x1p-31f;
}

/* ---- LFO (lfo.c) ------------------------------------------------------ */

/* A sine LFO read once per block (its rate is far below the block rate). */
typedef struct lull_lfo {
  uint32_t phase;
  double inc_per_frame; /* turns * 2^32 per frame, kept fractional */
  double frac;
  float sample_rate_hz;
} lull_lfo;

void lull__lfo_init(lull_lfo *l, float rate_hz, float sample_rate_hz, float start_turns);
/* Value in [-1, 1] at the current frame, then advance by frames. */
float lull__lfo_next(lull_lfo *l, size_t frames);

/* ---- FM voice, 2 to 4 operators (fm.c) -------------------------------- */

/* DX-style phase modulation: sine operators with u32 phases at ratio x note
 * hz (+ a fixed detune), each with its own four-level envelope, wired by one
 * of a few algorithms (operator 1 is op[0]; modulators always have higher
 * indices than what they modulate). Alias-free by construction: at start()
 * each carrier's modulation indices are scaled down (and a carrier above
 * Nyquist muted) so that every sideband that would land above fs/2 is 43 dB
 * under the strongest one (Bessel functions, fm.c). Mono; render-safe. A
 * note of a preset at velocity 1 peaks near 0.4 (0.37..0.40 tested); its RMS
 * over the first half second is 0.14..0.22. */
#define LULL_FM_OPS 4

typedef enum lull_fm_algo {
  LULL_FM_ALGO_2_1 = 0, /* 2 -> 1 */
  LULL_FM_ALGO_3_2_1,   /* 3 -> 2 -> 1 */
  LULL_FM_ALGO_21_43,   /* (2 -> 1) + (4 -> 3): two carriers */
  LULL_FM_ALGO_23_1,    /* (2 + 3) -> 1 */
  LULL_FM_ALGO_4_3_2_1, /* 4 -> 3 -> 2 -> 1 */
  LULL_FM_ALGO_COUNT
} lull_fm_algo;

/* One operator. The envelope: a linear attack to l1, then segments linear in
 * dB (exponential) to l2, then to l3, held while the gate is on; release to
 * zero. Decay and release times are the time a segment takes to fall (or
 * rise) 60 dB at its rate, so they are DX rates, not segment lengths. A level
 * l3 of 0 decays on at decay2's rate (a struck sound). */
typedef struct lull_fm_op_patch {
  float ratio;      /* frequency = ratio x note hz + detune_hz */
  float detune_hz;
  float level;      /* carrier: peak amplitude; modulator: peak index in radians */
  float attack_ms;  /* 0 -> l1, linear */
  float decay1_ms, decay2_ms, release_ms; /* 60 dB times */
  float l1, l2, l3; /* 0..1 of level */
  float vel_sens;   /* 0..1: level x (1 - vel_sens (1 - velocity)) */
  float key_rate;   /* times x (hz / 261.63)^-key_rate: higher notes decay faster */
  float key_level;  /* modulators: index x (hz / 261.63)^-key_level above C4 */
} lull_fm_op_patch;

typedef struct lull_fm_patch {
  lull_fm_algo algo;
  int feedback_op;  /* which operator (0-based) feeds back on itself */
  float feedback;   /* its self-modulation index in radians, 0..1 (0: none) */
  float top_hz;     /* the highest note the synth plays with this patch */
  lull_fm_op_patch op[LULL_FM_OPS];
} lull_fm_patch;

typedef struct lull_fm {
  uint32_t phase[LULL_FM_OPS], inc[LULL_FM_OPS];
  float level[LULL_FM_OPS];          /* envelope now, absolute (amplitude or radians) */
  float mul[LULL_FM_OPS], add[LULL_FM_OPS]; /* level = level * mul + add, each frame */
  uint32_t left[LULL_FM_OPS];        /* frames left in the segment; UINT32_MAX open-ended */
  uint8_t stage[LULL_FM_OPS];
  float target[LULL_FM_OPS][3];      /* l1, l2, l3, absolute */
  float rate[LULL_FM_OPS][4];        /* attack step per frame; decay1, decay2, release 60 dB frames */
  float peak[LULL_FM_OPS];           /* level at velocity 1 before caps (for lull__fm_level) */
  float floor[LULL_FM_OPS];          /* a decay to 0 ends here (-100 dB of peak) */
  float fb, fb_s1, fb_s2;            /* feedback index / 2 and the op's last two outputs */
  int fb_op, ops;
  lull_fm_algo algo;
  float sample_rate_hz;
} lull_fm;

void lull__fm_init(lull_fm *v, float sample_rate_hz);
/* (Re)start a note at hz, velocity 0..1 (seed unused: FM is deterministic).
 * A sounding voice keeps its phases and envelope levels (the attack rises
 * from where it is): no click. Operators a new patch's algorithm does not
 * use are cut, so steal across patches of different algorithms only from a
 * quiet voice. libm here (about 0.2..0.9 us), none in render. */
void lull__fm_start(lull_fm *v, const lull_fm_patch *patch, float hz, float velocity, uint64_t seed);
void lull__fm_release(lull_fm *v);
/* Writes frames samples. */
/* The render for this CPU is the pool's (isa.h); lull__fm_render is the generic one. */
typedef void lull_fm_render_fn(lull_fm *v, float *out, uint32_t frames);
lull_fm_render_fn lull__fm_render_generic, lull__fm_render_v3;
static inline void lull__fm_render(lull_fm *v, float *out, uint32_t frames) { lull__fm_render_generic(v, out, frames); }
/* 0 once every carrier is below -100 dB of its peak and done. */
int lull__fm_active(const lull_fm *v);
/* The loudest carrier's envelope, 0..1 of its patch level (for stealing). */
float lull__fm_level(const lull_fm *v);

extern const lull_fm_patch lull__fm_glass, lull__fm_bell, lull__fm_epiano, lull__fm_piano;

/* ---- plucked and struck strings (pluck.c) ------------------------------ */

/* Karplus-Strong as a digital waveguide (Jaffe and Smith 1983): a delay
 * line, the two-tap loop filter (1 - S) x[n] + S x[n-1] with S and a loss
 * rho chosen per note so the fundamental's T60 is the patch's, and a
 * first-order allpass for the fraction of a sample left after the line and
 * the loop filter's phase delay (exact at the fundamental). The excitation
 * (seeded noise or a raised-cosine strike, lowpassed by velocity, combed by
 * the pluck position) is written into the line at start(). A retriggered
 * voice moves to its second line and damps the first (no click; it rings
 * out under the new note). Then a small body (parallel band-passes) and an
 * optional decaying "tine" resonator. Mono; render-safe. A note at velocity
 * 1 peaks at 0.25..0.40; its RMS over the first half second is 0.12..0.15
 * (harp), 0.03..0.07 (guitar), 0.02..0.04 (kalimba: short). */
#define LULL_PLUCK_BODY 3

typedef struct lull_pluck_patch {
  float t60_s;      /* the fundamental's 60 dB decay at C4 (261.63 Hz) */
  float t60_key;    /* t60 x (hz / 261.63)^-t60_key: higher strings ring shorter */
  float release_ms; /* after release(), 60 dB in this (a finger on the string) */
  float tone_hz;    /* excitation lowpass (two poles) at velocity 1; 3 octaves lower at 0 */
  float position;   /* pluck point, 0..0.5 of the length (a comb: every 1/position-th harmonic gone); 0 none */
  int struck;       /* 1: a raised-cosine strike 1/tone_hz long instead of a noise burst */
  float level;      /* peak of the excitation at velocity 1 */
  float body_hz[LULL_PLUCK_BODY], body_q[LULL_PLUCK_BODY], body_gain[LULL_PLUCK_BODY]; /* hz 0: unused */
  float tine_ratio, tine_gain, tine_t60_s; /* a decaying sine at ratio x hz, gain x level (0: none) */
  float top_hz;     /* the highest note the synth plays with this patch */
} lull_pluck_patch;

typedef struct lull_pluck_string {
  float *line;
  uint32_t n;               /* whole frames of delay */
  float hz;
  float s, c, rho;          /* loop filter tap, allpass coefficient, loss per pass */
  float x1, ap_x1, ap_y1;   /* filter states */
  uint32_t left;            /* frames until it is below -90 dB (0: silent) */
} lull_pluck_string;

typedef struct lull_pluck_body {
  float b0[LULL_PLUCK_BODY], a1[LULL_PLUCK_BODY], a2[LULL_PLUCK_BODY]; /* RBJ band-pass, 0 dB peak, times gain */
  float z1[LULL_PLUCK_BODY], z2[LULL_PLUCK_BODY];
  int count;
} lull_pluck_body;

typedef struct lull_pluck {
  lull_pluck_string str[2];
  int cur;                  /* the string of the current note; the other one rings out */
  uint32_t mask, pos;       /* both lines share the write position */
  lull_pluck_body body;
  float tine_cos, tine_r, tine_kick, tine_y1, tine_y2; /* resonator: y = 2 r cos w y1 - r^2 y2 + kick */
  float level, level_mul;   /* envelope estimate for lull__pluck_level */
  float hz, release_ms, body_frames;
  float sample_rate_hz;
} lull_pluck;

/* Floats of memory a voice needs: two lines, each a power of two holding a
 * period of C1 (32.70 Hz) at sample_rate_hz. */
size_t lull__pluck_floats(float sample_rate_hz);
/* mem: lull__pluck_floats(sample_rate_hz) floats, owned by the caller. */
void lull__pluck_init(lull_pluck *v, float *mem, float sample_rate_hz);
/* Pluck at hz (clamped to 32.70 Hz .. fs / 4), velocity 0..1; seed picks
 * the noise. On a sounding voice: the old string is damped (60 dB in at
 * most 150 ms) and rings out on the other line, the new one starts on its
 * own; a third start within that time writes over the ringing one (masked
 * by the new pluck). libm here (a few us: a period of excitation), none in
 * render. */
void lull__pluck_start(lull_pluck *v, const lull_pluck_patch *patch, float hz, float velocity, uint64_t seed);
void lull__pluck_release(lull_pluck *v);
/* The render for this CPU is the pool's (isa.h); lull__pluck_render is the generic one. */
typedef void lull_pluck_render_fn(lull_pluck *v, float *out, uint32_t frames);
lull_pluck_render_fn lull__pluck_render_generic, lull__pluck_render_v3;
static inline void lull__pluck_render(lull_pluck *v, float *out, uint32_t frames) { lull__pluck_render_generic(v, out, frames); }
int lull__pluck_active(const lull_pluck *v);
float lull__pluck_level(const lull_pluck *v);

/* The body on its own (the voice runs one): for tests and reuse. init
 * clears it; set moves the resonances and keeps what rings. */
void lull__pluck_body_init(lull_pluck_body *b, const lull_pluck_patch *patch, float sample_rate_hz);
void lull__pluck_body_set(lull_pluck_body *b, const lull_pluck_patch *patch, float sample_rate_hz);
/* out = in + the resonances (in place allowed). */
void lull__pluck_body_process(lull_pluck_body *b, float *out, const float *in, uint32_t frames);

extern const lull_pluck_patch lull__pluck_harp, lull__pluck_guitar, lull__pluck_kalimba;

/* ---- one-pole smoother (smooth.c) ------------------------------------- */

/* y += (target - y) * coef; reaches 63 % in time_ms, 99 % in 4.6 time_ms. */
typedef struct lull_smooth {
  float value, target, coef;
  float keep_grid; /* (1 - coef)^LULL_GRID_FRAMES: the usual step, one powf at init */
} lull_smooth;

void lull__smooth_init(lull_smooth *s, float value, float time_ms, float sample_rate_hz);
static inline void lull__smooth_set(lull_smooth *s, float target) { s->target = target; }
/* Advance by frames; returns the value after them (per-block use). */
float lull__smooth_next(lull_smooth *s, size_t frames);
static inline float lull__smooth_tick(lull_smooth *s) {
  s->value += (s->target - s->value) * s->coef;
  return s->value;
}

/* ---- DC blocker (dcblock.c) ------------------------------------------- */

typedef struct lull_dcblock { float x1, y1, r; } lull_dcblock;
void lull__dcblock_init(lull_dcblock *d, float cutoff_hz, float sample_rate_hz);
void lull__dcblock_process(lull_dcblock *d, float *out, const float *in, size_t frames);
/* Two channels in place at once (two independent recurrences in one loop);
 * inline so the FMA build of the synth kernels fuses it. Frame by frame: a
 * scan over eight frames at a time rounds by where the caller's block began,
 * and the engine's output is the same for any block size. */
static inline void lull__dcblock_process2(lull_dcblock *l, lull_dcblock *r, float *left, float *right, size_t frames) {
  float lx1 = l->x1, ly1 = l->y1, rx1 = r->x1, ry1 = r->y1;
  const float lr = l->r, rr = r->r;
  for (size_t i = 0; i < frames; i++) {
    float a = left[i], b = right[i];
    ly1 = lr * ly1 + (a - lx1);
    ry1 = rr * ry1 + (b - rx1);
    lx1 = a;
    rx1 = b;
    left[i] = ly1;
    right[i] = ry1;
  }
  l->x1 = lx1;
  r->x1 = rx1;
  l->y1 = __builtin_fabsf(ly1) < 1e-15f ? 0.0f : ly1;
  r->y1 = __builtin_fabsf(ry1) < 1e-15f ? 0.0f : ry1;
}

/* ---- reverb (reverb.c) ------------------------------------------------ */

#define LULL_REVERB_LINES 8
#define LULL_REVERB_DIFFUSERS 4

/* An 8-line feedback delay network with a Hadamard matrix, per-line damping
 * (a one-zero lowpass on each pass: no recurrence, so whole blocks run as
 * vector operations over time), input diffusion and slowly modulated line
 * lengths (so long tails do not ring metallic), after a pre-delay. Mono in,
 * stereo out. */
typedef struct lull_reverb_config {
  float decay_s;      /* RT60 at low frequencies (all, without damping), 2..10 */
  float predelay_ms;  /* 0..200 */
  float damping;      /* per pass: (1 - d) x[k] + d x[k-1]; 0 none .. 0.5 (a zero at Nyquist) */
  float mod_depth_ms; /* line-length modulation depth, 0..2 */
} lull_reverb_config;

typedef struct lull_reverb lull_reverb;
typedef void lull_reverb_process_fn(lull_reverb *r, float *out_l, float *out_r, const float *in, size_t frames);

struct lull_reverb {
  lull_reverb_process_fn *process; /* the kernel for this CPU, chosen at init */
  float *line[LULL_REVERB_LINES];
  uint32_t len[LULL_REVERB_LINES], mask[LULL_REVERB_LINES];
  uint32_t pos;
  float gain[LULL_REVERB_LINES], damp_coef;
  float *diff[LULL_REVERB_DIFFUSERS];
  uint32_t diff_len[LULL_REVERB_DIFFUSERS], diff_mask[LULL_REVERB_DIFFUSERS];
  float *pre;
  uint32_t pre_mask, pre_frames;
  lull_lfo mod[2];
  float mod_depth_frames;
  v8f mod_off, mod_step; /* line-length offsets at the period's start, and per frame */
  uint32_t mod_phase;     /* frames into the control period */
  float sample_rate_hz;
  lull_reverb_config cfg;
};

size_t lull__reverb_floats(float sample_rate_hz);
void lull__reverb_init(lull_reverb *r, const lull_reverb_config *cfg, float sample_rate_hz, float *mem);
void lull__reverb_reset(lull_reverb *r);
/* A new RT60 and damping, keeping the tail (glide them at grid lines: each
 * call moves the line gains at once). Not per sample: eight powf. */
void lull__reverb_set_decay(lull_reverb *r, float decay_s, float damping);
/* At a grid line: plan the modulation for the next period. */
void lull__reverb_control(lull_reverb *r);
/* Accumulate the wet stereo signal of in into out_l/out_r (r->process). */
static inline void lull__reverb_process(lull_reverb *r, float *out_l, float *out_r, const float *in, size_t frames) {
  r->process(r, out_l, out_r, in, frames);
}
lull_reverb_process_fn lull__reverb_process_generic;
lull_reverb_process_fn lull__reverb_process_v3;

/* ---- free-running ping-pong delay (delay.c) ---------------------------- */

/* Each side has its own time, in seconds, chosen to share no beat with the
 * music or with each other (the echoes never line up with the bar), each
 * wandering slowly by a few milliseconds. */
typedef struct lull_delay_config {
  float left_s, right_s; /* base times; each at most max_seconds - mod_depth_ms */
  float feedback;        /* gain of each pass, 0..0.95 */
  float mod_depth_ms;    /* each time moves +- this, 0..20 */
} lull_delay_config;

typedef struct lull_delay lull_delay;
typedef void lull_delay_process_fn(lull_delay *d, float *out_l, float *out_r, const float *in_l, const float *in_r,
                                   size_t frames);
struct lull_delay {
  lull_delay_process_fn *process; /* the kernel for this CPU, chosen at init */
  float *buf[2];
  uint32_t mask, pos;
  float time_frames[2];       /* base times, left and right */
  lull_lfo mod[2];            /* their slow modulation (periods in delay.c) */
  float mod_depth_frames;
  float time_base[2], time_step[2]; /* taps at the control period's start, and per frame */
  uint32_t time_phase;        /* frames into the control period */
  float feedback, damp_coef;  /* damping: one-zero, as in the reverb */
  float sample_rate_hz;
  float max_frames;
};

size_t lull__delay_floats(float sample_rate_hz, float max_seconds);
void lull__delay_init(lull_delay *d, const lull_delay_config *cfg, float sample_rate_hz, float max_seconds,
                      float *mem);
void lull__delay_reset(lull_delay *d);
/* At a grid line: plan the delay times for the next period. */
void lull__delay_control(lull_delay *d);
/* Accumulate the echoes of in_l/in_r into out_l/out_r (ping-pong). */
lull_delay_process_fn lull__delay_process_generic, lull__delay_process_v3;
static inline void lull__delay_process(lull_delay *d, float *out_l, float *out_r, const float *in_l,
                                       const float *in_r, size_t frames) {
  d->process(d, out_l, out_r, in_l, in_r, frames);
}

/* ---- soft clip + lookahead peak limiter (limiter.c) ------------------- */

#define LULL_LIMITER_MAX_LOOKAHEAD 512 /* 1.5 ms at 192 kHz is 288 frames, and the runs need room beside it */

/* Stereo-linked. The gain reaches what a peak needs before the peak leaves
 * the lookahead delay, so |out| <= ceiling always; a final clamp guards the
 * float rounding only. Latency: lookahead_frames - 1. */
typedef struct lull_limiter lull_limiter;
typedef void lull_limiter_process_fn(lull_limiter *l, float *left, float *right, size_t frames);
struct lull_limiter {
  lull_limiter_process_fn *process; /* the kernel for this CPU, chosen at init */
  float ceiling;
  uint32_t look;                               /* lookahead frames, power of two */
  float dl[LULL_LIMITER_MAX_LOOKAHEAD], dr[LULL_LIMITER_MAX_LOOKAHEAD];
  float hold[LULL_LIMITER_MAX_LOOKAHEAD];      /* released gain history for the box average */
  float qv[LULL_LIMITER_MAX_LOOKAHEAD];        /* monotonic queue of (frame, gain) for the window min */
  uint64_t qt[LULL_LIMITER_MAX_LOOKAHEAD];
  uint32_t qhead, qlen;
  uint64_t t;
  double box_sum;
  uint32_t calm; /* frames in a row with gain exactly 1: fast path after look */
  float env, release_coef, min_gain;
};

void lull__limiter_init(lull_limiter *l, float ceiling_db, float lookahead_ms, float release_ms,
                        float sample_rate_hz);
void lull__limiter_reset(lull_limiter *l);
uint32_t lull__limiter_latency(const lull_limiter *l);
/* In place on two channels. */
lull_limiter_process_fn lull__limiter_process_generic, lull__limiter_process_v3;
static inline void lull__limiter_process(lull_limiter *l, float *left, float *right, size_t frames) {
  l->process(l, left, right, frames);
}

/* ==== palette voices (issue 20): tape, textures, ensemble, choir, grains ====
 * Shared scalar helpers first; every family below is render-safe (no
 * allocation, lock, I/O or libm per sample) and split-invariant (pure
 * per-sample recurrences; slow parameters move every LULL_PAL_CTL_FRAMES
 * counted inside the voice). */

/* Slow parameters of the palette voices (filter sweeps, vowel drift) move
 * every this many frames, counted in each voice's state. */
#define LULL_PAL_CTL_FRAMES 32

/* tan(pi x) for x in [0, 0.49] from two lull__sin_turns (no libm): the SVF's
 * g for a cutoff of x fs, for coefficients moved inside a render. */
static inline float lull__tan_pi(float x) {
  return lull__sin_turns(0.5f * x) / lull__sin_turns(0.25f - 0.5f * x);
}

/* lull__svf_set without libm (same limits: [10 Hz, 0.49 fs], q > 0.05). */
static inline void lull__svf_set_fast(lull_svf *f, float cutoff_hz, float q) {
  float hi = 0.49f * f->sample_rate_hz;
  cutoff_hz = cutoff_hz > 10.0f ? cutoff_hz : 10.0f;
  cutoff_hz = cutoff_hz < hi ? cutoff_hz : hi;
  q = q > 0.05f ? q : 0.05f;
  float g = lull__tan_pi(cutoff_hz / f->sample_rate_hz);
  f->k = 1.0f / q;
  f->a1 = 1.0f / (1.0f + g * (g + f->k));
  f->a2 = g * f->a1;
  f->a3 = g * f->a2;
}

/* One sample through f (the recurrence of lull__svf_process): *lp the
 * lowpass, *bp the bandpass (unity at its centre). */
static inline void lull__svf_tick(lull_svf *f, float v0, float *lp, float *bp) {
  float v3 = v0 - f->ic2;
  float v1 = f->a1 * f->ic1 + f->a2 * v3;
  float v2 = f->ic2 + f->a2 * f->ic1 + f->a3 * v3;
  f->ic1 = 2.0f * v1 - f->ic1 + LULL_TINY;
  f->ic2 = 2.0f * v2 - f->ic2 + LULL_TINY;
  *lp = v2;
  *bp = f->k * v1;
}

/* 2^x for |x| < 126 without libm: a degree-5 polynomial on the fraction
 * (relative error < 2e-4, 0.3 cent as a pitch ratio). For control rates. */
static inline float lull__exp2_fast(float x) {
  int32_t i = (int32_t)x;
  i -= x < (float)i;
  float f = x - (float)i;
  float p = 1.0f + f * (0.69314718f + f * (0.24022651f + f * (0.05550411f + f * (0.00961813f + f * 0.00133336f))));
  union { float f; uint32_t u; } r = {p};
  r.u += (uint32_t)i << 23;
  return r.f;
}

/* A uniform draw in [0, 1) from n (24 bits). */
static inline float lull__noise_unit(lull_noise *n) {
  (void)lull__noise_next(n);
  return (float)(n->state >> 8) * 0x1p-24f;
}

/* A scalar gate envelope for the palette voices: a linear attack from the
 * level it is at (a retrigger never clicks), hold at 1, an exponential
 * release that falls 60 dB in release_s; idle (level 0) once below -90 dB. */
typedef enum lull_env1_stage { LULL_ENV1_IDLE = 0, LULL_ENV1_ATTACK, LULL_ENV1_HOLD, LULL_ENV1_RELEASE } lull_env1_stage;
typedef struct lull_env1 {
  float level, attack_step, release_coef;
  int stage; /* lull_env1_stage */
} lull_env1;

/* Times in seconds (attack >= 1 frame). Not per sample (libm). */
void lull__env1_set(lull_env1 *e, float attack_s, float release_s, float sample_rate_hz);
static inline void lull__env1_gate_on(lull_env1 *e) { e->stage = LULL_ENV1_ATTACK; }
static inline void lull__env1_gate_off(lull_env1 *e) {
  if (e->stage != LULL_ENV1_IDLE) e->stage = LULL_ENV1_RELEASE;
}
static inline float lull__env1_tick(lull_env1 *e) {
  switch (e->stage) {
    case LULL_ENV1_ATTACK:
      e->level += e->attack_step;
      if (e->level >= 1.0f) e->level = 1.0f, e->stage = LULL_ENV1_HOLD;
      break;
    case LULL_ENV1_RELEASE:
      e->level *= e->release_coef;
      if (e->level < 2.5119e-4f) e->level = 0.0f, e->stage = LULL_ENV1_IDLE; /* -72 dB: 1.2 release times */
      break;
    default: break;
  }
  return e->level;
}

/* ---- tape master stage (tape.c) ---------------------------------------- */

/* Stereo, in place, after the mix: wow (0.53 and 0.89 Hz sines, 0.12 % and
 * 0.08 % peak pitch: +-0.2 % together, irregular as their sum) and flutter
 * (9.3 Hz, 0.04 %; 6.1 Hz, 0.01 %) as a modulated delay around a constant
 * base delay D = 3 ms (the stage's latency), then a head bump (+2 dB near
 * 90 Hz) and HF roll-off (7 kHz, 2 poles), gentle asymmetric saturation
 * (a -10 dBFS sine gets 2.2 % THD, H2 and H3 both near -36 dB; a -16 LUFS
 * program ~1 %), and hiss
 * (-66 dBFS RMS per channel, pink-ish, L and R uncorrelated); all of it
 * scaled by an amount 0..1 that glides linearly (2 s for a full swing).
 * At amount 0 (settled) the output is the input delayed by exactly D frames
 * and costs a ring write and read per sample. */
typedef struct lull_tape lull_tape;
typedef void lull_tape_process_fn(lull_tape *t, float *left, float *right, uint32_t frames);
struct lull_tape {
  lull_tape_process_fn *process; /* the kernel for this CPU, chosen at init */
  float *line[2];
  uint32_t mask, pos, delay_frames;
  float amount, target, step;       /* step: amount per frame of the glide */
  uint32_t wow_phase[4], wow_inc[4]; /* two wow and two flutter sines */
  float wow_depth_frames[4];
  float mod_now, mod_step;           /* their sum (frames), a ramp between control points */
  uint32_t ctl_left;
  lull_svf lp[2], bump[2];
  float bump_gain;
  float drive, bias, bias_out, sat_norm; /* sat(x) = (clip(drive x + bias) - bias_out) * sat_norm */
  lull_dcblock dc[2];
  lull_noise hiss_noise[2];
  float hiss_state[2], hiss_pole, hiss_white, hiss_gain;
  float sample_rate_hz;
};

size_t lull__tape_floats(float sample_rate_hz);
/* mem: lull__tape_floats(fs) floats. Starts at amount 0. Not render-safe. */
void lull__tape_init(lull_tape *t, float *mem, float sample_rate_hz, uint64_t seed);
/* The amount glides there (2 s per unit). Render-safe. */
void lull__tape_set_amount(lull_tape *t, float amount01);
/* Jump to the target now (an engine starting in the tape palette). */
void lull__tape_snap(lull_tape *t);
uint32_t lull__tape_latency_frames(const lull_tape *t);
/* In place, with the kernel for this CPU chosen at init (isa.h). */
lull_tape_process_fn lull__tape_process_generic, lull__tape_process_v3;
static inline void lull__tape_process(lull_tape *t, float *left, float *right, uint32_t frames) {
  t->process(t, left, right, frames);
}

/* ---- textures (texture.c): wind, rain, surf, brush; stereo ------------ */

/* Noise sounds. WIND: noise through a band-pass whose centre wanders (two
 * seeded slow sines) within hz * 2^(+-band_octaves), in gusts of level; its
 * RMS is held to gain * gust whatever the centre. RAIN: drops at density_hz
 * per second (Poisson), each a decaying resonance (1.5-4 ms) at a seeded
 * log-uniform frequency in [lo_hz, hi_hz], panned at random (and 2-6 %
 * higher in the right ear, which decorrelates L and R), over a soft
 * lowpassed noise floor. SURF: lowpassed noise in swells, each period drawn
 * in [swell_min_s, swell_max_s], the cutoff rising lo_hz -> hi_hz with the
 * swell. BRUSH: a hit: noise through a high-pass at lo_hz and a lowpass at
 * hi_hz (4-pole Butterworths) under a 4 ms attack and an exponential decay that
 * reaches -60 dB at length_s, then silence; gate times ignored. Only WIND
 * uses hz. Levels at velocity 1 (measured in test_texture): wind RMS 0.07
 * (0.12 in a full gust, peaks ~0.4), rain RMS 0.045 (peaks 0.42), surf RMS
 * 0.075 (peaks 0.55 at a crest), brush peak 0.34. */
typedef enum lull_texture_kind {
  LULL_TEXTURE_WIND = 0,
  LULL_TEXTURE_RAIN,
  LULL_TEXTURE_SURF,
  LULL_TEXTURE_BRUSH
} lull_texture_kind;

typedef struct lull_texture_patch {
  int kind;                 /* lull_texture_kind */
  float attack_s, release_s;
  float gain;               /* WIND, SURF: RMS at full gust/crest; RAIN: a drop's peak; BRUSH: RMS at the hit's top */
  float band_octaves, q;    /* WIND: the sweep's reach either side of hz, and the band-pass Q */
  float rate_hz;            /* WIND: the sweep's base rate (gusts run ~3x faster) */
  float density_hz;         /* RAIN: drops per second */
  float lo_hz, hi_hz;       /* RAIN: drop frequencies; SURF: cutoff trough..crest; BRUSH: the band */
  float floor;              /* RAIN: the noise floor's RMS */
  float swell_min_s, swell_max_s; /* SURF */
  float length_s;           /* BRUSH: to -60 dB */
} lull_texture_patch;

#define LULL_TEXTURE_DROPS 8

typedef struct lull_texture {
  const lull_texture_patch *patch;
  lull_env1 env;
  float gain, sample_rate_hz;
  lull_noise noise[2], rng;
  lull_svf f[2][4];           /* per channel: [0] band (wind), lowpass (rain floor, surf); brush: hp, hp, lp, lp */
  uint32_t ctl_left;          /* frames to the next control update */
  uint32_t mod_phase[4], mod_inc[4];
  float level, level_step;    /* the slow level, a ramp between control updates */
  float hz, norm_base, centre_hz; /* centre_hz: WIND's band now */
  float span_octaves;         /* log2(hi_hz / lo_hz) */
  float drop_p;               /* RAIN: chance of a drop per frame */
  float drop_y1[2][LULL_TEXTURE_DROPS], drop_y2[2][LULL_TEXTURE_DROPS], drop_c[2][LULL_TEXTURE_DROPS];
  float drop_r2[LULL_TEXTURE_DROPS];
  uint32_t next_drop;
  uint64_t drops;             /* drops started since init (tests) */
  float swell_phase, swell_inc; /* SURF: turns of the current swell, and per control update */
  uint32_t hit_frame, hit_frames; /* BRUSH: frames since the hit, and its length */
} lull_texture;

extern const lull_texture_patch lull__texture_wind, lull__texture_rain, lull__texture_surf, lull__texture_brush;

void lull__texture_init(lull_texture *v, float sample_rate_hz);
void lull__texture_start(lull_texture *v, const lull_texture_patch *patch, float hz, float velocity, uint64_t seed);
void lull__texture_release(lull_texture *v);
/* The render for this CPU is the pool's (isa.h); lull__texture_render is the generic one. */
typedef void lull_texture_render_fn(lull_texture *v, float *out_l, float *out_r, uint32_t frames);
lull_texture_render_fn lull__texture_render_generic, lull__texture_render_v3;
static inline void lull__texture_render(lull_texture *v, float *out_l, float *out_r, uint32_t frames) {
  lull__texture_render_generic(v, out_l, out_r, frames);
}
int lull__texture_active(const lull_texture *v);
float lull__texture_level(const lull_texture *v);

/* ---- ensemble strings voice and BBD ensemble chorus (ensemble.c) ------- */

/* A string-machine note: 2-3 band-limited saws detuned +-detune_cents (a
 * third at 0) and a square at pulse_mix, at hz * pitch_ratio, through a
 * lowpass at (cutoff_hz + cutoff_track hz) that opens from 40 % to 100 %
 * with the envelope; vibrato fades in over vibrato_delay_s (rate and phase
 * seeded, +-10 %). At velocity 1 an A4 of strings_ensemble peaks at 0.36,
 * RMS 0.14 (test_ensemble). */
typedef struct lull_strings_patch {
  float attack_s, release_s; /* release: to -60 dB */
  int saws;                  /* 2 or 3 */
  float detune_cents, pulse_mix, pitch_ratio;
  float cutoff_hz, cutoff_track, q;
  float vibrato_hz, vibrato_cents, vibrato_delay_s;
  float gain;
} lull_strings_patch;

typedef struct lull_strings {
  const lull_strings_patch *patch;
  const float *data;       /* the wavetable's */
  uint32_t table[4], phase[4], inc[4]; /* saws 0..2, the square 3 */
  float inc_base[4];
  int saws;
  lull_env1 env;
  lull_svf lp;
  uint32_t ctl_left, vib_phase, vib_inc;
  float vib_cents, vib_cents_step, gain, cutoff_hz, sample_rate_hz;
  float lp_level; /* the envelope level lp was last set for */
} lull_strings;

extern const lull_strings_patch lull__strings_ensemble, lull__strings_low, lull__strings_drone;

void lull__strings_init(lull_strings *v, float sample_rate_hz);
void lull__strings_start(lull_strings *v, const lull_strings_patch *patch, const lull_wavetable *wt, float hz,
                         float velocity, uint64_t seed);
void lull__strings_release(lull_strings *v);
void lull__strings_render(lull_strings *v, float *out, uint32_t frames);
/* count (<= 4) voices at once into out[0..count-1], each exactly as
 * lull__strings_render gives it (the v3 kernel: as its FMA rounds), in
 * about the time of one. Pick the kernel with lull__strings_render_n_fn. */
typedef void lull_strings_render_n_fn(lull_strings *const *voice, int count, float *const *out, uint32_t frames);
lull_strings_render_n_fn lull__strings_render_n_generic;
lull_strings_render_n_fn lull__strings_render_n_v3;
/* Its slow parts, every LULL_PAL_CTL_FRAMES (the kernel's). */
void lull__strings_control(lull_strings *v);
int lull__strings_active(const lull_strings *v);
float lull__strings_level(const lull_strings *v);

/* Solina-style ensemble: three taps of one delay line (7.8, 4.9, 9.2 ms,
 * each +- 1.5 ms at 0.6 Hz and +- 0.12 ms at 6 Hz, times depth), the three
 * taps' LFOs 120 degrees apart; tap 0 left, 1 centre (0.55 each side), 2
 * right; the wet lowpassed at 9 kHz (BBD darkness). Below 200 Hz the input
 * passes dry and mono; above, dry and wet cross-fade at equal power with
 * depth (depth 1 keeps 38 % dry), so a sine keeps its level (+-1.5 dB).
 * Mono in, stereo added to the outputs. */
#define LULL_ENSEMBLE_TAPS 3
typedef struct lull_ensemble {
  float *line;
  uint32_t mask, pos, ctl_left;
  uint32_t slow_phase, slow_inc, fast_phase, fast_inc;
  float base_frames[LULL_ENSEMBLE_TAPS], slow_frames, fast_frames;
  float tap_frames[LULL_ENSEMBLE_TAPS], tap_step[LULL_ENSEMBLE_TAPS]; /* the delay of each tap now (a test hook too) */
  float depth, target, glide_coef;
  float dry, dry_step, wet, wet_step;
  lull_svf lp[2], bass;
  float sample_rate_hz;
} lull_ensemble;

size_t lull__ensemble_floats(float sample_rate_hz);
void lull__ensemble_init(lull_ensemble *e, float *mem, float sample_rate_hz);
/* Depth 0..1 (starts at 1); glides over ~100 ms. Render-safe. */
void lull__ensemble_set_depth(lull_ensemble *e, float depth01);
/* Adds dry + wet of in to out_l and out_r. */
void lull__ensemble_process(lull_ensemble *e, const float *in, float *out_l, float *out_r, uint32_t frames);

/* ---- formant filter and choir voice (formant.c) ------------------------ */

/* Three parallel band-passes (SVF, unity at centre, Q = F / bandwidth) at a
 * vowel's F1..F3 with the formants' relative levels, from the tenor and
 * soprano tables of the Csound manual's "Formant Values" appendix. Vowel
 * 0..4 = a e i o u, continuous: frequencies, bandwidths and levels (in dB)
 * interpolate between neighbours. Gain-normalised: a saw keeps about the
 * same RMS whatever the vowel (the vowel "a" has unity gain at F1). */
typedef enum lull_formant_voice { LULL_FORMANT_TENOR = 0, LULL_FORMANT_SOPRANO } lull_formant_voice;
#define LULL_FORMANTS 3
typedef struct lull_formant {
  lull_svf bp[LULL_FORMANTS];
  float gain[LULL_FORMANTS];
  float norm[5]; /* per vowel: the voice's gain normalisation */
  int voice;     /* lull_formant_voice */
  float vowel, sample_rate_hz;
} lull_formant;

void lull__formant_init(lull_formant *f, float sample_rate_hz); /* tenor, vowel a */
/* Takes effect at the next set_vowel; not per sample (libm). */
void lull__formant_set_voice(lull_formant *f, int voice);
/* Render-safe (no libm); moves coefficients without clearing state. */
void lull__formant_set_vowel(lull_formant *f, float vowel);
/* Any two vowels (0..4) blended, t 0..1: the choir's drift u - o - a. */
void lull__formant_set_blend(lull_formant *f, int vowel_a, int vowel_b, float t);
void lull__formant_process(lull_formant *f, float *out, const float *in, uint32_t frames);

/* A choir note: three band-limited saws (+-detune_cents and 0), each with
 * its own slight vibrato (seeded rate 4.5-6 Hz, vibrato_cents), through the
 * formant filter, whose vowel drifts (two seeded slow sines) along the path
 * u (0) - o (1) - a (2) within [vowel_lo, vowel_hi]; voice by pitch (tenor
 * below 300 Hz, soprano above) unless the patch says. At velocity 1 an A3
 * peaks ~0.35 (choir_ooh RMS 0.10, choir_aah RMS 0.07: its open vowel is
 * peakier) (test_formant). */
typedef struct lull_choir_patch {
  float attack_s, release_s;
  float detune_cents, vibrato_cents;
  float vowel_lo, vowel_hi, drift_hz; /* on the path u 0 - o 1 - a 2 */
  int voice;                          /* lull_formant_voice, or -1: by pitch */
  float gain;
} lull_choir_patch;

typedef struct lull_choir {
  const lull_choir_patch *patch;
  const float *data;
  uint32_t table[3], phase[3], inc[3], vib_phase[3], vib_inc[3];
  float inc_base[3];
  uint32_t drift_phase[2], drift_inc[2];
  float vowel_pos;  /* on the u - o - a path now (a test hook too) */
  lull_env1 env;
  lull_formant formant;
  uint32_t ctl_left;
  float gain, sample_rate_hz;
} lull_choir;

extern const lull_choir_patch lull__choir_ooh, lull__choir_aah;

void lull__choir_init(lull_choir *v, float sample_rate_hz);
void lull__choir_start(lull_choir *v, const lull_choir_patch *patch, const lull_wavetable *wt, float hz, float velocity,
                       uint64_t seed);
void lull__choir_release(lull_choir *v);
void lull__choir_render(lull_choir *v, float *out, uint32_t frames);
int lull__choir_active(const lull_choir *v);
float lull__choir_level(const lull_choir *v);

/* ---- granular voice (grain.c): stereo --------------------------------- */

/* What grains read: a power-of-two ring of the station's own recent output
 * (mask = size - 1; written = the absolute frame index of the next write,
 * which the engine makes after the voices render, so it is the block's
 * first frame and the ring does not move during a render call), or, with
 * written == LULL_GRAIN_CYCLE, one cycle of a periodic wave (mask + 1
 * samples) read anywhere. */
typedef struct lull_grain_source {
  const float *data;
  uint32_t mask;
  uint64_t written;
} lull_grain_source;
#define LULL_GRAIN_CYCLE UINT64_MAX

/* Grains with Hann windows of a seeded length in [grain_min_s, grain_max_s]
 * at density_hz per second (onsets jittered 0.5-1.5 x the mean interval),
 * each with a seeded pan within spread and pitch within +-jitter_cents.
 * Pitch: a ring is read at ratio * hz / ref_hz times its speed (ref_hz 0:
 * ratio alone), each grain starting a seeded lag_min_s..lag_max_s behind
 * the frame it starts at (plus what a faster read would catch up); a cycle
 * is played at ratio * hz. Grains read only between 0.1 s and size - 1
 * frames behind `written` (a grain that would leave that window is cut);
 * output is split-invariant while render calls stay shorter than
 * lag_min_s - 0.1 s (the engine's blocks are far shorter). Level at
 * velocity 1 (test_grain): a sine ring of RMS 0.35 gives RMS 0.20 with
 * either preset (gain 0.8; overlap is normalised), peaks 0.6 (shimmer) to
 * 0.8 (cloud): about 0.57 x the source's RMS. */
typedef struct lull_grains_patch {
  float attack_s, release_s;
  float density_hz, grain_min_s, grain_max_s;
  float ratio, ref_hz, jitter_cents;
  float lag_min_s, lag_max_s;
  float spread, gain;
} lull_grains_patch;

#define LULL_GRAINS_MAX 16
typedef struct lull_grain {
  uint64_t pos, step; /* 32.32 fixed point, frames (mod 2^32) */
  uint32_t age, len;  /* len 0: free */
  float gl, gr;
  float k2, c, c1;    /* the window's cosine by recurrence: c' = k2 c - c1, k2 = 2 cos(2 pi / len) */
} lull_grain;

typedef struct lull_grains {
  const lull_grains_patch *patch;
  lull_env1 env;
  lull_noise rng;
  lull_grain grain[LULL_GRAINS_MAX];
  uint32_t live;        /* bit k: grain k sounds */
  uint32_t next_onset;  /* frames to the next grain */
  uint64_t started, cut; /* grains started, and cut at the window's edge (tests) */
  float hz, gain, sample_rate_hz;
} lull_grains;

extern const lull_grains_patch lull__grains_shimmer, lull__grains_cloud;

void lull__grains_init(lull_grains *g, float sample_rate_hz);
void lull__grains_start(lull_grains *g, const lull_grains_patch *patch, float hz, float velocity, uint64_t seed);
void lull__grains_release(lull_grains *g);
/* The render for this CPU is the pool's (isa.h); lull__grains_render is the generic one. */
typedef void lull_grains_render_fn(lull_grains *g, const lull_grain_source *src, float *out_l, float *out_r,
                                   uint32_t frames);
lull_grains_render_fn lull__grains_render_generic, lull__grains_render_v3;
/* The kernels' next grain (now: the absolute frame). */
void lull__grains_spawn(lull_grains *g, const lull_grain_source *src, uint64_t now);
static inline void lull__grains_render(lull_grains *g, const lull_grain_source *src, float *out_l, float *out_r,
                                       uint32_t frames) {
  lull__grains_render_generic(g, src, out_l, out_r, frames);
}
int lull__grains_active(const lull_grains *g);
float lull__grains_level(const lull_grains *g);

#endif
