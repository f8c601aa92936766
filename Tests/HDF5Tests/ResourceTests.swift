import Foundation
import XCTest
@testable import HDF5

final class ResourceTests: XCTestCase {
    /// Heavy use of every kind of object, with errors on the way, leaves nothing open.
    func testEveryIdentifierIsClosed() throws {
        let before = File.openObjectCount
        let scratch = Scratch()
        try exercise(scratch, before: before)
        XCTAssertEqual(File.openObjectCount, before, "HDF5 objects were left open")
    }

    private func exercise(_ scratch: Scratch, before: Int) throws {
        for round in 0..<20 {
            let file = try File.create(scratch.path("r\(round).h5"))
            let root = try file.root
            let group = try root.createGroup("g/h")
            try group.setAttribute("names", ["a", "b"])
            try group.setAttribute("fixed", ["a", "b"], form: .fixed(utf8: false))
            let dataset = try group.createDataset("d", shape: [0, 2], values: [Float](), options: .appendable)
            try dataset.appendRows([Float(1), 2, 3, 4])
            _ = try dataset.readRows(0..<1, as: Float.self)
            _ = try dataset.chunkShape
            _ = try dataset.filters
            _ = try group.stringArrayAttribute("names")
            _ = try group.stringArrayAttribute("fixed")
            _ = try root.members()
            _ = try? dataset.read(as: Double.self)
            _ = try? root.dataset("missing")
            _ = try? group.attribute("names", as: Float.self)
            try file.flush()
        }
        let fixtureRoot = try File.open(fixture("h5py_forms.h5")).root
        _ = try fixtureRoot.stringArrayAttribute("names_variable")
        XCTAssertGreaterThan(File.openObjectCount, before, "the count sees open objects")
    }

    /// Errors raised on many threads at once neither crash nor print (the Makefile fails the
    /// run if any HDF5-DIAG text reaches the output).
    func testErrorsOnManyThreadsAreQuietAndSafe() throws {
        let path = fixture("h5py_forms.h5")
        let failures = Counter()
        DispatchQueue.concurrentPerform(iterations: 64) { index in
            failures.add(ResourceTests.misuse(path, index))
        }
        XCTAssertEqual(failures.value, 0)
    }
}

extension ResourceTests {
    /// Three failing calls and one good read; returns how many behaved unexpectedly.
    static func misuse(_ path: String, _ index: Int) -> Int {
        var unexpected = 0
        guard let root = try? File.open(path).root else { return 1 }
        if (try? root.dataset("no/such/\(index)")) != nil { unexpected += 1 }
        if (try? root.dataset("numbers/float64").read(as: Float.self)) != nil { unexpected += 1 }
        if (try? File.open("/nonexistent/\(index).h5")) != nil { unexpected += 1 }
        if (try? root.dataset("numbers/int32").read(as: Int32.self)) != Array(-3..<3) { unexpected += 1 }
        return unexpected
    }
}

/// A thread-safe tally.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var total = 0
    func add(_ amount: Int) { lock.lock(); total += amount; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return total }
}
