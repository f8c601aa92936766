/// What happens to one block in a run.
public enum BlockAction: Hashable, Sendable {
    /// The block as trained.
    case run
    /// The lesion: the branch is removed and the block becomes its shortcut (and merge).
    case skip
    /// The block runs twice in place, its output fed back as its input (gcr's duplicate
    /// operation). Only for blocks that keep the shape.
    case twice
    /// The branch's output multiplied by α before the merge: y = merge(shortcut(x) + α·f(x));
    /// for a highway layer, H is scaled. Build it with `scaled(_:)`.
    case scale(Float)
    /// The block with its weights redrawn as at initialisation (`Reinitialization`), from `seed`:
    /// Zhang, Bengio & Singer's (2019) re-randomisation robustness.
    case reinit(seed: UInt64)
    /// The branch's output replaced by a fixed value, the same for every image (mean ablation):
    /// y = merge(shortcut(x) + v); for a highway layer H = v; for a plain block y = merge(v).
    case replaceBranch(BranchValue)

    /// α·branch, where α = 0 is exactly the lesion and α = 1 the block as trained.
    public static func scaled(_ alpha: Float) -> BlockAction {
        alpha == 0 ? .skip : alpha == 1 ? .run : .scale(alpha)
    }

    /// Stable codes for results files (docs/results-format.md).
    public var code: UInt8 {
        switch self {
        case .run: 0
        case .skip: 1
        case .twice: 2
        case .scale: 3
        case .reinit: 4
        case .replaceBranch: 5
        }
    }

    /// The seed of a re-initialised block, else 0.
    public var seed: UInt64 {
        if case .reinit(let seed) = self { return seed }
        return 0
    }

    public var alpha: Float {
        switch self {
        case .run, .twice, .reinit, .replaceBranch: 1
        case .skip: 0
        case .scale(let alpha): alpha
        }
    }

    public init?(code: UInt8, alpha: Float, seed: UInt64 = 0) {
        switch code {
        case 0: self = .run
        case 1: self = .skip
        case 2: self = .twice
        case 3: self = .scale(alpha)
        case 4: self = .reinit(seed: seed)
        case 5: self = .replaceBranch(BranchValue(label: "mean"))
        default: return nil
        }
    }

    /// Block evaluations this action costs: a duplicated block runs twice.
    public var evaluations: Int { self == .twice ? 2 : 1 }
}

/// A value that replaces a branch's output: [height, width, channels], broadcast over the batch.
/// Variants compare it by label ("mean"), so that a resumed run, which computes it again from the
/// same data, continues the same experiment.
public final class BranchValue: Hashable, @unchecked Sendable {
    public let label: String
    public let tensor: Tensor?

    public init(label: String, tensor: Tensor? = nil) {
        self.label = label
        self.tensor = tensor
    }

    public static func == (a: BranchValue, b: BranchValue) -> Bool { a.label == b.label }
    public func hash(into hasher: inout Hasher) { hasher.combine(label) }
}

/// One way to run a network: the blocks in order, each with what happens to it. Every lesion and
/// intervention experiment is a list of variants; the intact network is one too. `Network.forward`
/// runs one (`RunOptions(variant:)`), and the shared-prefix evaluator runs many at once.
public struct Variant: Hashable, Sendable {
    public struct Step: Hashable, Sendable {
        public var block: Int
        public var action: BlockAction
        public init(block: Int, action: BlockAction = .run) {
            self.block = block
            self.action = action
        }
        public init(block: Int, dropped: Bool) { self.init(block: block, action: dropped ? .skip : .run) }
        public var dropped: Bool { action == .skip }
    }

    public var steps: [Step]

    public init(steps: [Step]) { self.steps = steps }

    public static func intact(blocks: Int) -> Variant {
        Variant(steps: (0..<blocks).map { Step(block: $0) })
    }

    public static func dropping(_ dropped: Set<Int>, blocks: Int) -> Variant {
        Variant(steps: (0..<blocks).map { Step(block: $0, dropped: dropped.contains($0)) })
    }

    public static func ordered(_ order: [Int]) -> Variant {
        Variant(steps: order.map { Step(block: $0) })
    }

    /// The intact network with one block's action changed.
    public static func acting(_ action: BlockAction, on block: Int, blocks: Int) -> Variant {
        Variant(steps: (0..<blocks).map { Step(block: $0, action: $0 == block ? action : .run) })
    }

    public var droppedBlocks: [Int] { steps.filter(\.dropped).map(\.block).sorted() }
    public var order: [Int] { steps.map(\.block) }
    /// Blocks whose action is neither run nor skip, with their action.
    public var interventions: [(block: Int, action: BlockAction)] {
        steps.filter { $0.action != .run && $0.action != .skip }.map { ($0.block, $0.action) }
    }
}

/// Steps sort by block, then action, so that variants sharing computation sit together.
extension Variant.Step: Comparable {
    public static func < (a: Variant.Step, b: Variant.Step) -> Bool {
        (a.block, a.action.code, a.action.alpha) < (b.block, b.action.code, b.action.alpha)
    }
}
