/* Lookahead peak limiter, stereo-linked. For each frame the gain a peak needs
 * is ceiling/|x|; a sliding-window minimum over the lookahead (monotonic
 * queue, O(1) amortised) holds it, released exponentially; a box average of
 * the same length smooths the attack. A peak at frame p needs gain r_p; every
 * held value in [p, p+L-1] is <= r_p, so their average at p+L-1, when x[p]
 * leaves the delay line, is <= r_p as well: the ceiling is never passed. */
#include <math.h>
#include <string.h>

#include "dsp/dsp.h"
#include "dsp/isa.h"

#define RING (LULL_LIMITER_MAX_LOOKAHEAD)
#define RING_MASK (RING - 1)
_Static_assert((RING & (RING - 1)) == 0, "limiter ring must be a power of two");

#ifndef LULL_ISA_SUFFIX /* the generic build only: the v3 one has just the processing */
void lull__limiter_init(lull_limiter *l, float ceiling_db, float lookahead_ms, float release_ms,
                        float sample_rate_hz) {
  l->ceiling = powf(10.0f, ceiling_db / 20.0f);
  float look = roundf(lookahead_ms * 0.001f * sample_rate_hz);
  if (look < 1) look = 1;
  if (look > RING - 1) look = RING - 1;
  l->look = (uint32_t)look;
  l->release_coef = expf(-1.0f / (release_ms * 0.001f * sample_rate_hz));
  l->process = lull__limiter_process_generic;
#if LULL_HAVE_V3
  if (lull__isa_v3()) l->process = lull__limiter_process_v3;
#endif
  lull__limiter_reset(l);
}

void lull__limiter_reset(lull_limiter *l) {
  memset(l->dl, 0, sizeof l->dl);
  memset(l->dr, 0, sizeof l->dr);
  for (int i = 0; i < RING; i++) l->hold[i] = 1.0f;
  l->qhead = l->qlen = 0;
  l->t = 0;
  l->box_sum = (double)l->look;
  l->env = 1.0f;
  l->calm = 0;
  l->min_gain = 1.0f;
}

uint32_t lull__limiter_latency(const lull_limiter *l) { return l->look - 1; }
#endif

static inline float maxf(float a, float b) { return a > b ? a : b; }
static inline float minf(float a, float b) { return a < b ? a : b; }
static inline float absf(float a) { return a < 0 ? -a : a; }

static void ring_put(float *ring, uint64_t t, const float *src, size_t n) {
  size_t at = (size_t)(t & RING_MASK), first = n < RING - at ? n : RING - at;
  lull__copy_floats(ring + at, src, first);
  lull__copy_floats(ring, src + first, n - first);
}

static void ring_get(const float *ring, uint64_t t, float *dst, size_t n) {
  size_t at = (size_t)(t & RING_MASK), first = n < RING - at ? n : RING - at;
  lull__copy_floats(dst, ring + at, first);
  lull__copy_floats(dst + first, ring, n - first);
}

/* |x| of eight samples (a NaN stays a NaN). */
static inline v8f abs8(const float *x) {
  const v8i abs_mask = {INT32_MAX, INT32_MAX, INT32_MAX, INT32_MAX, INT32_MAX, INT32_MAX, INT32_MAX, INT32_MAX};
  v8f a;
  memcpy(&a, x, sizeof a);
  return (v8f)((v8i)a & abs_mask);
}

/* n frames (at most RING - look) through the delay line, in place: written
 * whole, then read whole, since no slot the run reads is overwritten first. */
static void delay_run(lull_limiter *l, float *left, float *right, size_t n) {
  const uint32_t delay = l->look - 1;
  ring_put(l->dl, l->t, left, n);
  ring_put(l->dr, l->t, right, n);
  ring_get(l->dl, l->t - delay, left, n);
  ring_get(l->dr, l->t - delay, right, n);
  l->t += n;
}

/* When the gain has been exactly 1 for a whole window and no sample of the
 * block needs less, every held value is 1 and the queue holds only 1s: the
 * output is the input, delayed. This is the usual case. */
static int pass_through(lull_limiter *l, float *left, float *right, size_t frames) {
  if (l->calm < l->look) return 0;
  const float c = l->ceiling;
  /* The block's peak, eight frames at a time (vector compares: float
   * ternaries are not if-converted under -ftrapping-math). */
  v8f peak8 = v8f_set1(0);
  size_t n = 0;
  for (; n + 8 <= frames; n += 8) {
    v8f a = abs8(left + n), b = abs8(right + n);
    peak8 = v8f_select(a > peak8, a, peak8);
    peak8 = v8f_select(b > peak8, b, peak8);
  }
  float peak = 0;
  for (int j = 0; j < 8; j++) peak = maxf(peak, peak8[j]);
  for (; n < frames; n++) peak = maxf(peak, maxf(absf(left[n]), absf(right[n])));
  if (!(peak <= c)) return 0; /* also a NaN goes the careful way */
  const size_t most = RING - l->look;
  for (size_t done = 0; done < frames;) {
    size_t run = frames - done < most ? frames - done : most;
    delay_run(l, left + done, right + done, run);
    done += run;
  }
  l->qhead = 0;
  l->qlen = 1;
  l->qv[0] = 1.0f;
  l->qt[0] = l->t - 1;
  l->box_sum = (double)l->look;
  l->calm += (uint32_t)frames;
  if (l->calm > (1u << 30)) l->calm = 1u << 30;
  return 1;
}

/* The careful path in three passes over runs of up to RUN frames: the gain
 * each frame needs (vectors), the window minimum, release and box average
 * (the only chain from frame to frame, scalar), then the delay line and the
 * gain (block copies and vectors). Each frame sees the operations of a
 * frame-by-frame loop in their order, so the output is the same bit for bit;
 * only the serial pass is left serial. */
#define RUN 128

static void needs(float c, const float *left, const float *right, float *need, size_t n) {
  const v8f cv = v8f_set1(c), one = v8f_set1(1.0f);
  size_t k = 0;
  for (; k + 8 <= n; k += 8) {
    v8f a = abs8(left + k), b = abs8(right + k);
    v8f peak = v8f_select(a > b, a, b); /* maxf: a NaN left takes the right, as there */
    v8i over = peak > cv;
    v8f r = v8f_select(over, cv / v8f_select(over, peak, one), one); /* no 0/0 in a quiet lane */
    memcpy(need + k, &r, sizeof r);
  }
  for (; k < n; k++) {
    float peak = maxf(absf(left[k]), absf(right[k]));
    need[k] = peak > c ? c / peak : 1.0f;
  }
}

static void gains(lull_limiter *l, const float *need, float *gain, size_t n) {
  const uint32_t look = l->look;
  const float inv_look = 1.0f / (float)look, coef = l->release_coef;
  uint64_t t = l->t;
  uint32_t qhead = l->qhead, qlen = l->qlen, calm = l->calm;
  float env = l->env, min_gain = l->min_gain;
  double box_sum = l->box_sum;
  for (size_t k = 0; k < n; k++, t++) {
    float nd = need[k];
    /* Window minimum: the queue's values rise from head to tail. */
    while (qlen && l->qv[(qhead + qlen - 1) & RING_MASK] >= nd) qlen--;
    uint32_t back = (qhead + qlen) & RING_MASK;
    l->qv[back] = nd;
    l->qt[back] = t;
    qlen++;
    while (l->qt[qhead] + look <= t) {
      qhead = (qhead + 1) & RING_MASK;
      qlen--;
    }
    float wmin = l->qv[qhead];
    env = wmin < env ? wmin : wmin + (env - wmin) * coef;
    box_sum += (double)env - (double)l->hold[(t - look) & RING_MASK];
    l->hold[t & RING_MASK] = env;
    calm = (env == 1.0f && nd == 1.0f) ? calm + 1 : 0;
    float g = minf((float)box_sum * inv_look, 1.0f);
    if (g < min_gain) min_gain = g;
    gain[k] = g;
  }
  l->qhead = qhead, l->qlen = qlen, l->calm = calm;
  l->env = env, l->min_gain = min_gain, l->box_sum = box_sum;
}

/* x (in place) through the delay line, times the gain, clamped to the
 * ceiling; n <= RING - look. */
static void apply(lull_limiter *l, float *left, float *right, const float *gain, size_t n) {
  const float c = l->ceiling;
  delay_run(l, left, right, n);
  const v8f hi = v8f_set1(c), lo = v8f_set1(-c);
  size_t k = 0;
  for (; k + 8 <= n; k += 8)
    for (int ch = 0; ch < 2; ch++) {
      float *p = ch ? right + k : left + k;
      v8f y, g;
      memcpy(&y, p, sizeof y);
      memcpy(&g, gain + k, sizeof g);
      y *= g;
      y = v8f_select(y > lo, y, lo); /* maxf, then minf: a NaN goes to -c, as there */
      y = v8f_select(y < hi, y, hi);
      memcpy(p, &y, sizeof y);
    }
  for (; k < n; k++) {
    left[k] = minf(maxf(left[k] * gain[k], -c), c);
    right[k] = minf(maxf(right[k] * gain[k], -c), c);
  }
}

void LULL_ISA_NAME(lull__limiter_process)(lull_limiter *l, float *left, float *right, size_t frames) {
  if (pass_through(l, left, right, frames)) {
    LULL_ISA_LEAVE();
    return;
  }
  const size_t most = RING - l->look < RUN ? RING - l->look : RUN;
  for (size_t done = 0; done < frames;) {
    size_t n = frames - done < most ? frames - done : most;
    float need[RUN], gain[RUN];
    needs(l->ceiling, left + done, right + done, need, n);
    gains(l, need, gain, n);
    apply(l, left + done, right + done, gain, n);
    done += n;
  }
  LULL_ISA_LEAVE();
}
