/* Instruction-set variants of the hot loops. A file of kernels is compiled
 * once generic and once more for x86-64-v3 (AVX2, FMA: every x86 CPU since
 * about 2015) by a two-line wrapper that defines LULL_ISA_SUFFIX; its
 * functions are named with LULL_ISA_NAME. Callers pick a variant once, at
 * create time (lull__isa_v3), never per block. The environment variable
 * LULL_ISA=generic makes every engine created afterwards take the generic
 * kernels, as on a CPU without AVX2 (any other value: the CPU decides), so
 * that both paths are tested on one machine. */
#ifndef LULL_ISA_H
#define LULL_ISA_H

#include <stdlib.h>
#include <string.h>

#define LULL_ISA_CAT2(a, b) a##_##b
#define LULL_ISA_CAT(a, b) LULL_ISA_CAT2(a, b)
#ifdef LULL_ISA_SUFFIX
#define LULL_ISA_NAME(name) LULL_ISA_CAT(name, LULL_ISA_SUFFIX)
#else
#define LULL_ISA_NAME(name) LULL_ISA_CAT(name, generic)
#endif

/* Whether this build has x86-64-v3 kernels, the CPU runs them and LULL_ISA
 * does not ask for the generic ones. Create time only (getenv). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define LULL_HAVE_V3 1
static inline int lull__isa_v3(void) {
  const char *want = getenv("LULL_ISA");
  if (want && strcmp(want, "generic") == 0) return 0;
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
#else
#define LULL_HAVE_V3 0
static inline int lull__isa_v3(void) { return 0; }
#endif

/* Leave the upper halves of the AVX registers clean. While they are dirty,
 * every SSE instruction after, in the engine or in the embedder's code, runs
 * several times slower on some CPUs (5x measured on this project's AMD for
 * the 16-bit conversion after a render). GCC 12 puts a vzeroupper before most
 * returns of a v3 kernel, not all (the limiter's pass-through, the
 * reverb's ring wrap, the delay in the AddressSanitizer build went
 * without): the v3 kernels that were seen without end with this; generic
 * builds make it nothing. */
#if defined(LULL_ISA_SUFFIX) && defined(__AVX__)
#define LULL_ISA_LEAVE() __builtin_ia32_vzeroupper()
#else
#define LULL_ISA_LEAVE() ((void)0)
#endif

/* Whether the AVX registers' upper halves are in use (XINUSE bit 2, read
 * with xgetbv 1 where CPUID leaf 0xD says it is there); 0 where it cannot
 * be told. For tests. */
#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
static inline int lull__isa_avx_dirty(void) {
  unsigned a, b, c, d;
  if (!__get_cpuid_count(0xd, 1, &a, &b, &c, &d) || !(a & 4)) return 0;
  unsigned lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(1));
  return (lo & 4) != 0;
}
#else
static inline int lull__isa_avx_dirty(void) { return 0; }
#endif

#endif
