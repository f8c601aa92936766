import XCTest
@testable import HDF5

final class GroupTests: XCTestCase {
    func testIntermediateGroupsAndSlashedPathsWorkEverywhere() throws {
        let scratch = Scratch()
        let root = try File.create(scratch.path("g.h5")).root
        let deep = try root.createGroup("a/b/c")
        XCTAssertEqual(deep.path, "/a/b/c")
        try root.createDataset("conv2d/kernel:0", shape: [2], values: [Float(1), 2])
        try deep.createDataset("d/e", shape: [], values: [Int64(5)])
        XCTAssertTrue(root.contains("a/b"))
        XCTAssertTrue(root.contains("/a/b/c/d/e"))
        XCTAssertFalse(root.contains("a/x/c"))
        XCTAssertEqual(try root.group("a").group("b/c").dataset("d/e").readScalar(as: Int64.self), 5)
        XCTAssertEqual(try root.dataset("conv2d/kernel:0").read(as: Float.self), [1, 2])
        XCTAssertEqual(root.kind(of: "a/b"), .group)
        XCTAssertEqual(root.kind(of: "a/b/c/d/e"), .dataset)
    }

    func testMembersAreListedInNameOrderWithTheirKinds() throws {
        let scratch = Scratch()
        let root = try File.create(scratch.path("g.h5")).root
        try root.createGroup("zeta")
        try root.createDataset("alpha", shape: [1], values: [UInt8(1)])
        try root.createGroup("mid/inner")
        let members = try root.members()
        XCTAssertEqual(members.map(\.name), ["alpha", "mid", "zeta"])
        XCTAssertEqual(members.map(\.kind), [.dataset, .group, .group])
    }

    func testMissingAndMistypedObjectsAreErrors() throws {
        let scratch = Scratch()
        let root = try File.create(scratch.path("g.h5")).root
        try root.createGroup("g")
        try root.createDataset("d", shape: [1], values: [Float(0)])
        let missing = assertHDF5Error(.missing) { try root.dataset("g/nothing") }
        XCTAssertEqual(missing?.object, "/g/nothing")
        assertHDF5Error(.wrongType) { try root.dataset("g") }
        assertHDF5Error(.wrongType) { try root.group("d") }
        assertHDF5Error(.alreadyExists) { try root.createGroup("g") }
        assertHDF5Error(.alreadyExists) { try root.createDataset("d", shape: [1], values: [Float(0)]) }
    }

    func testRemovingAnObject() throws {
        let scratch = Scratch()
        let root = try File.create(scratch.path("g.h5")).root
        try root.createDataset("a/b", shape: [1], values: [Float(0)])
        try root.remove("a/b")
        XCTAssertFalse(root.contains("a/b"))
        assertHDF5Error(.missing) { try root.remove("a/b") }
    }
}
