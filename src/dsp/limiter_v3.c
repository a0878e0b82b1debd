/* The limiter's processing built for x86-64-v3 (AVX2 + FMA); see limiter.c. */
#define LULL_ISA_SUFFIX v3
#pragma GCC diagnostic ignored "-Wunused-function"
#include "dsp/limiter.c"
