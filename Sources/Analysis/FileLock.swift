import Foundation

/// An exclusive advisory lock on `path + ".lock"`, held while a process writes a results file.
/// The kernel releases it when the process ends, however it ends, so a killed run can resume.
public final class FileLock {
    private let descriptor: Int32
    public let path: String

    public init(for file: String) throws {
        path = file + ".lock"
        descriptor = open(path, O_RDWR | O_CREAT, 0o644)
        guard descriptor >= 0 else {
            throw AnalysisError(.failure, "\(file): cannot create the lock file \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            var buffer = [UInt8](repeating: 0, count: 32)
            let count = pread(descriptor, &buffer, 32, 0)
            let holder = String(decoding: buffer.prefix(max(count, 0)), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            close(descriptor)
            throw AnalysisError(.conflict, "\(file) is being written by another process\(holder.isEmpty ? "" : " (pid \(holder))"); "
                                + "wait for it to finish, or write to another file")
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = pwrite(descriptor, pid, pid.count, 0)
    }

    /// The lock file stays: removing it would let a process that opened it just before hold a
    /// lock on a deleted file while a third locks a new one.
    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
