import Crypto
import Foundation
import Nets

/// SHA-256 digests for the provenance of model and data files, on swift-crypto (BoringSSL uses
/// the CPU's SHA instructions where it has them: a hand-written Swift loop hashed at 0.3 GB/s and
/// took 2.7% of a ResNet-50 drop-one sweep over 128 images, docs/performance.md).
public enum FileDigest {
    /// The hex digest of a file, read in 4 MB pieces into one buffer. (FileHandle's
    /// `read(upToCount:)` builds each piece as a new Data from smaller reads: hashing a 98 MB
    /// model took 0.46 s that way, the hash itself a quarter of it.)
    public static func sha256(file path: String) throws -> String {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw NetsError("\(path): cannot read the file to hash it (\(String(cString: strerror(errno))))") }
        defer { close(descriptor) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4 << 20, alignment: 64)
        defer { buffer.deallocate() }
        var hash = SHA256()
        while true {
            let count = read(descriptor, buffer.baseAddress, buffer.count)
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw NetsError("\(path): reading the file to hash it failed (\(String(cString: strerror(errno))))") }
            if count == 0 { break }
            hash.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        }
        return hex(hash.finalize())
    }

    /// Digests of files computed on a thread of their own while the caller goes on: a study
    /// hashes its model and data while it loads the model, with the other core idle (0.1 s for
    /// ResNet-50 and 128 images at 224). The thread runs at the lowest priority (nice 19).
    public final class Pending: @unchecked Sendable {
        private let done = DispatchSemaphore(value: 0)
        private var result: Result<[String], Error> = .success([])

        public init(files paths: [String]) {
            Thread.detachNewThread { [self] in
                // Lowest priority: as a command starts, the structure checks of its files and the
                // model's loading are what it waits for; hashing takes the time they leave idle.
                // On Linux a nice value is a thread's, and `who` 0 is the calling thread.
                setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 19)
                result = Result { try paths.map { try FileDigest.sha256(file: $0) } }
                done.signal()
            }
        }

        /// The digests in the order of the paths, once all are done; the first error, if any.
        public func wait() throws -> [String] {
            done.wait()
            done.signal()   // a second wait returns at once
            return try result.get()
        }
    }

    /// The hex digest of bytes in memory.
    public static func sha256(_ bytes: [UInt8]) -> String {
        hex(SHA256.hash(data: bytes))
    }

    private static func hex(_ digest: SHA256.Digest) -> String {
        digest.map { String(format: "%02x", $0) }.joined()
    }
}
