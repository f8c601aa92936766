import Analysis
import ArgumentParser
import Foundation

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw a results file as a self-contained HTML page with the paper's figures.",
        discussion: """
            The page has inline SVG and no scripts, and needs no network access.

            Example:
              lesion report results.h5 -o report.html
            """)

    @Argument(help: "A results file.") var results: String
    @Option(name: .shortAndLong, help: "The HTML file to write.") var output: String

    func run() throws {
        let read = try reportingBadInput { try StudyResults(results) }
        let page = ReportPage.html(read)
        do {
            try page.write(toFile: output, atomically: true, encoding: .utf8)
        } catch {
            printError("lesion: cannot write \(output): \(error.localizedDescription)")
            throw Exit.failure
        }
        print("report: \(output)")
    }
}
