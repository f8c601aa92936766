import Nets

/// The Euclidean norm of a tensor, averaged over the batch: mean over images of ‖x_b‖.
public func norm(_ x: Tensor) -> Double {
    imageNorms(x).reduce(0, +) / Double(max(x.batch, 1))
}

/// The cosine between two same-shaped tensors, averaged over the batch; nil if the shapes differ.
public func cosineSimilarity(_ a: Tensor, _ b: Tensor) -> Double? {
    guard a.shape == b.shape else { return nil }
    return perImageCosines(a, b).reduce(0, +) / Double(max(a.batch, 1))
}

/// Per image, ‖x_b‖, for an NHWC batch.
func imageNorms(_ x: Tensor) -> [Double] {
    let perImage = x.imageSize
    return (0..<x.batch).map { b in
        var sum = 0.0
        for i in 0..<perImage { let v = Double(x.pointer[b * perImage + i]); sum += v * v }
        return sum.squareRoot()
    }
}

/// Per image, the cosine between two same-shaped NHWC batches.
func perImageCosines(_ a: Tensor, _ b: Tensor) -> [Double] {
    let size = a.imageSize
    return (0..<a.batch).map { image in
        var (dot, aa, bb) = (0.0, 0.0, 0.0)
        for i in 0..<size {
            let (x, y) = (Double(a.pointer[image * size + i]), Double(b.pointer[image * size + i]))
            dot += x * y; aa += x * x; bb += y * y
        }
        return dot / max((aa * bb).squareRoot(), .leastNonzeroMagnitude)
    }
}
