import Foundation
import HDF5
import XCTest

/// What the experiment commands print, against golden text: every table's header, alignment and
/// numbers. The networks are real: the bundled reference networks, trained on MNIST digits;
/// numbers may differ in their last printed digit between CPUs (see `assertGolden`).
final class CommandOutputTests: XCTestCase {
    private var folder: URL!
    private let models = testsFolder.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("models").path

    override func setUp() {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("unravel-out-\(UUID().uuidString.prefix(8))")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    private func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    /// The bundled ResNet-56 and the first 48 of its held-out digits: a trained network on real data.
    private var resnet56: [String] { [models + "/resnet56.h5", models + "/mnist-heldout.h5", "--limit", "48"] }

    /// Runs `lesion` and gives its stdout with the temporary folder's path replaced by <tmp>.
    private func output(_ arguments: [String], environment: [String: String] = [:]) throws -> String {
        let result = try CLI.run(arguments, environment: environment)
        XCTAssertEqual(result.status, 0, result.stderr)
        return result.stdout.replacingOccurrences(of: folder.path, with: "<tmp>")
    }

    func testDropMatchesGoldenText() throws {
        let text = try output(["drop"] + resnet56 + ["-o", path("r.h5"), "--batch-size", "16"])
        try assertGolden(text, "drop-resnet56.txt", relativeTolerance: 2e-3)
    }

    /// k reaches 10, where the k column used to lose its alignment.
    func testDropManyMatchesGoldenText() throws {
        let text = try output(["drop-many"] + resnet56 + ["-o", path("r.h5"), "--batch-size", "16", "--max-k", "10", "--samples", "2"])
        try assertGolden(text, "drop-many-resnet56.txt", relativeTolerance: 2e-3)
    }

    func testReorderMatchesGoldenText() throws {
        let text = try output(["reorder"] + resnet56 + ["-o", path("r.h5"), "--batch-size", "16", "--max-swaps", "3", "--samples", "2"])
        try assertGolden(text, "reorder-resnet56.txt", relativeTolerance: 2e-3)
    }

    func testGradsMatchGoldenText() throws {
        let exact = try output(["grads"] + resnet56 + ["-o", path("e.h5"), "--batch-size", "16", "--method", "exact"])
        try assertGolden(exact, "grads-exact-resnet56.txt", relativeTolerance: 2e-3)
        let sampled = try output(["grads"] + resnet56 + ["-o", path("s.h5"), "--batch-size", "16", "--method", "sampled",
                                  "--samples", "2", "--lengths", "2-5"])
        try assertGolden(sampled, "grads-sampled-resnet56.txt", relativeTolerance: 2e-3)
    }

    /// The bundled networks, each under its own group: every table under its own header (they were
    /// all once printed under the reorder table's).
    func testStudyOfTheBundledNetworksMatchesGoldenText() throws {
        let text = try output(["study", "-o", path("study.h5"), "--limit", "48", "--batch-size", "24", "--max-k", "2", "--samples", "2",
                               "--max-swaps", "2", "--orders", "2", "--gradient-images", "24"],
                              environment: ["UNRAVEL_MODELS": models])
        try assertGolden(text, "study-bundled.txt", relativeTolerance: 2e-3)
        for header in ["drop one block:", "drop k random blocks:", "reorder by k swaps:"] {
            XCTAssertEqual(text.components(separatedBy: header).count - 1, 5, "one '\(header)' table per network")
        }
        // The provenance: each network's model in its own table, none on the root (which once
        // named only the last network studied).
        XCTAssertFalse(try File.open(path("study.h5")).root.hasAttribute("model"))
        XCTAssertEqual(try CLI.run(["report", path("study.h5"), "-o", path("report.html")]).status, 0)
        let html = try String(contentsOfFile: path("report.html"), encoding: .utf8)
        let provenance = html.components(separatedBy: "<h2>Provenance</h2>")[1].components(separatedBy: "<h3>")
        XCTAssertFalse(provenance[0].contains("<th>model</th>"), "the file's own table names no model")
        XCTAssertEqual(provenance.dropFirst().filter { $0.contains("<th>model</th>") && $0.contains(".h5") }.count, 5)
        for name in ["resnet56", "preact56", "plain56", "plain20", "highway"] {
            XCTAssertTrue(provenance.contains { $0.contains("models/\(name).h5") }, name)
        }

        // Path counts join the group of the network they come from (they went to the root, which
        // describes no network), replace its /paths only with --force, and need the model to say
        // which network that is.
        let study = path("study.h5")
        let held = try CLI.run(["paths", models + "/plain20.h5", "-o", study])
        XCTAssertEqual(held.status, 4, held.stderr)
        XCTAssertTrue(held.stderr.contains("already holds /plain20/paths; use --force"), held.stderr)
        XCTAssertEqual(try CLI.run(["paths", models + "/plain20.h5", "-o", study, "--force"]).status, 0)
        let byCount = try CLI.run(["paths", "--blocks", "9", "-o", study, "--force"])
        XCTAssertEqual(byCount.status, 4, byCount.stderr)
        XCTAssertTrue(byCount.stderr.contains("holds several networks (resnet56, preact56, plain56, plain20, highway)"), byCount.stderr)
        let foreign = try CLI.run(["paths", netsFixture("resnet8_c.model.h5"), "-o", study, "--force"])
        XCTAssertEqual(foreign.status, 4, foreign.stderr)
        XCTAssertTrue(foreign.stderr.contains("none of them from"), foreign.stderr)
        let root = try File.open(study).root
        XCTAssertFalse(root.contains("paths"), "nothing at the root")
        XCTAssertEqual(try root.group("plain20").group("paths").attribute("blocks", as: Int64.self), 9)
    }

    /// The bundled ResNet-56 is far better than chance on its digits, and nothing warns. Given the
    /// same digits with every label moved to the next class, as a mislabelled dataset would be, it
    /// is worse than chance: eval and the experiments warn on stderr, and the verdict leaves the
    /// lesions unjudged (it judged damages in the millions before).
    func testANetworkNoBetterThanChanceIsWarnedAbout() throws {
        let good = try CLI.run(["eval"] + resnet56)
        XCTAssertEqual(good.status, 0, good.stderr)
        XCTAssertFalse(good.stderr.contains("chance"), good.stderr)

        do {  // closed at the end of the scope, before lesion opens it
            let source = try File.open(models + "/mnist-heldout.h5").root
            let root = try File.create(path("mislabelled.h5")).root
            try root.createDataset("images", shape: try source.dataset("images").shape,
                                   values: try source.dataset("images").read(as: UInt8.self))
            let labels = try source.dataset("labels").read(as: Int64.self)
            try root.createDataset("labels", shape: [labels.count], values: labels.map { ($0 + 1) % 10 })
        }
        let mislabelled = [models + "/resnet56.h5", path("mislabelled.h5"), "--limit", "48"]

        let eval = try CLI.run(["eval"] + mislabelled)
        XCTAssertEqual(eval.status, 0, "a warning, not a failure")
        XCTAssertTrue(eval.stderr.contains("lesion: warning: the model is not better than chance on"), eval.stderr)
        let study = try CLI.run(["study"] + mislabelled + ["-o", path("s.h5"), "--batch-size", "24", "--max-k", "2", "--samples", "2",
                                                           "--max-swaps", "2", "--orders", "2", "--gradient-images", "24", "--json"])
        XCTAssertEqual(study.status, 0, study.stderr)
        XCTAssertTrue(study.stderr.contains("lesion: warning: the intact network is not better than chance on"), study.stderr)
        let networks = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(study.stdout.utf8)) as? [[String: Any]])
        let verdict = try XCTUnwrap(networks.first?["verdict"] as? [String: Any])
        XCTAssertEqual(verdict["overall"] as? String, "not measured")
        let findings = try XCTUnwrap(verdict["findings"] as? [[String: Any]])
        XCTAssertEqual(findings.prefix(3).map { $0["outcome"] as? String }, ["not measured", "not measured", "not measured"])
    }

    /// The bundled digits stored as floats in [0, 1], as ToTensor() gives them: the model scales
    /// them by 1/255 again, and eval says so before it says the network is at chance.
    func testImagesScaledTwiceAreWarnedAbout() throws {
        do {
            let source = try File.open(models + "/mnist-heldout.h5").root
            let root = try File.create(path("scaled.h5")).root
            let pixels = try source.dataset("images").read(as: UInt8.self).map { Float($0) / 255 }
            try root.createDataset("images", shape: try source.dataset("images").shape, values: pixels)
            try root.createDataset("labels", shape: try source.dataset("labels").shape, values: try source.dataset("labels").read(as: Int64.self))
        }
        let eval = try CLI.run(["eval", models + "/resnet56.h5", path("scaled.h5"), "--limit", "48"])
        XCTAssertEqual(eval.status, 0, eval.stderr)
        XCTAssertTrue(eval.stderr.contains("scaled.h5: the images are floats from 0 to 1, but the model's preprocessing"), eval.stderr)
        XCTAssertTrue(eval.stderr.contains("were they scaled already?"), eval.stderr)
    }

    /// The golden comparison itself: numbers within the tolerance pass, any other change fails.
    func testGoldenComparisonToleratesOnlyNumbers() {
        XCTAssertTrue(nearlyEqual("  3  1.2345e-03  ok", "  3  1.2346e-03  ok", 2e-3))
        XCTAssertFalse(nearlyEqual("  3  1.2345e-03  ok", "  3  1.2345e-03  ko", 2e-3))
        XCTAssertFalse(nearlyEqual("  3  1.2345e-03", "   3 1.2345e-03", 2e-3), "alignment counts")
        XCTAssertFalse(nearlyEqual("  3  1.30e-03", "  3  1.20e-03", 2e-3))
        XCTAssertFalse(nearlyEqual("k 9", "k 10", 2e-3))
        // A last printed digit may flip on a rounding boundary (0.004349 on one CPU, 0.004351 on
        // another), however small the number; two units may not, nor may integers.
        XCTAssertTrue(nearlyEqual(" 10  layer2.1   0.0043", " 10  layer2.1   0.0044", 2e-3))
        XCTAssertFalse(nearlyEqual(" 10  layer2.1   0.0043", " 10  layer2.1   0.0045", 2e-3))
        XCTAssertFalse(nearlyEqual(" 11  layer2.1   0.0043", " 10  layer2.1   0.0043", 2e-3))
        XCTAssertTrue(nearlyEqual("4.2e-05", "4.3e-05", 2e-3))
        XCTAssertEqual(lastPrintedUnit("0.0043"), 1e-4, accuracy: 1e-12)
        XCTAssertEqual(lastPrintedUnit("1.25e-3"), 1e-5, accuracy: 1e-15)
        XCTAssertEqual(lastPrintedUnit("128"), 0)
    }
}
