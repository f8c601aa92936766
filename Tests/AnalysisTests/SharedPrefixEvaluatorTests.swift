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
            let naive = try network.forward(batch, options: RunOptions(variant: variant))
            XCTAssertEqual(logits.values, naive.values, "\(model) \(experiment.id) \(variant.droppedBlocks) \(variant.order)")
            XCTAssertEqual(Loss.predictions(logits), Loss.predictions(naive))
        }
        if variants.count > 1 {
            XCTAssertLessThan(evaluator.blockEvaluations, variants.count * network.blockCount, "sharing saved work")
        }
        // Planned, the same variants are walked during the intact pass, with the same work, and
        // give the same numbers bit for bit.
        let planned = try SharedPrefixEvaluator(network: network, images: batch, planned: variants)
        XCTAssertFalse(planned.holdsBlockInputs)
        XCTAssertEqual(try planned.logits(variants).map(\.values), shared.map(\.values), "\(model) \(experiment.id) planned")
        XCTAssertEqual(planned.intactLogits.values, evaluator.intactLogits.values)
        XCTAssertEqual(planned.blockEvaluations, evaluator.blockEvaluations, "\(model) \(experiment.id)")
        XCTAssertEqual(planned.evaluations(of: variants), evaluator.blockEvaluations - network.blockCount)
        // A variant that leaves the intact network by removing a block with a projection
        // shortcut shares that projection with the intact block.
        let projecting = Set(variants.compactMap { variant in
            variant.steps.indices.first { variant.steps[$0] != Variant.Step(block: $0) }.flatMap { position in
                variant.steps[position] == Variant.Step(block: position, action: .skip) ? position : nil
            }
        }.filter { network.architecture.blocks[$0].kind == .residual && network.architecture.blocks[$0].shortcut.kind == .projection })
        XCTAssertEqual(planned.sharedShortcuts, projecting.count, "\(model) \(experiment.id)")
        XCTAssertEqual(evaluator.sharedShortcuts, 0, "nothing to share with outside the intact pass")
    }

    /// Planned logits are held until asked for: more of them than the block inputs the walk
    /// spares, and the evaluator keeps the inputs instead. resnet20_a's inputs are 98,304 values an
    /// image (4 × 32·32·16 + 3 × 16·16·32 + 2 × 8·8·64); 10,800 variants of 10 logits are more.
    func testSoManyPlannedVariantsThatTheirLogitsOutweighTheInputsAreNotWalkedAlong() throws {
        let network = try ModelFile.load(modelFixture("resnet20_a"))
        let many = (1...1200).flatMap { k in (0..<network.blockCount).map { Variant.acting(.scale(Float(k) / 1000), on: $0, blocks: network.blockCount) } }
        XCTAssertEqual(Set(many).count, 10_800)
        let evaluator = try SharedPrefixEvaluator(network: network, images: try images(network, count: 1), planned: many)
        XCTAssertTrue(evaluator.holdsBlockInputs)
        XCTAssertEqual(evaluator.blockEvaluations, network.blockCount, "nothing walked along")
    }

    /// After a planned walk, a variant that was not planned, or a block input, costs a second
    /// intact pass and gives what an evaluator that kept its inputs gives.
    func testWhatWasNotPlannedRunsTheIntactPassAgain() throws {
        let network = try ModelFile.load(modelFixture("resnet20_a"))
        let batch = try images(network, count: 3)
        let n = network.blockCount
        let planned = try SharedPrefixEvaluator(network: network, images: batch, planned: [.dropping([4], blocks: n)])
        let keeping = try SharedPrefixEvaluator(network: network, images: batch)
        XCTAssertEqual(planned.blockEvaluations, n + (n - 4 - 1) + 1)
        let other = Variant.dropping([6], blocks: n)
        XCTAssertEqual(try planned.logits([other]).map(\.values), try keeping.logits([other]).map(\.values))
        XCTAssertTrue(planned.holdsBlockInputs)
        XCTAssertEqual(planned.blockEvaluations, 2 * n + (n - 4) + (n - 6))
        XCTAssertEqual(try planned.intactInput(5).values, try keeping.intactInput(5).values)
        XCTAssertEqual(planned.blockEvaluations, 2 * n + (n - 4) + (n - 6), "the inputs are kept once computed")
    }

    /// A variant may leave out the last blocks (the head then reads the output of the last one it
    /// keeps); planned, it starts where it ends, with no step at its start to look at.
    func testAPlannedVariantThatEndsEarlyRunsTheHeadWhereItEnds() throws {
        let network = try ModelFile.load(modelFixture("resnet20_b"))
        let batch = try images(network, count: 3)
        let n = network.blockCount
        let variants = [Variant.ordered(Array(0..<(n - 1))), .dropping([n - 1], blocks: n)]
        let planned = try SharedPrefixEvaluator(network: network, images: batch, planned: variants)
        XCTAssertFalse(planned.holdsBlockInputs)
        for (variant, logits) in zip(variants, try planned.logits(variants)) {
            XCTAssertEqual(logits.values, try network.forward(batch, options: RunOptions(variant: variant)).values, "\(variant.order)")
        }
    }

    func testDropOneEqualsTheNaiveLoopExactly() throws {
        // Projection shortcuts of each kind: options B and C, from a pre-activation (preact8_b,
        // kuangliu_preact18), ResNet-D's average pool before it (timm_resnet18d), with
        // squeeze-excitation in the branch (timm_seresnet18), pooled from a pre-activation with a
        // convolution classifier (timm_resnetv2_50d), group norms (timm_bit), SiLU (timm_resnext_ts),
        // padding that differs by side (hf_bit_same), ECA (timm_ecaresnet), squeeze-excitation of
        // Linear layers (senet_cifar).
        for model in ["resnet20_a", "resnet20_b", "preact20_a", "highway", "bottleneck_small", "plain20", "resnet8_c",
                      "preact8_b", "kuangliu_preact18", "timm_resnet18d", "timm_seresnet18", "timm_resnetv2_50d", "timm_bit",
                      "timm_resnext_ts", "hf_bit_same", "timm_ecaresnet", "senet_cifar"] {
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

    func testDuplicateAndScaleEqualTheNaiveLoop() throws {
        for model in ["resnet20_a", "preact20_a", "highway", "plain20"] {
            try checkAgainstNaiveLoop(model, Duplicate())
            try checkAgainstNaiveLoop(model, try ScaleBranches(alphas: [0, 0.5, 2]))
            try checkAgainstNaiveLoop(model, Reinit(seed: 3))
        }
        let plain = try ModelFile.load(modelFixture("plain20"))
        XCTAssertEqual(ScaleBranches.skipped(for: plain), Array(0..<9), "plain blocks have no shortcut to keep")
    }

    /// Each duplicate variant starts at its block's cached input and runs the rest of the network
    /// with that block twice: drop-one's cost plus one block per variant.
    func testDuplicateCostsDropOnePlusOneBlockPerVariant() throws {
        let network = try ModelFile.load(modelFixture("resnet20_a"))
        let batch = try images(network, count: 2)
        let n = network.blockCount
        let duplicable = (0..<n).filter { network.duplicateRefusal($0) == nil }
        XCTAssertEqual(Duplicate().skipped(for: network), network.downsamplingBlocks, "blocks that change the shape are left out")
        let evaluator = try SharedPrefixEvaluator(network: network, images: batch)
        _ = try evaluator.logits(try Duplicate().variants(for: network))
        XCTAssertEqual(evaluator.blockEvaluations, n + duplicable.map { (n - $0) + 1 }.reduce(0, +))
        let dropping = try SharedPrefixEvaluator(network: network, images: batch)
        _ = try dropping.logits(duplicable.map { Variant.dropping([$0], blocks: n) })
        XCTAssertEqual(evaluator.blockEvaluations, dropping.blockEvaluations + duplicable.count)
    }

    /// α = 0 is the lesion: the same numbers as drop-one, bit for bit, and no extra work.
    func testScaleByZeroIsDropOneExactly() throws {
        let network = try ModelFile.load(modelFixture("preact20_a"))
        let batch = try images(network, count: 4)
        let evaluator = try SharedPrefixEvaluator(network: network, images: batch)
        let scaled = try evaluator.logits(try ScaleBranches(alphas: [0]).variants(for: network))
        let dropped = try evaluator.logits(try DropOne().variants(for: network))
        XCTAssertEqual(scaled.map(\.values), dropped.map(\.values))
        XCTAssertThrowsError(try ScaleBranches(alphas: [1, .infinity])) { error in
            XCTAssertTrue("\(error)".contains("the branch scale α = inf is not finite"), "\(error)")
        }
        XCTAssertThrowsError(try network.forward(batch, options: RunOptions(variant: .acting(.twice, on: 3, blocks: 9)))) { error in
            XCTAssertTrue("\(error)".contains("block 3 ('layer2.0') maps [32, 32, 16] to [16, 16, 32]"), "\(error)")
        }
    }

    func testDropManyAndReorderEqualTheNaiveLoop() throws {
        try checkAgainstNaiveLoop("resnet20_a", Analysis.DropMany(maxK: 4, samples: 6, seed: 9))
        try checkAgainstNaiveLoop("resnet20_a", Analysis.DropMany(maxK: 3, samples: 5, seed: 9, excludeDownsampling: true))
        try checkAgainstNaiveLoop("preact20_a", Reorder(maxSwaps: 4, samples: 5, seed: 3))
    }
}
