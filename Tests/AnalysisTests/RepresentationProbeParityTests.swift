import Foundation
import HDF5
import XCTest
import Analysis
import Nets

/// The representation probes against their oracles (notebooks-export/make_probe_fixtures.py):
/// the logit lens through the PyTorch model's own head, ridge probes by NumPy's solve on the same
/// split, CKA with the HSIC formula written out in NumPy, and the iterative-inference cosines
/// from PyTorch's autograd. Public API only, as a user would call it.
final class RepresentationProbeParityTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    static let models = ["resnet20_a", "preact20_a"]

    func expected(_ model: String) throws -> Group {
        try HDF5.File.open(Self.fixtures.appendingPathComponent("probes.expected.h5").path).root.group(model)
    }

    func setting(_ name: String) throws -> Int {
        Int(try HDF5.File.open(Self.fixtures.appendingPathComponent("probes.expected.h5").path).root
            .attribute(name, as: Int64.self, converting: true))
    }

    func runner(_ network: Network) throws -> Runner {
        try Runner(network: network, data: try DatasetFile(Self.fixtures.appendingPathComponent("probe_data.h5").path),
                   batchSize: try setting("batch"))
    }

    var split: ProbeSplit { .fraction(0.5, seed: 5) }

    /// max |got − want| ≤ tolerance · max |want| (or · `scale`), with NaN exactly where the oracle has NaN.
    func assertClose(_ got: [Double], _ want: [Double], relative tolerance: Double = 1e-4, scale fixedScale: Double? = nil,
                     _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(got.count, want.count, what, file: file, line: line)
        XCTAssertEqual(got.map(\.isNaN), want.map(\.isNaN), "\(what): NaN positions", file: file, line: line)
        let scale = fixedScale ?? want.filter { !$0.isNaN }.map(abs).max() ?? 0
        let worst = zip(got, want).filter { !$1.isNaN }.map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst, tolerance * max(scale, 1e-12),
                                 "\(what): expected \(want), observed \(got)", file: file, line: line)
    }

    func testLogitLensMatchesTheModelsOwnHead() throws {
        for model in Self.models {
            let network = try ModelFile.load(modelFixture(model))
            let lens = try LogitLens(network: network)
            try runner(network).run([lens])
            let want = try expected(model)
            assertClose(lens.error, try want.dataset("lens/error").read(as: Double.self), "\(model) lens error")
            assertClose(lens.loss, try want.dataset("lens/loss").read(as: Double.self), "\(model) lens loss")
            assertClose(lens.agreement, try want.dataset("lens/agreement").read(as: Double.self), "\(model) lens agreement")
            XCTAssertEqual(lens.skipped.keys.sorted(), [0, 1, 2, 3, 4, 5], "\(model): the 16- and 32-channel blocks")
            XCTAssertEqual(lens.agreement.last, 1, "the last block read by the head is the network itself")
        }
    }

    func testProjectedLensMatchesNumPyRidgeMaps() throws {
        for model in Self.models {
            let network = try ModelFile.load(modelFixture(model))
            let lens = try LogitLens(network: network, projection: split, alpha: 1e-3)
            try lens.fit(using: try runner(network))
            try runner(network).run([lens])
            let want = try expected(model)
            XCTAssertEqual(lens.maps.keys.sorted(), Array(0..<network.blockCount), "every block is projected")
            for (block, map) in lens.maps {
                let oracle = try want.dataset("lens_projected/maps/block_\(block)").read(as: Double.self)
                // 17 fitting images for up to 64 features: ill-conditioned as the linear probes' are.
                assertClose(map.weights + map.bias, oracle, relative: 1e-3, "\(model) projection \(block)")
            }
            assertClose(lens.projectedError, try want.dataset("lens_projected/error").read(as: Double.self), "\(model) projected error")
            assertClose(lens.projectedLoss, try want.dataset("lens_projected/loss").read(as: Double.self), "\(model) projected loss")
            assertClose(lens.projectedAgreement, try want.dataset("lens_projected/agreement").read(as: Double.self), "\(model) projected agreement")
            // The direct reading, on the same held-out images.
            assertClose(lens.error, try want.dataset("lens_projected/direct_error").read(as: Double.self), "\(model) direct error")
            assertClose(lens.loss, try want.dataset("lens_projected/direct_loss").read(as: Double.self), "\(model) direct loss")
            assertClose(lens.agreement, try want.dataset("lens_projected/direct_agreement").read(as: Double.self), "\(model) direct agreement")
        }
    }

    func testLinearProbesMatchNumPyRidgeOnTheSameSplit() throws {
        for model in Self.models {
            let network = try ModelFile.load(modelFixture(model))
            let probes = try LinearProbes(network: network, split: split, alpha: 1e-3)
            try probes.fit(using: try runner(network))
            try runner(network).run([probes])
            let want = try expected(model)
            XCTAssertEqual(probes.fittingImages, 17)
            XCTAssertEqual(probes.evaluated, 27)
            for (block, fit) in probes.fits.enumerated() {
                let weights = try want.dataset("linear/weights/block_\(block)").read(as: Double.self)
                // 17 fitting images for up to 64 features at α = 1e-3: the system's condition
                // number (~1e3) carries the frameworks' float32 feature differences (~1e-7) into
                // the weights at ~1e-4, so they get 1e-3; the accuracies they give must be equal.
                assertClose(fit.weights + fit.bias, weights, relative: 1e-3, "\(model) probe weights \(block)")
            }
            assertClose(probes.accuracy, try want.dataset("linear/accuracy").read(as: Double.self), "\(model) probe accuracy")
        }
    }

    func testMinibatchCKAMatchesTheFormulaInNumPy() throws {
        for model in Self.models {
            let network = try ModelFile.load(modelFixture(model))
            let cka = try BlockCKA(network: network, batchSize: try setting("batch"))
            try runner(network).run([cka])
            XCTAssertEqual(cka.minibatches, 6, "five batches of 8 and a last one of 4")
            assertClose(cka.matrix, try expected(model).dataset("cka").read(as: Double.self), "\(model) CKA")
        }
    }

    func testCKAAgainstAnotherNetwork() throws {
        let network = try ModelFile.load(modelFixture("resnet20_a"))
        let other = try ModelFile.load(modelFixture("preact20_a"))
        let cka = try BlockCKA(network: network, against: other, batchSize: try setting("batch"))
        try runner(network).run([cka])
        let want = try HDF5.File.open(Self.fixtures.appendingPathComponent("probes.expected.h5").path).root
            .dataset("cka_resnet20_a_against_preact20_a").read(as: Double.self)
        assertClose(cka.matrix, want, "CKA resnet20_a × preact20_a")
    }

    func testIterativeInferenceMatchesAutograd() throws {
        for model in Self.models {
            let network = try ModelFile.load(modelFixture(model))
            let probe = try IterativeInference(network: network, batches: try setting("gradient_batches"))
            try runner(network).run([probe])
            let want = try expected(model)
            XCTAssertEqual(probe.images, 24)
            // A cosine is as precise as its vectors, whatever its value: 1e-4 of its range.
            assertClose(probe.cosine, try want.dataset("inference/cosine").read(as: Double.self), scale: 1, "\(model) cosines")
            assertClose(probe.relativeNorm, try want.dataset("inference/relative_norm").read(as: Double.self), "\(model) norms")
        }
    }
}
