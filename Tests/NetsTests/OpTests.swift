import XCTest
@testable import Nets
import CDNNL

/// Every other op, forward against the reference and backward against finite differences.
final class OpTests: XCTestCase {
    func testBatchNormForwardAndBackward() throws {
        var random = Seeded(10)
        let c = 19
        let gamma = random.floats(c), beta = random.floats(c), mean = random.floats(c)
        let variance = random.floats(c).map { abs($0) + 0.1 }
        let bn = ScaleShift(gamma: gamma, beta: beta, mean: mean, variance: variance, eps: 1e-5)
        let x = Tensor(shape: [2, 3, 4, c], values: random.floats(2 * 3 * 4 * c))
        let expected = Reference.batchNorm(x, gamma: gamma, beta: beta, mean: mean, variance: variance, eps: 1e-5)
        assertClose(try bn.forward(x, relu: false).values, expected.values, "batch norm")
        assertClose(try bn.forward(x, relu: true).values, Reference.relu(expected).values, "batch norm + ReLU")
        let probe = random.floats(x.count)
        let numeric = Reference.numericGradient(x, probe: probe) {
            Reference.batchNorm($0, gamma: gamma, beta: beta, mean: mean, variance: variance, eps: 1e-5)
        }
        assertClose(bn.backward(Tensor(shape: x.shape, values: probe)).values, numeric, tolerance: 1e-3, "batch norm backward")
    }

    /// The fused batch norm + ReLU is max(fma(x, scale, shift), 0) to the bit in every lane and in
    /// the tail (7 channels: the rest of a vector of sixteen): a NaN stays NaN, −0 becomes +0.
    func testBatchNormReLUIsExactlyMaxWithZero() throws {
        let scale: [Float] = [1, -1, 2, 0.5, 1, 1, -3], shift: [Float] = [0, 0, -1, 0.25, 0, 0, 1]
        let inputs: [Float] = [.nan, 0, 0.5, -0.5, -0.0, 3, 1, 2, -2, .nan, 0, -1, .infinity, 1]
        let x = Tensor(shape: [1, 1, 2, 7], values: inputs)
        let y = try ScaleShift(scale: scale, shift: shift).forward(x, relu: true).values
        let expected = inputs.indices.map { max(shift[$0 % 7].addingProduct(inputs[$0], scale[$0 % 7]), 0) }
        XCTAssertEqual(y.map(\.bitPattern), expected.map(\.bitPattern))
    }

    func testReLUBackwardMasksByTheOutput() {
        let x = Tensor(shape: [1, 1, 1, 20], values: (0..<20).map { Float($0) - 9.5 })
        let y = Tensor(shape: x.shape)
        reluForward(x.pointer, y.pointer, x.count)
        XCTAssertEqual(y.values, Reference.relu(x).values)
        let g = Tensor(shape: x.shape, values: [Float](repeating: 2, count: 20))
        reluBackward(g.pointer, output: y.pointer, g.count)
        XCTAssertEqual(g.values, (0..<20).map { $0 >= 10 ? 2 : 0 })
    }

    /// Above their size threshold these run on OpenMP's threads: the same values as the loops.
    func testParallelElementwiseMatchesTheReference() throws {
        let saved = Compute.threads
        defer { Compute.threads = saved }
        Compute.threads = 2
        var random = Seeded(12)
        let shape = [3, 20, 20, 37]   // 44,400 values, past the threshold and not a multiple of 16
        let x = Tensor(shape: shape, values: random.floats(3 * 20 * 20 * 37).enumerated().map { $1 * Float($0 % 5) })
        let relu = x.copy()
        ParallelElementwise.relu(relu, into: relu)
        XCTAssertEqual(relu.values, Reference.relu(x).values)

        let g = Tensor(shape: shape, values: random.floats(x.count))
        let masked = g.copy()
        try ParallelElementwise.reluBackward(masked, output: relu)
        XCTAssertEqual(masked.values, zip(g.values, relu.values).map { $1 > 0 ? $0 : 0 })

        let sum = g.copy()
        try ParallelElementwise.add(sum, x)
        XCTAssertEqual(sum.values, zip(g.values, x.values).map { $0 + $1 })

        // The copy keeps every bit, negative zeros included.
        x.pointer[5] = -0.0
        let copied = x.copy()
        XCTAssertEqual(copied.values.map(\.bitPattern), x.values.map(\.bitPattern))
    }

    func testParallelRangesCoverEveryIndexOnce() {
        let saved = Compute.threads
        defer { Compute.threads = saved }
        Compute.threads = 2
        let count = 100_003
        let hits = UnsafeMutablePointer<Int32>.allocate(capacity: count)
        defer { hits.deallocate() }
        hits.initialize(repeating: 0, count: count)
        parallelRanges(count) { for i in $0 { hits[i] += 1 } }
        XCTAssertTrue((0..<count).allSatisfy { hits[$0] == 1 })
    }

    /// The highway and batch-norm passes, split over OpenMP's threads, against their formulas.
    func testHighwayAndBatchNormPassesMatchTheirFormulas() {
        let saved = Compute.threads
        defer { Compute.threads = saved }
        Compute.threads = 2
        var random = Seeded(13)
        let shape = [5, 21, 20, 16]   // 33,600 values: split, with a tail past the last 16
        let count = shape.reduce(1, *)
        let (h, x, g) = (random.floats(count), random.floats(count), random.floats(count))
        let t = random.floats(count).map { 1 / (1 + exp(-$0)) }
        let (ht, tt, xt, gt) = (Tensor(shape: shape, values: h), Tensor(shape: shape, values: t),
                                Tensor(shape: shape, values: x), Tensor(shape: shape, values: g))
        let each = { (f: (Int) -> Float) in (0..<count).map(f) }
        XCTAssertEqual(HighwayMath.merge(h: ht, t: tt, x: xt).values, each { h[$0] * t[$0] + x[$0] * (1 - t[$0]) })
        XCTAssertEqual(HighwayMath.merge(h: nil, t: tt, x: xt).values, each { x[$0] * (1 - t[$0]) })
        XCTAssertEqual(HighwayMath.carry(gt, t: tt).values, each { g[$0] * (1 - t[$0]) })
        XCTAssertEqual(HighwayMath.transform(gt, t: tt).values, each { g[$0] * t[$0] })
        XCTAssertEqual(HighwayMath.gate(gt, h: ht, x: xt, t: tt).values,
                       each { g[$0] * (h[$0] - x[$0]) * t[$0] * (1 - t[$0]) })
        XCTAssertEqual(HighwayMath.gate(gt, h: nil, x: xt, t: tt).values, each { -g[$0] * x[$0] * t[$0] * (1 - t[$0]) })

        let bn = ScaleShift(scale: random.floats(16), shift: random.floats(16))
        let y = try! bn.forward(xt, relu: true)
        // One rounding, as PyTorch applies a batch norm (NormTests checks it against PyTorch).
        XCTAssertEqual(y.values, each { max(bn.shift[$0 % 16].addingProduct(x[$0], bn.scale[$0 % 16]), 0) })
        XCTAssertEqual(bn.backward(gt.copy(), reluOutput: y).values, each { y.values[$0] > 0 ? g[$0] * bn.scale[$0 % 16] : 0 })
    }

    func testMaxPoolForwardAndBackward() {
        var random = Seeded(11)
        let pool = MaxPool(kernel: 3, stride: 2, padding: 1)
        // Distinct values 0.05 apart, so the finite-difference steps never change a window's maximum.
        let x = Tensor(shape: [2, 7, 6, 3], values: (0..<(2 * 7 * 6 * 3)).map { Float($0) * 0.05 }.shuffled(using: &random))
        assertClose(pool.forward(x).values, Reference.maxPool(x, kernel: 3, stride: 2, padding: 1).values, "max pool")
        let out = pool.forward(x)
        let probe = random.floats(out.count)
        let numeric = Reference.numericGradient(x, probe: probe) { Reference.maxPool($0, kernel: 3, stride: 2, padding: 1) }
        assertClose(pool.backward(Tensor(shape: out.shape, values: probe), input: x, output: out).values, numeric, tolerance: 1e-3, "max pool backward")
    }

    /// Ties go to the window's first maximum in row-major order, as PyTorch's max_pool2d routes
    /// them, in every channel (19: the channel scan is vectorised, so a tail is left over).
    func testMaxPoolBackwardRoutesTiesToTheFirstMaximum() {
        let (n, h, w, c) = (2, 5, 6, 19)
        let pool = MaxPool(kernel: 3, stride: 2, padding: 1)
        let x = Tensor(zeros: [n, h, w, c])
        let (oh, ow) = pool.outputSize(h, w)
        var random = Seeded(15)
        let g = Tensor(shape: [n, oh, ow, c], values: random.floats(n * oh * ow * c))
        var expected = [Float](repeating: 0, count: x.count)
        for b in 0..<n {
            for i in 0..<oh {
                for j in 0..<ow {
                    let (r, q) = (max(0, 2 * i - 1), max(0, 2 * j - 1))
                    for k in 0..<c { expected[((b * h + r) * w + q) * c + k] += g.values[((b * oh + i) * ow + j) * c + k] }
                }
            }
        }
        XCTAssertEqual(pool.backward(g, input: x, output: pool.forward(x)).values, expected)
        XCTAssertEqual(pool.forward(x).values, [Float](repeating: 0, count: g.count))
    }

    /// With channels both in whole vectors and in a tail (35 = 2·16 + 3) and values on a coarse
    /// grid, so that most windows tie: each gradient goes to its window's first maximum, found
    /// here by a plain scan with a strict >, and inputs in several windows sum their shares.
    func testMaxPoolBackwardRoutesEveryChannelLikeAPlainScan() {
        var random = Seeded(16)
        let (n, h, w, c) = (2, 9, 8, 35)
        for pool in [MaxPool(kernel: 3, stride: 2, padding: 1), MaxPool(kernel: 2, stride: 1, padding: 0),
                     MaxPool(kernel: 3, stride: 2, padding: 0, ceilMode: true),
                     MaxPool(kernel: 3, stride: 2, padTop: 0, padLeft: 1, padBottom: 2, padRight: 1)] {
            let x = Tensor(shape: [n, h, w, c], values: random.floats(n * h * w * c).map { ($0 * 2).rounded() })
            let y = pool.forward(x)
            let (oh, ow) = pool.outputSize(h, w)
            let g = Tensor(shape: y.shape, values: random.floats(y.count))
            var expected = [Float](repeating: 0, count: x.count)
            for b in 0..<n {
                for i in 0..<oh {
                    for j in 0..<ow {
                        for k in 0..<c {
                            var (best, at) = (-Float.infinity, -1)
                            for r in max(0, i * pool.stride - pool.padTop)..<min(h, i * pool.stride - pool.padTop + pool.kernel) {
                                for q in max(0, j * pool.stride - pool.padLeft)..<min(w, j * pool.stride - pool.padLeft + pool.kernel) {
                                    let index = ((b * h + r) * w + q) * c + k
                                    if x.values[index] > best { (best, at) = (x.values[index], index) }
                                }
                            }
                            expected[at] += g.values[((b * oh + i) * ow + j) * c + k]
                        }
                    }
                }
            }
            XCTAssertEqual(pool.backward(g, input: x, output: y).values, expected, "\(pool)")
        }
        // A window of −∞ only sends its gradient to its first input, as PyTorch's max_pool2d does.
        let pool = MaxPool(kernel: 3, stride: 1, padding: 0)
        let x = Tensor(shape: [1, 3, 3, 1], values: [Float](repeating: -.infinity, count: 9))
        let gx = pool.backward(Tensor(shape: [1, 1, 1, 1], values: [1]), input: x, output: pool.forward(x))
        XCTAssertEqual(gx.values, [1, 0, 0, 0, 0, 0, 0, 0, 0])
    }

    /// The AVX-512 paths against the plain C loops, to the bit, where they could part: ties on
    /// a coarse grid, NaNs and -∞ among the inputs, channels in whole vectors and in a tail,
    /// zero padding, and windows over the edge in ceil mode.
    func testMaxPoolVectorPathsEqualThePlainLoops() {
        var random = Seeded(18)
        let (n, h, w, c) = (2, 9, 8, 35)
        for pool in [MaxPool(kernel: 3, stride: 2, padding: 1), MaxPool(kernel: 2, stride: 1, padding: 0),
                     MaxPool(kernel: 3, stride: 2, padding: 0, ceilMode: true),
                     MaxPool(kernel: 3, stride: 2, padding: 1, zeroPadded: true),
                     MaxPool(kernel: 3, stride: 2, padTop: 0, padLeft: 0, padBottom: 1, padRight: 1, zeroPadded: true),
                     MaxPool(kernel: 3, stride: 2, padTop: 2, padLeft: 1, padBottom: 0, padRight: 2)] {
            let values = random.floats(n * h * w * c).enumerated().map { index, value -> Float in
                index % 53 == 0 ? .nan : index % 61 == 0 ? -.infinity : (value * 2).rounded()
            }
            let x = Tensor(shape: [n, h, w, c], values: values)
            var shape = pool.cShape(x)
            let y = pool.forward(x)
            var plain = [Float](repeating: 7, count: y.count)
            unravel_maxpool_forward_portable(&shape, x.pointer, &plain, 0, n * shape.oh)
            XCTAssertEqual(y.values.map(\.bitPattern), plain.map(\.bitPattern), "forward, \(pool)")

            let g = Tensor(shape: y.shape, values: random.floats(y.count))
            let gx = pool.backward(g, input: x, output: y)
            var plainGradient = [Float](repeating: 0, count: x.count)
            unravel_maxpool_backward_portable(&shape, x.pointer, y.pointer, g.pointer, &plainGradient, 0, n)
            XCTAssertEqual(gx.values.map(\.bitPattern), plainGradient.map(\.bitPattern), "backward, \(pool)")
            XCTAssertGreaterThan(gx.values.filter { $0 != 0 }.count, x.count / 8, "gradients were routed, \(pool)")
        }
    }

    /// Caffe's pooling rounds the output size up: the last window hangs over the edge and takes
    /// the pixels it has. The MSRA ResNets' pool1 maps 112 to 56 where floor rounding gives 55.
    func testMaxPoolInCeilModeAsCaffeRoundsIt() {
        XCTAssertEqual(MaxPool(kernel: 3, stride: 2, padding: 0, ceilMode: true).outputSize(112, 112).0, 56)
        XCTAssertEqual(MaxPool(kernel: 3, stride: 2, padding: 0).outputSize(112, 112).0, 55)
        var random = Seeded(12)
        for padding in [0, 1] {
            let pool = MaxPool(kernel: 3, stride: 2, padding: padding, ceilMode: true)
            let x = Tensor(shape: [2, 8, 7, 3], values: (0..<(2 * 8 * 7 * 3)).map { Float($0) * 0.05 }.shuffled(using: &random))
            let out = pool.forward(x)
            let reference = Reference.maxPool(x, kernel: 3, stride: 2, padding: padding, ceilMode: true)
            XCTAssertEqual(out.shape, reference.shape, "padding \(padding)")
            XCTAssertNotEqual(out.shape, MaxPool(kernel: 3, stride: 2, padding: padding).forward(x).shape, "ceil mode must change the size here")
            assertClose(out.values, reference.values, "ceil-mode max pool, padding \(padding)")
            let probe = random.floats(out.count)
            let numeric = Reference.numericGradient(x, probe: probe) { Reference.maxPool($0, kernel: 3, stride: 2, padding: padding, ceilMode: true) }
            assertClose(pool.backward(Tensor(shape: out.shape, values: probe), input: x, output: out).values, numeric, tolerance: 1e-3,
                        "ceil-mode max pool backward, padding \(padding)")
        }
    }

    /// Padding that differs by side (TensorFlow's 'same' pooling, transformers' 'SAME' Big
    /// Transfer: nothing before an even map, one after), with -infinity and with zeros, against
    /// the image padded explicitly and pooled without padding; and the gradient against finite
    /// differences of that reference.
    func testMaxPoolWithPaddingThatDiffersBySide() {
        var random = Seeded(19)
        let x = Tensor(shape: [2, 8, 6, 3], values: (0..<(2 * 8 * 6 * 3)).map { Float($0) * 0.05 - 4.02 }.shuffled(using: &random))
        for (top, left, bottom, right) in [(0, 0, 1, 1), (2, 1, 0, 2), (1, 0, 1, 2)] {
            for zeroPadded in [false, true] {
                let pool = MaxPool(kernel: 3, stride: 2, padTop: top, padLeft: left, padBottom: bottom, padRight: right,
                                   zeroPadded: zeroPadded)
                func reference(_ x: Tensor) -> Tensor {
                    Reference.maxPool(Reference.padded(x, top: top, left: left, bottom: bottom, right: right,
                                                       value: zeroPadded ? 0 : -.infinity), kernel: 3, stride: 2, padding: 0)
                }
                let label = "padding \([top, left, bottom, right]), zeros \(zeroPadded)"
                let y = pool.forward(x)
                XCTAssertEqual(y.shape, reference(x).shape, label)
                XCTAssertEqual(y.values, reference(x).values, label)
                let probe = random.floats(y.count)
                let numeric = Reference.numericGradient(x, probe: probe, reference)
                assertClose(pool.backward(Tensor(shape: y.shape, values: probe), input: x, output: y).values, numeric,
                            tolerance: 1e-3, "backward, \(label)")
            }
        }
    }

    /// Keras' ZeroPadding2D + MaxPooling2D: a padding zero can be the maximum of negative values.
    func testZeroPaddedMaxPoolLetsPaddingWin() {
        let pool = MaxPool(kernel: 3, stride: 2, padding: 1, zeroPadded: true)
        let x = Tensor(shape: [1, 4, 4, 1], values: (0..<16).map { -Float($0) - 1 })
        let y = pool.forward(x)
        XCTAssertEqual(y.values, [0, 0, 0, -6], "windows touching the border see a zero")
        let gx = pool.backward(Tensor(shape: y.shape, values: [1, 1, 1, 1]), input: x, output: y)
        XCTAssertEqual(gx.values.reduce(0, +), 1, "only the inner window's gradient reaches the input")
        XCTAssertEqual(gx.values[5], 1)
    }

    func testGlobalAveragePoolForwardAndBackward() {
        var random = Seeded(12)
        let x = Tensor(shape: [3, 4, 5, 17], values: random.floats(3 * 4 * 5 * 17))
        assertClose(GlobalAvgPool.forward(x).values, Reference.globalAvgPool(x).values, "global average pool")
        let probe = random.floats(3 * 17)
        let numeric = Reference.numericGradient(x, probe: probe) { Reference.globalAvgPool($0) }
        assertClose(GlobalAvgPool.backward(Tensor(shape: [3, 17], values: probe), inputShape: x.shape).values, numeric,
                    tolerance: 1e-3, "global average pool backward")
    }

    func testLinearForwardAndBackward() throws {
        var random = Seeded(13)
        let weight = random.floats(7 * 33), bias = random.floats(7)
        let linear = Linear(inFeatures: 33, outFeatures: 7, weight: weight, bias: bias)
        let x = Tensor(shape: [4, 33], values: random.floats(4 * 33))
        assertClose(try linear.forward(x).values, Reference.linear(x, weight: weight, bias: bias, out: 7).values, "linear")
        let probe = random.floats(4 * 7)
        let numeric = Reference.numericGradient(x, probe: probe) { Reference.linear($0, weight: weight, bias: bias, out: 7) }
        assertClose(linear.backward(Tensor(shape: [4, 7], values: probe)).values, numeric, tolerance: 1e-3, "linear backward")
    }

    /// Rows go in groups of four and outputs in blocks of 64, with tails at most sizes, on two
    /// paths (AVX-512 and the plain loop); each output must still be its products added in input
    /// order, then the bias, to the bit.
    func testLinearSumsEachOutputInOrderAtEveryBatchSize() throws {
        var random = Seeded(15)
        for (inputs, outputs, hasBias) in [(37, 19, true), (20, 64, false), (9, 130, true)] {
            let weight = random.floats(outputs * inputs), bias = hasBias ? random.floats(outputs) : nil
            let linear = Linear(inFeatures: inputs, outFeatures: outputs, weight: weight, bias: bias)
            var packed = [Float](repeating: .nan, count: unravel_linear_packed_count(inputs, outputs))
            unravel_linear_pack(weight, &packed, inputs, outputs)
            for batch in 1...11 {
                let x = random.floats(batch * inputs)
                let y = try linear.forward(Tensor(shape: [batch, inputs], values: x)).values
                var plain = [Float](repeating: .nan, count: batch * outputs)
                unravel_linear_rows_portable(x, packed, bias, &plain, 0, batch, inputs, outputs)
                for b in 0..<batch {
                    for o in 0..<outputs {
                        var sum: Float = 0
                        for i in 0..<inputs { sum += x[b * inputs + i] * weight[o * inputs + i] }
                        if let bias { sum += bias[o] }
                        let label = "\(inputs)→\(outputs), batch \(batch), row \(b), output \(o)"
                        XCTAssertEqual(y[b * outputs + o].bitPattern, sum.bitPattern, label)
                        XCTAssertEqual(plain[b * outputs + o].bitPattern, sum.bitPattern, "plain loop, " + label)
                    }
                }
            }
        }
    }

    func testZeroPadShortcutBothPlacements() throws {
        var random = Seeded(14)
        let x = Tensor(shape: [2, 6, 6, 4], values: random.floats(2 * 6 * 6 * 4))
        for (placement, before) in [(ZeroPadPlacement.split, 2), (.append, 0)] {
            let pad = try ZeroPadShortcut(stride: 2, inChannels: 4, outChannels: 8, placement: placement)
            let expected = Reference.zeroPad(x, stride: 2, out: 8, before: before)
            XCTAssertEqual(pad.forward(x).values, expected.values, placement.rawValue)
            let probe = random.floats(expected.count)
            let numeric = Reference.numericGradient(x, probe: probe) { Reference.zeroPad($0, stride: 2, out: 8, before: before) }
            assertClose(pad.backward(Tensor(shape: expected.shape, values: probe), inputShape: x.shape).values, numeric,
                        tolerance: 1e-3, "\(placement) backward")
        }
        let unknown = Data(#"{"kind": "zero_pad", "placement": "middle"}"#.utf8)
        XCTAssertThrowsError(try JSONDecoder().decode(Shortcut.self, from: unknown), "a placement is split or append")
    }

    func testCrossEntropyGradientIsSoftmaxMinusOneHot() throws {
        var random = Seeded(15)
        let logits = Tensor(shape: [3, 5], values: random.floats(15, scale: 4))
        let labels = [0, 4, 2]
        let gradient = try Loss.logitGradient(logits, target: .crossEntropy(labels: labels))
        let numeric = Reference.numericGradient(logits, probe: [1]) { t in
            Tensor(shape: [1], values: [Loss.crossEntropy(t, labels: labels).reduce(0, +)])
        }
        assertClose(gradient.values, numeric, tolerance: 1e-3, "cross-entropy gradient")
        XCTAssertThrowsError(try Loss.logitGradient(logits, target: .crossEntropy(labels: [0, 9, 1])))
    }
}
