/* Instruction-set variants of the hot loops. A file of kernels is compiled
 * once generic and once more for x86-64-v3 (AVX2, FMA: every x86 CPU since
 * about 2015) by a two-line wrapper that defines LULL_ISA_SUFFIX; its
 * functions are named with LULL_ISA_NAME. Callers pick a variant once, at
 * create time (lull__isa_v3), never per block. */
#ifndef LULL_ISA_H
#define LULL_ISA_H

#define LULL_ISA_CAT2(a, b) a##_##b
#define LULL_ISA_CAT(a, b) LULL_ISA_CAT2(a, b)
#ifdef LULL_ISA_SUFFIX
#define LULL_ISA_NAME(name) LULL_ISA_CAT(name, LULL_ISA_SUFFIX)
#else
#define LULL_ISA_NAME(name) LULL_ISA_CAT(name, generic)
#endif

/* Whether this build has x86-64-v3 kernels and the CPU runs them. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define LULL_HAVE_V3 1
static inline int lull__isa_v3(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
#else
#define LULL_HAVE_V3 0
static inline int lull__isa_v3(void) { return 0; }
#endif

#endif
