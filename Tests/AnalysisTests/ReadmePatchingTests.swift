import Foundation
import XCTest
import Analysis
import Nets
import HDF5

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
            restored[i] += correct(run.logits, batch.labels)
        }
    }

    /// Per block, the share of the corruption's damage that restoring its output undoes.
    var recovery: [Double] { restored.map { ($0 - corrupted) / (clean - corrupted) } }
}
// README-PATCHING-END

final class ReadmePatchingTests: XCTestCase {
    func testTheReadmeShowsThisProbe() throws {
        let source = try String(contentsOfFile: #filePath, encoding: .utf8)
        let start = source.range(of: "// README-PATCHING-BEGIN\n")!.upperBound
        let end = source.range(of: "// README-PATCHING-END")!.lowerBound
        let readme = try String(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("README.md"), encoding: .utf8)
        XCTAssertTrue(readme.contains(String(source[start..<end])), "README.md must show the probe exactly as tested here")
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
                XCTAssertEqual(same.logits.values, batch.logits.values)
                XCTAssertEqual(try same.activation(.blockInput(5)).values, try batch.activation(.blockInput(5)).values)
                let zeros = Tensor(zeros: try batch.activation(.blockOutput(3)).shape)
                let patched = try batch.run([.blockOutput(3): zeros], variant: .dropping([6], blocks: 9))
                var hooks = Hooks()
                hooks.add(.blockOutput(3)) { _, _ in zeros.copy() }
                let manual = try batch.network.forward(batch.images, options: RunOptions(dropped: [6], hooks: hooks))
                XCTAssertEqual(patched.logits.values, manual.values)
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

/// Against PyTorch: every image's block output replaced by one donor image's, with a forward hook
/// there and `batch.run` here (notebooks-export/make_nets_fixtures.py).
final class PatchingParityTests: XCTestCase {
    func testPatchingMatchesPyTorchForwardHooks() throws {
        let folder = Folder()
        let network = try ModelFile.load(modelFixture("resnet20_a"))
        let expected = try HDF5.File.open(netsFixtures.appendingPathComponent("resnet20_a.expected.h5").path).root
        let input = try expected.dataset("input")
        let shape = try input.shape
        let root = try HDF5.File.create(folder.path("input.h5")).root
        try root.createDataset("images", shape: shape, values: try input.read(as: Float.self))
        try root.createDataset("labels", shape: [shape[0]], values: try expected.dataset("labels").read(as: Int64.self))
        final class Patch: Probe {
            let cases: [(block: Int, donor: Int)]
            var logits: [[Float]] = []
            init(_ cases: [(Int, Int)]) { self.cases = cases }
            var name: String { "patch" }
            var reads: [HookPoint] { cases.map { .blockOutput($0.block) } }
            func observe(_ batch: Batch) throws {
                for (block, donor) in cases {
                    let output = try batch.activation(.blockOutput(block))
                    let per = output.count / output.shape[0]
                    let donated = Tensor(shape: output.shape)
                    for b in 0..<output.shape[0] { (donated.pointer + b * per).update(from: output.pointer + donor * per, count: per) }
                    logits.append(try batch.run([.blockOutput(block): donated]).logits.values)
                }
            }
        }
        let members = try expected.members().map(\.0).filter { $0.hasPrefix("patched_") }
        XCTAssertEqual(members.count, 2)
        let cases = members.map { m -> (Int, Int) in let p = m.split(separator: "_"); return (Int(p[1])!, Int(p[2])!) }
        let probe = Patch(cases)
        try Runner(network: network, data: try DatasetFile(folder.path("input.h5")), batchSize: shape[0]).run([probe])
        for (member, logits) in zip(members, probe.logits) {
            let want = try expected.dataset(member).read(as: Float.self)
            let scale = want.map(abs).max()!
            XCTAssertLessThanOrEqual(zip(logits, want).map { abs($0 - $1) }.max()! / scale, 1e-4, member)
        }
    }
}
