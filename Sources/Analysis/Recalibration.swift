import Nets

/// Batch-norm re-estimation for an experiment's variants (`--recalibrate-bn`): each variant's
/// network with every batch norm after its first changed block given the statistics of that
/// variant's own activations on the recalibration images.
///
/// What a sweep can share is shared. The intact activations of the recalibration images advance
/// block by block as the variants' first changes move down the network, so the prefix is walked
/// once for a whole sweep in block order, not once per variant. Each variant's statistics are
/// computed once and kept (a few numbers per channel); its network is compiled from them for each
/// batch, only from its first changed block on, so memory does not grow with the variant count.
public final class Recalibration {
    public let network: Network
    public let imageCount: Int
    private let images: [Tensor]
    private var statistics: [Variant: (start: Int, entries: [String: Weights.Entry])] = [:]
    /// The intact network's inputs to block `position` for the recalibration images.
    private var cursor: (position: Int, inputs: [Tensor])?
    /// Block evaluations of the variants on the evaluated batches so far (as `Batch.blockEvaluations`
    /// counts them, the intact pass not included).
    public private(set) var blockEvaluations = 0
    /// Block evaluations over the recalibration images so far, per image: the intact prefix as it
    /// advances, and each variant's walk from its first change.
    public private(set) var walkBlockEvaluations = 0

    /// The first `limit` images of `data`, preprocessed, in batches of `batchSize`.
    public init(network: Network, data: DatasetFile, limit: Int, batchSize: Int) throws {
        guard limit > 0 else { throw NetsError(.badUsage, "batch-norm recalibration needs at least one image (the limit is \(limit))") }
        try network.checkRecalibratable()
        try data.check(fits: network.architecture)
        let count = min(limit, data.count)
        images = try stride(from: 0, to: count, by: batchSize).map {
            try data.batch($0..<min($0 + batchSize, count), preprocessing: network.architecture.preprocessing).images
        }
        self.network = network
        imageCount = count
    }

    /// Re-estimates the statistics of every variant given that lacks them, in the order of their
    /// first changes, so that the intact prefix of the recalibration images is walked once. (An
    /// experiment sorts its variants for shared prefixes on the evaluated batches, which puts
    /// late changes first.)
    public func prepare(_ variants: [Variant]) throws {
        let pending = variants.filter { statistics[$0] == nil }
            .map { (variant: $0, start: network.firstChange(in: $0) ?? Int.max) }
            .sorted { $0.start < $1.start }
        for item in pending { _ = try statisticsFor(item.variant) }
    }

    /// The logits of each variant on `batch`, with its batch norms re-estimated.
    public func logits(_ variants: [Variant], on batch: Batch) throws -> [Tensor] {
        try variants.map { variant in
            let (start, entries) = try statisticsFor(variant)
            guard start < variant.steps.count else { return batch.logits }
            blockEvaluations += Recalibration.evaluations(variant.steps[start...])
            let recalibrated = try network.withStatistics(entries, from: start,
                                                          note: "batch norms re-estimated on \(imageCount) images")
            return try recalibrated.forward(fromPosition: start, blockInput: try batch.intactBlockInput(start),
                                            options: RunOptions(variant: variant))
        }
    }

    private static func evaluations(_ steps: ArraySlice<Variant.Step>) -> Int {
        steps.reduce(0) { $0 + $1.action.evaluations }
    }

    private func statisticsFor(_ variant: Variant) throws -> (start: Int, entries: [String: Weights.Entry]) {
        if let made = statistics[variant] { return made }
        guard let start = network.firstChange(in: variant) else { return (variant.steps.count, [:]) }
        let made = (start, try network.recalibrationStatistics(for: variant, from: start, blockInputs: try intactInputs(at: start)))
        statistics[variant] = made
        walkBlockEvaluations += Recalibration.evaluations(variant.steps[start...])
        return made
    }

    /// The intact inputs to block `position`, advanced from the cursor (or from the stem when the
    /// cursor has passed it).
    private func intactInputs(at position: Int) throws -> [Tensor] {
        var (at, inputs) = try cursor.flatMap { $0.position <= position ? $0 : nil }
            ?? (0, images.map { try network.runStem($0) })
        while at < position {
            inputs = try inputs.map { x in var input = x; return try network.runBlock(at, &input) }
            at += 1
            walkBlockEvaluations += 1
        }
        cursor = (at, inputs)
        return inputs
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

    public var id: String { inner.id + ExperimentKind.recalibratedSuffix }
    public var settings: [String: String] {
        inner.settings.merging(["recalibration_images": "\(recalibration.imageCount)"]) { $1 }
    }
    public func variants(for network: Network) throws -> [Variant] { try inner.variants(for: network) }
    public func refusal(for network: Network) -> String? { inner.refusal(for: network) }
    public func columns(for variants: [Variant], network: Network) -> [String: [Double]] { inner.columns(for: variants, network: network) }
}
