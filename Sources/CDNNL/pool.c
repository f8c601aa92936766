// Max pooling, forward and backward. Swift compiles for the baseline x86-64, where its 16-lane
// vectors become four 4-lane ones: the backward took 1.2% of a ResNet-50 gradient pass. The
// AVX-512 paths keep the plain loops' results to the bit: the same comparisons, the same taps,
// the same sums in the same order.
#include "unravel_pool.h"

#include "avx512.h"

#include <math.h>

// The window's rows [*r0, *r1) and columns [*q0, *q1) inside the image.
static void window(const unravel_pool_shape *s, long i, long j, long *r0, long *r1, long *q0, long *q1) {
    long top = i * s->stride - s->pad_top, left = j * s->stride - s->pad_left;
    *r0 = top < 0 ? 0 : top;
    *r1 = top + s->kernel > s->h ? s->h : top + s->kernel;
    *q0 = left < 0 ? 0 : left;
    *q1 = left + s->kernel > s->w ? s->w : left + s->kernel;
}

// Where an output's maximum starts: a window clipped by the image's edges reaches into the
// padding (or, in ceil mode, past the bottom or right edge), which is zeros when `zero_padded`.
static float window_start(const unravel_pool_shape *s, long r0, long r1, long q0, long q1) {
    return s->zero_padded && (r1 - r0 < s->kernel || q1 - q0 < s->kernel) ? 0.0f : -INFINITY;
}

void unravel_maxpool_forward_portable(const unravel_pool_shape *s, const float *x, float *y, long first, long last) {
    for (long row = first; row < last; row++) {
        long b = row / s->oh, i = row % s->oh;
        for (long j = 0; j < s->ow; j++) {
            float *out = y + ((b * s->oh + i) * s->ow + j) * s->c;
            long r0, r1, q0, q1;
            window(s, i, j, &r0, &r1, &q0, &q1);
            const float start = window_start(s, r0, r1, q0, q1);
            for (long k = 0; k < s->c; k++) out[k] = start;
            for (long r = r0; r < r1; r++)
                for (long q = q0; q < q1; q++) {
                    const float *source = x + ((b * s->h + r) * s->w + q) * s->c;
                    for (long k = 0; k < s->c; k++) out[k] = source[k] > out[k] ? source[k] : out[k];
                }
        }
    }
}

// Sixteen channels at a time, each with a flag for "not routed yet". Adding a zero where a tap
// is not the one routed to leaves the sum as it is: a gradient here is never -0 (it starts at
// +0, and a sum that returns to zero is +0). Four lanes at a time in SSE2, which every x86-64
// has, where the compiler's cost model kept the plain loop scalar.
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

static inline void route_lanes(const float *x, const float *maximum, const float *share, float *gx,
                               unsigned *unrouted, long lanes) {
    long l = 0;
#if defined(__SSE2__)
    for (; l + 4 <= lanes; l += 4) {
        __m128 open = _mm_castsi128_ps(_mm_loadu_si128((const __m128i *)(unrouted + l)));
        __m128 hit = _mm_and_ps(open, _mm_cmpeq_ps(_mm_loadu_ps(x + l), _mm_loadu_ps(maximum + l)));
        _mm_storeu_ps(gx + l, _mm_add_ps(_mm_loadu_ps(gx + l), _mm_and_ps(hit, _mm_loadu_ps(share + l))));
        _mm_storeu_si128((__m128i *)(unrouted + l), _mm_castps_si128(_mm_andnot_ps(hit, open)));
    }
#endif
    for (; l < lanes; l++) {
        unsigned hit = unrouted[l] & -(unsigned)(x[l] == maximum[l]);
        gx[l] += hit ? share[l] : 0.0f;
        unrouted[l] &= ~hit;
    }
}

void unravel_maxpool_backward_portable(const unravel_pool_shape *s, const float *x, const float *y, const float *g,
                                       float *gx, long first, long last) {
    enum { LANES = 16 };
    for (long b = first; b < last; b++)
        for (long i = 0; i < s->oh; i++)
            for (long j = 0; j < s->ow; j++) {
                long r0, r1, q0, q1, at = ((b * s->oh + i) * s->ow + j) * s->c;
                window(s, i, j, &r0, &r1, &q0, &q1);
                for (long k = 0; k < s->c; k += LANES) {
                    long width = s->c - k < LANES ? s->c - k : LANES;
                    unsigned unrouted[LANES];
                    for (long l = 0; l < LANES; l++) unrouted[l] = ~0u;
                    for (long r = r0; r < r1; r++)
                        for (long q = q0; q < q1; q++) {
                            long pixel = ((b * s->h + r) * s->w + q) * s->c + k;
                            route_lanes(x + pixel, y + at + k, g + at + k, gx + pixel, unrouted, width);
                        }
                }
            }
}

#ifdef UNRAVEL_HAVE_AVX512

__attribute__((target("avx512f"))) static void forward_avx512(const unravel_pool_shape *s, const float *x, float *y,
                                                             long first, long last) {
    for (long row = first; row < last; row++) {
        long b = row / s->oh, i = row % s->oh;
        for (long j = 0; j < s->ow; j++) {
            float *out = y + ((b * s->oh + i) * s->ow + j) * s->c;
            long r0, r1, q0, q1;
            window(s, i, j, &r0, &r1, &q0, &q1);
            const __m512 start = _mm512_set1_ps(window_start(s, r0, r1, q0, q1));
            for (long k = 0; k < s->c; k += 16) {
                const __mmask16 live = unravel_lanes(s->c - k);
                __m512 best = start;
                for (long r = r0; r < r1; r++)
                    for (long q = q0; q < q1; q++) {
                        __m512 v = _mm512_maskz_loadu_ps(live, x + ((b * s->h + r) * s->w + q) * s->c + k);
                        best = _mm512_mask_mov_ps(best, _mm512_cmp_ps_mask(v, best, _CMP_GT_OQ), v);
                    }
                _mm512_mask_storeu_ps(out + k, live, best);
            }
        }
    }
}

__attribute__((target("avx512f"))) static void backward_avx512(const unravel_pool_shape *s, const float *x, const float *y,
                                                              const float *g, float *gx, long first, long last) {
    for (long b = first; b < last; b++)
        for (long i = 0; i < s->oh; i++)
            for (long j = 0; j < s->ow; j++) {
                long r0, r1, q0, q1, at = ((b * s->oh + i) * s->ow + j) * s->c;
                window(s, i, j, &r0, &r1, &q0, &q1);
                for (long k = 0; k < s->c; k += 16) {
                    const __mmask16 live = unravel_lanes(s->c - k);
                    const __m512 maximum = _mm512_maskz_loadu_ps(live, y + at + k);
                    const __m512 share = _mm512_maskz_loadu_ps(live, g + at + k);
                    __mmask16 unrouted = live;
                    for (long r = r0; r < r1 && unrouted; r++)
                        for (long q = q0; q < q1 && unrouted; q++) {
                            long pixel = ((b * s->h + r) * s->w + q) * s->c + k;
                            __mmask16 hit = unrouted & _mm512_mask_cmp_ps_mask(live, _mm512_maskz_loadu_ps(live, x + pixel),
                                                                               maximum, _CMP_EQ_OQ);
                            if (!hit) continue;
                            __m512 current = _mm512_maskz_loadu_ps(hit, gx + pixel);
                            _mm512_mask_storeu_ps(gx + pixel, hit, _mm512_add_ps(current, share));
                            unrouted &= (__mmask16)~hit;
                        }
                }
            }
}
#endif

void unravel_maxpool_forward(const unravel_pool_shape *s, const float *x, float *y, long first, long last) {
#ifdef UNRAVEL_HAVE_AVX512
    if (unravel_has_avx512()) { forward_avx512(s, x, y, first, last); return; }
#endif
    unravel_maxpool_forward_portable(s, x, y, first, last);
}

void unravel_maxpool_backward(const unravel_pool_shape *s, const float *x, const float *y, const float *g, float *gx,
                              long first, long last) {
#ifdef UNRAVEL_HAVE_AVX512
    if (unravel_has_avx512()) { backward_avx512(s, x, y, g, gx, first, last); return; }
#endif
    unravel_maxpool_backward_portable(s, x, y, g, gx, first, last);
}
