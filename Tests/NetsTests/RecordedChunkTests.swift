import HDF5
import XCTest
@testable import Nets

/// Gradients computed a chunk of images at a time equal those of one recorded pass over the
/// whole batch, to the bit: each image's gradient depends on that image alone.
final class RecordedChunkTests: XCTestCase {
    override func tearDown() {
        Compute.recordedChunk = nil
        super.tearDown()
    }

    /// The fixture's four images and eight drawn ones: more than one chunk of the minimum.
    private func load(_ name: String) throws -> (Network, Tensor, [Int]) {
        let network = try ModelFile.load(fixture("\(name).model.h5"))
        let expected = try File.open(fixture("\(name).expected.h5")).root
        let data = try expected.dataset("input")
        let shape = try data.shape
        var generator = Seeded(7)
        let perImage = shape.dropFirst().reduce(1, *)
        let values = try data.read(as: Float.self) + generator.floats(8 * perImage, scale: 2)
        let images = nhwc(values, shape: [shape[0] + 8] + shape.dropFirst())
        let labels = (0..<images.batch).map { $0 % network.architecture.classes }
        return (network, images, labels)
    }

    /// With `chunk` images per recorded pass (nil: sized by the cache).
    private func gradient(_ network: Network, _ images: Tensor, _ labels: [Int], chunk: Int?,
                          routes: [Int: Route] = [:]) throws -> (logits: [Float], gradient: [Float]) {
        Compute.recordedChunk = chunk
        let (logits, gradient) = try network.inputGradient(images, target: .crossEntropy(labels: labels), routes: routes)
        XCTAssertEqual(gradient.shape, images.shape)
        XCTAssertEqual(logits.shape, [images.batch, network.architecture.classes])
        return (logits.values, gradient.values)
    }

    func testChunkedInputGradientIsTheWholeBatchsToTheBit() throws {
        for name in ["resnet20_a", "preact8_b", "highway", "bottleneck_small", "plain20", "resnet8_c"] {
            let (network, images, labels) = try load(name)
            let whole = try gradient(network, images, labels, chunk: images.batch)
            for chunk in [1, 5, nil] {
                let chunked = try gradient(network, images, labels, chunk: chunk)
                XCTAssertEqual(chunked.logits, whole.logits, "\(name): logits in chunks of \(chunk.map(String.init) ?? "auto")")
                XCTAssertEqual(chunked.gradient, whole.gradient, "\(name): gradient in chunks of \(chunk.map(String.init) ?? "auto")")
            }
            let routes = [0: Route.shortcut, 1: Route.branch]
            XCTAssertEqual(try gradient(network, images, labels, chunk: 5, routes: routes).gradient,
                           try gradient(network, images, labels, chunk: images.batch, routes: routes).gradient,
                           "\(name): one path's gradient in chunks")
        }
    }

    func testChunkedPathGradientsEqualOneRecordsToTheBit() throws {
        for name in ["resnet20_a", "highway", "bottleneck_small", "plain20"] {
            let (network, images, labels) = try load(name)
            let record = try network.record(images)
            let seed = try Loss.logitGradient(record.logits, target: .crossEntropy(labels: labels))
            let expected = try network.pathGradients(record, logitGradient: seed, maxLength: network.blockCount)
            let full = try network.backward(record, logitGradient: seed)
            Compute.recordedChunk = 5
            let (coefficients, chunkedFull) = try network.pathGradients(images, target: .crossEntropy(labels: labels),
                                                                        maxLength: network.blockCount, withFullGradient: true)
            XCTAssertEqual(coefficients.count, expected.count)
            for (k, (c, e)) in zip(coefficients, expected).enumerated() {
                XCTAssertEqual(c == nil, e == nil, "\(name): whether paths of length \(k) exist")
                XCTAssertEqual(c?.values, e?.values, "\(name): c_\(k) in chunks")
            }
            XCTAssertEqual(chunkedFull?.values, full.values, "\(name): the full gradient in chunks")
        }
    }

    /// The chunks are in order and cover the batch once; a hooked run is one chunk, so hooks see
    /// whole batches.
    func testChunksCoverTheBatchInOrder() throws {
        let (network, images, labels) = try load("resnet20_a")
        for chunk in [nil, 1, 5, 12, 50] {
            Compute.recordedChunk = chunk
            var ranges: [Range<Int>] = []
            try network.forEachRecordedChunk(images, target: .crossEntropy(labels: labels)) { range, record, seed in
                ranges.append(range)
                XCTAssertEqual(record.logits.batch, range.count)
                XCTAssertEqual(seed.shape, record.logits.shape)
            }
            XCTAssertEqual(ranges.first?.lowerBound, 0)
            XCTAssertEqual(ranges.last?.upperBound, images.batch)
            XCTAssertTrue(zip(ranges, ranges.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound }, "\(ranges)")
            if let chunk { XCTAssertTrue(ranges.allSatisfy { $0.count <= chunk }, "\(ranges) for chunks of \(chunk)") }
        }
        Compute.recordedChunk = 1
        var hooks = Hooks()
        hooks.add(.stem) { _, x in x }
        var batches: [Int] = []
        try network.forEachRecordedChunk(images, target: .logits(labels), options: RunOptions(hooks: hooks)) { range, _, _ in
            batches.append(range.count)
        }
        XCTAssertEqual(batches, [images.batch])
    }

    /// The rule, with activations and records like the bench networks' and this Xeon's caches
    /// (2 MB L2, 300 MB L3).
    func testChunksKeepActivationsInACoresCacheAndRecordsInTheLastLevel() throws {
        func chunk(_ remaining: Int, activation: Int, record: Int, core: Int = 2 << 20, last: Int = 300 << 20) -> Int {
            Network.chunkSize(remaining: remaining, activationBytes: activation, recordBytes: { record },
                              coreCache: core, lastLevelCache: last)
        }
        XCTAssertEqual(chunk(128, activation: 65_536, record: 200_000), 32, "CIFAR ResNet-110: the activations decide")
        XCTAssertEqual(chunk(100, activation: 65_536, record: 200_000), 25, "4 chunks of 25, not 3 of 32 and one of 4")
        XCTAssertEqual(chunk(128, activation: 65_536, record: 6_500_000), 12, "highway: the record decides")
        XCTAssertEqual(chunk(32, activation: 3_211_264, record: 7_000_000), 16, "ResNet-50: one image is over L2")
        XCTAssertEqual(chunk(128, activation: 3_211_264, record: 7_000_000), 16, "ResNet-50 at the default batch size")
        XCTAssertEqual(chunk(40, activation: 3_211_264, record: 7_000_000), 14, "3 chunks of 13-14, not 16, 16 and 8")
        XCTAssertEqual(Network.chunkSize(remaining: 32, activationBytes: 3_211_264, recordBytes: { XCTFail("measured"); return 1 },
                                         coreCache: 2 << 20, lastLevelCache: 300 << 20), 16, "no record measured when the caches cannot decide")
        XCTAssertEqual(chunk(128, activation: 65_536, record: 200_000, core: 1 << 20), 16, "a 1 MB L2 (Zen 4)")
        XCTAssertEqual(chunk(128, activation: 65_536, record: 20_000_000), 8, "at least 8")
        XCTAssertEqual(chunk(128, activation: 262_144, record: 1), 8, "8 just fit")
        XCTAssertEqual(chunk(128, activation: 262_145, record: 1), 16, "fewer than 8 fit: 16")
        XCTAssertEqual(chunk(5, activation: 1, record: 1), 5, "a small batch whole")
        let network = try ModelFile.load(fixture("resnet20_a.model.h5"))
        XCTAssertEqual(network.largestActivationBytes, 16 * 32 * 32 * 4, "resnet20's first stage")
    }

    func testTargetsAreCheckedForTheWholeBatchFirst() throws {
        let (network, images, labels) = try load("resnet8_c")
        Compute.recordedChunk = 5
        XCTAssertThrowsError(try network.inputGradient(images, target: .crossEntropy(labels: Array(labels.dropLast())))) {
            XCTAssertTrue("\($0)".contains("per image for 12 images, got 11"), "\($0)")
        }
        let cropped = Tensor(zeros: [images.batch, images.height - 1, images.width, images.channels])
        XCTAssertThrowsError(try network.inputGradient(cropped, target: .crossEntropy(labels: labels))) {
            XCTAssertTrue("\($0)".contains("got [12, \(images.height - 1), \(images.width), 3]"), "\($0)")
        }
        let wrong = Tensor(zeros: [images.batch + 1, network.architecture.classes])
        XCTAssertThrowsError(try network.inputGradient(images, target: .logitGradient(wrong))) {
            XCTAssertTrue("\($0)".contains("the logit gradient is [13, 10]"), "\($0)")
        }
    }

    func testImagesAndBatchAssembly() {
        let batch = Tensor(shape: [5, 2, 1, 3], values: (0..<30).map(Float.init))
        XCTAssertTrue(batch.images(0..<5) === batch, "the whole batch is not copied")
        let middle = batch.images(1..<3)
        XCTAssertEqual(middle.shape, [2, 2, 1, 3])
        XCTAssertEqual(middle.values, (6..<18).map(Float.init))
        XCTAssertTrue(batch.images(at: [0, 1, 2, 3, 4]) === batch, "the whole batch in order is not copied")
        let picked = batch.images(at: [4, 0, 4])
        XCTAssertEqual(picked.shape, [3, 2, 1, 3])
        XCTAssertEqual(picked.values, Array((24..<30).map(Float.init) + (0..<6).map(Float.init) + (24..<30).map(Float.init)))
        let assembly = BatchAssembly(batch: 5)
        for range in [3..<5, 0..<3] { assembly.place(batch.images(range), at: range) }
        XCTAssertEqual(assembly.whole?.values, batch.values)
        let single = BatchAssembly(batch: 5)
        single.place(batch, at: 0..<5)
        XCTAssertTrue(single.whole === batch)
    }
}
