import ArgumentParser
import Foundation
import HDF5
import Nets

/// Exit codes that mean something to scripts.
enum Exit {
    static let failure = ExitCode(1)
    static let badInput = ExitCode(3)
    static let conflict = ExitCode(4)
}

/// Runs `body`, turning a bad model or data file into a one-line message and exit code 3.
func reportingBadInput<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as NetsError {
        printError("lesion: \(error)")
        throw Exit.badInput
    } catch let error as HDF5Error {
        printError("lesion: \(error)")
        throw Exit.badInput
    }
}

func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
