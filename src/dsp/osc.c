/* Table oscillators with a u32 phase: 2^32 is one turn, so the frequency is
 * exact to 48000/2^32 Hz and the phase never drifts over hours. */
#include <math.h>

#include "dsp/dsp.h"

float lull__midi_hz(float note) { return 440.0f * exp2f((note - 69.0f) * (1.0f / 12.0f)); }

uint32_t lull__hz_to_inc(double hz, double sample_rate_hz) {
  double turns = hz / sample_rate_hz;
  turns -= floor(turns);
  return (uint32_t)llround(turns * 4294967296.0);
}

void lull__osc_init(lull_osc *o, const lull_wavetable *wt) {
  o->data = wt->data;
  o->phase = 0;
  o->inc = 0;
  o->table = 0;
}

void lull__osc_set_hz(lull_osc *o, const lull_wavetable *wt, lull_wave wave, float hz) {
  o->inc = lull__hz_to_inc(hz, wt->sample_rate_hz);
  o->table = lull__wavetable_offset(wt, wave, hz);
}

void lull__osc_process(lull_osc *o, float *out, size_t frames) {
  uint32_t phase = o->phase;
  for (size_t i = 0; i < frames; i++) {
    out[i] += lull__wt_read(o->data, o->table, phase);
    phase += o->inc;
  }
  o->phase = phase;
}
