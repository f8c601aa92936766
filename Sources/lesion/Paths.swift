import Analysis
import ArgumentParser
import Foundation
import HDF5
import Nets

struct Paths: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Count the paths of each length through a network (Veit et al., Fig. 6a).",
        discussion: """
            A residual or highway block can be passed through its branch or its shortcut; a plain \
            block only through its branch. Counts are exact integers whatever the depth.

            Examples:
              lesion paths --blocks 54             # ResNet-110: mean 27, 95% in 20-34
              lesion paths resnet56.h5 --share 5-17
              lesion paths --blocks 333 --counts   # ResNet-1001, every count in full
            """)

    static let maximumBlocks = 20_000

    @Argument(help: "An Unravel model file (or give --blocks).") var model: String?
    @Option(help: "A network of N residual blocks, no model needed.") var blocks: Int?
    @Option(help: ArgumentHelp("Print the share of paths with lengths A-B (repeatable).", valueName: "A-B"))
    var share: [String] = ["19-35", "5-17"]
    @Flag(help: "Print the exact count of every length.") var counts = false
    @Option(name: .shortAndLong, help: "Also write the counts to this results file.") var output: String?
    @Flag(help: "Replace the /paths group the results file already holds.") var force = false
    @Flag(help: "Print machine-readable JSON on stdout.") var json = false

    func validate() throws {
        guard (model == nil) != (blocks == nil) else { throw ValidationError("give a MODEL or --blocks N, not both") }
        // 20,000 blocks take 0.4 s, and 8 s with --counts, whose decimal text grows as n³; the old
        // limit of 100,000 would take hours there. The deepest published ResNets have 333 and 600.
        if let blocks, blocks < 1 || blocks > Paths.maximumBlocks {
            throw ValidationError("--blocks must be in 1...\(Paths.maximumBlocks)")
        }
        _ = try ranges()
    }

    func ranges() throws -> [ClosedRange<Int>] {
        try share.map { text in
            let parts = text.split(separator: "-").map { Int($0) }
            guard parts.count == 2, let a = parts[0], let b = parts[1], a <= b else {
                throw ValidationError("--share takes A-B with A ≤ B, e.g. 5-17; got '\(text)'")
            }
            return a...b
        }
    }

    struct Summary: Encodable {
        var blocks: Int
        var mean: Double
        var tightest95: [Int]
        var tightest95Share: Double
        var shares: [String: Double]
        var totalPaths: String
        var counts: [String]?
    }

    func run() throws {
        let distribution = try model.map { PathDistribution(network: try ModelFile.load($0)) } ?? PathDistribution(blocks: blocks!)
        let ranges = try self.ranges()
        let tightest = distribution.tightestInterval(holding: 0.95)
        if let output {
            let network = try ResultsFile.checkPathCountsAddable(output, model: model, blocks: distribution.factors.count, force: force)
            let counts = PathCounts(distribution)
            try ResultsFile.saveGroups(output, [network.map { PrefixedGroup($0, counts) } ?? counts],
                                       commandLine: CommandLine.arguments.joined(separator: " "), toolVersion: UnravelVersion.string)
        }
        let n = distribution.factors.count
        if json {
            return try printJSON(Summary(
                blocks: n, mean: distribution.mean, tightest95: [tightest.range.lowerBound, tightest.range.upperBound],
                tightest95Share: tightest.share,
                shares: Dictionary(uniqueKeysWithValues: ranges.map { ("\($0.lowerBound)-\($0.upperBound)", distribution.share($0)) }),
                totalPaths: distribution.totalPaths.description, counts: counts ? distribution.counts.map(\.description) : nil))
        }
        print("\(n) blocks: \(distribution.totalPaths.description.count > 30 ? "2^\(n)" : distribution.totalPaths.description) paths in all")
        print(String(format: "mean length %g", distribution.mean))
        print(String(format: "tightest 95%% interval %d–%d (%.1f%%)", tightest.range.lowerBound, tightest.range.upperBound, tightest.share * 100))
        for range in ranges {
            print(String(format: "share of %d–%d: %@", range.lowerBound, range.upperBound, Paths.percent(distribution.share(range))))
        }
        if counts {
            for (k, count) in distribution.counts.enumerated() { print("  \(k)\t\(count)") }
        }
    }

    /// Three significant figures, as a percentage; none is 0%.
    static func percent(_ share: Double) -> String {
        guard share > 0 else { return "0%" }
        let value = share * 100
        if value < 1e-3 { return String(format: "%.3g%%", value) }   // 1.23e-20%, not twenty zeros
        let decimals = value >= 10 ? 1 : max(1, 2 - Int(floor(log10(value))))
        return String(format: "%.\(decimals)f%%", value)
    }
}
