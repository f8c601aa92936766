import Foundation
import HDF5
import Nets

/// The least-squares slope of ln(y) against x, over points with y > 0: the per-step decay rate
/// of an exponential y ≈ a·exp(slope·x). nil with fewer than two such points.
public func exponentialSlope(_ x: [Double], _ y: [Double]) -> Double? {
    let points = zip(x, y).filter { $0.1 > 0 && $0.1.isFinite }.map { ($0.0, log($0.1)) }
    guard points.count >= 2 else { return nil }
    let mx = points.map(\.0).reduce(0, +) / Double(points.count), my = points.map(\.1).reduce(0, +) / Double(points.count)
    let sxy = points.reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) }, sxx = points.reduce(0) { $0 + ($1.0 - mx) * ($1.0 - mx) }
    return sxx > 0 ? sxy / sxx : nil
}

/// Veit et al.'s measurement (Fig. 6b): forward a batch through the whole network; in the
/// backward pass pick k blocks at random, go through only their branches and only the shortcuts
/// of the others, and record the norm of the gradient arriving at the input. The loss is each
/// image's cross-entropy; the norm is ‖∂L/∂x‖ per image, averaged over the batch.
///
/// Plain blocks have no shortcut, so every path goes through them: a path's length counts them,
/// and k is drawn among the other blocks.
///
/// Each sample is saved as the run goes (`raw/rows`), with the generator's state after the last
/// batch measured, so an interrupted run resumes from there and draws what an uninterrupted one
/// draws.
public final class SampledPathGradients: Probe, ResumableGroup {
    public let network: Network
    public let samples: Int
    public let seed: UInt64
    /// Blocks a path may skip.
    let optional: [Int]
    let forced: Int
    /// Numbers of optional blocks whose branch a sampled path takes.
    public let ks: [Int]
    let batchCount: Int
    private var generator: SplitMix64
    /// Every sample in the order drawn: the batch it was measured on, its k and its norm.
    private var rows: [(batch: Int, k: Int, norm: Double)] = []
    /// Per k: the batch-mean input-gradient norm of each sample, in the order drawn.
    public var values: [Int: [Double]] { Dictionary(grouping: rows, by: \.k).mapValues { $0.map(\.norm) } }
    /// The last batch observed (-1 before the first); the generator's state is the one after it.
    private var lastBatch = -1

    public init(network: Network, samples: Int, lengths: ClosedRange<Int>?, seed: UInt64, batchCount: Int) throws {
        self.network = network
        self.samples = samples
        self.seed = seed
        let optional = (0..<network.blockCount).filter { network.architecture.blocks[$0].kind != .plain }
        let forced = network.blockCount - optional.count
        self.optional = optional
        self.forced = forced
        let wanted = lengths.map { ($0.lowerBound - forced)...($0.upperBound - forced) } ?? 0...optional.count
        guard wanted.lowerBound >= 0, wanted.upperBound <= optional.count else {
            throw NetsError(.badUsage, "path lengths must lie in \(forced)...\(network.blockCount) for this network")
        }
        guard samples > 0 else { throw NetsError(.badUsage, "the samples per path length must be positive, not \(samples)") }
        ks = Array(wanted)
        self.batchCount = max(batchCount, 1)
        generator = SplitMix64(seed: seed ^ 0x9A7A_6BAD_1E57)
    }

    public var name: String { "grads_sampled" }
    public var id: String { name }

    public var isComplete: Bool { ks.allSatisfy { (values[$0]?.count ?? 0) >= samples } }

    public func wants(batch index: Int) -> Bool { index > lastBatch && !isComplete }

    /// Samples of each length drawn on batch `index` when `missing` are still to be drawn: the
    /// rest spread evenly over the batches left.
    private func drawsOnBatch(_ index: Int, missing: Int) -> Int {
        let remainingBatches = max(batchCount - index, 1)
        return max(index == batchCount - 1 ? missing : min(missing, (missing + remainingBatches - 1) / remainingBatches), 0)
    }

    /// Batches on which samples are drawn: the work units of a whole run.
    var batchesDrawing: Int {
        var missing = samples, batches = 0
        for index in 0..<batchCount where missing > 0 {
            let now = drawsOnBatch(index, missing: missing)
            if now > 0 { batches += 1 }
            missing -= now
        }
        return batches
    }

    public func observe(_ batch: Batch) throws {
        defer { lastBatch = batch.index }
        // Every route this batch takes, drawn first: each chunk of the batch goes down all of them.
        var drawn: [(k: Int, routes: [Int: Route])] = []
        let held = values
        for k in ks {
            for _ in 0..<drawsOnBatch(batch.index, missing: samples - (held[k]?.count ?? 0)) {
                var pool = optional
                var chosen: Set<Int> = []
                for _ in 0..<k { chosen.insert(pool.remove(at: generator.below(pool.count))) }
                var routes: [Int: Route] = [:]
                for block in optional { routes[block] = chosen.contains(block) ? .branch : .shortcut }
                drawn.append((k, routes))
            }
        }
        guard !drawn.isEmpty else { return }
        var norms = [[Double]](repeating: [], count: drawn.count)
        try network.forEachRecordedChunk(batch.images, target: .crossEntropy(labels: batch.labels)) { _, record, seed in
            for (sample, path) in drawn.enumerated() {
                norms[sample] += imageNorms(try network.backward(record, logitGradient: seed, routes: path.routes))
            }
        }
        for (sample, path) in drawn.enumerated() {
            rows.append((batch.index, path.k, norms[sample].reduce(0, +) / Double(norms[sample].count)))
        }
    }

    public var lengths: [Int] { ks.map { $0 + forced } }
    public var means: [Double] {
        let values = values
        return ks.map { k in values[k].map { $0.reduce(0, +) / Double(max($0.count, 1)) } ?? .nan }
    }
    public var deviations: [Double] {
        let values = values
        return ks.map { k in
            guard let v = values[k], v.count > 1 else { return .nan }
            let m = v.reduce(0, +) / Double(v.count)
            return (v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(v.count - 1)).squareRoot()
        }
    }
    /// ln of the factor by which the gradient shrinks per extra block on a path.
    public var decayPerBlock: Double? { exponentialSlope(lengths.map(Double.init), means) }

    /// Path count × mean magnitude per length (Fig. 6c), over the lengths sampled.
    public var totalContribution: [Double] {
        let counts = PathDistribution(network: network).counts
        return zip(lengths, means).map { counts[$0.0].double * $0.1 }
    }

    /// What determines the numbers, checked on resume.
    var settings: String {
        ExperimentRun.encode(["samples": "\(samples)", "lengths": lengths.map(String.init).joined(separator: ","),
                              "seed": "\(seed)", "batches": "\(batchCount)"])
    }

    static let rowColumns = ["batch", "length", "norm"]

    public func write(into root: Group) throws {
        let group = try root.createGroup(id)
        try group.setAttribute("method", "sampled, as Veit et al. 2016: random k blocks through their branch, the rest through their shortcut")
        try group.writeProgress(complete: isComplete, settings: settings, unitsTotal: batchesDrawing, unitsDone: Set(rows.map(\.batch)).count,
                                rows: rows.flatMap { [Double($0.batch), Double($0.k + forced), $0.norm] },
                                columns: SampledPathGradients.rowColumns)
        try group.setAttribute("last_batch", Int64(lastBatch))
        try group.setAttribute("generator_state", Int64(bitPattern: generator.state))
        try group.setAttribute("samples_per_length", Int64(samples))
        try group.setAttribute("seed", Int64(bitPattern: seed))
        try group.setAttribute("loss", "per-image cross-entropy; norms per image, averaged over the batch")
        guard isComplete else { return }
        if let decay = decayPerBlock { try group.setAttribute("decay_per_block", exp(decay)) }
        try group.column("length", lengths.map(Double.init), units: "blocks whose branch the path takes")
        try group.column("mean_norm", means, units: "‖∂L/∂x‖ at the input")
        try group.column("std_norm", deviations, units: "‖∂L/∂x‖, sample standard deviation over samples")
        try group.column("total_contribution", totalContribution, units: "path count × mean norm")
        let width = samples
        var table = [Double](repeating: .nan, count: ks.count * width)
        let values = values
        for (row, k) in ks.enumerated() { for (i, v) in (values[k] ?? []).prefix(width).enumerated() { table[row * width + i] = v } }
        try group.createDataset("samples", shape: [ks.count, width], values: table, options: .checksummed)
            .setAttribute("units", "‖∂L/∂x‖ of each sample")
    }

    /// Takes up the samples an earlier run saved in `group`. A group an earlier Unravel wrote
    /// whole, without its rows, is measured again and replaced, as that Unravel did.
    public func resume(from group: Group, path: String) throws {
        let width = SampledPathGradients.rowColumns.count
        guard let table = try group.resumableRows(width: width, settings: settings, path: path) else { return }
        rows = stride(from: 0, to: table.count, by: width).map { (Int(table[$0]), Int(table[$0 + 1]) - forced, table[$0 + 2]) }
        lastBatch = Int(try group.attribute("last_batch", as: Int64.self))
        generator = SplitMix64(seed: UInt64(bitPattern: try group.attribute("generator_state", as: Int64.self)))
    }
}
