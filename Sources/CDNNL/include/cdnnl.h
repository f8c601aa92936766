// A small, version-neutral face over oneDNN's C API for Unravel's Nets target.
//
// Swift sees only opaque plans and plain structs: oneDNN 2.x memory descriptors are 696-byte
// structs with tuples, 3.x makes them opaque handles, and the *_desc_init functions are gone in
// 3.x. Everything version-specific stays in cdnnl.c.
#ifndef UNRAVEL_CDNNL_H
#define UNRAVEL_CDNNL_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// A 2-D convolution over NHWC activations, with PyTorch-layout weights (O, I/groups, KH, KW).
typedef struct {
    long batch, in_channels, in_height, in_width;
    long out_channels, out_height, out_width;
    long kernel_height, kernel_width;
    long stride_height, stride_width;
    long pad_top, pad_left, pad_bottom, pad_right;
    long groups;
} unravel_conv_shape;

/// Post-operations fused into a forward convolution, applied in this order.
typedef struct {
    int accumulate;  ///< add the convolution into the destination's current contents (the residual add)
    int relu;        ///< then apply ReLU
    int sigmoid;     ///< or the logistic sigmoid (a highway gate)
} unravel_conv_fusion;

typedef struct unravel_conv_plan unravel_conv_plan;

/// Creates a forward-inference convolution for one batch size, reordering the weights once into
/// the layout oneDNN picks. `bias` may be NULL. Returns NULL and fills `error` on failure.
unravel_conv_plan *unravel_conv_forward_create(const unravel_conv_shape *shape, const float *weights,
                                               const float *bias, unravel_conv_fusion fusion, int threads,
                                               char *error, size_t error_size);

/// Creates a backward-data convolution (gradient at the input from the gradient at the output).
unravel_conv_plan *unravel_conv_backward_data_create(const unravel_conv_shape *shape, const float *weights,
                                                     int threads, char *error, size_t error_size);

/// Forward: reads `source`, writes (or accumulates into) `destination`.
/// Backward-data: reads the output gradient as `source`, writes the input gradient to `destination`.
/// Any thread may call it, several at once on one plan. Returns 0 on success.
int unravel_conv_execute(unravel_conv_plan *plan, const float *source, float *destination);

/// The name of the implementation oneDNN chose, e.g. "brg:avx512_core" or "ref:any".
const char *unravel_conv_implementation(const unravel_conv_plan *plan);

void unravel_conv_destroy(unravel_conv_plan *plan);

/// Element-wise operations on flat float buffers, run by oneDNN on all its threads.
typedef struct unravel_elementwise_plan unravel_elementwise_plan;

/// diff_src = diff_dst * (dst > 0): the ReLU backward, given the ReLU's output. In place allowed.
unravel_elementwise_plan *unravel_relu_backward_create(long count, int threads, char *error, size_t error_size);

/// out = a + b. In place allowed (out == a).
unravel_elementwise_plan *unravel_add_create(long count, int threads, char *error, size_t error_size);

/// ReLU backward: (dst, diff_dst, diff_src). Add: (a, b, out). Returns 0 on success.
int unravel_elementwise_execute(unravel_elementwise_plan *plan, const float *first, const float *second, float *out);

void unravel_elementwise_destroy(unravel_elementwise_plan *plan);

/// OpenMP thread control. libgomp is only an indirect dependency of oneDNN, so it is declared here.
void unravel_set_threads(int threads);

/// C = alpha·op(A)·op(B) + beta·C over row-major matrices, op(X) = X or Xᵀ (trans 'N' or 'T'):
/// oneDNN's sgemm, on its threads. Returns 0 on success.
int unravel_sgemm(char trans_a, char trans_b, long m, long n, long k, float alpha, const float *a, long lda,
                  const float *b, long ldb, float beta, float *c, long ldc);

/// The oneDNN version as "major.minor.patch".
const char *unravel_dnnl_version(void);

/// The instruction set oneDNN's float32 kernels run with on this machine (after
/// ONEDNN_MAX_CPU_ISA): "avx512_core", "avx512_mic", "avx2", "avx", "sse41" or "other".
const char *unravel_dnnl_fp32_isa(void);

#ifdef __cplusplus
}
#endif

#endif
