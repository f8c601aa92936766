import XCTest
@testable import HDF5

final class CopyTests: XCTestCase {
    func testCopyingAGroupToAnotherFileKeepsDataAndAttributes() throws {
        let scratch = Scratch()
        let sourcePath = scratch.path("a.h5"), targetPath = scratch.path("b.h5")
        do {
            let root = try File.create(sourcePath).root
            let group = try root.createGroup("experiment/inner")
            try group.setAttribute("status", "complete")
            try group.setAttribute("names", ["a", "b"])
            // Beyond 8 attributes HDF5 would switch to dense storage, which H5Ocopy crashes on.
            for index in 0..<12 { try group.setAttribute("extra\(index)", "value \(index)") }
            try group.createDataset("values", shape: [3], values: [1.0, 2, 3], options: .compressed)
        }
        do {
            let source = try File.open(sourcePath).root
            let target = try File.create(targetPath).root
            try source.copy("experiment", to: target)
        }
        let copied = try File.open(targetPath).root.group("experiment/inner")
        XCTAssertEqual(try copied.stringAttribute("status"), "complete")
        XCTAssertEqual(try copied.stringArrayAttribute("names"), ["a", "b"])
        XCTAssertEqual(try copied.dataset("values").read(as: Double.self), [1, 2, 3])
        XCTAssertEqual(try copied.stringAttribute("extra11"), "value 11")
    }
}
