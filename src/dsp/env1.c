/* The palette voices' scalar gate envelope (dsp.h, lull_env1): times to
 * per-frame steps once per note; the per-sample part is inline in dsp.h. */
#include <math.h>

#include "dsp/dsp.h"

void lull__env1_set(lull_env1 *e, float attack_s, float release_s, float sample_rate_hz) {
  float attack_frames = fmaxf(attack_s * sample_rate_hz, 1.0f);
  float release_frames = fmaxf(release_s * sample_rate_hz, 1.0f);
  e->attack_step = 1.0f / attack_frames;
  e->release_coef = powf(10.0f, -3.0f / release_frames); /* -60 dB in release_s */
}
