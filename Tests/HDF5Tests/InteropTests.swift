import Foundation
import XCTest
@testable import HDF5

/// Files written by h5py (Fixtures/, made by notebooks-export/make_hdf5_fixtures.py), and a file
/// written here for notebooks-export/check_swift_hdf5.py to read back with h5py.
final class InteropTests: XCTestCase {
    func testReadsEveryNumericFormH5pyWrites() throws {
        let numbers = try File.open(fixture("h5py_forms.h5")).root.group("numbers")
        XCTAssertEqual(try numbers.dataset("float32").shape, [2, 3])
        XCTAssertEqual(try numbers.dataset("float32").read(as: Float.self), (0..<6).map { Float($0) / 4 })
        XCTAssertEqual(try numbers.dataset("float64").read(as: Double.self), (0..<4).map { Double($0) * -1.5 })
        XCTAssertEqual(try numbers.dataset("int32").read(as: Int32.self), Array(-3..<3))
        XCTAssertEqual(try numbers.dataset("int64").read(as: Int64.self), (0..<5).map { Int64($0) * 10_000_000_000 })
        XCTAssertEqual(try numbers.dataset("uint8").shape, [2, 3, 4])
        XCTAssertEqual(try numbers.dataset("uint8").read(as: UInt8.self), (0..<24).map(UInt8.init))
        XCTAssertEqual(try numbers.dataset("scalar").readScalar(as: Float.self), 2.5)
        XCTAssertEqual(try numbers.dataset("empty").shape, [0, 3])
        XCTAssertEqual(try numbers.dataset("empty").read(as: Float.self), [])
    }

    func testReadsNestedAndCompressedDatasets() throws {
        let root = try File.open(fixture("h5py_forms.h5")).root
        XCTAssertEqual(try root.dataset("nested/a/b/c").read(as: Int32.self), [0, 1, 2])
        let compressed = try root.dataset("compressed")
        XCTAssertEqual(try compressed.chunkShape, [10, 10])
        XCTAssertEqual(try compressed.filters, ["shuffle", "deflate"])
        XCTAssertEqual(try compressed.readRows(50..<52, as: Float.self), (500..<520).map(Float.init))
    }

    func testReadsEveryStringFormH5pyAndKerasWrite() throws {
        let root = try File.open(fixture("h5py_forms.h5")).root
        XCTAssertEqual(try root.stringAttribute("str_variable_utf8"), "héllo wörld")
        XCTAssertEqual(try root.stringAttribute("str_variable_ascii"), "plain")
        XCTAssertEqual(try root.stringAttribute("str_fixed_ascii"), "fixed")
        XCTAssertEqual(try root.stringAttribute("str_fixed_utf8"), "naïve")
        XCTAssertEqual(try root.stringAttribute("str_space_padded"), "spaced")
        XCTAssertEqual(try root.stringArrayAttribute("names_variable"), ["conv2d", "batch_normalization", "dense"])
        XCTAssertEqual(try root.stringArrayAttribute("names_fixed"), ["conv2d", "bn", "dense"])
        XCTAssertEqual(try root.stringArrayAttribute("empty_names"), [])
        XCTAssertEqual(try root.attribute("int_scalar", as: Int64.self), 42)
        XCTAssertEqual(try root.attributeArray("float_array", as: Float.self), [0.5, 1.5, -2])
        XCTAssertEqual(try root.attribute("double_scalar", as: Double.self), 1e-5)
        XCTAssertEqual(try root.dataset("strings/variable").readStrings(), ["alpha", "béta", ""])
        XCTAssertEqual(try root.dataset("strings/fixed").readStrings(), ["conv1", "bn1", "fc"])
    }

    func testReadsTheKerasLegacyWeightLayout() throws {
        let weights = try File.open(fixture("h5py_forms.h5")).root.group("model_weights")
        XCTAssertEqual(try weights.stringArrayAttribute("layer_names"), ["conv2d", "activation"])
        let conv = try weights.group("conv2d")
        let names = try conv.stringArrayAttribute("weight_names")
        XCTAssertEqual(names, ["conv2d/kernel:0", "conv2d/bias:0"])
        XCTAssertEqual(try conv.dataset(names[0]).shape, [2, 2, 1, 3])
        XCTAssertEqual(try weights.group("activation").stringArrayAttribute("weight_names"), [])
    }

    /// Writes the file that notebooks-export/check_swift_hdf5.py checks with h5py. `make test`
    /// sets UNRAVEL_INTEROP_OUT and runs the check afterwards.
    func testWritesAFileForH5pyToCheck() throws {
        let scratch = Scratch()
        let path = ProcessInfo.processInfo.environment["UNRAVEL_INTEROP_OUT"] ?? scratch.path("swift_written.h5")
        try? FileManager.default.removeItem(atPath: path)
        let root = try File.create(path).root
        try root.createDataset("float32", shape: [2, 3, 4], values: (0..<24).map { Float($0) / 8 })
        try root.createDataset("float64", shape: [5], values: (0..<5).map { Double($0) * 1e-3 })
        try root.createDataset("int32", shape: [3, 2], values: (0..<6).map { Int32($0) - 3 })
        try root.createDataset("int64", shape: [4], values: (0..<4).map { Int64($0) << 40 })
        try root.createDataset("uint8", shape: [2, 2, 2, 2], values: (0..<16).map { UInt8($0 * 15) })
        try root.createDataset("scalar", shape: [], values: [Double.pi])
        try root.createDataset(
            "compressed/images", shape: [64, 3, 8, 8], values: (0..<(64 * 192)).map { UInt8($0 % 251) },
            options: DatasetOptions(chunks: [16, 3, 8, 8], deflate: 5, shuffle: true))
        let rows = try root.createDataset("rows", shape: [0, 2], values: [Float](), options: .appendable)
        for row in 0..<3 { try rows.appendRows([Float(row), Float(row) + 0.5]) }
        try root.createDataset("strings", strings: ["first", "zweite", "трети"])
        try root.setAttribute("title", "Unravel ✓")
        try root.setAttribute("ascii_fixed", "fixed", form: .fixed(utf8: false))
        try root.setAttribute("names", ["conv1", "bn1"], form: .fixed(utf8: false))
        try root.setAttribute("labels", ["a", "βeta"])
        try root.setAttribute("seed", Int64(1234))
        try root.setAttribute("levels", [Float(0.5), 0.25])
        try root.group("compressed").setAttribute("units", "pixel")
        XCTAssertTrue(FileManager.default.fileExists(atPath: path))
    }
}
