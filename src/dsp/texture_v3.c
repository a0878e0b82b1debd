/* The texture voices' render built for x86-64-v3 (AVX2 + FMA); see texture.c
 * (the helpers only the generic build's start() uses are unused here). */
#define LULL_ISA_SUFFIX v3
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-const-variable"
#include "dsp/texture.c"
