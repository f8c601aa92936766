#ifndef UNRAVEL_LINEAR_H
#define UNRAVEL_LINEAR_H

/// A fully connected layer's weights, repacked for `unravel_linear_rows`: blocks of 64 outputs,
/// each holding, input by input, that input's 64 weights (zeros past the last output), so that
/// the forward pass reads them in order.
long unravel_linear_packed_count(long in_features, long out_features);
void unravel_linear_pack(const float *weight, float *packed, long in_features, long out_features);

/// Rows [first, last) of a fully connected layer: y[b][o] = (...((0 + x[b][0]·w[o][0]) +
/// x[b][1]·w[o][1]) + ...) + bias[o], each product rounded and then added, in input order, as a
/// plain loop computes it: the logits stay what they were, bit for bit. `packed` comes from
/// `unravel_linear_pack`; `bias` may be NULL. AVX-512 widens the loop across outputs and keeps
/// 4 rows × 64 outputs in registers over all inputs.
void unravel_linear_rows(const float *x, const float *packed, const float *bias, float *y, long first, long last,
                         long in_features, long out_features);

/// The plain loop the above falls back to without AVX-512 (and tests compare it with).
void unravel_linear_rows_portable(const float *x, const float *packed, const float *bias, float *y, long first,
                                  long last, long in_features, long out_features);

#endif
