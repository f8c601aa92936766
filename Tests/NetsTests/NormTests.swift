import CDNNL
import Foundation
import HDF5
import XCTest
@testable import Nets

/// The norms Unravel cannot fold into a convolution (a pre-activation batch norm, group norm)
/// against PyTorch's own outputs (notebooks-export/make_nets_fixtures.py, `make_norms`), on
/// inputs whose mean the shift nearly cancels: there one rounding and two part.
final class NormTests: XCTestCase {
    private func stored(_ name: String) throws -> [Float] {
        try File.open(fixture("norms.h5")).root.dataset(name).read(as: Float.self)
    }

    private func input() throws -> Tensor { nhwc(try stored("input"), shape: [2, 16, 5, 7]) }

    func testBatchNormAtInferenceEqualsPyTorchBitForBit() throws {
        let bn = ScaleShift(gamma: try stored("bn/weight"), beta: try stored("bn/bias"), mean: try stored("bn/running_mean"),
                            variance: try stored("bn/running_var"), eps: 1e-5)
        for (relu, expected) in [(false, "bn/output"), (true, "bn/output_relu")] {
            let y = nchw(try bn.forward(try input(), relu: relu))
            XCTAssertEqual(y.map(\.bitPattern), try stored(expected).map(\.bitPattern), expected)
        }
    }

    /// PyTorch sums a group's moments in float, Unravel in double, so the moments may part in the
    /// last digit; where they agree, so does every output.
    func testGroupNormEqualsPyTorch() throws {
        let norm = GroupNorm(groups: 4, gamma: try stored("gn/weight"), beta: try stored("gn/bias"), eps: 1e-5)
        let y = nchw(try norm.forward(try input(), relu: false))
        let expected = try stored("gn/output")
        assertClose(y, expected, tolerance: 1e-6, "group norm")
        let (mean, rstd) = norm.moments(try input())
        let (theirMean, theirRstd) = (try stored("gn/mean"), try stored("gn/rstd"))
        assertClose(mean, theirMean, tolerance: 1e-6, "group means")
        assertClose(rstd, theirRstd, tolerance: 1e-6, "group 1/std")
        let perGroup = 4 * 35
        var agreeing = 0
        for group in 0..<8 where mean[group] == theirMean[group] && rstd[group] == theirRstd[group] {
            agreeing += 1
            let (image, run) = (group / 4, group % 4)
            let range = (image * 16 + run * 4) * 35..<(image * 16 + run * 4) * 35 + perGroup
            XCTAssertEqual(y[range].map(\.bitPattern), expected[range].map(\.bitPattern), "group \(group)")
        }
        XCTAssertGreaterThan(agreeing, 0, "some groups' moments agree to the bit")
    }

    func testGroupNormBackwardAgainstFiniteDifferences() throws {
        var random = Seeded(31)
        let norm = GroupNorm(groups: 4, gamma: random.floats(16).map { $0 + 1.5 }, beta: random.floats(16), eps: 1e-5)
        let x = Tensor(shape: [2, 3, 5, 16], values: random.floats(2 * 3 * 5 * 16).map { $0 * 3 + 1 })
        let probe = random.floats(x.count)
        let numeric = try Reference.numericGradient(x, probe: probe) { try norm.forward($0, relu: false) }
        assertClose(norm.backward(Tensor(shape: x.shape, values: probe), input: x, reluOutput: nil).values, numeric,
                    tolerance: 1e-3, "group norm backward")
    }

    /// The AVX-512 path against the plain loop, to the bit, with NaNs, negative zeros and a
    /// channel tail (35 = 2 · 16 + 3); and both against a fused multiply-add computed in double
    /// (the product of two floats is exact there).
    func testAffineRowsAreOneRoundingOnEveryPath() {
        var random = Seeded(32)
        let (pixels, channels) = (9, 35)
        let x = random.floats(pixels * channels).enumerated().map { index, value -> Float in
            index % 47 == 0 ? .nan : index % 53 == 0 ? -0.0 : value * 3 + 5
        }
        let scale = random.floats(channels).map { $0 + 1.5 }
        let shift = (0..<channels).map { -5 * scale[$0] + random.floats(1)[0] * 1e-3 }
        for relu in [false, true] {
            var fast = [Float](repeating: 7, count: x.count), plain = fast
            unravel_affine_rows(x, &fast, pixels, channels, scale, shift, relu ? 1 : 0)
            unravel_affine_rows_portable(x, &plain, pixels, channels, scale, shift, relu ? 1 : 0)
            XCTAssertEqual(fast.map(\.bitPattern), plain.map(\.bitPattern), "relu \(relu)")
            for (i, value) in x.enumerated() where !value.isNaN {
                let fused = Float(Double(value) * Double(scale[i % channels]) + Double(shift[i % channels]))
                XCTAssertEqual(plain[i], relu && fused <= 0 ? 0 : fused, "element \(i), relu \(relu)")
            }
            XCTAssertTrue(zip(x, plain).allSatisfy { !$0.isNaN || $1.isNaN }, "a NaN stays NaN, relu \(relu)")
        }
    }
}
