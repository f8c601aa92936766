import CHDF5
import Foundation

extension File {
    /// Writes a new file at `path` whole: `body` fills a file beside it (`path` + `stagingSuffix`),
    /// which then replaces `path` in one rename. A reader, or a run killed half way, sees the old
    /// file or the complete new one, never a half-written one, and the staging file is removed if
    /// anything fails. The one place Unravel writes model, prediction and results files this way.
    public static func writeWhole(_ path: String, stagingSuffix: String = ".partial", _ body: (File) throws -> Void) throws {
        let staging = path + stagingSuffix
        StagingFile.begin(staging)
        defer { StagingFile.end() }
        do {
            try writeStaged(staging, body)
        } catch let error as HDF5Error where error.file == staging {
            // The new file could not be written (no space, a size limit): the target is untouched.
            unlink(staging)
            throw HDF5Error(.io, file: path, object: error.object,
                            "cannot write the new file (\(error.message)); the file that was there is unchanged",
                            stack: error.stack)
        } catch {
            unlink(staging)
            throw error
        }
        guard rename(staging, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(staging)
            throw HDF5Error(.io, file: path, object: "", "cannot move the written file into place: \(reason)")
        }
        OpeningCheck.trust(path)
    }

    /// Fills and flushes the staging file; it closes when this returns, before the rename.
    private static func writeStaged(_ staging: String, _ body: (File) throws -> Void) throws {
        let file = try File.create(staging, .truncate)
        try body(file)
        try file.flush()
    }
}

/// The staging file being written, kept where a signal handler can read it without allocating:
/// an interrupt (Ctrl-C) in the middle of a save then removes it, and leaves only the old file.
public enum StagingFile {
    private static let capacity = 4096
    nonisolated(unsafe) private static let path: UnsafeMutablePointer<CChar> = .allocate(capacity: capacity)
    /// 1 while `path` holds a complete name; set after the name is written, cleared before it changes.
    nonisolated(unsafe) private static var ready: sig_atomic_t = 0

    static func begin(_ staging: String) {
        ready = 0
        let bytes = Array(staging.utf8CString)
        guard bytes.count <= capacity else { return }   // too long to keep: left behind on an interrupt
        bytes.withUnsafeBufferPointer { path.update(from: $0.baseAddress!, count: bytes.count) }
        ready = 1
    }

    static func end() { ready = 0 }

    /// Removes the staging file being written, if any. Async-signal-safe: for signal handlers.
    public static func removeFromSignalHandler() {
        if ready != 0 { unlink(path) }
    }
}
