import Foundation

/// SiLU (swish), y = x · sigmoid(x), computed as PyTorch's CPU kernel writes it, x / (1 + exp(−x)),
/// so that values agree to the float's rounding. timm's ByobNet ResNets (the '-ts' models) use
/// it where the others use ReLU.
enum SiLU {
    static func forward(_ x: Tensor) -> Tensor {
        let y = Tensor(shape: x.shape)
        parallelRanges(x.count) { range in
            siluForward(x.pointer + range.lowerBound, y.pointer + range.lowerBound, range.count)
        }
        return y
    }

    /// dL/dx = dL/dy · s · (1 + x · (1 − s)) with s = sigmoid(x), recomputed from the input.
    /// Consumes `g`.
    static func backward(_ g: Tensor, input x: Tensor) -> Tensor {
        parallelRanges(x.count) { range in
            siluBackward(g.pointer + range.lowerBound, x.pointer + range.lowerBound, range.count)
        }
        return g
    }
}

// Free functions: the same loops inside the closures above stayed scalar.

private func siluForward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ count: Int) {
    for i in 0..<count { y[i] = x[i] / (1 + exp(-x[i])) }
}

private func siluBackward(_ g: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ count: Int) {
    for i in 0..<count {
        let s = 1 / (1 + exp(-x[i]))
        g[i] *= s * (1 + x[i] * (1 - s))
    }
}
