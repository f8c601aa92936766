import Foundation

/// A small, dependency-free SVG chart: lines, points, bars, bands and shaded ranges on linear or
/// logarithmic axes, with ticks and a legend. Enough for the report's figures, inline in HTML.
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

        public init(label: String, x: [Double], y: [Double], mark: Mark, color: String, band: (low: [Double], high: [Double])? = nil) {
            self.label = label
            self.x = x
            self.y = y
            self.mark = mark
            self.color = color
            self.band = band
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var logY = false
    public var series: [Series] = []
    /// Shaded x ranges, with a caption.
    public var shaded: [(range: ClosedRange<Double>, caption: String)] = []
    /// Vertical marker lines (e.g. downsampling blocks), with a caption for the legend.
    public var markers: (x: [Double], caption: String)?
    public var width = 560.0
    public var height = 320.0
    public var yAsPercent = false

    public init(title: String, xLabel: String, yLabel: String) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
    }

    public static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]

    private let left = 64.0, right = 16.0, top = 30.0, bottom = 46.0

    public func render() -> String {
        let xs = series.flatMap(\.x) + shaded.flatMap { [$0.range.lowerBound, $0.range.upperBound] }
        var ys = series.flatMap { $0.y + ($0.band?.low ?? []) + ($0.band?.high ?? []) }.filter { $0.isFinite }
        if logY { ys = ys.filter { $0 > 0 } }
        guard let xMin = xs.min(), let xMax = xs.max(), let yMinRaw = ys.min(), let yMaxRaw = ys.max() else {
            return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"60\"><text x=\"10\" y=\"30\">\(escape(title)): no data</text></svg>"
        }
        let (yMin, yMax) = logY ? (pow(10, floor(log10(yMinRaw))), pow(10, ceil(log10(yMaxRaw))))
                                : (min(0, yMinRaw), yMaxRaw == yMinRaw ? yMaxRaw + 1 : yMaxRaw * 1.05)
        let xPad = xMax == xMin ? 1 : (xMax - xMin) * 0.03
        let (x0, x1) = (xMin - xPad, xMax + xPad)
        let plotW = width - left - right, plotH = height - top - bottom
        func px(_ x: Double) -> Double { left + (x - x0) / (x1 - x0) * plotW }
        func py(_ y: Double) -> Double {
            let t = logY ? (log10(max(y, yMin)) - log10(yMin)) / (log10(yMax) - log10(yMin)) : (y - yMin) / (yMax - yMin)
            return top + (1 - t) * plotH
        }
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(f(width)) \(f(height))\" width=\"\(f(width))\" height=\"\(f(height))\" font-family=\"sans-serif\" font-size=\"11\">\n"
        svg += "<text x=\"\(f(width / 2))\" y=\"16\" text-anchor=\"middle\" font-size=\"13\" font-weight=\"bold\">\(escape(title))</text>\n"
        for shade in shaded {
            let from = max(px(shade.range.lowerBound - 0.5), left), to = min(px(shade.range.upperBound + 0.5), left + plotW)
            svg += "<rect x=\"\(f(from))\" y=\"\(f(top))\" width=\"\(f(to - from))\" height=\"\(f(plotH))\" fill=\"#f2d16b\" fill-opacity=\"0.35\"><title>\(escape(shade.caption))</title></rect>\n"
        }
        if let markers {
            for x in markers.x {
                svg += "<line x1=\"\(f(px(x)))\" x2=\"\(f(px(x)))\" y1=\"\(f(top))\" y2=\"\(f(top + plotH))\" stroke=\"#999\" stroke-dasharray=\"3,3\"/>\n"
            }
        }
        // Axes and ticks.
        svg += "<line x1=\"\(f(left))\" x2=\"\(f(left + plotW))\" y1=\"\(f(top + plotH))\" y2=\"\(f(top + plotH))\" stroke=\"#333\"/>\n"
        svg += "<line x1=\"\(f(left))\" x2=\"\(f(left))\" y1=\"\(f(top))\" y2=\"\(f(top + plotH))\" stroke=\"#333\"/>\n"
        for x in ticks(x0, x1) {
            svg += "<line x1=\"\(f(px(x)))\" x2=\"\(f(px(x)))\" y1=\"\(f(top + plotH))\" y2=\"\(f(top + plotH + 4))\" stroke=\"#333\"/>"
            svg += "<text x=\"\(f(px(x)))\" y=\"\(f(top + plotH + 16))\" text-anchor=\"middle\">\(label(x))</text>\n"
        }
        let yTicks = logY ? stride(from: log10(yMin), through: log10(yMax), by: max(1, ((log10(yMax) - log10(yMin)) / 6).rounded(.up))).map { pow(10, $0) }
                          : ticks(yMin, yMax)
        for y in yTicks {
            svg += "<line x1=\"\(f(left - 4))\" x2=\"\(f(left + plotW))\" y1=\"\(f(py(y)))\" y2=\"\(f(py(y)))\" stroke=\"#eee\"/>"
            let text = logY ? String(format: "1e%d", Int(log10(y).rounded())) : (yAsPercent ? label(y * 100) + "%" : label(y))
            svg += "<text x=\"\(f(left - 7))\" y=\"\(f(py(y) + 4))\" text-anchor=\"end\">\(text)</text>\n"
        }
        svg += "<text x=\"\(f(left + plotW / 2))\" y=\"\(f(height - 8))\" text-anchor=\"middle\">\(escape(xLabel))</text>\n"
        svg += "<text transform=\"translate(14 \(f(top + plotH / 2))) rotate(-90)\" text-anchor=\"middle\">\(escape(yLabel))</text>\n"
        // Data.
        for s in series {
            let points = zip(s.x, s.y).filter { $0.1.isFinite && (!logY || $0.1 > 0) }
            if let band = s.band {
                let upper = zip(s.x, band.high).map { "\(f(px($0))),\(f(py($1)))" }
                let lower = zip(s.x, band.low).reversed().map { "\(f(px($0))),\(f(py($1)))" }
                svg += "<polygon points=\"\((upper + lower).joined(separator: " "))\" fill=\"\(s.color)\" fill-opacity=\"0.15\" stroke=\"none\"/>\n"
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
                let step = plotW / max(Double(x1 - x0), 1) * 0.8 / Double(max(series.filter { $0.mark == .bars }.count, 1))
                let index = Double(series.filter { $0.mark == .bars }.firstIndex { $0.label == s.label } ?? 0)
                for (x, y) in points {
                    let baseline = logY ? py(yMin) : py(max(0, yMin))
                    svg += "<rect x=\"\(f(px(x) - step * Double(series.filter { $0.mark == .bars }.count) / 2 + index * step))\" y=\"\(f(min(py(y), baseline)))\" width=\"\(f(max(step, 1)))\" height=\"\(f(abs(baseline - py(y))))\" fill=\"\(s.color)\"/>"
                }
                svg += "\n"
            }
        }
        // Legend.
        var legendY = top + 8
        for s in series {
            svg += "<rect x=\"\(f(left + plotW - 170))\" y=\"\(f(legendY - 8))\" width=\"10\" height=\"10\" fill=\"\(s.color)\"/>"
            svg += "<text x=\"\(f(left + plotW - 155))\" y=\"\(f(legendY + 1))\">\(escape(s.label))</text>\n"
            legendY += 14
        }
        if let markers {
            svg += "<line x1=\"\(f(left + plotW - 170))\" x2=\"\(f(left + plotW - 160))\" y1=\"\(f(legendY - 3))\" y2=\"\(f(legendY - 3))\" stroke=\"#999\" stroke-dasharray=\"3,3\"/>"
            svg += "<text x=\"\(f(left + plotW - 155))\" y=\"\(f(legendY + 1))\">\(escape(markers.caption))</text>\n"
            legendY += 14
        }
        for shade in shaded {
            svg += "<rect x=\"\(f(left + plotW - 170))\" y=\"\(f(legendY - 8))\" width=\"10\" height=\"10\" fill=\"#f2d16b\" fill-opacity=\"0.6\"/>"
            svg += "<text x=\"\(f(left + plotW - 155))\" y=\"\(f(legendY + 1))\">\(escape(shade.caption))</text>\n"
            legendY += 14
        }
        return svg + "</svg>"
    }

    private func ticks(_ low: Double, _ high: Double) -> [Double] {
        let span = high - low
        guard span > 0 else { return [low] }
        let raw = span / 6
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
        return stride(from: (low / step).rounded(.up) * step, through: high, by: step).map { $0 }
    }

    private func label(_ value: Double) -> String {
        let tidy = (value * 1e6).rounded() / 1e6   // 60.000000001 is 60
        if tidy == tidy.rounded() && abs(tidy) < 1e6 { return String(Int(tidy)) }
        return String(format: abs(value) < 0.01 ? "%.1e" : "%.2f", value)
    }

    private func f(_ value: Double) -> String { String(format: "%.1f", value) }
}

func escape(_ text: String) -> String {
    text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
}
