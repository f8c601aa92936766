import Nets

/// Veit et al.'s first lesion study: remove each block's branch in turn.
public struct DropOne: Experiment {
    public init() {}

    public var id: String { ExperimentKind.dropOne.rawValue }
    public var settings: [String: String] { [:] }

    /// The intact network, then one variant per block whose branch can be removed. Plain blocks
    /// that change the shape cannot be removed and are left out (the results file lists them).
    public func variants(for network: Network) throws -> [Variant] {
        [Variant.intact(blocks: network.blockCount)]
            + droppableBlocks(network).map { Variant.dropping([$0], blocks: network.blockCount) }
    }

    public func columns(for variants: [Variant], network: Network) -> [String: [Double]] {
        let blocks = variants.map { Double($0.droppedBlocks.first ?? -1) }
        let downsampling = Set(network.downsamplingBlocks)
        return ["block": blocks, "downsampling": blocks.map { downsampling.contains(Int($0)) ? 1 : 0 }]
    }
}
