import Foundation
import HDF5
import XCTest

/// The representation-probe commands end to end: their tables against golden text on the bundled
/// ResNet-56 and its held-out digits, the groups they write, and bad input that writes nothing.
final class ProbeCLITests: XCTestCase {
    private var folder: URL!
    private let models = testsFolder.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("models").path
    private let fixtureModel = netsFixture("resnet20_a.model.h5")
    private let fixtureData = testsFolder.deletingLastPathComponent().appendingPathComponent("AnalysisTests/Fixtures/probe_data.h5").path

    override func setUp() {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("unravel-probe-\(UUID().uuidString.prefix(8))")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    private func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    private var resnet56: [String] { [models + "/resnet56.h5", models + "/mnist-heldout.h5"] }

    private func output(_ arguments: [String]) throws -> String {
        let result = try CLI.run(arguments)
        XCTAssertEqual(result.status, 0, result.stderr)
        return result.stdout.replacingOccurrences(of: folder.path, with: "<tmp>")
    }

    func testLensWithProjectionsMatchesGoldenText() throws {
        let text = try output(["lens"] + resnet56 + ["-o", path("r.h5"), "--limit", "96", "--batch-size", "48", "--project"])
        try assertGolden(text, "lens-resnet56.txt", relativeTolerance: 2e-3)
        let lens = try File.open(path("r.h5")).root.group("lens")
        XCTAssertEqual(try lens.dataset("direct").read(as: Double.self).filter { $0 == 1 }.count, 9, "stage 3 read directly")
        XCTAssertEqual(try lens.dataset("projected_error").read(as: Double.self).filter(\.isFinite).count, 27, "every block projected")
        XCTAssertEqual(try lens.attribute("evaluated_images", as: Int64.self), 54, "the held-out images")
    }

    func testLinearProbesMatchGoldenText() throws {
        let text = try output(["probe-linear"] + resnet56 + ["-o", path("r.h5"), "--limit", "96", "--batch-size", "48"])
        try assertGolden(text, "probe-linear-resnet56.txt", relativeTolerance: 2e-3)
    }

    func testCKAMatchesGoldenText() throws {
        let text = try output(["cka"] + resnet56 + ["-o", path("r.h5"), "--limit", "50", "--batch-size", "16"])
        try assertGolden(text, "cka-resnet56.txt", relativeTolerance: 2e-3)
        let cka = try File.open(path("r.h5")).root.group("cka")
        XCTAssertEqual(try cka.dataset("matrix").shape, [27, 27])
        XCTAssertEqual(try cka.attribute("images_left_out", as: Int64.self), 2, "a last minibatch of 2 is left out")
        let against = try output(["cka"] + resnet56 + ["-o", path("a.h5"), "--limit", "32", "--batch-size", "16",
                                                       "--against", models + "/plain56.h5"])
        XCTAssertTrue(against.contains("resnet56 (MNIST 5k) × plain56 (MNIST 5k)"), against)
    }

    func testInferenceMatchesGoldenText() throws {
        let text = try output(["inference"] + resnet56 + ["-o", path("r.h5"), "--gradient-images", "32", "--batch-size", "16"])
        try assertGolden(text, "inference-resnet56.txt", relativeTolerance: 2e-3)
    }

    /// A model with no residual blocks: a stem and a head.
    private func blocklessModel() throws -> String {
        let file = path("stem-only.h5")
        let architecture = #"{"name": "stem-only", "input": {"channels": 3, "height": 32, "width": 32}, "stem": [{"op": "conv", "name": "conv1", "out": 4, "kernel": 3, "stride": 1, "padding": [1]}], "blocks": [], "head": [{"op": "global_avg_pool"}, {"op": "linear", "name": "fc", "out": 10, "bias": true}], "classes": 10}"#
        let root = try File.create(file).root
        try root.setAttribute("format", "unravel-model")
        try root.setAttribute("format_version", Int64(1))
        try root.setAttribute("architecture", architecture)
        let weights = try root.createGroup("weights")
        try weights.createDataset("conv1.weight", shape: [4, 3, 3, 3], values: (0..<108).map { Float($0 % 7) / 10 })
        try weights.createDataset("fc.weight", shape: [10, 4], values: (0..<40).map { Float($0 % 5) / 10 })
        try weights.createDataset("fc.bias", shape: [10], values: [Float](repeating: 0, count: 10))
        return file
    }

    private func misfitData() throws -> String {
        let file = path("small.h5")
        let root = try File.create(file).root
        try root.createDataset("images", shape: [4, 3, 16, 16], values: [Float](repeating: 0.5, count: 4 * 3 * 16 * 16))
        try root.createDataset("labels", shape: [4], values: [Int64](repeating: 1, count: 4))
        return file
    }

    /// A probe group the file already holds is not replaced without --force or --resume (it was,
    /// silently), and the refusal comes before the fitting pass; --resume takes it up as it is.
    func testAProbeTheFileHoldsIsRefusedWithoutForceOrResume() throws {
        let out = path("probes.h5")
        let arguments = ["probe-linear", fixtureModel, fixtureData, "-o", out, "--quiet"]
        XCTAssertEqual(try CLI.run(arguments).status, 0)
        let first = try File.open(out).root.group("linear_probes").dataset("accuracy").read(as: Double.self)
        let again = try CLI.run(arguments)
        XCTAssertEqual(again.status, 4, again.stderr)
        XCTAssertTrue(again.stderr.contains("\(out) already holds /linear_probes; use --resume to continue it or --force to replace it"),
                      again.stderr)
        // Before the probe is made: training data that does not fit the model would fail it (exit 3).
        let early = try CLI.run(arguments + ["--train-data", try misfitData()])
        XCTAssertEqual(early.status, 4, early.stderr)
        for flag in ["--force", "--resume"] {
            XCTAssertEqual(try CLI.run(arguments + [flag]).status, 0, flag)
            XCTAssertEqual(try File.open(out).root.group("linear_probes").dataset("accuracy").read(as: Double.self), first, flag)
        }
        // Another probe is added beside it.
        XCTAssertEqual(try CLI.run(["cka", fixtureModel, fixtureData, "-o", out, "--quiet"]).status, 0)
        XCTAssertEqual(Set(try File.open(out).root.members().map(\.0)).isSuperset(of: ["linear_probes", "cka"]), true)
    }

    func testBadInputIsRefusedAndWritesNothing() throws {
        let stemOnly = try blocklessModel()
        let misfit = try misfitData()
        XCTAssertEqual(try CLI.run(["eval", stemOnly, fixtureData]).status, 0, "the blockless model itself runs")
        let cases: [([String], Int32, String)] = [
            (["probe-linear", fixtureModel, fixtureData, "--train-data", misfit], 3,
             "small.h5: images are 3x16x16 (CxHxW), but the model"),
            (["lens", fixtureModel, fixtureData, "--project", "--train-data", misfit], 3, "small.h5"),
            (["probe-linear", stemOnly, fixtureData], 3, "stem-only.h5: linear probes: 'stem-only' has no residual blocks, so there are no block outputs to pool"),
            (["lens", stemOnly, fixtureData], 3, "stem-only.h5: logit lens: 'stem-only' has no residual blocks"),
            (["cka", stemOnly, fixtureData], 3, "stem-only.h5: CKA: 'stem-only' has no residual blocks"),
            (["inference", stemOnly, fixtureData], 3, "stem-only.h5: iterative inference: 'stem-only' has no residual blocks"),
            (["cka", fixtureModel, fixtureData, "--against", stemOnly], 3, "stem-only.h5"),
            (["cka", fixtureModel, fixtureData, "--batch-size", "1"], 64, "at least 4 images per minibatch: --batch-size 1"),
            (["cka", fixtureModel, fixtureData, "--batch-size", "3"], 64, "--batch-size 3 is too small"),
            (["cka", fixtureModel, fixtureData, "--limit", "3"], 3, "probe_data.h5: CKA: no minibatch of at least 4 images (3 image(s) in all)"),
            (["study", fixtureModel, fixtureData, "--batch-size", "2"], 64, "leave cka out of --probes"),
            (["probe-linear", fixtureModel, fixtureData, "--train-fraction", "1"], 64, "--train-fraction must lie strictly between 0 and 1"),
            (["probe-linear", fixtureModel, fixtureData, "--ridge=-1"], 64, "--ridge must be 0 or more"),
            (["lens", fixtureModel, fixtureData, "--shard", "0/2"], 64, "the probes run whole"),
            (["study", fixtureModel, fixtureData, "--probes", "lens,cca"], 64, "--probes"),
            (["probe-linear", fixtureModel, fixtureData, "--limit", "1"], 3, "probe_data.h5: linear probes: 0 fitting image(s)"),
        ]
        for (arguments, status, message) in cases {
            let output = path("never.h5")
            let result = try CLI.run(arguments + ["-o", output])
            XCTAssertEqual(result.status, status, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: output), "\(arguments) wrote a results file")
            XCTAssertFalse(result.stderr.contains("HDF5-DIAG"), "\(arguments): libhdf5 printed")
        }
    }
}
