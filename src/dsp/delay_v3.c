/* The delay's processing built for x86-64-v3 (AVX2 + FMA); see delay.c. */
#define LULL_ISA_SUFFIX v3
#pragma GCC diagnostic ignored "-Wunused-function"
#include "dsp/delay.c"
