#ifndef UNRAVEL_SIGNS_H
#define UNRAVEL_SIGNS_H

/// A ReLU's output kept as one bit per value: bit i of `bits` (bit i % 8 of byte i / 8) is
/// !(y[i] <= 0), set for a positive value or a NaN, through which oneDNN's and PyTorch's ReLU
/// backward pass the gradient. The backward needs nothing more, in a 32nd of the memory.

/// Sets the bits of values [0, count) of `y`; the last byte's unused bits are cleared.
void unravel_signs_pack(const float *y, unsigned char *bits, long count);

/// g[i] *= (bit i set ? 1 : 0) for i in [0, count): the ReLU's backward as oneDNN computes it, a
/// product, so that a NaN gradient stays NaN and a negative one masked becomes -0.
void unravel_signs_mask(float *g, const unsigned char *bits, long count);

/// The plain loops the two above fall back to without AVX-512 (and tests compare them with).
void unravel_signs_pack_portable(const float *y, unsigned char *bits, long count);
void unravel_signs_mask_portable(float *g, const unsigned char *bits, long count);

#endif
