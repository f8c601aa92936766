import Nets

/// One way to run a network: the blocks in order, each whole or with its branch removed.
/// Every lesion experiment is a list of variants; the intact network is one too.
public struct Variant: Hashable, Sendable {
    public struct Step: Hashable, Sendable {
        public var block: Int
        public var dropped: Bool
        public init(block: Int, dropped: Bool) {
            self.block = block
            self.dropped = dropped
        }
    }

    public var steps: [Step]

    public init(steps: [Step]) { self.steps = steps }

    public static func intact(blocks: Int) -> Variant {
        Variant(steps: (0..<blocks).map { Step(block: $0, dropped: false) })
    }

    public static func dropping(_ dropped: Set<Int>, blocks: Int) -> Variant {
        Variant(steps: (0..<blocks).map { Step(block: $0, dropped: dropped.contains($0)) })
    }

    public static func ordered(_ order: [Int]) -> Variant {
        Variant(steps: order.map { Step(block: $0, dropped: false) })
    }

    public var droppedBlocks: [Int] { steps.filter(\.dropped).map(\.block).sorted() }
    public var order: [Int] { steps.map(\.block) }
}

/// Kendall's τ between `order` and the identity 0, 1, ..., n−1: (concordant − discordant) pairs
/// over all n(n−1)/2 pairs. 1 for the original order, −1 for the reversed one.
public func kendallTau(_ order: [Int]) -> Double {
    let n = order.count
    guard n > 1 else { return 1 }
    var score = 0
    for i in 0..<n {
        for j in (i + 1)..<n { score += order[i] < order[j] ? 1 : -1 }
    }
    return Double(score) / Double(n * (n - 1) / 2)
}

/// A small deterministic generator (SplitMix64), so seeded experiments repeat exactly on every
/// machine and Swift version.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE5_E4B9
        z = (z ^ (z >> 27)) &* 0x94D0_49EB_2D7C_98BB
        return z ^ (z >> 31)
    }

    /// Uniform in 0..<bound without modulo bias.
    public mutating func below(_ bound: Int) -> Int {
        precondition(bound > 0)
        let limit = UInt64.max - UInt64.max % UInt64(bound)
        while true {
            let value = next()
            if value < limit { return Int(value % UInt64(bound)) }
        }
    }
}
