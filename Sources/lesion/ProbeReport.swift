import Analysis
import Foundation
import Nets

/// Tables and JSON for the representation probes.
struct ProbeReport: Encodable {
    struct LensLine: Encodable {
        var block: Int
        /// The head on the block's output (nil where its channels are not the head's).
        var error: Double?
        var loss: Double?
        var agreement: Double?
        /// Through the fitted projection (with --project).
        var projectedError: Double?
        var projectedLoss: Double?
        var projectedAgreement: Double?
    }

    struct Lens: Encodable {
        var headChannels: Int
        var images: Int
        var blocks: [LensLine]
        var skipped: [String]
    }

    struct Linear: Encodable {
        var ridgeAlpha: Double
        var split: String
        var fittingImages: Int
        var evaluatedImages: Int
        var networkAccuracy: Double
        var accuracy: [Double]
    }

    struct CKA: Encodable {
        var rows: String
        var columns: String
        var minibatches: Int
        var images: Int
        var imagesLeftOut: Int
        var matrix: [[Double]]
    }

    struct Inference: Encodable {
        var images: Int
        var cosine: [Double?]
        var relativeNorm: [Double]
    }

    var lens: Lens?
    var linear: Linear?
    var cka: CKA?
    var inference: Inference?

    init(_ probes: [Probe]) {
        for probe in probes {
            if let p = probe as? LogitLens {
                lens = Lens(headChannels: p.headChannels, images: p.evaluated,
                            blocks: (0..<p.network.blockCount).map { b in
                                LensLine(block: b, error: finite(p.error[b]), loss: finite(p.loss[b]), agreement: finite(p.agreement[b]),
                                         projectedError: finite(p.projectedError[b]), projectedLoss: finite(p.projectedLoss[b]),
                                         projectedAgreement: finite(p.projectedAgreement[b]))
                            },
                            skipped: p.skipped.keys.sorted().map { "block \($0): \(p.skipped[$0]!)" })
            } else if let p = probe as? LinearProbes {
                linear = Linear(ridgeAlpha: p.alpha, split: p.split.summary, fittingImages: p.fittingImages, evaluatedImages: p.evaluated,
                                networkAccuracy: Double(p.networkCorrect) / Double(max(p.evaluated, 1)), accuracy: p.accuracy)
            } else if let p = probe as? BlockCKA {
                let m = p.matrix
                cka = CKA(rows: p.network.architecture.name, columns: (p.other ?? p.network).architecture.name, minibatches: p.minibatches,
                          images: p.imagesUsed, imagesLeftOut: p.imagesLeftOut,
                          matrix: (0..<p.rowsCount).map { Array(m[($0 * p.columnsCount)..<(($0 + 1) * p.columnsCount)]) })
            } else if let p = probe as? IterativeInference {
                inference = Inference(images: p.images, cosine: p.cosine.map(finite), relativeNorm: p.relativeNorm)
            }
        }
    }

    static func print(_ probes: [Probe], network: Network) {
        let report = ProbeReport(probes)
        let names = network.architecture.blocks.map(\.name)
        func number(_ value: Double?, _ format: String = "%.4f") -> String { value.map { String(format: format, $0) } ?? "–" }
        if let lens = report.lens {
            Swift.print("logit lens: the head (\(lens.headChannels) channels) on each block's output, \(lens.images) images")
            let projected = lens.blocks.contains { $0.projectedError != nil }
            var table = TextColumns(["block", "name", "error", "loss", "agrees with the network"]
                                    + (projected ? ["projected: error", "loss", "agrees"] : []),
                                    [.right, .left, .right, .right, .right] + (projected ? [.right, .right, .right] : []))
            for line in lens.blocks {
                table.append(["\(line.block)", names[line.block], number(line.error), number(line.loss), number(line.agreement)]
                             + (projected ? [number(line.projectedError), number(line.projectedLoss), number(line.projectedAgreement)] : []))
            }
            for text in table.lines() { Swift.print(text) }
            let skipped = lens.blocks.filter { $0.error == nil }.map(\.block)
            if !skipped.isEmpty {
                Swift.print("  –: blocks \(ranges(skipped)), whose channels are not the head's"
                            + (projected ? "" : " (--project reads every block through a fitted map)"))
            }
        }
        if let linear = report.linear {
            Swift.print("linear probes: ridge on one-hot targets (α \(linear.ridgeAlpha)), fitted on \(linear.fittingImages) images "
                        + "(\(linear.split)), accuracy on \(linear.evaluatedImages) held out; the network itself: "
                        + number(linear.networkAccuracy))
            var table = TextColumns(["block", "name", "features", "accuracy"], [.right, .left, .right, .right])
            for (block, accuracy) in linear.accuracy.enumerated() {
                table.append(["\(block)", names[block], "\(network.blockShapes(block).output[2])", number(accuracy)])
            }
            for text in table.lines() { Swift.print(text) }
        }
        if let cka = report.cka {
            Swift.print("CKA (linear, minibatch unbiased HSIC): \(cka.rows) × \(cka.columns), \(cka.minibatches) minibatches of "
                        + "\(cka.images) images" + (cka.imagesLeftOut > 0 ? " (\(cka.imagesLeftOut) left out: under 4 in a minibatch)" : ""))
            let sameNetwork = cka.rows == cka.columns && cka.matrix.count == cka.matrix.first?.count
            var table = TextColumns(["block", "name", sameNetwork ? "with the next" : "most similar column", sameNetwork ? "with the last" : "CKA"],
                                    [.right, .left, .right, .right])
            for (i, row) in cka.matrix.enumerated() {
                if sameNetwork {
                    table.append(["\(i)", names[i], i + 1 < row.count ? number(row[i + 1]) : "–", number(row.last)])
                } else {
                    let best = row.indices.max { row[$0] < row[$1] } ?? 0
                    table.append(["\(i)", names[i], "\(best)", number(row.isEmpty ? nil : row[best])])
                }
            }
            for text in table.lines() { Swift.print(text) }
        }
        if let inference = report.inference {
            Swift.print("iterative inference: cos(f(h), −∂L/∂h) and ‖f(h)‖/‖h‖ per block, \(inference.images) images")
            var table = TextColumns(["block", "name", "cosine", "relative norm"], [.right, .left, .right, .right])
            for (block, cosine) in inference.cosine.enumerated() {
                table.append(["\(block)", names[block], number(cosine), number(inference.relativeNorm[block])])
            }
            for text in table.lines() { Swift.print(text) }
        }
    }
}

/// "0–17, 20": runs of consecutive numbers as ranges.
func ranges(_ numbers: [Int]) -> String {
    var parts: [String] = []
    var start = numbers.first, previous = numbers.first
    for n in numbers.dropFirst() + [Int.min] {
        if let p = previous, n == p + 1 { previous = n; continue }
        if let s = start, let p = previous { parts.append(s == p ? "\(s)" : "\(s)–\(p)") }
        (start, previous) = (n, n)
    }
    return parts.joined(separator: ", ")
}

private func finite(_ value: Double) -> Double? { value.isFinite ? value : nil }
