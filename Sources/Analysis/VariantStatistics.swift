import Foundation
import Nets

/// What one variant did on some images, as sums, so that batches, shards and resumed runs add up.
/// Differences are paired: the same images under the variant and under the intact network.
public struct VariantStatistics: Equatable, Sendable {
    public var images = 0.0
    public var wrong = 0.0
    public var loss = 0.0
    /// Σ (wrong under the variant − wrong intact), and Σ of its squares, over images.
    public var wrongDifference = 0.0
    public var wrongDifferenceSquares = 0.0
    /// Σ (loss under the variant − loss intact), and Σ of its squares.
    public var lossDifference = 0.0
    public var lossDifferenceSquares = 0.0
    public var classWrong: [Double]
    public var classCount: [Double]

    public init(classes: Int) {
        classWrong = [Double](repeating: 0, count: classes)
        classCount = [Double](repeating: 0, count: classes)
    }

    /// The statistics of one batch.
    public init(logits: Tensor, intact: Tensor, labels: [Int], classes: Int) {
        self.init(classes: classes)
        let predicted = Loss.predictions(logits), intactPredicted = Loss.predictions(intact)
        let losses = Loss.crossEntropy(logits, labels: labels), intactLosses = Loss.crossEntropy(intact, labels: labels)
        for (i, label) in labels.enumerated() {
            let w = predicted[i] == label ? 0.0 : 1.0
            let d = w - (intactPredicted[i] == label ? 0.0 : 1.0)
            let l = Double(losses[i]), dl = Double(losses[i]) - Double(intactLosses[i])
            images += 1; wrong += w; loss += l
            wrongDifference += d; wrongDifferenceSquares += d * d
            lossDifference += dl; lossDifferenceSquares += dl * dl
            classWrong[label] += w; classCount[label] += 1
        }
    }

    public static func + (a: VariantStatistics, b: VariantStatistics) -> VariantStatistics {
        var sum = a
        sum.images += b.images; sum.wrong += b.wrong; sum.loss += b.loss
        sum.wrongDifference += b.wrongDifference; sum.wrongDifferenceSquares += b.wrongDifferenceSquares
        sum.lossDifference += b.lossDifference; sum.lossDifferenceSquares += b.lossDifferenceSquares
        sum.classWrong = zip(a.classWrong, b.classWrong).map(+)
        sum.classCount = zip(a.classCount, b.classCount).map(+)
        return sum
    }

    // MARK: - Rows in a results file

    public static let scalarColumns = ["images", "wrong", "loss", "wrong_difference", "wrong_difference_squares",
                                       "loss_difference", "loss_difference_squares"]

    public static func columns(classes: Int) -> [String] {
        scalarColumns + (0..<classes).map { "class_wrong_\($0)" } + (0..<classes).map { "class_count_\($0)" }
    }

    public var row: [Double] {
        [images, wrong, loss, wrongDifference, wrongDifferenceSquares, lossDifference, lossDifferenceSquares]
            + classWrong + classCount
    }

    public init(row: ArraySlice<Double>, classes: Int) {
        let r = Array(row)
        self.init(classes: classes)
        (images, wrong, loss) = (r[0], r[1], r[2])
        (wrongDifference, wrongDifferenceSquares, lossDifference, lossDifferenceSquares) = (r[3], r[4], r[5], r[6])
        classWrong = Array(r[7..<(7 + classes)])
        classCount = Array(r[(7 + classes)..<(7 + 2 * classes)])
    }

    // MARK: - Summaries

    public var error: Double { wrong / max(images, 1) }
    public var meanLoss: Double { loss / max(images, 1) }
    public var classError: [Double] { zip(classWrong, classCount).map { $1 > 0 ? $0 / $1 : .nan } }

    /// The change in error against the intact network, with a paired 95% confidence interval.
    public var deltaError: Estimate { Estimate(sum: wrongDifference, squares: wrongDifferenceSquares, count: images) }
    /// The change in mean loss, with a paired 95% confidence interval.
    public var deltaLoss: Estimate { Estimate(sum: lossDifference, squares: lossDifferenceSquares, count: images) }
}

/// A mean with a normal-approximation 95% confidence interval from paired differences.
public struct Estimate: Equatable, Sendable, Codable {
    public var mean: Double
    public var low: Double
    public var high: Double

    init(sum: Double, squares: Double, count: Double) {
        mean = sum / max(count, 1)
        let variance = count > 1 ? max(0, (squares - count * mean * mean) / (count - 1)) : 0
        let half = 1.959963984540054 * (variance / max(count, 1)).squareRoot()
        (low, high) = (mean - half, mean + half)
    }
}
