import Foundation
import HDF5
import XCTest
@testable import Nets

/// Bad model and dataset files give clear errors naming what is wrong.
final class ModelFileTests: XCTestCase {
    private var folder = TemporaryFolder("model")

    private func variant(_ change: (inout Architecture, inout Weights) -> Void) throws -> String {
        var (architecture, weights) = try ModelFile.read(fixture("resnet8_c.model.h5"))
        change(&architecture, &weights)
        let path = folder.appendingPathComponent("variant.h5").path
        try ModelFile.write(path, architecture: architecture, weights: weights, overwrite: true)
        return path
    }

    private func assertLoadFails(_ path: String, mentioning text: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try ModelFile.load(path), file: file, line: line) { error in
            XCTAssertTrue("\(error)".contains(text), "«\(error)» does not mention «\(text)»", file: file, line: line)
            XCTAssertTrue("\(error)".contains(path) || "\(error)".contains("block"), "«\(error)» names no file", file: file, line: line)
        }
    }

    func testARoundTripKeepsTheNetwork() throws {
        let path = try variant { _, _ in }
        let original = try ModelFile.load(fixture("resnet8_c.model.h5"))
        let copy = try ModelFile.load(path)
        XCTAssertEqual(copy.architecture, original.architecture)
        var random = Seeded(1)
        let input = Tensor(shape: [2, 16, 16, 3], values: random.floats(2 * 16 * 16 * 3))
        XCTAssertEqual(try copy.forward(input).values, try original.forward(input).values)
    }

    func testWrongShapeNamesTheWeightAndBothShapes() throws {
        let path = try variant { _, weights in weights.entries["layer2.0.conv1.weight"]!.shape = [32, 16, 9, 1] }
        assertLoadFails(path, mentioning: "weight 'layer2.0.conv1.weight' has shape [32, 16, 9, 1], expected [32, 16, 3, 3]")
    }

    func testMissingWeight() throws {
        let path = try variant { _, weights in weights.entries["layer1.0.bn2.running_var"] = nil }
        assertLoadFails(path, mentioning: "missing weight 'layer1.0.bn2.running_var' (expected shape [16])")
    }

    func testNaNWeight() throws {
        let path = try variant { _, weights in weights.entries["linear.weight"]!.values[17] = .nan }
        assertLoadFails(path, mentioning: "weight 'linear.weight' holds nan at flat index 17")
    }

    func testUnusedWeightMeansTheWrongArchitecture() throws {
        let path = try variant { _, weights in
            weights.entries["layer9.0.conv1.weight"] = Weights.Entry(shape: [1], values: [0])
        }
        assertLoadFails(path, mentioning: "weight 'layer9.0.conv1.weight' is not used by the architecture")
    }

    func testUnknownBlockKind() throws {
        let path = try variant { _, _ in }
        let root = try File.open(path, .readWrite).root
        let json = try root.stringAttribute("architecture").replacingOccurrences(of: "\"kind\":\"residual\"", with: "\"kind\":\"dense\"")
        try root.setAttribute("architecture", json)
        assertLoadFails(path, mentioning: "/@architecture is not a valid architecture")
        XCTAssertThrowsError(try ModelFile.load(path)) { XCTAssertTrue("\($0)".contains("blocks[0].kind"), "\($0)") }
    }

    /// Two files on one command line are easily swapped: the error says what the file is.
    func testAFileThatIsNotAModel() throws {
        assertLoadFails(fixture("resnet8_c.expected.h5"), mentioning: "not an Unravel model file")
        let dataset = folder.appendingPathComponent("data.h5").path, results = folder.appendingPathComponent("results.h5").path
        do {
            let root = try File.create(dataset).root
            try root.createDataset("images", shape: [1, 1, 2, 2], values: [UInt8](repeating: 0, count: 4))
            try root.createDataset("labels", shape: [1], values: [Int64(0)])
            try File.create(results).root.setAttribute("format", "unravel-results")
        }
        assertLoadFails(dataset, mentioning: "it holds /images and /labels: a dataset, which comes second")
        assertLoadFails(results, mentioning: "its root attribute 'format' is 'unravel-results', a results file")
        XCTAssertThrowsError(try DatasetFile(fixture("resnet8_c.model.h5"))) { error in
            XCTAssertTrue("\(error)".contains("resnet8_c.model.h5: a model file, not a dataset"), "\(error)")
        }
    }

    func testIdentityShortcutOnAShapeChangeIsRefused() throws {
        let path = try variant { architecture, weights in
            architecture.blocks[1].shortcut = .identity
            for suffix in ["0.weight", "1.weight", "1.bias", "1.running_mean", "1.running_var"] {
                weights.entries["layer2.0.shortcut.\(suffix)"] = nil
            }
        }
        assertLoadFails(path, mentioning: "an identity shortcut cannot map [16, 16, 16] to [8, 8, 32]")
    }

    func testDatasetThatDoesNotFitTheModel() throws {
        let path = folder.appendingPathComponent("data.h5").path
        let root = try File.create(path).root
        try root.createDataset("images", shape: [2, 1, 28, 28], values: [UInt8](repeating: 0, count: 2 * 784))
        try root.createDataset("labels", shape: [2], values: [Int64(0), 1])
        let data = try DatasetFile(path)
        let network = try ModelFile.load(fixture("resnet8_c.model.h5"))
        XCTAssertThrowsError(try data.check(fits: network.architecture)) { error in
            XCTAssertTrue("\(error)".contains("images are 1x28x28 (CxHxW), but the model"), "\(error)")
        }
        let badLabels = folder.appendingPathComponent("labels.h5").path
        let other = try File.create(badLabels).root
        try other.createDataset("images", shape: [2, 3, 16, 16], values: [Float](repeating: 0, count: 2 * 768))
        try other.createDataset("labels", shape: [3], values: [Int64(0), 1, 2])
        XCTAssertThrowsError(try DatasetFile(badLabels)) { XCTAssertTrue("\($0)".contains("/labels has shape [3], expected [2]"), "\($0)") }
    }
}
