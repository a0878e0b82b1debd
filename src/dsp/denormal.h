/* Denormals off for a stretch of float work, and back on after it. A
 * denormal costs ~100x a normal operand on x86, and decaying tails (reverb,
 * envelopes, Opus's filters) produce them. Only the calling thread's mode
 * changes; the caller's mode is always restored. Elsewhere than SSE these
 * do nothing, and feedback loops stay safe on their own (STYLE.md). */
#ifndef LULL_DSP_DENORMAL_H
#define LULL_DSP_DENORMAL_H

#if defined(__SSE__)
#include <xmmintrin.h>

/* MXCSR bits (Intel SDM vol. 1, 10.2.3): FTZ, bit 15, flushes denormal
 * results to zero; DAZ, bit 6, reads denormal operands as zero. */
#define LULL_MXCSR_FTZ 0x8000u
#define LULL_MXCSR_DAZ 0x0040u
#endif

/* Turn FTZ and DAZ on; returns the mode to hand to lull__denormals_restore.
 * Render-safe (one register write, no syscall). */
static inline unsigned lull__denormals_off(void) {
#if defined(__SSE__)
  unsigned csr = _mm_getcsr();
  _mm_setcsr(csr | LULL_MXCSR_FTZ | LULL_MXCSR_DAZ);
  return csr;
#else
  return 0;
#endif
}

/* Put back the mode lull__denormals_off returned. Render-safe. */
static inline void lull__denormals_restore(unsigned saved) {
#if defined(__SSE__)
  _mm_setcsr(saved);
#else
  (void)saved;
#endif
}

#endif
