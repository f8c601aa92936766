import Nets

/// Batch-norm re-estimation for an experiment's variants (`--recalibrate-bn`): each variant's
/// network with every batch norm after its first changed block given the statistics of that
/// variant's own activations on the recalibration images (`Network.recalibrated(for:on:)`). Each
/// variant's network is made once and reused for every batch; the prefix before its first changed
/// block is still the intact pass's.
public final class Recalibration {
    public let network: Network
    public let imageCount: Int
    private let images: [Tensor]
    private var networks: [Variant: (network: Network, start: Int)] = [:]

    /// The first `limit` images of `data`, preprocessed, in batches of `batchSize`.
    public init(network: Network, data: DatasetFile, limit: Int, batchSize: Int) throws {
        guard limit > 0 else { throw NetsError("batch-norm recalibration needs at least one image (the limit is \(limit))") }
        try data.check(fits: network.architecture)
        let count = min(limit, data.count)
        images = try stride(from: 0, to: count, by: batchSize).map {
            try data.batch($0..<min($0 + batchSize, count), preprocessing: network.architecture.preprocessing).images
        }
        self.network = network
        imageCount = count
    }

    /// The logits of each variant on `batch`, with its batch norms re-estimated.
    public func logits(_ variants: [Variant], on batch: Batch) throws -> [Tensor] {
        try variants.map { variant in
            let (recalibrated, start) = try networkFor(variant)
            guard start < variant.steps.count else { return batch.logits }
            return try recalibrated.forward(fromPosition: start, blockInput: try batch.intactBlockInput(start),
                                            options: RunOptions(variant: variant))
        }
    }

    private func networkFor(_ variant: Variant) throws -> (network: Network, start: Int) {
        if let made = networks[variant] { return made }
        let made = try network.recalibrated(for: variant, on: images)
        networks[variant] = made
        return made
    }
}

/// An experiment whose variants are evaluated with re-estimated batch norms: the same variants
/// as `inner`, under "<inner>_recalibrated", so both numbers sit side by side in the file.
public struct Recalibrated: Experiment {
    public let inner: Experiment
    public let recalibration: Recalibration

    public init(_ inner: Experiment, recalibration: Recalibration) {
        self.inner = inner
        self.recalibration = recalibration
    }

    public var id: String { inner.id + "_recalibrated" }
    public var settings: [String: String] {
        inner.settings.merging(["recalibration_images": "\(recalibration.imageCount)"]) { $1 }
    }
    public func variants(for network: Network) throws -> [Variant] { try inner.variants(for: network) }
    public func columns(for variants: [Variant], network: Network) -> [String: [Double]] { inner.columns(for: variants, network: network) }
}
