import Foundation
import HDF5
import XCTest
@testable import Analysis
@testable import Nets

/// The fixture's input batch as a dataset file (the fixture models take float images as they are).
func fixtureDataset(_ model: String, in folder: Folder) throws -> (DatasetFile, Group) {
    let expected = try HDF5.File.open(netsFixtures.appendingPathComponent("\(model).expected.h5").path).root
    let input = try expected.dataset("input")
    let shape = try input.shape
    let root = try HDF5.File.create(folder.path("\(model)-input.h5")).root
    try root.createDataset("images", shape: shape, values: try input.read(as: Float.self))
    try root.createDataset("labels", shape: [shape[0]], values: try expected.dataset("labels").read(as: Int64.self))
    return (try DatasetFile(folder.path("\(model)-input.h5")), expected)
}

/// Against PyTorch: every image's block output replaced by one donor image's, with a forward hook
/// there and `batch.run` here (notebooks-export/make_nets_fixtures.py).
final class PatchingParityTests: XCTestCase {
    func testPatchingMatchesPyTorchForwardHooks() throws {
        let folder = Folder()
        let network = try ModelFile.load(modelFixture("resnet20_a"))
        let (data, expected) = try fixtureDataset("resnet20_a", in: folder)
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
        try Runner(network: network, data: data, batchSize: data.count).run([probe])
        for (member, logits) in zip(members, probe.logits) {
            let want = try expected.dataset(member).read(as: Float.self)
            let scale = want.map(abs).max()!
            XCTAssertLessThanOrEqual(zip(logits, want).map { abs($0 - $1) }.max()! / scale, 1e-4, member)
        }
    }
}

/// Mean ablation against PyTorch: the mean branch output over the fixture's images, and the
/// logits with one branch replaced by it (notebooks-export/make_nets_fixtures.py).
final class MeanAblationParityTests: XCTestCase {
    func testMeansAndAblatedLogitsMatchPyTorch() throws {
        for model in ["resnet20_a", "preact20_a"] {
            let folder = Folder()
            let network = try ModelFile.load(modelFixture(model))
            let (data, expected) = try fixtureDataset(model, in: folder)
            let shape = [data.count]
            // Two batches, so that the means add up across batches.
            let means = BranchMeans(network: network)
            try Runner(network: network, data: data, batchSize: 2).run([means])
            XCTAssertEqual(means.images, shape[0])
            let variants = try MeanAblation(means: means).variants(for: network)
            let images = try data.batch(0..<shape[0], preprocessing: network.architecture.preprocessing).images
            let logits = try SharedPrefixEvaluator(network: network, images: images).logits(variants)
            var checked = 0
            for (member, _) in try expected.members() where member.hasPrefix("ablated_") && !member.hasPrefix("ablated_mean_") {
                let block = Int(member.split(separator: "_")[1])!
                let mean = means.mean(block)
                let (h, w, c) = (mean.shape[0], mean.shape[1], mean.shape[2])
                let theirs = try expected.dataset("ablated_mean_\(block)").read(as: Float.self)
                var chw = [Float](repeating: 0, count: mean.count)
                for i in 0..<h { for j in 0..<w { for k in 0..<c { chw[(k * h + i) * w + j] = mean.pointer[(i * w + j) * c + k] } } }
                let scale = theirs.map(abs).max()!
                XCTAssertLessThanOrEqual(zip(chw, theirs).map { abs($0 - $1) }.max()! / scale, 1e-4, "\(model) mean of block \(block)")
                let want = try expected.dataset(member).read(as: Float.self)
                let got = logits[block + 1].values
                XCTAssertLessThanOrEqual(zip(got, want).map { abs($0 - $1) }.max()! / want.map(abs).max()!, 1e-4, "\(model) \(member)")
                checked += 1
            }
            XCTAssertGreaterThanOrEqual(checked, 2, model)
            XCTAssertThrowsError(try network.inputGradient(images, target: .logits([0, 0, 0, 0]), options: RunOptions(variant: variants[1])))
        }
    }
}
