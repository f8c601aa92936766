import HDF5
import XCTest
@testable import Nets

/// A recorded pass lets a block add its output into its input's buffer when nothing else holds
/// it and its backward reads only the input's shape. Gradients must not change by a bit.
final class BlockTests: XCTestCase {
    private func images(for network: Network, count: Int) -> Tensor {
        var random = Seeded(23)
        let input = network.architecture.input
        let shape = [count, input.height, input.width, input.channels]
        return Tensor(shape: shape, values: random.floats(shape.reduce(1, *), scale: 2))
    }

    /// Hooks that keep every block's input, so no block may write over it.
    private func keepingInputs(_ network: Network) -> (Hooks, () -> Int) {
        final class Kept: @unchecked Sendable { var tensors: [Tensor] = [] }
        let kept = Kept()
        var hooks = Hooks()
        for block in 0..<network.blockCount {
            hooks.add(.blockInput(block)) { _, x in kept.tensors.append(x); return nil }
        }
        return (hooks, { kept.tensors.count })
    }

    func testWritingOverBlockInputsChangesNoGradient() throws {
        let cases: [(name: String, inPlace: Bool)] = [
            ("resnet20_a", true), ("preact20_a", true), ("bottleneck_small", true), ("timm_resnet18d", true),
            // One block per stage: only the first can (the others downsample); with option C
            // every shortcut is a projection.
            ("preact8_b", true), ("resnet8_c", false),
            ("plain20", false), ("highway", false),
        ]
        for (name, expectsInPlace) in cases {
            let network = try ModelFile.load(fixture("\(name).model.h5"))
            let x = images(for: network, count: 3)
            let repeated = (0..<network.blockCount).last { network.duplicateRefusal($0) == nil }!
            let variants: [(String, RunOptions)] = [
                ("intact", RunOptions()),
                ("block 1 dropped", RunOptions(dropped: [1])),
                ("block \(repeated) twice", RunOptions(variant: Variant(steps: (0..<network.blockCount).map {
                    Variant.Step(block: $0, action: $0 == repeated ? .twice : .run) }))),
            ]
            for (label, options) in variants {
                let (hooks, keptCount) = keepingInputs(network)
                var copying = options
                copying.hooks = hooks
                let inPlaceRecord = try network.record(x, options: options)
                let copyingRecord = try network.record(x, options: copying)
                XCTAssertGreaterThan(keptCount(), 0)
                let overwritten = inPlaceRecord.blockRecords.filter(\.record.addedInPlace).count
                XCTAssertEqual(copyingRecord.blockRecords.filter(\.record.addedInPlace).count, 0, "\(name), \(label)")
                // (A removed plain block is the identity, and may write over its input too.)
                if label == "intact" {
                    XCTAssertEqual(overwritten > 0, expectsInPlace, "\(name): \(overwritten) blocks added in place")
                }
                XCTAssertEqual(inPlaceRecord.logits.values, copyingRecord.logits.values, "\(name), \(label): logits")
                let seed = try Loss.logitGradient(inPlaceRecord.logits, target: .crossEntropy(labels: [0, 1, 2]))
                let routes = [1: Route.branch, 2: Route.shortcut]
                for routed in [[:], routes] {
                    let expected = try network.backward(copyingRecord, logitGradient: seed, routes: routed)
                    // Twice over the same record: the backward pass must leave the record as it was.
                    for _ in 0..<2 {
                        let got = try network.backward(inPlaceRecord, logitGradient: seed, routes: routed)
                        XCTAssertEqual(got.values.map(\.bitPattern), expected.values.map(\.bitPattern),
                                       "\(name), \(label), routes \(routed)")
                    }
                }
                let paths = try network.pathGradients(inPlaceRecord, logitGradient: seed, maxLength: 3)
                let expectedPaths = try network.pathGradients(copyingRecord, logitGradient: seed, maxLength: 3)
                XCTAssertEqual(paths.map { $0?.values }, expectedPaths.map { $0?.values }, "\(name), \(label): path gradients")
            }
        }
    }

    /// An unrecorded highway layer merges into its input's buffer when nothing else holds it.
    /// A block input a hook keeps must come through the pass unwritten, and no logit may move.
    func testHighwayMergeWritesOnlyOverInputsNothingHolds() throws {
        let network = try ModelFile.load(fixture("highway.model.h5"))
        let x = images(for: network, count: 3)
        final class Kept: @unchecked Sendable { var tensors: [(Tensor, [Float])] = [] }
        let kept = Kept()
        var hooks = Hooks()
        for block in 0..<network.blockCount {
            hooks.add(.blockInput(block)) { _, input in kept.tensors.append((input, input.values)); return nil }
        }
        let plain = try network.forward(x)
        let held = try network.forward(x, options: RunOptions(hooks: hooks))
        XCTAssertEqual(kept.tensors.count, network.blockCount)
        for (block, (tensor, values)) in kept.tensors.enumerated() {
            XCTAssertTrue(tensor.values == values, "block \(block)'s input was written")
        }
        XCTAssertEqual(held.values.map(\.bitPattern), plain.values.map(\.bitPattern))
    }

    /// A post-activation ResNet's record keeps signs where it kept activations: under an eighth
    /// of one float activation per block (each block keeps two masks, a 32nd of a float each).
    func testRecordsKeepSignsNotActivations() throws {
        let network = try ModelFile.load(fixture("resnet20_a.model.h5"))
        let x = images(for: network, count: 2)
        let oneActivationPerBlock = (0..<network.blockCount).reduce(0) {
            $0 + x.batch * network.blockShapes($1).output.reduce(1, *) * MemoryLayout<Float>.stride
        }
        let bytes = try network.record(x).bytes
        XCTAssertLessThan(bytes * 8, oneActivationPerBlock, "\(bytes) bytes kept")
    }

    /// A projection computed once serves a removed block and the intact block: the removal leaves
    /// it as it was, the run adds into it, and both equal the block run on its own, bit for bit.
    func testAProjectionSharedByTheRemovedAndTheIntactBlockChangesNoOutput() throws {
        for name in ["resnet20_b", "resnet8_c", "preact8_b", "bottleneck_small", "timm_resnet18d", "timm_seresnet18",
                     "timm_resnetv2_50d"] {
            let network = try ModelFile.load(fixture("\(name).model.h5"))
            var current = try network.runStem(images(for: network, count: 2))
            var projecting = 0
            for block in 0..<network.blockCount {
                if let shortcut = try network.projectedShortcut(block, current) {
                    projecting += 1
                    let before = shortcut.values
                    var input = current, again = current
                    let removed = try network.runBlock(block, &input, action: .skip, shortcut: shortcut)
                    XCTAssertEqual(shortcut.values, before, "\(name) block \(block): the removal wrote into the shortcut")
                    XCTAssertEqual(removed.values, try network.runBlock(block, &again, action: .skip).values, "\(name) block \(block)")
                    let run = try network.runBlock(block, &input, action: .run, shortcut: shortcut)
                    XCTAssertEqual(run.values, try network.runBlock(block, &again, action: .run).values, "\(name) block \(block)")
                    XCTAssertThrowsError(try network.runBlock(block, &input, action: .scale(0.5), shortcut: shortcut))
                }
                current = try network.runBlock(block, &current)
            }
            let expected = network.architecture.blocks.filter { $0.kind == .residual && $0.shortcut.kind == .projection }.count
            XCTAssertEqual(projecting, expected, name)
            XCTAssertGreaterThan(projecting, 0, name)
        }
    }
}
