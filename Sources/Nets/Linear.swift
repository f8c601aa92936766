/// y = x Wᵀ + b with W in PyTorch's [out, in] layout.
final class Linear: @unchecked Sendable {
    let inFeatures: Int
    let outFeatures: Int
    let weight: [Float]
    let bias: [Float]?

    init(inFeatures: Int, outFeatures: Int, weight: [Float], bias: [Float]?) {
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        self.weight = weight
        self.bias = bias
    }

    func forward(_ x: Tensor) throws -> Tensor {
        guard x.shape.count == 2, x.shape[1] == inFeatures else {
            throw NetsError("linear layer expects [batch, \(inFeatures)], got \(x.shape)")
        }
        let n = x.shape[0]
        let y = Tensor(shape: [n, outFeatures])
        weight.withUnsafeBufferPointer { w in
            for b in 0..<n {
                let row = x.pointer + b * inFeatures
                for o in 0..<outFeatures {
                    let wo = w.baseAddress! + o * inFeatures
                    var sum: Float = 0
                    for i in 0..<inFeatures { sum += row[i] * wo[i] }
                    y.pointer[b * outFeatures + o] = sum + (bias?[o] ?? 0)
                }
            }
        }
        return y
    }

    /// dL/dx = g W.
    func backward(_ g: Tensor) -> Tensor {
        let n = g.shape[0]
        let gx = Tensor(zeros: [n, inFeatures])
        weight.withUnsafeBufferPointer { w in
            for b in 0..<n {
                let out = gx.pointer + b * inFeatures
                for o in 0..<outFeatures {
                    let go = g.pointer[b * outFeatures + o]
                    if go == 0 { continue }
                    let wo = w.baseAddress! + o * inFeatures
                    for i in 0..<inFeatures { out[i] += go * wo[i] }
                }
            }
        }
        return gx
    }
}
