import HDF5
import Nets

/// Linear probes per block (Alain & Bengio 2016): how much of the class a linear read-out finds
/// in each block's globally pooled output.
///
/// The read-out is ridge regression on one-hot targets, solved in closed form, where Alain &
/// Bengio trained logistic regressions. The closed form needs one pass over the fitting images,
/// memory by feature width (a d×d matrix per block, never the features of every image), no
/// learning rate or stopping rule, and its result is one number any linear-algebra library
/// reproduces; least-squares classifiers rank linear separability much as logistic ones do.
///
/// Two passes: `fit(using:)` over the fitting images, then the probe runs as any other over the
/// data, scoring the held-out images. The scoring pass's tallies are saved as it goes; a resumed
/// run fits again (the same images in the same order give the same fit, bit for bit) and takes
/// them up.
public final class LinearProbes: FittedProbe, ResumableGroup {
    public let network: Network
    public let split: ProbeSplit
    /// Relative ridge α (see `RidgeRegression`).
    public let alpha: Double
    private var accumulators: [RidgeRegression]
    public private(set) var fits: [RidgeRegression.Fit] = []
    private var fitting = false
    public private(set) var correct: [Int]
    public private(set) var evaluated = 0
    /// Held-out images the network itself classifies correctly, for reference.
    public private(set) var networkCorrect = 0
    /// The scoring pass's batches.
    private var batches: RunningBatches
    /// The file the fitting images come from, when they are not the data's: part of the settings
    /// a resumed run must share, since another fit would score differently.
    public let fittingData: String?

    /// `batchCount`: the data's batches, when known: with it, a save part-way is marked partial
    /// and a resumed run skips the batches saved.
    public init(network: Network, split: ProbeSplit, alpha: Double = 1e-3, batchCount: Int? = nil, fittingData: String? = nil) throws {
        if let refusal = poolingRefusal(network) { throw NetsError("linear probes: \(refusal)") }
        guard alpha >= 0, alpha.isFinite else { throw NetsError(.badUsage, "the ridge regularisation must be finite and ≥ 0, not \(alpha)") }
        try split.check()
        self.network = network
        self.split = split
        self.alpha = alpha
        let classes = network.architecture.classes
        accumulators = (0..<network.blockCount).map { RidgeRegression(features: network.blockShapes($0).output[2], targets: classes) }
        correct = [Int](repeating: 0, count: network.blockCount)
        batches = RunningBatches(count: batchCount)
        self.fittingData = fittingData
    }

    /// The results group it writes.
    public static let groupID = "linear_probes"
    public var name: String { Self.groupID }
    public var id: String { name }
    public var reads: [HookPoint] { (0..<network.blockCount).map { .blockOutput($0) } }
    public var isComplete: Bool { batches.isComplete }
    /// The fitting pass reads every batch of its images; the scoring pass those not yet scored.
    public func wants(batch index: Int) -> Bool { fitting || batches.wants(index) }

    /// The fitting pass: over every image of `runner` for separate training data, or over the
    /// fitting share of the data. Then solves each block's ridge system.
    public func fit(using runner: Runner, afterBatch: ((Int, Range<Int>) throws -> Void)? = nil) throws {
        try runner.fit([self], afterBatch: afterBatch)
    }

    public var needsFitting: Bool { true }
    public func beginFitting() { fitting = true }

    public func endFitting() throws {
        fitting = false
        guard accumulators[0].count >= 2 else {
            throw NetsError("linear probes: \(accumulators[0].count) fitting image(s); at least 2 are needed (more data, or a larger share)")
        }
        fits = try accumulators.map { try $0.solve(alpha: alpha) }
    }

    public func observe(_ batch: Batch) throws {
        defer { if !fitting { batches.added(batch.index) } }
        let used = batch.labels.indices.filter { split.uses(batch.range.lowerBound + $0, fitting: fitting) }
        guard !used.isEmpty else { return }
        let classes = network.architecture.classes
        for block in 0..<network.blockCount {
            let x = globalAveragePool(try batch.activation(.blockOutput(block)), rows: used)
            if fitting {
                var y = [Float](repeating: 0, count: used.count * classes)
                for (r, row) in used.enumerated() { y[r * classes + batch.labels[row]] = 1 }
                try accumulators[block].add(x, y, rows: used.count)
            } else {
                guard fits.count == network.blockCount else { throw NetsError(.badUsage, "linear probes: evaluated before fitting") }
                let scores = fits[block].predict(x, rows: used.count)
                for (r, row) in used.enumerated() where argmax(scores, row: r, width: classes) == batch.labels[row] {
                    correct[block] += 1
                }
            }
        }
        if !fitting {
            let predictions = Loss.predictions(batch.logits)
            networkCorrect += used.filter { predictions[$0] == batch.labels[$0] }.count
            evaluated += used.count
        }
    }

    public func finish() throws {
        if !fitting && evaluated == 0 {
            throw NetsError("linear probes: no held-out image to evaluate on (more data, or a smaller fitting share)")
        }
    }

    /// Held-out accuracy per block.
    public var accuracy: [Double] { correct.map { Double($0) / Double(max(evaluated, 1)) } }
    public var fittingImages: Int { accumulators.first?.count ?? 0 }

    /// What determines the numbers, checked on resume.
    var settings: String {
        ExperimentRun.encode(["batches": batches.count.map(String.init) ?? "all", "split": split.summary, "alpha": "\(alpha)",
                              "fitting_data": fittingData ?? "the data"])
    }

    static let rowColumns = ["correct"]

    public func write(into root: Group) throws {
        let group = try root.createGroup(id)
        try group.setAttribute("method", "ridge regression on one-hot targets over globally pooled block outputs, closed form")
        try group.setAttribute("ridge_alpha", alpha)
        try group.setAttribute("split", split.summary)
        try group.setAttribute("fitting_images", Int64(fittingImages))
        try group.setAttribute("evaluated_images", Int64(evaluated))
        try group.setAttribute("network_correct", Int64(networkCorrect))
        try batches.writeProgress(group, settings: settings, rows: correct.map(Double.init), columns: Self.rowColumns)
        guard isComplete else { return }
        try group.setAttribute("network_accuracy", Double(networkCorrect) / Double(max(evaluated, 1)))
        try group.column("block", (0..<network.blockCount).map(Double.init), units: "block number")
        try group.column("accuracy", accuracy, units: "share of held-out images the probe classifies correctly")
        try group.column("features", (0..<network.blockCount).map { Double(network.blockShapes($0).output[2]) }, units: "pooled channels")
        try group.column("lambda", fits.map(\.lambda), units: "absolute ridge λ = α·tr(Sxx)/d")
        let weights = try group.createGroup("weights")
        try weights.setAttribute("layout", "(features + 1, classes): W then the bias row; scores = pooled · W + b")
        for (block, fit) in fits.enumerated() {
            try weights.createDataset("block_\(block)", shape: [fit.features + 1, fit.targets], values: fit.weights + fit.bias,
                                       options: .checksummed)
        }
    }
}

extension LinearProbes {
    /// Takes up the scoring tallies an earlier run saved in `group` (the fit is made again).
    public func resume(from group: Group, path: String) throws {
        guard let table = try batches.resume(from: group, settings: settings, columns: Self.rowColumns, rows: network.blockCount,
                                             path: path) else { return }
        correct = table.map { Int($0[0]) }
        evaluated = Int(try group.attribute("evaluated_images", as: Int64.self))
        networkCorrect = Int(try group.attribute("network_correct", as: Int64.self))
    }
}

/// The first index of the largest score in row `row` of a [rows, width] table.
func argmax(_ values: [Double], row: Int, width: Int) -> Int {
    var best = 0
    for j in 1..<max(width, 1) where values[row * width + j] > values[row * width + best] { best = j }
    return best
}
