import Nets

/// Zhang, Bengio & Singer (2019): each block's weights redrawn as at initialisation
/// (`Reinitialization`), one block at a time. A block whose error barely moves is "robust to
/// re-initialisation": what it learned matters little to the whole.
public struct Reinit: Experiment {
    public let seed: UInt64

    public init(seed: UInt64) { self.seed = seed }

    public var id: String { ExperimentKind.reinit.rawValue }
    public var settings: [String: String] { ["seed": "\(seed)"] }

    public func variants(for network: Network) throws -> [Variant] {
        [Variant.intact(blocks: network.blockCount)]
            + (0..<network.blockCount).map { Variant.acting(.reinit(seed: seed), on: $0, blocks: network.blockCount) }
    }

    public func columns(for variants: [Variant], network: Network) -> [String: [Double]] {
        ["block": variants.map { Double(changedBlock($0) ?? -1) }]
    }
}
