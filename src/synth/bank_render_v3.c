/* The voice kernels built for x86-64-v3 (AVX2 + FMA); see bank_render.c. */
#define LULL_ISA_SUFFIX v3
#include "synth/bank_render.c"
