import Foundation
import Analysis
import HDF5
import Nets
import XCTest

final class CLITests: XCTestCase {
    private var folder: URL!

    override func setUp() {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("unravel-cli-\(UUID().uuidString.prefix(8))")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    /// Four 32x32 images of patterned noise, all labelled 1.
    private func noiseData() throws -> String {
        let data = folder.appendingPathComponent("noise32.h5").path
        let root = try File.create(data).root
        try root.createDataset("images", shape: [4, 3, 32, 32], values: (0..<(4 * 3 * 32 * 32)).map { UInt8(truncatingIfNeeded: $0 * 7) })
        try root.createDataset("labels", shape: [4], values: [Int64](repeating: 1, count: 4))
        return data
    }

    func testHelpMatchesGoldenText() throws {
        let result = try CLI.run(["--help"])
        XCTAssertEqual(result.status, 0)
        try assertGolden(result.stdout, "help.txt")
        try assertGolden(try CLI.run(["info", "--help"]).stdout, "info-help.txt")
    }

    /// --version names the arithmetic too, which decides the last digits of every result (a bug
    /// report about a number needs it) and which results files record.
    func testVersionNamesTheArithmetic() throws {
        let result = try CLI.run(["--version"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "0.1.0-dev (\(Arithmetic.current))")
        XCTAssertTrue(Arithmetic.current.hasSuffix(" kernels") && Arithmetic.current.contains(", oneDNN "), Arithmetic.current)
    }

    func testInfoMatchesGoldenText() throws {
        let result = try CLI.run(["info", netsFixture("resnet8_c.model.h5")])
        XCTAssertEqual(result.status, 0, result.stderr)
        try assertGolden(result.stdout, "info-resnet8_c.txt")
    }

    /// Pre-activation blocks are named so (the first one's opening norm sits at the stem's end),
    /// and group norm is said to keep no statistics.
    func testInfoNamesPreActivationBlocksAndGroupNorm() throws {
        let result = try CLI.run(["info", netsFixture("timm_bit.model.h5")])
        XCTAssertEqual(result.status, 0, result.stderr)
        try assertGolden(result.stdout, "info-timm_bit.txt")
        let json = try JSONSerialization.jsonObject(with: Data(try CLI.run(["info", netsFixture("timm_bit.model.h5"), "--json"]).stdout.utf8))
        let summary = try XCTUnwrap(json as? [String: Any])
        XCTAssertEqual(summary["groupNorm"] as? Bool, true)
        XCTAssertEqual((summary["blocks"] as? [[String: Any]])?.compactMap { $0["preactivation"] as? Bool }, [true, true, true, true, true])
        // SiLU after each add (timm's ByobNet) is no pre-activation, though the stem ends in a norm.
        let byob = try CLI.run(["info", netsFixture("timm_resnext_ts.model.h5"), "--json"]).stdout
        let blocks = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(byob.utf8)) as? [String: Any])["blocks"] as? [[String: Any]]
        XCTAssertEqual(blocks?.compactMap { $0["preactivation"] as? Bool }, [false, false, false, false])
    }

    /// Blocks whose branch gates its channels say how: squeeze-excitation or ECA.
    func testInfoNamesChannelGates() throws {
        let result = try CLI.run(["info", netsFixture("timm_ecaresnet.model.h5")])
        XCTAssertEqual(result.status, 0, result.stderr)
        try assertGolden(result.stdout, "info-timm_ecaresnet.txt")
        for (fixture, gate) in [("timm_seresnet18", "SE"), ("timm_ecaresnet", "ECA"), ("senet_cifar", "SE"), ("resnet20_a", nil)] {
            let json = try CLI.run(["info", netsFixture("\(fixture).model.h5"), "--json"]).stdout
            let blocks = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])["blocks"] as? [[String: Any]]
            XCTAssertEqual(Set(blocks?.map { $0["channelGate"] as? String } ?? []), [gate], fixture)
        }
    }

    /// Path counts join a results file only if they describe its network, and replace the
    /// /paths it holds only with --force (both went through silently).
    func testPathCountsJoinOnlyTheirOwnNetworksResults() throws {
        let model = netsFixture("resnet20_a.model.h5")
        let data = try noiseData()
        let out = folder.appendingPathComponent("with-paths.h5").path
        XCTAssertEqual(try CLI.run(["drop", model, data, "-o", out, "--quiet"]).status, 0)
        XCTAssertEqual(try CLI.run(["paths", model, "-o", out]).status, 0, "its own network's counts join")
        let again = try CLI.run(["paths", model, "-o", out])
        XCTAssertEqual(again.status, 4, again.stderr)
        XCTAssertTrue(again.stderr.contains("\(out) already holds /paths; use --force to replace it"), again.stderr)
        XCTAssertEqual(try CLI.run(["paths", model, "-o", out, "--force"]).status, 0)
        let other = try CLI.run(["paths", netsFixture("preact20_a.model.h5"), "-o", out, "--force"])
        XCTAssertEqual(other.status, 4, other.stderr)
        XCTAssertTrue(other.stderr.contains("holds results for the model"), other.stderr)
        let wrongDepth = try CLI.run(["paths", "--blocks", "54", "-o", out, "--force"])
        XCTAssertEqual(wrongDepth.status, 4, wrongDepth.stderr)
        XCTAssertTrue(wrongDepth.stderr.contains("holds results for a network of 9 blocks, not 54; give --blocks 9"), wrongDepth.stderr)
        XCTAssertEqual(try CLI.run(["paths", "--blocks", "9", "-o", out, "--force"]).status, 0)
        XCTAssertEqual(try File.open(out).root.group("paths").dataset("count").shape, [10])
    }

    func testPathsForResNet110MatchGoldenText() throws {
        let result = try CLI.run(["paths", "--blocks", "54"])
        XCTAssertEqual(result.status, 0, result.stderr)
        try assertGolden(result.stdout, "paths-54.txt")
    }

    /// A shallow network against the default ranges (ResNet-110's): lengths it does not have hold
    /// nothing and print as 0%. They printed the one path through every block (0.195%), then a
    /// zero with 302 decimals.
    func testPathsOfAShallowNetworkMatchGoldenText() throws {
        let result = try CLI.run(["paths", "--blocks", "9", "--share", "19-35", "--share", "9-12", "--share", "0-9"])
        XCTAssertEqual(result.status, 0, result.stderr)
        try assertGolden(result.stdout, "paths-9.txt")
        let tooMany = try CLI.run(["paths", "--blocks", "20001"])
        XCTAssertEqual(tooMany.status, 64)
        XCTAssertTrue(tooMany.stderr.contains("--blocks must be in 1...20000"), tooMany.stderr)
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
        // A checkpoint as downloaded (akamaster's legacy torch.save starts so): the message names the exporter.
        let checkpoint = folder.appendingPathComponent("resnet20-12fca82f.th").path
        try Data([0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19, 0x2E])
            .write(to: URL(fileURLWithPath: checkpoint))
        let exported = try CLI.run(["info", checkpoint])
        XCTAssertTrue(exported.stderr.contains("export_pytorch.py MODEL --checkpoint \(checkpoint)"), exported.stderr)
        for path in [text, checkpoint, "/nonexistent/model.h5", netsFixture("resnet8_c.expected.h5")] {
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

    /// A Caffe network as a user converts it: prototxt, weights and mean, then predictions from
    /// BGR pixels equal to PyTorch's logits on the same network input (make_caffe_fixtures.py).
    func testConvertReadsACaffeNetworkWithItsMean() throws {
        let prototxt = netsFixture("caffe/cifar20.prototxt"), weights = netsFixture("caffe/cifar20.caffemodel")
        let out = folder.appendingPathComponent("cifar20.h5").path
        let convert = try CLI.run(["convert", prototxt, "--weights", weights, "--mean", "104,117,123", "-o", out])
        XCTAssertEqual(convert.status, 0, convert.stderr)
        XCTAssertEqual(convert.stdout, "wrote \(out): 9 blocks; preprocessing caffe: pixel × 1, − [104, 117, 123], BGR\n")
        try assertGolden(try CLI.run(["info", out]).stdout, "info-cifar20-caffe.txt")
        XCTAssertTrue(try File.open(out).root.stringAttribute("source").hasSuffix("with weights \(weights)"))

        // Pixels that the mean takes back to the oracle's network input.
        let expected = try File.open(netsFixture("caffe/cifar20.expected.h5")).root
        let input = try expected.dataset("input").read(as: Float.self)
        let plane = 32 * 32
        let pixels = input.enumerated().map { index, value in value + [104, 117, 123][(index / plane) % 3] }
        let data = folder.appendingPathComponent("bgr.h5").path
        do {   // closed before lesion opens it
            let root = try File.create(data).root
            try root.createDataset("images", shape: [4, 3, 32, 32], values: pixels)
            try root.createDataset("labels", shape: [4], values: [Int64](repeating: 0, count: 4))
            try root.setAttribute("channel_order", "BGR")
        }
        let predictions = folder.appendingPathComponent("predictions.h5").path
        let predict = try CLI.run(["predict", out, data, "-o", predictions, "--quiet"])
        XCTAssertEqual(predict.status, 0, predict.stderr)
        let logits = try File.open(predictions).root.dataset("logits").read(as: Float.self)
        let want = try expected.dataset("logits").read(as: Float.self)
        let scale = want.map(abs).max()!
        for (a, b) in zip(logits, want) { XCTAssertEqual(a, b, accuracy: 1e-4 * scale) }

        // The prototxt read directly: its weights beside it, its preprocessing marked undeclared.
        let info = try CLI.run(["info", prototxt])
        XCTAssertEqual(info.status, 0, info.stderr)
        XCTAssertTrue(info.stdout.contains("preprocessing: not declared (lesion convert --mean declares it): pixel × 1, BGR"), info.stdout)
    }

    func testCaffeConversionErrorsSayWhatIsMissing() throws {
        let prototxt = netsFixture("caffe/cifar20.prototxt"), weights = netsFixture("caffe/cifar20.caffemodel")
        let out = folder.appendingPathComponent("x.h5").path
        let cases: [([String], Int32, String)] = [
            ([prototxt, "--no-mean"], 64, "a Caffe prototxt needs --weights FILE"),
            ([prototxt, "--weights", weights], 64, "say how pixels are prepared, exactly once"),
            ([prototxt, "--weights", weights, "--no-mean", "--mean", "1,2,3"], 64, "say how pixels are prepared, exactly once"),
            ([prototxt, "--weights", weights, "--mean", "1,2"], 64, "--mean needs 3 numbers separated by commas"),
            ([prototxt, "--weights", "nowhere.caffemodel", "--no-mean"], 3, "nowhere.caffemodel: cannot open the weights file"),
            ([prototxt, "--weights", weights, "--mean-image", prototxt], 3, "cifar20.prototxt: not a Caffe mean.binaryproto"),
            ([netsFixture("keras/preact20.keras"), "--no-mean"], 64, "apply to a Caffe prototxt"),
        ]
        for (arguments, status, message) in cases {
            let result = try CLI.run(["convert"] + arguments + ["-o", out])
            XCTAssertEqual(result.status, status, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: out), "\(arguments) wrote a file")
        }
    }

    /// An ONNX export with its batch norms folded away: `info` says so, and recalibration is
    /// refused with the reason and the way to export a file that has them.
    func testRecalibrationRefusesAFoldedExport() throws {
        let folded = netsFixture("onnx/cifar8_folded.model.h5")
        XCTAssertTrue(try CLI.run(["info", folded]).stdout.contains("batch norm folded into the convolutions by the export"))
        XCTAssertFalse(try CLI.run(["info", netsFixture("onnx/cifar8_bn.model.h5")]).stdout.contains("folded"))
        let data = try noiseData()
        let out = folder.appendingPathComponent("drop.h5").path
        let result = try CLI.run(["drop", folded, data, "-o", out, "--recalibrate-bn"])
        XCTAssertEqual(result.status, 3, result.stderr)
        XCTAssertTrue(result.stderr.contains("its batch norms were folded into the convolutions when it was exported"), result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        XCTAssertEqual(try CLI.run(["drop", netsFixture("onnx/cifar8_bn.model.h5"), data, "-o", out, "--recalibrate-bn",
                                    "--quiet"]).status, 0)
    }

    /// A save that runs out of room (a file-size limit stands in for a full disk) leaves the
    /// results file as it was, no staging file behind, and says so in one line with exit 1.
    func testASaveThatRunsOutOfRoomLeavesThePreviousFileIntact() throws {
        let data = try makeDataset(count: 10)
        let model = netsFixture("resnet8_c.model.h5")
        let out = folder.appendingPathComponent("results.h5").path
        XCTAssertEqual(try CLI.run(["drop", model, data, "-o", out, "--batch-size", "4", "--quiet"]).status, 0)
        let before = try Data(contentsOf: URL(fileURLWithPath: out))
        let blocks = before.count / 512   // dash's ulimit -f counts 512-byte blocks
        let result = try CLI.run(["/bin/sh", "-c", "ulimit -f \(blocks) && exec \"$0\" \"$@\"", CLI.binary.path,
                                  "scale", model, data, "-o", out, "--alphas", "0.5,2", "--batch-size", "4", "--quiet"],
                                 executable: "/bin/sh")
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertTrue(result.stderr.hasPrefix("lesion: \(out)"), result.stderr)
        XCTAssertTrue(result.stderr.contains("cannot write the new file"), result.stderr)
        XCTAssertTrue(result.stderr.contains("the file that was there is unchanged"), result.stderr)
        XCTAssertFalse(result.stderr.contains("HDF5-DIAG"))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out)), before, "the previous results are intact")
        let left = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.contains(".saving-") }
        XCTAssertEqual(left, [], "no staging file is left behind")
        XCTAssertEqual(try CLI.run(["report", out, "-o", folder.appendingPathComponent("r.html").path]).status, 0)
    }

    func testUsageErrorsExitWith64() throws {
        XCTAssertEqual(try CLI.run(["eval", "a.h5", "b.h5", "--batch-size", "0"]).status, 64)
    }

    /// A computing command that does not start alone waits passively (WaitPolicy); the user's own
    /// OMP_WAIT_POLICY is kept.
    func testACommandBesideAnotherLesionWaitsPassively() throws {
        try XCTSkipIf(ProcessInfo.processInfo.environment["OMP_WAIT_POLICY"] != nil, "the environment sets a policy")
        // Another process named lesion, as a second study in another shell would be.
        let other = folder.appendingPathComponent("lesion")
        try FileManager.default.copyItem(atPath: "/bin/sleep", toPath: other.path)
        let sleeper = try start(other, ["60"])
        defer { sleeper.terminate(); sleeper.waitUntilExit() }

        let (model, data) = (netsFixture("resnet8_c.model.h5"), try makeDataset(count: 4))
        try assertEvalWaits("passive", model, data)
        let text = try CLI.run(["eval", model, data])
        XCTAssertTrue(text.stdout.contains("threads, passive waiting)"), text.stdout)
        try assertEvalWaits("spinning", model, data, environment: ["OMP_WAIT_POLICY": "active"])
    }

    /// Beside a process busy on a core, not named lesion, a computing command also waits passively:
    /// the kernel counts the other process runnable at nearly every read of the short sample.
    func testACommandBesideABusyProcessWaitsPassively() throws {
        try XCTSkipIf(ProcessInfo.processInfo.environment["OMP_WAIT_POLICY"] != nil, "the environment sets a policy")
        let busy = try start(URL(fileURLWithPath: "/bin/sh"), ["-c", "while :; do :; done"])
        defer { busy.terminate(); busy.waitUntilExit() }
        try assertEvalWaits("passive", netsFixture("resnet8_c.model.h5"), try makeDataset(count: 4))
    }

    private func start(_ executable: URL, _ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        try process.run()
        return process
    }

    /// `lesion eval --json` succeeds and reports that its OpenMP threads waited so.
    private func assertEvalWaits(_ policy: String, _ model: String, _ data: String, environment: [String: String] = [:],
                                 line: UInt = #line) throws {
        let result = try CLI.run(["eval", model, data, "--json"], environment: environment)
        XCTAssertEqual(result.status, 0, result.stderr, line: line)
        XCTAssertTrue(result.stdout.contains("\"waitPolicy\" : \"\(policy)\""), result.stdout, line: line)
    }

    private func makeDataset(count: Int, labels: [Int64]? = nil) throws -> String {
        let path = folder.appendingPathComponent(labels == nil ? "data.h5" : "labelled.h5").path
        let root = try File.create(path).root
        var state: UInt64 = 7
        let pixels = (0..<(count * 3 * 16 * 16)).map { _ -> UInt8 in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: state >> 56)
        }
        try root.createDataset("images", shape: [count, 3, 16, 16], values: pixels)
        try root.createDataset("labels", shape: [count], values: labels ?? (0..<count).map { Int64($0 % 10) })
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
        XCTAssertEqual(try root.dataset("input_gradients").filters, [], "gradients barely compress: written as they are")
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
        // eval and predict read the labels too: one past the classes was once read as another image's logit.
        let labels = try makeDataset(count: 3, labels: [0, 10, -1])
        for command in [["eval"], ["predict", "-o", folder.appendingPathComponent("p.h5").path]] {
            let refused = try CLI.run(command + [netsFixture("resnet8_c.model.h5"), labels])
            XCTAssertEqual(refused.status, 3, refused.stderr)
            XCTAssertTrue(refused.stderr.contains("labelled.h5: /labels holds 10 at image 1, but the model"), refused.stderr)
            XCTAssertTrue(refused.stderr.contains("has 10 classes (labels 0–9)"), refused.stderr)
        }
    }
}

