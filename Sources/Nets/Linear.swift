import CDNNL

/// y = x Wᵀ + b with W in PyTorch's [out, in] layout.
///
/// Each output is summed over the inputs in order, one product at a time, as it always was
/// (`unravel_linear_rows`, in C for its AVX-512 path: Swift's baseline x86-64 loops are four
/// lanes wide, and the head ran at 25 GFLOP/s a core). Batch rows are shared among the threads.
final class Linear: @unchecked Sendable {
    let inFeatures: Int
    let outFeatures: Int
    let weight: [Float]
    let bias: [Float]?
    /// W in blocks of 64 outputs, input by input (`unravel_linear_pack`).
    private let packed: [Float]

    init(inFeatures: Int, outFeatures: Int, weight: [Float], bias: [Float]?) {
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        self.weight = weight
        self.bias = bias
        packed = [Float](unsafeUninitializedCapacity: unravel_linear_packed_count(inFeatures, outFeatures)) { packed, count in
            unravel_linear_pack(weight, packed.baseAddress!, inFeatures, outFeatures)
            count = packed.count
        }
    }

    func forward(_ x: Tensor) throws -> Tensor {
        guard x.shape.count == 2, x.shape[1] == inFeatures else {
            throw NetsError("linear layer expects [batch, \(inFeatures)], got \(x.shape)")
        }
        let (n, inFeatures, outFeatures) = (x.shape[0], inFeatures, outFeatures)
        let y = Tensor(shape: [n, outFeatures])
        packed.withUnsafeBufferPointer { packed in
            Linear.withBias(bias) { bias in
                parallelRanges(n, minimum: 2) { rows in
                    unravel_linear_rows(x.pointer, packed.baseAddress!, bias, y.pointer, rows.lowerBound, rows.upperBound,
                                        inFeatures, outFeatures)
                }
            }
        }
        return y
    }

    private static func withBias<R>(_ bias: [Float]?, _ body: (UnsafePointer<Float>?) -> R) -> R {
        guard let bias else { return body(nil) }
        return bias.withUnsafeBufferPointer { body($0.baseAddress) }
    }

    /// dL/dx = g W: each input's gradient summed over the outputs in order, rows on the threads.
    func backward(_ g: Tensor) -> Tensor {
        let (n, inFeatures, outFeatures) = (g.shape[0], inFeatures, outFeatures)
        let gx = Tensor(zeros: [n, inFeatures])
        weight.withUnsafeBufferPointer { w in
            parallelRanges(n, minimum: 2) { rows in
                for b in rows {
                    let out = gx.pointer + b * inFeatures
                    for o in 0..<outFeatures {
                        let go = g.pointer[b * outFeatures + o]
                        if go == 0 { continue }
                        let wo = w.baseAddress! + o * inFeatures
                        for i in 0..<inFeatures { out[i] += go * wo[i] }
                    }
                }
            }
        }
        return gx
    }
}
