import CDNNL
import Foundation
import XCTest
@testable import Nets

/// SiLU's C kernels: their exp against double precision, the AVX-512 path against the plain loop
/// to the bit, and forward and backward against the formula (a finite-difference check of the
/// backward runs through the '-ts' fixture's input gradient against PyTorch).
final class SiLUTests: XCTestCase {
    /// Within 1.5 units in the last place of exp in double over the range SiLU uses, and the
    /// limits right: 0 far below, infinity far above, NaN kept.
    func testExpIsWithinOneAndAHalfUnitsInTheLastPlace() {
        var worst = 0.0
        for step in 0..<200_000 {
            let x = Float(-103 + Double(step) * 191.7 / 200_000)
            let exact = Foundation.exp(Double(x))
            if exact > Double(Float.leastNormalMagnitude) && exact < Double(Float.greatestFiniteMagnitude) {
                worst = max(worst, abs(Double(unravel_exp(x)) - exact) / Double(Float(exact).ulp))
            }
        }
        XCTAssertLessThanOrEqual(worst, 1.5, "largest error in units in the last place")
        XCTAssertEqual(unravel_exp(0), 1)
        XCTAssertEqual(unravel_exp(-200), 0)
        XCTAssertEqual(unravel_exp(-.infinity), 0)
        XCTAssertEqual(unravel_exp(200), .infinity)
        XCTAssertEqual(unravel_exp(.infinity), .infinity)
        XCTAssertTrue(unravel_exp(.nan).isNaN)
    }

    /// A value's bits, every NaN as one: which NaN an operation on a NaN gives depends on the
    /// order of its operands, which the compiler chooses.
    private func bits(_ value: Float) -> UInt32 { value.isNaN ? Float.nan.bitPattern : value.bitPattern }

    /// Values across the range, with NaNs, infinities, zeros of both signs, a channel tail (the
    /// count is not a multiple of 16), and arguments where exp underflows or overflows.
    func testVectorPathsEqualThePlainLoops() {
        var random = Seeded(41)
        let specials: [Float] = [.nan, .infinity, -.infinity, 0, -0.0, 100, -100, 88, -88, 1e-30, -1e-30]
        let x = specials + random.floats(1000).map { $0 * 30 }
        var fast = [Float](repeating: 7, count: x.count), plain = fast
        unravel_silu_forward(x, &fast, x.count)
        unravel_silu_forward_portable(x, &plain, x.count)
        XCTAssertEqual(fast.map(bits), plain.map(bits), "forward")
        let g = random.floats(x.count)
        var fastGradient = g, plainGradient = g
        unravel_silu_backward(&fastGradient, x, x.count)
        unravel_silu_backward_portable(&plainGradient, x, x.count)
        XCTAssertEqual(fastGradient.map(bits), plainGradient.map(bits), "backward")
    }

    func testForwardAndBackwardFollowTheFormula() {
        var random = Seeded(42)
        let x = Tensor(shape: [2, 3, 5, 7], values: random.floats(210).map { $0 * 12 })
        let g = random.floats(210)
        let y = SiLU.forward(x)
        let gx = SiLU.backward(Tensor(shape: x.shape, values: g), input: x)
        for i in 0..<x.count {
            let v = Double(x.values[i]), s = 1 / (1 + Foundation.exp(-v))
            XCTAssertEqual(Double(y.values[i]), v * s, accuracy: 4e-7 * max(abs(v * s), 1e-3), "forward at \(v)")
            XCTAssertEqual(Double(gx.values[i]), Double(g[i]) * s * (1 + v * (1 - s)),
                           accuracy: 1e-6 * max(abs(Double(g[i])), 1e-3), "backward at \(v)")
        }
        XCTAssertEqual(SiLU.forward(Tensor(shape: [1, 1, 1, 2], values: [.infinity, -200])).values, [.infinity, -0.0])
    }
}
