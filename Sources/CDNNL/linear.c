// A fully connected layer's forward pass, each output summed over the inputs in order. Swift
// compiles for the baseline x86-64 (SSE, four lanes), where a 2048→1000 head ran at 25 GFLOP/s
// a core, 1% of a ResNet-50 drop-one sweep; this file has an AVX-512 path the CPU is asked for.
#include "unravel_linear.h"

#include "avx512.h"

// Every product is rounded before it is added, in both paths.
#pragma STDC FP_CONTRACT OFF

enum { BLOCK = 64 };

long unravel_linear_packed_count(long in_features, long out_features) {
    return (out_features + BLOCK - 1) / BLOCK * in_features * BLOCK;
}

void unravel_linear_pack(const float *weight, float *packed, long in_features, long out_features) {
    for (long block = 0; block * BLOCK < out_features; block++)
        for (long i = 0; i < in_features; i++)
            for (long j = 0; j < BLOCK; j++) {
                long o = block * BLOCK + j;
                packed[(block * in_features + i) * BLOCK + j] = o < out_features ? weight[o * in_features + i] : 0;
            }
}

// Outputs a block at a time in the innermost loop, so that the compiler vectorises across them
// (at whatever width the build allows) without reordering any sum, and four rows at a time, so
// that each input's weights are loaded once for all of them.
void unravel_linear_rows_portable(const float *x, const float *packed, const float *bias, float *y, long first,
                                  long last, long in_features, long out_features) {
    enum { GROUP = 4 };
    for (long b0 = first; b0 < last; b0 += GROUP) {
        long rows = last - b0 < GROUP ? last - b0 : GROUP;
        for (long o = 0; o < out_features; o += BLOCK) {
            const float *weights = packed + (o / BLOCK) * in_features * BLOCK;
            float sums[GROUP][BLOCK] = {{0}};
            for (long i = 0; i < in_features; i++)
                for (long r = 0; r < rows; r++) {
                    const float xi = x[(b0 + r) * in_features + i];
                    for (long j = 0; j < BLOCK; j++) sums[r][j] += xi * weights[i * BLOCK + j];
                }
            for (long r = 0; r < rows; r++)
                for (long j = 0; j < BLOCK && o + j < out_features; j++)
                    y[(b0 + r) * out_features + o + j] = bias ? sums[r][j] + bias[o + j] : sums[r][j];
        }
    }
}

#ifdef UNRAVEL_HAVE_AVX512

enum { ROWS = 4, VECTORS = BLOCK / 16 };

// Four rows from `b` (a row past `last` repeats the last one and is not stored) and one block of
// outputs, all sixteen sums in registers across the inputs.
__attribute__((target("avx512f"))) static void block_avx512(const float *x, const float *weights, const float *bias,
                                                           float *y, long b, long last, long o, long in_features,
                                                           long out_features) {
    const float *rows[ROWS];
    for (int r = 0; r < ROWS; r++) rows[r] = x + (b + r < last ? b + r : last - 1) * in_features;
    __m512 acc[ROWS][VECTORS];
    for (int r = 0; r < ROWS; r++)
        for (int v = 0; v < VECTORS; v++) acc[r][v] = _mm512_setzero_ps();
    for (long i = 0; i < in_features; i++) {
        const float *wi = weights + i * BLOCK;
        __m512 w[VECTORS];
        for (int v = 0; v < VECTORS; v++) w[v] = _mm512_loadu_ps(wi + 16 * v);
        for (int r = 0; r < ROWS; r++) {
            const __m512 xi = _mm512_set1_ps(rows[r][i]);
            for (int v = 0; v < VECTORS; v++) acc[r][v] = _mm512_add_ps(acc[r][v], _mm512_mul_ps(xi, w[v]));
        }
    }
    for (int r = 0; r < ROWS && b + r < last; r++)
        for (int v = 0; v < VECTORS; v++) {
            long start = o + 16 * v, left = out_features - start;
            if (left <= 0) break;
            __mmask16 lanes = unravel_lanes(left);
            __m512 value = acc[r][v];
            if (bias) value = _mm512_add_ps(value, _mm512_maskz_loadu_ps(lanes, bias + start));
            _mm512_mask_storeu_ps(y + (b + r) * out_features + start, lanes, value);
        }
}

__attribute__((target("avx512f"))) static void rows_avx512(const float *x, const float *packed, const float *bias, float *y,
                                                          long first, long last, long in_features, long out_features) {
    // Blocks outside, rows inside: a block's weights (512 KB for 2048 inputs) come from memory
    // once and from the core's cache for the further rows.
    for (long o = 0; o < out_features; o += BLOCK)
        for (long b = first; b < last; b += ROWS)
            block_avx512(x, packed + (o / BLOCK) * in_features * BLOCK, bias, y, b, last, o, in_features, out_features);
}
#endif

void unravel_linear_rows(const float *x, const float *packed, const float *bias, float *y, long first, long last,
                         long in_features, long out_features) {
#ifdef UNRAVEL_HAVE_AVX512
    if (unravel_has_avx512()) { rows_avx512(x, packed, bias, y, first, last, in_features, out_features); return; }
#endif
    unravel_linear_rows_portable(x, packed, bias, y, first, last, in_features, out_features);
}
