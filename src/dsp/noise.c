/* Seeded white noise: xorshift32 (Marsaglia 2003), lanes from splitmix64 so
 * that nearby seeds give unrelated streams. A zero state would stick at zero,
 * so it is never used. */
#include "dsp/dsp.h"

uint64_t lull__splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static uint32_t nonzero_state(uint64_t *x) {
  uint32_t s;
  do s = (uint32_t)(lull__splitmix64(x) >> 32);
  while (s == 0);
  return s;
}

void lull__noise_init(lull_noise *n, uint64_t seed) { n->state = nonzero_state(&seed); }

void lull__noise8_init(lull_noise8 *n, uint64_t seed) {
  for (int j = 0; j < LULL_LANES; j++) n->state[j] = nonzero_state(&seed);
}
