import Foundation

/// Group normalisation (Wu & He 2018), as PyTorch's GroupNorm computes it over NHWC: each image's
/// channels fall into `groups` runs of C/G, each run is normalised over its pixels with its own
/// mean and biased variance, then scaled and shifted per channel. Big Transfer's ResNetV2 and
/// timm's `_gn` ResNets use it where the others use batch norm. Unlike batch norm it depends on
/// the image, so it cannot be folded into a convolution.
final class GroupNorm: @unchecked Sendable {
    let groups: Int
    let gamma: [Float]
    let beta: [Float]
    let eps: Float

    init(groups: Int, gamma: [Float], beta: [Float], eps: Float) {
        self.groups = groups
        self.gamma = gamma
        self.beta = beta
        self.eps = eps
    }

    var channels: Int { gamma.count }

    /// Each (image, group)'s mean and 1/sqrt(variance + eps). Sums are taken in Double, channel by
    /// channel over the pixels (a loop over a contiguous row, which vectorises), then over the
    /// group's channels: the rounding stays below the float's last digits on big maps.
    func moments(_ x: Tensor) -> (mean: [Float], rstd: [Float]) {
        let (images, width) = (x.shape[0], channels / groups)
        let pixels = x.count / (images * channels)
        var mean = [Float](repeating: 0, count: images * groups), rstd = mean
        mean.withUnsafeMutableBufferPointer { meanOut in
            rstd.withUnsafeMutableBufferPointer { rstdOut in
                forEachImage(images) { image in
                    var sums = [Double](repeating: 0, count: channels), squares = sums
                    channelSums(x.pointer + image * pixels * channels, x.pointer + image * pixels * channels,
                                pixels: pixels, channels: channels, into: &sums, &squares)
                    let count = Double(pixels * width)
                    for group in 0..<groups {
                        let run = group * width..<(group + 1) * width
                        let m = sums[run].reduce(0, +) / count
                        let variance = max(squares[run].reduce(0, +) / count - m * m, 0)
                        meanOut[image * groups + group] = Float(m)
                        rstdOut[image * groups + group] = Float(1 / (variance + Double(eps)).squareRoot())
                    }
                }
            }
        }
        return (mean, rstd)
    }

    func forward(_ x: Tensor, relu: Bool) throws -> Tensor {
        guard x.shape.count == 4, x.channels == channels, channels % groups == 0 else {
            throw NetsError("group norm over \(channels) channels in \(groups) groups got input \(x.shape)")
        }
        let (mean, rstd) = moments(x)
        let images = x.shape[0]
        let pixels = x.count / (images * channels)
        let width = channels / groups
        let y = Tensor(shape: x.shape)
        forEachImage(images) { image in
            // y = x · a + b per channel, with a = rstd · γ and b = β − a · mean, as PyTorch applies it:
            // b and y each in one rounding (fused multiply-adds).
            var a = [Float](repeating: 0, count: channels), b = a
            for c in 0..<channels {
                let group = image * groups + c / width
                a[c] = rstd[group] * gamma[c]
                b[c] = beta[c].addingProduct(-a[c], mean[group])
            }
            let offset = image * pixels * channels
            a.withUnsafeBufferPointer { scale in
                b.withUnsafeBufferPointer { shift in
                    scaleShift(x.pointer + offset, y.pointer + offset, pixels: pixels, channels: channels,
                               scale: scale.baseAddress!, shift: shift.baseAddress!, relu: relu)
                }
            }
        }
        return y
    }

    /// dL/dx from dL/dy, given the input: with x̂ = (x − mean) · rstd and d = dL/dy · γ,
    /// dL/dx = rstd · (d − mean(d) − x̂ · mean(d · x̂)), the means over the image's group, which is
    /// dL/dy · rstd·γ[c] + x · u + v with u and v per group. A fused ReLU first masks dL/dy where
    /// its output `reluOutput` is not positive. Consumes `g`.
    func backward(_ g: Tensor, input x: Tensor, reluOutput: Tensor?) -> Tensor {
        // The moments again, from the input the trace keeps: one read of x, where keeping them
        // would need a record kind of their own.
        let (mean, rstd) = moments(x)
        let images = x.shape[0]
        let pixels = x.count / (images * channels)
        let width = channels / groups
        forEachImage(images) { image in
            let offset = image * pixels * channels
            let (gy, xs) = (g.pointer + offset, x.pointer + offset)
            if let reluOutput { reluBackward(gy, output: reluOutput.pointer + offset, pixels * channels) }
            // Per channel: Σ dL/dy and Σ dL/dy · x.
            var sumG = [Double](repeating: 0, count: channels), sumGX = sumG
            channelSums(gy, xs, pixels: pixels, channels: channels, into: &sumG, &sumGX)
            var scale = [Float](repeating: 0, count: channels), u = scale, v = scale
            let count = Double(pixels * width)
            for group in 0..<groups {
                let (m, r) = (Double(mean[image * groups + group]), Double(rstd[image * groups + group]))
                var meanD = 0.0, meanDX = 0.0   // mean(d), mean(d · x̂)
                for c in group * width..<(group + 1) * width {
                    meanD += sumG[c] * Double(gamma[c])
                    meanDX += (sumGX[c] - m * sumG[c]) * r * Double(gamma[c])
                }
                (meanD, meanDX) = (meanD / count, meanDX / count)
                for c in group * width..<(group + 1) * width {
                    scale[c] = Float(r * Double(gamma[c]))
                    u[c] = Float(-r * r * meanDX)
                    v[c] = Float(r * r * meanDX * m - r * meanD)
                }
            }
            affineGradient(gy, xs, pixels: pixels, channels: channels, scale: scale, u: u, v: v)
        }
        return g
    }
}

// Free functions over raw rows: the same loops inside the closures above stayed scalar.

/// sum[c] += Σ_p a[p, c] and product[c] += Σ_p a[p, c] · b[p, c], in Double (`b` = `a` gives the
/// squares).
private func channelSums(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, pixels: Int, channels: Int,
                         into sum: inout [Double], _ product: inout [Double]) {
    sum.withUnsafeMutableBufferPointer { sum in
        product.withUnsafeMutableBufferPointer { product in
            for p in 0..<pixels {
                let (ra, rb) = (a + p * channels, b + p * channels)
                for c in 0..<channels {
                    let va = Double(ra[c])
                    sum[c] += va
                    product[c] += va * Double(rb[c])
                }
            }
        }
    }
}

/// g[p, c] = g[p, c] · scale[c] + x[p, c] · u[c] + v[c].
private func affineGradient(_ g: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, pixels: Int, channels: Int,
                            scale: [Float], u: [Float], v: [Float]) {
    scale.withUnsafeBufferPointer { scale in
        u.withUnsafeBufferPointer { u in
            v.withUnsafeBufferPointer { v in
                for p in 0..<pixels {
                    let (row, values) = (g + p * channels, x + p * channels)
                    for c in 0..<channels { row[c] = row[c] * scale[c] + values[c] * u[c] + v[c] }
                }
            }
        }
    }
}
