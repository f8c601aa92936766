import XCTest

/// Every command's --help reads as paragraphs at any terminal width: the source holds each
/// paragraph as one line, and ArgumentParser wraps it to the terminal.
final class HelpTextTests: XCTestCase {
    static let commands: [[String]] = [[]] + ["study", "drop", "drop-many", "reorder", "duplicate", "scale", "reinit", "ablate",
                                              "paths", "grads", "lens", "probe-linear", "cka", "inference", "report", "merge", "info", "eval",
                                              "predict", "convert", "bench"].map { [$0] }

    private func help(_ command: [String], columns: Int) throws -> [String] {
        let result = try CLI.run(command + ["--help"], environment: ["COLUMNS": "\(columns)"])
        XCTAssertEqual(result.status, 0, result.stderr)
        return result.stdout.components(separatedBy: "\n")
    }

    /// The text between OVERVIEW's abstract and USAGE: the discussion.
    private func discussion(_ lines: [String]) -> [String] {
        guard let usage = lines.firstIndex(where: { $0.hasPrefix("USAGE:") }) else { return [] }
        return Array(lines[..<usage].drop { !$0.isEmpty })
    }

    /// On a very wide terminal a paragraph is one line: a prose line followed by another means the
    /// source broke it by hand (which on a narrower terminal gives ragged half-lines).
    func testEachParagraphIsOneLineOnAWideTerminal() throws {
        for command in Self.commands {
            let lines = discussion(try help(command, columns: 1000))
            XCTAssertFalse(lines.isEmpty, "lesion \(command.joined()) --help has a discussion")
            let prose = { (line: String) in !line.isEmpty && !line.hasPrefix(" ") }
            for (a, b) in zip(lines, lines.dropFirst()) where prose(a) && prose(b) && !a.hasSuffix(":") {
                XCTFail("lesion \(command.joined()) --help breaks a paragraph by hand:\n  \(a)\n  \(b)")
            }
        }
    }

    /// On an 80-column terminal nothing overflows, and no example command is broken in two.
    func testNothingOverflowsOrBreaksAnExampleAt80Columns() throws {
        for command in Self.commands {
            let lines = try help(command, columns: 80)
            // ArgumentParser never wraps the USAGE synopsis, whatever the width; everything else must fit.
            for line in lines where !line.hasPrefix("USAGE:") {
                XCTAssertLessThanOrEqual(line.count, 80, "lesion \(command.joined()) --help: \(line)")
            }
            let body = discussion(lines)
            // An example goes on only after a shell continuation (a trailing backslash), indented.
            var inExample = false
            for (a, b) in zip(body, body.dropFirst()) {
                inExample = a.hasPrefix("  lesion ") || (inExample && a.hasPrefix("    "))
                guard inExample else { continue }
                let fine = a.hasSuffix(" \\") ? b.hasPrefix("    ") : (b.isEmpty || b.hasPrefix("  lesion "))
                XCTAssertTrue(fine, "lesion \(command.joined()) --help breaks an example:\n  \(a)\n  \(b)")
            }
        }
    }
}
