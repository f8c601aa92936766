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
                order: ExperimentKind.parse(id: run.id)?.kind == .reorder ? run.variants[v].order : nil,
                error: totals[v].error, loss: totals[v].meanLoss,
                deltaError: totals[v].deltaError, deltaLoss: totals[v].deltaLoss,
                columns: run.columns.mapValues { $0[v] })
        }
    }

    static func percent(_ x: Double) -> String { String(format: "%.2f%%", x * 100) }
    static func points(_ e: Estimate) -> String {
        String(format: "%+.2f [%+.2f, %+.2f]", e.mean * 100, e.low * 100, e.high * 100)
    }

    static func header(_ title: String, _ report: ExperimentReport) -> String {
        "\(title): \(Int(report.images)) images, intact error \(percent(report.intactError))"
            + (report.complete ? "" : " (partial: this shard's part only)")
    }

    /// A block's number, starred when it downsamples.
    static func blockCell(_ block: Int, _ network: Network) -> String {
        "\(block)" + (network.downsamplingBlocks.contains(block) ? "*" : " ")
    }

    /// Drop-one: a line per block.
    static func dropOneTable(_ run: ExperimentRun, network: Network) -> String {
        let report = ExperimentReport(run)
        var table = TextColumns(["block ", "name", "error", "Δ error, points [95% CI]"], [.right, .left, .right, .left])
        for row in report.variants.dropFirst() {
            let block = row.dropped[0]
            table.append([blockCell(block, network), network.architecture.blocks[block].name, percent(row.error), points(row.deltaError)])
        }
        var lines = [header("drop one block", report)] + table.lines()
        let skipped = (0..<network.blockCount).filter { network.dropRefusal($0) != nil }
        if !skipped.isEmpty { lines.append("  not removable (plain blocks that change shape): \(skipped.map(String.init).joined(separator: ", "))") }
        lines.append("  * downsampling block")
        return lines.joined(separator: "\n")
    }

    /// Drop-many and reorder: one line per k (blocks removed, or swaps).
    static func groupedTable(_ run: ExperimentRun, key: String, title: String, keyName: String) -> String {
        let report = ExperimentReport(run)
        let swaps = key == "swaps"
        var table = TextColumns([keyName, "variants", "mean error", "min", "max"] + (swaps ? ["mean Kendall τ"] : []),
                                [.right, .right, .right, .right, .right] + (swaps ? [.right] : []))
        let groups = Dictionary(grouping: report.variants.dropFirst()) { Int($0.columns[key] ?? 0) }
        for k in groups.keys.sorted() {
            let rows = groups[k]!
            let errors = rows.map(\.error)
            var cells = ["\(k)", "\(rows.count)", percent(errors.reduce(0, +) / Double(errors.count)),
                         percent(errors.min()!), percent(errors.max()!)]
            if swaps {
                let taus = rows.compactMap { $0.columns["kendall_tau"] }
                cells.append(String(format: "%.3f", taus.reduce(0, +) / Double(max(taus.count, 1))))
            }
            table.append(cells)
        }
        return ([header(title, report)] + table.lines()).joined(separator: "\n")
    }

    /// Duplicate and scale: a line per block, a column per α.
    static func perBlockTable(_ run: ExperimentRun, network: Network, title: String, skipped: [Int], why: String) -> String {
        let report = ExperimentReport(run)
        let alphas = Array(Set(report.variants.dropFirst().compactMap { $0.columns["alpha"] })).sorted()
        let byAlpha = !alphas.isEmpty && ExperimentKind.parse(id: run.id)?.kind == .scale
        var table = byAlpha
            ? TextColumns(["block ", "name"] + alphas.map { String(format: "α=%g", $0) }, [.right, .left] + alphas.map { _ in .right })
            : TextColumns(["block ", "name", "error", "Δ error, points [95% CI]"], [.right, .left, .right, .left])
        let rows = Dictionary(grouping: report.variants.dropFirst()) { Int($0.columns["block"] ?? -1) }
        for block in rows.keys.sorted() {
            var cells = [blockCell(block, network), network.architecture.blocks[block].name]
            if byAlpha {
                let errors = Dictionary(rows[block]!.map { ($0.columns["alpha"] ?? 1, $0.error) }, uniquingKeysWith: { a, _ in a })
                cells += alphas.map { percent(errors[$0] ?? .nan) }
            } else {
                let row = rows[block]![0]
                cells += [percent(row.error), points(row.deltaError)]
            }
            table.append(cells)
        }
        var lines = [header(title, report)] + table.lines()
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
        guard let (kind, recalibrated) = ExperimentKind.parse(id: run.id) else { return variantTable(run) }
        let table = kindTable(kind, run, network: network)
        guard recalibrated, let recalibration = run.recalibration else { return table }
        return "with batch norms re-estimated on \(recalibration.imageCount) images, " + table
    }

    static func kindTable(_ kind: ExperimentKind, _ run: ExperimentRun, network: Network) -> String {
        switch kind {
        case .dropOne: return dropOneTable(run, network: network)
        case .dropMany: return groupedTable(run, key: "k", title: "drop k random blocks", keyName: "k")
        case .reorder: return groupedTable(run, key: "swaps", title: "reorder by k swaps", keyName: "swaps")
        case .duplicate:
            return perBlockTable(run, network: network, title: "duplicate each block", skipped: Duplicate().skipped(for: network),
                                 why: "they change the shape")
        case .ablate:
            return perBlockTable(run, network: network, title: "replace each branch by its mean", skipped: [], why: "")
        case .reinit:
            return perBlockTable(run, network: network, title: "re-initialise each block", skipped: [], why: "")
        case .scale:
            return perBlockTable(run, network: network, title: "scale each branch by α (error)", skipped: ScaleBranches.skipped(for: network),
                                 why: "plain blocks, which have no shortcut")
        }
    }

    /// A user's experiment: a line per variant.
    static func variantTable(_ run: ExperimentRun) -> String {
        let report = ExperimentReport(run)
        var table = TextColumns(["variant", "error", "Δ error, points [95% CI]"], [.right, .right, .left])
        for (v, row) in report.variants.enumerated().dropFirst() { table.append(["\(v)", percent(row.error), points(row.deltaError)]) }
        return ([header(run.id, report)] + table.lines()).joined(separator: "\n")
    }
}
