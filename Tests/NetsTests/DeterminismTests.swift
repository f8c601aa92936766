import XCTest
@testable import Nets

/// A network's numbers depend on neither the thread count nor the batch size: oneDNN's kernels
/// split the outputs between threads, not the sums, and every op works image by image. Results
/// files record neither in their `arithmetic`, and shards of one run may use other thread
/// counts (docs/slurm.md), on the strength of this test.
final class DeterminismTests: XCTestCase {
    private var threadsBefore = 0
    override func setUp() { threadsBefore = Compute.threads }
    override func tearDown() { Compute.threads = threadsBefore }

    /// Every block form the fixtures hold: basic and bottleneck, pre-activation, highway, group
    /// norm with standardised weights, SiLU and grouped convolutions, ECA, ResNet-D.
    private let fixtures = ["resnet20_a", "bottleneck_small", "preact20_a", "highway", "timm_bit", "timm_resnext_ts",
                            "timm_ecaresnet", "timm_resnetv2_50d"]

    /// The logits and the input gradient of `images`, run in batches of `batch`.
    private func run(_ network: Network, _ images: Tensor, labels: [Int], batch: Int) throws -> (logits: [Float], gradient: [Float]) {
        var logits: [Float] = [], gradient: [Float] = []
        for start in stride(from: 0, to: labels.count, by: batch) {
            let rows = Array(start..<min(start + batch, labels.count))
            let (recorded, input) = try network.inputGradient(images.images(at: rows), target: .crossEntropy(labels: rows.map { labels[$0] }))
            logits += recorded.values
            gradient += input.values
        }
        return (logits, gradient)
    }

    func testNumbersDependNeitherOnTheThreadCountNorOnTheBatchSize() throws {
        for name in fixtures {
            let network = try ModelFile.load(fixture("\(name).model.h5"))
            let input = network.architecture.input
            var random = Seeded(11)
            let count = 6
            let images = Tensor(shape: [count, input.height, input.width, input.channels],
                                values: random.floats(count * input.height * input.width * input.channels))
            let labels = (0..<count).map { $0 % network.architecture.classes }
            Compute.threads = 1
            let reference = try run(network, images, labels: labels, batch: count)
            for (threads, batch) in [(2, count), (3, count), (1, 2), (2, 3), (2, 1)] {
                Compute.threads = threads
                let other = try run(network, images, labels: labels, batch: batch)
                for (what, a, b) in [("logits", other.logits, reference.logits), ("input gradient", other.gradient, reference.gradient)] {
                    let differing = zip(a, b).filter { $0 != $1 }.count
                    XCTAssertTrue(a.count == b.count && differing == 0,
                                  "\(name), \(threads) threads, batches of \(batch): \(differing) of \(b.count) \(what) values differ "
                                  + "from 1 thread, one batch of \(count)")
                }
            }
        }
    }
}
