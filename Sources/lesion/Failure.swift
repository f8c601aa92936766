import Analysis
import ArgumentParser
import Foundation
import HDF5
import Nets

/// Exit codes that mean something to scripts (README, "Exit codes"). 64 is ArgumentParser's
/// for bad usage, as sysexits' EX_USAGE.
enum Exit {
    static let failure = ExitCode(1)
    static let badInput = ExitCode(3)
    static let conflict = ExitCode(4)
    static let usage = ExitCode(64)

    /// The one mapping from what went wrong to the code a script sees.
    static func code(for kind: ErrorKind) -> ExitCode {
        switch kind {
        case .badInput: return badInput
        case .badUsage: return usage
        case .conflict: return conflict
        case .failure: return failure
        }
    }

    /// Prints `error` as one line and gives its exit code. The library's remedies are spelt
    /// here with the flags that apply them, which the library does not know.
    static func reporting(_ error: any KindedError) -> ExitCode {
        var text = "\(error)"
        if let analysis = error as? AnalysisError {
            switch analysis.remedy {
            case nil: break
            case .resumeOrReplace: text = analysis.message + "; use --resume to continue it or --force to replace it"
            case .useBatchSize(let size): text = analysis.message + "; resume with --batch-size \(size)"
            case .addWithImages(let count): text = analysis.message + "; give --limit \(count), or write to another file"
            case .addWithBatchSize(let size): text = analysis.message + "; give --batch-size \(size), or write to another file"
            }
        }
        printError("lesion: \(text)")
        return code(for: error.errorKind)
    }
}

/// An output must name a file: a folder there is bad usage, even with --force (the work would
/// be done, then fail to move into place).
func refuseFolder(_ output: String) throws {
    guard File.isFolder(output) else { return }
    printError("lesion: \(output) is a folder; -o takes a file name")
    throw Exit.usage
}

/// An output that exists is replaced only with --force: a conflict otherwise.
func refuseToReplace(_ output: String, force: Bool) throws {
    try refuseFolder(output)
    guard force || !FileManager.default.fileExists(atPath: output) else {
        printError("lesion: \(output) exists; use --force to replace it")
        throw Exit.conflict
    }
}

func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
