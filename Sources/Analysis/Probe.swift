import Nets

/// A custom measurement over a dataset: what it reads, what it computes per batch, and how it
/// reduces across batches. The built-in lesion experiments are probes too.
///
/// ```swift
/// final class BranchNorms: Probe {
///     var name: String { "branch_norms" }
///     var reads: [HookPoint] { (0..<54).flatMap { [.blockInput($0), .blockBranch($0)] } }
///     var ratios = [Double](repeating: 0, count: 54)
///     func observe(_ batch: Batch) throws {
///         for block in 0..<54 {
///             ratios[block] += norm(batch.activation(.blockBranch(block))!) / norm(batch.activation(.blockInput(block))!)
///         }
///     }
/// }
/// ```
public protocol Probe: AnyObject {
    var name: String { get }
    /// Hook points of the intact forward pass this probe reads in `observe`.
    var reads: [HookPoint] { get }
    /// Whether `observe` will call `batch.evaluate(_:)`: the runner then keeps block inputs.
    var evaluatesVariants: Bool { get }
    /// Whether this probe needs batch `index` at all (a resumed or sharded run skips the rest).
    func wants(batch index: Int) -> Bool
    func observe(_ batch: Batch) throws
    /// Called once after the last batch.
    func finish() throws
}

extension Probe {
    public var reads: [HookPoint] { [] }
    public var evaluatesVariants: Bool { false }
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

    /// The intact pass's value at `point` (a copy, yours to keep), if a probe declared it in `reads`.
    public func activation(_ point: HookPoint) -> Tensor? { activations[point] }

    /// The logits of each variant on this batch, sharing every common prefix of computation with
    /// the intact pass and with each other.
    public func evaluate(_ variants: [Variant]) throws -> [Tensor] {
        try sharedEvaluator().logits(variants)
    }

    /// Block evaluations this batch has needed so far, the intact pass included.
    public var blockEvaluations: Int { evaluator?.blockEvaluations ?? network.blockCount }

    private func sharedEvaluator() throws -> SharedPrefixEvaluator {
        if let evaluator { return evaluator }
        let made = try SharedPrefixEvaluator(network: network, images: images)
        evaluator = made
        return made
    }
}
