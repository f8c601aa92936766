import Foundation
import HDF5
import Nets

/// The logit lens for CNNs: the network's own head (a pre-activation net's final BN-ReLU, global
/// pooling, the linear layer) applied to each block's output, as if the network ended there.
/// In an ensemble of shallow paths, early exits should already classify; in a net that builds
/// its answer stage by stage, they should not.
///
/// Only blocks whose output has the head's channel count can be read directly. The others are
/// listed as skipped, unless a projection is fitted: a ridge map from the block's pooled output
/// to the last block's pooled output, which the head then reads as a 1×1 map (exact for a
/// pooling-then-linear head; for a head that normalises per pixel first, it normalises the
/// pooled value instead).
public final class LogitLens: Probe, ResultsGroup {
    public let network: Network
    /// The split for projections; nil: no projection, blocks of other widths are skipped.
    public let projection: ProbeSplit?
    public let alpha: Double
    public let headChannels: Int
    /// Blocks the head reads directly, and why the others are not.
    public let direct: [Int]
    public private(set) var skipped: [Int: String] = [:]
    private var accumulators: [Int: RidgeRegression] = [:]
    public private(set) var maps: [Int: RidgeRegression.Fit] = [:]
    private var fitting = false
    private var errors: [Int]
    private var agreements: [Int]
    private var losses: [Double]
    public private(set) var evaluated = 0

    public init(network: Network, projection: ProbeSplit? = nil, alpha: Double = 1e-3) throws {
        if let refusal = poolingRefusal(network) { throw NetsError("logit lens: \(refusal)") }
        if case .fraction(let share, _)? = projection, !(share > 0 && share < 1) {
            throw NetsError(.badUsage, "the fitting share must lie strictly between 0 and 1, not \(share)")
        }
        self.network = network
        self.projection = projection
        self.alpha = alpha
        let last = network.blockCount - 1
        let headChannels = network.blockShapes(last).output[2]
        self.headChannels = headChannels
        direct = (0..<network.blockCount).filter { network.blockShapes($0).output[2] == headChannels }
        for block in 0..<network.blockCount where !direct.contains(block) {
            if projection != nil {
                accumulators[block] = RidgeRegression(features: network.blockShapes(block).output[2], targets: headChannels)
            } else {
                skipped[block] = "\(network.blockShapes(block).output[2]) channels; the head reads \(headChannels)"
            }
        }
        errors = [Int](repeating: 0, count: network.blockCount)
        agreements = errors
        losses = [Double](repeating: 0, count: network.blockCount)
    }

    public var name: String { "lens" }
    public var id: String { name }
    public var reads: [HookPoint] { (0..<network.blockCount).map { .blockOutput($0) } }

    /// Blocks read through a fitted projection.
    public var projected: [Int] { accumulators.keys.sorted() }

    /// The projections' fitting pass (only with `projection`).
    public func fit(using runner: Runner, afterBatch: ((Int, Range<Int>) throws -> Void)? = nil) throws {
        guard projection != nil, !accumulators.isEmpty else { return }
        fitting = true
        defer { fitting = false }
        try runner.run([self], afterBatch: afterBatch)
        for (block, accumulator) in accumulators {
            guard accumulator.count >= 2 else {
                throw NetsError("logit lens: \(accumulator.count) fitting image(s) for the projections; at least 2 are needed")
            }
            maps[block] = try accumulator.solve(alpha: alpha)
        }
    }

    private func rows(_ batch: Batch) -> [Int] {
        batch.labels.indices.filter { row in
            guard let projection, !accumulators.isEmpty else { return !fitting }
            let index = batch.range.lowerBound + row
            return fitting ? (projection == .separateData || projection.fits(index)) : projection.evaluates(index)
        }
    }

    public func observe(_ batch: Batch) throws {
        let used = rows(batch)
        guard !used.isEmpty else { return }
        let last = network.blockCount - 1
        if fitting {
            let target = globalAveragePool(try batch.activation(.blockOutput(last)))
            let y = used.flatMap { target[($0 * headChannels)..<(($0 + 1) * headChannels)] }
            for (block, _) in accumulators {
                let pooled = globalAveragePool(try batch.activation(.blockOutput(block)))
                let width = network.blockShapes(block).output[2]
                try accumulators[block]!.add(used.flatMap { pooled[($0 * width)..<(($0 + 1) * width)] }, y, rows: used.count)
            }
            return
        }
        let final = Loss.predictions(batch.logits)
        let labels = used.map { batch.labels[$0] }
        for block in 0..<network.blockCount where skipped[block] == nil {
            let output = try batch.activation(.blockOutput(block))
            let logits: Tensor
            if let map = maps[block] {
                let pooled = globalAveragePool(output)
                let width = map.features
                let scores = map.predict(used.flatMap { pooled[($0 * width)..<(($0 + 1) * width)] }, rows: used.count)
                logits = try network.runHead(Tensor(shape: [used.count, 1, 1, headChannels], values: scores.map { Float($0) }))
            } else {
                do {
                    logits = try network.runHead(rowsOf(output, used))
                } catch {
                    skipped[block] = "the head cannot read its \(network.blockShapes(block).output) output: \(error)"
                    continue
                }
            }
            let predictions = Loss.predictions(logits)
            let loss = Loss.crossEntropy(logits, labels: labels)
            for r in used.indices {
                if predictions[r] != labels[r] { errors[block] += 1 }
                if predictions[r] == final[used[r]] { agreements[block] += 1 }
                losses[block] += Double(loss[r])
            }
        }
        evaluated += used.count
    }

    public func finish() throws {
        if !fitting && evaluated == 0 {
            throw NetsError("logit lens: no held-out image to evaluate on (more data, or a smaller fitting share)")
        }
    }

    /// Per block (NaN where skipped): top-1 error, mean cross-entropy, and the share of images on
    /// which it predicts what the whole network predicts.
    public var error: [Double] { perBlock(errors.map(Double.init)) }
    public var loss: [Double] { perBlock(losses) }
    public var agreement: [Double] { perBlock(agreements.map(Double.init)) }

    private func perBlock(_ sums: [Double]) -> [Double] {
        sums.indices.map { skipped[$0] == nil ? sums[$0] / Double(max(evaluated, 1)) : .nan }
    }

    public func write(into root: Group) throws {
        let group = try root.createGroup(id)
        try group.setAttribute("method", "the network's own head applied to each block's output")
        try group.setAttribute("head_channels", Int64(headChannels))
        try group.setAttribute("evaluated_images", Int64(evaluated))
        if let projection {
            try group.setAttribute("projection", "ridge map from the pooled block output to the last block's pooled output; "
                                   + "split: \(projection.summary); alpha \(alpha)")
        }
        try group.column("block", (0..<network.blockCount).map(Double.init), units: "block number")
        try group.column("error", error, units: "top-1 error of the head on this block's output (NaN: skipped)")
        try group.column("loss", loss, units: "mean cross-entropy (nats)")
        try group.column("agreement", agreement, units: "share of images where it predicts what the whole network predicts")
        let readout = (0..<network.blockCount).map { skipped[$0] != nil ? 0.0 : (maps[$0] != nil ? 2.0 : 1.0) }
        try group.column("read", readout, units: "0 skipped, 1 the head read the output directly, 2 through a fitted projection")
        if !skipped.isEmpty { try group.setAttribute("skipped", skipped.keys.sorted().map { "block \($0): \(skipped[$0]!)" }) }
    }
}

/// The images at `rows` of an NHWC batch, as a batch of their own.
func rowsOf(_ x: Tensor, _ rows: [Int]) -> Tensor {
    if rows.count == x.batch && rows == Array(0..<x.batch) { return x }
    let size = x.count / max(x.batch, 1)
    let out = Tensor(shape: [rows.count] + x.shape.dropFirst())
    for (r, row) in rows.enumerated() { (out.pointer + r * size).update(from: x.pointer + row * size, count: size) }
    return out
}
