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
public final class SampledPathGradients: Probe, ResultsGroup {
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
    /// Per k: the batch-mean input-gradient norm of each sample.
    public private(set) var values: [Int: [Double]] = [:]

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

    public func wants(batch index: Int) -> Bool { ks.contains { (values[$0]?.count ?? 0) < samples } }

    public func observe(_ batch: Batch) throws {
        let remainingBatches = max(batchCount - batch.index, 1)
        // Every route this batch takes, drawn first: each chunk of the batch goes down all of them.
        var drawn: [(k: Int, routes: [Int: Route])] = []
        for k in ks {
            let missing = samples - (values[k]?.count ?? 0)
            let now = batch.index == batchCount - 1 ? missing : min(missing, (missing + remainingBatches - 1) / remainingBatches)
            for _ in 0..<max(now, 0) {
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
            values[path.k, default: []].append(norms[sample].reduce(0, +) / Double(norms[sample].count))
        }
    }

    public var lengths: [Int] { ks.map { $0 + forced } }
    public var means: [Double] { ks.map { k in values[k].map { $0.reduce(0, +) / Double(max($0.count, 1)) } ?? .nan } }
    public var deviations: [Double] {
        ks.map { k in
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

    public func write(into root: Group) throws {
        let group = try root.createGroup(id)
        try group.setAttribute("method", "sampled, as Veit et al. 2016: random k blocks through their branch, the rest through their shortcut")
        try group.setAttribute("samples_per_length", Int64(samples))
        try group.setAttribute("seed", Int64(bitPattern: seed))
        try group.setAttribute("loss", "per-image cross-entropy; norms per image, averaged over the batch")
        if let decay = decayPerBlock { try group.setAttribute("decay_per_block", exp(decay)) }
        try group.column("length", lengths.map(Double.init), units: "blocks whose branch the path takes")
        try group.column("mean_norm", means, units: "‖∂L/∂x‖ at the input")
        try group.column("std_norm", deviations, units: "‖∂L/∂x‖, sample standard deviation over samples")
        try group.column("total_contribution", totalContribution, units: "path count × mean norm")
        let width = samples
        var table = [Double](repeating: .nan, count: ks.count * width)
        for (row, k) in ks.enumerated() { for (i, v) in (values[k] ?? []).prefix(width).enumerated() { table[row * width + i] = v } }
        try group.createDataset("samples", shape: [ks.count, width], values: table, options: .checksummed)
            .setAttribute("units", "‖∂L/∂x‖ of each sample")
    }
}

/// The exact decomposition: for every length k at once, the summed input gradient of all paths
/// of length k (Network.pathGradients), its norm averaged over images.
public final class ExactPathGradients: Probe, ResultsGroup {
    public let network: Network
    public let maxLength: Int
    /// Σ over images of ‖c_k‖, and of ‖Σ_k c_k − full gradient‖ / ‖full gradient‖ (a check).
    public private(set) var normSums: [Double]
    public private(set) var images = 0.0
    public private(set) var worstResidual = 0.0

    /// Batches measured: all, or the first `batches`.
    public let batchLimit: Int?
    /// Images whose per-length input gradients are kept, to be drawn: the first `savedImages`.
    public let savedImages: Int
    /// For each kept image: its preprocessed input (H, W, C) and its c_k for every length.
    public private(set) var kept: [(image: [Float], label: Int, gradients: [[Float]])] = []

    public init(network: Network, maxLength: Int? = nil, batches: Int? = nil, savingImages: Int = 0) throws {
        self.network = network
        batchLimit = batches
        guard savingImages >= 0 else { throw NetsError(.badUsage, "the images to save must be 0 or more, not \(savingImages)") }
        savedImages = savingImages
        self.maxLength = min(maxLength ?? network.blockCount, network.blockCount)
        guard self.maxLength >= 0 else { throw NetsError(.badUsage, "the longest path length must be at least 0, not \(self.maxLength)") }
        normSums = [Double](repeating: 0, count: self.maxLength + 1)
    }

    public var name: String { "grads_exact" }
    public var id: String { name }

    public func wants(batch index: Int) -> Bool { batchLimit.map { index < $0 } ?? true }

    public func observe(_ batch: Batch) throws {
        let checksSum = maxLength == network.blockCount
        let (coefficients, full) = try network.pathGradients(batch.images, target: .crossEntropy(labels: batch.labels),
                                                             maxLength: maxLength, withFullGradient: checksSum)
        for (k, c) in coefficients.enumerated() {
            if let c { normSums[k] += imageNorms(c).reduce(0, +) }
        }
        let size = batch.images.count / max(batch.labels.count, 1)
        for i in 0..<min(savedImages - kept.count, batch.labels.count) {
            func slice(_ t: Tensor) -> [Float] { Array(UnsafeBufferPointer(start: t.pointer + i * size, count: size)) }
            kept.append((slice(batch.images), batch.labels[i],
                         coefficients.map { $0.map(slice) ?? [Float](repeating: 0, count: size) }))
        }
        images += Double(batch.labels.count)
        if checksSum, let full {
            let sum = Tensor(zeros: full.shape)
            for c in coefficients.compactMap({ $0 }) { for i in 0..<sum.count { sum.pointer[i] += c.pointer[i] } }
            var difference = 0.0, scale = 0.0
            for i in 0..<full.count {
                let d = Double(sum.pointer[i] - full.pointer[i]); difference += d * d
                scale += Double(full.pointer[i]) * Double(full.pointer[i])
            }
            worstResidual = max(worstResidual, (difference / max(scale, 1e-300)).squareRoot())
        }
    }

    /// Mean over images of ‖c_k‖: the total contribution of the length-k paths.
    public var meanNorms: [Double] { normSums.map { $0 / max(images, 1) } }

    /// The shortest range of lengths holding `mass` of the total contribution.
    public func effectiveLengths(holding mass: Double = 0.9) -> (range: ClosedRange<Int>, share: Double) {
        shortestInterval(of: meanNorms, holding: mass)
    }

    public func write(into root: Group) throws {
        let group = try root.createGroup(id)
        let counts = PathDistribution(network: network).counts
        try group.setAttribute("method", "exact: c_k ← Sᵀc_k + Bᵀc_{k−1} through every block, at the forward point")
        try group.setAttribute("max_length", Int64(maxLength))
        try group.setAttribute("images", images)
        try group.setAttribute("sum_check_relative_error", worstResidual)
        let effective = effectiveLengths()
        try group.setAttribute("effective_lengths_90", [Int64(effective.range.lowerBound), Int64(effective.range.upperBound)])
        try group.column("length", (0...maxLength).map(Double.init), units: "blocks whose branch the paths take")
        try group.column("norm_of_sum", meanNorms, units: "‖Σ over length-k paths of ∂L/∂x‖, mean over images")
        try group.column("norm_of_sum_per_path", zip(meanNorms, counts).map { $0 / $1.double },
                         units: "norm_of_sum / number of length-k paths")
        try group.createDataset("path_count", strings: counts.prefix(maxLength + 1).map(\.description))
        if !kept.isEmpty { try writeKept(into: group) }
    }

    /// The kept images and their per-length gradients, in NCHW as every image in the file.
    private func writeKept(into group: Group) throws {
        let input = network.architecture.input
        let (h, w, c) = (input.height, input.width, input.channels)
        func nchw(_ values: [Float]) -> [Float] { Layout.nchw(values, height: h, width: w, channels: c) }
        try group.createDataset("saved_images", shape: [kept.count, c, h, w], values: kept.flatMap { nchw($0.image) },
                                options: .checksummed)
            .setAttribute("units", "the preprocessed input of the first images, as the network saw them")
        try group.createDataset("saved_labels", shape: [kept.count], values: kept.map { Int64($0.label) }, options: .checksummed)
        try group.createDataset("saved_gradients", shape: [kept.count, maxLength + 1, c, h, w],
                                values: kept.flatMap { $0.gradients.flatMap(nchw) }, options: .checksummed)
            .setAttribute("units", "c_k: the summed ∂L/∂x of all length-k paths, per image and length")
    }
}
