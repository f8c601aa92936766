import Nets

/// Runs many variants of a network on one batch without recomputing what they share.
///
/// Each variant starts from the intact network's input to its first step that differs from the
/// intact network. Variants that start at the same place form a trie of their remaining steps. A
/// depth-first walk computes each trie node once and keeps activations only where the trie
/// branches. Drop-one over n blocks then costs about n²/2 block evaluations instead of the naive
/// n(n+1).
///
/// Variants known before the intact pass (`planned`) are walked during it, each group as the
/// pass reaches its start, so that only the current block input is held: ResNet-50's drop-one
/// sweep at batch 32 otherwise holds all 16 inputs, 700 MB. Any other variant, or a block input
/// asked for, runs the intact pass again, keeping its inputs.
public final class SharedPrefixEvaluator {
    public let network: Network
    private let images: Tensor
    private let hooks: Hooks
    private let intactSteps: [Variant.Step]
    /// Input to each position of the intact network, once a variant that was not planned needs them.
    private var intactInputs: [Tensor]?
    public private(set) var intactLogits: Tensor
    /// The planned variants' logits.
    private var plannedLogits: [Variant: Tensor] = [:]
    /// Block evaluations done so far, for the cost accounting `make bench` prints.
    public private(set) var blockEvaluations = 0
    /// Projection shortcuts computed once for the intact block and the planned variants that
    /// remove it, rather than once for each.
    public private(set) var sharedShortcuts = 0

    /// Runs the intact network on `images` (NHWC, preprocessed), with the `planned` variants
    /// alongside, or else keeping block inputs; `hooks` see the intact pass (probes read their
    /// points from it).
    public init(network: Network, images: Tensor, hooks: Hooks = Hooks(), planned: [Variant] = []) throws {
        self.network = network
        self.images = images
        self.hooks = hooks
        intactSteps = Variant.intact(blocks: network.blockCount).steps
        let unique = Array(Set(planned))
        guard !unique.isEmpty, Self.logitsHeld(unique.count, network) <= Self.inputsHeld(network) else {
            let (inputs, logits) = try network.intactPass(images, hooks: hooks)
            (intactInputs, intactLogits) = (inputs, logits)
            blockEvaluations = network.blockCount
            return
        }
        let byStart = Self.groupedByStart(unique, intact: intactSteps).byStart
        var results = [Tensor?](repeating: nil, count: unique.count)
        var evaluations = network.blockCount
        var shared = 0
        // Walked before the block runs on: the walk copies the input, the block then overwrites it.
        intactLogits = try network.intactPass(images, hooks: hooks) { position, input in
            guard let members = byStart[position] else { return nil }
            let removal = Variant.Step(block: position, action: .skip)
            // (A variant that ends early has no step at its start.)
            let removing = members.contains { unique[$0].steps.dropFirst(position).first == removal }
            let shortcut = removing ? try network.projectedShortcut(position, input) : nil
            if shortcut != nil { shared += 1 }
            try Self.descend(network, input, depth: position, members: members, variants: unique, results: &results,
                             evaluations: &evaluations, shortcut: shortcut)
            return shortcut
        }
        blockEvaluations = evaluations
        sharedShortcuts = shared
        for (variant, logits) in zip(unique, results) { plannedLogits[variant] = logits ?? intactLogits }
    }

    /// Values per image the planned variants' logits hold until asked for: the planned walk is
    /// taken only when they are no more than the block inputs it spares (thousands of variants of
    /// a 1000-class network are not).
    private static func logitsHeld(_ variants: Int, _ network: Network) -> Int { variants * network.architecture.classes }
    private static func inputsHeld(_ network: Network) -> Int {
        (0..<network.blockCount).reduce(0) { $0 + network.blockShapes($1).input.reduce(1, *) }
    }

    /// Whether the intact pass's block inputs are held (they are not after a planned walk, until
    /// something asks for them).
    var holdsBlockInputs: Bool { intactInputs != nil }

    /// The intact network's input to block position `position`.
    public func intactInput(_ position: Int) throws -> Tensor { try keptInputs()[position] }

    /// The logits of every variant, in order.
    public func logits(_ variants: [Variant]) throws -> [Tensor] {
        if variants.allSatisfy({ plannedLogits[$0] != nil }) { return variants.map { plannedLogits[$0]! } }
        let inputs = try keptInputs()
        var results = [Tensor?](repeating: nil, count: variants.count)
        let (byStart, intact) = Self.groupedByStart(variants, intact: intactSteps)
        for index in intact { results[index] = intactLogits }
        for start in byStart.keys.sorted() {
            try Self.descend(network, inputs[start], depth: start, members: byStart[start]!, variants: variants,
                             results: &results, evaluations: &blockEvaluations)
        }
        return results.map { $0! }
    }

    /// Block evaluations `logits(variants)` needs beyond the intact pass: one per node of their
    /// trie (a step run twice counts twice).
    public func evaluations(of variants: [Variant]) -> Int {
        var nodes = Set<ArraySlice<Variant.Step>>()
        var total = 0
        for variant in variants {
            guard let start = Self.start(of: variant, intact: intactSteps) else { continue }
            for depth in start..<variant.steps.count where nodes.insert(variant.steps[...depth]).inserted {
                total += variant.steps[depth].action.evaluations
            }
        }
        return total
    }

    /// The intact pass's block inputs, computed again (with the same hooks) when the planned walk
    /// did not keep them.
    private func keptInputs() throws -> [Tensor] {
        if let intactInputs { return intactInputs }
        let (inputs, _) = try network.intactPass(images, hooks: hooks)
        intactInputs = inputs
        blockEvaluations += network.blockCount
        return inputs
    }

    /// The position where `variant` first leaves the intact network; nil when it is the intact one.
    private static func start(of variant: Variant, intact: [Variant.Step]) -> Int? {
        let common = min(variant.steps.count, intact.count)
        return (0..<common).first { variant.steps[$0] != intact[$0] } ?? (variant.steps.count == intact.count ? nil : common)
    }

    /// Indices of `variants` by the position they start from, and those of the intact network.
    private static func groupedByStart(_ variants: [Variant], intact steps: [Variant.Step]) -> (byStart: [Int: [Int]], intact: [Int]) {
        var byStart: [Int: [Int]] = [:]
        var intact: [Int] = []
        for (index, variant) in variants.enumerated() {
            if let start = start(of: variant, intact: steps) { byStart[start, default: []].append(index) } else { intact.append(index) }
        }
        return (byStart, intact)
    }

    /// Walks the trie below `depth` for `members`, which share all steps before `depth`.
    /// `shortcut` is the projection of the block at `depth` on `input`, for variants that remove it.
    private static func descend(_ network: Network, _ input: Tensor, depth start: Int, members start_: [Int],
                                variants: [Variant], results: inout [Tensor?], evaluations: inout Int,
                                shortcut: Tensor? = nil) throws {
        var current = input
        var depth = start
        var members = start_
        func run(_ step: Variant.Step, _ input: inout Tensor) throws -> Tensor {
            if depth == start, let shortcut, step == Variant.Step(block: start, action: .skip) {
                return try network.runBlock(step.block, &input, action: .skip, shortcut: shortcut)
            }
            return try network.runBlock(step.block, &input, action: step.action)
        }
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
                current = try run(keys[0], &current)
                evaluations += keys[0].action.evaluations
                depth += 1
                continue
            }
            for key in keys {
                var branchInput = current   // shared: the block copies rather than overwrite it
                let output = try run(key, &branchInput)
                evaluations += key.action.evaluations
                try descend(network, output, depth: depth + 1, members: groups[key]!, variants: variants, results: &results,
                            evaluations: &evaluations)
            }
            return
        }
    }
}
