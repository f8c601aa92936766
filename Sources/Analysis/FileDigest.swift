import Crypto
import Foundation
import Nets

/// SHA-256 digests for the provenance of model and data files, on swift-crypto (BoringSSL uses
/// the CPU's SHA instructions where it has them: a hand-written Swift loop hashed at 0.3 GB/s and
/// took 2.7% of a ResNet-50 drop-one sweep over 128 images, docs/performance.md).
public enum FileDigest {
    /// The hex digest of a file, read in 4 MB pieces.
    public static func sha256(file path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw NetsError("\(path): cannot read the file to hash it") }
        defer { try? handle.close() }
        var hash = SHA256()
        while let data = try handle.read(upToCount: 4 << 20), !data.isEmpty { hash.update(data: data) }
        return hex(hash.finalize())
    }

    /// The hex digest of bytes in memory.
    public static func sha256(_ bytes: [UInt8]) -> String {
        hex(SHA256.hash(data: bytes))
    }

    private static func hex(_ digest: SHA256.Digest) -> String {
        digest.map { String(format: "%02x", $0) }.joined()
    }
}
