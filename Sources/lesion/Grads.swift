import Analysis
import ArgumentParser
import Foundation
import Nets

struct Grads: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Gradient magnitude by path length: sampled as Veit et al. did (Fig. 6b), or exact.",
        discussion: """
            --method sampled: per batch, pick k blocks at random, backpropagate through only their \
            branches and only the others' shortcuts, and record the norm of the input gradient; N \
            samples per length.

            --method exact: for every length k at once, the summed input gradient of all paths of \
            length k, by carrying k+1 coefficient tensors backward (c_k ← Sᵀc_k + Bᵀc_(k−1)); they \
            add up to the ordinary input gradient.

            Both report the total contribution per length (Fig. 6c) and the shortest range of \
            lengths holding 90% of it: the effective paths.

            Examples:
              lesion grads resnet110.h5 train.h5 -o r.h5 --method sampled --samples 100
              lesion grads resnet110.h5 test.h5 -o results.h5 --method exact --limit 512
            """)

    enum Method: String, ExpressibleByArgument, CaseIterable { case sampled, exact }

    @OptionGroup var study: StudyOptions
    @Option(help: "sampled or exact.") var method: Method = .exact
    @Option(help: "sampled: samples per path length.") var samples = 20
    @Option(help: ArgumentHelp("sampled: path lengths A-B (default: all).", valueName: "A-B")) var lengths: String?
    @Option(help: "exact: the longest path length carried (default: all).") var maxLength: Int?
    @Option(help: "exact: keep the per-length input gradients of the first N images, for the report's pictures of paths.")
    var saveImages = 0

    func validate() throws {
        try requirePositive(samples, "--samples")
        if let maxLength, maxLength < 0 { throw ValidationError("--max-length must be at least 0, not \(maxLength)") }
        guard saveImages >= 0 else { throw ValidationError("--save-images must be 0 or more, not \(saveImages)") }
        if saveImages > 0 && method != .exact { throw ValidationError("--save-images needs --method exact") }
        _ = try lengthRange()
    }

    func lengthRange() throws -> ClosedRange<Int>? {
        try lengths.map { text -> ClosedRange<Int> in
            let parts = text.split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
            guard parts.count == 2, let a = parts[0], let b = parts[1], 0 <= a, a <= b else {
                throw ValidationError("--lengths takes A-B with 0 ≤ A ≤ B, e.g. 0-20; got '\(text)'")
            }
            return a...b
        }
    }

    func run() throws {
        let range = try lengthRange()
        let (opened, _, probes) = try study.run([], label: "grads") { network, batches in
            switch method {
            case .sampled:
                return [try SampledPathGradients(network: network, samples: samples, lengths: range, seed: study.seed, batchCount: batches)]
            case .exact:
                return [try ExactPathGradients(network: network, maxLength: maxLength, savingImages: saveImages, batchCount: batches)]
            }
        }
        try GradsReport.print(probes, network: opened.network, json: study.json)
        if !study.json { print("results: \(study.output)") }
    }
}

/// Tables and JSON for gradient-by-length results.
enum GradsReport {
    struct Line: Encodable {
        var length: Int
        var paths: String
        var meanNorm: Double
        var std: Double?
        var totalContribution: Double
    }

    struct Report: Encodable {
        var method: String
        var decayPerBlock: Double?
        var effectiveLengths: [Int]
        var effectiveShareOfPaths: Double
        var lengths: [Line]
    }

    static func report(_ probe: Probe, network: Network) -> Report? {
        let distribution = PathDistribution(network: network)
        if let sampled = probe as? SampledPathGradients {
            let total = sampled.totalContribution
            let effective = shortestInterval(of: total, holding: 0.9)
            let lengths = sampled.lengths
            let range = lengths[effective.range.lowerBound]...lengths[effective.range.upperBound]
            return Report(method: "sampled", decayPerBlock: sampled.decayPerBlock.map(exp),
                          effectiveLengths: [range.lowerBound, range.upperBound], effectiveShareOfPaths: distribution.share(range),
                          lengths: zip(lengths.indices, lengths).map { i, length in
                              Line(length: length, paths: distribution.counts[length].description, meanNorm: sampled.means[i],
                                   std: sampled.deviations[i], totalContribution: total[i]) })
        }
        if let exact = probe as? ExactPathGradients {
            let effective = exact.effectiveLengths()
            let norms = exact.meanNorms
            let perPath = zip(norms, distribution.counts).map { $0 / $1.double }
            return Report(method: "exact", decayPerBlock: exponentialSlope(perPath.indices.map(Double.init), perPath).map(exp),
                          effectiveLengths: [effective.range.lowerBound, effective.range.upperBound],
                          effectiveShareOfPaths: distribution.share(effective.range),
                          lengths: norms.indices.filter { distribution.counts[$0] != BigUInt() }.map { k in
                              Line(length: k, paths: distribution.counts[k].description, meanNorm: perPath[k], std: nil,
                                   totalContribution: norms[k]) })
        }
        return nil
    }

    static func print(_ probes: [Probe], network: Network, json: Bool) throws {
        let reports = probes.compactMap { report($0, network: network) }
        if json { return try printJSON(reports) }
        for r in reports {
            Swift.print("gradient by path length (\(r.method)); magnitudes are ‖∂L/∂x‖ per image"
                        + (r.method == "exact" ? ", per path = norm of the summed gradient / path count" : ""))
            var table = TextColumns(["length", "paths", "per-path magnitude", "total contribution"], [.right, .right, .right, .right])
            for line in r.lengths where line.paths != "0" {   // plain blocks make short lengths impossible
                let paths = line.paths.count > 20 ? String(format: "%.3e", Double(line.paths) ?? .infinity) : line.paths
                table.append(["\(line.length)", paths, String(format: "%.4e", line.meanNorm), String(format: "%.4e", line.totalContribution)])
            }
            for text in table.lines() { Swift.print(text) }
            if let decay = r.decayPerBlock { Swift.print(String(format: "  per-path magnitude shrinks ×%.3f per extra block", decay)) }
            Swift.print("  effective paths (90% of the total contribution): lengths \(r.effectiveLengths[0])–\(r.effectiveLengths[1]), "
                        + Paths.percent(r.effectiveShareOfPaths) + " of all paths")
        }
    }
}
