import CHDF5
import Foundation

/// Every call into libhdf5 goes through `library { }`.
///
/// Debian's build is thread-safe but others may not be, so calls are serialised on one recursive
/// lock (recursive because a handle's deinit can run inside another call). Error printing is a
/// per-thread setting and Swift tasks hop threads, so it is switched off on every entry.
private let libraryLock = NSRecursiveLock()

/// Set before the library's first call: no shutdown handler at exit. After a write failed for
/// lack of room, libhdf5 1.10's own shutdown retries the failed file's flush and crashes; the
/// operating system closes what is left open at exit anyway.
private let noShutdownHandler: Void = { H5dont_atexit() }()

@discardableResult
func library<T>(_ body: () throws -> T) rethrows -> T {
    libraryLock.lock()
    defer { libraryLock.unlock() }
    _ = noShutdownHandler
    unravel_silence_errors()
    return try body()
}

/// Where an operation happens, for error messages.
struct Location: Sendable {
    let file: String
    let object: String

    func error(_ kind: HDF5Error.Kind, _ message: String) -> HDF5Error {
        HDF5Error(kind, file: file, object: object, message, stack: takeErrorStack())
    }

    /// Throws if an HDF5 id is invalid (negative), with HDF5's reasons attached.
    func check(_ id: hid_t, _ what: @autoclosure () -> String, kind: HDF5Error.Kind = .library) throws -> hid_t {
        if id < 0 { throw error(kind, what()) }
        return id
    }

    /// Throws if an HDF5 status is negative.
    func check(_ status: herr_t, _ what: @autoclosure () -> String, kind: HDF5Error.Kind = .library) throws {
        if status < 0 { throw error(kind, what()) }
    }
}

/// Reads and clears this thread's HDF5 error stack.
func takeErrorStack() -> [String] {
    final class Collected { var lines: [String] = [] }
    let collected = Collected()
    let errorStack = unravel_e_default()
    withExtendedLifetime(collected) {
        let context = Unmanaged.passUnretained(collected).toOpaque()
        H5Ewalk2(errorStack, H5E_WALK_DOWNWARD, { _, entry, context in
            guard let entry, let context else { return 0 }
            let collected = Unmanaged<Collected>.fromOpaque(context).takeUnretainedValue()
            let function = entry.pointee.func_name.map { String(cString: $0) } ?? "?"
            // Some descriptions hold a ctime() date with its newline: every entry is one line.
            let detail = (entry.pointee.desc.map { String(cString: $0) } ?? "")
                .split(whereSeparator: \.isNewline).joined(separator: " ")
            collected.lines.append("\(function): \(detail)")
            return 0
        }, context)
    }
    H5Eclear2(errorStack)
    return collected.lines
}
