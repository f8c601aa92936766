import Foundation
import Synchronization

/// What `File.open` asks before libhdf5 reads a file: a caller's check (`checkBeforeOpening`),
/// asked once per version of each file. A file this process wrote whole itself needs no check.
enum OpeningCheck {
    static let check = Mutex<(@Sendable (String) throws -> Void)?>(nil)

    /// Versions of files checked or written here, by path, size and modification time: a study
    /// opens its dataset once per experiment, and its own results file at every save.
    private static let trusted = Mutex<Set<String>>([])

    static func run(before path: String) throws {
        guard let check = check.withLock({ $0 }), let version = version(of: path) else { return }
        if trusted.withLock({ $0.contains(version) }) { return }
        try check(path)
        trust(path)
    }

    /// Records the file's current version as known good.
    static func trust(_ path: String) {
        guard let version = version(of: path) else { return }
        trusted.withLock { _ = $0.insert(version) }
    }

    private static func version(of path: String) -> String? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else { return nil }
        let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        return "\(path)\u{0}\(attributes[.size] ?? 0)\u{0}\(modified)"
    }
}
