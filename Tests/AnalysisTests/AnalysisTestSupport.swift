import Foundation
import HDF5
import XCTest
@testable import Analysis
@testable import Nets

let netsFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("NetsTests/Fixtures")

func modelFixture(_ name: String) -> String { netsFixtures.appendingPathComponent("\(name).model.h5").path }

/// A temporary folder, removed afterwards.
final class Folder {
    let url: URL
    init() {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("unravel-analysis-\(UUID().uuidString.prefix(8))")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    deinit { try? FileManager.default.removeItem(at: url) }
}

/// A dataset of standard-normal float32 images (the fixture models take them as they are) with
/// labels spread over the classes.
@discardableResult
func makeNoiseDataset(_ path: String, count: Int, channels: Int = 3, size: Int, classes: Int = 10, seed: UInt64 = 3) throws -> String {
    var generator = SplitMix64(seed: seed)
    func normal() -> Float {
        let u1 = Double(generator.next() >> 11) / Double(1 << 53) + 1e-12, u2 = Double(generator.next() >> 11) / Double(1 << 53)
        return Float((-2 * log(u1)).squareRoot() * cos(2 * .pi * u2))
    }
    let root = try File.create(path).root
    try root.createDataset("images", shape: [count, channels, size, size], values: (0..<(count * channels * size * size)).map { _ in normal() })
    try root.createDataset("labels", shape: [count], values: (0..<count).map { Int64(($0 * 7) % classes) })
    return path
}

/// The lines of a test file between `// <marker>-BEGIN` and `// <marker>-END`: code that a document
/// shows and the test compiles.
func markedSource(_ testFile: String, _ marker: String) throws -> String {
    let source = try String(contentsOfFile: testFile, encoding: .utf8)
    return String(source[source.range(of: "// \(marker)-BEGIN\n")!.upperBound..<source.range(of: "// \(marker)-END")!.lowerBound])
}

/// A file of the repository, by its path from the root.
func repositoryFile(_ path: String) throws -> String {
    try String(contentsOf: netsFixtures.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent(path), encoding: .utf8)
}
