import Foundation
import Nets

/// An experiment running over a dataset: a probe that evaluates its variants batch by batch,
/// keeping additive statistics per (variant, batch) so that an interrupted run resumes, and
/// shards merge, into exactly the numbers one uninterrupted run gives.
public final class ExperimentRun: Probe {
    /// The results-file group, e.g. "drop_one".
    public let id: String
    /// What determines the variants (JSON), checked on resume and merge.
    public let settings: String
    public let variants: [Variant]
    public let columns: [String: [Double]]
    public let classes: Int
    public let batchCount: Int
    public let shard: Shard
    /// Variant indices per chunk, grouped so that variants sharing computation run together.
    let chunks: [[Int]]
    /// Statistics per variant and batch.
    var rows: [Int: [Int: VariantStatistics]] = [:]
    var unitsDone: Set<Int> = []
    /// Block evaluations this process spent on the variants, beyond each batch's intact pass, and
    /// the batches it did: what the shared prefixes saved is reported against the naive loop.
    public private(set) var blockEvaluations = 0
    public private(set) var batchesEvaluated = 0
    /// Called after each work unit this process computes, with the unit's statistics in place:
    /// `Study` saves and draws progress there, since one batch of many variants can take an hour.
    public var afterUnit: (() throws -> Void)?

    public static let chunkSize = 64
    /// Set for a `Recalibrated` experiment: variants then run with re-estimated batch norms.
    public var recalibration: Recalibration?

    /// `prefix` puts the results under a group of that name, to keep several networks in one file.
    public convenience init(_ experiment: Experiment, network: Network, batchCount: Int, shard: Shard = .whole,
                            prefix: String? = nil) throws {
        let variants = try experiment.variants(for: network)
        self.init(id: prefix.map { "\($0)/\(experiment.id)" } ?? experiment.id, settings: ExperimentRun.encode(experiment.settings), variants: variants,
                  columns: experiment.columns(for: variants, network: network), classes: network.architecture.classes,
                  batchCount: batchCount, shard: shard)
        recalibration = (experiment as? Recalibrated)?.recalibration
    }

    /// A run rebuilt from its parts, as a results file stores them.
    init(id: String, settings: String, variants: [Variant], columns: [String: [Double]], classes: Int,
         batchCount: Int, shard: Shard) {
        self.id = id
        self.settings = settings
        self.variants = variants
        self.columns = columns
        self.classes = classes
        self.batchCount = batchCount
        self.shard = shard
        let sorted = variants.indices.sorted { a, b in
            variants[a].steps.lexicographicallyPrecedes(variants[b].steps)
        }
        chunks = stride(from: 0, to: sorted.count, by: ExperimentRun.chunkSize).map {
            Array(sorted[$0..<min($0 + ExperimentRun.chunkSize, sorted.count)])
        }
    }

    public var name: String { id }

    /// The settings as JSON with sorted keys: one spelling per set of settings, any value escaped.
    static func encode(_ settings: [String: String]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding a [String: String] cannot fail.
        return String(decoding: (try? encoder.encode(settings)) ?? Data("{}".utf8), as: UTF8.self)
    }

    /// Whether two stored settings strings say the same, whatever their spacing (files written
    /// before the settings went through JSONEncoder spaced them by hand).
    static func sameSettings(_ a: String, _ b: String) -> Bool {
        let decode = { (text: String) in try? JSONDecoder().decode([String: String].self, from: Data(text.utf8)) }
        guard let x = decode(a), let y = decode(b) else { return a == b }
        return x == y
    }
    public var evaluatesVariants: Bool { true }

    public var unitCount: Int { batchCount * chunks.count }
    func unit(batch: Int, chunk: Int) -> Int { batch * chunks.count + chunk }
    var ownedUnits: [Int] { (0..<unitCount).filter { shard.owns(unit: $0) } }
    /// Work units this process owns and has not done yet.
    var unitsLeft: Int { ownedUnits.filter { !unitsDone.contains($0) }.count }
    /// Whether this process owns the unit of `batch` and `chunk` and has not done it yet.
    private func isLeft(batch: Int, chunk: Int) -> Bool {
        let u = unit(batch: batch, chunk: chunk)
        return shard.owns(unit: u) && !unitsDone.contains(u)
    }

    /// Whether every unit of the experiment is done (after a merge, or in an unsharded run).
    public var isComplete: Bool { unitsDone.count == unitCount }

    public func wants(batch index: Int) -> Bool {
        chunks.indices.contains { isLeft(batch: index, chunk: $0) }
    }

    /// Block evaluations per batch if every variant ran from the image: Σ over variants of its
    /// steps (a duplicated block counts twice).
    public var naiveBlockEvaluations: Int {
        variants.reduce(0) { $0 + $1.steps.reduce(0) { $0 + $1.action.evaluations } }
    }

    /// The variants of this batch's units left to do, unless recalibrated (each then runs on a
    /// network of its own).
    public func plannedVariants(batch index: Int) -> [Variant] {
        guard recalibration == nil else { return [] }
        return chunks.indices.filter { isLeft(batch: index, chunk: $0) }.flatMap { chunks[$0] }.map { variants[$0] }
    }

    public func observe(_ batch: Batch) throws {
        // A recalibrated run evaluates its variants on networks of its own, which count themselves.
        let before = recalibration?.blockEvaluations ?? 0
        defer {
            if let recalibration { blockEvaluations += recalibration.blockEvaluations - before }
            batchesEvaluated += 1
        }
        if let recalibration {
            // Every variant this run will evaluate, so that their statistics come in block order.
            let needed = chunks.indices.filter { c in
                (0..<batchCount).contains { isLeft(batch: $0, chunk: c) }
            }
            try recalibration.prepare(needed.flatMap { chunks[$0] }.map { variants[$0] })
        }
        for (c, chunk) in chunks.enumerated() {
            guard isLeft(batch: batch.index, chunk: c) else { continue }
            let u = unit(batch: batch.index, chunk: c)
            let chunkVariants = chunk.map { variants[$0] }
            let logits = try recalibration.map { try $0.logits(chunkVariants, on: batch) } ?? batch.evaluate(chunkVariants)
            if recalibration == nil { blockEvaluations += try batch.evaluations(of: chunkVariants) }
            for (variant, variantLogits) in zip(chunk, logits) {
                rows[variant, default: [:]][batch.index] = VariantStatistics(
                    logits: variantLogits, intact: batch.logits, labels: batch.labels, classes: classes)
            }
            unitsDone.insert(u)
            try afterUnit?()
        }
    }

    /// Each variant's statistics over all batches done, summed in batch order (so the result does
    /// not depend on the order the batches were computed in).
    public var totals: [VariantStatistics] {
        variants.indices.map { v in
            (rows[v] ?? [:]).sorted { $0.key < $1.key }.reduce(VariantStatistics(classes: classes)) { $0 + $1.value }
        }
    }

    /// Statistics rows as (variant, batch, statistics), sorted.
    var sortedRows: [(variant: Int, batch: Int, statistics: VariantStatistics)] {
        rows.keys.sorted().flatMap { v in rows[v]!.keys.sorted().map { b in (v, b, rows[v]![b]!) } }
    }
}
