#ifndef UNRAVEL_SILU_H
#define UNRAVEL_SILU_H

/// y = x / (1 + exp(−x)) (SiLU), with exp computed by `unravel_exp`'s steps on every path.
void unravel_silu_forward(const float *x, float *y, long count);

/// g *= s · (1 + x · (1 − s)) with s = 1 / (1 + exp(−x)): SiLU's input gradient, in place.
void unravel_silu_backward(float *g, const float *x, long count);

/// The plain loops the above fall back to without AVX-512 (and tests compare them with).
void unravel_silu_forward_portable(const float *x, float *y, long count);
void unravel_silu_backward_portable(float *g, const float *x, long count);

/// exp(x) to within about one unit in the last place: x = n · ln 2 + r with |r| ≤ ln 2 / 2
/// (ln 2 in two parts, so r is exact), e^r by a degree-6 polynomial, times 2^n. Exposed for tests.
float unravel_exp(float x);

#endif
