// Per-channel scale and shift with one rounding (fused multiply-add), for the norms PyTorch
// applies that way. Swift compiles for the baseline x86-64, where a fused multiply-add is a call
// to libm's software fmaf; the AVX-512 path has it in hardware, with the same results.
#include "unravel_affine.h"

#include "avx512.h"

#include <math.h>

void unravel_affine_rows_portable(const float *x, float *y, long pixels, long channels, const float *scale,
                                  const float *shift, int relu) {
    for (long p = 0; p < pixels; p++) {
        const float *row = x + p * channels;
        float *out = y + p * channels;
        for (long c = 0; c < channels; c++) {
            const float v = fmaf(row[c], scale[c], shift[c]);
            out[c] = relu && v <= 0 ? 0.0f : v;
        }
    }
}

#ifdef UNRAVEL_HAVE_AVX512
__attribute__((target("avx512f"))) static void rows_avx512(const float *x, float *y, long pixels, long channels,
                                                          const float *scale, const float *shift, int relu) {
    const __m512 zero = _mm512_setzero_ps();
    for (long p = 0; p < pixels; p++) {
        const float *row = x + p * channels;
        float *out = y + p * channels;
        for (long c = 0; c < channels; c += 16) {
            const __mmask16 live = unravel_lanes(channels - c);
            __m512 v = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(live, row + c), _mm512_maskz_loadu_ps(live, scale + c),
                                       _mm512_maskz_loadu_ps(live, shift + c));
            // As the plain loop: 0 where v <= 0; a NaN stays NaN, as PyTorch's ReLU keeps it.
            if (relu) v = _mm512_mask_mov_ps(v, _mm512_cmp_ps_mask(v, zero, _CMP_LE_OQ), zero);
            _mm512_mask_storeu_ps(out + c, live, v);
        }
    }
}
#endif

void unravel_affine_rows(const float *x, float *y, long pixels, long channels, const float *scale, const float *shift,
                         int relu) {
#ifdef UNRAVEL_HAVE_AVX512
    if (unravel_has_avx512()) { rows_avx512(x, y, pixels, channels, scale, shift, relu); return; }
#endif
    unravel_affine_rows_portable(x, y, pixels, channels, scale, shift, relu);
}
