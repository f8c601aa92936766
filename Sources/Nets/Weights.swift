/// Named weight arrays in PyTorch layout, as a state_dict holds them.
public struct Weights: Sendable {
    public struct Entry: Sendable {
        public var shape: [Int]
        public var values: [Float]
        public init(shape: [Int], values: [Float]) {
            self.shape = shape
            self.values = values
        }
    }

    public var entries: [String: Entry]
    /// Where they came from, for error messages.
    public var source: String

    public init(_ entries: [String: Entry] = [:], source: String = "weights") {
        self.entries = entries
        self.source = source
    }

    /// Names that state_dicts carry but inference never reads.
    static func isBookkeeping(_ name: String) -> Bool { name.hasSuffix(".num_batches_tracked") }
}

/// Hands out weights by name while compiling, checking each shape and value, and remembering
/// which were used so that leftovers (a sign of the wrong architecture) can be reported.
final class WeightReader {
    private var weights: Weights
    /// Whether each array is handed over, none left behind, so that the compiler can fold batch
    /// norms into the arrays read (a network that does not keep its Weights, `WeightsOrigin`).
    private let handsOver: Bool
    private(set) var used: Set<String> = []
    /// The shape of each weight handed out.
    private(set) var shapes: [String: [Int]] = [:]
    /// Learnable parameters handed out so far (batch-norm running statistics excluded).
    private(set) var learnableCount = 0

    init(_ weights: consuming Weights, handingOver: Bool = false) {
        self.weights = weights
        handsOver = handingOver
    }

    func take(_ name: String, shape: [Int]) throws -> [Float] {
        guard let entry = handsOver ? weights.entries.removeValue(forKey: name) : weights.entries[name] else {
            throw NetsError("\(weights.source): \(used.contains(name) ? "weight '\(name)' is read twice" : "missing weight '\(name)'") "
                            + "(expected shape \(shape))")
        }
        guard entry.shape == shape else {
            throw NetsError("\(weights.source): weight '\(name)' has shape \(entry.shape), expected \(shape)")
        }
        if let bad = entry.values.firstIndex(where: { !$0.isFinite }) {
            throw NetsError("\(weights.source): weight '\(name)' holds \(entry.values[bad]) at flat index \(bad)")
        }
        used.insert(name)
        shapes[name] = shape
        if !name.hasSuffix(".running_mean") && !name.hasSuffix(".running_var") { learnableCount += entry.values.count }
        return entry.values
    }

    func checkAllUsed() throws {
        let unused = weights.entries.keys.filter { !used.contains($0) && !Weights.isBookkeeping($0) }.sorted()
        if let first = unused.first {
            throw NetsError("\(weights.source): weight '\(first)' is not used by the architecture"
                            + (unused.count > 1 ? " (nor \(unused.count - 1) others)" : ""))
        }
    }
}
