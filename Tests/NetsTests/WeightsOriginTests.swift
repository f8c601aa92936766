import Foundation
import XCTest
@testable import Nets

/// A network loaded from a model file holds no second copy of its weights: it folds batch norms
/// into the arrays it read, and reads the file again when recalibration needs them unfolded.
final class WeightsOriginTests: XCTestCase {
    private let folder = TemporaryFolder("origin")

    /// A copy of a model whose batch norms come after most blocks, so recalibration changes logits.
    private func modelCopy() throws -> String {
        let path = folder.appendingPathComponent("resnet20_a.model.h5").path
        try FileManager.default.copyItem(atPath: fixture("resnet20_a.model.h5"), toPath: path)
        return path
    }

    private func images(_ seed: UInt64, count: Int = 4) -> Tensor {
        var random = Seeded(seed)
        return Tensor(shape: [count, 32, 32, 3], values: random.floats(count * 32 * 32 * 3))
    }

    func testALoadedNetworkComputesWhatOneKeepingItsWeightsDoesAndReadsThemAgainOnlyWhenNeeded() throws {
        let path = try modelCopy()
        let loaded = try ModelFile.load(path)
        let (architecture, weights) = try ModelFile.read(path)
        let keeping = try Network(architecture, weights: weights)
        XCTAssertFalse(loaded.origin.holdsWeights)
        XCTAssertTrue(keeping.origin.holdsWeights)

        // Folding in place and folding a copy are the same arithmetic: equal to the last bit.
        let input = images(1)
        XCTAssertEqual(try loaded.forward(input).values, try keeping.forward(input).values)

        let variant = Variant.dropping([2], blocks: loaded.blockCount)
        let population = [images(2, count: 8)]
        let (again, start) = try loaded.recalibrated(for: variant, on: population)
        let (kept, keptStart) = try keeping.recalibrated(for: variant, on: population)
        XCTAssertEqual(start, keptStart)
        XCTAssertTrue(loaded.origin.holdsWeights, "read once, then kept for the next variant")
        let options = RunOptions(dropped: [2])
        let stale = try loaded.forward(input, options: options).values
        let recalibrated = try again.forward(input, options: options).values
        XCTAssertEqual(recalibrated, try kept.forward(input, options: options).values)
        XCTAssertNotEqual(recalibrated, stale, "the re-estimated statistics must change the logits")
    }

    func testAModelFileChangedAfterLoadingIsNotReadAgain() throws {
        let path = try modelCopy()
        let changed = try ModelFile.load(path)
        let removed = try ModelFile.load(path)
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -3600)], ofItemAtPath: path)
        let variant = Variant.dropping([2], blocks: changed.blockCount)
        XCTAssertThrowsError(try changed.recalibrated(for: variant, on: [images(2)])) { error in
            XCTAssertEqual((error as? NetsError)?.errorKind, .badInput)
            XCTAssertTrue("\(error)".contains("\(path): the model file changed"), "«\(error)»")
        }
        try FileManager.default.removeItem(atPath: path)
        XCTAssertThrowsError(try removed.recalibrated(for: variant, on: [images(2)])) { error in
            XCTAssertTrue("\(error)".contains("\(path): the model file changed (or went)"), "«\(error)»")
        }
    }

    func testWeightsHandedOverAreReadOnce() throws {
        var weights = Weights(source: "test weights")
        weights.entries["w"] = Weights.Entry(shape: [2], values: [1, 2])
        let reader = WeightReader(weights, handingOver: true)
        XCTAssertEqual(try reader.take("w", shape: [2]), [1, 2])
        XCTAssertThrowsError(try reader.take("w", shape: [2])) { error in
            XCTAssertTrue("\(error)".contains("test weights: weight 'w' is read twice"), "«\(error)»")
        }
        XCTAssertNoThrow(try reader.checkAllUsed())
    }
}
