import Foundation
import XCTest
@testable import HDF5

/// A fresh folder for one test, removed afterwards.
final class Scratch {
    let folder: URL

    init(_ name: String = #function) {
        let safe = name.filter { $0.isLetter || $0.isNumber }
        folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("unravel-hdf5-\(safe)-\(UUID().uuidString.prefix(8))")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    func path(_ file: String) -> String { folder.appendingPathComponent(file).path }

    deinit { try? FileManager.default.removeItem(at: folder) }
}

/// The committed files written by notebooks-export/make_hdf5_fixtures.py.
func fixture(_ name: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures").appendingPathComponent(name).path
}

/// Asserts that `body` throws an HDF5Error of `kind`, and returns it.
@discardableResult
func assertHDF5Error<T>(
    _ kind: HDF5Error.Kind, file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> T
) -> HDF5Error? {
    do {
        _ = try body()
        XCTFail("expected an HDF5Error of kind \(kind), got success", file: file, line: line)
    } catch let error as HDF5Error {
        XCTAssertEqual(error.kind, kind, "\(error)", file: file, line: line)
        return error
    } catch {
        XCTFail("expected an HDF5Error, got \(error)", file: file, line: line)
    }
    return nil
}
