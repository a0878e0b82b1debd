/* Lookahead peak limiter, stereo-linked. For each frame the gain a peak needs
 * is ceiling/|x|; a sliding-window minimum over the lookahead (monotonic
 * queue, O(1) amortised) holds it, released exponentially; a box average of
 * the same length smooths the attack. A peak at frame p needs gain r_p; every
 * held value in [p, p+L-1] is <= r_p, so their average at p+L-1, when x[p]
 * leaves the delay line, is <= r_p as well: the ceiling is never passed. */
#include <math.h>
#include <string.h>

#include "dsp/dsp.h"

#define RING (LULL_LIMITER_MAX_LOOKAHEAD)
#define RING_MASK (RING - 1)
_Static_assert((RING & (RING - 1)) == 0, "limiter ring must be a power of two");

void lull__limiter_init(lull_limiter *l, float ceiling_db, float lookahead_ms, float release_ms,
                        float sample_rate_hz) {
  l->ceiling = powf(10.0f, ceiling_db / 20.0f);
  float look = roundf(lookahead_ms * 0.001f * sample_rate_hz);
  if (look < 1) look = 1;
  if (look > RING - 1) look = RING - 1;
  l->look = (uint32_t)look;
  l->release_coef = expf(-1.0f / (release_ms * 0.001f * sample_rate_hz));
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

/* When the gain has been exactly 1 for a whole window and no sample of the
 * block needs less, every held value is 1 and the queue holds only 1s: the
 * output is the input, delayed. This is the usual case. */
static int pass_through(lull_limiter *l, float *left, float *right, size_t frames) {
  if (l->calm < l->look) return 0;
  const float c = l->ceiling;
  /* The block's peak, eight frames at a time (vector compares: float
   * ternaries are not if-converted under -ftrapping-math). */
  const v8i abs_mask = {INT32_MAX, INT32_MAX, INT32_MAX, INT32_MAX, INT32_MAX, INT32_MAX, INT32_MAX, INT32_MAX};
  v8f peak8 = v8f_set1(0);
  size_t n = 0;
  for (; n + 8 <= frames; n += 8) {
    v8f a, b;
    memcpy(&a, left + n, sizeof a);
    memcpy(&b, right + n, sizeof b);
    a = (v8f)((v8i)a & abs_mask);
    b = (v8f)((v8i)b & abs_mask);
    peak8 = v8f_select(a > peak8, a, peak8);
    peak8 = v8f_select(b > peak8, b, peak8);
  }
  float peak = 0;
  for (int j = 0; j < 8; j++) peak = maxf(peak, peak8[j]);
  for (; n < frames; n++) peak = maxf(peak, maxf(absf(left[n]), absf(right[n])));
  if (!(peak <= c)) return 0; /* also a NaN goes the careful way */
  /* Through the delay line in blocks of at most RING - look frames, each
   * in at most two contiguous runs (the ring's wrap). */
  const uint32_t delay = l->look - 1;
  const size_t most = RING - l->look;
  for (size_t done = 0; done < frames;) {
    size_t run = frames - done < most ? frames - done : most;
    ring_put(l->dl, l->t, left + done, run);
    ring_put(l->dr, l->t, right + done, run);
    ring_get(l->dl, l->t - delay, left + done, run);
    ring_get(l->dr, l->t - delay, right + done, run);
    l->t += run;
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

void lull__limiter_process(lull_limiter *l, float *left, float *right, size_t frames) {
  if (pass_through(l, left, right, frames)) return;
  const float c = l->ceiling;
  const uint32_t look = l->look;
  const float inv_look = 1.0f / (float)look;
  for (size_t n = 0; n < frames; n++) {
    uint64_t t = l->t++;
    float xl = left[n], xr = right[n];
    float peak = maxf(absf(xl), absf(xr));
    float need = peak > c ? c / peak : 1.0f;
    /* Window minimum: the queue's values rise from head to tail. */
    while (l->qlen && l->qv[(l->qhead + l->qlen - 1) & RING_MASK] >= need) l->qlen--;
    uint32_t back = (l->qhead + l->qlen) & RING_MASK;
    l->qv[back] = need;
    l->qt[back] = t;
    l->qlen++;
    while (l->qt[l->qhead] + look <= t) {
      l->qhead = (l->qhead + 1) & RING_MASK;
      l->qlen--;
    }
    float wmin = l->qv[l->qhead];
    l->env = wmin < l->env ? wmin : wmin + (l->env - wmin) * l->release_coef;
    l->box_sum += (double)l->env - (double)l->hold[(t - look) & RING_MASK];
    l->hold[t & RING_MASK] = l->env;
    l->calm = (l->env == 1.0f && need == 1.0f) ? l->calm + 1 : 0;
    float g = minf((float)l->box_sum * inv_look, 1.0f);
    if (g < l->min_gain) l->min_gain = g;
    l->dl[t & RING_MASK] = xl;
    l->dr[t & RING_MASK] = xr;
    float yl = l->dl[(t - (look - 1)) & RING_MASK] * g;
    float yr = l->dr[(t - (look - 1)) & RING_MASK] * g;
    left[n] = minf(maxf(yl, -c), c);
    right[n] = minf(maxf(yr, -c), c);
  }
}
