import CDNNL
import XCTest
@testable import Nets

/// The packed signs of a ReLU's output and the backward they give, against oneDNN's ReLU
/// backward (the op they replace in recorded passes) and the plain loops.
final class SignMaskTests: XCTestCase {
    /// Outputs with every kind of value a ReLU's output and gradient can hold.
    private func awkward(_ count: Int, seed: UInt64) -> (y: [Float], g: [Float]) {
        var random = Seeded(seed)
        let special: [Float] = [0, -0.0, .nan, .infinity, -.infinity, .leastNonzeroMagnitude, -.leastNonzeroMagnitude]
        let y = random.floats(count).enumerated().map { $0 % 11 < special.count ? special[$0 % 11] : $1 }
        let g = random.floats(count).enumerated().map { $0 % 13 == 3 ? Float.nan : ($0 % 13 == 5 ? -0.0 : $1) }
        return (y, g)
    }

    /// Above the element-wise threshold oneDNN runs the ReLU backward; the signs, split over two
    /// threads, and the plain loop must give the same bits, negative zeros and NaNs included.
    func testMaskingMatchesOneDNNsReluBackwardToTheBit() throws {
        let saved = Compute.threads
        defer { Compute.threads = saved }
        Compute.threads = 2
        let shape = [3, 20, 20, 37]   // 44,400 values: past the threshold, not a multiple of 512 or 16
        let (y, g) = awkward(shape.reduce(1, *), seed: 31)
        let output = Tensor(shape: shape, values: y)
        let expected = Tensor(shape: shape, values: g)
        try ParallelElementwise.reluBackward(expected, output: output)
        let masked = Tensor(shape: shape, values: g)
        SignMask(of: output).backward(masked)
        // The loop small tensors and one thread use, too.
        let plain = Tensor(shape: shape, values: g)
        reluBackward(plain.pointer, output: output.pointer, plain.count)
        for (name, result) in [("packed signs", masked), ("plain loop", plain)] {
            let differing = (0..<y.count).filter { result.pointer[$0].bitPattern != expected.pointer[$0].bitPattern }
            XCTAssertEqual(differing.count, 0, "\(name), first: " + differing.prefix(4).map {
                "y \(y[$0]) g \(g[$0]): \(result.pointer[$0]) against \(expected.pointer[$0])" }.joined(separator: "; "))
        }
    }

    /// Counts around the vector width and the threads' 512-value spans, through the vector and
    /// the plain loops: the same bits, and g·[y > 0 or NaN] for each value.
    func testEveryLengthAgainstTheFormula() {
        for count in [1, 7, 8, 15, 16, 17, 31, 33, 511, 512, 513, 1000] {
            let (y, g) = awkward(count, seed: UInt64(count))
            let expected = zip(y, g).map { $0 <= 0 ? $1 * 0 : $1 }
            let output = Tensor(shape: [count], values: y), masked = Tensor(shape: [count], values: g)
            SignMask(of: output).backward(masked)
            XCTAssertEqual(masked.values.map(\.bitPattern), expected.map(\.bitPattern), "\(count) values")

            var fast = [UInt8](repeating: 0xAB, count: (count + 7) / 8), plain = [UInt8](repeating: 0x54, count: (count + 7) / 8)
            unravel_signs_pack(y, &fast, count)
            unravel_signs_pack_portable(y, &plain, count)
            XCTAssertEqual(fast, plain, "packed signs of \(count) values")
            var viaPlain = g
            unravel_signs_mask_portable(&viaPlain, plain, count)
            XCTAssertEqual(viaPlain.map(\.bitPattern), expected.map(\.bitPattern), "plain mask of \(count) values")
        }
    }
}
