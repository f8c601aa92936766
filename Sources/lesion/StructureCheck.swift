import ArgumentParser
import Foundation
import HDF5

/// libhdf5 1.10 crashes or loops forever on some damaged files (StructureWalk.swift), and no check
/// of ours can foresee where. So before `lesion` opens a file, a child `lesion check-structure
/// FILE` walks it. A child that dies or does not finish in time means a damaged file: exit 3
/// naming it, instead of a segmentation fault or a hang. A child that meets an ordinary error is
/// not used for the message: the reader then reports it as usual, naming the object it read.
enum StructureCheck {
    /// Set in the child, which must not check again.
    static let childMarker = "UNRAVEL_STRUCTURE_CHILD"

    /// Seconds a walk may take. Walks read metadata and datasets up to 64 MB: a second or two for
    /// a ResNet-200's weights; UNRAVEL_STRUCTURE_SECONDS changes it (tests make it short).
    static var timeLimit: Double {
        ProcessInfo.processInfo.environment["UNRAVEL_STRUCTURE_SECONDS"].flatMap(Double.init) ?? 60
    }

    /// Makes every `File.open` of this process check the file first (not in the child itself).
    static func install() {
        guard ProcessInfo.processInfo.environment[childMarker] == nil else { return }
        File.checkBeforeOpening = { path in try check(path) }
    }

    /// Begins the checks of the HDF5 files named on the command line (`--option=FILE` too), side
    /// by side in children while the command starts: a model's and a dataset's checks took their
    /// sum before each open, and now take about the longer one.
    static func beginForArguments() {
        guard ProcessInfo.processInfo.environment[childMarker] == nil else { return }
        let values = CommandLine.arguments.dropFirst().map { argument in
            argument.hasPrefix("--") ? String(argument.split(separator: "=", maxSplits: 1).last ?? "") : argument
        }
        File.beginChecks(values)
    }

    static func check(_ path: String) throws {
        guard let outcome = walkInChild(path) else { return }  // no child could start: open as before
        switch outcome {
        case .finished:
            return
        case .died(let signal):
            let name = String(cString: strsignal(signal))
            throw HDF5Error(.damaged, file: path, object: "",
                            "the file is damaged: libhdf5 crashed reading its structure (\(name)) in a check before opening it")
        case .timedOut:
            throw HDF5Error(.damaged, file: path, object: "",
                            "the file is damaged: libhdf5 did not finish reading its structure in \(Int(timeLimit)) s")
        }
    }

    private enum Outcome { case finished, died(signal: Int32), timedOut }

    private static func walkInChild(_ path: String) -> Outcome? {
        guard let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else { return nil }
        let child = Process()
        child.executableURL = URL(fileURLWithPath: executable)
        child.arguments = [CheckStructure._commandName, path]
        child.environment = ProcessInfo.processInfo.environment.merging([childMarker: "1"]) { $1 }
        child.standardOutput = FileHandle.nullDevice
        child.standardError = FileHandle.nullDevice
        let ended = DispatchSemaphore(value: 0)
        child.terminationHandler = { _ in ended.signal() }
        do { try child.run() } catch { return nil }
        if ended.wait(timeout: .now() + timeLimit) == .timedOut {
            kill(child.processIdentifier, SIGKILL)
            ended.wait()
            return .timedOut
        }
        // An error the walk threw is an exit code; only a signal is a crash.
        return child.terminationReason == .uncaughtSignal ? .died(signal: child.terminationStatus) : .finished
    }
}

/// The child's side: walks one file and exits 0, or 3 when it meets an error. Not listed in help.
struct CheckStructure: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-structure",
        abstract: "Walk an HDF5 file's structure (run by lesion itself before opening a file).",
        shouldDisplay: false)

    @Argument(help: "The HDF5 file.")
    var file: String

    func run() throws {
        // A check begun ahead must not outlive a command that ended first (a usage error, or a
        // damaged model found while the dataset's check still ran): the child ends with its parent.
        let parent = getppid()
        Thread.detachNewThread {
            while getppid() == parent { usleep(100_000) }
            _exit(0)
        }
        var noCoreDump = rlimit(rlim_cur: 0, rlim_max: 0)  // a crash here is expected, not worth a core file
        setrlimit(Int32(RLIMIT_CORE.rawValue), &noCoreDump)
        try File.open(file).walkStructure()
    }
}
