import XCTest
@testable import Analysis
@testable import Nets

final class PathDistributionTests: XCTestCase {
    /// Veit et al.'s numbers for ResNet-110's 54 blocks.
    func testFiftyFourBlocks() {
        let paths = PathDistribution(blocks: 54)
        XCTAssertEqual(paths.mean, 27, accuracy: 1e-9)
        let tightest = paths.tightestInterval(holding: 0.95)
        XCTAssertEqual(tightest.range, 20...34)
        XCTAssertEqual(tightest.share, 0.960, accuracy: 0.0005)
        XCTAssertEqual(paths.share(19...35), 0.980, accuracy: 0.0005)
        XCTAssertEqual(paths.share(5...17), 0.004537, accuracy: 0.000001)
        XCTAssertEqual(paths.counts[27].description, "1946939425648112")  // C(54, 27)
    }

    /// Lengths a network does not have hold no paths. Clamping 19...35 to a 9-block network's
    /// 0...9 gave 9...9, and `lesion paths` printed "share of 19–35: 0.195%" (the one path of 9).
    func testLengthsBeyondTheNetworkHoldNoPaths() {
        let paths = PathDistribution(blocks: 9)
        XCTAssertEqual(paths.share(19...35), 0)
        XCTAssertEqual(paths.share(-5 ... -1), 0)
        XCTAssertEqual(paths.share(9...35), 1.0 / 512, accuracy: 1e-15, "the one path through every block")
        XCTAssertEqual(paths.share(-3...0), 1.0 / 512, accuracy: 1e-15, "the one path through no block")
        XCTAssertEqual(paths.share(0...9), 1, accuracy: 1e-12)
    }

    func testThreeHundredThirtyThreeBlocksCountExactly() {
        let paths = PathDistribution(blocks: 333)
        XCTAssertEqual(paths.totalPaths, BigUInt.power(of: 2, 333))
        XCTAssertEqual(paths.counts[1].description, "333")
        XCTAssertEqual(paths.counts[2].description, "55278")
        XCTAssertEqual(paths.counts[166], paths.counts[167])
        XCTAssertEqual(BigUInt.power(of: 2, 333).description,
                       "17498005798264095394980017816940970922825355447145699491406164851279623993595007385788105416184430592")
    }

    func testBigUIntDecimalText() {
        XCTAssertEqual(BigUInt(0).description, "0")
        XCTAssertEqual(BigUInt.power(of: 2, 64).description, "18446744073709551616")
        XCTAssertEqual((BigUInt(999_999_999) + BigUInt(1)).description, "1000000000")
        XCTAssertEqual(BigUInt.power(of: 10, 30).description, "1" + String(repeating: "0", count: 30))
    }

    func testPlainAndGatedBlocks() {
        let mixed = PathDistribution([.residual, .plain, .residual])
        XCTAssertEqual(mixed.counts.map(\.description), ["0", "1", "2", "1"])
        XCTAssertEqual(mixed.mean, 2, accuracy: 1e-12)
        let gated = PathDistribution([.gated(0.1), .gated(0.3)])
        XCTAssertEqual(gated.shares[0], 0.9 * 0.7, accuracy: 1e-12)
        XCTAssertEqual(gated.shares[2], 0.1 * 0.3, accuracy: 1e-12)
        XCTAssertEqual(gated.mean, 0.4, accuracy: 1e-12)
    }

    /// The counts, against the generating polynomial multiplied out factor by factor (the way
    /// they were computed before the binomial recurrence), for mixed networks in every order.
    func testCountsEqualThePolynomialMultipliedOut() {
        var state: UInt64 = 9
        for length in [1, 2, 7, 40, 131] {
            let factors: [PathDistribution.Factor] = (0..<length).map { _ in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return [.residual, .plain, .gated(0.3)][Int(state >> 33) % 3]
            }
            var polynomial = [BigUInt(1)]
            for factor in factors {
                var next = [BigUInt](repeating: BigUInt(), count: polynomial.count + 1)
                for (k, c) in polynomial.enumerated() {
                    if factor != .plain { next[k] = next[k] + c }
                    next[k + 1] = next[k + 1] + c
                }
                polynomial = next
            }
            XCTAssertEqual(PathDistribution(factors).counts, polynomial, "\(length) blocks")
        }
    }

    func testExponentialSlopeRecoversADecayRate() {
        let x = (0..<10).map(Double.init)
        XCTAssertEqual(exponentialSlope(x, x.map { 3 * exp(-0.25 * $0) })!, -0.25, accuracy: 1e-12)
        XCTAssertNil(exponentialSlope([1], [1]))
    }
}
