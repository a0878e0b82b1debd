/* Test-side signal analysis (double precision, allocation allowed). */
#include <complex.h>
#include <math.h>
#include <stdlib.h>

#include "support/signal.h"

static void fft(double complex *a, size_t n) {
  for (size_t i = 1, j = 0; i < n; i++) {
    size_t bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      double complex t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }
  for (size_t len = 2; len <= n; len <<= 1) {
    double ang = -2.0 * M_PI / (double)len;
    double complex wl = CMPLX(cos(ang), sin(ang));
    for (size_t i = 0; i < n; i += len) {
      double complex w = 1;
      for (size_t k = 0; k < len / 2; k++) {
        double complex u = a[i + k], v = a[i + k + len / 2] * w;
        a[i + k] = u + v;
        a[i + k + len / 2] = u - v;
        w *= wl;
      }
    }
  }
}

double *sig_window(size_t n) {
  double *w = malloc(sizeof *w * n);
  for (size_t i = 0; i < n; i++) {
    double t = 2.0 * M_PI * (double)i / (double)(n - 1);
    w[i] = 0.35875 - 0.48829 * cos(t) + 0.14128 * cos(2 * t) - 0.01168 * cos(3 * t);
  }
  return w;
}

void sig_spectrum_into(const float *x, size_t n, size_t stride, const double *window, double *mag) {
  double complex *a = malloc(sizeof *a * n);
  double wsum = 0;
  for (size_t i = 0; i < n; i++) {
    wsum += window[i];
    a[i] = (double)x[i * stride] * window[i];
  }
  fft(a, n);
  /* Scaled so a full-scale sine reads 1 at its peak bin. */
  for (size_t i = 0; i <= n / 2; i++) mag[i] = 2.0 * cabs(a[i]) / wsum;
  free(a);
}

double *sig_spectrum(const float *x, size_t n, size_t stride) {
  double *w = sig_window(n), *mag = malloc(sizeof *mag * (n / 2 + 1));
  sig_spectrum_into(x, n, stride, w, mag);
  free(w);
  return mag;
}

double sig_peak_hz(const double *spec, size_t n, double rate, double lo_hz, double hi_hz, double *mag) {
  size_t lo = (size_t)(lo_hz * (double)n / rate), hi = (size_t)(hi_hz * (double)n / rate + 1);
  if (lo < 1) lo = 1;
  if (hi > n / 2 - 1) hi = n / 2 - 1;
  size_t best = lo;
  for (size_t i = lo; i <= hi; i++)
    if (spec[i] > spec[best]) best = i;
  double a = log(spec[best - 1] + 1e-30), b = log(spec[best] + 1e-30), c = log(spec[best + 1] + 1e-30);
  double d = (a - 2 * b + c) != 0 ? 0.5 * (a - c) / (a - 2 * b + c) : 0;
  if (mag) *mag = spec[best];
  return ((double)best + d) * rate / (double)n;
}

double sig_zero_cross_hz(const float *x, size_t n, size_t stride, double rate) {
  double first = -1, last = -1;
  size_t count = 0;
  for (size_t i = 1; i < n; i++) {
    double a = x[(i - 1) * stride], b = x[i * stride];
    if (a < 0 && b >= 0) {
      double t = (double)(i - 1) + a / (a - b);
      if (first < 0) first = t;
      last = t;
      count++;
    }
  }
  return count > 1 ? (double)(count - 1) * rate / (last - first) : 0;
}

double sig_rms(const float *x, size_t n, size_t stride) {
  double s = 0;
  for (size_t i = 0; i < n; i++) s += (double)x[i * stride] * (double)x[i * stride];
  return n ? sqrt(s / (double)n) : 0;
}

double sig_peak(const float *x, size_t n, size_t stride) {
  double p = 0;
  for (size_t i = 0; i < n; i++) p = fmax(p, fabs((double)x[i * stride]));
  return p;
}

double sig_mean(const float *x, size_t n, size_t stride) {
  double s = 0;
  for (size_t i = 0; i < n; i++) s += (double)x[i * stride];
  return n ? s / (double)n : 0;
}

size_t sig_nonfinite(const float *x, size_t n) {
  size_t c = 0;
  for (size_t i = 0; i < n; i++) c += !isfinite(x[i]);
  return c;
}

double sig_db(double ratio) { return 20.0 * log10(ratio + 1e-30); }

double sig_period_hz(const float *x, size_t n, size_t stride, double rate, double lo_hz, double hi_hz) {
  size_t lag_lo = (size_t)floor(rate / hi_hz), lag_hi = (size_t)ceil(rate / lo_hz);
  if (lag_hi + 2 >= n) return 0;
  size_t m = n - lag_hi - 1; /* the same count of products for every lag */
  double best = -1e300, r[3] = {0};
  size_t best_lag = lag_lo;
  for (size_t lag = lag_lo; lag <= lag_hi; lag++) {
    double dot = 0, ea = 0, eb = 0;
    for (size_t i = 0; i < m; i++) {
      double a = x[i * stride], b = x[(i + lag) * stride];
      dot += a * b, ea += a * a, eb += b * b;
    }
    double c = dot / sqrt(ea * eb + 1e-300);
    if (c > best) best = c, best_lag = lag;
  }
  /* Parabolic refinement over the neighbouring lags. */
  for (int k = -1; k <= 1; k++) {
    size_t lag = best_lag + (size_t)k;
    double dot = 0, ea = 0, eb = 0;
    for (size_t i = 0; i < m; i++) {
      double a = x[i * stride], b = x[(i + lag) * stride];
      dot += a * b, ea += a * a, eb += b * b;
    }
    r[k + 1] = dot / sqrt(ea * eb + 1e-300);
  }
  double den = r[0] - 2 * r[1] + r[2], shift = den != 0 ? 0.5 * (r[0] - r[2]) / den : 0;
  return rate / ((double)best_lag + shift);
}

double sig_band_energy(const double *spec, size_t n, double rate, double lo_hz, double hi_hz) {
  double e = 0;
  for (size_t i = 1; i < n / 2; i++) {
    double f = (double)i * rate / (double)n;
    if (f >= lo_hz && f < hi_hz) e += spec[i] * spec[i];
  }
  return e;
}

static double mel_of(double hz) { return 2595.0 * log10(1.0 + hz / 700.0); }

void sig_mfcc(const double *spec, size_t n, double rate, size_t bands, double lo_hz, double hi_hz, double range_db,
              size_t coefs, double *out) {
  double *e = calloc(bands, sizeof *e);
  /* Band b peaks at mel lo + (b + 1) step and reaches zero at its
   * neighbours' peaks: each bin feeds the two bands it lies between. */
  double mlo = mel_of(lo_hz), step = (mel_of(hi_hz) - mlo) / (double)(bands + 1);
  for (size_t i = 1; i <= n / 2; i++) {
    double f = (double)i * rate / (double)n;
    if (f <= lo_hz || f >= hi_hz) continue;
    double u = (mel_of(f) - mlo) / step, p = spec[i] * spec[i];
    size_t j = (size_t)u;
    double frac = u - (double)j;
    if (j >= 1 && j <= bands) e[j - 1] += (1.0 - frac) * p;
    if (j < bands) e[j] += frac * p;
  }
  double top = 0;
  for (size_t b = 0; b < bands; b++) top = fmax(top, e[b]);
  for (size_t b = 0; b < bands; b++) e[b] = 10.0 * log10(fmax(e[b], top * pow(10.0, -range_db / 10.0)) + 1e-30);
  for (size_t k = 0; k < coefs; k++) {
    double c = 0;
    for (size_t b = 0; b < bands; b++) c += e[b] * cos(M_PI * (double)k * ((double)b + 0.5) / (double)bands);
    out[k] = c * sqrt((k ? 2.0 : 1.0) / (double)bands);
  }
  free(e);
}
