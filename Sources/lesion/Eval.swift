import Analysis
import ArgumentParser
import Foundation
import Nets

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Top-1 error, mean cross-entropy and speed of a model on a dataset.",
        discussion: """
            Example:
              lesion eval resnet56.h5 test.h5 --batch-size 256 --threads 2
            """)

    @Argument(help: "An Unravel model file.") var model: String
    @Argument(help: "An Unravel dataset file.") var data: String
    @OptionGroup var compute: ComputeOptions

    struct Result: Codable {
        var model: String
        var data: String
        var images: Int
        var error: Double
        var meanLoss: Double
        var imagesPerSecond: Double
        var threads: Int
        var batchSize: Int
        /// Passive when another process was busy as it started (WaitPolicy).
        var waitPolicy: WaitPolicy.Current
    }

    func run() throws {
        compute.apply()
        let network = try ModelFile.load(model)
        let dataset = try DatasetFile(data)
        try dataset.check(fits: network.architecture)
        if let mismatch = try dataset.scaleMismatch(for: network.architecture.preprocessing) { printError("lesion: warning: " + mismatch) }
        let batches = compute.batches(of: dataset.count)
        let progress = Progress("eval", total: batches.last?.upperBound ?? 0, quiet: compute.quiet)
        var wrong = 0, seen = 0, loss = 0.0, computeSeconds = 0.0
        for range in batches {
            let (images, labels) = try dataset.batch(range, preprocessing: network.architecture.preprocessing)
            let start = Date()
            let logits = try network.forward(images)
            computeSeconds += Date().timeIntervalSince(start)
            wrong += zip(Loss.predictions(logits), labels).filter { $0 != $1 }.count
            loss += Loss.crossEntropy(logits, labels: labels).reduce(0) { $0 + Double($1) }
            seen += range.count
            progress.advance(by: range.count)
        }
        progress.finish()
        let result = Result(model: model, data: data, images: seen, error: Double(wrong) / Double(max(seen, 1)),
                            meanLoss: loss / Double(max(seen, 1)), imagesPerSecond: Double(seen) / max(computeSeconds, 1e-9),
                            threads: Compute.threads, batchSize: compute.batchSize, waitPolicy: .now)
        if seen > 0, let numbers = Chance.unbeaten(error: result.error, classes: network.architecture.classes, images: seen) {
            printError("lesion: warning: the model is not better than chance on \(data) (\(numbers)); " + Chance.advice)
        }
        if compute.json { return try printJSON(result) }
        let waiting = result.waitPolicy == .passive ? ", passive waiting" : ""
        print(String(format: "%d images  top-1 error %.2f%%  mean loss %.4f  %.0f images/s (%d threads",
                     seen, result.error * 100, result.meanLoss, result.imagesPerSecond, result.threads) + waiting + ")")
    }
}
