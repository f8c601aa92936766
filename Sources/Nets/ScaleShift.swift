import Foundation

/// A batch norm at inference, as y = x * scale[c] + shift[c] over NHWC channels. Used where it
/// cannot be folded into a convolution: pre-activation BN-ReLU and the final BN of a head.
final class ScaleShift: @unchecked Sendable {
    let scale: [Float]
    let shift: [Float]

    init(scale: [Float], shift: [Float]) {
        self.scale = scale
        self.shift = shift
    }

    /// From batch-norm statistics: scale = gamma / sqrt(var + eps), shift = beta - mean * scale.
    convenience init(gamma: [Float], beta: [Float], mean: [Float], variance: [Float], eps: Float) {
        let scale = zip(gamma, variance).map { $0 / (Float($1) + eps).squareRoot() }
        let shift = (0..<gamma.count).map { beta[$0] - mean[$0] * scale[$0] }
        self.init(scale: scale, shift: shift)
    }

    func forward(_ x: Tensor, relu: Bool) throws -> Tensor {
        guard x.channels == scale.count else {
            throw NetsError("batch norm over \(scale.count) channels got input \(x.shape)")
        }
        let y = Tensor(shape: x.shape)
        let channels = scale.count, pixels = x.count / channels
        // Memory-bound: split the pixels over the cores, as oneDNN does for the convolutions.
        let parts = x.count >= 1 << 16 ? Compute.threads : 1
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            let first = pixels * part / parts, last = pixels * (part + 1) / parts
            self.scale.withUnsafeBufferPointer { s in
                self.shift.withUnsafeBufferPointer { b in
                    scaleShift(x.pointer + first * channels, y.pointer + first * channels, pixels: last - first, channels: channels,
                               scale: s.baseAddress!, shift: b.baseAddress!, relu: relu)
                }
            }
        }
        return y
    }

    /// dL/dx = dL/dy * scale[c]. Consumes `g`.
    func backward(_ g: Tensor) -> Tensor {
        scale.withUnsafeBufferPointer { s in
            scaleChannels(g.pointer, pixels: g.count / scale.count, channels: scale.count, scale: s.baseAddress!)
        }
        return g
    }
}
