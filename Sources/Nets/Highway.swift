/// Element-wise parts of a highway layer y = H·T + x·(1 − T), T = sigmoid(gate(x)); the sigmoid
/// itself is fused into the gate convolution.
enum HighwayMath {
    /// y = h·t + x·(1 − t); `h` nil means H = 0 (a lesioned layer: only the carry remains).
    static func merge(h: Tensor?, t: Tensor, x: Tensor) -> Tensor {
        let y = Tensor(shape: x.shape)
        let (yp, tp, xp) = (y.pointer, t.pointer, x.pointer)
        if let hp = h?.pointer {
            for i in 0..<x.count { yp[i] = hp[i] * tp[i] + xp[i] * (1 - tp[i]) }
        } else {
            for i in 0..<x.count { yp[i] = xp[i] * (1 - tp[i]) }
        }
        return y
    }

    /// g·(1 − t): the carry path, with the gate held fixed.
    static func carry(_ g: Tensor, t: Tensor) -> Tensor {
        let out = Tensor(shape: g.shape)
        for i in 0..<g.count { out.pointer[i] = g.pointer[i] * (1 - t.pointer[i]) }
        return out
    }

    /// g·t: the gradient reaching H.
    static func transform(_ g: Tensor, t: Tensor) -> Tensor {
        let out = Tensor(shape: g.shape)
        for i in 0..<g.count { out.pointer[i] = g.pointer[i] * t.pointer[i] }
        return out
    }

    /// g·(H − x)·t·(1 − t): the gradient reaching the gate's pre-activation.
    static func gate(_ g: Tensor, h: Tensor?, x: Tensor, t: Tensor) -> Tensor {
        let out = Tensor(shape: g.shape)
        let (op, gp, xp, tp) = (out.pointer, g.pointer, x.pointer, t.pointer)
        if let hp = h?.pointer {
            for i in 0..<g.count { op[i] = gp[i] * (hp[i] - xp[i]) * tp[i] * (1 - tp[i]) }
        } else {
            for i in 0..<g.count { op[i] = -gp[i] * xp[i] * tp[i] * (1 - tp[i]) }
        }
        return out
    }
}
