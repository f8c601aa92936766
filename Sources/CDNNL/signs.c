// The sign bits of a ReLU's output, packed and applied. AVX-512 where the CPU has it (one
// compare and one mask register per 16 values), plain loops elsewhere; both give the same bits
// and the same products.
#include "unravel_signs.h"

#include <string.h>

#include "avx512.h"

#ifdef UNRAVEL_HAVE_AVX512

__attribute__((target("avx512f"))) static void pack_avx512(const float *y, unsigned char *bits, long count) {
    long i = 0;
    const __m512 zero = _mm512_setzero_ps();
    for (; i + 16 <= count; i += 16) {
        __mmask16 positive = _mm512_cmp_ps_mask(_mm512_loadu_ps(y + i), zero, _CMP_NLE_UQ);
        memcpy(bits + i / 8, &positive, 2);
    }
    if (i < count) {
        __mmask16 tail = unravel_lanes(count - i);
        __mmask16 positive = _mm512_mask_cmp_ps_mask(tail, _mm512_maskz_loadu_ps(tail, y + i), zero, _CMP_NLE_UQ);
        long bytes = (count - i + 7) / 8;
        memcpy(bits + i / 8, &positive, (size_t)bytes);
    }
}

__attribute__((target("avx512f"))) static void mask_avx512(float *g, const unsigned char *bits, long count) {
    long i = 0;
    const __m512 one = _mm512_set1_ps(1.0f);
    for (; i + 16 <= count; i += 16) {
        __mmask16 positive;
        memcpy(&positive, bits + i / 8, 2);
        _mm512_storeu_ps(g + i, _mm512_mul_ps(_mm512_loadu_ps(g + i), _mm512_maskz_mov_ps(positive, one)));
    }
    if (i < count) {
        __mmask16 tail = unravel_lanes(count - i), positive = 0;
        memcpy(&positive, bits + i / 8, (size_t)((count - i + 7) / 8));
        __m512 kept = _mm512_mul_ps(_mm512_maskz_loadu_ps(tail, g + i), _mm512_maskz_mov_ps(positive, one));
        _mm512_mask_storeu_ps(g + i, tail, kept);
    }
}
#endif

void unravel_signs_pack(const float *y, unsigned char *bits, long count) {
#ifdef UNRAVEL_HAVE_AVX512
    if (unravel_has_avx512()) { pack_avx512(y, bits, count); return; }
#endif
    unravel_signs_pack_portable(y, bits, count);
}

void unravel_signs_pack_portable(const float *y, unsigned char *bits, long count) {
    for (long byte = 0; byte * 8 < count; byte++) {
        unsigned value = 0;
        for (long bit = 0; bit < 8 && byte * 8 + bit < count; bit++) value |= (unsigned)!(y[byte * 8 + bit] <= 0) << bit;
        bits[byte] = (unsigned char)value;
    }
}

void unravel_signs_mask(float *g, const unsigned char *bits, long count) {
#ifdef UNRAVEL_HAVE_AVX512
    if (unravel_has_avx512()) { mask_avx512(g, bits, count); return; }
#endif
    unravel_signs_mask_portable(g, bits, count);
}

void unravel_signs_mask_portable(float *g, const unsigned char *bits, long count) {
    for (long i = 0; i < count; i++) g[i] *= (bits[i / 8] >> (i % 8)) & 1 ? 1.0f : 0.0f;
}
