import Foundation
import HDF5
import Nets

/// The exact decomposition: for every length k at once, the summed input gradient of all paths
/// of length k (Network.pathGradients), its norm averaged over images.
///
/// Its sums are kept per batch and saved as the run goes (`raw/rows`), so an interrupted run
/// resumes from the batches done, and gives the numbers an uninterrupted one gives: the totals
/// add the batches' sums in batch order either way.
public final class ExactPathGradients: Probe, ResumableGroup {
    public let network: Network
    public let maxLength: Int
    /// Batches measured: all, or the first `batches`.
    public let batchLimit: Int?
    /// The dataset's batches, when known: with it, a save part-way is marked partial.
    public let batchCount: Int?
    /// Images whose per-length input gradients are kept, to be drawn: the first `savedImages`.
    public let savedImages: Int

    /// One batch's sums: Σ over its images of ‖c_k‖ per length, its images, and its worst
    /// ‖Σ_k c_k − full gradient‖ / ‖full gradient‖ (a check).
    struct BatchSums: Equatable {
        var normSums: [Double]
        var images: Double
        var residual: Double
    }
    private var rows: [Int: BatchSums] = [:]
    /// For each kept image: its preprocessed input and its c_k for every length, all (C, H, W).
    public private(set) var kept: [(image: [Float], label: Int, gradients: [[Float]])] = []

    public init(network: Network, maxLength: Int? = nil, batches: Int? = nil, savingImages: Int = 0, batchCount: Int? = nil) throws {
        self.network = network
        batchLimit = batches
        self.batchCount = batchCount
        guard savingImages >= 0 else { throw NetsError(.badUsage, "the images to save must be 0 or more, not \(savingImages)") }
        savedImages = savingImages
        self.maxLength = min(maxLength ?? network.blockCount, network.blockCount)
        guard self.maxLength >= 0 else { throw NetsError(.badUsage, "the longest path length must be at least 0, not \(self.maxLength)") }
    }

    public var name: String { "grads_exact" }
    public var id: String { name }

    public func wants(batch index: Int) -> Bool { (batchLimit.map { index < $0 } ?? true) && rows[index] == nil }

    public func observe(_ batch: Batch) throws {
        let checksSum = maxLength == network.blockCount
        let (coefficients, full) = try network.pathGradients(batch.images, target: .crossEntropy(labels: batch.labels),
                                                             maxLength: maxLength, withFullGradient: checksSum)
        var sums = BatchSums(normSums: [Double](repeating: 0, count: maxLength + 1), images: Double(batch.labels.count), residual: 0)
        for (k, c) in coefficients.enumerated() {
            if let c { sums.normSums[k] = imageNorms(c).reduce(0, +) }
        }
        let input = network.architecture.input
        let size = batch.images.count / max(batch.labels.count, 1)
        func nchw(_ t: Tensor, _ i: Int) -> [Float] {
            Layout.nchw(Array(UnsafeBufferPointer(start: t.pointer + i * size, count: size)),
                        height: input.height, width: input.width, channels: input.channels)
        }
        // Batches run in order, so the first images kept are the dataset's first.
        for i in 0..<min(savedImages - kept.count, batch.labels.count) {
            kept.append((nchw(batch.images, i), batch.labels[i],
                         coefficients.map { $0.map { nchw($0, i) } ?? [Float](repeating: 0, count: size) }))
        }
        if checksSum, let full {
            let sum = Tensor(zeros: full.shape)
            for c in coefficients.compactMap({ $0 }) { for i in 0..<sum.count { sum.pointer[i] += c.pointer[i] } }
            var difference = 0.0, scale = 0.0
            for i in 0..<full.count {
                let d = Double(sum.pointer[i] - full.pointer[i]); difference += d * d
                scale += Double(full.pointer[i]) * Double(full.pointer[i])
            }
            sums.residual = (difference / max(scale, 1e-300)).squareRoot()
        }
        rows[batch.index] = sums
    }

    /// The batch sums in batch order.
    private var ordered: [BatchSums] { rows.keys.sorted().map { rows[$0]! } }

    /// Σ over images of ‖c_k‖ for each length k.
    public var normSums: [Double] {
        ordered.reduce(into: [Double](repeating: 0, count: maxLength + 1)) { total, row in
            for k in total.indices { total[k] += row.normSums[k] }
        }
    }
    public var images: Double { ordered.reduce(0) { $0 + $1.images } }
    public var worstResidual: Double { ordered.reduce(0) { max($0, $1.residual) } }

    /// Mean over images of ‖c_k‖: the total contribution of the length-k paths.
    public var meanNorms: [Double] { normSums.map { $0 / max(images, 1) } }

    /// The shortest range of lengths holding `mass` of the total contribution.
    public func effectiveLengths(holding mass: Double = 0.9) -> (range: ClosedRange<Int>, share: Double) {
        shortestInterval(of: meanNorms, holding: mass)
    }

    // MARK: - The results group

    /// The batches this measurement takes, when known.
    var batchesWanted: Int? {
        switch (batchLimit, batchCount) {
        case let (limit?, count?): return min(limit, count)
        case let (limit, count): return limit ?? count
        }
    }
    public var isComplete: Bool { batchesWanted.map { rows.count >= $0 } ?? true }

    /// What determines the numbers, checked on resume.
    var settings: String {
        ExperimentRun.encode(["max_length": "\(maxLength)", "batches": batchLimit.map(String.init) ?? "all",
                              "saved_images": "\(savedImages)"])
    }

    static let rowColumns = ["batch", "images", "sum_check_relative_error"]

    public func write(into root: Group) throws {
        let group = try root.createGroup(id)
        try group.setAttribute("method", "exact: c_k ← Sᵀc_k + Bᵀc_{k−1} through every block, at the forward point")
        try group.setAttribute("max_length", Int64(maxLength))
        try group.setAttribute("images", images)
        try group.setAttribute("sum_check_relative_error", worstResidual)
        try group.writeProgress(complete: isComplete, settings: settings, unitsTotal: batchesWanted ?? rows.count, unitsDone: rows.count,
                                rows: rows.keys.sorted().flatMap { b in [Double(b), rows[b]!.images, rows[b]!.residual] + rows[b]!.normSums },
                                columns: ExactPathGradients.rowColumns + (0...maxLength).map { "norm_sum_\($0)" })
        if !kept.isEmpty { try writeKept(into: group) }
        guard isComplete else { return }
        let counts = PathDistribution(network: network).counts
        let effective = effectiveLengths()
        try group.setAttribute("effective_lengths_90", [Int64(effective.range.lowerBound), Int64(effective.range.upperBound)])
        try group.column("length", (0...maxLength).map(Double.init), units: "blocks whose branch the paths take")
        try group.column("norm_of_sum", meanNorms, units: "‖Σ over length-k paths of ∂L/∂x‖, mean over images")
        try group.column("norm_of_sum_per_path", zip(meanNorms, counts).map { $0 / $1.double },
                         units: "norm_of_sum / number of length-k paths")
        try group.createDataset("path_count", strings: counts.prefix(maxLength + 1).map(\.description))
    }

    /// The kept images and their per-length gradients, in NCHW as every image in the file.
    private func writeKept(into group: Group) throws {
        let input = network.architecture.input
        let (h, w, c) = (input.height, input.width, input.channels)
        try group.createDataset("saved_images", shape: [kept.count, c, h, w], values: kept.flatMap(\.image), options: .checksummed)
            .setAttribute("units", "the preprocessed input of the first images, as the network saw them")
        try group.createDataset("saved_labels", shape: [kept.count], values: kept.map { Int64($0.label) }, options: .checksummed)
        try group.createDataset("saved_gradients", shape: [kept.count, maxLength + 1, c, h, w],
                                values: kept.flatMap { $0.gradients.flatMap { $0 } }, options: .checksummed)
            .setAttribute("units", "c_k: the summed ∂L/∂x of all length-k paths, per image and length")
    }

    /// Takes up the batches an earlier run saved in `group`. A group an earlier Unravel wrote
    /// whole, without its batches, is measured again and replaced, as that Unravel did.
    public func resume(from group: Group, path: String) throws {
        let width = ExactPathGradients.rowColumns.count + maxLength + 1
        guard let values = try group.resumableRows(width: width, settings: settings, path: path) else { return }
        for start in stride(from: 0, to: values.count, by: width) {
            rows[Int(values[start])] = BatchSums(normSums: Array(values[(start + 3)..<(start + width)]), images: values[start + 1],
                                                 residual: values[start + 2])
        }
        kept = try StudyResults.savedImages(in: group).map { ($0.image, $0.label, $0.gradients) }
    }
}
