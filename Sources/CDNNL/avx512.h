// What the kernels with an AVX-512 path share (signs.c, linear.c, pool.c): whether this compiler
// can build that path, whether the CPU running it has the instructions, and the lanes of a tail.
// Private to CDNNL: Swift never sees it.
#ifndef UNRAVEL_AVX512_H
#define UNRAVEL_AVX512_H

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>
#define UNRAVEL_HAVE_AVX512 1

static inline int unravel_has_avx512(void) { return __builtin_cpu_supports("avx512f"); }

/// The first min(left, 16) of 16 lanes.
static inline __mmask16 unravel_lanes(long left) {
    return left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1);
}
#endif

#endif
