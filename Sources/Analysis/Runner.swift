import Foundation
import Nets

/// Streams a dataset through a network in batches and hands each batch to probes. Memory stays
/// bounded by one batch whatever the dataset's size.
public final class Runner {
    public let network: Network
    public let data: DatasetFile
    public let batchSize: Int
    public let limit: Int?

    public init(network: Network, data: DatasetFile, batchSize: Int = 128, limit: Int? = nil) throws {
        try data.check(fits: network.architecture)
        guard data.count > 0 else { throw NetsError("\(data.path): the dataset holds no images") }
        guard batchSize > 0 else { throw NetsError(.badUsage, "the batch size must be positive, not \(batchSize)") }
        self.network = network
        self.data = data
        self.batchSize = batchSize
        self.limit = limit
    }

    /// The images used: the first `limit`, or all.
    public var imageCount: Int { min(data.count, limit ?? data.count) }

    /// The batches, in order.
    public var batches: [Range<Int>] {
        stride(from: 0, to: imageCount, by: batchSize).map { $0..<min($0 + batchSize, imageCount) }
    }

    /// Runs every probe over every batch it wants. `afterBatch` is called after each batch (to
    /// checkpoint results, draw progress).
    public func run(_ probes: [Probe], afterBatch: ((Int, Range<Int>) throws -> Void)? = nil) throws {
        try check(probes)
        for (index, range) in batches.enumerated() {
            let active = probes.filter { $0.wants(batch: index) }
            if active.isEmpty {
                try afterBatch?(index, range)
                continue
            }
            // init's DatasetFile.check(fits:) has checked every label is one of the classes.
            let (images, labels) = try data.batch(range, preprocessing: network.architecture.preprocessing)
            // One intact pass serves everyone: the shared-prefix evaluator's when variants will run
            // (it keeps block inputs), with the hooks that copy what probes read.
            var captured: [HookPoint: Tensor] = [:]
            var hooks = Hooks()
            for point in Set(active.flatMap(\.reads)) {
                hooks.add(point) { point, tensor in captured[point] = tensor.copy(); return nil }
            }
            var evaluator: SharedPrefixEvaluator? = nil
            let logits: Tensor
            if active.contains(where: { $0.evaluatesVariants }) {
                // Walked along only when every probe that evaluates variants announced them: one
                // that did not (a recalibrated run reads block inputs) would pay a second pass.
                let plans = active.filter(\.evaluatesVariants).map { $0.plannedVariants(batch: index) }
                let planned = plans.contains(where: \.isEmpty) ? [] : plans.flatMap { $0 }
                let made = try SharedPrefixEvaluator(network: network, images: images, hooks: hooks, planned: planned)
                (evaluator, logits) = (made, made.intactLogits)
            } else {
                logits = try network.forward(images, options: RunOptions(hooks: hooks))
            }
            let batch = Batch(index: index, range: range, images: images, labels: labels, network: network,
                              logits: logits, activations: captured, evaluator: evaluator)
            for probe in active { try probe.observe(batch) }
            try afterBatch?(index, range)
        }
        for probe in probes { try probe.finish() }
    }

    /// Every point every probe reads must exist, before any work is done.
    public func check(_ probes: [Probe]) throws {
        for probe in probes {
            for point in probe.reads {
                do {
                    try network.checkHookPoint(point, for: "probe '\(probe.name)'")
                } catch let error as NetsError {
                    throw ProbeError(error.message)
                }
            }
        }
    }
}
