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
public final class IterativeInference: Probe, ResultsGroup {
    public let network: Network
    public let batchLimit: Int?
    private var cosineSums: [Double]
    private var ratioSums: [Double]
    public private(set) var images = 0

    public init(network: Network, batches: Int? = nil) throws {
        guard network.blockCount > 0 else {
            throw NetsError("iterative inference: '\(network.architecture.name)' has no residual blocks")
        }
        self.network = network
        batchLimit = batches
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
    public func wants(batch index: Int) -> Bool { batchLimit.map { index < $0 } ?? true }

    /// Blocks whose branch output has the input's shape.
    public var comparable: [Int] {
        (0..<network.blockCount).filter { network.blockShapes($0).input == network.blockShapes($0).output }
    }

    public func observe(_ batch: Batch) throws {
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

    public func write(into root: Group) throws {
        let group = try root.createGroup(id)
        try group.setAttribute("method", "Jastrzebski et al. 2018: cosine of each branch output with −∂L/∂h at the block input")
        try group.setAttribute("loss", "per-image cross-entropy; cosines and ratios per image, averaged over images")
        try group.setAttribute("images", Int64(images))
        try group.column("block", (0..<network.blockCount).map(Double.init), units: "block number")
        try group.column("cosine", cosine, units: "mean cos(f_i(h), −∂L/∂h) (NaN: the branch changes the shape)")
        try group.column("relative_norm", relativeNorm, units: "mean ‖f_i(h)‖ / ‖h‖")
    }
}
