import Nets

/// Each block's branch multiplied by α, one block at a time, for every α: the dose-response of
/// the lesion. α = 0 is the drop-one lesion, and is computed as it.
public struct ScaleBranches: Experiment {
    public let alphas: [Float]

    public init(alphas: [Float]) throws {
        guard !alphas.isEmpty else { throw AnalysisError(.badUsage, "give at least one branch scale α") }
        if let bad = alphas.first(where: { !$0.isFinite }) { throw AnalysisError(.badUsage, "the branch scale α = \(bad) is not finite") }
        self.alphas = alphas
    }

    public var id: String { ExperimentKind.scale.rawValue }
    public var settings: [String: String] { ["alphas": alphas.map { "\($0)" }.joined(separator: ",")] }

    /// Blocks whose branch cannot be scaled (plain blocks) or removed, whatever the α.
    public static func skipped(for network: Network) -> [Int] {
        (0..<network.blockCount).filter { network.scaleRefusal($0) != nil || network.dropRefusal($0) != nil }
    }

    public func variants(for network: Network) throws -> [Variant] {
        let skip = Set(ScaleBranches.skipped(for: network))
        var variants = [Variant.intact(blocks: network.blockCount)]
        for block in 0..<network.blockCount where !skip.contains(block) {
            for alpha in alphas { variants.append(.acting(.scaled(alpha), on: block, blocks: network.blockCount)) }
        }
        return variants
    }

    public func columns(for variants: [Variant], network: Network) -> [String: [Double]] {
        let blocks = variants.map(changedBlock)
        return ["block": blocks.map { Double($0 ?? -1) },
                "alpha": zip(variants, blocks).map { variant, block in Double(block.map { variant.steps[$0].action.alpha } ?? 1) }]
    }
}
