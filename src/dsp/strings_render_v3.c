/* The strings kernel built for x86-64-v3 (AVX2 + FMA); see strings_render.c. */
#define LULL_ISA_SUFFIX v3
#include "dsp/strings_render.c"
