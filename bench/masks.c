// How fast the ReLU masks of a gradient pass can go: our sign packing (forward) and mask
// application (backward) from signs.c, on every thread, over tensors the size of ResNet-50's
// activations in a 16-image chunk, beside the plainest AVX-512 loops that move the same bytes:
// a read (what packing must do) and a rewrite in place (what masking must do). Where the masks run as fast
// as those, no unfused mask can cost less (docs/performance.md, ninth session).
//
//     make bench-masks     ->   one line per tensor size, best of 30 rounds
#include <immintrin.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "unravel_signs.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

// Each thread's share, cut at multiples of 16 so that every share's signs start on a byte.
static void share(long count, long *start, long *end) {
    int thread = omp_get_thread_num(), threads = omp_get_num_threads();
    *start = count * thread / threads / 16 * 16;
    *end = thread == threads - 1 ? count : count * (thread + 1) / threads / 16 * 16;
}

enum pass { PACK, READ, MASK, REWRITE, PASSES };
static const char *names[PASSES] = {"pack", "read", "mask", "rewrite"};
// Bytes each pass moves per value: what it must read and write, signs included.
static const double bytes[PASSES] = {4 + 0.125, 4, 4 + 0.125 + 4, 4 + 4};

static volatile float sink, unit = 1;  // volatile: the compiler must not drop the rewrite

__attribute__((target("avx512f"))) static void read16(const float *y, long count) {
    __m512 largest = _mm512_set1_ps(0);
    for (long i = 0; i + 16 <= count; i += 16) largest = _mm512_max_ps(largest, _mm512_loadu_ps(y + i));
    sink = _mm512_reduce_max_ps(largest);
}

__attribute__((target("avx512f"))) static void rewrite16(float *g, long count) {
    const __m512 one = _mm512_set1_ps(unit);
    for (long i = 0; i + 16 <= count; i += 16) _mm512_storeu_ps(g + i, _mm512_mul_ps(_mm512_loadu_ps(g + i), one));
}

static void run(enum pass pass, float *g, const float *y, unsigned char *bits, long count) {
#pragma omp parallel
    {
        long start, end;
        share(count, &start, &end);
        switch (pass) {
        case PACK: unravel_signs_pack(y + start, bits + start / 8, end - start); break;
        case MASK: unravel_signs_mask(g + start, bits + start / 8, end - start); break;
        case READ: read16(y + start, end - start); break;
        case REWRITE: rewrite16(g + start, end - start); break;
        default: break;
        }
    }
}

int main(void) {
    // Stage 1's block output, its inner activations, stage 3's block output, stage 4's.
    const long sizes[] = {16L * 56 * 56 * 256, 16L * 56 * 56 * 64, 16L * 14 * 14 * 1024, 16L * 7 * 7 * 2048};
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
        long count = sizes[s];
        float *g = aligned_alloc(64, (size_t)count * 4), *y = aligned_alloc(64, (size_t)count * 4);
        unsigned char *bits = aligned_alloc(64, (size_t)count / 8 + 64);
        for (long i = 0; i < count; i++) g[i] = (float)(i % 7) - 3, y[i] = (float)(i % 5) - 2;
        double best[PASSES] = {1e9, 1e9, 1e9, 1e9};
        for (int round = 0; round < 30; round++)
            for (int pass = 0; pass < PASSES; pass++) {
                double start = now();
                run((enum pass)pass, g, y, bits, count);
                double took = now() - start;
                if (took < best[pass]) best[pass] = took;
            }
        printf("%5.1f MB:", count * 4 / 1e6);
        for (int pass = 0; pass < PASSES; pass++)
            printf("  %s %.3f ms (%.0f GB/s)", names[pass], best[pass] * 1e3, count * bytes[pass] / best[pass] / 1e9);
        printf("\n");
        free(g), free(y), free(bits);
    }
    return 0;
}
