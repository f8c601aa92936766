#ifndef UNRAVEL_PARALLEL_H
#define UNRAVEL_PARALLEL_H

/// Our own element-wise loops, run on the OpenMP threads that oneDNN's kernels use. Other
/// threads (Dispatch's) would compete for the cores with OpenMP workers still spinning after
/// the last kernel; these reuse them instead.

/// Calls body(first, last, context) on `threads` threads, splitting [0, count) into contiguous
/// ranges, one per thread; returns when all are done.
typedef void (*unravel_range_body)(long first, long last, void *context);
void unravel_parallel_range(long count, int threads, unravel_range_body body, void *context);

#endif
