import CDNNL

/// The output length of a pooling along an axis of length n, padded by `before` and `after`.
/// In ceil mode (PyTorch's ceil_mode, and Caffe's only rounding) the size is rounded up, but
/// the last window must start inside the image or its leading padding.
func pooledSize(_ n: Int, kernel: Int, stride: Int, before: Int, after: Int, ceilMode: Bool) -> Int {
    let span = n + before + after - kernel
    var out = (ceilMode ? (span + stride - 1) / stride : span / stride) + 1
    if ceilMode, (out - 1) * stride >= n + before { out -= 1 }
    return out
}

func pooledSize(_ n: Int, kernel: Int, stride: Int, padding: Int, ceilMode: Bool) -> Int {
    pooledSize(n, kernel: kernel, stride: stride, before: padding, after: padding, ceilMode: ceilMode)
}

/// Max pooling over NHWC, padded with -infinity as PyTorch's MaxPool2d does, or with zeros when
/// it stands for a zero padding followed by a pooling (Keras' ZeroPadding2D, PyTorch's F.pad:
/// zeros then can be the maximum). The padding may differ by side: TensorFlow's 'same' pooling
/// and 'SAME' padding on an even map pad only after it (Keras, Big Transfer as transformers
/// builds it). In ceil mode the last window may hang over the bottom and right edges and takes
/// the pixels it has (Caffe's pooling, e.g. the MSRA ResNets' pool1: 112 → 56).
struct MaxPool {
    let kernel: Int
    let stride: Int
    let padTop: Int, padLeft: Int, padBottom: Int, padRight: Int
    var zeroPadded = false
    var ceilMode = false

    /// The same padding on every side.
    init(kernel: Int, stride: Int, padding: Int, zeroPadded: Bool = false, ceilMode: Bool = false) {
        self.init(kernel: kernel, stride: stride, padTop: padding, padLeft: padding, padBottom: padding, padRight: padding,
                  zeroPadded: zeroPadded, ceilMode: ceilMode)
    }

    init(kernel: Int, stride: Int, padTop: Int, padLeft: Int, padBottom: Int, padRight: Int,
         zeroPadded: Bool = false, ceilMode: Bool = false) {
        (self.kernel, self.stride, self.zeroPadded, self.ceilMode) = (kernel, stride, zeroPadded, ceilMode)
        (self.padTop, self.padLeft, self.padBottom, self.padRight) = (padTop, padLeft, padBottom, padRight)
    }

    func outputSize(_ height: Int, _ width: Int) -> (Int, Int) {
        (pooledSize(height, kernel: kernel, stride: stride, before: padTop, after: padBottom, ceilMode: ceilMode),
         pooledSize(width, kernel: kernel, stride: stride, before: padLeft, after: padRight, ceilMode: ceilMode))
    }

    /// This pooling on `x`, as the C kernels take it.
    func cShape(_ x: Tensor) -> unravel_pool_shape {
        let (oh, ow) = outputSize(x.shape[1], x.shape[2])
        return unravel_pool_shape(n: x.shape[0], h: x.shape[1], w: x.shape[2], c: x.shape[3], oh: oh, ow: ow,
                                  kernel: kernel, stride: stride, pad_top: padTop, pad_left: padLeft,
                                  zero_padded: zeroPadded ? 1 : 0)
    }

    /// Output rows are shared among the threads (`unravel_maxpool_forward`, in C for its AVX-512
    /// path; Swift's baseline loops are four lanes wide). ResNet-50's pool1 at batch 32 was 3% of
    /// a forward pass on one core.
    func forward(_ x: Tensor) -> Tensor {
        let shape = cShape(x)
        let y = Tensor(shape: [shape.n, shape.oh, shape.ow, shape.c])
        withUnsafePointer(to: shape) { shape in
            parallelRanges(shape.pointee.n * shape.pointee.oh, minimum: 2) { rows in
                unravel_maxpool_forward(shape, x.pointer, y.pointer, rows.lowerBound, rows.upperBound)
            }
        }
        return y
    }

    /// Routes each output gradient to the first input of its window, in row-major order, that
    /// equals the window's maximum `y` (the forward's output): the first maximum, where PyTorch
    /// routes ties. A padding zero that won (`zeroPadded`) equals no input below it, so its
    /// gradient goes nowhere. Images are shared among the threads (windows overlap within an
    /// image, never across); each input's gradient sums its windows' shares in window order
    /// (`unravel_maxpool_backward`: 16 channels at a time with a mask of those still unrouted).
    func backward(_ g: Tensor, input x: Tensor, output y: Tensor) -> Tensor {
        let shape = cShape(x)
        precondition(y.shape == [shape.n, shape.oh, shape.ow, shape.c] && g.shape == y.shape,
                     "max pool backward: \(g.shape), \(y.shape) for \(x.shape)")
        let gx = Tensor(zeros: x.shape)
        withUnsafePointer(to: shape) { shape in
            parallelRanges(shape.pointee.n, minimum: 2) { images in
                unravel_maxpool_backward(shape, x.pointer, y.pointer, g.pointer, gx.pointer, images.lowerBound, images.upperBound)
            }
        }
        return gx
    }
}

/// Mean over height and width: NHWC [n, h, w, c] to [n, c].
enum GlobalAvgPool {
    static func forward(_ x: Tensor) -> Tensor {
        let (n, c) = (x.shape[0], x.shape[3])
        let pixels = x.shape[1] * x.shape[2]
        let y = Tensor(zeros: [n, c])
        forEachImage(n) { b in
            let out = y.pointer + b * c
            for p in 0..<pixels { addInPlace(out, x.pointer + (b * pixels + p) * c, c) }
            scaleInPlace(out, 1 / Float(pixels), c)
        }
        return y
    }

    static func backward(_ g: Tensor, inputShape: [Int]) -> Tensor {
        let (n, c) = (inputShape[0], inputShape[3])
        let pixels = inputShape[1] * inputShape[2]
        let gx = Tensor(shape: inputShape)
        let share = 1 / Float(pixels)
        forEachImage(n) { b in
            for p in 0..<pixels {
                let out = gx.pointer + (b * pixels + p) * c
                for k in 0..<c { out[k] = g.pointer[b * c + k] * share }
            }
        }
        return gx
    }
}
