import XCTest
@testable import Analysis
@testable import Nets

/// Shared-prefix evaluation against the naive loop: one full pass per variant.
final class SharedPrefixEvaluatorTests: XCTestCase {
    private func images(_ network: Network, count: Int) throws -> Tensor {
        let folder = Folder()
        let input = network.architecture.input
        let data = try DatasetFile(try makeNoiseDataset(folder.path("d.h5"), count: count, size: input.height))
        return try data.batch(0..<count, preprocessing: network.architecture.preprocessing).images
    }

    private func checkAgainstNaiveLoop(_ model: String, _ experiment: Experiment) throws {
        let network = try ModelFile.load(modelFixture(model))
        let batch = try images(network, count: 6)
        let variants = try experiment.variants(for: network)
        let evaluator = try SharedPrefixEvaluator(network: network, images: batch)
        let shared = try evaluator.logits(variants)
        for (variant, logits) in zip(variants, shared) {
            let naive = try network.forward(batch, options: RunOptions(dropped: Set(variant.droppedBlocks), order: variant.order))
            XCTAssertEqual(logits.values, naive.values, "\(model) \(experiment.id) \(variant.droppedBlocks) \(variant.order)")
            XCTAssertEqual(Loss.predictions(logits), Loss.predictions(naive))
        }
        XCTAssertLessThan(evaluator.blockEvaluations, variants.count * network.blockCount, "sharing saved work")
    }

    func testDropOneEqualsTheNaiveLoopExactly() throws {
        for model in ["resnet20_a", "resnet20_b", "preact20_a", "highway", "bottleneck_small", "plain20"] {
            try checkAgainstNaiveLoop(model, DropOne())
        }
    }

    func testDropOneCostsAboutHalfTheNaiveLoop() throws {
        let network = try ModelFile.load(modelFixture("resnet20_a"))
        let evaluator = try SharedPrefixEvaluator(network: network, images: try images(network, count: 2))
        _ = try evaluator.logits(try DropOne().variants(for: network))
        // n = 9: intact 9, then variant i runs blocks i...8 = 9 - i evaluations: 9 + 45 = 54, against 10 × 9 = 90 naively.
        XCTAssertEqual(evaluator.blockEvaluations, 54)
    }

    func testDropManyAndReorderEqualTheNaiveLoop() throws {
        try checkAgainstNaiveLoop("resnet20_a", Analysis.DropMany(maxK: 4, samples: 6, seed: 9))
        try checkAgainstNaiveLoop("resnet20_a", Analysis.DropMany(maxK: 3, samples: 5, seed: 9, excludeDownsampling: true))
        try checkAgainstNaiveLoop("preact20_a", Reorder(maxSwaps: 4, samples: 5, seed: 3))
    }
}
