/// A batch norm at inference, as y = x * scale[c] + shift[c] over NHWC channels. Used where it
/// cannot be folded into a convolution: pre-activation BN-ReLU and the final BN of a head.
final class ScaleShift: @unchecked Sendable {
    let scale: [Float]
    let shift: [Float]

    init(scale: [Float], shift: [Float]) {
        self.scale = scale
        self.shift = shift
    }

    /// From batch-norm statistics as PyTorch's CPU kernel derives them, bit for bit: scale =
    /// (1 / sqrt(var + eps)) · gamma, shift = beta − mean · scale in one rounding (a fused
    /// multiply-add).
    convenience init(gamma: [Float], beta: [Float], mean: [Float], variance: [Float], eps: Float) {
        let scale = zip(gamma, variance).map { (1 / ($1 + eps).squareRoot()) * $0 }
        let shift = (0..<gamma.count).map { beta[$0].addingProduct(-mean[$0], scale[$0]) }
        self.init(scale: scale, shift: shift)
    }

    func forward(_ x: Tensor, relu: Bool) throws -> Tensor {
        guard x.channels == scale.count else {
            throw NetsError("batch norm over \(scale.count) channels got input \(x.shape)")
        }
        let y = Tensor(shape: x.shape)
        let channels = scale.count
        scale.withUnsafeBufferPointer { s in
            shift.withUnsafeBufferPointer { b in
                parallelRanges(x.count / channels, minimum: (1 << 15) / channels) { pixels in
                    let offset = pixels.lowerBound * channels
                    scaleShift(x.pointer + offset, y.pointer + offset, pixels: pixels.count, channels: channels,
                               scale: s.baseAddress!, shift: b.baseAddress!, relu: relu)
                }
            }
        }
        return y
    }

    /// dL/dx = dL/dy * scale[c], masked first by the fused ReLU when its output `reluOutput` is
    /// given: one pass over memory instead of two. Consumes `g`.
    func backward(_ g: Tensor, reluOutput: Tensor? = nil) -> Tensor {
        let channels = scale.count
        scale.withUnsafeBufferPointer { s in
            parallelRanges(g.count / channels, minimum: (1 << 15) / channels) { pixels in
                let offset = pixels.lowerBound * channels
                scaleChannels(g.pointer + offset, pixels: pixels.count, channels: channels, scale: s.baseAddress!,
                              keepingWherePositive: reluOutput.map { UnsafePointer($0.pointer + offset) })
            }
        }
        return g
    }
}
