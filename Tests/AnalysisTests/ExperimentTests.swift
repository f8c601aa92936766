import XCTest
@testable import Analysis
@testable import Nets

final class ExperimentTests: XCTestCase {
    /// Settings are JSON whatever a value holds, and a file written when they were spaced by hand
    /// still resumes: the comparison reads both as JSON.
    func testSettingsAreJSONAndCompareByMeaning() throws {
        let encoded = ExperimentRun.encode(["seed": "1", "note": "a \"quoted\" path/with\\slash"])
        let decoded = try JSONDecoder().decode([String: String].self, from: Data(encoded.utf8))
        XCTAssertEqual(decoded, ["seed": "1", "note": "a \"quoted\" path/with\\slash"])
        XCTAssertEqual(ExperimentRun.encode(["b": "2", "a": "1"]), #"{"a":"1","b":"2"}"#, "sorted keys, one spelling")
        XCTAssertTrue(ExperimentRun.sameSettings(#"{"max_swaps": "8", "seed": "1"}"#, ExperimentRun.encode(["seed": "1", "max_swaps": "8"])))
        XCTAssertFalse(ExperimentRun.sameSettings(#"{"seed": "2"}"#, ExperimentRun.encode(["seed": "1"])))
        XCTAssertTrue(ExperimentRun.sameSettings("{}", ExperimentRun.encode([:])))
    }

    func testKendallTauKnownValues() {
        XCTAssertEqual(kendallTau([0, 1, 2, 3, 4]), 1)
        XCTAssertEqual(kendallTau([4, 3, 2, 1, 0]), -1)
        XCTAssertEqual(kendallTau([1, 0, 2]), 1.0 / 3, accuracy: 1e-12)
        // One adjacent swap among n = 54 changes one of 1,431 pairs: τ = 1 - 2/1431.
        var order = Array(0..<54)
        order.swapAt(10, 11)
        XCTAssertEqual(kendallTau(order), 1 - 2.0 / 1431, accuracy: 1e-12)
        // Swapping the ends of 0...4 gives 7 discordant pairs of 10.
        XCTAssertEqual(kendallTau([4, 1, 2, 3, 0]), (3.0 - 7) / 10, accuracy: 1e-12)
    }

    func testDropManyUsesEverySetWhenThereAreFewAndDistinctSeededSetsOtherwise() throws {
        let network = try ModelFile.load(modelFixture("resnet20_a"))
        let experiment = Analysis.DropMany(maxK: 3, samples: 20, seed: 5)
        let variants = try experiment.variants(for: network)
        let byK = Dictionary(grouping: variants.dropFirst()) { $0.droppedBlocks.count }
        XCTAssertEqual(byK[1]?.count, 9, "C(9,1) = 9 ≤ 20: all")
        XCTAssertEqual(byK[2]?.count, 20, "C(9,2) = 36 > 20: 20 samples")
        XCTAssertEqual(Set(byK[2]!.map(\.droppedBlocks)).count, 20, "distinct")
        XCTAssertEqual(try experiment.variants(for: network), variants, "seeded: the same every time")
        XCTAssertNotEqual(try Analysis.DropMany(maxK: 3, samples: 20, seed: 6).variants(for: network), variants)
        let excluded = try Analysis.DropMany(maxK: 2, samples: 100, seed: 5, excludeDownsampling: true).variants(for: network)
        XCTAssertFalse(excluded.contains { $0.droppedBlocks.contains(3) || $0.droppedBlocks.contains(6) })
        let clamped = try Analysis.DropMany(maxK: 12, samples: 1, seed: 1).variants(for: network)
        XCTAssertEqual(clamped.map(\.droppedBlocks.count).max(), 9, "k stops at the 9 removable blocks")
        XCTAssertThrowsError(try Analysis.DropMany(maxK: 0, samples: 1, seed: 1).variants(for: network))
    }

    func testReorderSwapsOnlyCompatibleBlocksWithinAStage() throws {
        let network = try ModelFile.load(modelFixture("resnet20_a"))
        XCTAssertEqual(Reorder.compatibleGroups(network), [[0, 1, 2], [4, 5], [7, 8]])
        for variant in try Reorder(maxSwaps: 5, samples: 10, seed: 2).variants(for: network) {
            let order = variant.order
            XCTAssertEqual(Set(order), Set(0..<9))
            for (position, block) in order.enumerated() where block != position {
                XCTAssertEqual(network.architecture.blocks[block].stage, network.architecture.blocks[position].stage)
                XCTAssertFalse([3, 6].contains(block), "downsampling blocks stay")
            }
        }
    }

    func testDropOneLeavesOutPlainBlocksThatChangeShape() throws {
        let network = try ModelFile.load(modelFixture("plain20"))
        let blocks = try DropOne().variants(for: network).dropFirst().map { $0.droppedBlocks[0] }
        XCTAssertEqual(blocks, [0, 1, 2, 4, 5, 7, 8])
    }

    func testStatisticsAddUpAndGiveAPairedInterval() {
        let intact = Tensor(shape: [4, 3], values: [1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0])
        let variant = Tensor(shape: [4, 3], values: [0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1])
        let labels = [0, 1, 2, 0]
        let stats = VariantStatistics(logits: variant, intact: intact, labels: labels, classes: 3)
        XCTAssertEqual(stats.error, 0.5)
        XCTAssertEqual(stats.deltaError.mean, 0.5)
        XCTAssertEqual(stats.classError, [1, 0, 0])
        // d = [1, 0, 0, 1]: mean 0.5, sample sd 0.57735, half-width 1.96 * 0.57735 / 2.
        XCTAssertEqual(stats.deltaError.high - stats.deltaError.mean, 1.959963984540054 * 0.5773502691896258 / 2, accuracy: 1e-12)
        let doubled = stats + stats
        XCTAssertEqual(doubled.images, 8)
        XCTAssertEqual(doubled.error, 0.5)
        XCTAssertEqual(VariantStatistics(row: doubled.row[...], classes: 3), doubled)
    }
}
