import Foundation
import HDF5
import Nets

/// The logit lens for CNNs: the network's own head (a pre-activation net's final BN-ReLU, global
/// pooling, the linear layer) applied to each block's output, as if the network ended there.
/// In an ensemble of shallow paths, early exits should already classify; in a net that builds
/// its answer stage by stage, they should not.
///
/// Only blocks whose output has the head's channel count can be read directly; the others are
/// listed as skipped. With a projection, every block is also read through a fitted ridge map
/// from its pooled output to the last block's pooled output, which the head then reads as a 1×1
/// map (a "tuned lens": exact in form for a pooling-then-linear head; a head that normalises
/// per pixel first normalises the pooled value instead). The projected curve compares all
/// blocks on one footing; the direct one shows what the head itself makes of them.
///
/// The tallies are saved as the scoring pass goes; a resumed run fits the projections again (the
/// same images in the same order give the same maps, bit for bit) and takes them up.
public final class LogitLens: FittedProbe, ResumableGroup {
    /// Errors, losses and agreements summed over images, per block.
    struct Tally {
        var errors: [Int], agreements: [Int], losses: [Double]

        init(blocks: Int) {
            errors = [Int](repeating: 0, count: blocks)
            agreements = errors
            losses = [Double](repeating: 0, count: blocks)
        }

        mutating func add(_ block: Int, logits: Tensor, labels: [Int], final: [Int]) {
            let predictions = Loss.predictions(logits)
            let loss = Loss.crossEntropy(logits, labels: labels)
            for r in labels.indices {
                if predictions[r] != labels[r] { errors[block] += 1 }
                if predictions[r] == final[r] { agreements[block] += 1 }
                losses[block] += Double(loss[r])
            }
        }
    }

    public let network: Network
    /// The split for projections; nil: no projection, blocks of other widths are skipped.
    public let projection: ProbeSplit?
    public let alpha: Double
    public let headChannels: Int
    /// Blocks the head cannot read directly, and why.
    public private(set) var skipped: [Int: String] = [:]
    private var accumulators: [RidgeRegression] = []
    public private(set) var maps: [Int: RidgeRegression.Fit] = [:]
    private var fitting = false
    private var directTally: Tally
    private var projectedTally: Tally
    public private(set) var evaluated = 0
    /// The scoring pass's batches.
    private var batches: RunningBatches
    /// The file the projections' fitting images come from, when they are not the data's: part
    /// of the settings a resumed run must share.
    public let fittingData: String?

    /// `batchCount`: the data's batches, when known: with it, a save part-way is marked partial
    /// and a resumed run skips the batches saved.
    public init(network: Network, projection: ProbeSplit? = nil, alpha: Double = 1e-3, batchCount: Int? = nil,
                fittingData: String? = nil) throws {
        if let refusal = poolingRefusal(network) { throw NetsError("logit lens: \(refusal)") }
        try projection?.check()
        self.network = network
        self.projection = projection
        self.alpha = alpha
        let headChannels = network.blockShapes(network.blockCount - 1).output[2]
        self.headChannels = headChannels
        for block in 0..<network.blockCount where network.blockShapes(block).output[2] != headChannels {
            skipped[block] = "\(network.blockShapes(block).output[2]) channels; the head reads \(headChannels)"
        }
        if projection != nil {
            accumulators = (0..<network.blockCount).map {
                RidgeRegression(features: network.blockShapes($0).output[2], targets: headChannels)
            }
        }
        directTally = Tally(blocks: network.blockCount)
        projectedTally = directTally
        batches = RunningBatches(count: batchCount)
        self.fittingData = fittingData
    }

    /// The results group it writes.
    public static let groupID = "lens"
    public var name: String { Self.groupID }
    public var id: String { name }
    public var reads: [HookPoint] { (0..<network.blockCount).map { .blockOutput($0) } }
    public var isComplete: Bool { batches.isComplete }
    /// The fitting pass reads every batch of its images; the scoring pass those not yet scored.
    public func wants(batch index: Int) -> Bool { fitting || batches.wants(index) }

    /// The projections' fitting pass (only with `projection`).
    public func fit(using runner: Runner, afterBatch: ((Int, Range<Int>) throws -> Void)? = nil) throws {
        try runner.fit([self], afterBatch: afterBatch)
    }

    public var needsFitting: Bool { projection != nil }
    public func beginFitting() { fitting = true }

    public func endFitting() throws {
        fitting = false
        guard let count = accumulators.first?.count, count >= 2 else {
            throw NetsError("logit lens: \(accumulators.first?.count ?? 0) fitting image(s) for the projections; at least 2 are needed")
        }
        for (block, accumulator) in accumulators.enumerated() { maps[block] = try accumulator.solve(alpha: alpha) }
    }

    public func observe(_ batch: Batch) throws {
        defer { if !fitting { batches.added(batch.index) } }
        // Without projections every image is scored; with them, the split says which.
        let used = batch.labels.indices.filter { projection?.uses(batch.range.lowerBound + $0, fitting: fitting) ?? !fitting }
        guard !used.isEmpty else { return }
        func pooledRows(_ block: Int) throws -> [Float] {
            globalAveragePool(try batch.activation(.blockOutput(block)), rows: used)
        }
        if fitting {
            let target = try pooledRows(network.blockCount - 1)
            for block in accumulators.indices { try accumulators[block].add(try pooledRows(block), target, rows: used.count) }
            return
        }
        let predictions = Loss.predictions(batch.logits)
        let final = used.map { predictions[$0] }
        let labels = used.map { batch.labels[$0] }
        for block in 0..<network.blockCount {
            if skipped[block] == nil {
                do {
                    let logits = try network.runHead(try batch.activation(.blockOutput(block)).images(at: used))
                    directTally.add(block, logits: logits, labels: labels, final: final)
                } catch let error as NetsError {
                    skipped[block] = "the head cannot read its \(network.blockShapes(block).output) output: \(error)"
                }
            }
            if let map = maps[block] {
                let scores = map.predict(try pooledRows(block), rows: used.count)
                let logits = try network.runHead(Tensor(shape: [used.count, 1, 1, headChannels], values: scores.map { Float($0) }))
                projectedTally.add(block, logits: logits, labels: labels, final: final)
            }
        }
        evaluated += used.count
    }

    public func finish() throws {
        if !fitting && evaluated == 0 {
            throw NetsError("logit lens: no held-out image to evaluate on (more data, or a smaller fitting share)")
        }
    }

    /// Per block, the head read directly (NaN where skipped): top-1 error, mean cross-entropy,
    /// and the share of images on which it predicts what the whole network predicts.
    public var error: [Double] { perBlock(directTally.errors.map(Double.init)) { self.skipped[$0] == nil } }
    public var loss: [Double] { perBlock(directTally.losses) { self.skipped[$0] == nil } }
    public var agreement: [Double] { perBlock(directTally.agreements.map(Double.init)) { self.skipped[$0] == nil } }
    /// The same through the fitted projections (NaN without them).
    public var projectedError: [Double] { perBlock(projectedTally.errors.map(Double.init)) { self.maps[$0] != nil } }
    public var projectedLoss: [Double] { perBlock(projectedTally.losses) { self.maps[$0] != nil } }
    public var projectedAgreement: [Double] { perBlock(projectedTally.agreements.map(Double.init)) { self.maps[$0] != nil } }

    private func perBlock(_ sums: [Double], _ defined: (Int) -> Bool) -> [Double] {
        sums.indices.map { defined($0) ? sums[$0] / Double(max(evaluated, 1)) : .nan }
    }

    /// What determines the numbers, checked on resume.
    var settings: String {
        ExperimentRun.encode(["batches": batches.count.map(String.init) ?? "all", "projection": projection?.summary ?? "none",
                              "alpha": "\(alpha)", "fitting_data": fittingData ?? "the data"])
    }

    static let rowColumns = ["errors", "agreements", "loss_sum", "projected_errors", "projected_agreements", "projected_loss_sum"]

    public func write(into root: Group) throws {
        let group = try root.createGroup(id)
        try group.setAttribute("method", "the network's own head applied to each block's output")
        try group.setAttribute("head_channels", Int64(headChannels))
        try group.setAttribute("evaluated_images", Int64(evaluated))
        if !skipped.isEmpty {
            try group.setAttribute("skipped", skipped.keys.sorted().map { "block \($0): \(skipped[$0]!)" })
            try group.setAttribute("skipped_blocks", skipped.keys.sorted().map { Int64($0) })
        }
        let rows = (0..<network.blockCount).flatMap { block -> [Double] in
            [Double(directTally.errors[block]), Double(directTally.agreements[block]), directTally.losses[block],
             Double(projectedTally.errors[block]), Double(projectedTally.agreements[block]), projectedTally.losses[block]]
        }
        try batches.writeProgress(group, settings: settings, rows: rows, columns: Self.rowColumns)
        guard isComplete else { return }
        try group.column("block", (0..<network.blockCount).map(Double.init), units: "block number")
        try group.column("error", error, units: "top-1 error of the head on this block's output (NaN: channels not the head's)")
        try group.column("loss", loss, units: "mean cross-entropy (nats)")
        try group.column("agreement", agreement, units: "share of images where it predicts what the whole network predicts")
        try group.column("direct", (0..<network.blockCount).map { skipped[$0] == nil ? 1 : 0 },
                         units: "1 the head reads the output directly, 0 its channels are not the head's")
        if let projection {
            try group.setAttribute("projection", "ridge map from each block's pooled output to the last block's pooled output, "
                                   + "read by the head as a 1×1 map; split: \(projection.summary); alpha \(alpha)")
            try group.column("projected_error", projectedError, units: "top-1 error through the fitted projection")
            try group.column("projected_loss", projectedLoss, units: "mean cross-entropy (nats) through the projection")
            try group.column("projected_agreement", projectedAgreement, units: "agreement with the whole network through the projection")
        }
    }

    /// Takes up the tallies an earlier run saved in `group`, and the blocks it found the head
    /// cannot read (the projections are fitted again).
    public func resume(from group: Group, path: String) throws {
        guard let table = try batches.resume(from: group, settings: settings, columns: Self.rowColumns, rows: network.blockCount,
                                             path: path) else { return }
        directTally.errors = table.map { Int($0[0]) }
        directTally.agreements = table.map { Int($0[1]) }
        directTally.losses = table.map { $0[2] }
        projectedTally.errors = table.map { Int($0[3]) }
        projectedTally.agreements = table.map { Int($0[4]) }
        projectedTally.losses = table.map { $0[5] }
        evaluated = Int(try group.attribute("evaluated_images", as: Int64.self))
        if group.hasAttribute("skipped_blocks") {
            let blocks = try group.attributeArray("skipped_blocks", as: Int64.self).map { Int($0) }
            let reasons = try group.stringArrayAttribute("skipped")
            skipped = Dictionary(uniqueKeysWithValues: zip(blocks, reasons).map { block, text in
                (block, String(text.dropFirst("block \(block): ".count)))
            })
        }
    }
}
