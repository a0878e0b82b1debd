/* Signal analysis for tests, in double precision: FFT spectra, frequency by
 * zero crossings, levels. */
#ifndef LULL_TEST_SIGNAL_H
#define LULL_TEST_SIGNAL_H

#include <stddef.h>

/* Magnitude spectrum (linear, n/2+1 bins) of x[0..n) times a 4-term
 * Blackman-Harris window (sidelobes -92 dB); n a power of two. Caller frees. */
double *sig_spectrum(const float *x, size_t n, size_t stride);
/* The same for many frames: the window (sig_window(n), caller frees) made
 * once, the magnitudes into mag (n/2+1). */
double *sig_window(size_t n);
void sig_spectrum_into(const float *x, size_t n, size_t stride, const double *window, double *mag);
/* Largest bin of spec within [lo_hz, hi_hz], refined by parabolic
 * interpolation; returns the frequency, *mag its magnitude. */
double sig_peak_hz(const double *spec, size_t n, double rate, double lo_hz, double hi_hz, double *mag);
/* Frequency of a periodic signal from its normalised autocorrelation, the
 * best lag between rate / hi_hz and rate / lo_hz refined by a parabola:
 * exact for any waveform with one period (partials and all). 0 when n is
 * too short for the lowest frequency. */
double sig_period_hz(const float *x, size_t n, size_t stride, double rate, double lo_hz, double hi_hz);
/* Energy (sum of squared magnitudes) of spec's bins in [lo_hz, hi_hz). */
double sig_band_energy(const double *spec, size_t n, double rate, double lo_hz, double hi_hz);
/* Mel-frequency cepstral coefficients of one magnitude spectrum spec (n/2+1
 * bins, as sig_spectrum gives): the power in bands triangular on the mel
 * scale (HTK: 2595 log10(1 + f / 700)) between lo_hz and hi_hz, in dB, each
 * at least the loudest's minus range_db (a near-silent band would swing the
 * cepstrum by tens of dB), then an orthonormal DCT-II; out[0..coefs) from c0
 * (the mean level) on. */
void sig_mfcc(const double *spec, size_t n, double rate, size_t bands, double lo_hz, double hi_hz, double range_db,
              size_t coefs, double *out);
/* Frequency from upward zero crossings (linearly interpolated). */
double sig_zero_cross_hz(const float *x, size_t n, size_t stride, double rate);
double sig_rms(const float *x, size_t n, size_t stride);
double sig_peak(const float *x, size_t n, size_t stride);
double sig_mean(const float *x, size_t n, size_t stride);
/* Count of NaN and infinite samples. */
size_t sig_nonfinite(const float *x, size_t n);
double sig_db(double ratio);

#endif
