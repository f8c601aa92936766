import Nets

/// Which images fit a fitted probe (a linear probe, the logit lens's projections) and which
/// evaluate it. Fitting and evaluating on the same images would report how well a probe
/// memorises, not what a block's features hold.
public enum ProbeSplit: Equatable, Sendable {
    /// A seeded share of the data fits and the rest evaluates. Image i fits when the first draw
    /// of SplitMix64 seeded with `seed + i` is below `fraction`·2⁶⁴: a draw per image, so the
    /// split needs no memory and reads the same in any batch size, shard or language.
    case fraction(Double, seed: UInt64)
    /// Every image of a separate file fits; all of the data evaluates.
    case separateData

    /// Whether image `index` of the evaluated data fits the probe.
    public func fits(_ index: Int) -> Bool {
        switch self {
        case .separateData: return false
        case .fraction(let share, let seed):
            var draw = SplitMix64(seed: seed &+ UInt64(index))
            return Double(draw.next()) < share * 0x1p64
        }
    }

    /// Whether image `index` of the evaluated data is held out to evaluate it.
    public func evaluates(_ index: Int) -> Bool { !fits(index) }

    /// Whether a pass uses image `index` of the images it runs over: the fitting pass every image
    /// of separate training data or the fitting share of the data, the scoring pass the rest.
    public func uses(_ index: Int, fitting: Bool) -> Bool {
        fitting ? (self == .separateData || fits(index)) : evaluates(index)
    }

    /// Throws unless a fraction lies strictly between 0 and 1.
    public func check() throws {
        if case .fraction(let share, _) = self, !(share > 0 && share < 1) {
            throw NetsError(.badUsage, "the fitting share must lie strictly between 0 and 1, not \(share)")
        }
    }

    /// For people and the results file.
    public var summary: String {
        switch self {
        case .fraction(let share, let seed): return "fraction \(share) of the data, seed \(seed)"
        case .separateData: return "separate training data"
        }
    }
}
