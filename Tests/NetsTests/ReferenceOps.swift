@testable import Nets

/// Naive, obviously correct versions of every op, in NHWC with PyTorch-layout weights: the oracle
/// for the fast path. Nested loops, no tricks, Double accumulators.
enum Reference {
    static func conv(_ x: Tensor, _ g: ConvGeometry, weights: [Float], bias: [Float]?) -> Tensor {
        let (n, h, w) = (x.shape[0], x.shape[1], x.shape[2])
        let (oh, ow) = g.outputSize(height: h, width: w)
        let inPerGroup = g.inChannels / g.groups, outPerGroup = g.outChannels / g.groups
        let y = Tensor(zeros: [n, oh, ow, g.outChannels])
        for b in 0..<n { for i in 0..<oh { for j in 0..<ow { for o in 0..<g.outChannels {
            let group = o / outPerGroup
            var sum = Double(bias?[o] ?? 0)
            for c in 0..<inPerGroup { for di in 0..<g.kernel { for dj in 0..<g.kernel {
                let r = i * g.stride - g.padTop + di, q = j * g.stride - g.padLeft + dj
                guard r >= 0, r < h, q >= 0, q < w else { continue }
                let input = x.pointer[((b * h + r) * w + q) * g.inChannels + group * inPerGroup + c]
                sum += Double(input) * Double(weights[((o * inPerGroup + c) * g.kernel + di) * g.kernel + dj])
            } } }
            y.pointer[((b * oh + i) * ow + j) * g.outChannels + o] = Float(sum)
        } } } }
        return y
    }

    /// dL/dx of the convolution, scattering each output gradient back over its window.
    static func convBackwardData(_ gy: Tensor, _ g: ConvGeometry, weights: [Float], inputShape: [Int]) -> Tensor {
        let (n, h, w) = (inputShape[0], inputShape[1], inputShape[2])
        let (oh, ow) = (gy.shape[1], gy.shape[2])
        let inPerGroup = g.inChannels / g.groups, outPerGroup = g.outChannels / g.groups
        var gx = [Double](repeating: 0, count: inputShape.reduce(1, *))
        for b in 0..<n { for i in 0..<oh { for j in 0..<ow { for o in 0..<g.outChannels {
            let group = o / outPerGroup
            let go = Double(gy.pointer[((b * oh + i) * ow + j) * g.outChannels + o])
            for c in 0..<inPerGroup { for di in 0..<g.kernel { for dj in 0..<g.kernel {
                let r = i * g.stride - g.padTop + di, q = j * g.stride - g.padLeft + dj
                guard r >= 0, r < h, q >= 0, q < w else { continue }
                gx[((b * h + r) * w + q) * g.inChannels + group * inPerGroup + c] +=
                    go * Double(weights[((o * inPerGroup + c) * g.kernel + di) * g.kernel + dj])
            } } }
        } } } }
        return Tensor(shape: inputShape, values: gx.map { Float($0) })
    }

    static func batchNorm(_ x: Tensor, gamma: [Float], beta: [Float], mean: [Float], variance: [Float], eps: Float) -> Tensor {
        let c = x.channels
        return Tensor(shape: x.shape, values: (0..<x.count).map { index in
            let k = index % c
            return (x.pointer[index] - mean[k]) / (variance[k] + eps).squareRoot() * gamma[k] + beta[k]
        })
    }

    static func relu(_ x: Tensor) -> Tensor { Tensor(shape: x.shape, values: x.values.map { max($0, 0) }) }

    /// With `ceilMode`, Caffe's rounding as pooling_layer.cpp writes it: ceil of the float
    /// quotient, then one fewer if padded and the last window starts beyond the left padding.
    static func maxPool(_ x: Tensor, kernel: Int, stride: Int, padding: Int, ceilMode: Bool = false) -> Tensor {
        let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        func size(_ n: Int) -> Int {
            guard ceilMode else { return (n + 2 * padding - kernel) / stride + 1 }
            var out = Int((Double(n + 2 * padding - kernel) / Double(stride)).rounded(.up)) + 1
            if padding > 0 && (out - 1) * stride >= n + padding { out -= 1 }
            return out
        }
        let oh = size(h), ow = size(w)
        let y = Tensor(shape: [n, oh, ow, c])
        for b in 0..<n { for i in 0..<oh { for j in 0..<ow { for k in 0..<c {
            var best = -Float.infinity
            for di in 0..<kernel { for dj in 0..<kernel {
                let r = i * stride - padding + di, q = j * stride - padding + dj
                if r >= 0, r < h, q >= 0, q < w { best = max(best, x.pointer[((b * h + r) * w + q) * c + k]) }
            } }
            y.pointer[((b * oh + i) * ow + j) * c + k] = best
        } } } }
        return y
    }

    /// `x` [n, h, w, c] with `value` rows and columns added on each side.
    static func padded(_ x: Tensor, top: Int, left: Int, bottom: Int, right: Int, value: Float) -> Tensor {
        let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (ph, pw) = (h + top + bottom, w + left + right)
        let y = Tensor(shape: [n, ph, pw, c], values: [Float](repeating: value, count: n * ph * pw * c))
        for b in 0..<n { for r in 0..<h { for q in 0..<w { for k in 0..<c {
            y.pointer[((b * ph + r + top) * pw + q + left) * c + k] = x.pointer[((b * h + r) * w + q) * c + k]
        } } } }
        return y
    }

    static func globalAvgPool(_ x: Tensor) -> Tensor {
        let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        return Tensor(shape: [n, c], values: (0..<(n * c)).map { index in
            let (b, k) = (index / c, index % c)
            var sum = 0.0
            for p in 0..<(h * w) { sum += Double(x.pointer[(b * h * w + p) * c + k]) }
            return Float(sum / Double(h * w))
        })
    }

    static func linear(_ x: Tensor, weight: [Float], bias: [Float], out: Int) -> Tensor {
        let (n, inFeatures) = (x.shape[0], x.shape[1])
        return Tensor(shape: [n, out], values: (0..<(n * out)).map { index in
            let (b, o) = (index / out, index % out)
            var sum = Double(bias[o])
            for i in 0..<inFeatures { sum += Double(x.pointer[b * inFeatures + i]) * Double(weight[o * inFeatures + i]) }
            return Float(sum)
        })
    }

    /// Option A as akamaster writes it: x[:, :, ::s, ::s] padded with zero channels.
    static func zeroPad(_ x: Tensor, stride: Int, out: Int, before: Int) -> Tensor {
        let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let oh = (h + stride - 1) / stride, ow = (w + stride - 1) / stride
        let y = Tensor(zeros: [n, oh, ow, out])
        for b in 0..<n { for i in 0..<oh { for j in 0..<ow { for k in 0..<c {
            y.pointer[((b * oh + i) * ow + j) * out + before + k] = x.pointer[((b * h + i * stride) * w + j * stride) * c + k]
        } } } }
        return y
    }

    /// The gradient of sum(y * probe) with respect to x, by central finite differences in
    /// Double: an oracle for any op's backward that needs no hand-written backward at all.
    static func numericGradient(_ x: Tensor, probe: [Float], _ f: (Tensor) throws -> Tensor) rethrows -> [Float] {
        func objective(_ t: Tensor) throws -> Double {
            let y = try f(t)
            return zip(y.values, probe).reduce(0) { $0 + Double($1.0) * Double($1.1) }
        }
        var gradient = [Float](repeating: 0, count: x.count)
        for index in 0..<x.count {
            let saved = x.pointer[index]
            let step: Float = 1e-2
            x.pointer[index] = saved + step
            let up = try objective(x)
            x.pointer[index] = saved - step
            let down = try objective(x)
            x.pointer[index] = saved
            gradient[index] = Float((up - down) / Double(2 * step))
        }
        return gradient
    }
}
