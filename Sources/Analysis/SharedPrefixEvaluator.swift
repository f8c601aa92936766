import Nets

/// Runs many variants of a network on one batch without recomputing what they share.
///
/// The intact pass is run once, keeping every block's input. Each variant starts from the cached
/// input of its first step that differs from the intact network. Variants that start at the same
/// place form a trie of their remaining steps. A depth-first walk computes each trie node once
/// and keeps activations only where the trie branches. Drop-one over n blocks then costs about
/// n²/2 block evaluations instead of the naive n(n+1).
public final class SharedPrefixEvaluator {
    public let network: Network
    private let intactSteps: [Variant.Step]
    /// Input to each position of the intact network; then the intact logits.
    private(set) var intactInputs: [Tensor] = []
    public private(set) var intactLogits: Tensor
    /// Block evaluations done so far, for the cost accounting `make bench` prints.
    public private(set) var blockEvaluations = 0

    /// Runs the intact network on `images` (NHWC, preprocessed), keeping block inputs; `hooks`
    /// see the pass (probes read their points from it).
    public init(network: Network, images: Tensor, hooks: Hooks = Hooks()) throws {
        self.network = network
        intactSteps = Variant.intact(blocks: network.blockCount).steps
        (intactInputs, intactLogits) = try network.intactPass(images, hooks: hooks)
        blockEvaluations = network.blockCount
    }

    /// The intact network's input to block position `position`.
    public func intactInput(_ position: Int) -> Tensor { intactInputs[position] }

    /// The logits of every variant, in order.
    public func logits(_ variants: [Variant]) throws -> [Tensor] {
        var results = [Tensor?](repeating: nil, count: variants.count)
        var byStart: [Int: [Int]] = [:]
        for (index, variant) in variants.enumerated() {
            let common = min(variant.steps.count, intactSteps.count)
            let start = (0..<common).first { variant.steps[$0] != intactSteps[$0] }
                ?? (variant.steps.count == intactSteps.count ? nil : common)
            if let start {
                byStart[start, default: []].append(index)
            } else {
                results[index] = intactLogits
            }
        }
        for start in byStart.keys.sorted() {
            try descend(intactInputs[start], depth: start, members: byStart[start]!, variants: variants, results: &results)
        }
        return results.map { $0! }
    }

    /// Walks the trie below `depth` for `members`, which share all steps before `depth`.
    private func descend(_ input: Tensor, depth start: Int, members start_: [Int], variants: [Variant],
                         results: inout [Tensor?]) throws {
        var current = input
        var depth = start
        var members = start_
        while true {
            let finished = members.filter { variants[$0].steps.count == depth }
            if !finished.isEmpty {
                let logits = try network.runHead(current)
                for index in finished { results[index] = logits }
            }
            members = members.filter { variants[$0].steps.count > depth }
            if members.isEmpty { return }
            let groups = Dictionary(grouping: members) { variants[$0].steps[depth] }
            let keys = groups.keys.sorted()
            if keys.count == 1 {
                current = try network.runBlock(keys[0].block, &current, action: keys[0].action)
                blockEvaluations += keys[0].action.evaluations
                depth += 1
                continue
            }
            for key in keys {
                var branchInput = current   // shared: the block copies rather than overwrite it
                let output = try network.runBlock(key.block, &branchInput, action: key.action)
                blockEvaluations += key.action.evaluations
                try descend(output, depth: depth + 1, members: groups[key]!, variants: variants, results: &results)
            }
            return
        }
    }
}
