import CDNNL

/// SiLU (swish), y = x · sigmoid(x), computed as PyTorch's CPU kernel writes it, x / (1 + exp(−x)),
/// so that values agree to the float's rounding. timm's ByobNet ResNets (the '-ts' models) use
/// it where the others use ReLU. In C (`unravel_silu_forward`), sixteen lanes at a time with
/// its own exp: libm's expf, value by value, was a third of a '-ts' pass.
enum SiLU {
    static func forward(_ x: Tensor) -> Tensor {
        let y = Tensor(shape: x.shape)
        parallelRanges(x.count) { range in
            unravel_silu_forward(x.pointer + range.lowerBound, y.pointer + range.lowerBound, range.count)
        }
        return y
    }

    /// dL/dx = dL/dy · s · (1 + x · (1 − s)) with s = sigmoid(x), recomputed from the input.
    /// Consumes `g`.
    static func backward(_ g: Tensor, input x: Tensor) -> Tensor {
        parallelRanges(x.count) { range in
            unravel_silu_backward(g.pointer + range.lowerBound, x.pointer + range.lowerBound, range.count)
        }
        return g
    }
}
