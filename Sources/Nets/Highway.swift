/// Element-wise parts of a highway layer y = H·T + x·(1 − T), T = sigmoid(gate(x)).
enum HighwayMath {
    static func sigmoidInPlace(_ t: Tensor) {
        for i in 0..<t.count { t.pointer[i] = 1 / (1 + (-t.pointer[i]).exp) }
    }

    /// y = h·t + x·(1 − t); `h` nil means H = 0 (a lesioned layer: only the carry remains).
    static func merge(h: Tensor?, t: Tensor, x: Tensor) -> Tensor {
        let y = Tensor(shape: x.shape)
        for i in 0..<x.count {
            let gate = t.pointer[i]
            y.pointer[i] = (h.map { $0.pointer[i] * gate } ?? 0) + x.pointer[i] * (1 - gate)
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
        for i in 0..<g.count {
            let gate = t.pointer[i]
            out.pointer[i] = g.pointer[i] * ((h?.pointer[i] ?? 0) - x.pointer[i]) * gate * (1 - gate)
        }
        return out
    }
}

extension Float {
    fileprivate var exp: Float { Foundation.exp(self) }
}

import Foundation
