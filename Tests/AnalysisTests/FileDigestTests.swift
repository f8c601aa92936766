import Foundation
import XCTest
@testable import Analysis
@testable import Nets

/// SHA-256 of bytes against FIPS 180-4's vectors, and of files (across the 4 MB reads) against the
/// same bytes in memory.
final class FileDigestTests: XCTestCase {
    func testKnownVectors() {
        XCTAssertEqual(FileDigest.sha256([]), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(FileDigest.sha256(Array("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(FileDigest.sha256(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(FileDigest.sha256([UInt8](repeating: 0x61, count: 1_000_000)),
                       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    func testFilesHashAsTheirBytes() throws {
        let folder = Folder()
        var generator = SplitMix64(seed: 9)
        for count in [0, 1, (4 << 20) - 1, 4 << 20, (8 << 20) + 7] {
            let bytes = (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            let path = folder.path("\(count).bin")
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            XCTAssertEqual(try FileDigest.sha256(file: path), FileDigest.sha256(bytes), "\(count) bytes")
        }
        let million = folder.path("a.bin")
        try Data(repeating: 0x61, count: 1_000_000).write(to: URL(fileURLWithPath: million))
        XCTAssertEqual(try FileDigest.sha256(file: million), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        XCTAssertThrowsError(try FileDigest.sha256(file: folder.path("missing.bin"))) { error in
            XCTAssertTrue("\(error)".contains("missing.bin"), "\(error)")
        }
    }
}
