import Analysis
import Foundation
import FuzzSupport

/// Results files, through the two readers that take them from users: `lesion report` (every
/// group, drawn) and `lesion merge`, whose shard reader is the one `--resume` uses.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzResults(_ bytes: UnsafeRawPointer, _ count: Int) -> CInt {
    withInputFile(bytes, count, suffix: ".h5") { path in
        if let results = try? StudyResults(path) { _ = ReportPage.html(results) }
        let merged = inputPath("-merged.h5")
        defer { try? FileManager.default.removeItem(atPath: merged) }
        _ = try ResultsFile.merge([path], into: merged)
    }
    return 0
}
