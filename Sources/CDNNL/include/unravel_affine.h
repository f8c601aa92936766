#ifndef UNRAVEL_AFFINE_H
#define UNRAVEL_AFFINE_H

/// y = fma(x, scale[c], shift[c]) over `pixels` rows of `channels` (NHWC), then 0 where y <= 0
/// when `relu` (a NaN stays NaN): one rounding, as PyTorch's CPU kernels apply an inference batch norm and a group
/// norm (measured bit for bit: docs/model-format.md, "Numerics"). Two roundings would put an
/// output near zero, where x · scale and shift cancel, off by the last digit of x · scale, and
/// a ReLU there may flip. `x` and `y` may be the same buffer.
void unravel_affine_rows(const float *x, float *y, long pixels, long channels, const float *scale, const float *shift,
                         int relu);

/// The plain loop the above falls back to without AVX-512 (and tests compare it with): C's fmaf.
void unravel_affine_rows_portable(const float *x, float *y, long pixels, long channels, const float *scale,
                                  const float *shift, int relu);

#endif
