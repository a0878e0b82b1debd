/* Sine LFO evaluated once per block: its rate (< 20 Hz) is far below the
 * block rate (> 750 Hz), so per-block steps are inaudible. */
#include <math.h>

#include "dsp/dsp.h"

void lull__lfo_init(lull_lfo *l, float rate_hz, float sample_rate_hz, float start_turns) {
  l->sample_rate_hz = sample_rate_hz;
  l->inc_per_frame = (double)rate_hz / (double)sample_rate_hz * 4294967296.0;
  l->frac = 0;
  l->phase = (uint32_t)llround(((double)start_turns - floor((double)start_turns)) * 4294967296.0);
}

float lull__lfo_next(lull_lfo *l, size_t frames) {
  float v = lull__sin_turns(lull__phase_turns(l->phase));
  double adv = l->inc_per_frame * (double)frames + l->frac;
  double whole = floor(adv);
  l->frac = adv - whole;
  l->phase += (uint32_t)(uint64_t)whole; /* whole < 2^53: the cast wraps mod 2^32 */
  return v;
}
