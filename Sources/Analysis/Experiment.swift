import Nets

/// A lesion experiment: a named list of variants (the first is always the intact network) and
/// what to record about each.
public protocol Experiment {
    /// The results-file group: "drop_one", "drop_many", "reorder".
    var id: String { get }
    /// Everything that determines the variants, recorded so that a resume or a merge can check
    /// it is continuing the same experiment.
    var settings: [String: String] { get }
    func variants(for network: Network) throws -> [Variant]
    /// Per-variant columns besides the statistics (block numbers, k, Kendall τ), as name → values.
    func columns(for variants: [Variant], network: Network) -> [String: [Double]]
    /// Why the experiment cannot be done on `network` at all (no two blocks to swap, say), or nil.
    /// `variants(for:)` throws in that case; a study of several experiments leaves it out instead.
    func refusal(for network: Network) -> String?
}

extension Experiment {
    public func refusal(for network: Network) -> String? { nil }
}

/// Blocks whose branch can be removed.
func droppableBlocks(_ network: Network, excludingDownsampling: Bool = false) -> [Int] {
    (0..<network.blockCount).filter { block in
        network.dropRefusal(block) == nil && !(excludingDownsampling && network.downsamplingBlocks.contains(block))
    }
}
