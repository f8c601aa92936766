import Analysis
import Foundation
import Nets

/// The compact tables on stdout and the --json form of experiment results.
struct ExperimentReport: Encodable {
    struct Row: Encodable {
        var dropped: [Int]
        var order: [Int]?
        var error: Double
        var loss: Double
        var deltaError: Estimate
        var deltaLoss: Estimate
        var columns: [String: Double]
    }

    var experiment: String
    var complete: Bool
    var images: Double
    var intactError: Double
    var variants: [Row]

    init(_ run: ExperimentRun) {
        let totals = run.totals
        experiment = run.id
        complete = run.isComplete
        images = totals.first?.images ?? 0
        intactError = totals.first?.error ?? .nan
        variants = run.variants.indices.map { v in
            Row(dropped: run.variants[v].droppedBlocks,
                order: run.id == "reorder" ? run.variants[v].order : nil,
                error: totals[v].error, loss: totals[v].meanLoss,
                deltaError: totals[v].deltaError, deltaLoss: totals[v].deltaLoss,
                columns: run.columns.mapValues { $0[v] })
        }
    }

    static func percent(_ x: Double) -> String { String(format: "%.2f%%", x * 100) }
    static func points(_ e: Estimate) -> String {
        String(format: "%+.2f [%+.2f, %+.2f]", e.mean * 100, e.low * 100, e.high * 100)
    }

    /// Drop-one: a line per block.
    static func dropOneTable(_ run: ExperimentRun, network: Network) -> String {
        let report = ExperimentReport(run)
        var lines = ["drop one block: \(Int(report.images)) images, intact error \(percent(report.intactError))"
                     + (report.complete ? "" : " (partial: this shard's part only)"),
                     "  block  name          error    Δ error, points [95% CI]"]
        let downsampling = Set(network.downsamplingBlocks)
        for row in report.variants.dropFirst() {
            let block = row.dropped[0]
            let name = network.architecture.blocks[block].name
            lines.append(String(format: "  %3d%@  ", block, downsampling.contains(block) ? "*" : " ")
                         + name.padding(toLength: 12, withPad: " ", startingAt: 0) + "  "
                         + percent(row.error).padding(toLength: 7, withPad: " ", startingAt: 0) + "  " + points(row.deltaError))
        }
        let skipped = (0..<network.blockCount).filter { network.dropRefusal($0) != nil }
        if !skipped.isEmpty { lines.append("  not removable (plain blocks that change shape): \(skipped.map(String.init).joined(separator: ", "))") }
        lines.append("  * downsampling block")
        return lines.joined(separator: "\n")
    }

    /// Drop-many and reorder: one line per k (blocks removed, or swaps).
    static func groupedTable(_ run: ExperimentRun, key: String, title: String, keyName: String) -> String {
        let report = ExperimentReport(run)
        var lines = ["\(title): \(Int(report.images)) images, intact error \(percent(report.intactError))"
                     + (report.complete ? "" : " (partial: this shard's part only)"),
                     "  \(keyName)  variants  mean error  min      max" + (key == "swaps" ? "      mean Kendall τ" : "")]
        let groups = Dictionary(grouping: report.variants.dropFirst()) { Int($0.columns[key] ?? 0) }
        for k in groups.keys.sorted() {
            let rows = groups[k]!
            let errors = rows.map(\.error)
            var line = String(format: "  %\(keyName.count)d  %8d  ", k, rows.count)
                + percent(errors.reduce(0, +) / Double(errors.count)).padding(toLength: 10, withPad: " ", startingAt: 0) + "  "
                + percent(errors.min()!).padding(toLength: 7, withPad: " ", startingAt: 0) + "  "
                + percent(errors.max()!).padding(toLength: 7, withPad: " ", startingAt: 0)
            if key == "swaps" {
                let taus = rows.compactMap { $0.columns["kendall_tau"] }
                line += String(format: "  %.3f", taus.reduce(0, +) / Double(max(taus.count, 1)))
            }
            lines.append(line.replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression))
        }
        return lines.joined(separator: "\n")
    }

    /// Duplicate and scale: a line per block, a column per α.
    static func perBlockTable(_ run: ExperimentRun, network: Network, title: String, skipped: [Int], why: String) -> String {
        let report = ExperimentReport(run)
        let alphas = Array(Set(report.variants.dropFirst().compactMap { $0.columns["alpha"] })).sorted()
        let byAlpha = !alphas.isEmpty && run.id.hasSuffix("scale")
        var header = "  block  name          "
        header += byAlpha ? alphas.map { String(format: "α=%-9g", $0) }.joined() : "error    Δ error, points [95% CI]"
        var lines = ["\(title): \(Int(report.images)) images, intact error \(percent(report.intactError))"
                     + (report.complete ? "" : " (partial: this shard's part only)"), header]
        let downsampling = Set(network.downsamplingBlocks)
        let rows = Dictionary(grouping: report.variants.dropFirst()) { Int($0.columns["block"] ?? -1) }
        for block in rows.keys.sorted() {
            let name = network.architecture.blocks[block].name
            var line = String(format: "  %3d%@  ", block, downsampling.contains(block) ? "*" : " ")
                + name.padding(toLength: 12, withPad: " ", startingAt: 0) + "  "
            if byAlpha {
                let errors = Dictionary(rows[block]!.map { ($0.columns["alpha"] ?? 1, $0.error) }, uniquingKeysWith: { a, _ in a })
                line += alphas.map { percent(errors[$0] ?? .nan).padding(toLength: 11, withPad: " ", startingAt: 0) }.joined()
            } else {
                let row = rows[block]![0]
                line += percent(row.error).padding(toLength: 7, withPad: " ", startingAt: 0) + "  " + points(row.deltaError)
            }
            lines.append(line.replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression))
        }
        if !skipped.isEmpty { lines.append("  left out (\(why)): \(skipped.map(String.init).joined(separator: ", "))") }
        lines.append("  * downsampling block")
        return lines.joined(separator: "\n")
    }

    static func table(_ run: ExperimentRun, network: Network) -> String {
        var text = experimentTable(run, network: network)
        if run.batchesEvaluated > 0 {
            // The intact pass (n blocks) is shared by every experiment on the batch.
            let ours = Double(run.blockEvaluations) / Double(run.batchesEvaluated) + Double(network.blockCount)
            text += String(format: "\n  block evaluations per batch: %.0f (a naive loop: %d)", ours, run.naiveBlockEvaluations)
        }
        if let recalibration = run.recalibration, recalibration.walkBlockEvaluations > 0 {
            // A naive re-estimation runs every variant's whole network over the images.
            text += "\n  batch-norm re-estimation: \(recalibration.walkBlockEvaluations) block evaluations per "
                + "recalibration image (a naive loop: \(run.naiveBlockEvaluations))"
        }
        return text
    }

    static func experimentTable(_ run: ExperimentRun, network: Network) -> String {
        // A multi-network study prefixes the id with the network's group ("resnet56/drop_one").
        var kind = run.id.split(separator: "/").last.map(String.init) ?? run.id
        if kind.hasSuffix("_recalibrated"), let recalibration = run.recalibration {
            kind.removeLast("_recalibrated".count)
            return "with batch norms re-estimated on \(recalibration.imageCount) images, "
                + kindTable(kind, run, network: network)
        }
        return kindTable(kind, run, network: network)
    }

    static func kindTable(_ kind: String, _ run: ExperimentRun, network: Network) -> String {
        switch kind {
        case "drop_one": return dropOneTable(run, network: network)
        case "drop_many": return groupedTable(run, key: "k", title: "drop k random blocks", keyName: "k")
        case "duplicate":
            return perBlockTable(run, network: network, title: "duplicate each block", skipped: Duplicate().skipped(for: network),
                                 why: "they change the shape")
        case "ablate":
            return perBlockTable(run, network: network, title: "replace each branch by its mean", skipped: [], why: "")
        case "reinit":
            return perBlockTable(run, network: network, title: "re-initialise each block", skipped: [], why: "")
        case "scale":
            return perBlockTable(run, network: network, title: "scale each branch by α (error)", skipped: ScaleBranches.skipped(for: network),
                                 why: "plain blocks, which have no shortcut")
        default: return groupedTable(run, key: "swaps", title: "reorder by k swaps", keyName: "swaps")
        }
    }
}
