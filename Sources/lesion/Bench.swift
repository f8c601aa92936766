import ArgumentParser
import Foundation
import Nets

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure forward and forward+input-gradient throughput on random inputs.",
        discussion: """
            `make bench` runs this beside PyTorch and onnxruntime on the same network.

            Example:
              lesion bench resnet110.h5 --batch-size 128 --seconds 10 --json
            """)

    @Argument(help: "An Unravel model file.") var model: String
    @OptionGroup var engine: EngineOptions
    @Option(help: "Seconds to measure each of forward and gradient.") var seconds = 5.0
    @Flag(help: "Print machine-readable JSON on stdout.") var json = false
    @Flag(help: "Also time the exact gradient decomposition by path length, in full input-gradient passes.")
    var paths = false
    @Option(help: "Images per recorded pass in the gradient phases (default: sized to the caches, at least 8). Results do not depend on it.")
    var gradientChunk: Int?
    @Option(help: "Megabytes a block streams per call in the forward phase: its larger activation, four for a highway layer; 0 runs whole batches (default: eight times a core's cache). Results do not depend on it.")
    var stageMB: Int?
    @Option(help: "Pixels per image up to which a 1x1 convolution runs over the batch as one row; 0 never (default: 784, 28x28). Results do not depend on it.")
    var pointwiseFlattening: Int?

    func validate() throws {
        if let gradientChunk, gradientChunk <= 0 { throw ValidationError("--gradient-chunk must be positive") }
        if let stageMB, stageMB < 0 { throw ValidationError("--stage-mb must be 0 or more") }
        if let pointwiseFlattening, pointwiseFlattening < 0 {
            throw ValidationError("--pointwise-flattening must be 0 or more")
        }
    }

    struct Result: Codable {
        var model: String
        var batchSize: Int
        var threads: Int
        var forwardImagesPerSecond: Double
        var gradientImagesPerSecond: Double
        var oneDNN: String
        /// Seconds of the exact decomposition (all lengths) over seconds of one input-gradient pass.
        var exactDecompositionCost: Double?
        /// Images per recorded pass, when set by --gradient-chunk.
        var gradientChunk: Int?
        /// Megabytes a block streams per call in the forward phase; nil: whole batches.
        var forwardStageMB: Int?
        /// Pixels per image up to which 1×1 convolutions ran over the batch as one row.
        var pointwiseFlattening: Int
    }

    func run() throws {
        engine.apply()
        Compute.recordedChunk = gradientChunk
        if let stageMB { Compute.stageBytes = stageMB > 0 ? stageMB << 20 : nil }
        if let pointwiseFlattening { Compute.pointwiseFlatteningPixels = pointwiseFlattening }
        let batchSize = engine.batchSize
        let network = try ModelFile.load(model)
        let input = network.architecture.input
        // Seeded: the system generator asks the kernel for each number (0.2 s of a ResNet-50 run).
        var generator = SplitMix64(seed: 2016)
        let images = Tensor(shape: [batchSize, input.height, input.width, input.channels],
                            values: (0..<(batchSize * input.height * input.width * input.channels)).map { _ in
                                Float.random(in: -2...2, using: &generator) })
        let labels = (0..<batchSize).map { $0 % network.architecture.classes }
        let forward = try Bench.rate(seconds: seconds, batch: batchSize) { _ = try network.forward(images) }
        let gradient = try Bench.rate(seconds: seconds, batch: batchSize) {
            _ = try network.inputGradient(images, target: .crossEntropy(labels: labels))
        }
        var cost: Double? = nil
        if paths {
            let decomposition = try Bench.rate(seconds: seconds, batch: batchSize) {
                _ = try network.pathGradients(images, target: .crossEntropy(labels: labels), maxLength: network.blockCount)
            }
            cost = gradient / decomposition
        }
        let result = Result(model: model, batchSize: batchSize, threads: Compute.threads, forwardImagesPerSecond: forward,
                            gradientImagesPerSecond: gradient, oneDNN: Compute.oneDNNVersion, exactDecompositionCost: cost,
                            gradientChunk: gradientChunk, forwardStageMB: Compute.stageBytes.map { $0 >> 20 },
                            pointwiseFlattening: Compute.pointwiseFlatteningPixels)
        if json { return try printJSON(result) }
        print(String(format: "forward %.0f images/s, forward+input gradient %.0f images/s (batch %d, %d threads)",
                     forward, gradient, batchSize, result.threads))
        if let cost {
            print(String(format: "exact decomposition over all %d path lengths: %.1f input-gradient passes", network.blockCount, cost))
        }
    }

    /// Images per second: one warm-up call, then the median of repeated timed calls.
    static func rate(seconds: Double, batch: Int, _ body: () throws -> Void) throws -> Double {
        try body()
        var times: [Double] = []
        let start = Date()
        repeat {
            let t = Date()
            try body()
            times.append(Date().timeIntervalSince(t))
        } while Date().timeIntervalSince(start) < seconds || times.count < 3
        times.sort()
        return Double(batch) / times[times.count / 2]
    }
}
