/// Element-wise parts of a highway layer y = H·T + x·(1 − T), T = sigmoid(gate(x)); the sigmoid
/// itself is fused into the gate convolution.
enum HighwayMath {
    /// y = h·t + x·(1 − t); `h` nil means H = 0 (a lesioned layer: only the carry remains).
    /// Written into `output` when given (x's own buffer may be), else into a new tensor.
    static func merge(h: Tensor?, t: Tensor, x: Tensor, into output: Tensor? = nil) -> Tensor {
        let y = output ?? Tensor(shape: x.shape)
        parallelRanges(x.count) { r in
            highwayMerge(h.map { UnsafePointer($0.pointer + r.lowerBound) }, t.pointer + r.lowerBound,
                         x.pointer + r.lowerBound, y.pointer + r.lowerBound, r.count)
        }
        return y
    }

    /// g·(1 − t): the carry path, with the gate held fixed.
    static func carry(_ g: Tensor, t: Tensor) -> Tensor { gated(g, t: t, carry: true) }

    /// g·t: the gradient reaching H.
    static func transform(_ g: Tensor, t: Tensor) -> Tensor { gated(g, t: t, carry: false) }

    private static func gated(_ g: Tensor, t: Tensor, carry: Bool) -> Tensor {
        let out = Tensor(shape: g.shape)
        parallelRanges(g.count) { r in
            highwayGated(g.pointer + r.lowerBound, t.pointer + r.lowerBound, carry: carry, out.pointer + r.lowerBound, r.count)
        }
        return out
    }

    /// g·(H − x)·t·(1 − t): the gradient reaching the gate's pre-activation.
    static func gate(_ g: Tensor, h: Tensor?, x: Tensor, t: Tensor) -> Tensor {
        let out = Tensor(shape: g.shape)
        parallelRanges(g.count) { r in
            highwayGateGradient(g.pointer + r.lowerBound, h.map { UnsafePointer($0.pointer + r.lowerBound) },
                                x.pointer + r.lowerBound, t.pointer + r.lowerBound, out.pointer + r.lowerBound, r.count)
        }
        return out
    }
}
