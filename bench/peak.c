// The machine's FP32 arithmetic ceiling for `make bench`: fused multiply-adds on independent
// registers, one thread per core, nothing loaded from memory. No convolution can beat it, so
// it turns measured images/s into a share of what the hardware allows, and bounds the ratios
// any engine could reach against another.
//
//     peak THREADS SECONDS   ->   prints GFLOP/s (best of several short bursts)
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <immintrin.h>

// Twelve independent accumulators: enough to cover the FMA latency on two ports.
#define CHAINS 12
#define STEPS 4000000L

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

__attribute__((target("avx512f"))) static float run_avx512(void) {
    __m512 acc[CHAINS];
    const __m512 scale = _mm512_set1_ps(0.999999f), shift = _mm512_set1_ps(1e-7f);
    for (int i = 0; i < CHAINS; i++) acc[i] = _mm512_set1_ps((float)i);
    for (long k = 0; k < STEPS; k++)
#pragma GCC unroll 12  // the accumulators must live in registers, not memory
        for (int i = 0; i < CHAINS; i++) acc[i] = _mm512_fmadd_ps(acc[i], scale, shift);
    __m512 sum = acc[0];
    for (int i = 1; i < CHAINS; i++) sum = _mm512_add_ps(sum, acc[i]);
    return _mm512_reduce_add_ps(sum);
}

__attribute__((target("avx2,fma"))) static float run_avx2(void) {
    __m256 acc[CHAINS];
    const __m256 scale = _mm256_set1_ps(0.999999f), shift = _mm256_set1_ps(1e-7f);
    for (int i = 0; i < CHAINS; i++) acc[i] = _mm256_set1_ps((float)i);
    for (long k = 0; k < STEPS; k++)
#pragma GCC unroll 12
        for (int i = 0; i < CHAINS; i++) acc[i] = _mm256_fmadd_ps(acc[i], scale, shift);
    float lanes[8], total = 0;
    for (int i = 1; i < CHAINS; i++) acc[0] = _mm256_add_ps(acc[0], acc[i]);
    _mm256_storeu_ps(lanes, acc[0]);
    for (int i = 0; i < 8; i++) total += lanes[i];
    return total;
}

static int wide;            // 16 lanes (AVX-512) or 8 (AVX2)
static volatile float sink; // keeps the loops from being optimised away

static void *burst(void *unused) {
    (void)unused;
    sink = wide == 16 ? run_avx512() : run_avx2();
    return NULL;
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 1;
    double seconds = argc > 2 ? atof(argv[2]) : 2;
    if (threads < 1 || threads > 1024 || seconds <= 0) {
        fprintf(stderr, "usage: peak THREADS SECONDS\n");
        return 64;
    }
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) wide = 16;
    else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) wide = 8;
    else {
        fprintf(stderr, "peak: this CPU has neither AVX-512 nor AVX2 with FMA\n");
        return 1;
    }
    pthread_t *workers = calloc((size_t)threads, sizeof *workers);
    double best = 0, start = now();
    do {
        double t = now();
        for (int i = 0; i < threads; i++) pthread_create(&workers[i], NULL, burst, NULL);
        for (int i = 0; i < threads; i++) pthread_join(workers[i], NULL);
        double flops = 2.0 * wide * CHAINS * STEPS * threads;
        double rate = flops / (now() - t) * 1e-9;
        if (rate > best) best = rate;
    } while (now() - start < seconds);
    printf("%.1f\n", best);
    free(workers);
    return 0;
}
