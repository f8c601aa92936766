/// Average pooling over NHWC with PyTorch's AvgPool2d options: ResNet-D's shortcut is a 2x2,
/// stride-2 pooling with ceil mode that does not count padding, so an odd map's last window
/// averages the pixels it has.
struct AvgPool {
    let kernel: Int
    let stride: Int
    let padding: Int
    var ceilMode = false
    var countIncludePad = true

    func outputSize(_ height: Int, _ width: Int) -> (Int, Int) {
        (pooledSize(height, kernel: kernel, stride: stride, padding: padding, ceilMode: ceilMode),
         pooledSize(width, kernel: kernel, stride: stride, padding: padding, ceilMode: ceilMode))
    }

    /// The window of output index `o` along one axis of length n: [start, end) clipped to the
    /// image, and the divisor's share of it.
    private func window(_ o: Int, _ n: Int) -> (start: Int, end: Int, counted: Int) {
        let start = o * stride - padding
        let paddedEnd = min(start + kernel, n + padding)
        let (clippedStart, clippedEnd) = (max(start, 0), min(paddedEnd, n))
        return (clippedStart, clippedEnd, countIncludePad ? paddedEnd - start : clippedEnd - clippedStart)
    }

    /// Images are shared among the threads (windows overlap within an image, never across).
    func forward(_ x: Tensor) -> Tensor {
        let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (oh, ow) = outputSize(h, w)
        let y = Tensor(zeros: [n, oh, ow, c])
        forEachImage(n) { b in
            for i in 0..<oh {
                let rows = window(i, h)
                for j in 0..<ow {
                    let columns = window(j, w)
                    let out = y.pointer + ((b * oh + i) * ow + j) * c
                    for r in rows.start..<rows.end {
                        for q in columns.start..<columns.end { addInPlace(out, x.pointer + ((b * h + r) * w + q) * c, c) }
                    }
                    scaleInPlace(out, 1 / Float(rows.counted * columns.counted), c)
                }
            }
        }
        return y
    }

    /// Each output gradient spread evenly over its window, with the forward pass's divisor.
    func backward(_ g: Tensor, inputShape: [Int]) -> Tensor {
        let (n, h, w, c) = (inputShape[0], inputShape[1], inputShape[2], inputShape[3])
        let (oh, ow) = outputSize(h, w)
        let gx = Tensor(zeros: inputShape)
        forEachImage(n) { b in
            for i in 0..<oh {
                let rows = window(i, h)
                for j in 0..<ow {
                    let columns = window(j, w)
                    let share = 1 / Float(rows.counted * columns.counted)
                    let gout = g.pointer + ((b * oh + i) * ow + j) * c
                    for r in rows.start..<rows.end {
                        for q in columns.start..<columns.end {
                            let target = gx.pointer + ((b * h + r) * w + q) * c
                            for k in 0..<c { target[k] += gout[k] * share }
                        }
                    }
                }
            }
        }
        return gx
    }
}
