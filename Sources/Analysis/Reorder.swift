import Nets

/// Veit et al.'s third study: swap k random pairs of blocks with compatible shapes (same stage,
/// neither changing the shape), and relate the error to Kendall's τ against the original order.
public struct Reorder: Experiment {
    public var maxSwaps: Int
    /// Orders per number of swaps.
    public var samples: Int
    public var seed: UInt64

    public init(maxSwaps: Int, samples: Int, seed: UInt64) {
        self.maxSwaps = maxSwaps
        self.samples = samples
        self.seed = seed
    }

    public var id: String { ExperimentKind.reorder.rawValue }
    public var settings: [String: String] { ["max_swaps": "\(maxSwaps)", "samples": "\(samples)", "seed": "\(seed)"] }

    /// Groups of positions whose blocks can trade places.
    static func compatibleGroups(_ network: Network) -> [[Int]] {
        var groups: [String: [Int]] = [:]
        for block in 0..<network.blockCount where !network.downsamplingBlocks.contains(block) {
            let shapes = network.blockShapes(block)
            groups["\(network.architecture.blocks[block].stage) \(shapes.input) \(shapes.output)", default: []].append(block)
        }
        return groups.values.filter { $0.count > 1 }.sorted { $0[0] < $1[0] }
    }

    public func refusal(for network: Network) -> String? {
        Reorder.compatibleGroups(network).isEmpty ? "no two blocks of this network have compatible shapes to swap" : nil
    }

    public func variants(for network: Network) throws -> [Variant] {
        if let refusal = refusal(for: network) { throw NetsError(refusal) }
        let groups = Reorder.compatibleGroups(network)
        let pairsPerGroup = groups.map { $0.count * ($0.count - 1) / 2 }
        let totalPairs = pairsPerGroup.reduce(0, +)
        var generator = SplitMix64(seed: seed ^ 0x5EED_0F0E_DE25)
        var variants = [Variant.intact(blocks: network.blockCount)]
        for k in 1...max(1, maxSwaps) {
            for _ in 0..<samples {
                var order = Array(0..<network.blockCount)
                for _ in 0..<k {
                    // A uniformly random compatible pair, over all groups.
                    var pick = generator.below(totalPairs)
                    var group = 0
                    while pick >= pairsPerGroup[group] { pick -= pairsPerGroup[group]; group += 1 }
                    let members = groups[group]
                    var i = 0
                    while pick >= members.count - 1 - i { pick -= members.count - 1 - i; i += 1 }
                    let (a, b) = (members[i], members[i + 1 + pick])
                    order.swapAt(a, b)
                }
                variants.append(.ordered(order))
            }
        }
        return variants
    }

    public func columns(for variants: [Variant], network: Network) -> [String: [Double]] {
        let swaps = [0.0] + (1...max(1, maxSwaps)).flatMap { k in [Double](repeating: Double(k), count: samples) }
        return ["swaps": Array(swaps.prefix(variants.count)), "kendall_tau": variants.map { kendallTau($0.order) }]
    }
}
