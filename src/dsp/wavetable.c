/* Band-limited wavetables: for each half-octave band, one cycle of saw and of
 * square holding only the harmonics that stay below 0.4583 fs (22 kHz at
 * 48 kHz) for the band's highest frequency. Aliasing is then bounded by the
 * table's interpolation error, not by the waveform. */
#include <math.h>

#include "dsp/dsp.h"

#define BAND_BASE_HZ 16.0
#define HARMONIC_LIMIT 0.4583

size_t lull__wavetable_floats(void) { return (size_t)LULL_WAVE_COUNT * LULL_WT_BANDS * (LULL_WT_SIZE + 1); }

static float *table_at(const lull_wavetable *wt, int wave, int band) {
  return wt->data + ((size_t)wave * LULL_WT_BANDS + (size_t)band) * (LULL_WT_SIZE + 1);
}

/* Amplitude of harmonic k: a saw of peak 1 before Gibbs (2/(pi k)), a square
 * of peak 1 (4/(pi k), odd k only). Sign makes the saw rise. */
static double harmonic_amp(int wave, uint32_t k) {
  if (wave == LULL_WAVE_SAW) return ((k & 1) ? 2.0 : -2.0) / (M_PI * (double)k);
  return (k & 1) ? 4.0 / (M_PI * (double)k) : 0.0;
}

void lull__wavetable_init(lull_wavetable *wt, float sample_rate_hz, float *mem) {
  wt->data = mem;
  wt->sample_rate_hz = sample_rate_hz;
  uint32_t harmonics[LULL_WT_BANDS];
  for (int b = 0; b < LULL_WT_BANDS; b++) {
    double top = BAND_BASE_HZ * pow(2.0, (b + 1) * 0.5);
    wt->band_top_hz[b] = (float)top;
    double h = floor(HARMONIC_LIMIT * (double)sample_rate_hz / top);
    if (h < 1) h = 1;
    if (h > LULL_WT_SIZE / 2 - 1) h = LULL_WT_SIZE / 2 - 1;
    harmonics[b] = (uint32_t)h;
  }
  /* Build from the top band down: each band is the one above plus the
   * harmonics it may add. sin(2 pi k n / N) is read from one sine table. */
  static const uint32_t mask = LULL_WT_SIZE - 1;
  double acc[LULL_WT_SIZE];
  double sine[LULL_WT_SIZE];
  for (uint32_t n = 0; n < LULL_WT_SIZE; n++) sine[n] = sin(2.0 * M_PI * n / LULL_WT_SIZE);
  for (int wave = 0; wave < LULL_WAVE_COUNT; wave++) {
    for (uint32_t n = 0; n < LULL_WT_SIZE; n++) acc[n] = 0.0;
    uint32_t done = 0;
    for (int b = LULL_WT_BANDS - 1; b >= 0; b--) {
      for (uint32_t k = done + 1; k <= harmonics[b]; k++) {
        double a = harmonic_amp(wave, k);
        if (a == 0.0) continue;
        for (uint32_t n = 0; n < LULL_WT_SIZE; n++) acc[n] += a * sine[(k * n) & mask];
      }
      if (harmonics[b] > done) done = harmonics[b];
      float *t = table_at(wt, wave, b);
      for (uint32_t n = 0; n < LULL_WT_SIZE; n++) t[n] = (float)acc[n];
      t[LULL_WT_SIZE] = t[0];
    }
  }
}

uint32_t lull__wavetable_offset(const lull_wavetable *wt, lull_wave wave, float hz) {
  if (hz < 0) hz = -hz;
  int b = 0;
  /* Smallest band whose top reaches hz; 22 compares at most, per block. */
  while (b < LULL_WT_BANDS - 1 && wt->band_top_hz[b] < hz) b++;
  return (uint32_t)(((size_t)wave * LULL_WT_BANDS + (size_t)b) * (LULL_WT_SIZE + 1));
}
