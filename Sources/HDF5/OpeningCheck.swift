import Foundation
import Synchronization

/// What `File.open` asks before libhdf5 reads a file: a caller's check (`checkBeforeOpening`),
/// asked once per version of each file. A file this process wrote whole itself needs no check.
enum OpeningCheck {
    static let check = Mutex<(@Sendable (String) throws -> Void)?>(nil)

    /// Versions of files checked or written here, by path, size and modification time: a study
    /// opens its dataset once per experiment, and its own results file at every save.
    private static let trusted = Mutex<Set<FileVersion>>([])

    /// Checks begun before their files are opened (`File.beginChecks`), by version.
    private static let ahead = Mutex<[FileVersion: AheadCheck]>([:])

    /// At most one check per core runs ahead: a merge of many shards queues them.
    private static let aheadQueue: OperationQueue = {
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = max(ProcessInfo.processInfo.activeProcessorCount, 1)
        return queue
    }()

    static func run(before path: String) throws {
        guard let check = check.withLock({ $0 }), let version = FileVersion(of: path) else { return }
        if trusted.withLock({ $0.contains(version) }) { return }
        if let begun = ahead.withLock({ $0.removeValue(forKey: version) }) {
            try begun.outcome()
        } else {
            try check(path)
        }
        trust(path)
    }

    /// Starts the check of each HDF5 file among `paths` that is not yet trusted, on its own
    /// thread, so that the checks of a command's files run side by side and while it starts.
    static func begin(_ paths: [String]) {
        guard let check = check.withLock({ $0 }) else { return }
        var seen = Set<String>()
        for path in paths where seen.insert(path).inserted && hasSignature(path) {
            guard let version = FileVersion(of: path), !trusted.withLock({ $0.contains(version) }) else { continue }
            let begun = AheadCheck()
            ahead.withLock { $0[version] = begun }
            aheadQueue.addOperation { begun.finish(Result { try check(path) }) }
        }
    }

    /// The HDF5 signature at the start of a regular file (where h5py and libhdf5 put it; a file
    /// with a user block is checked when it is opened instead). Only regular files are read: an
    /// argument naming a pipe or a terminal would block.
    private static func hasSignature(_ path: String) -> Bool {
        guard (try? FileManager.default.attributesOfItem(atPath: path)[.type] as? FileAttributeType) == .typeRegular,
              let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        return (try? handle.read(upToCount: 8)) == Data([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a])
    }

    /// Records the file's current version as known good.
    static func trust(_ path: String) {
        guard let version = FileVersion(of: path) else { return }
        trusted.withLock { _ = $0.insert(version) }
    }

    /// A check running ahead of its open: the open waits for its outcome.
    private final class AheadCheck: Sendable {
        private let done = DispatchSemaphore(value: 0)
        private let result = Mutex<Result<Void, any Error>?>(nil)

        func finish(_ outcome: Result<Void, any Error>) {
            result.withLock { $0 = outcome }
            done.signal()
        }

        func outcome() throws {
            done.wait()
            try result.withLock { $0! }.get()
        }
    }
}
