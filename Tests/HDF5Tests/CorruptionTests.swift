import Foundation
import XCTest
@testable import HDF5

/// Damaged files must give an HDF5Error, never a crash, a trap or a huge allocation.
final class CorruptionTests: XCTestCase {
    /// Reads every object and attribute below `group`; returns how many reads failed.
    private func readEverything(_ group: Group) -> Int {
        var failures = 0
        func attempt(_ body: () throws -> Void) {
            do { try body() } catch is HDF5Error { failures += 1 } catch { XCTFail("not an HDF5Error: \(error)") }
        }
        func visitAttributes(_ node: Node) {
            attempt {
                for name in try node.attributeNames {
                    attempt {
                        switch try node.attributeType(name) {
                        case .string: _ = try node.stringArrayAttribute(name)
                        case .float: _ = try node.attributeArray(name, as: Double.self, converting: true)
                        case .integer: _ = try node.attributeArray(name, as: Int64.self, converting: true)
                        case .other: break
                        }
                    }
                }
            }
        }
        visitAttributes(group)
        attempt {
            for (name, kind) in try group.members() {
                attempt {
                    switch kind {
                    case .group: failures += readEverything(try group.group(name))
                    case .dataset:
                        let dataset = try group.dataset(name)
                        visitAttributes(dataset)
                        switch try dataset.storedType {
                        case .string: _ = try dataset.readStrings()
                        case .float, .integer:
                            _ = try dataset.read(as: Double.self, converting: true)
                            if let rows = try dataset.shape.first, rows > 1 {
                                _ = try dataset.readRows(1..<rows, as: Float.self, converting: true)
                            }
                        case .other: break
                        }
                    default: break
                    }
                }
            }
        }
        return failures
    }

    private func corruptAndRead(_ original: String, positions: Int, seed: UInt64) throws -> (tried: Int, refused: Int) {
        let scratch = Scratch("corrupt\(seed)")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: original))
        XCTAssertEqual(readEverything(try File.open(original).root), 0, "the original must read cleanly")
        var generator = SplitMix(seed: seed)
        var refused = 0
        for trial in 0..<positions {
            var damaged = bytes
            let position = Int(generator.next() % UInt64(bytes.count))
            if trial % 3 == 0 {
                damaged = damaged.prefix(position)
            } else {
                damaged[position] ^= UInt8(1 << (generator.next() % 8)) | (trial % 3 == 2 ? 0xF0 : 0)
            }
            let path = scratch.path("damaged\(trial).h5")
            try damaged.write(to: URL(fileURLWithPath: path))
            do {
                if readEverything(try File.open(path).root) > 0 { refused += 1 }
            } catch is HDF5Error {
                refused += 1
            }
            try? FileManager.default.removeItem(atPath: path)
        }
        return (positions, refused)
    }

    /// Files written by h5py use the oldest format, with no metadata checksums.
    /// Metadata checksums do not cover raw data: a flipped bit in a plain dataset reads back as a
    /// wrong number. With `checksum`, the same flip is an error naming the dataset.
    func testAChecksummedDatasetRefusesAFlippedBit() throws {
        let scratch = Scratch()
        let values = (0..<64).map { Double($0) + 0.123456789 }
        for checksum in [false, true] {
            let path = scratch.path("bits-\(checksum).h5")
            do {
                let root = try File.create(path).root
                try root.createDataset("errors", shape: [8, 8], values: values, options: DatasetOptions(checksum: checksum))
                XCTAssertEqual(try root.dataset("errors").filters, checksum ? ["fletcher32"] : [])
            }
            var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            let pattern = values[20...21].withUnsafeBytes { Data($0) }
            let at = try XCTUnwrap(bytes.range(of: pattern)).lowerBound
            bytes[at + 3] ^= 0x10
            try bytes.write(to: URL(fileURLWithPath: path))
            let dataset = try File.open(path).root.dataset("errors")
            if checksum {
                XCTAssertThrowsError(try dataset.read(as: Double.self)) { error in
                    XCTAssertTrue("\(error)".contains("errors"), "\(error)")
                }
            } else {
                XCTAssertNotEqual(try dataset.read(as: Double.self), values, "the flip went unnoticed, as expected without it")
            }
        }
    }

    func testDamagedH5pyFilesGiveErrorsNotCrashes() throws {
        let result = try corruptAndRead(fixture("h5py_forms.h5"), positions: 150, seed: 1)
        XCTAssertGreaterThan(result.refused, result.tried / 4, "truncations at least must be refused")
    }

    /// Files written by Unravel carry checksums on their metadata.
    func testDamagedUnravelFilesGiveErrorsNotCrashes() throws {
        let scratch = Scratch()
        let path = scratch.path("ours.h5")
        do {
            let root = try File.create(path).root
            try root.createDataset("a/weights", shape: [8, 4], values: (0..<32).map(Float.init))
            try root.createDataset("packed", shape: [40, 5], values: (0..<200).map(Double.init), options: .compressed)
            try root.createDataset("names", strings: ["x", "y"])
            try root.setAttribute("layer_names", ["a", "b"], form: .fixed(utf8: false))
            try root.group("a").setAttribute("seed", Int64(3))
        }
        let result = try corruptAndRead(path, positions: 150, seed: 2)
        XCTAssertGreaterThan(result.refused, result.tried / 4)
    }

    func testTruncationAtEveryFewBytesIsRefused() throws {
        let scratch = Scratch()
        let bytes = try Data(contentsOf: URL(fileURLWithPath: fixture("h5py_forms.h5")))
        var tried = 0
        for length in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 60)) {
            let path = scratch.path("cut\(length).h5")
            try bytes.prefix(length).write(to: URL(fileURLWithPath: path))
            let opened = try? File.open(path)
            if let opened { _ = readEverything(try opened.root) }
            tried += 1
        }
        XCTAssertGreaterThanOrEqual(tried, 60)
    }
}

/// A small deterministic generator, so failures can be replayed.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE5_E4B9
        z = (z ^ (z >> 27)) &* 0x94D0_49EB_2D7C_98BB
        return z ^ (z >> 31)
    }
}
