/// How one forward pass runs: a variant (which blocks, in what order, each with what happens to
/// it) and hooks.
public struct RunOptions {
    /// nil: the intact network.
    public var variant: Variant?
    /// Read or replace values at hook points during this run only.
    public var hooks: Hooks
    private var dropped: Set<Int> = []
    private var order: [Int]? = nil

    public init(variant: Variant? = nil, hooks: Hooks = Hooks()) {
        self.variant = variant
        self.hooks = hooks
    }

    /// The blocks in `order` (architecture numbers; nil: all in order), those in `dropped` with
    /// their branch removed.
    public init(dropped: Set<Int> = [], order: [Int]? = nil, hooks: Hooks = Hooks()) {
        self.dropped = dropped
        self.order = order
        self.hooks = hooks
    }

    func steps(blocks: Int) throws -> [Variant.Step] {
        if let variant { return variant.steps }
        for block in dropped where !(0..<blocks).contains(block) {
            throw NetsError("cannot drop block \(block): the network has blocks 0..<\(blocks)")
        }
        return (order ?? Array(0..<blocks)).map { Variant.Step(block: $0, dropped: dropped.contains($0)) }
    }
}

/// Everything a forward pass kept for a backward pass.
public struct ForwardRecord {
    public let logits: Tensor
    /// nil for a pass that started at a cached block input.
    let stemTrace: Trace?
    let blockRecords: [(block: Int, record: Block.Record)]
    let headTrace: Trace?

    /// The block numbers in the order they ran.
    public var order: [Int] { blockRecords.map(\.block) }
}

/// What the input gradient is the gradient of.
public enum GradientTarget {
    /// The summed cross-entropy over the batch, so each image's gradient is its own loss's.
    case crossEntropy(labels: [Int])
    /// One logit per image, e.g. the true class's score.
    case logits([Int])
    /// An explicit gradient at the logits, [batch, classes].
    case logitGradient(Tensor)
}

extension Network {
    /// The logits for an NHWC batch (preprocessed).
    public func forward(_ input: Tensor, options: RunOptions = RunOptions()) throws -> Tensor {
        try run(input, options: options, startPosition: nil, record: false).logits
    }

    /// The logits when the run starts at `position` of the order (0 = the first block) from a
    /// cached input to that block, skipping the stem and the blocks before it.
    public func forward(fromPosition position: Int, blockInput: Tensor, options: RunOptions = RunOptions()) throws -> Tensor {
        try run(blockInput, options: options, startPosition: position, record: false).logits
    }

    /// The value after the step at position `last` (its output hook applied) of a run that starts
    /// at `position` from a cached input to it: nothing after `last` runs, not even the head.
    public func activation(fromPosition position: Int, blockInput: Tensor, through last: Int,
                           options: RunOptions = RunOptions()) throws -> Tensor {
        let steps = try options.steps(blocks: blocks.count)
        guard (position..<steps.count).contains(last) else {
            throw NetsError("a run from position \(position) cannot stop after position \(last) of \(steps.count)")
        }
        return try run(blockInput, options: options, startPosition: position, through: last, record: false).current
    }

    /// A forward pass that keeps what the backward pass needs.
    public func record(_ input: Tensor, options: RunOptions = RunOptions()) throws -> ForwardRecord {
        try run(input, options: options, startPosition: nil, record: true)
    }

    /// From the image when `startPosition` is nil, else from a cached input to that position
    /// (the number of steps: the head's input).
    func run(_ input: Tensor, options: RunOptions, startPosition: Int?, record: Bool) throws -> ForwardRecord {
        let (current, stemTrace, blockRecords) = try run(input, options: options, startPosition: startPosition,
                                                         through: nil, record: record)
        let headRun = try head.forward(current, record: record)
        let logits = try options.hooks.run(.logits, headRun.last!)
        return ForwardRecord(logits: logits, stemTrace: stemTrace, blockRecords: blockRecords,
                             headTrace: record ? Trace(headRun, of: head) : nil)
    }

    /// The blocks of a run, from `startPosition` (nil: the image, through the stem) through the
    /// step at position `last` (nil: every step).
    private func run(_ input: Tensor, options: RunOptions, startPosition: Int?, through last: Int?, record: Bool) throws
        -> (current: Tensor, stemTrace: Trace?, blockRecords: [(Int, Block.Record)]) {
        let steps = try options.steps(blocks: blocks.count)
        try checkOrder(steps.map(\.block))
        if let startPosition, !(0...steps.count).contains(startPosition) {
            throw NetsError("start position \(startPosition) is outside 0...\(steps.count)")
        }
        if startPosition == nil { try checkImages(input) }
        // Hooks see whole batches, and records are made a chunk at a time by their callers.
        if !record, last == nil, options.hooks.isEmpty,
           let staged = try runStaged(input, steps: steps[(startPosition ?? 0)...], throughStem: startPosition == nil) {
            return (staged, nil, [])
        }
        var stemTrace: Trace? = nil
        var current = input
        if startPosition == nil {
            let stemRun = try stem.forward(input, record: record)
            if record { stemTrace = Trace(stemRun, of: stem) }
            current = try options.hooks.run(.stem, stemRun.last!)
        }
        var blockRecords: [(Int, Block.Record)] = []
        for step in steps[(startPosition ?? 0)..<(last.map { $0 + 1 } ?? steps.count)] {
            current = try options.hooks.run(.blockInput(step.block), current)
            current = try runStep(step, &current, record: record, hooks: options.hooks) { blockRecords.append((step.block, $0)) }
            current = try options.hooks.run(.blockOutput(step.block), current)
        }
        return (current, stemTrace, blockRecords)
    }

    /// Throws unless `images` is an NHWC batch of the network's input size.
    func checkImages(_ images: Tensor) throws {
        let expected = [architecture.input.height, architecture.input.width, architecture.input.channels]
        guard images.shape.count == 4, Array(images.shape.dropFirst()) == expected else {
            throw NetsError("the network expects NHWC input [N, \(expected.map(String.init).joined(separator: ", "))], got \(images.shape)")
        }
    }

    private func checkOrder(_ order: [Int]) throws {
        for index in order where !blocks.indices.contains(index) {
            throw NetsError("block \(index) does not exist: the network has blocks 0..<\(blocks.count)")
        }
    }

    /// The gradient at the input from a gradient at the logits, back through a recorded pass.
    /// `routes[i]` routes block i (default: both branch and shortcut). `atBlockInput` sees the
    /// gradient at each block's input as the pass reaches it (block number, gradient), last block
    /// first; it must copy the tensor to keep it (the next block's backward reuses the buffer).
    public func backward(_ record: ForwardRecord, logitGradient: Tensor, routes: [Int: Route] = [:],
                         atBlockInput: ((Int, Tensor) throws -> Void)? = nil) throws -> Tensor {
        guard logitGradient.shape == record.logits.shape else {
            throw NetsError("the logit gradient is \(logitGradient.shape), the logits \(record.logits.shape)")
        }
        guard let stemTrace = record.stemTrace, let headTrace = record.headTrace else {
            throw NetsError("backward needs a recorded pass from the input (use record(_:options:))")
        }
        var gradient = try head.backward(logitGradient.copy(), trace: headTrace)
        for (index, kept) in record.blockRecords.reversed() {
            gradient = try (kept.ranBy ?? blocks[index]).backward(gradient, record: kept, route: routes[index] ?? .both)
            try atBlockInput?(index, gradient)
        }
        return try stem.backward(gradient, trace: stemTrace)
    }

    /// The logits and the gradient of `target` at the (preprocessed) input, a cache-sized chunk
    /// of images at a time (`forEachRecordedChunk`).
    public func inputGradient(_ input: Tensor, target: GradientTarget, options: RunOptions = RunOptions(),
                              routes: [Int: Route] = [:]) throws -> (logits: Tensor, gradient: Tensor) {
        let logits = BatchAssembly(batch: input.batch), gradient = BatchAssembly(batch: input.batch)
        try forEachRecordedChunk(input, target: target, options: options) { range, record, seed in
            logits.place(record.logits, at: range)
            gradient.place(try backward(record, logitGradient: seed, routes: routes), at: range)
        }
        return (logits.whole!, gradient.whole!)
    }
}

extension Network {
    /// The intact network on an NHWC batch, keeping every block's input so that variants can start
    /// from them, with `hooks` seeing every point on the way: one pass serves both.
    public func intactPass(_ images: Tensor, hooks: Hooks = Hooks()) throws -> (blockInputs: [Tensor], logits: Tensor) {
        var inputs: [Tensor] = []
        // Kept, each input is copied by its block rather than overwritten.
        let logits = try intactPass(images, hooks: hooks) { position, input in
            if position < blocks.count { inputs.append(input) }
            return nil
        }
        return (inputs, logits)
    }

    /// The intact network on an NHWC batch, handing `atInput` each block's input, and then the
    /// head's, before it runs on: position `blocks.count` is the head's. A block overwrites its
    /// input when `atInput` has kept no reference to it. `atInput` returns the block's
    /// `projectedShortcut` if it computed it, which the block then adds its branch into.
    public func intactPass(_ images: Tensor, hooks: Hooks = Hooks(),
                           atInput: (_ position: Int, _ input: Tensor) throws -> Tensor?) throws -> Tensor {
        try checkImages(images)
        var current = try hooks.run(.stem, try stem.forward(images, record: false).last!)
        for block in blocks {
            current = try hooks.run(.blockInput(block.index), current)
            let shortcut = try atInput(block.index, current)
            current = try hooks.run(.blockOutput(block.index),
                                    try block.forward(&current, action: .run, record: false, hooks: hooks, shortcut: shortcut).0)
        }
        _ = try atInput(blocks.count, current)
        return try hooks.run(.logits, try head.forward(current, record: false).last!)
    }

    /// The stem's output for an NHWC batch: the input to the first block.
    public func runStem(_ input: Tensor) throws -> Tensor {
        try stem.forward(input, record: false).last!
    }

    /// Block `index` on `input`, with `action` (run, skip, twice, scale). When the caller holds
    /// the only reference to `input`, its buffer may be reused for the output.
    public func runBlock(_ index: Int, _ input: inout Tensor, action: BlockAction = .run) throws -> Tensor {
        guard blocks.indices.contains(index) else { throw NetsError("block \(index) does not exist") }
        return try runStep(Variant.Step(block: index, action: action), &input, record: false, hooks: Hooks())
    }

    /// The output of block `index`'s projection shortcut on `input`, or nil when its shortcut is
    /// not a projection. A variant that removes the block and the intact block both start from it
    /// (`runBlock(_:_:action:shortcut:)`), so a sweep projects once where it would project twice.
    public func projectedShortcut(_ index: Int, _ input: Tensor) throws -> Tensor? {
        guard blocks.indices.contains(index) else { throw NetsError("block \(index) does not exist") }
        return try blocks[index].projectedShortcut(input)
    }

    /// Block `index` on `input`, run or with its branch removed, from `shortcut`, its
    /// `projectedShortcut(index, input)`: a run adds its branch into `shortcut`, a skip leaves it
    /// as it is.
    public func runBlock(_ index: Int, _ input: inout Tensor, action: BlockAction, shortcut: Tensor) throws -> Tensor {
        guard blocks.indices.contains(index) else { throw NetsError("block \(index) does not exist") }
        return try blocks[index].forward(&input, action: action, record: false, hooks: Hooks(), shortcut: shortcut).0
    }

    /// One step of a run: the compiled block it needs (the trained one, or a re-initialised one),
    /// once or, for a duplicate, twice, each recorded pass handed to `kept`.
    func runStep(_ step: Variant.Step, _ input: inout Tensor, record: Bool, hooks: Hooks,
                 kept: (Block.Record) -> Void = { _ in }) throws -> Tensor {
        if step.action == .twice, let refusal = duplicateRefusal(step.block) { throw NetsError(refusal) }
        var block = blocks[step.block]
        if case .reinit(let seed) = step.action { block = try reinitializedBlock(step.block, seed: seed) }
        var (output, recorded) = try block.forward(&input, action: block.simpleAction(step.action), record: record, hooks: hooks)
        recorded.map(kept)
        for _ in 1..<step.action.evaluations {
            var again = output
            (output, recorded) = try block.forward(&again, action: .run, record: record, hooks: hooks)
            recorded.map(kept)
        }
        return output
    }

    /// Block `index` on `input`, with its branch removed when `dropped`.
    public func runBlock(_ index: Int, _ input: inout Tensor, dropped: Bool) throws -> Tensor {
        try runBlock(index, &input, action: dropped ? .skip : .run)
    }

    /// The head (pooling, classifier) on the last block's output: the logits.
    public func runHead(_ input: Tensor) throws -> Tensor {
        try head.forward(input, record: false).last!
    }
}
