import Foundation
import XCTest
@testable import HDF5

final class StructureWalkTests: XCTestCase {
    /// The walk goes down every group and reads every dataset up to its limit: a flipped bit in a
    /// checksummed dataset three groups down is found, and not when the dataset is over the limit.
    func testTheWalkReadsDatasetsDeepInTheFile() throws {
        let scratch = Scratch()
        let path = scratch.path("deep.h5")
        let values = (0..<64).map { Double($0) + 0.123456789 }
        do {
            let root = try File.create(path).root
            try root.setAttribute("names", ["a", "b"])
            let deep = try root.createGroup("one/two/three")
            try deep.setAttribute("count", Int64(3))
            try deep.createDataset("errors", shape: [8, 8], values: values, options: DatasetOptions(checksum: true))
            try root.createDataset("labels", shape: [2], values: [Int32(1), Int32(2)])
        }
        XCTAssertNoThrow(try File.open(path).walkStructure())

        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let at = try XCTUnwrap(bytes.range(of: values[20...21].withUnsafeBytes { Data($0) })).lowerBound
        bytes[at + 3] ^= 0x10
        try bytes.write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try File.open(path).walkStructure()) { error in
            XCTAssertTrue("\(error)".contains("/one/two/three/errors"), "\(error)")
        }
        XCTAssertNoThrow(try File.open(path).walkStructure(dataLimitBytes: 256), "64 doubles are over 256 bytes")
    }

    /// `checkBeforeOpening` sees each existing file before libhdf5 does, and its error is the open's.
    func testTheCheckBeforeOpeningCanRefuseAFile() throws {
        let scratch = Scratch()
        let path = scratch.path("a.h5")
        _ = try File.create(path)
        let seen = Seen()
        File.checkBeforeOpening = { opened in
            seen.add(opened)
            throw HDF5Error(.damaged, file: opened, object: "", "refused by the check")
        }
        defer { File.checkBeforeOpening = nil }
        assertHDF5Error(.damaged) { try File.open(path) }
        assertHDF5Error(.missing) { try File.open(scratch.path("none.h5")) }
        XCTAssertEqual(seen.paths, [path], "a missing file is reported as missing, unchecked")

        let written = scratch.path("written.h5")
        try File.writeWhole(written) { try $0.root.setAttribute("n", Int64(1)) }
        XCTAssertNoThrow(try File.open(written), "a file this process wrote whole is not checked")
        try File.open(written, .readWrite).root.setAttribute("n", Int64(2))
        assertHDF5Error(.damaged) { try File.open(written) }
        XCTAssertEqual(seen.paths, [path, written], "once changed by other means, it is checked again")
    }

    /// Checks begun ahead run side by side; an open waits for its file's outcome (an error
    /// included) instead of checking again, and files that are not HDF5 are left alone.
    func testChecksBegunAheadRunSideBySideAndServeTheirOpens() throws {
        let scratch = Scratch()
        let good = scratch.path("good.h5"), bad = scratch.path("bad.h5"), text = scratch.path("notes.txt")
        _ = try File.create(good)
        _ = try File.create(bad)
        try "not HDF5".write(toFile: text, atomically: true, encoding: .utf8)
        let seen = Seen()
        let running = Running()
        File.checkBeforeOpening = { path in
            seen.add(path)
            running.enter()
            defer { running.leave() }
            Thread.sleep(forTimeInterval: 0.3)
            if path.hasSuffix("bad.h5") { throw HDF5Error(.damaged, file: path, object: "", "refused by the check") }
        }
        defer { File.checkBeforeOpening = nil }
        let pipe = scratch.path("pipe.h5")
        XCTAssertEqual(mkfifo(pipe, 0o600), 0)
        File.beginChecks([good, "--flag", bad, text, scratch.path("none.h5"), pipe, good])  // a pipe would block
        XCTAssertNoThrow(try File.open(good))
        assertHDF5Error(.damaged) { try File.open(bad) }
        XCTAssertNoThrow(try File.open(good))
        XCTAssertEqual(Set(seen.paths), [good, bad])
        XCTAssertEqual(seen.paths.count, 2, "each file is checked once: \(seen.paths)")
        XCTAssertEqual(running.most, min(2, ProcessInfo.processInfo.activeProcessorCount), "the two checks ran at once")
    }

    func testAFileIsCheckedOncePerVersion() throws {
        let scratch = Scratch()
        let path = scratch.path("a.h5")
        _ = try File.create(path)
        let seen = Seen()
        File.checkBeforeOpening = { seen.add($0) }
        defer { File.checkBeforeOpening = nil }
        _ = try File.open(path)
        _ = try File.open(path)
        XCTAssertEqual(seen.paths, [path])
    }
}

/// How many checks ran at once, at most.
private final class Running: @unchecked Sendable {
    private let lock = NSLock()
    private var now = 0, peak = 0
    func enter() { lock.withLock { now += 1; peak = max(peak, now) } }
    func leave() { lock.withLock { now -= 1 } }
    var most: Int { lock.withLock { peak } }
}

private final class Seen: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [String] = []
    func add(_ path: String) { lock.withLock { list.append(path) } }
    var paths: [String] { lock.withLock { list } }
}
