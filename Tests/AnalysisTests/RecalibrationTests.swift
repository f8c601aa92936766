import Foundation
import XCTest
@testable import Analysis
@testable import Nets

/// `Recalibration` shares work across a sweep: the intact prefix of the recalibration images
/// advances with the variants (and starts again when a variant changes an earlier block), each
/// variant's statistics are kept, and its network is compiled only from its first change. None of
/// that may change a number: every variant must give what `Network.recalibrated(for:on:)` gives
/// when it starts from scratch.
final class RecalibrationTests: XCTestCase {
    func testSharedWorkGivesTheNumbersOfEachVariantAlone() throws {
        let folder = Folder()
        for model in ["preact20_a", "resnet20_a", "highway"] {
            let network = try ModelFile.load(modelFixture(model))
            let shape = network.architecture.input
            let data = try DatasetFile(try makeNoiseDataset(folder.path("\(model).h5"), count: 20, channels: shape.channels,
                                                            size: shape.height, classes: network.architecture.classes))
            let recalibration = try Recalibration(network: network, data: data, limit: 12, batchSize: 8)
            XCTAssertEqual(recalibration.imageCount, 12)
            let recalibrationImages = try [0..<8, 8..<12].map { try data.batch($0, preprocessing: network.architecture.preprocessing).images }
            let blocks = network.blockCount
            let changeable = (0..<blocks).filter { network.scaleRefusal($0) == nil && network.dropRefusal($0) == nil }
            let (early, middle, last) = (changeable[1], changeable[changeable.count / 2], changeable.last!)
            // Out of block order on purpose: `early` after `middle` rewinds the prefix; `middle` again is kept.
            let variants: [Variant] = [.intact(blocks: blocks), .acting(.scaled(0.5), on: middle, blocks: blocks),
                                       .dropping([middle], blocks: blocks), .dropping([early], blocks: blocks),
                                       .acting(.scaled(1.5), on: last, blocks: blocks), .dropping([middle], blocks: blocks)]
            for range in [0..<8, 8..<20] {   // two batches: the second reuses the kept statistics
                let images = try data.batch(range, preprocessing: network.architecture.preprocessing).images
                let batch = Batch(index: 0, range: range, images: images, labels: Array(repeating: 0, count: range.count),
                                  network: network, logits: try network.forward(images), activations: [:], evaluator: nil)
                let shared = try recalibration.logits(variants, on: batch)
                for (variant, logits) in zip(variants, shared) {
                    let (alone, _) = try network.recalibrated(for: variant, on: recalibrationImages)
                    XCTAssertEqual(logits.values, try alone.forward(images, options: RunOptions(variant: variant)).values,
                                   "\(model) \(variant) on images \(range)")
                }
            }
        }
    }
}

extension RecalibrationTests {
    /// A drop-one sweep in block order walks the recalibration images' intact prefix once (n − 1
    /// block steps to reach the last block) and each variant from its dropped block on; each
    /// batch evaluates each variant from its dropped block on.
    func testBlockEvaluationsFollowTheirFormula() throws {
        let folder = Folder()
        let network = try ModelFile.load(modelFixture("resnet20_a"))
        let data = try DatasetFile(try makeNoiseDataset(folder.path("d.h5"), count: 8, size: 32))
        let recalibration = try Recalibration(network: network, data: data, limit: 4, batchSize: 4)
        let n = network.blockCount
        let variants = (0..<n).map { Variant.dropping([$0], blocks: n) }
        let images = try data.batch(0..<8, preprocessing: network.architecture.preprocessing).images
        let batch = Batch(index: 0, range: 0..<8, images: images, labels: Array(repeating: 0, count: 8),
                          network: network, logits: try network.forward(images), activations: [:], evaluator: nil)
        _ = try recalibration.logits(variants, on: batch)
        let fromEachBlock = (0..<n).reduce(0) { $0 + (n - $1) }
        XCTAssertEqual(recalibration.blockEvaluations, fromEachBlock)
        XCTAssertEqual(recalibration.walkBlockEvaluations, (n - 1) + fromEachBlock)
        _ = try recalibration.logits(variants, on: batch)   // a second batch: statistics kept, no walk
        XCTAssertEqual(recalibration.blockEvaluations, 2 * fromEachBlock)
        XCTAssertEqual(recalibration.walkBlockEvaluations, (n - 1) + fromEachBlock)
    }
}
