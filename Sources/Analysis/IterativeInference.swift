import HDF5
import Nets

/// Iterative inference (Jastrzebski et al., ICLR 2018): a residual block that refines its input
/// moves it along the negative gradient of the loss, so its branch output fᵢ(h) points like
/// −∂L/∂h at the block's input h, and is small next to h. Per block: the cosine between fᵢ(h)
/// and −∂L/∂h, and ‖fᵢ(h)‖ / ‖h‖, per image, averaged over images.
///
/// The loss is each image's cross-entropy, the same as the gradient by path length, and the
/// batches are the same first batches, so the two readings sit side by side. Blocks whose branch
/// changes the shape (downsampling) have no cosine (NaN).
///
/// Its sums are saved as the run goes (`raw/rows`), so an interrupted run resumes from the last
/// batch they include.
public final class IterativeInference: Probe, ResumableGroup {
    public let network: Network
    private var cosineSums: [Double]
    private var ratioSums: [Double]
    public private(set) var images = 0
    private var batches: RunningBatches
    /// Batches measured: all, or the first `batches`.
    public var batchLimit: Int? { batches.limit }

    /// `batchCount`: the dataset's batches, when known: with it, a save part-way is marked
    /// partial and a resumed run skips the batches saved.
    public init(network: Network, batches: Int? = nil, batchCount: Int? = nil) throws {
        guard network.blockCount > 0 else {
            throw NetsError("iterative inference: '\(network.architecture.name)' has no residual blocks")
        }
        self.network = network
        self.batches = RunningBatches(count: batchCount, limit: batches)
        cosineSums = [Double](repeating: 0, count: network.blockCount)
        ratioSums = cosineSums
    }

    /// The results group it writes.
    public static let groupID = "inference"
    public var name: String { Self.groupID }
    public var id: String { name }
    /// Nothing from the shared intact pass: reading a branch there would unfuse its last convolution
    /// from the residual add and change the other probes' logits in their last bits. The probe
    /// reads branches in a pass of its own, on the gradient batches only.
    public var reads: [HookPoint] { [] }
    public func wants(batch index: Int) -> Bool { batches.wants(index) }
    public var isComplete: Bool { batches.isComplete }

    /// Blocks whose branch output has the input's shape.
    public var comparable: [Int] {
        (0..<network.blockCount).filter { network.blockShapes($0).input == network.blockShapes($0).output }
    }

    public func observe(_ batch: Batch) throws {
        defer { batches.added(batch.index) }
        var branches: [Int: Tensor] = [:], inputs: [Int: Tensor] = [:]
        var hooks = Hooks()
        for block in 0..<network.blockCount {
            hooks.add(.blockInput(block)) { _, x in inputs[block] = x.copy(); return nil }
            hooks.add(.blockBranch(block)) { _, f in branches[block] = f.copy(); return nil }
        }
        _ = try network.forward(batch.images, options: RunOptions(hooks: hooks))
        let record = try network.record(batch.images)
        let seed = try Loss.logitGradient(record.logits, target: .crossEntropy(labels: batch.labels))
        let blocks = Set(comparable)
        _ = try network.backward(record, logitGradient: seed) { block, gradient in
            guard blocks.contains(block), let branch = branches[block] else { return }
            // −∂L/∂h against f(h): the cosine with the negated gradient is minus the cosine.
            self.cosineSums[block] -= perImageCosines(branch, gradient).reduce(0, +)
        }
        for block in 0..<network.blockCount {
            guard let branch = branches[block], let input = inputs[block] else {
                throw NetsError(.failure, "iterative inference: block \(block)'s branch or input was not seen")
            }
            let ratios = zip(imageNorms(branch), imageNorms(input))
            ratioSums[block] += ratios.reduce(0) { $0 + $1.0 / max($1.1, .leastNonzeroMagnitude) }
        }
        images += batch.labels.count
    }

    /// Per block: mean cos(fᵢ(h), −∂L/∂h) (NaN where the shapes differ) and mean ‖fᵢ(h)‖/‖h‖.
    public var cosine: [Double] {
        let blocks = Set(comparable)
        return cosineSums.indices.map { blocks.contains($0) ? cosineSums[$0] / Double(max(images, 1)) : .nan }
    }
    public var relativeNorm: [Double] { ratioSums.map { $0 / Double(max(images, 1)) } }

    /// What determines the numbers, checked on resume.
    var settings: String { ExperimentRun.encode(["batches": batchLimit.map(String.init) ?? "all"]) }
    static let rowColumns = ["cosine_sum", "relative_norm_sum"]

    public func write(into root: Group) throws {
        let group = try root.createGroup(id)
        try group.setAttribute("method", "Jastrzebski et al. 2018: cosine of each branch output with −∂L/∂h at the block input")
        try group.setAttribute("loss", "per-image cross-entropy; cosines and ratios per image, averaged over images")
        try group.setAttribute("images", Int64(images))
        try batches.writeProgress(group, settings: settings, rows: zip(cosineSums, ratioSums).flatMap { [$0, $1] },
                                  columns: Self.rowColumns)
        guard isComplete else { return }
        try group.column("block", (0..<network.blockCount).map(Double.init), units: "block number")
        try group.column("cosine", cosine, units: "mean cos(f_i(h), −∂L/∂h) (NaN: the branch changes the shape)")
        try group.column("relative_norm", relativeNorm, units: "mean ‖f_i(h)‖ / ‖h‖")
    }

    /// Takes up the sums an earlier run saved in `group`.
    public func resume(from group: Group, path: String) throws {
        guard let table = try batches.resume(from: group, settings: settings, columns: Self.rowColumns, rows: network.blockCount,
                                             path: path) else { return }
        (cosineSums, ratioSums) = (table.map { $0[0] }, table.map { $0[1] })
        images = Int(try group.attribute("images", as: Int64.self))
    }
}
