import Foundation

/// The report's figures, one per experiment of Veit et al., each with its caption and a file
/// name (`lesion report --figures DIR` writes NAME.svg). A network has the same colour in every
/// figure: its place in the file.
public enum ReportFigures {
    public struct Figure {
        public var name: String
        public var svg: String
        public var caption: String
    }

    public static func all(_ results: StudyResults) -> [Figure] {
        let networks = results.networks
        func color(_ n: StudyResults.NetworkResults) -> String {
            let i = networks.firstIndex { $0.name == n.name && $0.group == n.group } ?? 0
            return SVGChart.palette[i % SVGChart.palette.count]
        }
        // A plain network has one path, of full length: nothing to see in the path figures.
        let unraveled = networks.filter { ($0.pathShares?.y.filter { $0 > 0 }.count ?? 0) > 1 }
        let singlePath = networks.filter { n in !unraveled.contains { $0.name == n.name } && n.pathShares != nil }.map(\.name)
        let leftOut = singlePath.isEmpty ? "" : " Left out, having a single path: \(singlePath.joined(separator: ", "))."
        var figures: [Figure] = []
        // A figure whose experiment is not in the file is left out rather than drawn empty.
        func add(_ name: String, _ chart: SVGChart, _ caption: String) {
            if chart.series.contains(where: { !$0.x.isEmpty }) { figures.append(Figure(name: name, svg: chart.render(), caption: caption)) }
        }

        var dropOne = SVGChart(title: "Error when one block is removed", xLabel: "removed block", yLabel: "test error")
        dropOne.yAsPercent = true
        for n in networks {
            guard let series = n.dropOne else { continue }
            dropOne.series.append(.init(label: n.name, x: series.x, y: series.y, mark: .line, color: color(n),
                                        errorBars: n.dropOneInterval))
            if let intact = n.intactError {
                dropOne.series.append(.init(label: "\(n.name), intact", x: [series.x.min() ?? 0, series.x.max() ?? 0],
                                            y: [intact, intact], mark: .dashed, color: color(n)))
            }
        }
        for n in networks {
            guard let fresh = n.perBlock.first(where: { $0.kind == .dropOne && $0.recalibrated }) else { continue }
            dropOne.series.append(.init(label: "\(n.name), batch norms re-estimated", x: fresh.blocks, y: fresh.error, mark: .dashed, color: color(n)))
        }
        markDownsampling(&dropOne, networks) { $0.dropOne != nil }
        add("drop-one", dropOne, """
            Veit et al. (Fig. 3): removing one block of a ResNet barely changes the error, except at the \
            downsampling blocks; in a plain network (VGG there) every removal is catastrophic. Bars are paired \
            95% intervals of the error (the same images with and without the block). Plain blocks that change \
            the shape cannot be removed and have no point.
            """)

        figures += classErrorMaps(networks)

        var dropMany = SVGChart(title: "Error when k random blocks are removed", xLabel: "blocks removed (k)", yLabel: "test error")
        dropMany.yAsPercent = true
        for n in networks {
            guard let d = n.dropMany else { continue }
            dropMany.series.append(.init(label: n.name, x: d.k, y: d.mean, mark: .line, color: color(n), band: (d.low, d.high)))
        }
        add("drop-many", dropMany, """
            Veit et al. (Fig. 5a): the error grows smoothly with the number of removed blocks, as an \
            ensemble's would. Lines are means over the random sets; bands span the lowest to the highest set, \
            the spread that dominates here (each set's own paired 95% interval is in the results file).
            """)

        var reorder = SVGChart(title: "Error against Kendall τ of reordered blocks", xLabel: "Kendall τ (1 = original order)", yLabel: "test error")
        reorder.yAsPercent = true
        for n in networks {
            guard let r = n.reorder else { continue }
            reorder.series.append(.init(label: n.name, x: r.x, y: r.y, mark: .points, color: color(n), errorBars: n.reorderInterval))
        }
        add("reorder", reorder, """
            Veit et al. (Fig. 5b): swapping pairs of compatible blocks degrades the error smoothly as the order \
            departs from the original (lower τ). Bars are paired 95% intervals.
            """)

        var paths = SVGChart(title: "Distribution of path lengths", xLabel: "path length (blocks whose branch the path takes)", yLabel: "share of paths")
        for n in unraveled {
            guard let p = n.pathShares else { continue }
            paths.series.append(.init(label: n.name, x: p.x, y: p.y, mark: .bars, color: color(n)))
        }
        add("path-lengths", paths, """
            Veit et al. (Fig. 6a): n blocks give 2ⁿ paths, binomially distributed in length; for n = 54, 95% of \
            paths are 20 to 34 blocks long. A plain block has no shortcut, so every path takes it.
            """ + leftOut)

        var magnitude = SVGChart(title: "Gradient magnitude per path, by path length", xLabel: "path length", yLabel: "‖∂L/∂x‖ per path")
        magnitude.logY = true
        var total = SVGChart(title: "Total gradient contribution by path length", xLabel: "path length", yLabel: "contribution")
        for n in unraveled {
            if let m = n.perPathMagnitude {
                magnitude.series.append(.init(label: "\(n.name) (\(n.gradientMethod ?? ""))", x: m.x, y: m.y, mark: .line, color: color(n)))
            }
            if let t = n.totalContribution {
                total.series.append(.init(label: n.name, x: t.x, y: t.y, mark: .line, color: color(n)))
                if let range = n.effectiveLengths {
                    total.shaded.append((Double(range.lowerBound)...Double(range.upperBound), "\(n.name): 90% of the total", color(n)))
                }
            }
        }
        add("gradient-per-path", magnitude, """
            Veit et al. (Fig. 6b): the gradient a path carries falls exponentially with its length. Exact: the \
            norm of the summed input gradient of all paths of a length, divided by their number. Sampled: Veit \
            et al.'s measurement, the norm of one sampled path's gradient.
            """)
        add("gradient-total", total, """
            Veit et al. (Fig. 6c): path count × magnitude. Almost all of the gradient comes from short paths: \
            5 to 17 blocks of ResNet-110's 54, only 0.45% of its paths. Each shaded range holds 90% of a network's total.
            """ + leftOut)

        figures += interventions(networks, color: color)
        figures += probes(networks, color: color)

        if networks.contains(where: { $0.gates != nil }) {
            var gates = SVGChart(title: "Highway transform gates", xLabel: "block", yLabel: "mean T (0 carries, 1 transforms)")
            for n in networks {
                guard let g = n.gates else { continue }
                gates.series.append(.init(label: n.name, x: g.x, y: g.y, mark: .line, color: color(n)))
            }
            add("highway-gates", gates, "Highway layers: how much each transforms rather than carries, averaged over units and images.")
        }
        return figures
    }

    /// Marks the downsampling blocks of the first network drawn in `chart` that has them.
    static func markDownsampling(_ chart: inout SVGChart, _ networks: [StudyResults.NetworkResults],
                                 drawn: (StudyResults.NetworkResults) -> Bool) {
        if let marked = networks.first(where: { !$0.downsampling.isEmpty && drawn($0) }) {
            chart.markers = (marked.downsampling.map(Double.init), "downsampling block")
        }
    }
}
