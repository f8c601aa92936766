import Analysis
import ArgumentParser
import Foundation
import HDF5

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw a results file as a self-contained HTML page with the paper's figures.",
        discussion: """
            The page opens with the verdict (docs/verdict.md), then has the figures as inline SVG, \
            and has no scripts and needs no network access. With --figures each figure is also \
            written alone as DIR/NAME.svg, for a paper.

            Example:
              lesion report results.h5 -o report.html --figures figures/
            """)

    @Argument(help: "A results file.") var results: String
    @Option(name: .shortAndLong, help: "The HTML file to write.") var output: String
    @Option(help: ArgumentHelp("Also write each figure alone as an SVG file into this folder.", valueName: "dir")) var figures: String?

    func run() throws {
        let read = try StudyResults(results)
        try refuseFolder(output)
        if let note = read.unfinishedNote { printError("lesion: warning: " + note) }
        if let figures { try create(folder: figures) }   // before the page, so a bad folder writes nothing
        try write(ReportPage.html(read), to: output)
        if let figures {
            for figure in ReportFigures.all(read) {
                try write(#"<?xml version="1.0" encoding="UTF-8"?>"# + "\n" + figure.svg + "\n",
                          to: (figures as NSString).appendingPathComponent(figure.name + ".svg"))
            }
        }
        print("report: \(output)" + (figures.map { "; figures: \($0)" } ?? ""))
    }

    private func write(_ text: String, to path: String) throws {
        do {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            printError("lesion: cannot write \(path): \(error.localizedDescription)")
            throw Exit.failure
        }
    }

    private func create(folder: String) throws {
        if FileManager.default.fileExists(atPath: folder), !File.isFolder(folder) {
            printError("lesion: \(folder) is a file; --figures takes a folder")
            throw Exit.usage
        }
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            printError("lesion: cannot create the folder \(folder): \(error.localizedDescription)")
            throw Exit.failure
        }
    }
}
