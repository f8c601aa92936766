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
