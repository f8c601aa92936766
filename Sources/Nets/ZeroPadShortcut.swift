/// Option A: keep the top-left pixel of each stride x stride cell, and add zero channels.
struct ZeroPadShortcut {
    let stride: Int
    let inChannels: Int
    let outChannels: Int
    /// Zero channels placed before the input channels ("split": half before, half after;
    /// "append": none before).
    let before: Int

    init(stride: Int, inChannels: Int, outChannels: Int, placement: ZeroPadPlacement) throws {
        guard outChannels >= inChannels, stride >= 1 else {
            throw NetsError("option-A shortcut cannot map \(inChannels) to \(outChannels) channels with stride \(stride)")
        }
        self.stride = stride
        self.inChannels = inChannels
        self.outChannels = outChannels
        switch placement {
        case .split: before = (outChannels - inChannels) / 2
        case .append: before = 0
        }
    }

    func outputShape(_ input: [Int]) -> [Int] {
        [input[0], (input[1] + stride - 1) / stride, (input[2] + stride - 1) / stride, outChannels]
    }

    func forward(_ x: Tensor) -> Tensor {
        let shape = outputShape(x.shape)
        let (n, h, w) = (x.shape[0], x.shape[1], x.shape[2])
        let (oh, ow) = (shape[1], shape[2])
        let y = Tensor(zeros: shape)
        forEachImage(n) { b in
            for i in 0..<oh {
                for j in 0..<ow {
                    let source = x.pointer + ((b * h + i * stride) * w + j * stride) * inChannels
                    let target = y.pointer + ((b * oh + i) * ow + j) * outChannels + before
                    target.update(from: source, count: inChannels)
                }
            }
        }
        return y
    }

    func backward(_ g: Tensor, inputShape: [Int]) -> Tensor {
        let (n, h, w) = (inputShape[0], inputShape[1], inputShape[2])
        let (oh, ow) = (g.shape[1], g.shape[2])
        let gx = Tensor(zeros: inputShape)
        forEachImage(n) { b in
            for i in 0..<oh {
                for j in 0..<ow {
                    let source = g.pointer + ((b * oh + i) * ow + j) * outChannels + before
                    let target = gx.pointer + ((b * h + i * stride) * w + j * stride) * inChannels
                    target.update(from: source, count: inChannels)
                }
            }
        }
        return gx
    }
}
