import XCTest
@testable import Analysis

/// The charts' ticks and layout: the rules `make test-report` then checks in a browser.
final class SVGChartTests: XCTestCase {
    /// Tick labels are distinct and on a nice step, whatever the range: the total-contribution
    /// axis once read "0.01" twice (ticks 0.010 and 0.015 printed with two decimals).
    func testTickLabelsAreDistinctOnAnyRange() {
        var state: UInt64 = 3
        func uniform() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / Double(1 << 53)
        }
        let ranges: [(Double, Double)] = [(0, 0.0165), (0, 1), (0, 100), (0.9, 1), (0, 3.2e-6), (0, 2.5e7), (-0.02, 0.07)]
            + (0..<500).map { _ in let low = uniform() * pow(10, Double(Int(uniform() * 12) - 8)); return (low, low * (1 + uniform() * 50) + 1e-9) }
        for (low, high) in ranges {
            for covering in [false, true] {
                let ticks = SVGChart.niceTicks(low, high, covering: covering)
                XCTAssertEqual(Set(ticks.labels).count, ticks.labels.count, "\(low)…\(high): \(ticks.labels)")
                XCTAssertGreaterThanOrEqual(ticks.values.count, covering ? 2 : 1, "\(low)…\(high)")
                XCTAssertLessThanOrEqual(ticks.values.count, 13, "\(low)…\(high)")
                if covering { XCTAssertTrue(ticks.values.first! <= low && ticks.values.last! >= high, "\(low)…\(high): \(ticks.values)") }
            }
        }
        XCTAssertEqual(SVGChart.niceTicks(0, 0.0165).labels, ["0.000", "0.005", "0.010", "0.015"])
        XCTAssertEqual(SVGChart.niceTicks(0, 0.0149, covering: true).labels, ["0.0000", "0.0025", "0.0050", "0.0075", "0.0100", "0.0125", "0.0150"])
        XCTAssertEqual(SVGChart.niceTicks(0, 100, covering: true).labels, ["0", "20", "40", "60", "80", "100"])
    }

    /// The legend sits below the plot area, in as many rows as it needs, so it covers no data, and
    /// no entry is cut short.
    func testTheLegendIsBelowThePlotAndWhole() throws {
        var chart = SVGChart(title: "t", xLabel: "x", yLabel: "y")
        for i in 0..<9 {
            chart.series.append(.init(label: "a rather long network name \(i), intact", x: [0, 1, 2], y: [0.1, 0.5, 0.9], mark: .line,
                                      color: SVGChart.palette[i % 7]))
        }
        chart.shaded.append((0...1, "resnet56 (MNIST 5k): 90% of the total", "#000"))
        let svg = chart.render()
        let plot = try XCTUnwrap(svg.firstMatch(of: /class="plot" x="([0-9.]+)" y="([0-9.]+)" width="([0-9.]+)" height="([0-9.]+)"/))
        let plotBottom = Double(plot.output.2)! + Double(plot.output.4)!
        let legend = try XCTUnwrap(svg.firstMatch(of: /<g class="legend">(.*?)<\/g>/.dotMatchesNewlines()))
        let ys = String(legend.output.1).matches(of: /<text x="([0-9.]+)" y="([0-9.]+)">([^<]*)</).map { (Double($0.output.1)!, Double($0.output.2)!, String($0.output.3)) }
        XCTAssertEqual(ys.count, 10)
        for (x, y, text) in ys {
            XCTAssertGreaterThan(y - 11, plotBottom + 30, "'\(text)' is below the plot and its axis label")
            XCTAssertLessThanOrEqual(x + SVGChart.textWidth(text), chart.width, "'\(text)' fits the figure")
        }
        XCTAssertTrue(ys.contains { $0.2 == "resnet56 (MNIST 5k): 90% of the total" })
        let height = try XCTUnwrap(svg.firstMatch(of: /height="([0-9.]+)" font-family/))
        XCTAssertGreaterThan(Double(height.output.1)!, ys.map(\.1).max()!, "the figure is tall enough for its legend")
    }
}
