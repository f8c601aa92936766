import Foundation

/// The self-contained HTML report of a results file: Veit et al.'s figures for this run, as
/// inline SVG, then the provenance. No scripts, no network access.
public enum ReportPage {
    public static func html(_ results: StudyResults) -> String {
        let networks = results.networks
        // A plain network has one path, of full length: nothing to see in the path figures.
        let unraveled = networks.filter { ($0.pathShares?.y.filter { $0 > 0 }.count ?? 0) > 1 }
        let singlePath = networks.filter { n in !unraveled.contains { $0.name == n.name } && n.pathShares != nil }.map(\.name)
        let leftOut = singlePath.isEmpty ? "" : " Left out, having a single path: \(singlePath.joined(separator: ", "))."
        func color(_ i: Int) -> String { SVGChart.palette[i % SVGChart.palette.count] }
        var figures: [(String, String)] = []

        var dropOne = SVGChart(title: "Error when one block is removed", xLabel: "removed block", yLabel: "test error")
        dropOne.yAsPercent = true
        for (i, n) in networks.enumerated() {
            guard let series = n.dropOne else { continue }
            dropOne.series.append(.init(label: n.name, x: series.x, y: series.y, mark: .line, color: color(i)))
            if let intact = n.intactError {
                dropOne.series.append(.init(label: "\(n.name), intact", x: [series.x.min() ?? 0, series.x.max() ?? 0],
                                            y: [intact, intact], mark: .dashed, color: color(i)))
            }
        }
        if let marked = networks.first(where: { !$0.downsampling.isEmpty && $0.dropOne != nil }) {
            dropOne.markers = (marked.downsampling.map(Double.init), "downsampling block")
        }
        figures.append((dropOne.render(), """
            Veit et al. (Fig. 3): removing one block of a ResNet barely changes the error, except at the
            downsampling blocks; in a plain network (VGG there) every removal is catastrophic. Plain blocks
            that change the shape cannot be removed and have no point.
            """))

        var dropMany = SVGChart(title: "Error when k random blocks are removed", xLabel: "blocks removed (k)", yLabel: "test error")
        dropMany.yAsPercent = true
        for (i, n) in networks.enumerated() {
            guard let d = n.dropMany else { continue }
            dropMany.series.append(.init(label: n.name, x: d.k, y: d.mean, mark: .line, color: color(i), band: (d.low, d.high)))
        }
        figures.append((dropMany.render(), """
            Veit et al. (Fig. 5a): the error grows smoothly with the number of removed blocks, as an
            ensemble's would. Lines are means over the random sets; bands span the lowest to the highest.
            """))

        var reorder = SVGChart(title: "Error against Kendall τ of reordered blocks", xLabel: "Kendall τ (1 = original order)", yLabel: "test error")
        reorder.yAsPercent = true
        for (i, n) in networks.enumerated() {
            guard let r = n.reorder else { continue }
            reorder.series.append(.init(label: n.name, x: r.x, y: r.y, mark: .points, color: color(i)))
        }
        figures.append((reorder.render(), """
            Veit et al. (Fig. 5b): swapping pairs of compatible blocks degrades the error smoothly as the order
            departs from the original (lower τ).
            """))

        var paths = SVGChart(title: "Distribution of path lengths", xLabel: "path length (blocks whose branch the path takes)", yLabel: "share of paths")
        for (i, n) in unraveled.enumerated() {
            guard let p = n.pathShares else { continue }
            paths.series.append(.init(label: n.name, x: p.x, y: p.y, mark: .bars, color: color(i)))
        }
        figures.append((paths.render(), """
            Veit et al. (Fig. 6a): n blocks give 2ⁿ paths, binomially distributed in length; for n = 54, 95% of
            paths are 20 to 34 blocks long. A plain block has no shortcut, so every path takes it.
            """ + leftOut))

        var magnitude = SVGChart(title: "Gradient magnitude per path, by path length", xLabel: "path length", yLabel: "‖∂L/∂x‖ per path")
        magnitude.logY = true
        var total = SVGChart(title: "Total gradient contribution by path length", xLabel: "path length", yLabel: "contribution")
        for (i, n) in unraveled.enumerated() {
            if let m = n.perPathMagnitude {
                magnitude.series.append(.init(label: "\(n.name) (\(n.gradientMethod ?? ""))", x: m.x, y: m.y, mark: .line, color: color(i)))
            }
            if let t = n.totalContribution {
                total.series.append(.init(label: n.name, x: t.x, y: t.y, mark: .line, color: color(i)))
                if let range = n.effectiveLengths {
                    total.shaded.append((Double(range.lowerBound)...Double(range.upperBound), "\(n.name): 90% of the total"))
                }
            }
        }
        figures.append((magnitude.render(), """
            Veit et al. (Fig. 6b): the gradient a path carries falls exponentially with its length. Exact: the
            norm of the summed input gradient of all paths of a length, divided by their number. Sampled: Veit
            et al.'s measurement, the norm of one sampled path's gradient.
            """))
        figures.append((total.render(), """
            Veit et al. (Fig. 6c): path count × magnitude. Almost all of the gradient comes from short paths:
            5 to 17 blocks of ResNet-110's 54, only 0.45% of its paths. The shaded range holds 90% of the total.
            """ + leftOut))

        if networks.contains(where: { $0.gates != nil }) {
            var gates = SVGChart(title: "Highway transform gates", xLabel: "block", yLabel: "mean T (0 carries, 1 transforms)")
            for (i, n) in networks.enumerated() {
                guard let g = n.gates else { continue }
                gates.series.append(.init(label: n.name, x: g.x, y: g.y, mark: .line, color: color(i)))
            }
            figures.append((gates.render(), "Highway layers: how much each transforms rather than carries, averaged over units and images."))
        }

        var page = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>Unravel report: \(escape((results.path as NSString).lastPathComponent))</title>
            <style>
            body { font-family: sans-serif; max-width: 1180px; margin: 24px auto; color: #222; }
            .grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(560px, 1fr)); gap: 18px; }
            figure { margin: 0; border: 1px solid #ddd; padding: 8px; } figcaption { font-size: 12px; color: #555; }
            table { border-collapse: collapse; font-size: 12px; } td, th { border: 1px solid #ddd; padding: 3px 6px; text-align: left; vertical-align: top; }
            </style></head><body>
            <h1>Do these residual networks behave like ensembles?</h1>
            <p>Unravel's measurements for \(escape(results.path)), after Veit, Wilber &amp; Belongie,
            <i>Residual Networks Behave Like Ensembles of Relatively Shallow Networks</i>, NeurIPS 2016.</p>
            <div class="grid">

            """
        for (svg, caption) in figures {
            page += "<figure>\(svg)<figcaption>\(escape(caption))</figcaption></figure>\n"
        }
        page += "</div>\n<h2>Provenance</h2>\n<table>\n"
        for (key, value) in results.attributes { page += "<tr><th>\(escape(key))</th><td>\(escape(value))</td></tr>\n" }
        page += "</table>\n"
        for n in networks where !n.attributes.isEmpty {
            page += "<h3>\(escape(n.name))</h3>\n<table>\n"
            for (key, value) in n.attributes where key != "block_names" && key != "block_kinds" {
                page += "<tr><th>\(escape(key))</th><td>\(escape(value))</td></tr>\n"
            }
            if let error = n.intactError { page += "<tr><th>intact error</th><td>\(String(format: "%.2f%%", error * 100))</td></tr>\n" }
            page += "</table>\n"
        }
        return page + "</body></html>\n"
    }
}
