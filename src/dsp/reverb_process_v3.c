/* The reverb kernel built for x86-64-v3 (AVX2 + FMA); see reverb_process.c. */
#define LULL_ISA_SUFFIX v3
#include "dsp/reverb_process.c"
