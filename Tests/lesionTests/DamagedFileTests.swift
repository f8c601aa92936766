import Foundation
import XCTest

/// Files make fuzz found on which libhdf5 1.10 itself crashes or never returns
/// (Tests/NetsTests/Fixtures/fuzz/, fuzz/README.md). `lesion` walks each file in a child process
/// before opening it, so these end in exit 3 naming the file, with nothing written.
final class DamagedFileTests: XCTestCase {
    private let folder = FileManager.default.temporaryDirectory.appendingPathComponent("unravel-damaged-\(UUID().uuidString.prefix(8))")

    override func setUpWithError() throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    /// The commands that read each kind of file, by the name's first word.
    private func commands(for input: String, output: String) -> [[String]] {
        let model = netsFixture("resnet20_a.model.h5")
        let data = testsFolder.deletingLastPathComponent().appendingPathComponent("AnalysisTests/Fixtures/probe_data.h5").path
        switch URL(fileURLWithPath: input).lastPathComponent.split(separator: "-").first {
        case "model": return [["info", input], ["eval", input, data]]
        case "dataset": return [["eval", model, input],
                                ["drop", model, input, "-o", output]]
        case "results": return [["merge", input, "-o", output], ["report", input, "-o", output],
                                ["drop", model, data, "-o", input, "--resume"]]
        default: return []
        }
    }

    func testEveryFuzzFindingEndsInExitThreeNamingTheFile() throws {
        let findings = URL(fileURLWithPath: netsFixture("fuzz"))
        let inputs = try FileManager.default.contentsOfDirectory(atPath: findings.path).sorted()
        XCTAssertGreaterThanOrEqual(inputs.count, 3)
        for name in inputs {
            // Copied, because --resume would otherwise lock a file in the repository.
            let input = folder.appendingPathComponent(name).path
            try? FileManager.default.removeItem(atPath: input)
            try FileManager.default.copyItem(atPath: findings.appendingPathComponent(name).path, toPath: input)
            let output = folder.appendingPathComponent("out-\(name)").path
            let runs = commands(for: input, output: output)
            XCTAssertFalse(runs.isEmpty, "\(name): name it model-, dataset- or results- so a command reads it")
            for arguments in runs {
                // The hang is cut short: a user waits the default 60 s for it.
                let result = try CLI.run(arguments, environment: ["UNRAVEL_STRUCTURE_SECONDS": "3"])
                let what = "lesion \(arguments.joined(separator: " "))"
                XCTAssertEqual(result.status, 3, "\(what): \(result.stderr)")
                XCTAssertEqual(result.stderr.split(separator: "\n"), ["lesion: \(input): " + result.stderr.dropFirst("lesion: \(input): ".count).dropLast()], what)
                XCTAssertTrue(result.stderr.contains("the file is damaged"), "\(what): \(result.stderr)")
                XCTAssertFalse(FileManager.default.fileExists(atPath: output), "\(what) wrote \(output)")
            }
        }
    }
}
