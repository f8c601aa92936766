import Nets

/// A custom measurement over a dataset: what it reads, what it computes per batch, and how it
/// reduces across batches. The built-in lesion experiments are probes too.
///
/// A complete probe, run over a dataset:
///
/// ```swift
/// import Analysis
/// import Nets
///
/// /// How large each block's branch is next to its input, averaged over batches.
/// final class BranchNorms: Probe {
///     let blocks: Int
///     var ratios: [Double]
///     var batches = 0.0
///
///     init(blocks: Int) {
///         self.blocks = blocks
///         ratios = [Double](repeating: 0, count: blocks)
///     }
///
///     var name: String { "branch_norms" }
///     var reads: [HookPoint] { (0..<blocks).flatMap { [.blockInput($0), .blockBranch($0)] } }
///
///     func observe(_ batch: Batch) throws {
///         for block in 0..<blocks {
///             ratios[block] += norm(try batch.activation(.blockBranch(block))) / norm(try batch.activation(.blockInput(block)))
///         }
///         batches += 1
///     }
///
///     func finish() throws { ratios = ratios.map { $0 / batches } }
/// }
///
/// let network = try ModelFile.load("resnet56.h5")
/// let probe = BranchNorms(blocks: network.blockCount)
/// try Runner(network: network, data: try DatasetFile("test.h5")).run([probe])
/// print(probe.ratios)
/// ```
///
/// The runner checks every point in `reads` against `Network.hookPoints` before the first batch,
/// and `Batch.activation` throws for a point the probe did not declare: a misspelt point fails
/// at once instead of returning nothing.
public protocol Probe: AnyObject {
    /// Names the probe in errors; the built-in experiments also use it as their results group.
    var name: String { get }
    /// Hook points of the intact forward pass this probe reads in `observe`. Reading a block's
    /// branch ("blocks.I.branch") makes that block compute its branch apart from the residual
    /// add it is otherwise fused with, so the shared pass's later values (and every other probe's
    /// logits) differ from an unhooked run in their last bits; a probe that only needs branches
    /// on some batches can run its own hooked pass, as `IterativeInference` does.
    var reads: [HookPoint] { get }
    /// Whether `observe` will call `batch.evaluate(_:)`: the runner then keeps block inputs.
    var evaluatesVariants: Bool { get }
    /// The variants `observe` will evaluate on batch `index`, when known before it: if every
    /// probe that evaluates variants announces them, the runner computes them alongside the
    /// intact pass, holding one block input at a time instead of all, and `batch.evaluate`
    /// returns them. Others still work, at the cost of a second intact pass.
    func plannedVariants(batch index: Int) -> [Variant]
    /// Whether this probe needs batch `index` at all (a resumed or sharded run skips the rest).
    func wants(batch index: Int) -> Bool
    func observe(_ batch: Batch) throws
    /// Called once after the last batch.
    func finish() throws
}

extension Probe {
    public var reads: [HookPoint] { [] }
    public var evaluatesVariants: Bool { false }
    public func plannedVariants(batch index: Int) -> [Variant] { [] }
    public func wants(batch index: Int) -> Bool { true }
    public func finish() throws {}
}

/// One batch as probes see it: the images, labels, the intact network's logits and the values
/// at the hook points they asked for.
public final class Batch {
    public let index: Int
    public let range: Range<Int>
    public let images: Tensor
    public let labels: [Int]
    public let network: Network
    public let logits: Tensor
    private let activations: [HookPoint: Tensor]
    private var evaluator: SharedPrefixEvaluator?

    init(index: Int, range: Range<Int>, images: Tensor, labels: [Int], network: Network, logits: Tensor,
         activations: [HookPoint: Tensor], evaluator: SharedPrefixEvaluator?) {
        self.index = index
        self.range = range
        self.images = images
        self.labels = labels
        self.network = network
        self.logits = logits
        self.activations = activations
        self.evaluator = evaluator
    }

    /// The intact pass's value at `point` (a copy, yours to keep). Throws if no probe declared
    /// `point` in `reads`.
    public func activation(_ point: HookPoint) throws -> Tensor {
        guard let value = activations[point] else {
            throw ProbeError("batch \(index): no value at '\(point)': declare it in the probe's `reads` "
                             + "(declared here: \(activations.keys.map(\.name).sorted().prefix(4).joined(separator: ", "))\(activations.count > 4 ? ", ..." : ""))")
        }
        return value
    }

    /// The logits of each variant on this batch, sharing every common prefix of computation with
    /// the intact pass and with each other.
    public func evaluate(_ variants: [Variant]) throws -> [Tensor] {
        try sharedEvaluator().logits(variants)
    }

    /// The intact pass's input to the block at `position`: where a variant that first differs
    /// there starts.
    public func intactBlockInput(_ position: Int) throws -> Tensor {
        try sharedEvaluator().intactInput(position)
    }

    /// Block evaluations `evaluate(variants)` needs on shared prefixes beyond the intact pass,
    /// whether it computes them then or the runner did alongside the intact pass.
    public func evaluations(of variants: [Variant]) throws -> Int {
        try sharedEvaluator().evaluations(of: variants)
    }

    /// Whether this batch's variants were walked along the intact pass, no block inputs kept.
    var walkedAlong: Bool { evaluator.map { !$0.holdsBlockInputs } ?? false }

    /// Block evaluations this batch has needed so far, the intact pass included.
    public var blockEvaluations: Int { evaluator?.blockEvaluations ?? network.blockCount }

    private func sharedEvaluator() throws -> SharedPrefixEvaluator {
        if let evaluator { return evaluator }
        let made = try SharedPrefixEvaluator(network: network, images: images)
        evaluator = made
        return made
    }
}
