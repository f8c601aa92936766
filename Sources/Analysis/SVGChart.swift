import Foundation

/// A small, dependency-free SVG chart: lines, points, bars, bands, error bars and shaded ranges on
/// linear or logarithmic axes, for the report's figures, inline in HTML or alone as .svg files.
///
/// Text never overlaps and nothing covers the data: the legend sits below the plot, in as many
/// rows as its entries need, and the left margin is as wide as the widest tick label. Ticks come
/// from a nice-number rule (steps of 1, 2, 2.5 or 5 × 10ᵏ), labelled with the decimals the step
/// needs, so no two labels read the same. `make test-report` checks all of it in a browser.
public struct SVGChart {
    public enum Mark { case line, points, bars, dashed }

    public struct Series {
        public var label: String
        public var x: [Double]
        public var y: [Double]
        public var mark: Mark
        public var color: String
        /// A band around the line (lower, upper), drawn translucent.
        public var band: (low: [Double], high: [Double])?
        /// An interval per point (lower, upper), drawn as a vertical bar.
        public var errorBars: (low: [Double], high: [Double])?

        public init(label: String, x: [Double], y: [Double], mark: Mark, color: String,
                    band: (low: [Double], high: [Double])? = nil, errorBars: (low: [Double], high: [Double])? = nil) {
            self.label = label
            self.x = x
            self.y = y
            self.mark = mark
            self.color = color
            self.band = band
            self.errorBars = errorBars
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var logY = false
    public var series: [Series] = []
    /// Shaded x ranges, with a caption for the legend.
    public var shaded: [(range: ClosedRange<Double>, caption: String, color: String)] = []
    /// Vertical marker lines (e.g. downsampling blocks), with a caption for the legend.
    public var markers: (x: [Double], caption: String)?
    public var width = 560.0
    public var plotHeight = 240.0
    public var yAsPercent = false

    public init(title: String, xLabel: String, yLabel: String) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
    }

    /// Colour-blind-safe (Okabe & Ito 2008), one per network in the order studied.
    public static let palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]

    /// Width of a label in the 11 px sans-serif the charts use: a generous average, so that
    /// layouts computed from it leave room in any browser's font.
    static func textWidth(_ text: String, size: Double = 11) -> Double { Double(text.count) * size * 0.62 }

    private let right = 16.0, top = 30.0, axisBelow = 44.0, legendRow = 16.0

    public func render() -> String {
        let xs = series.flatMap(\.x) + shaded.flatMap { [$0.range.lowerBound, $0.range.upperBound] }
        var ys: [Double] = []
        for s in series {
            ys += s.y
            if let band = s.band { ys += band.low + band.high }
            if let bars = s.errorBars { ys += bars.low + bars.high }
        }
        ys = ys.filter { $0.isFinite }
        if logY { ys = ys.filter { $0 > 0 } }
        guard let xMin = xs.min(), let xMax = xs.max(), let yMinRaw = ys.min(), let yMaxRaw = ys.max() else {
            return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(width))\" height=\"60\" font-family=\"sans-serif\" font-size=\"11\">"
                + "<text x=\"10\" y=\"30\">\(escape(title)): no data</text></svg>"
        }
        let xTicks = SVGChart.niceTicks(xMin, xMax)
        let yAxis: (low: Double, high: Double, ticks: [Double], labels: [String])
        if logY {
            let (low, high) = (floor(log10(yMinRaw)), max(ceil(log10(yMaxRaw)), floor(log10(yMinRaw)) + 1))
            let step = max(1, ((high - low) / 6).rounded(.up))
            let exponents = stride(from: low, through: high, by: step).map { $0 }
            let values: [Double] = exponents.map { pow(10.0, $0) }
            yAxis = (pow(10.0, low), pow(10.0, high), values, exponents.map { "1e\(Int($0))" })
        } else {
            let scale = yAsPercent ? 100.0 : 1
            let ticks = SVGChart.niceTicks(min(0, yMinRaw) * scale, (yMaxRaw == yMinRaw ? yMaxRaw + 1 : yMaxRaw) * scale, covering: true)
            yAxis = (ticks.values.first! / scale, ticks.values.last! / scale, ticks.values.map { $0 / scale },
                     ticks.labels.map { yAsPercent ? $0 + "%" : $0 })
        }
        let xPad = xMax == xMin ? 1 : (xMax - xMin) * 0.03
        let (x0, x1) = (xMin - xPad, xMax + xPad)
        let left = 30 + (yAxis.labels.map { SVGChart.textWidth($0) }.max() ?? 20) + 8
        let plotW = width - left - right, plotH = plotHeight
        let legend = legendLayout(from: left, width: plotW)
        let height = top + plotH + axisBelow + Double(legend.rows) * legendRow + (legend.rows > 0 ? 8 : 0)
        func px(_ x: Double) -> Double { left + (x - x0) / (x1 - x0) * plotW }
        func py(_ y: Double) -> Double {
            let t = logY ? (log10(max(y, yAxis.low)) - log10(yAxis.low)) / (log10(yAxis.high) - log10(yAxis.low))
                         : (y - yAxis.low) / (yAxis.high - yAxis.low)
            return top + (1 - t) * plotH
        }
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(f(width)) \(f(height))\" width=\"\(f(width))\" height=\"\(f(height))\" font-family=\"sans-serif\" font-size=\"11\">\n"
        svg += "<text x=\"\(f(width / 2))\" y=\"16\" text-anchor=\"middle\" font-size=\"13\" font-weight=\"bold\">\(escape(title))</text>\n"
        svg += "<rect class=\"plot\" x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotW))\" height=\"\(f(plotH))\" fill=\"none\"/>\n"
        for shade in shaded {
            let from = max(px(shade.range.lowerBound - 0.5), left), to = min(px(shade.range.upperBound + 0.5), left + plotW)
            svg += "<rect x=\"\(f(from))\" y=\"\(f(top))\" width=\"\(f(to - from))\" height=\"\(f(plotH))\" fill=\"\(shade.color)\" fill-opacity=\"0.18\"><title>\(escape(shade.caption))</title></rect>\n"
        }
        if let markers {
            for x in markers.x {
                svg += "<line x1=\"\(f(px(x)))\" x2=\"\(f(px(x)))\" y1=\"\(f(top))\" y2=\"\(f(top + plotH))\" stroke=\"#999\" stroke-dasharray=\"3,3\"/>\n"
            }
        }
        // Axes and ticks.
        svg += "<line x1=\"\(f(left))\" x2=\"\(f(left + plotW))\" y1=\"\(f(top + plotH))\" y2=\"\(f(top + plotH))\" stroke=\"#333\"/>\n"
        svg += "<line x1=\"\(f(left))\" x2=\"\(f(left))\" y1=\"\(f(top))\" y2=\"\(f(top + plotH))\" stroke=\"#333\"/>\n"
        for (x, text) in zip(xTicks.values, xTicks.labels) where x >= x0 && x <= x1 {
            svg += "<line x1=\"\(f(px(x)))\" x2=\"\(f(px(x)))\" y1=\"\(f(top + plotH))\" y2=\"\(f(top + plotH + 4))\" stroke=\"#333\"/>"
            svg += "<text x=\"\(f(px(x)))\" y=\"\(f(top + plotH + 16))\" text-anchor=\"middle\">\(text)</text>\n"
        }
        for (y, text) in zip(yAxis.ticks, yAxis.labels) {
            svg += "<line x1=\"\(f(left - 4))\" x2=\"\(f(left + plotW))\" y1=\"\(f(py(y)))\" y2=\"\(f(py(y)))\" stroke=\"#eee\"/>"
            svg += "<text x=\"\(f(left - 7))\" y=\"\(f(py(y) + 4))\" text-anchor=\"end\">\(text)</text>\n"
        }
        svg += "<text x=\"\(f(left + plotW / 2))\" y=\"\(f(top + plotH + 34))\" text-anchor=\"middle\">\(escape(xLabel))</text>\n"
        svg += "<text transform=\"translate(14 \(f(top + plotH / 2))) rotate(-90)\" text-anchor=\"middle\">\(escape(yLabel))</text>\n"
        svg += data(px: px, py: py, plotW: plotW, x0: x0, x1: x1, yLow: yAxis.low)
        svg += legend.svg(top + plotH + axisBelow + 4)
        return svg + "</svg>"
    }

    private func data(px: (Double) -> Double, py: (Double) -> Double, plotW: Double, x0: Double, x1: Double, yLow: Double) -> String {
        var svg = ""
        let bars = series.filter { $0.mark == .bars }
        for s in series {
            let points = zip(s.x, s.y).filter { $0.1.isFinite && (!logY || $0.1 > 0) }
            if let band = s.band {
                let upper = zip(s.x, band.high).map { "\(f(px($0))),\(f(py($1)))" }
                let lower = zip(s.x, band.low).reversed().map { "\(f(px($0))),\(f(py($1)))" }
                svg += "<polygon points=\"\((upper + lower).joined(separator: " "))\" fill=\"\(s.color)\" fill-opacity=\"0.15\" stroke=\"none\"/>\n"
            }
            if let bars = s.errorBars {
                for (x, (low, high)) in zip(s.x, zip(bars.low, bars.high)) where low.isFinite && high.isFinite {
                    let (cx, a, b) = (px(x), py(low), py(high))
                    svg += "<path d=\"M\(f(cx)) \(f(a))V\(f(b))M\(f(cx - 2.5)) \(f(a))h5M\(f(cx - 2.5)) \(f(b))h5\" stroke=\"\(s.color)\" stroke-opacity=\"0.55\" fill=\"none\"/>"
                }
                svg += "\n"
            }
            switch s.mark {
            case .line, .dashed:
                let path = points.map { "\(f(px($0.0))),\(f(py($0.1)))" }.joined(separator: " ")
                svg += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(s.color)\" stroke-width=\"1.8\"\(s.mark == .dashed ? " stroke-dasharray=\"6,4\"" : "")/>\n"
                if s.mark == .line && points.count <= 80 {
                    for (x, y) in points { svg += "<circle cx=\"\(f(px(x)))\" cy=\"\(f(py(y)))\" r=\"2.2\" fill=\"\(s.color)\"/>" }
                    svg += "\n"
                }
            case .points:
                for (x, y) in points { svg += "<circle cx=\"\(f(px(x)))\" cy=\"\(f(py(y)))\" r=\"3\" fill=\"\(s.color)\" fill-opacity=\"0.6\"/>" }
                svg += "\n"
            case .bars:
                let step = plotW / max(x1 - x0, 1) * 0.8 / Double(max(bars.count, 1))
                let index = Double(bars.firstIndex { $0.label == s.label } ?? 0)
                let baseline = logY ? py(yLow) : py(max(0, yLow))
                for (x, y) in points {
                    svg += "<rect x=\"\(f(px(x) - step * Double(bars.count) / 2 + index * step))\" y=\"\(f(min(py(y), baseline)))\" width=\"\(f(max(step, 1)))\" height=\"\(f(abs(baseline - py(y))))\" fill=\"\(s.color)\"/>"
                }
                svg += "\n"
            }
        }
        return svg
    }

    /// The legend's entries laid out in rows below the x axis label, left to right.
    private func legendLayout(from left: Double, width: Double) -> (rows: Int, svg: (Double) -> String) {
        enum Swatch { case fill(String, Double), line(String, dashed: Bool), marker }
        var entries: [(Swatch, String)] = series.map { s in
            (s.mark == .dashed ? .line(s.color, dashed: true) : s.mark == .line ? .line(s.color, dashed: false) : .fill(s.color, 1), s.label)
        }
        if let markers { entries.append((.marker, markers.caption)) }
        entries += shaded.map { (.fill($0.color, 0.3), $0.caption) }
        var placed: [(Swatch, String, x: Double, row: Int)] = []
        var (x, row) = (left, 0)
        for (swatch, label) in entries {
            let w = 16 + SVGChart.textWidth(label) + 14
            if x > left && x + w > left + width { (x, row) = (left, row + 1) }
            placed.append((swatch, label, x, row))
            x += w
        }
        let rows = entries.isEmpty ? 0 : row + 1
        return (rows, { y0 in
            var svg = "<g class=\"legend\">"
            for (swatch, label, x, row) in placed {
                let y = y0 + Double(row) * self.legendRow
                switch swatch {
                case .fill(let color, let opacity):
                    svg += "<rect x=\"\(self.f(x))\" y=\"\(self.f(y))\" width=\"10\" height=\"10\" fill=\"\(color)\" fill-opacity=\"\(opacity)\"/>"
                case .line(let color, let dashed):
                    svg += "<line x1=\"\(self.f(x))\" x2=\"\(self.f(x + 12))\" y1=\"\(self.f(y + 5))\" y2=\"\(self.f(y + 5))\" stroke=\"\(color)\" stroke-width=\"2\"\(dashed ? " stroke-dasharray=\"4,2\"" : "")/>"
                case .marker:
                    svg += "<line x1=\"\(self.f(x + 5))\" x2=\"\(self.f(x + 5))\" y1=\"\(self.f(y))\" y2=\"\(self.f(y + 10))\" stroke=\"#999\" stroke-dasharray=\"3,3\"/>"
                }
                svg += "<text x=\"\(self.f(x + 16))\" y=\"\(self.f(y + 9))\">\(escape(label))</text>\n"
            }
            return svg + "</g>\n"
        })
    }

    /// Ticks every 1, 2, 2.5 or 5 × 10ᵏ, about six of them, with labels of just the decimals the
    /// step needs. `covering` widens the range to whole steps (for the y axis, which starts at a tick).
    static func niceTicks(_ low: Double, _ high: Double, covering: Bool = false) -> (values: [Double], labels: [String]) {
        guard high > low else { return ([low], [label(low, decimals: 2)]) }
        let raw = (high - low) / 6
        let magnitude = pow(10, floor(log10(raw)))
        let multiple = [1.0, 2, 2.5, 5, 10].first { $0 * magnitude >= raw * 0.999 } ?? 10
        let step = multiple * magnitude
        let decimals = max(0, -Int(floor(log10(step) + 1e-9))) + (multiple == 2.5 ? 1 : 0)
        let first = covering ? (low / step).rounded(.down) : (low / step).rounded(.up)
        let last = covering ? (high / step).rounded(.up) : (high / step).rounded(.down)
        let values = stride(from: first, through: last, by: 1).map { $0 * step }
        let largest = max(abs(values.first!), abs(values.last!))
        guard largest >= 1e5 || largest < 1e-3 else { return (values, values.map { label($0, decimals: decimals) }) }
        // Very large or small: scientific, with as many mantissa digits as the step needs.
        let exponent = Int(floor(log10(largest)))
        let digits = max(0, exponent - Int(floor(log10(step) + 1e-9))) + (multiple == 2.5 ? 1 : 0)
        return (values, values.map { $0 == 0 ? "0" : String(format: "%.\(digits)e", $0) })
    }

    static func label(_ value: Double, decimals: Int) -> String {
        String(format: "%.\(decimals)f", abs(value) < 1e-12 ? 0 : value)
    }

    private func f(_ value: Double) -> String { String(format: "%.1f", value) }
}

func escape(_ text: String) -> String {
    text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
}
