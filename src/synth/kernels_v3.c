/* The synth kernels built for x86-64-v3 (AVX2 + FMA); see kernels.c. */
#define LULL_ISA_SUFFIX v3
#include "synth/kernels.c"
