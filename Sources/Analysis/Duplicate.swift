import Nets

/// gcr's third lesion operation: each block run twice in place, its output fed back as its input.
/// Blocks that change the shape cannot be (their output is not a valid input); they are left out
/// and listed by `skipped(for:)`.
public struct Duplicate: Experiment {
    public init() {}

    public var id: String { ExperimentKind.duplicate.rawValue }
    public var settings: [String: String] { [:] }

    public func skipped(for network: Network) -> [Int] {
        (0..<network.blockCount).filter { network.duplicateRefusal($0) != nil }
    }

    public func variants(for network: Network) throws -> [Variant] {
        let blocks = (0..<network.blockCount).filter { network.duplicateRefusal($0) == nil }
        return [Variant.intact(blocks: network.blockCount)]
            + blocks.map { Variant.acting(.twice, on: $0, blocks: network.blockCount) }
    }

    public func columns(for variants: [Variant], network: Network) -> [String: [Double]] {
        ["block": variants.map { Double(changedBlock($0) ?? -1) }]
    }
}

/// The one block a single-block variant changes, or nil for the intact network.
func changedBlock(_ variant: Variant) -> Int? {
    variant.steps.enumerated().first { $0.element.block != $0.offset || $0.element.action != .run }?.element.block
}
