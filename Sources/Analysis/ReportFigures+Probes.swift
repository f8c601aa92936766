/// The report's figures of the representation probes: the logit lens, linear probes, CKA between
/// blocks and iterative inference.
extension ReportFigures {
    static func probes(_ networks: [StudyResults.NetworkResults], color: (StudyResults.NetworkResults) -> String) -> [Figure] {
        var figures: [Figure] = []
        func add(_ name: String, _ chart: SVGChart, _ caption: String) {
            if chart.series.contains(where: { !$0.x.isEmpty }) { figures.append(Figure(name: name, svg: chart.render(), caption: caption)) }
        }

        /// One line per network, and the whole network's value dashed beside it.
        func curves(_ chart: inout SVGChart, _ series: (StudyResults.NetworkResults) -> StudyResults.Series?,
                    whole: (StudyResults.NetworkResults) -> Double?) {
            for n in networks {
                guard let s = series(n) else { continue }
                chart.series.append(.init(label: n.name, x: s.x, y: s.y, mark: .line, color: color(n)))
                if let value = whole(n), let first = s.x.min(), let last = s.x.max() {
                    chart.series.append(.init(label: "\(n.name), whole network", x: [first, last], y: [value, value], mark: .dashed, color: color(n)))
                }
            }
        }

        var lens = SVGChart(title: "Logit lens: the head on each block's output", xLabel: "block", yLabel: "test error")
        lens.yAsPercent = true
        for n in networks {
            if let direct = n.lensError {
                lens.series.append(.init(label: n.name, x: direct.x, y: direct.y, mark: .line, color: color(n)))
            }
            if let projected = n.lensProjectedError {
                lens.series.append(.init(label: "\(n.name), through a fitted projection", x: projected.x, y: projected.y,
                                         mark: .dashed, color: color(n)))
            }
        }
        markDownsampling(&lens, networks) { $0.lensError != nil }
        let projected = networks.contains { $0.lensProjectedError != nil }
        add("lens", lens, """
            The network's own head (its final BN-ReLU where pre-activation, pooling, the linear layer) applied to \
            each block's output, as if the network ended there (solid: only blocks with the head's channels). If \
            the blocks were an ensemble of shallow paths adding up one answer, early exits would already \
            classify well; if each stage builds on the last, error falls late.
            """ + (projected ? " Dashed: every block read through a ridge map from its pooled output to the last block's, fitted on other images (a tuned lens)." : ""))

        var probe = SVGChart(title: "Linear probes: class read from each block", xLabel: "block", yLabel: "held-out accuracy")
        probe.yAsPercent = true
        curves(&probe, { $0.probeAccuracy }, whole: { $0.probeNetworkAccuracy })
        markDownsampling(&probe, networks) { $0.probeAccuracy != nil }
        add("linear-probes", probe, """
            Alain & Bengio (2016): a linear classifier on each block's globally pooled output (here ridge regression \
            on one-hot targets, in closed form), fitted on one part of the images and scored on the rest. How much \
            of the class each block makes linearly readable.
            """)

        for (i, n) in networks.enumerated() {
            guard let cka = n.cka, !cka.values.isEmpty else { continue }
            func labels(_ count: Int, _ down: [Int]) -> [String] { (0..<count).map { "\($0)" + (down.contains($0) ? "↓" : "") } }
            var map = SVGHeatMap(title: "CKA between block outputs: \(n.name)" + (cka.columnsName == n.name ? "" : " × \(cka.columnsName)"),
                                 rowLabel: "block", columnLabel: cka.columnsName == n.name ? "block" : "block of \(cka.columnsName)",
                                 rows: labels(cka.values.count, cka.rowDownsampling),
                                 columns: labels(cka.values[0].count, cka.columnDownsampling), values: cka.values,
                                 scale: ("0", "1: the same up to rotation and scale"))
            (map.rowBreaks, map.columnBreaks) = (cka.rowDownsampling, cka.columnDownsampling)
            figures.append(Figure(name: "cka-\(i)", svg: map.render(), caption: """
                Linear CKA (Kornblith et al. 2019; minibatch estimator of Nguyen, Raghu & Kornblith 2021) between \
                the outputs of every pair of blocks; dashed lines open each stage at its downsampling block (↓). Blocks that refine one \
                representation (Greff et al. 2017) form bright blocks along the diagonal; stages show as squares.
                """))
        }

        var cosine = SVGChart(title: "Iterative inference: branch against the loss gradient", xLabel: "block",
                              yLabel: "cos(f(h), −∂L/∂h)")
        for n in networks {
            guard let c = n.inferenceCosine else { continue }
            cosine.series.append(.init(label: n.name, x: c.x, y: c.y, mark: .line, color: color(n)))
        }
        markDownsampling(&cosine, networks) { $0.inferenceCosine != nil }
        add("inference", cosine, """
            Jastrzebski et al. (2018): a block that refines its input moves it down the loss gradient, so its \
            branch output points like −∂L/∂h at its input (cosine above 0). Measured on the same images as the \
            gradient by path length; downsampling blocks, whose branch changes the shape, have no point.
            """)
        return figures
    }
}
