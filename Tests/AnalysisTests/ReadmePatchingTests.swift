import Foundation
import XCTest
import Analysis
import Nets

// README-PATCHING-BEGIN
/// Causal tracing over blocks (after Meng et al. 2022): corrupt the stem's output with noise,
/// then restore one block's clean output at a time. The share of the correct class's logit that
/// comes back says how much of the decision flows through that block's output.
final class CausalTrace: Probe {
    let blocks: Int
    var clean = 0.0, corrupted = 0.0
    var restored: [Double]

    init(blocks: Int) {
        self.blocks = blocks
        restored = Array(repeating: 0, count: blocks)
    }

    var name: String { "causal_trace" }
    var reads: [HookPoint] { [.stem] + (0..<blocks).map { .blockOutput($0) } }

    /// The summed logit of each image's own class.
    func correct(_ logits: Tensor, _ labels: [Int]) -> Double {
        labels.enumerated().reduce(0) { $0 + Double(logits.pointer[$1.offset * logits.shape[1] + $1.element]) }
    }

    func observe(_ batch: Batch) throws {
        let stem = try batch.activation(.stem)
        var noise = SplitMix64(seed: UInt64(batch.index))
        let noisy = Tensor(shape: stem.shape, values: stem.values.map { $0 + Float(noise.below(2001) - 1000) / 500 })
        clean += correct(batch.logits, batch.labels)
        corrupted += correct(try batch.run([.stem: noisy]).logits, batch.labels)
        for i in 0..<blocks {
            let run = try batch.run([.stem: noisy, .blockOutput(i): try batch.activation(.blockOutput(i))])
            restored[i] += correct(try run.logits, batch.labels)
        }
    }

    /// Per block, the share of the corruption's damage that restoring its output undoes.
    var recovery: [Double] { restored.map { ($0 - corrupted) / (clean - corrupted) } }
}
// README-PATCHING-END

final class ReadmePatchingTests: XCTestCase {
    func testTheReadmeShowsThisProbe() throws {
        XCTAssertTrue(try repositoryFile("README.md").contains(try markedSource(#filePath, "README-PATCHING")),
                      "README.md must show the probe exactly as tested here")
    }

    func testCausalTracingRuns() throws {
        let folder = Folder()
        let network = try ModelFile.load(modelFixture("resnet20_a"))
        let data = try DatasetFile(try makeNoiseDataset(folder.path("d.h5"), count: 8, size: 32))
        let probe = CausalTrace(blocks: network.blockCount)
        try Runner(network: network, data: data, batchSize: 4).run([probe])
        XCTAssertNotEqual(probe.clean, probe.corrupted, "the noise changes the logits")
        // Restoring the last block's output restores everything the head sees: recovery 1.
        XCTAssertEqual(probe.recovery.last!, 1, accuracy: 1e-9)
        XCTAssertTrue(probe.recovery.allSatisfy(\.isFinite))
    }

    /// A patched run is the hooked forward pass it stands for; patching the intact values changes nothing.
    func testPatchingIsExactAndChecked() throws {
        let folder = Folder()
        let network = try ModelFile.load(modelFixture("preact20_a"))
        let data = try DatasetFile(try makeNoiseDataset(folder.path("d.h5"), count: 4, size: 32))
        final class Check: Probe {
            var name: String { "check" }
            var reads: [HookPoint] { [.blockOutput(3), .blockInput(5)] }
            func observe(_ batch: Batch) throws {
                let same = try batch.run([.blockOutput(3): try batch.activation(.blockOutput(3))], reading: [.blockInput(5)])
                XCTAssertEqual(try same.logits.values, batch.logits.values)
                XCTAssertEqual(try same.activation(.blockInput(5)).values, try batch.activation(.blockInput(5)).values)
                let zeros = Tensor(zeros: try batch.activation(.blockOutput(3)).shape)
                let patched = try batch.run([.blockOutput(3): zeros], variant: .dropping([6], blocks: 9))
                var hooks = Hooks()
                hooks.add(.blockOutput(3)) { _, _ in zeros.copy() }
                let manual = try batch.network.forward(batch.images, options: RunOptions(dropped: [6], hooks: hooks))
                XCTAssertEqual(try patched.logits.values, manual.values)
                // A patch after the last point read: the read is the intact value, and the logits,
                // run on demand from where the read stopped, are the hooked pass's.
                let lateZeros = Tensor(zeros: [batch.images.shape[0]] + batch.network.blockShapes(7).output)
                let late = try batch.run([.blockOutput(7): lateZeros], reading: [.blockInput(5)])
                XCTAssertEqual(try late.activation(.blockInput(5)).values, try batch.activation(.blockInput(5)).values)
                var lateHooks = Hooks()
                lateHooks.add(.blockOutput(7)) { _, _ in lateZeros.copy() }
                let lateManual = try batch.network.forward(batch.images, options: RunOptions(hooks: lateHooks))
                XCTAssertEqual(try late.logits.values, lateManual.values)
                XCTAssertNotEqual(lateManual.values, batch.logits.values, "the late patch changes the logits")
                XCTAssertThrowsError(try batch.run([.blockGate(2): zeros])) { XCTAssertTrue("\($0)".contains("nearest it has"), "\($0)") }
                XCTAssertThrowsError(try batch.run([.blockOutput(3): Tensor(zeros: [1, 2, 3, 4])])) {
                    XCTAssertTrue("\($0)".contains("the patch at 'blocks.3.output' has shape [1, 2, 3, 4]"), "\($0)")
                }
                XCTAssertThrowsError(try same.activation(.logits))
            }
        }
        try Runner(network: network, data: data, batchSize: 4).run([Check()])
    }
}
