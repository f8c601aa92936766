import Foundation
import XCTest
@testable import Nets

/// Average pooling with PyTorch's options, and squeeze-excitation: forward against values
/// PyTorch printed (torch.nn.functional.avg_pool2d on arange inputs) or a reference, backward
/// against finite differences.
final class PoolingAndGateTests: XCTestCase {
    private func pool(_ values: [Float], side: Int, _ pool: AvgPool) -> [Float] {
        pool.forward(Tensor(shape: [1, side, side, 1], values: values)).values
    }

    func testAveragePoolingMatchesPyTorchOnOddMaps() {
        let x = (1...9).map(Float.init)
        // ResNet-D's shortcut on an odd map: the last window holds what is left, divided by its own count.
        XCTAssertEqual(pool(x, side: 3, AvgPool(kernel: 2, stride: 2, padding: 0, ceilMode: true, countIncludePad: false)),
                       [3.0, 4.5, 7.5, 9.0])
        XCTAssertEqual(pool(x, side: 3, AvgPool(kernel: 2, stride: 2, padding: 1, ceilMode: false, countIncludePad: true)),
                       [0.25, 1.25, 2.75, 7.0])
        XCTAssertEqual(pool(x, side: 3, AvgPool(kernel: 2, stride: 2, padding: 1, ceilMode: true, countIncludePad: false)),
                       [1.0, 2.5, 5.5, 7.0])
        let y = pool((1...25).map(Float.init), side: 5, AvgPool(kernel: 3, stride: 2, padding: 1, ceilMode: true, countIncludePad: true))
        assertClose(y, [1.7777778, 3.6666667, 3.1111112, 7.6666665, 13.0, 9.666667, 8.444445, 13.666667, 9.777778],
                    tolerance: 1e-6, "3x3 stride-2 pooling with padding in ceil mode")
    }

    func testAveragePoolingBackwardIsItsTranspose() throws {
        var random = Seeded(21)
        for pool in [AvgPool(kernel: 2, stride: 2, padding: 0, ceilMode: true, countIncludePad: false),
                     AvgPool(kernel: 3, stride: 2, padding: 1, ceilMode: true, countIncludePad: true)] {
            let x = Tensor(shape: [2, 5, 7, 3], values: random.floats(2 * 5 * 7 * 3))
            let y = pool.forward(x)
            let probe = random.floats(y.count)
            let numeric = Reference.numericGradient(x, probe: probe) { pool.forward($0) }
            assertClose(pool.backward(Tensor(shape: y.shape, values: probe), inputShape: x.shape).values, numeric,
                        tolerance: 1e-3, "average pooling backward")
        }
    }

    func testSqueezeExcitationForwardAndBackward() throws {
        var random = Seeded(22)
        let (c, mid) = (6, 3)
        let reduce = Linear(inFeatures: c, outFeatures: mid, weight: random.floats(mid * c), bias: random.floats(mid))
        let expand = Linear(inFeatures: mid, outFeatures: c, weight: random.floats(c * mid), bias: random.floats(c))
        let se = SqueezeExcitation(excitation: .bottleneck(reduce: reduce, expand: expand))
        let x = Tensor(shape: [2, 3, 4, c], values: random.floats(2 * 3 * 4 * c))

        // Reference: the formula, from the reference ops.
        let hidden = Reference.relu(Reference.linear(Reference.globalAvgPool(x), weight: reduce.weight, bias: reduce.bias!, out: mid))
        let gate = Reference.linear(hidden, weight: expand.weight, bias: expand.bias!, out: c).values.map { 1 / (1 + exp(-$0)) }
        try assertGates(se, x, gate, probe: random.floats(x.count), "squeeze-excitation")
    }

    /// `se` multiplies each image's channels of `x` ([n, h, w, c]) by `gate` ([n, c]), and its
    /// backward agrees with finite differences along `probe`.
    private func assertGates(_ se: SqueezeExcitation, _ x: Tensor, _ gate: [Float], probe: [Float], _ label: String,
                             file: StaticString = #filePath, line: UInt = #line) throws {
        let (c, perImage) = (x.shape[3], x.count / x.shape[0])
        let expected = x.values.enumerated().map { index, value in value * gate[(index / perImage) * c + index % c] }
        assertClose(try se.forward(x).values, expected, tolerance: 1e-6, label, file: file, line: line)
        let numeric = try Reference.numericGradient(x, probe: probe) { try se.forward($0) }
        assertClose(try se.backward(Tensor(shape: x.shape, values: probe), input: x).values, numeric, tolerance: 1e-3,
                    "\(label) backward", file: file, line: line)
    }

    /// ECA: the pooled channels as a zero-padded sequence, one filter slid along it, the gate its
    /// sigmoid; with 5 taps over 7 channels every edge case of the padding shows (and with a
    /// bias). Backward against finite differences.
    func testECAForwardAndBackward() throws {
        var random = Seeded(23)
        let c = 7
        for (taps, bias) in [(random.floats(3), nil as Float?), (random.floats(5), Float(0.3))] {
            let eca = SqueezeExcitation(excitation: .channelConvolution(ChannelConvolution(taps: taps, bias: bias)))
            let x = Tensor(shape: [2, 3, 4, c], values: random.floats(2 * 3 * 4 * c))
            let pooled = Reference.globalAvgPool(x).values
            let half = taps.count / 2
            var gate = [Float]()
            for b in 0..<2 {
                let padded = [Double](repeating: 0, count: half) + pooled[(b * c)..<((b + 1) * c)].map(Double.init)
                    + [Double](repeating: 0, count: half)
                for k in 0..<c {
                    let z = (0..<taps.count).reduce(Double(bias ?? 0)) { $0 + Double(taps[$1]) * padded[k + $1] }
                    gate.append(Float(1 / (1 + Foundation.exp(-z))))
                }
            }
            try assertGates(eca, x, gate, probe: random.floats(x.count), "ECA, \(taps.count) taps")
        }
    }
}
