/* State-variable filter, trapezoidal (TPT) form after Zavalishin ("The Art of
 * VA Filter Design") and Simper ("SvfLinearTrapOptimised2"):
 *   g = tan(pi fc / fs), k = 1/Q, a1 = 1/(1 + g(g + k)), a2 = g a1, a3 = g a2.
 * Unconditionally stable for any fc below Nyquist, so the cutoff may move
 * every block. */
#include <math.h>

#include "dsp/dsp.h"

static void coefs(float cutoff_hz, float q, float sample_rate_hz, float *a1, float *a2, float *a3, float *k) {
  float lo = 10.0f, hi = 0.49f * sample_rate_hz;
  if (!(cutoff_hz > lo)) cutoff_hz = lo; /* also catches NaN */
  if (cutoff_hz > hi) cutoff_hz = hi;
  if (!(q > 0.05f)) q = 0.05f;
  float g = tanf((float)M_PI * cutoff_hz / sample_rate_hz);
  *k = 1.0f / q;
  *a1 = 1.0f / (1.0f + g * (g + *k));
  *a2 = g * *a1;
  *a3 = g * *a2;
}

void lull__svf_init(lull_svf *f, float sample_rate_hz) {
  f->sample_rate_hz = sample_rate_hz;
  lull__svf_reset(f);
  lull__svf_set(f, 1000.0f, 0.7071f);
}

void lull__svf_reset(lull_svf *f) { f->ic1 = f->ic2 = 0; }

void lull__svf_set(lull_svf *f, float cutoff_hz, float q) {
  coefs(cutoff_hz, q, f->sample_rate_hz, &f->a1, &f->a2, &f->a3, &f->k);
}

void lull__svf_process(lull_svf *f, lull_svf_mode mode, float *out, const float *in, size_t frames) {
  float ic1 = f->ic1, ic2 = f->ic2;
  const float a1 = f->a1, a2 = f->a2, a3 = f->a3, k = f->k;
  for (size_t i = 0; i < frames; i++) {
    float v0 = in[i];
    float v3 = v0 - ic2;
    float v1 = a1 * ic1 + a2 * v3;
    float v2 = ic2 + a2 * ic1 + a3 * v3;
    ic1 = 2.0f * v1 - ic1;
    ic2 = 2.0f * v2 - ic2;
    out[i] = mode == LULL_SVF_LOWPASS ? v2 : mode == LULL_SVF_BANDPASS ? k * v1 : v0 - k * v1 - v2;
  }
  /* Keep the integrators out of the denormal range when the input stops. */
  f->ic1 = ic1;
  f->ic2 = ic2;
  if (fabsf(f->ic1) < 1e-15f) f->ic1 = 0;
  if (fabsf(f->ic2) < 1e-15f) f->ic2 = 0;
}

void lull__svf8_init(lull_svf8 *f, float sample_rate_hz) {
  f->sample_rate_hz = sample_rate_hz;
  for (int j = 0; j < LULL_LANES; j++) {
    lull__svf8_reset_lane(f, j);
    lull__svf8_set_lane(f, j, 1000.0f, 0.7071f);
  }
}

void lull__svf8_reset_lane(lull_svf8 *f, int lane) {
  f->ic1[lane] = 0;
  f->ic2[lane] = 0;
}

lull_svf_coefs lull__svf_coefs(float cutoff_hz, float q, float sample_rate_hz) {
  lull_svf_coefs c;
  coefs(cutoff_hz, q, sample_rate_hz, &c.a1, &c.a2, &c.a3, &c.k);
  return c;
}

void lull__svf8_set_lane(lull_svf8 *f, int lane, float cutoff_hz, float q) {
  lull__svf8_put_lane(f, lane, lull__svf_coefs(cutoff_hz, q, f->sample_rate_hz));
}
