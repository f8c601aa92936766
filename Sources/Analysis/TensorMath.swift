import Nets

/// The Euclidean norm of a tensor, averaged over the batch: mean over images of ‖x_b‖.
public func norm(_ x: Tensor) -> Double {
    let perImage = x.count / max(x.batch, 1)
    var total = 0.0
    for b in 0..<x.batch {
        var sum = 0.0
        for i in 0..<perImage { let v = Double(x.pointer[b * perImage + i]); sum += v * v }
        total += sum.squareRoot()
    }
    return total / Double(max(x.batch, 1))
}

/// The cosine between two same-shaped tensors, averaged over the batch; nil if the shapes differ.
public func cosineSimilarity(_ a: Tensor, _ b: Tensor) -> Double? {
    guard a.shape == b.shape else { return nil }
    let perImage = a.count / max(a.batch, 1)
    var total = 0.0
    for image in 0..<a.batch {
        var (dot, aa, bb) = (0.0, 0.0, 0.0)
        for i in 0..<perImage {
            let (x, y) = (Double(a.pointer[image * perImage + i]), Double(b.pointer[image * perImage + i]))
            dot += x * y; aa += x * x; bb += y * y
        }
        total += dot / max((aa * bb).squareRoot(), .leastNonzeroMagnitude)
    }
    return total / Double(max(a.batch, 1))
}
