// SiLU forward and backward. libm's expf, value by value, was a third of a ByobNet '-ts' pass;
// here exp is computed sixteen lanes at a time, with the same steps in the plain loop so that
// both paths give the same bits. Neither is libm's nor PyTorch's exp (PyTorch's CPU kernel uses
// SLEEF's), so SiLU agrees with PyTorch to the float's rounding, not to the bit.
#include "unravel_silu.h"

#include "avx512.h"

#include <math.h>

// Each operation rounded as written, on both paths: no contraction into fused multiply-adds
// beyond the ones spelled out.
#pragma STDC FP_CONTRACT OFF

// ln 2 split so that n · LN2_HIGH is exact for the n that matter (|n| < 2^9); the minimax
// polynomial for e^r on [−ln 2 / 2, ln 2 / 2] (Cephes' expf coefficients: Moshier, 1984–1992).
static const float LOG2E = 1.44269504088896341f, LN2_HIGH = 0.693359375f, LN2_LOW = -2.12194440e-4f;
static const float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f, P3 = 4.1665795894e-2f,
                   P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;

float unravel_exp(float x) {
    if (isnan(x)) return x;
    // Beyond ±104 the result is 0 or infinity already; the clamp keeps r finite for ±infinity.
    const float c = fminf(fmaxf(x, -104.0f), 104.0f);
    const float n = rintf(c * LOG2E);
    const float r = fmaf(n, -LN2_LOW, fmaf(n, -LN2_HIGH, c));
    float p = fmaf(P0, r, P1);
    p = fmaf(p, r, P2);
    p = fmaf(p, r, P3);
    p = fmaf(p, r, P4);
    p = fmaf(p, r, P5);
    const float e = fmaf(p, r * r, r + 1.0f);
    return ldexpf(e, (int)n);   // one rounding, to 0 or infinity where 2^n takes it there
}

void unravel_silu_forward_portable(const float *x, float *y, long count) {
    for (long i = 0; i < count; i++) y[i] = x[i] / (1.0f + unravel_exp(-x[i]));
}

void unravel_silu_backward_portable(float *g, const float *x, long count) {
    for (long i = 0; i < count; i++) {
        const float s = 1.0f / (1.0f + unravel_exp(-x[i]));
        g[i] *= s * (1.0f + x[i] * (1.0f - s));
    }
}

#ifdef UNRAVEL_HAVE_AVX512
__attribute__((target("avx512f"))) static inline __m512 exp_avx512(__m512 x) {
    const __m512 c = _mm512_max_ps(_mm512_min_ps(x, _mm512_set1_ps(104.0f)), _mm512_set1_ps(-104.0f));
    const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(c, _mm512_set1_ps(LOG2E)), _MM_FROUND_TO_NEAREST_INT);
    const __m512 r = _mm512_fmadd_ps(n, _mm512_set1_ps(-LN2_LOW), _mm512_fmadd_ps(n, _mm512_set1_ps(-LN2_HIGH), c));
    __m512 p = _mm512_fmadd_ps(_mm512_set1_ps(P0), r, _mm512_set1_ps(P1));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(P2));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(P3));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(P4));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(P5));
    const __m512 e = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
    // scalef multiplies by 2^floor(n), n whole: ldexpf, one rounding, saturating to 0 or infinity.
    const __m512 scaled = _mm512_scalef_ps(e, n);
    return _mm512_mask_mov_ps(scaled, _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q), x);
}

__attribute__((target("avx512f"))) static void forward_avx512(const float *x, float *y, long count) {
    const __m512 one = _mm512_set1_ps(1.0f);
    for (long i = 0; i < count; i += 16) {
        const __mmask16 live = unravel_lanes(count - i);
        const __m512 v = _mm512_maskz_loadu_ps(live, x + i);
        const __m512 e = exp_avx512(_mm512_sub_ps(_mm512_setzero_ps(), v));
        _mm512_mask_storeu_ps(y + i, live, _mm512_div_ps(v, _mm512_add_ps(one, e)));
    }
}

__attribute__((target("avx512f"))) static void backward_avx512(float *g, const float *x, long count) {
    const __m512 one = _mm512_set1_ps(1.0f);
    for (long i = 0; i < count; i += 16) {
        const __mmask16 live = unravel_lanes(count - i);
        const __m512 v = _mm512_maskz_loadu_ps(live, x + i);
        const __m512 s = _mm512_div_ps(one, _mm512_add_ps(one, exp_avx512(_mm512_sub_ps(_mm512_setzero_ps(), v))));
        // The plain loop's order: s · (1 + x · (1 − s)), each step rounded, no fusing.
        const __m512 factor = _mm512_mul_ps(s, _mm512_add_ps(one, _mm512_mul_ps(v, _mm512_sub_ps(one, s))));
        _mm512_mask_storeu_ps(g + i, live, _mm512_mul_ps(_mm512_maskz_loadu_ps(live, g + i), factor));
    }
}
#endif

void unravel_silu_forward(const float *x, float *y, long count) {
#ifdef UNRAVEL_HAVE_AVX512
    if (unravel_has_avx512()) { forward_avx512(x, y, count); return; }
#endif
    unravel_silu_forward_portable(x, y, count);
}

void unravel_silu_backward(float *g, const float *x, long count) {
#ifdef UNRAVEL_HAVE_AVX512
    if (unravel_has_avx512()) { backward_avx512(g, x, count); return; }
#endif
    unravel_silu_backward_portable(g, x, count);
}
