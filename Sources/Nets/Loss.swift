import Foundation

/// Softmax cross-entropy and the gradients that seed a backward pass.
public enum Loss {
    /// Per-image cross-entropy, computed stably (log-sum-exp).
    public static func crossEntropy(_ logits: Tensor, labels: [Int]) -> [Float] {
        let classes = logits.shape[1]
        return (0..<logits.shape[0]).map { b in
            let row = UnsafeBufferPointer(start: logits.pointer + b * classes, count: classes)
            // A label outside the row would read another image's logits; DatasetFile.check refuses such files.
            precondition(row.indices.contains(labels[b]), "label \(labels[b]) outside the \(classes) classes")
            let top = row.max()!
            let logSum = log(row.reduce(0) { $0 + exp($1 - top) }) + top
            return logSum - row[labels[b]]
        }
    }

    /// The predicted class of each image (the first maximum, as argmax).
    public static func predictions(_ logits: Tensor) -> [Int] {
        let classes = logits.shape[1]
        return (0..<logits.shape[0]).map { b in
            let row = UnsafeBufferPointer(start: logits.pointer + b * classes, count: classes)
            return row.indices.max { row[$0] < row[$1] || (row[$0] == row[$1] && $0 > $1) }!
        }
    }

    /// The gradient at the logits that seeds a backward pass for `target`.
    public static func logitGradient(_ logits: Tensor, target: GradientTarget) throws -> Tensor {
        let (batch, classes) = (logits.shape[0], logits.shape[1])
        try target.check(batch: batch, classes: classes)
        switch target {
        case .logitGradient(let gradient):
            return gradient
        case .logits(let chosen), .crossEntropy(let chosen):
            let gradient = Tensor(zeros: [batch, classes])
            if case .logits = target {
                for b in 0..<batch { gradient.pointer[b * classes + chosen[b]] = 1 }
                return gradient
            }
            for b in 0..<batch {
                let row = logits.pointer + b * classes
                let top = (0..<classes).map { row[$0] }.max()!
                let exps = (0..<classes).map { exp(row[$0] - top) }
                let sum = exps.reduce(0, +)
                for k in 0..<classes { gradient.pointer[b * classes + k] = exps[k] / sum - (k == chosen[b] ? 1 : 0) }
            }
            return gradient
        }
    }
}

extension GradientTarget {
    /// Throws unless the target fits a batch of `batch` images and `classes` logits: one class in
    /// range per image, or a logit gradient of the logits' shape.
    func check(batch: Int, classes: Int) throws {
        switch self {
        case .crossEntropy(let chosen), .logits(let chosen):
            guard chosen.count == batch, chosen.allSatisfy({ (0..<classes).contains($0) }) else {
                throw NetsError("need one class in 0..<\(classes) per image for \(batch) images, got \(chosen.count)")
            }
        case .logitGradient(let gradient):
            guard gradient.shape == [batch, classes] else {
                throw NetsError("the logit gradient is \(gradient.shape), the logits [\(batch), \(classes)]")
            }
        }
    }
}
