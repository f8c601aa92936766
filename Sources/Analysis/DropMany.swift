import Nets

/// Veit et al.'s second study: remove k blocks at random, for k = 1...maxK.
public struct DropMany: Experiment {
    public var maxK: Int
    /// Sets per k. When C(n, k) is no larger, every set is used.
    public var samples: Int
    public var seed: UInt64
    public var excludeDownsampling: Bool

    public init(maxK: Int, samples: Int, seed: UInt64, excludeDownsampling: Bool = false) {
        self.maxK = maxK
        self.samples = samples
        self.seed = seed
        self.excludeDownsampling = excludeDownsampling
    }

    public var id: String { ExperimentKind.dropMany.rawValue }
    public var settings: [String: String] {
        ["max_k": "\(maxK)", "samples": "\(samples)", "seed": "\(seed)", "exclude_downsampling": "\(excludeDownsampling)"]
    }

    public func refusal(for network: Network) -> String? {
        droppableBlocks(network, excludingDownsampling: excludeDownsampling).isEmpty ? "no block of this network can be removed" : nil
    }

    public func variants(for network: Network) throws -> [Variant] {
        let pool = droppableBlocks(network, excludingDownsampling: excludeDownsampling)
        guard maxK >= 1 else { throw NetsError(.badUsage, "drop-many needs a largest k of at least 1, not \(maxK)") }
        if let refusal = refusal(for: network) { throw NetsError(refusal) }
        var variants = [Variant.intact(blocks: network.blockCount)]
        for k in 1...min(maxK, pool.count) {   // k stops at the number of removable blocks
            for set in sets(of: k, from: pool) { variants.append(.dropping(Set(set), blocks: network.blockCount)) }
        }
        return variants
    }

    /// All k-subsets when there are at most `samples`, else `samples` distinct random ones.
    func sets(of k: Int, from pool: [Int]) -> [[Int]] {
        if binomial(pool.count, k) <= Double(samples) { return combinations(pool, k) }
        var generator = SplitMix64(seed: seed &+ UInt64(k) &* 0x100000001B3)
        var chosen: Set<[Int]> = []
        var ordered: [[Int]] = []
        while ordered.count < samples {
            var remaining = pool
            var set: [Int] = []
            for _ in 0..<k { set.append(remaining.remove(at: generator.below(remaining.count))) }
            set.sort()
            if chosen.insert(set).inserted { ordered.append(set) }
        }
        return ordered
    }

    public func columns(for variants: [Variant], network: Network) -> [String: [Double]] {
        ["k": variants.map { Double($0.droppedBlocks.count) }]
    }
}

func binomial(_ n: Int, _ k: Int) -> Double {
    guard k >= 0, k <= n else { return 0 }
    var result = 1.0
    for i in 0..<min(k, n - k) { result = result * Double(n - i) / Double(i + 1) }
    return result.rounded()
}

func combinations(_ pool: [Int], _ k: Int) -> [[Int]] {
    guard k > 0 else { return [[]] }
    guard pool.count >= k else { return [] }
    var result: [[Int]] = []
    for (index, first) in pool.enumerated() {
        for rest in combinations(Array(pool[(index + 1)...]), k - 1) { result.append([first] + rest) }
    }
    return result
}
