import HDF5
import Nets

/// The mean of each block's branch output over a dataset, per channel and position: what mean
/// ablation puts in a branch's place. A probe for the first pass, and a results group that
/// records the means (as (C, H, W) float32, like the images).
public final class BranchMeans: Probe, ResultsGroup {
    public let network: Network
    private var sums: [[Double]]
    public private(set) var images = 0

    public init(network: Network) {
        self.network = network
        sums = (0..<network.blockCount).map { [Double](repeating: 0, count: network.blockShapes($0).output.reduce(1, *)) }
    }

    public var name: String { "branch_means" }
    public var id: String { "ablate_means" }
    public var reads: [HookPoint] { (0..<network.blockCount).map { .blockBranch($0) } }

    public func observe(_ batch: Batch) throws {
        for block in 0..<network.blockCount {
            let branch = try batch.activation(.blockBranch(block))
            let per = sums[block].count
            for b in 0..<branch.shape[0] {
                let row = branch.pointer + b * per
                for i in 0..<per { sums[block][i] += Double(row[i]) }
            }
        }
        images += batch.labels.count
    }

    /// Block `index`'s mean branch output, [height, width, channels].
    public func mean(_ index: Int) -> Tensor {
        Tensor(shape: network.blockShapes(index).output, values: sums[index].map { Float($0 / Double(max(images, 1))) })
    }

    public func write(into root: Group) throws {
        let group = try root.createGroup(id)
        try group.setAttribute("images", Int64(images))
        try group.setAttribute("layout", "(C, H, W): the mean of the branch's output over the images, per channel and position")
        for block in 0..<network.blockCount {
            let shape = network.blockShapes(block).output
            let (h, w, c) = (shape[0], shape[1], shape[2])
            let mean = sums[block].map { Float($0 / Double(max(images, 1))) }
            try group.createDataset("block_\(block)", shape: [c, h, w], values: Layout.nchw(mean, height: h, width: w, channels: c),
                                    options: .checksummed)
        }
    }
}

/// Mean ablation: each block's branch output replaced by its mean over the dataset
/// (`BranchMeans`), one block at a time. Unlike removing the branch, this keeps what the branch
/// adds on average and removes only what it says about each image.
public struct MeanAblation: Experiment {
    public let means: BranchMeans

    public init(means: BranchMeans) { self.means = means }

    public var id: String { ExperimentKind.ablate.rawValue }
    public var settings: [String: String] { ["value": "mean", "images": "\(means.images)"] }

    public func variants(for network: Network) throws -> [Variant] {
        [Variant.intact(blocks: network.blockCount)] + (0..<network.blockCount).map {
            Variant.acting(.replaceBranch(BranchValue(label: "mean", tensor: means.mean($0))), on: $0, blocks: network.blockCount)
        }
    }

    public func columns(for variants: [Variant], network: Network) -> [String: [Double]] {
        ["block": variants.map { Double(changedBlock($0) ?? -1) }]
    }
}
