import Foundation
import Analysis
import HDF5
import XCTest

final class CLITests: XCTestCase {
    private var folder: URL!

    override func setUp() {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("unravel-cli-\(UUID().uuidString.prefix(8))")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    func testHelpMatchesGoldenText() throws {
        let result = try CLI.run(["--help"])
        XCTAssertEqual(result.status, 0)
        try assertGolden(result.stdout, "help.txt")
        try assertGolden(try CLI.run(["info", "--help"]).stdout, "info-help.txt")
    }

    func testInfoMatchesGoldenText() throws {
        let result = try CLI.run(["info", netsFixture("resnet8_c.model.h5")])
        XCTAssertEqual(result.status, 0, result.stderr)
        try assertGolden(result.stdout, "info-resnet8_c.txt")
    }

    func testPathsForResNet110MatchGoldenText() throws {
        let result = try CLI.run(["paths", "--blocks", "54"])
        XCTAssertEqual(result.status, 0, result.stderr)
        try assertGolden(result.stdout, "paths-54.txt")
    }

    func testPathCountsForResNet1001AreExactAndSumToTwoToThe333() throws {
        let result = try CLI.run(["paths", "--blocks", "333", "--counts", "--json"])
        let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let counts = json?["counts"] as? [String] ?? []
        XCTAssertEqual(counts.count, 334)
        XCTAssertEqual(counts[166].count, 99, "C(333, 166) has 99 digits")
        XCTAssertEqual(json?["totalPaths"] as? String, BigUInt.power(of: 2, 333).description)
        // Add the decimal counts independently of the tool's own arithmetic.
        var sum = [UInt8](repeating: 0, count: 110)
        for count in counts {
            var carry = 0
            for (i, digit) in count.reversed().enumerated() {
                let total = Int(sum[i]) + Int(digit.wholeNumberValue!) + carry
                (sum[i], carry) = (UInt8(total % 10), total / 10)
            }
            var i = count.count
            while carry > 0 { let total = Int(sum[i]) + carry; (sum[i], carry) = (UInt8(total % 10), total / 10); i += 1 }
        }
        let decimal = String(sum.reversed().drop { $0 == 0 }.map { Character(String($0)) })
        XCTAssertEqual(decimal, "17498005798264095394980017816940970922825355447145699491406164851279623993595007385788105416184430592")
    }

    func testInfoJSONIsMachineReadable() throws {
        let result = try CLI.run(["info", netsFixture("resnet20_a.model.h5"), "--json"])
        let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        XCTAssertEqual(json?["parameters"] as? Int, 269_722)
        let blocks = json?["blocks"] as? [[String: Any]]
        XCTAssertEqual(blocks?.count, 9)
        XCTAssertEqual(blocks?.compactMap { ($0["downsampling"] as? Bool) == true ? $0["index"] as? Int : nil }, [3, 6])
    }

    func testBadModelFilesExitWithCodeThreeAndAOneLineMessage() throws {
        let text = folder.appendingPathComponent("notes.h5").path
        try "hello".write(toFile: text, atomically: true, encoding: .utf8)
        for path in [text, "/nonexistent/model.h5", netsFixture("resnet8_c.expected.h5")] {
            let result = try CLI.run(["info", path])
            XCTAssertEqual(result.status, 3, result.stderr)
            XCTAssertTrue(result.stderr.hasPrefix("lesion: ") && result.stderr.contains(path), result.stderr)
            XCTAssertFalse(result.stderr.contains("HDF5-DIAG"))
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
        }
    }

    func testConvertWritesAKerasModelInUnravelsFormat() throws {
        let keras = netsFixture("keras/preact20.keras")
        let out = folder.appendingPathComponent("converted.h5").path
        let result = try CLI.run(["convert", keras, "-o", out])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(try File.open(out).root.stringAttribute("format"), "unravel-model")
        let info = try CLI.run(["info", out, "--json"])
        let json = try JSONSerialization.jsonObject(with: Data(info.stdout.utf8)) as? [String: Any]
        XCTAssertEqual((json?["blocks"] as? [Any])?.count, 9)
        XCTAssertEqual(try CLI.run(["convert", keras, "-o", out]).status, 4, "refuses to overwrite: the output holds something")
        XCTAssertEqual(try CLI.run(["convert", netsFixture("resnet8_c.expected.h5"), "-o", out + "2"]).status, 3, "not a model")
    }

    /// A layer graph (what export_pytorch.py writes) becomes the block form Unravel found in it.
    func testConvertWritesTheBlocksFoundInALayerGraph() throws {
        let graph = netsFixture("timm_seresnet18.model.h5")
        XCTAssertTrue(try File.open(graph).root.stringAttribute("architecture").contains("\"graph\""))
        let out = folder.appendingPathComponent("blocks.h5").path
        XCTAssertEqual(try CLI.run(["convert", graph, "-o", out]).status, 0)
        let json = try File.open(out).root.stringAttribute("architecture")
        XCTAssertFalse(json.contains("\"graph\""))
        XCTAssertTrue(json.contains("\"squeeze_excitation\""))
        XCTAssertEqual(try CLI.run(["info", out]).stdout, try CLI.run(["info", graph]).stdout)
    }

    func testUsageErrorsExitWith64() throws {
        XCTAssertEqual(try CLI.run(["eval", "a.h5", "b.h5", "--batch-size", "0"]).status, 64)
    }

    private func makeDataset(count: Int) throws -> String {
        let path = folder.appendingPathComponent("data.h5").path
        let root = try File.create(path).root
        var state: UInt64 = 7
        let pixels = (0..<(count * 3 * 16 * 16)).map { _ -> UInt8 in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: state >> 56)
        }
        try root.createDataset("images", shape: [count, 3, 16, 16], values: pixels)
        try root.createDataset("labels", shape: [count], values: (0..<count).map { Int64($0 % 10) })
        return path
    }

    func testEvalAndPredictAgree() throws {
        let data = try makeDataset(count: 10)
        let model = netsFixture("resnet8_c.model.h5")
        let eval = try CLI.run(["eval", model, data, "--batch-size", "4", "--json"])
        XCTAssertEqual(eval.status, 0, eval.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [String: Any]
        XCTAssertEqual(json?["images"] as? Int, 10)

        let out = folder.appendingPathComponent("predictions.h5").path
        let predict = try CLI.run(["predict", model, data, "-o", out, "--batch-size", "4", "--input-gradients"])
        XCTAssertEqual(predict.status, 0, predict.stderr)
        let root = try File.open(out).root
        XCTAssertEqual(try root.dataset("logits").shape, [10, 10])
        XCTAssertEqual(try root.dataset("input_gradients").shape, [10, 3, 16, 16])
        let predictions = try root.dataset("predictions").read(as: Int64.self)
        let labels = try root.dataset("labels").read(as: Int64.self)
        let error = Double(zip(predictions, labels).filter { $0 != $1 }.count) / 10
        XCTAssertEqual(json?["error"] as? Double ?? -1, error, accuracy: 1e-9)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + ".partial"))
        XCTAssertEqual(try CLI.run(["predict", model, data, "-o", out]).status, 4, "refuses to overwrite without --force")
    }

    func testADatasetThatDoesNotFitIsRefused() throws {
        let data = try makeDataset(count: 2)
        let result = try CLI.run(["eval", netsFixture("resnet20_a.model.h5"), data])
        XCTAssertEqual(result.status, 3)
        XCTAssertTrue(result.stderr.contains("images are 3x16x16 (CxHxW), but the model"), result.stderr)
    }
}
