import Foundation

/// The report's per-block figures beyond drop-one's line: the per-class map, and the
/// interventions of `lesion duplicate`, `ablate`, `reinit` and `scale`.
extension ReportFigures {
    /// Drop one, per class: which classes each removal hurts (class_error).
    static func classErrorMaps(_ networks: [StudyResults.NetworkResults]) -> [Figure] {
        networks.enumerated().compactMap { i, n in
            guard let rows = n.dropOneClassError, let removed = n.dropOne, rows.count == removed.x.count + 1 else { return nil }
            let map = SVGHeatMap(title: "Error per class when one block is removed: \(n.name)", rowLabel: "removed block",
                                 columnLabel: "class", rows: ["none"] + removed.x.map { "\(Int($0))" },
                                 columns: rows[0].indices.map(String.init), values: rows, scale: ("0%", "100% of the class wrong"))
            return Figure(name: "drop-one-classes-\(i)", svg: map.render(), caption: """
                The error on each class (columns) with each block removed (rows; "none" is the intact network). A block \
                whose removal hurts only some classes holds something those classes need.
                """)
        }
    }

    /// Duplicate, mean ablation, re-initialisation and branch scaling, one block at a time, each
    /// beside its batch-norm re-estimated twin when the file has it.
    static func interventions(_ networks: [StudyResults.NetworkResults], color: (StudyResults.NetworkResults) -> String) -> [Figure] {
        var figures: [Figure] = []
        let kinds: [(ExperimentKind, String, String)] = [
            (.duplicate, "Error when one block is run twice",
             "The original lesion code's third operation: the block's output fed back as its input. Blocks that refine one representation (Greff et al. 2017) should cost little."),
            (.ablate, "Error when one branch is replaced by its mean",
             "Mean ablation keeps what a branch adds on average and removes only what it says about each image."),
            (.reinit, "Error when one block is re-initialised",
             "Zhang, Bengio & Singer (2019): blocks whose error barely moves when redrawn as at initialisation are robust; the others are critical."),
        ]
        for (kind, title, caption) in kinds where networks.contains(where: { n in n.perBlock.contains { $0.kind == kind } }) {
            var chart = SVGChart(title: title, xLabel: "block", yLabel: "test error")
            chart.yAsPercent = true
            for n in networks {
                for run in n.perBlock where run.kind == kind {
                    chart.series.append(.init(label: n.name + (run.recalibrated ? ", batch norms re-estimated" : ""), x: run.blocks, y: run.error,
                                              mark: run.recalibrated ? .dashed : .line, color: color(n),
                                              errorBars: run.recalibrated ? nil : (run.low, run.high)))
                }
            }
            figures.append(Figure(name: kind.rawValue, svg: chart.render(), caption: caption + " Bars are paired 95% intervals."))
        }
        for (i, n) in networks.enumerated() {
            for run in n.perBlock where run.kind == .scale {
                guard let alphas = run.alphas else { continue }
                var chart = SVGChart(title: "Branch scaled by α: \(n.name)" + (run.recalibrated ? ", BN re-estimated" : ""),
                                     xLabel: "block", yLabel: "test error")
                chart.yAsPercent = true
                for (j, alpha) in Set(alphas).sorted().enumerated() {
                    let rows = run.blocks.indices.filter { alphas[$0] == alpha }
                    chart.series.append(.init(label: String(format: "α = %g", alpha), x: rows.map { run.blocks[$0] }, y: rows.map { run.error[$0] },
                                              mark: .line, color: SVGChart.palette[j % SVGChart.palette.count],
                                              errorBars: (rows.map { run.low[$0] }, rows.map { run.high[$0] })))
                }
                figures.append(Figure(name: "scale-\(i)" + (run.recalibrated ? "-recalibrated" : ""), svg: chart.render(), caption: """
                    The dose-response of the lesion: y = shortcut(x) + α·f(x), one block at a time; α = 0 is the drop-one \
                    lesion and α = 1 the network as trained. Bars are paired 95% intervals.
                    """))
            }
        }
        return figures
    }
}
