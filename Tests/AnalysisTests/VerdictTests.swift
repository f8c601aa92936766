import XCTest
@testable import Analysis

/// The verdict's rules, on results made up to sit on either side of each threshold.
final class VerdictTests: XCTestCase {
    /// A 10-class network of 6 blocks (block 3 downsampling), intact error 5%: chance is 90%, so
    /// one point of error is a damage of 1/85.
    private func network(dropOne: [Double], dropMany: [Double], reorder: [(tau: Double, swaps: Double, error: Double)],
                         effective: ClosedRange<Int>? = 0...2, kinds: String = "residual") -> StudyResults.NetworkResults {
        var n = StudyResults.NetworkResults(name: "net")
        n.blockKinds = Array(repeating: kinds, count: 6)
        n.downsampling = [3]
        n.classes = 10
        n.intactError = 0.05
        n.perBlock = [.init(kind: .dropOne, recalibrated: false, intactError: 0.05, blocks: (0..<6).map(Double.init), alphas: nil,
                            error: dropOne, low: dropOne, high: dropOne)]
        n.dropMany = (dropMany.indices.map { Double($0 + 1) }, dropMany, dropMany, dropMany)
        n.reorder = .init(x: [1] + reorder.map(\.tau), y: [0.05] + reorder.map(\.error))
        n.reorderSwaps = [0] + reorder.map(\.swaps)
        let shares = kinds == "plain" ? [0, 0, 0, 0, 0, 0, 1.0] : [1, 6, 15, 20, 15, 6, 1].map { Double($0) / 64 }
        n.pathShares = .init(x: shares.indices.map(Double.init), y: shares)
        n.effectiveLengths = kinds == "plain" ? 6...6 : effective
        return n
    }

    private let smoothReorder: [(tau: Double, swaps: Double, error: Double)] = [(0.9, 1, 0.07), (0.8, 2, 0.10), (0.6, 3, 0.16), (0.5, 4, 0.2)]

    func testAResNetLikeThePapersIsEnsembleLike() {
        let verdict = Verdict(network(dropOne: [0.06, 0.06, 0.07, 0.20, 0.06, 0.065], dropMany: [0.07, 0.10, 0.15, 0.22],
                                      reorder: smoothReorder))
        XCTAssertEqual(verdict.findings.map(\.outcome), [.pass, .pass, .pass, .pass], verdict.findings.map(\.because).joined(separator: "\n"))
        XCTAssertEqual(verdict.overall, .ensembleLike)
        // The downsampling block (3) is left out of the single-removal numbers.
        XCTAssertEqual(verdict.findings[0].numbers["worst_block"], 2)
        XCTAssertEqual(verdict.findings[0].numbers["median_damage"]!, 0.01 / 0.85, accuracy: 1e-12)
    }

    /// With few images each removal's interval is wide: an outcome the other end of the intervals
    /// would reverse is still given, and said to be unsettled, with the band in the numbers.
    func testAnOutcomeNearAThresholdIsSaidToBeUnsettled() {
        let d = 0.85
        var n = network(dropOne: [0.05 + 0.04 * d, 0.05 + 0.04 * d, 0.05 + 0.04 * d, 0.3, 0.05 + 0.04 * d, 0.05 + 0.04 * d],
                        dropMany: [0.1], reorder: smoothReorder)
        n.intactImages = 48
        n.perBlock[0].low = n.perBlock[0].error.map { $0 - 0.03 * d }
        n.perBlock[0].high = n.perBlock[0].error.map { $0 + 0.03 * d }
        let wide = Verdict(n).findings[0]
        XCTAssertEqual(wide.outcome, .pass)
        XCTAssertEqual(wide.numbers["median_damage_low"]!, 0.01, accuracy: 1e-12)
        XCTAssertEqual(wide.numbers["median_damage_high"]!, 0.07, accuracy: 1e-12)
        XCTAssertTrue(wide.because.hasSuffix("; unsettled: over the removals' 95% intervals on 48 images, the median from 0.01 to "
                                             + "0.07 spans 0.05, so more images could change the outcome"), wide.because)
        n.perBlock[0].low = n.perBlock[0].error.map { $0 - 0.005 * d }
        n.perBlock[0].high = n.perBlock[0].error.map { $0 + 0.005 * d }
        XCTAssertFalse(Verdict(n).findings[0].because.contains("unsettled"), "a narrow band settles it")
        // A median that fails at both ends decides: the worst removal's band spanning 0.25 changes nothing.
        n.perBlock[0].error = [0.05 + 0.2 * d, 0.05 + 0.2 * d, 0.05 + 0.25 * d, 0.3, 0.05 + 0.2 * d, 0.05 + 0.2 * d]
        n.perBlock[0].low = n.perBlock[0].error.map { $0 - 0.03 * d }
        n.perBlock[0].high = n.perBlock[0].error.map { $0 + 0.03 * d }
        let decided = Verdict(n).findings[0]
        XCTAssertEqual(decided.outcome, .fail)
        XCTAssertEqual(decided.numbers["worst_damage_low"]!, 0.22, accuracy: 1e-12)
        XCTAssertFalse(decided.because.contains("unsettled"), decided.because)
    }

    /// The reorder criterion's worst and mildest damage are taken at both ends of each order's
    /// paired interval too: a harmless verdict the high end would overturn is said to be unsettled.
    func testAReorderNearTheHarmlessLineIsSaidToBeUnsettled() {
        let d = 0.85
        let errors = [0.05 + 0.04 * d, 0.05 + 0.03 * d, 0.05 + 0.02 * d]
        var n = network(dropOne: [0.05, 0.05, 0.05, 0.3, 0.05, 0.05], dropMany: [0.1],
                        reorder: [(0.9, 1, errors[0]), (0.8, 2, errors[1]), (0.6, 3, errors[2])])
        n.intactImages = 48
        // Stored as Δerror bounds around the intact error; the intact order's own is zero.
        n.reorderInterval = ([0.05] + errors.map { $0 - 0.03 * d }, [0.05] + errors.map { $0 + 0.03 * d })
        let wide = Verdict(n).findings[2]
        XCTAssertEqual(wide.outcome, .pass)
        XCTAssertEqual(wide.numbers["worst_damage_low"]!, 0.01, accuracy: 1e-12)
        XCTAssertEqual(wide.numbers["worst_damage_high"]!, 0.07, accuracy: 1e-12)
        XCTAssertEqual(wide.numbers["mildest_damage_high"]!, 0.07, accuracy: 1e-12, "one swap: the first order")
        XCTAssertTrue(wide.because.hasSuffix("is only noise); unsettled: over the orders' 95% intervals on 48 images, the worst "
                                             + "from 0.01 to 0.07 spans 0.05, so more images could change the outcome"), wide.because)
        n.reorderInterval = ([0.05] + errors.map { $0 - 0.005 * d }, [0.05] + errors.map { $0 + 0.005 * d })
        XCTAssertFalse(Verdict(n).findings[2].because.contains("unsettled"), "a narrow band settles it")
        // Past the harmless line, the mildest order's band against its own threshold.
        let harmful = [0.05 + 0.24 * d, 0.05 + 0.4 * d, 0.05 + 0.6 * d]
        n.reorder = .init(x: [1, 0.9, 0.8, 0.6], y: [0.05] + harmful)
        n.reorderInterval = ([0.05] + harmful.map { $0 - 0.02 * d }, [0.05] + harmful.map { $0 + 0.02 * d })
        let mildest = Verdict(n).findings[2]
        XCTAssertEqual(mildest.outcome, .pass)
        XCTAssertTrue(mildest.because.hasSuffix("unsettled: over the orders' 95% intervals on 48 images, the mildest from 0.22 "
                                                + "to 0.26 spans 0.25, so more images could change the outcome"), mildest.because)
    }

    func testAPlainNetIsNotEnsembleLike() {
        let verdict = Verdict(network(dropOne: Array(repeating: 0.9, count: 6), dropMany: [0.9, 0.9], reorder:
                                        [(0.9, 1, 0.88), (0.8, 2, 0.9), (0.6, 3, 0.9)], kinds: "plain"))
        XCTAssertEqual(verdict.findings.map(\.outcome), [.fail, .fail, .fail, .fail])
        XCTAssertEqual(verdict.overall, .notEnsembleLike)
        XCTAssertTrue(verdict.findings[3].because.contains("one path"))
    }

    /// Each threshold, just inside and just outside.
    func testEachThresholdDecides() {
        let d = 0.85   // the way from 5% to chance
        func outcome(_ n: StudyResults.NetworkResults, _ criterion: Int) -> Verdict.Outcome { Verdict(n).findings[criterion].outcome }
        let mild = [0.05, 0.05, 0.05, 0.05, 0.05, 0.05]
        // Median single removal 0.05: three of five non-downsampling blocks at 0.049 / 0.051 of the way.
        XCTAssertEqual(outcome(network(dropOne: [0.05, 0.05 + 0.049 * d, 0.05 + 0.049 * d, 0.3, 0.05 + 0.049 * d, 0.9], dropMany: [0.1], reorder: smoothReorder), 0), .partly,
                       "the median passes, block 5 (0.98) is essential")
        XCTAssertEqual(outcome(network(dropOne: [0.05, 0.05 + 0.051 * d, 0.05 + 0.051 * d, 0.3, 0.05 + 0.051 * d, 0.05], dropMany: [0.1], reorder: smoothReorder), 0), .fail)
        XCTAssertEqual(outcome(network(dropOne: [0.05, 0.05, 0.05 + 0.249 * d, 0.9, 0.05, 0.05], dropMany: [0.1], reorder: smoothReorder), 0), .pass,
                       "a downsampling block may cost anything")
        // The largest drop-many step, 0.25.
        XCTAssertEqual(outcome(network(dropOne: mild, dropMany: [0.05 + 0.2 * d, 0.05 + 0.449 * d], reorder: smoothReorder), 1), .pass)
        XCTAssertEqual(outcome(network(dropOne: mild, dropMany: [0.05 + 0.2 * d, 0.05 + 0.451 * d], reorder: smoothReorder), 1), .fail)
        // Reorder: a flat, harmless reorder passes whatever its correlation; a cliff at one swap fails.
        XCTAssertEqual(outcome(network(dropOne: mild, dropMany: [0.1], reorder: [(0.9, 1, 0.06), (0.8, 2, 0.05), (0.6, 3, 0.06)]), 2), .pass)
        XCTAssertEqual(outcome(network(dropOne: mild, dropMany: [0.1], reorder: [(0.9, 1, 0.5), (0.8, 2, 0.6), (0.6, 3, 0.7)]), 2), .fail,
                       "correlated, but one swap costs half the way to chance")
        XCTAssertEqual(outcome(network(dropOne: mild, dropMany: [0.1], reorder: [(0.9, 1, 0.2), (0.8, 2, 0.1), (0.6, 3, 0.15)]), 2), .fail,
                       "harmful and uncorrelated")
        // Effective paths: 0–2 ends below the mean length 3; 0–3 does not.
        XCTAssertEqual(outcome(network(dropOne: mild, dropMany: [0.1], reorder: smoothReorder, effective: 1...2), 3), .pass)
        XCTAssertEqual(outcome(network(dropOne: mild, dropMany: [0.1], reorder: smoothReorder, effective: 1...3), 3), .fail)
    }

    func testWhatWasNotMeasuredIsSaidAndLeftOutOfTheOverall() {
        var n = network(dropOne: [0.06, 0.06, 0.07, 0.20, 0.06, 0.065], dropMany: [0.07], reorder: smoothReorder)
        n.reorder = nil
        n.effectiveLengths = nil
        let verdict = Verdict(n)
        XCTAssertEqual(verdict.findings.map(\.outcome), [.pass, .pass, .notMeasured, .notMeasured])
        XCTAssertEqual(verdict.overall, .ensembleLike)
        XCTAssertEqual(Verdict(StudyResults.NetworkResults(name: "empty")).overall, .notMeasured)
    }

    /// A network no better than chance on the file's images (wrong labels, wrong preprocessing)
    /// gives damage no scale: dividing by the way left to chance gave damages in the millions,
    /// judged as if they meant something. Its lesions are not judged, and the verdict says why.
    func testANetworkAtChanceIsNotJudged() {
        func judged(intact: Double, images: Int?) -> Verdict {
            var n = network(dropOne: [0.91, 0.89, 0.90, 0.92, 0.89, 0.908], dropMany: [0.9, 0.91],
                            reorder: [(0.9, 1, 0.9), (0.8, 2, 0.91), (0.6, 3, 0.89)])
            n.intactError = intact
            n.perBlock[0].intactError = intact
            n.intactImages = images
            return Verdict(n)
        }
        let atChance = judged(intact: 0.91, images: 500)
        XCTAssertEqual(atChance.findings.map(\.outcome), [.notMeasured, .notMeasured, .notMeasured, .pass],
                       "the gradient criterion does not depend on the error")
        XCTAssertEqual(atChance.overall, .notMeasured)
        for finding in atChance.findings.prefix(3) {
            XCTAssertTrue(finding.because.contains("not better than chance"), finding.because)
            XCTAssertTrue(finding.because.contains("error 91.00%, chance 90.00%, 500 images"), finding.because)
            XCTAssertTrue(finding.numbers.isEmpty)
        }
        // Two standard errors of a guessing network's error on 500 images: 2.7 points.
        XCTAssertEqual(judged(intact: 0.88, images: 500).findings[0].outcome, .notMeasured)
        XCTAssertNotEqual(judged(intact: 0.87, images: 500).findings[0].outcome, .notMeasured)
        XCTAssertNotEqual(judged(intact: 0.88, images: 5000).findings[0].outcome, .notMeasured)
        // Without a count (results put together by hand) only an error at chance or above is refused.
        XCTAssertEqual(judged(intact: 0.90, images: nil).overall, .notMeasured)
        XCTAssertNotEqual(judged(intact: 0.89, images: nil).findings[0].outcome, .notMeasured)
    }

    /// A plain control at chance is not quoted: its damage has no scale either.
    func testAPlainControlAtChanceIsNotQuoted() {
        let resnet = network(dropOne: [0.06, 0.06, 0.07, 0.20, 0.06, 0.065], dropMany: [0.07], reorder: smoothReorder)
        var plain = network(dropOne: Array(repeating: 0.9, count: 6), dropMany: [0.9], reorder: smoothReorder, kinds: "plain")
        plain.name = "plain"
        plain.intactError = 0.9
        plain.perBlock[0].intactError = 0.9
        let verdicts = Verdict.judge(StudyResults(path: "x.h5", attributes: [], networks: [resnet, plain]))
        XCTAssertNil(verdicts[0].findings[0].numbers["control_median_damage"])
        XCTAssertEqual(verdicts[0].overall, .ensembleLike)
    }

    /// A ResNet judged beside a plain network of the same file quotes the control.
    func testThePlainControlIsQuoted() {
        let resnet = network(dropOne: [0.06, 0.06, 0.07, 0.20, 0.06, 0.065], dropMany: [0.07], reorder: smoothReorder)
        var plain = network(dropOne: Array(repeating: 0.9, count: 6), dropMany: [0.9], reorder: smoothReorder, kinds: "plain")
        plain.name = "plain"
        let verdicts = Verdict.judge(StudyResults(path: "x.h5", attributes: [], networks: [resnet, plain]))
        XCTAssertEqual(verdicts[0].findings[0].numbers["control_median_damage"]!, 1, accuracy: 1e-12)
        XCTAssertNil(verdicts[1].findings[0].numbers["control_median_damage"], "a plain net is not compared with itself")
    }
}
