/// A named place in a network where values can be read or replaced.
///
/// Names: "stem" (the stem's output), "blocks.I.input", "blocks.I.branch" (the branch's output
/// before the merge; for a highway block, H(x)), "blocks.I.gate" (a highway block's T(x)),
/// "blocks.I.output", "logits". Block numbers are
/// the architecture's, whatever order the blocks run in.
public struct HookPoint: Hashable, Sendable, CustomStringConvertible {
    public let name: String
    public init(_ name: String) { self.name = name }
    public var description: String { name }

    public static let stem = HookPoint("stem")
    public static let logits = HookPoint("logits")
    public static func blockInput(_ block: Int) -> HookPoint { HookPoint("blocks.\(block).input") }
    public static func blockBranch(_ block: Int) -> HookPoint { HookPoint("blocks.\(block).branch") }
    public static func blockOutput(_ block: Int) -> HookPoint { HookPoint("blocks.\(block).output") }
    /// A highway block's transform gate T(x), in [0, 1].
    public static func blockGate(_ block: Int) -> HookPoint { HookPoint("blocks.\(block).gate") }

    /// The block a "blocks.I.*" point belongs to; nil for "stem", "logits" and unknown names.
    public var block: Int? {
        let parts = name.split(separator: ".")
        return parts.count == 3 && parts[0] == "blocks" ? Int(parts[1]) : nil
    }
}

extension Network {
    /// Every hook point this network has, in the order a forward pass reaches them: "stem", then
    /// per block its input, branch (and gate, for a highway layer) and output, then "logits".
    public var hookPoints: [HookPoint] {
        [.stem] + blocks.flatMap { block -> [HookPoint] in
            [.blockInput(block.index), .blockBranch(block.index)]
                + (block.spec.kind == .highway ? [.blockGate(block.index)] : []) + [.blockOutput(block.index)]
        } + [.logits]
    }

    /// Throws unless the network has `point`, naming the nearest points it has.
    public func checkHookPoint(_ point: HookPoint, for reader: String) throws {
        let points = hookPoints
        guard !points.contains(point) else { return }
        let nearest = points.sorted { editDistance($0.name, point.name) < editDistance($1.name, point.name) }.prefix(3)
        throw NetsError("\(reader) reads the hook point '\(point)', which '\(architecture.name)' does not have; "
                        + "the nearest it has: \(nearest.map { "'\($0)'" }.joined(separator: ", ")) (all: Network.hookPoints)")
    }
}

/// The Levenshtein distance: how many one-character edits turn `a` into `b`.
func editDistance(_ a: String, _ b: String) -> Int {
    let (x, y) = (Array(a.utf8), Array(b.utf8))
    guard !x.isEmpty, !y.isEmpty else { return max(x.count, y.count) }
    var previous = Array(0...y.count)
    for i in 1...x.count {
        var current = [i] + [Int](repeating: 0, count: y.count)
        for j in 1...y.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return previous[y.count]
}

/// A hook sees the tensor at its point. It returns nil to leave it alone, or a tensor of the
/// same shape to replace it. It must not keep the tensor past the call unless it copies it
/// (buffers are reused).
public typealias Hook = (HookPoint, Tensor) throws -> Tensor?

/// The hooks of one run. Scoped to the run: nothing stays installed afterwards.
public struct Hooks {
    private var table: [HookPoint: [Hook]] = [:]

    public init() {}

    public mutating func add(_ point: HookPoint, _ hook: @escaping Hook) {
        table[point, default: []].append(hook)
    }

    public var isEmpty: Bool { table.isEmpty }

    func has(_ point: HookPoint) -> Bool { table[point] != nil }

    /// Runs every hook at `point` in order, each seeing the previous one's replacement.
    func run(_ point: HookPoint, _ tensor: Tensor) throws -> Tensor {
        guard let hooks = table[point] else { return tensor }
        var current = tensor
        for hook in hooks {
            if let replacement = try hook(point, current) {
                guard replacement.shape == current.shape else {
                    throw NetsError("hook at \(point) returned shape \(replacement.shape), expected \(current.shape)")
                }
                current = replacement
            }
        }
        return current
    }
}
