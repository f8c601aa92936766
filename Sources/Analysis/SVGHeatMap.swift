import Foundation

/// A heat map of a matrix (rows down, columns across) with labelled axes and a colour bar, in the
/// same fonts and margins as `SVGChart`. Rows and columns are labelled every `labelEvery` so that
/// no two labels touch.
struct SVGHeatMap {
    var title: String
    var rowLabel: String
    var columnLabel: String
    var rows: [String]
    var columns: [String]
    /// values[row][column], in [0, 1]; NaN is drawn grey.
    var values: [[Double]]
    /// What 0 and 1 mean, for the colour bar.
    var scale: (low: String, high: String)
    var width = 560.0
    /// Rows and columns before which a line is drawn (a new stage), always labelled.
    var rowBreaks: [Int] = []
    var columnBreaks: [Int] = []

    func render() -> String {
        let left = 40 + (rows.map { SVGChart.textWidth($0) }.max() ?? 10), top = 30.0, barHeight = 10.0
        let plotW = width - left - 16
        // Cells as wide as the figure allows and as tall as 240 px allows, each within bounds.
        let cellW = min(plotW / Double(max(columns.count, 1)), 36), cellH = min(240 / Double(max(rows.count, 1)), 16)
        let plotH = cellH * Double(rows.count), plotWidth = cellW * Double(columns.count)
        let height = top + plotH + 40 + barHeight + 22
        let columnEvery = Int((SVGChart.textWidth(columns.max { $0.count < $1.count } ?? "") + 6) / cellW) + 1
        let rowEvery = Int(13 / cellH) + 1
        func f(_ v: Double) -> String { String(format: "%.1f", v) }
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(f(width)) \(f(height))\" width=\"\(f(width))\" height=\"\(f(height))\" font-family=\"sans-serif\" font-size=\"11\">\n"
        svg += "<text x=\"\(f(width / 2))\" y=\"16\" text-anchor=\"middle\" font-size=\"13\" font-weight=\"bold\">\(escape(title))</text>\n"
        svg += "<rect class=\"plot\" x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotWidth))\" height=\"\(f(plotH))\" fill=\"none\"/>\n"
        for (r, row) in values.enumerated() {
            for (c, value) in row.enumerated() {
                svg += "<rect x=\"\(f(left + Double(c) * cellW))\" y=\"\(f(top + Double(r) * cellH))\" width=\"\(f(cellW))\" height=\"\(f(cellH))\" "
                    + "fill=\"\(value.isFinite ? SVGHeatMap.color(value) : "#cccccc")\"><title>\(escape(rows[r])), \(escape(columns[c])): "
                    + "\(value.isFinite ? String(format: "%.3f", value) : "none")</title></rect>"
            }
            svg += "\n"
        }
        for r in rowBreaks where r > 0 && r < rows.count {
            svg += "<line x1=\"\(f(left))\" x2=\"\(f(left + plotWidth))\" y1=\"\(f(top + Double(r) * cellH))\" y2=\"\(f(top + Double(r) * cellH))\" "
                + "stroke=\"#E69F00\" stroke-width=\"1.5\" stroke-dasharray=\"4 3\"/>\n"
        }
        for c in columnBreaks where c > 0 && c < columns.count {
            svg += "<line x1=\"\(f(left + Double(c) * cellW))\" x2=\"\(f(left + Double(c) * cellW))\" y1=\"\(f(top))\" y2=\"\(f(top + plotH))\" "
                + "stroke=\"#E69F00\" stroke-width=\"1.5\" stroke-dasharray=\"4 3\"/>\n"
        }
        /// Every `every`-th index and every break, leaving out regular ones too close to a break.
        func labelled(_ count: Int, every: Int, breaks: [Int]) -> Set<Int> {
            let regular = (0..<count).filter { i in i % every == 0 && !breaks.contains { $0 != i && abs($0 - i) < every } }
            return Set(regular + breaks.filter { (0..<count).contains($0) })
        }
        let rowLabels = labelled(rows.count, every: rowEvery, breaks: rowBreaks)
        let columnLabels = labelled(columns.count, every: columnEvery, breaks: columnBreaks)
        for (r, label) in rows.enumerated() where rowLabels.contains(r) {
            svg += "<text x=\"\(f(left - 5))\" y=\"\(f(top + (Double(r) + 0.5) * cellH + 4))\" text-anchor=\"end\">\(escape(label))</text>\n"
        }
        for (c, label) in columns.enumerated() where columnLabels.contains(c) {
            svg += "<text x=\"\(f(left + (Double(c) + 0.5) * cellW))\" y=\"\(f(top + plotH + 14))\" text-anchor=\"middle\">\(escape(label))</text>\n"
        }
        svg += "<text x=\"\(f(left + plotWidth / 2))\" y=\"\(f(top + plotH + 30))\" text-anchor=\"middle\">\(escape(columnLabel))</text>\n"
        svg += "<text transform=\"translate(14 \(f(top + plotH / 2))) rotate(-90)\" text-anchor=\"middle\">\(escape(rowLabel))</text>\n"
        // The colour bar, below, left to right.
        let barY = top + plotH + 40, barW = min(200.0, plotW)
        svg += "<g class=\"legend\">"
        for i in 0..<20 {
            svg += "<rect x=\"\(f(left + 28 + Double(i) * barW / 20))\" y=\"\(f(barY))\" width=\"\(f(barW / 20 + 0.5))\" height=\"\(f(barHeight))\" fill=\"\(SVGHeatMap.color((Double(i) + 0.5) / 20))\"/>"
        }
        svg += "<text x=\"\(f(left + 24))\" y=\"\(f(barY + 9))\" text-anchor=\"end\">\(escape(scale.low))</text>"
        svg += "<text x=\"\(f(left + 32 + barW))\" y=\"\(f(barY + 9))\">\(escape(scale.high))</text></g>\n"
        return svg + "</svg>"
    }

    /// White (0) to dark blue (1), through the Okabe–Ito blue.
    static func color(_ t: Double) -> String {
        let v = min(max(t.isFinite ? t : 0, 0), 1)
        let (r, g, b) = (255 - v * (255 - 8), 255 - v * (255 - 48), 255 - v * (255 - 107))
        return String(format: "#%02x%02x%02x", Int(r), Int(g), Int(b))
    }
}
