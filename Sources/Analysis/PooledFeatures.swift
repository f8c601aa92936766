import Nets

/// Global average pooling of an NHWC batch: per image (of `rows`, or all), the mean of each
/// channel over the pixels, [images, channels] row-major. What the linear probes and the
/// projected logit lens read. It sums in Double, unlike the head's pooling in Nets, because these
/// features feed normal equations, where float32 rounding is magnified.
public func globalAveragePool(_ x: Tensor, rows: [Int]? = nil) -> [Float] {
    let (n, c) = (x.batch, x.channels)
    let pixels = x.count / max(n * c, 1)
    let images = rows ?? Array(0..<n)
    var out = [Float](repeating: 0, count: images.count * c)
    for (r, b) in images.enumerated() {
        var sums = [Double](repeating: 0, count: c)
        let base = x.pointer + b * pixels * c
        for p in 0..<pixels { for k in 0..<c { sums[k] += Double(base[p * c + k]) } }
        for k in 0..<c { out[r * c + k] = Float(sums[k] / Double(pixels)) }
    }
    return out
}

/// Why the probes that pool block outputs cannot read `network`, or nil: they need blocks, each
/// with an [height, width, channels] output.
public func poolingRefusal(_ network: Network) -> String? {
    guard network.blockCount > 0 else {
        return "'\(network.architecture.name)' has no residual blocks, so there are no block outputs to pool"
    }
    for block in 0..<network.blockCount where network.blockShapes(block).output.count != 3 {
        return "block \(block) ('\(network.architecture.blocks[block].name)') gives \(network.blockShapes(block).output), "
            + "not a [height, width, channels] map that global pooling can read"
    }
    return nil
}
