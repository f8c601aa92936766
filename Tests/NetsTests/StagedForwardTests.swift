import XCTest
@testable import Nets

/// An unrecorded pass may run its early blocks a few images at a time (`Network.runStaged`).
/// No value may change by a bit, and neither the caller's images nor a cached block input may
/// be written.
final class StagedForwardTests: XCTestCase {
    private var saved: Int?

    override func setUp() { saved = Compute.stageBytes }
    override func tearDown() { Compute.stageBytes = saved }

    private func images(for network: Network, count: Int, seed: UInt64 = 31) -> Tensor {
        var random = Seeded(seed)
        let input = network.architecture.input
        let shape = [count, input.height, input.width, input.channels]
        return Tensor(shape: shape, values: random.floats(shape.reduce(1, *), scale: 2))
    }

    /// A budget of three of the first block's activations: the first stage runs 4 images a call
    /// (the minimum), later stages more, the last ones the whole batch.
    private func smallBudget(_ network: Network) -> Int {
        let shapes = network.blockShapes(0)
        return 3 * max(shapes.input.reduce(1, *), shapes.output.reduce(1, *)) * MemoryLayout<Float>.stride
    }

    func testStagedPassesEqualWholeBatchesToTheBit() throws {
        for name in ["resnet20_a", "preact20_a", "bottleneck_small", "timm_resnet18d", "resnet8_c", "plain20", "highway"] {
            let network = try ModelFile.load(fixture("\(name).model.h5"))
            let x = images(for: network, count: 11)
            let before = x.values
            let blocks = network.blockCount
            let repeated = (0..<blocks).last { network.duplicateRefusal($0) == nil }!
            let scaled = (0..<blocks).last { network.scaleRefusal($0) == nil }
            var variants: [(String, RunOptions)] = [
                ("intact", RunOptions()),
                ("block 1 dropped", RunOptions(dropped: [1])),
                ("block \(repeated) twice", RunOptions(variant: Variant(steps: (0..<blocks).map {
                    Variant.Step(block: $0, action: $0 == repeated ? .twice : .run) }))),
                ("block 0 re-initialised", RunOptions(variant: Variant(steps: (0..<blocks).map {
                    Variant.Step(block: $0, action: $0 == 0 ? .reinit(seed: 5) : .run) }))),
            ]
            if let scaled {
                variants.append(("block \(scaled) scaled", RunOptions(variant: Variant(steps: (0..<blocks).map {
                    Variant.Step(block: $0, action: $0 == scaled ? .scale(0.5) : .run) }))))
            }
            for (label, options) in variants {
                Compute.stageBytes = nil
                let whole = try network.forward(x, options: options)
                Compute.stageBytes = smallBudget(network)
                let staged = try network.forward(x, options: options)
                XCTAssertEqual(staged.shape, whole.shape, "\(name), \(label)")
                XCTAssertTrue(staged.values == whole.values, "\(name), \(label): logits differ")
                XCTAssertTrue(x.values == before, "\(name), \(label): the images were written")
            }

            // From a cached block input, which the staged pass must leave as it found it.
            Compute.stageBytes = nil
            let cached = try network.activation(fromPosition: 0, blockInput: try network.runStem(x), through: 0)
            let cachedValues = cached.values
            let whole = try network.forward(fromPosition: 1, blockInput: cached)
            Compute.stageBytes = smallBudget(network)
            let staged = try network.forward(fromPosition: 1, blockInput: cached)
            XCTAssertTrue(staged.values == whole.values, "\(name): logits from position 1 differ")
            XCTAssertTrue(cached.values == cachedValues, "\(name): the cached block input was written")
        }
    }

    func testChunksFollowTheActivationsAndNeverShrink() throws {
        let network = try ModelFile.load(fixture("resnet20_a.model.h5"))
        let steps = Variant.intact(blocks: network.blockCount).steps
        let bytes = (0..<network.blockCount).map { index in
            let shapes = network.blockShapes(index)
            return max(shapes.input.reduce(1, *), shapes.output.reduce(1, *)) * MemoryLayout<Float>.stride
        }
        let budget = 6 * bytes[0]
        let chunks = network.stageChunks(steps, batch: 40, budget: budget)
        XCTAssertEqual(chunks.count, steps.count)
        XCTAssertEqual(chunks.first, 6)
        XCTAssertEqual(chunks.last, min(40, budget / bytes.last!))
        for (index, chunk) in chunks.enumerated() {
            XCTAssertGreaterThanOrEqual(chunk, Network.minimumStageChunk)
            XCTAssertLessThanOrEqual(chunk, 40)
            if index > 0 { XCTAssertGreaterThanOrEqual(chunk, chunks[index - 1]) }
        }
        // A budget under the minimum's activation still runs the minimum; a large one, the batch.
        XCTAssertEqual(network.stageChunks(steps, batch: 40, budget: 1).first, Network.minimumStageChunk)
        XCTAssertEqual(Set(network.stageChunks(steps, batch: 40, budget: 1 << 30)), [40])
        // Without a budget, or when the first stage would take the whole batch, no staged pass.
        Compute.stageBytes = nil
        XCTAssertNil(try network.runStaged(images(for: network, count: 5), steps: steps[...], throughStem: true))
        Compute.stageBytes = 1 << 30
        XCTAssertNil(try network.runStaged(images(for: network, count: 5), steps: steps[...], throughStem: true))
    }

    /// A highway layer's merge streams H, T, x and y, so it gets a quarter of the images that a
    /// block of the same shape, whose sums are fused into its convolutions, would get.
    func testHighwayLayersCountTheirMergesFourTensors() throws {
        let network = try ModelFile.load(fixture("highway.model.h5"))
        let steps = Variant.intact(blocks: network.blockCount).steps
        let first = try XCTUnwrap(steps.first { network.blocks[$0.block].spec.kind == .highway })
        let activation = network.activationBytes(first.block)
        XCTAssertEqual(network.streamedBytes(first.block), 4 * activation)
        let chunks = network.stageChunks([first], batch: 64, budget: 32 * activation)
        XCTAssertEqual(chunks, [8])
        let plain = try ModelFile.load(fixture("plain20.model.h5"))
        XCTAssertEqual(plain.streamedBytes(0), plain.activationBytes(0))
    }

    /// Chunks written over their view are left where they are; others are copied into a new
    /// batch, and when both happen the ones in place are copied too.
    func testChunksArePutTogetherInOrder() throws {
        let network = try ModelFile.load(fixture("resnet20_a.model.h5"))
        let batch = Tensor(shape: [10, 1, 1, 2], values: (0..<20).map(Float.init))
        let inPlace = try network.runInChunks(batch, chunk: 4, writable: true) { part in
            for index in 0..<part.count { part.pointer[index] += 100 }
            return part
        }
        XCTAssertTrue(inPlace === batch)
        XCTAssertEqual(inPlace.values, (0..<20).map { Float($0 + 100) })

        let source = Tensor(shape: [10, 1, 1, 2], values: (0..<20).map(Float.init))
        var sizes: [Int] = []
        let mixed = try network.runInChunks(source, chunk: 4, writable: true) { part in
            sizes.append(part.batch)
            if sizes.count == 2 {
                let fresh = Tensor(shape: part.shape, values: part.values.map { -$0 })
                return fresh
            }
            for index in 0..<part.count { part.pointer[index] *= 2 }
            return part
        }
        XCTAssertEqual(sizes, [3, 3, 4])
        XCTAssertFalse(mixed === source)
        XCTAssertEqual(mixed.values, (0..<20).map { $0 >= 6 && $0 < 12 ? -Float($0) : 2 * Float($0) })

        // Not writable: a block sees a second reference and must copy; the view still reads the batch.
        let kept = Tensor(shape: [10, 1, 1, 2], values: (0..<20).map(Float.init))
        let reshaped = try network.runInChunks(kept, chunk: 5, writable: false) { part in
            XCTAssertFalse(isKnownUniquelyReferenced(&part))
            return Tensor(shape: [part.batch, 1, 1, 1], values: (0..<part.batch).map { part.pointer[2 * $0] })
        }
        XCTAssertEqual(reshaped.shape, [10, 1, 1, 1])
        XCTAssertEqual(reshaped.values, (0..<10).map { Float(2 * $0) })
        XCTAssertEqual(kept.values, (0..<20).map(Float.init))
    }
}
