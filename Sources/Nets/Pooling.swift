/// Max pooling over NHWC, padded with -infinity as PyTorch's MaxPool2d does, or with zeros when
/// it stands for Keras' ZeroPadding2D followed by MaxPooling2D (zeros then can be the maximum).
struct MaxPool {
    let kernel: Int
    let stride: Int
    let padding: Int
    var zeroPadded = false

    /// Whether output (i, j)'s window reaches into the padding.
    func touchesPadding(_ i: Int, _ j: Int, _ h: Int, _ w: Int) -> Bool {
        i * stride - padding < 0 || j * stride - padding < 0 || i * stride - padding + kernel > h || j * stride - padding + kernel > w
    }

    func outputSize(_ height: Int, _ width: Int) -> (Int, Int) {
        ((height + 2 * padding - kernel) / stride + 1, (width + 2 * padding - kernel) / stride + 1)
    }

    func forward(_ x: Tensor) -> Tensor {
        let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (oh, ow) = outputSize(h, w)
        let y = Tensor(shape: [n, oh, ow, c])
        y.pointer.update(repeating: -.infinity, count: y.count)
        for b in 0..<n {
            for i in 0..<oh {
                for j in 0..<ow {
                    let out = y.pointer + ((b * oh + i) * ow + j) * c
                    if zeroPadded && touchesPadding(i, j, h, w) { for k in 0..<c { out[k] = 0 } }
                    for di in 0..<kernel {
                        let r = i * stride - padding + di
                        guard r >= 0 && r < h else { continue }
                        for dj in 0..<kernel {
                            let q = j * stride - padding + dj
                            guard q >= 0 && q < w else { continue }
                            let source = x.pointer + ((b * h + r) * w + q) * c
                            for k in 0..<c where source[k] > out[k] { out[k] = source[k] }
                        }
                    }
                }
            }
        }
        return y
    }

    /// Routes each output gradient to the first maximum of its window, as PyTorch does.
    func backward(_ g: Tensor, input x: Tensor) -> Tensor {
        let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (oh, ow) = outputSize(h, w)
        let gx = Tensor(zeros: x.shape)
        for b in 0..<n {
            for i in 0..<oh {
                for j in 0..<ow {
                    let gout = g.pointer + ((b * oh + i) * ow + j) * c
                    for k in 0..<c {
                        var best = -Float.infinity
                        var at = -1
                        for di in 0..<kernel {
                            let r = i * stride - padding + di
                            guard r >= 0 && r < h else { continue }
                            for dj in 0..<kernel {
                                let q = j * stride - padding + dj
                                guard q >= 0 && q < w else { continue }
                                let index = ((b * h + r) * w + q) * c + k
                                if x.pointer[index] > best { best = x.pointer[index]; at = index }
                            }
                        }
                        if zeroPadded && touchesPadding(i, j, h, w) && best < 0 { continue }   // a padding zero won
                        if at >= 0 { gx.pointer[at] += gout[k] }
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
        for b in 0..<n {
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
        for b in 0..<n {
            for p in 0..<pixels {
                let out = gx.pointer + (b * pixels + p) * c
                for k in 0..<c { out[k] = g.pointer[b * c + k] * share }
            }
        }
        return gx
    }
}
