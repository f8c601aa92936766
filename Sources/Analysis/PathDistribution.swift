import Foundation
import Nets

/// How many paths of each length a network has, and where their mass lies.
///
/// Each block multiplies the generating polynomial by a factor: (1 + z) for a residual or highway
/// block (skip or branch), z for a plain block (the branch is the only way through). Counts are
/// exact integers. Shares are fractions of all paths; with gate weights, a highway block's factor
/// is (1 − t) + t·z, t its mean transform gate, and the shares are the probability of each length.
public struct PathDistribution: Sendable {
    public enum Factor: Sendable, Equatable {
        case residual
        case plain
        /// A highway block whose transform gate is open `t` of the time on average.
        case gated(Double)
    }

    public let factors: [Factor]
    /// Exact path counts per length 0...n (gates ignored: a highway block has two ways through).
    public let counts: [BigUInt]
    /// Share of paths (or, with gates, probability) per length 0...n.
    public let shares: [Double]

    public init(_ factors: [Factor]) {
        self.factors = factors
        var shares = [1.0]
        for factor in factors {
            let (stay, step): (Double, Double)
            switch factor {
            case .residual: (stay, step) = (0.5, 0.5)
            case .plain: (stay, step) = (0, 1)
            case .gated(let t): (stay, step) = (1 - t, t)
            }
            var next = [Double](repeating: 0, count: shares.count + 1)
            for k in shares.indices {
                next[k] += shares[k] * stay
                next[k + 1] += shares[k] * step
            }
            shares = next
        }
        self.shares = shares
        // Counts ignore gates, so the polynomial is z^plain · (1 + z)^rest: binomials, shifted. The
        // recurrence C(r, j + 1) = C(r, j)·(r − j)/(j + 1) takes about n² word operations, where
        // multiplying the factors out took n³ (37 s for 10,000 blocks).
        let plain = factors.filter { $0 == .plain }.count, rest = factors.count - plain
        var counts = [BigUInt](repeating: BigUInt(), count: factors.count + 1)
        var binomial = BigUInt(1)
        for j in 0...rest {
            counts[plain + j] = binomial
            if j < rest { binomial = binomial.multiplied(by: UInt32(rest - j)).dividedExactly(by: UInt32(j + 1)) }
        }
        self.counts = counts
    }

    /// n residual blocks: the binomial distribution of Veit et al.'s Fig. 6a.
    public init(blocks: Int) { self.init([Factor](repeating: .residual, count: blocks)) }

    /// The network's blocks as factors; `gates` gives highway blocks their mean transform gate.
    public init(network: Network, gates: [Int: Double] = [:]) {
        self.init(network.architecture.blocks.enumerated().map { index, block in
            switch block.kind {
            case .residual: return .residual
            case .plain: return .plain
            case .highway: return gates[index].map { .gated($0) } ?? .residual
            }
        })
    }

    public var totalPaths: BigUInt { counts.reduce(BigUInt(), +) }

    /// The expected path length.
    public var mean: Double { shares.enumerated().reduce(0) { $0 + Double($1.offset) * $1.element } }

    /// The share of paths with lengths in `range`.
    public func share(_ range: ClosedRange<Int>) -> Double {
        // clamped(to:) would turn a range past the longest length into that length alone.
        let lengths = 0...(shares.count - 1)
        guard range.overlaps(lengths) else { return 0 }
        return range.clamped(to: lengths).reduce(0) { $0 + shares[$1] }
    }

    /// The shortest range of lengths holding at least `mass`; among the shortest, the one holding most.
    public func tightestInterval(holding mass: Double) -> (range: ClosedRange<Int>, share: Double) {
        shortestInterval(of: shares, holding: mass)
    }
}

/// The shortest index range of `weights` holding at least `mass` of their total; among the
/// shortest, the one holding most (then the first).
public func shortestInterval(of weights: [Double], holding mass: Double) -> (range: ClosedRange<Int>, share: Double) {
    let total = weights.reduce(0, +)
    guard total > 0, !weights.isEmpty else { return (0...0, 0) }
    var prefix = [0.0]
    for w in weights { prefix.append(prefix.last! + w) }
    for length in 1...weights.count {
        var best: (range: ClosedRange<Int>, share: Double)? = nil
        for start in 0...(weights.count - length) {
            let share = (prefix[start + length] - prefix[start]) / total
            if share >= mass - 1e-12, best == nil || share > best!.share + 1e-15 { best = (start...(start + length - 1), share) }
        }
        if let best { return best }
    }
    return (0...(weights.count - 1), 1)
}
