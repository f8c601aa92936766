#ifndef UNRAVEL_POOL_H
#define UNRAVEL_POOL_H

/// Max pooling over NHWC: an input of n × h × w × c, an output of n × oh × ow × c, square
/// windows, the first starting `pad_top` rows above and `pad_left` columns left of the image.
/// Windows are padded with -infinity, or with zeros when `zero_padded` (a zero padding before
/// the pooling: Keras' ZeroPadding2D, PyTorch's F.pad). A window hanging over the bottom or
/// right edge (padding after the image, which `oh` and `ow` count, or ceil mode) takes the
/// pixels it has, and the zeros when `zero_padded`.
typedef struct {
    long n, h, w, c, oh, ow, kernel, stride, pad_top, pad_left;
    int zero_padded;
} unravel_pool_shape;

/// Output rows [first, last) (row = image · oh + i): each output is the largest of its window,
/// a later tap replacing it only when strictly greater (so a NaN never does).
void unravel_maxpool_forward(const unravel_pool_shape *shape, const float *x, float *y, long first, long last);

/// Images [first, last): adds each output's gradient g to the first tap of its window, in
/// row-major order, equal to the window's maximum y, windows in order. `gx` must hold zeros.
void unravel_maxpool_backward(const unravel_pool_shape *shape, const float *x, const float *y, const float *g,
                              float *gx, long first, long last);

/// The plain loops the above fall back to without AVX-512 (and tests compare them with).
void unravel_maxpool_forward_portable(const unravel_pool_shape *shape, const float *x, float *y, long first, long last);
void unravel_maxpool_backward_portable(const unravel_pool_shape *shape, const float *x, const float *y, const float *g,
                                       float *gx, long first, long last);

#endif
