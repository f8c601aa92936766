/// The output length of a pooling along an axis of length n. In ceil mode (PyTorch's
/// ceil_mode, and Caffe's only rounding) the size is rounded up, but the last window must start
/// inside the image or its left padding.
func pooledSize(_ n: Int, kernel: Int, stride: Int, padding: Int, ceilMode: Bool) -> Int {
    let span = n + 2 * padding - kernel
    var out = (ceilMode ? (span + stride - 1) / stride : span / stride) + 1
    if ceilMode, (out - 1) * stride >= n + padding { out -= 1 }
    return out
}

/// Max pooling over NHWC, padded with -infinity as PyTorch's MaxPool2d does, or with zeros when
/// it stands for Keras' ZeroPadding2D followed by MaxPooling2D (zeros then can be the maximum).
/// In ceil mode the last window may hang over the bottom and right edges and takes the pixels
/// it has (Caffe's pooling, e.g. the MSRA ResNets' pool1: 112 → 56).
struct MaxPool {
    let kernel: Int
    let stride: Int
    let padding: Int
    var zeroPadded = false
    var ceilMode = false

    /// Whether output (i, j)'s window reaches into the padding.
    func touchesPadding(_ i: Int, _ j: Int, _ h: Int, _ w: Int) -> Bool {
        i * stride - padding < 0 || j * stride - padding < 0 || i * stride - padding + kernel > h || j * stride - padding + kernel > w
    }

    func outputSize(_ height: Int, _ width: Int) -> (Int, Int) {
        (pooledSize(height, kernel: kernel, stride: stride, padding: padding, ceilMode: ceilMode),
         pooledSize(width, kernel: kernel, stride: stride, padding: padding, ceilMode: ceilMode))
    }

    /// Output rows are shared among the threads; along the channels the comparison is a select,
    /// which vectorises (a conditional store does not). ResNet-50's pool1 at batch 32 was 3% of
    /// a forward pass on one core.
    func forward(_ x: Tensor) -> Tensor {
        let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (oh, ow) = outputSize(h, w)
        let y = Tensor(shape: [n, oh, ow, c])
        parallelRanges(n * oh, minimum: 2) { rows in
            for row in rows {
                let (b, i) = row.quotientAndRemainder(dividingBy: oh)
                for j in 0..<ow {
                    let out = y.pointer + ((b * oh + i) * ow + j) * c
                    out.update(repeating: zeroPadded && touchesPadding(i, j, h, w) ? 0 : -.infinity, count: c)
                    for di in 0..<kernel {
                        let r = i * stride - padding + di
                        guard r >= 0 && r < h else { continue }
                        for dj in 0..<kernel {
                            let q = j * stride - padding + dj
                            guard q >= 0 && q < w else { continue }
                            let source = x.pointer + ((b * h + r) * w + q) * c
                            for k in 0..<c { out[k] = source[k] > out[k] ? source[k] : out[k] }
                        }
                    }
                }
            }
        }
        return y
    }

    /// Routes each output gradient to the first input of its window, in row-major order, that
    /// equals the window's maximum `y` (the forward's output): the first maximum, where PyTorch
    /// routes ties. A padding zero that won (`zeroPadded`) equals no input below it, so its
    /// gradient goes nowhere. Images are shared among the threads (windows overlap within an
    /// image, never across); each window's taps are scanned 16 channels at a time with a mask of
    /// the channels still unrouted, in explicit vectors: the scalar loop this replaced, with a
    /// running maximum and its index, was not vectorised by LLVM and took 4.3% of a ResNet-50
    /// gradient pass. Each input's gradient sums its windows' shares in window order, as before.
    func backward(_ g: Tensor, input x: Tensor, output y: Tensor) -> Tensor {
        let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (oh, ow) = outputSize(h, w)
        precondition(y.shape == [n, oh, ow, c] && g.shape == y.shape, "max pool backward: \(g.shape), \(y.shape) for \(x.shape)")
        let gx = Tensor(zeros: x.shape)
        let vectorChannels = c - c % Vector.scalarCount
        forEachImage(n) { b in
            for i in 0..<oh {
                let rows = max(0, i * stride - padding)..<min(h, i * stride - padding + kernel)
                for j in 0..<ow {
                    let columns = max(0, j * stride - padding)..<min(w, j * stride - padding + kernel)
                    let window = ((b * oh + i) * ow + j) * c
                    var k = 0
                    while k < vectorChannels {
                        let (maximum, share) = (load(y.pointer, window + k), load(g.pointer, window + k))
                        var unrouted = SIMDMask<SIMD16<Int32>>(repeating: true)
                        for r in rows {
                            for q in columns {
                                let pixel = ((b * h + r) * w + q) * c + k
                                let hit = unrouted .& (load(x.pointer, pixel) .== maximum)
                                guard any(hit) else { continue }
                                let current = load(gx.pointer, pixel)
                                store(current.replacing(with: current + share, where: hit), gx.pointer, pixel)
                                unrouted = unrouted .& .!hit
                            }
                        }
                        k += Vector.scalarCount
                    }
                    for channel in vectorChannels..<c {
                        routeScalar: for r in rows {
                            for q in columns {
                                let pixel = ((b * h + r) * w + q) * c + channel
                                if x.pointer[pixel] == y.pointer[window + channel] {
                                    gx.pointer[pixel] += g.pointer[window + channel]
                                    break routeScalar
                                }
                            }
                        }
                    }
                }
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
