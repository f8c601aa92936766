import Foundation

/// A file as it is now, told apart from its later versions by size and modification time: what
/// a process that reads a file twice compares to learn whether someone wrote it in between.
public struct FileVersion: Hashable, Sendable {
    public let path: String
    let size: UInt64
    let modified: TimeInterval

    /// The version of the file at `path` now; nil when it cannot be read.
    public init?(of path: String) {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else { return nil }
        self.path = path
        size = (attributes[.size] as? NSNumber)?.uint64Value ?? 0
        modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
    }
}
