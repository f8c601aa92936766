import Foundation
import XCTest
@testable import HDF5

final class FileTests: XCTestCase {
    func testCreateFailsIfTheFileExistsUnlessTruncating() throws {
        let scratch = Scratch()
        let path = scratch.path("a.h5")
        try File.create(path).root.createDataset("x", shape: [1], values: [Int32(7)])
        assertHDF5Error(.alreadyExists) { try File.create(path) }
        let truncated = try File.create(path, .truncate)
        XCTAssertFalse(try truncated.root.contains("x"))
    }

    /// What an interrupt handler calls: the staging file of the write in progress goes, the old
    /// file stays, and between writes there is nothing to remove.
    func testTheStagingFileInProgressCanBeRemovedByASignalHandler() throws {
        let scratch = Scratch()
        let path = scratch.path("a.h5")
        try File.writeWhole(path) { try $0.root.setAttribute("n", Int64(1)) }
        struct Interrupted: Error {}
        XCTAssertThrowsError(try File.writeWhole(path, stagingSuffix: ".saving-1") { file in
            try file.root.setAttribute("n", Int64(2))
            XCTAssertTrue(FileManager.default.fileExists(atPath: path + ".saving-1"))
            StagingFile.removeFromSignalHandler()
            XCTAssertFalse(FileManager.default.fileExists(atPath: path + ".saving-1"))
            throw Interrupted()
        })
        XCTAssertEqual(try File.open(path).root.attribute("n", as: Int64.self), 1)
        StagingFile.removeFromSignalHandler()   // no write in progress: nothing happens
        XCTAssertTrue(FileManager.default.fileExists(atPath: path))
    }

    func testReadOnlyFilesRefuseWrites() throws {
        let scratch = Scratch()
        let path = scratch.path("a.h5")
        _ = try File.create(path)
        do {
            let file = try File.open(path, .readOnly)
            assertHDF5Error(.library) { try file.root.createGroup("g") }
        }
        let writable = try File.open(path, .readWrite)
        XCTAssertNoThrow(try writable.root.createGroup("g"))
    }

    func testMissingFileNamesThePath() {
        let error = assertHDF5Error(.missing) { try File.open("/nonexistent/model.h5") }
        XCTAssertEqual(error?.file, "/nonexistent/model.h5")
    }

    func testNonHDF5AndEmptyFilesAreRefused() throws {
        let scratch = Scratch()
        let text = scratch.path("notes.h5")
        try "not hdf5 at all".write(toFile: text, atomically: true, encoding: .utf8)
        let error = assertHDF5Error(.notHDF5) { try File.open(text) }
        XCTAssertTrue(error?.description.contains("notes.h5") ?? false)
        let empty = scratch.path("empty.h5")
        _ = FileManager.default.createFile(atPath: empty, contents: Data())
        assertHDF5Error(.notHDF5) { try File.open(empty) }
    }

    /// A folder where a file should be is said to be one, without libhdf5's read-failure report
    /// (errno, buffer address, "bytes actually read = 18446744073709551615").
    func testAFolderIsNotAFile() throws {
        let scratch = Scratch()
        let folder = scratch.path("results.h5")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        for error in [assertHDF5Error(.notHDF5) { try File.open(folder) },
                      assertHDF5Error(.alreadyExists) { try File.create(folder, .truncate) }] {
            XCTAssertEqual(error?.description, "\(folder): a folder, not a file")
        }
    }

    func testErrorsNameFileObjectAndExpectation() throws {
        let error = assertHDF5Error(.wrongType) {
            try File.open(fixture("h5py_forms.h5")).root.dataset("numbers/float64").read(as: Float.self)
        }
        XCTAssertEqual(error?.object, "/numbers/float64")
        XCTAssertTrue(error?.description.contains("h5py_forms.h5: /numbers/float64: expected float32, found float64") ?? false,
                      error?.description ?? "")
    }

    func testFlushLeavesAReadableFileWhileStillOpen() throws {
        let scratch = Scratch()
        let path = scratch.path("a.h5")
        let writer = try File.create(path)
        try writer.root.createDataset("x", shape: [2], values: [1.0, 2.0])
        try writer.flush()
        let copy = scratch.path("copy.h5")
        try FileManager.default.copyItem(atPath: path, toPath: copy)
        XCTAssertEqual(try File.open(copy).root.dataset("x").read(as: Double.self), [1, 2])
    }
}
