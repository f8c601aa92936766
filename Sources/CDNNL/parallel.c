// A parallel loop on libgomp's thread pool, the one oneDNN runs on, without compiling this
// target with -fopenmp: GOMP_parallel is the entry point GCC emits for `#pragma omp parallel`.
#include "unravel_parallel.h"

void GOMP_parallel(void (*fn)(void *), void *data, unsigned num_threads, unsigned flags);
int omp_get_thread_num(void);
int omp_get_num_threads(void);

typedef struct {
    long count;
    unravel_range_body body;
    void *context;
} range_job;

static void run_share(void *data) {
    const range_job *job = data;
    long thread = omp_get_thread_num(), threads = omp_get_num_threads();
    long first = job->count * thread / threads, last = job->count * (thread + 1) / threads;
    if (first < last) job->body(first, last, job->context);
}

void unravel_parallel_range(long count, int threads, unravel_range_body body, void *context) {
    range_job job = {count, body, context};
    if (threads <= 1 || count < 2) {
        if (count > 0) body(0, count, context);
        return;
    }
    GOMP_parallel(run_share, &job, (unsigned)threads, 0);
}
