import Foundation
import HDF5
import XCTest
@testable import Nets

/// Committed fixtures made by notebooks-export/make_nets_fixtures.py.
func fixture(_ name: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures").appendingPathComponent(name).path
}

/// A temporary folder, removed afterwards.
final class Folder {
    let url: URL
    init() {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("unravel-nets-\(UUID().uuidString.prefix(8))")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    deinit { try? FileManager.default.removeItem(at: url) }
}

/// NCHW values (files, PyTorch) to an NHWC tensor.
func nhwc(_ values: [Float], shape: [Int]) -> Tensor {
    let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
    let tensor = Tensor(shape: [n, h, w, c])
    for b in 0..<n { for k in 0..<c { for i in 0..<h { for j in 0..<w {
        tensor.pointer[((b * h + i) * w + j) * c + k] = values[((b * c + k) * h + i) * w + j]
    } } } }
    return tensor
}

/// An NHWC tensor to NCHW values.
func nchw(_ tensor: Tensor) -> [Float] {
    let (n, h, w, c) = (tensor.shape[0], tensor.shape[1], tensor.shape[2], tensor.shape[3])
    var values = [Float](repeating: 0, count: tensor.count)
    for b in 0..<n { for k in 0..<c { for i in 0..<h { for j in 0..<w {
        values[((b * c + k) * h + i) * w + j] = tensor.pointer[((b * h + i) * w + j) * c + k]
    } } } }
    return values
}

/// max |a - b| / max |b|: the error relative to the expected values' scale.
func relativeError(_ observed: [Float], _ expected: [Float]) -> Float {
    precondition(observed.count == expected.count, "\(observed.count) vs \(expected.count) values")
    let scale = max(expected.map { abs($0) }.max() ?? 0, 1e-12)
    return zip(observed, expected).map { abs($0 - $1) }.max().map { $0 / scale } ?? 0
}

func assertClose(_ observed: [Float], _ expected: [Float], tolerance: Float = 1e-4, _ what: String,
                 file: StaticString = #filePath, line: UInt = #line) {
    guard observed.count == expected.count else {
        return XCTFail("\(what): \(observed.count) values, expected \(expected.count)", file: file, line: line)
    }
    let error = relativeError(observed, expected)
    XCTAssertLessThanOrEqual(error, tolerance,
        "\(what): relative error \(error) > \(tolerance); first observed \(observed.prefix(4)), expected \(expected.prefix(4))",
        file: file, line: line)
}

/// A deterministic generator for test data.
struct Seeded: RandomNumberGenerator {
    private var generator: SplitMix64
    init(_ seed: UInt64) { generator = SplitMix64(seed: seed) }
    mutating func next() -> UInt64 { generator.next() }
    mutating func floats(_ count: Int, scale: Float = 1) -> [Float] {
        (0..<count).map { _ in Float.random(in: -scale...scale, using: &self) }
    }
}

/// A fresh folder for one test, removed when the test ends.
final class TemporaryFolder {
    let url: URL
    init(_ label: String = "nets") {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("unravel-\(label)-\(UUID().uuidString.prefix(8))")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    func appendingPathComponent(_ name: String) -> URL { url.appendingPathComponent(name) }
    deinit { try? FileManager.default.removeItem(at: url) }
}
