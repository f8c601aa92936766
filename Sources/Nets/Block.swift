/// A compiled block: a branch, a shortcut and a merge, runnable whole, lesioned (branch removed)
/// or backward along a chosen route.
final class Block: @unchecked Sendable {
    enum ShortcutOp {
        case identity
        case zeroPad(ZeroPadShortcut)
        case projection(Program)
        case none
    }

    /// What one forward pass kept for the backward pass: only what it reads. Not the block's
    /// output: the merge's ReLU needs only its signs, and the next block may write over it.
    struct Record {
        /// A highway layer's input (its gate's gradient reads it); nil for the other kinds.
        let input: Tensor?
        let preactTrace: Trace
        /// nil when the branch did not run.
        let bodyTrace: Trace?
        /// A projection's.
        let shortcutTrace: Trace?
        /// The signs of the output, after the merge's ReLU (post-activation blocks only).
        let mergeSigns: SignMask?
        /// Whether the output was added into the input's buffer.
        let addedInPlace: Bool
        let dropped: Bool
        /// The block input's shape (the pre-activation's input is the block's).
        var inputShape: [Int] { preactTrace.input.shape }
        /// The factor the branch was scaled by (1 as trained).
        var alpha: Float = 1
        /// The compiled block that ran: the trained one or a re-initialised one.
        var ranBy: Block? = nil
        /// Highway: H(x) and T(x).
        let transform: Tensor?
        let gateValues: Tensor?
    }

    let spec: BlockSpec
    let index: Int
    let preact: Program
    /// The branch minus a trailing convolution that is fused with the add.
    let body: Program
    let lastConv: Convolution?
    let shortcut: ShortcutOp
    let gate: Convolution?
    /// [height, width, channels] in and out.
    let inputShape: [Int]
    let outputShape: [Int]
    /// Why the branch cannot be removed, or nil if it can.
    let dropRefusal: String?

    init(spec: BlockSpec, index: Int, preact: Program, body: Program, lastConv: Convolution?, shortcut: ShortcutOp,
         gate: Convolution?, inputShape: [Int], outputShape: [Int]) {
        self.spec = spec
        self.index = index
        self.preact = preact
        self.body = body
        self.lastConv = lastConv
        self.shortcut = shortcut
        self.gate = gate
        self.inputShape = inputShape
        self.outputShape = outputShape
        if spec.kind == .plain && inputShape != outputShape {
            dropRefusal = "block \(index) ('\(spec.name)') is a plain block that maps \(inputShape) to \(outputShape): "
                + "without a shortcut, removing it leaves nothing of the right shape"
        } else {
            dropRefusal = nil
        }
    }

    /// Whether the block changes the activation's shape (the downsampling blocks).
    var isDownsampling: Bool { inputShape != outputShape }

    // MARK: - Forward

    /// Runs the block on `x`. When the caller holds the only reference to `x`, an identity
    /// shortcut reuses its buffer for the output instead of copying 8 MB per block.
    /// `action` is run, skip or scale; `Network` runs a duplicated block twice. `shortcut` is
    /// `projectedShortcut(x)` when the caller computed it already: a run adds its branch into it,
    /// a skip leaves it as it is.
    func forward(_ x: inout Tensor, action: BlockAction, record: Bool, hooks: Hooks,
                 shortcut: Tensor? = nil) throws -> (Tensor, Record?) {
        guard Array(x.shape.dropFirst()) == inputShape else {
            throw NetsError("block \(index) ('\(spec.name)') expects input [N, \(inputShape.map(String.init).joined(separator: ", "))], got \(x.shape)")
        }
        let dropped = action == .skip
        if dropped, let dropRefusal { throw NetsError(dropRefusal) }
        if case .scale(let alpha) = action {
            if let scaleRefusal { throw NetsError(scaleRefusal) }
            guard alpha.isFinite else { throw NetsError("block \(index) ('\(spec.name)'): the branch scale \(alpha) is not finite") }
            if record && spec.kind == .highway {
                throw NetsError(.badUsage, "block \(index) ('\(spec.name)'): gradients through a scaled highway layer are not supported")
            }
        }
        if action == .twice { throw NetsError("block \(index): a duplicated block is run twice by the network, not by the block") }
        if shortcut != nil, record || spec.kind != .residual || !(action == .run || action == .skip) {
            throw NetsError(.badUsage, "block \(index) ('\(spec.name)'): a shortcut computed ahead serves only an unrecorded run or skip")
        }
        if case .replaceBranch(let value) = action {
            guard !record else { throw NetsError(.badUsage, "block \(index) ('\(spec.name)'): gradients through a replaced branch are not supported") }
            return (try forwardReplaced(&x, value: value, hooks: hooks), nil)
        }
        var (output, kept) = spec.kind == .highway
            ? try forwardHighway(&x, dropped: dropped, alpha: action.alpha, record: record, hooks: hooks)
            : try forwardResidual(&x, dropped: dropped, alpha: action.alpha, record: record, hooks: hooks, projected: shortcut)
        kept?.alpha = dropped ? 1 : action.alpha
        kept?.ranBy = self
        return (output, kept)
    }

    /// What the compiled block itself does for a step's action: a duplicate runs (twice, by the
    /// network) and a re-initialised block runs its own weights.
    func simpleAction(_ action: BlockAction) -> BlockAction {
        switch action {
        case .twice, .reinit: .run
        default: action
        }
    }

    /// Why the branch cannot be scaled, or nil if it can: a plain block has no shortcut to keep.
    var scaleRefusal: String? {
        spec.kind == .plain ? "block \(index) ('\(spec.name)') is a plain block: without a shortcut, scaling its branch "
            + "scales the whole signal rather than one path" : nil
    }

    /// The projection shortcut's program, if that is the shortcut.
    private var projectionProgram: Program? {
        if case .projection(let program) = shortcut { program } else { nil }
    }

    /// Whether the backward pass reads the input's values, not just its shape: then a recorded
    /// pass must not add the output into the input's buffer (its trace keeps it).
    private var backwardReadsInput: Bool { spec.kind == .highway || (preact.steps.isEmpty ? body : preact).readsInput }

    /// Whether the output may take x's buffer: nothing else holds x (a record keeps its block's
    /// output as signs, not the tensor) and, if recording, the backward needs only x's shape.
    private func mayWriteOver(_ x: inout Tensor, record: Bool) -> Bool {
        !(record && backwardReadsInput) && isKnownUniquelyReferenced(&x)
    }

    private func forwardResidual(_ x: inout Tensor, dropped: Bool, alpha: Float, record: Bool, hooks: Hooks,
                                 projected: Tensor?) throws -> (Tensor, Record?) {
        if dropped, let projected {
            // Shared with the intact block, which adds into it later: the ReLU writes a new buffer.
            guard spec.mergeReLU else { return (projected, nil) }
            let rectified = Tensor(shape: projected.shape)
            ParallelElementwise.relu(projected, into: rectified)
            return (rectified, nil)
        }
        let reusable = mayWriteOver(&x, record: record)
        let preactTrace = try preact.forward(x, record: record)
        let branchInput = preactTrace.last!
        let shortcutInput = spec.shortcutFrom == .preact ? branchInput : x
        var shortcutTrace: [Tensor] = []
        var bodyTrace: [Tensor] = []
        let output: Tensor

        if spec.kind == .plain {
            if dropped {
                output = reusable ? x : x.copy()
            } else {
                bodyTrace = try body.forward(branchInput, record: record)
                if let lastConv, !hooks.has(.blockBranch(index)) {
                    // The block's ReLU fused into its last convolution.
                    let fused = try lastConv.forward(bodyTrace.last!, relu: spec.mergeReLU)
                    return (fused, record ? makeRecord(x, preactTrace, bodyTrace, shortcutTrace, fused, dropped) : nil)
                }
                var branch = try lastConv.map { try $0.forward(bodyTrace.last!) } ?? bodyTrace.last!.copy()
                branch = try hooks.run(.blockBranch(index), branch)
                output = branch
            }
        } else {
            let reusingInput = reusable && spec.shortcutFrom == .input
            if dropped, spec.mergeReLU, case .identity = shortcut, !reusingInput {
                // Nothing to add: the ReLU writes the copy the shortcut would make, in one pass.
                let rectified = Tensor(shape: shortcutInput.shape)
                ParallelElementwise.relu(shortcutInput, into: rectified)
                return (rectified, record ? makeRecord(x, preactTrace, [], [], rectified, dropped) : nil)
            }
            (output, shortcutTrace) = try projected.map { ($0, []) }
                ?? shortcutOutput(shortcutInput, record: record, reusingInput: reusingInput)
            if !dropped {
                bodyTrace = try body.forward(branchInput, record: record)
                let hidden = bodyTrace.last!
                if let lastConv, !hooks.has(.blockBranch(index)), alpha == 1 {
                    // The add (and the post-activation ReLU) fused into the last convolution.
                    try lastConv.forward(hidden, into: output, accumulate: true, relu: spec.mergeReLU)
                    return (output, record ? makeRecord(x, preactTrace, bodyTrace, shortcutTrace, output, dropped) : nil)
                }
                var branch = try lastConv.map { try $0.forward(hidden) } ?? hidden
                if alpha != 1 { branch = ParallelElementwise.scaled(branch, by: alpha) }
                branch = try hooks.run(.blockBranch(index), branch)
                try ParallelElementwise.add(output, branch)
            }
        }
        if spec.mergeReLU { ParallelElementwise.relu(output, into: output) }
        return (output, record ? makeRecord(x, preactTrace, bodyTrace, shortcutTrace, output, dropped) : nil)
    }

    /// The block with its branch's output replaced by `value`, broadcast over the batch.
    private func forwardReplaced(_ x: inout Tensor, value: BranchValue, hooks: Hooks) throws -> Tensor {
        let perImage = outputShape.reduce(1, *)
        guard let tensor = value.tensor, tensor.count == perImage else {
            throw NetsError("block \(index) ('\(spec.name)'): the replacement '\(value.label)' has \(value.tensor?.shape ?? []), "
                            + "the branch's output is \(outputShape)")
        }
        let batch = x.shape[0]
        let broadcast = Tensor(shape: [batch] + outputShape)
        for b in 0..<batch { (broadcast.pointer + b * perImage).update(from: tensor.pointer, count: perImage) }
        let branch = try hooks.run(.blockBranch(index), broadcast)
        if spec.kind == .highway {
            guard let gate else { throw NetsError("highway block \(index) ('\(spec.name)') has no gate") }
            let t = try hooks.run(.blockGate(index), try gate.forward(x, sigmoid: true))
            return HighwayMath.merge(h: branch, t: t, x: x)
        }
        if spec.kind == .plain {
            if spec.mergeReLU { ParallelElementwise.relu(branch, into: branch) }
            return branch
        }
        let preactTrace = try preact.forward(x, record: false)
        let (output, _) = try shortcutOutput(spec.shortcutFrom == .preact ? preactTrace.last! : x, record: false, reusingInput: false)
        try ParallelElementwise.add(output, branch)
        if spec.mergeReLU { ParallelElementwise.relu(output, into: output) }
        return output
    }

    /// The projection shortcut's output on the block input `x`, or nil when the shortcut is not a
    /// projection. A variant that removes the block and the intact block both start from it, so
    /// that a sweep projects once (ResNet-50's four projections are 1.5% of a drop-one batch).
    func projectedShortcut(_ x: Tensor) throws -> Tensor? {
        guard spec.kind == .residual, let program = projectionProgram else { return nil }
        let input = spec.shortcutFrom == .preact ? try preact.forward(x, record: false).last! : x
        let output = try program.forward(input, record: false).last!
        return output === input ? output.copy() : output
    }

    /// What the shortcut carries past the branch, in a buffer the add may write into (the input's
    /// own when `reusingInput`), and the projection's trace when recording.
    private func shortcutOutput(_ input: Tensor, record: Bool, reusingInput: Bool) throws -> (Tensor, [Tensor]) {
        switch shortcut {
        case .identity: return (reusingInput ? input : input.copy(), [])
        case .zeroPad(let pad): return (pad.forward(input), [])
        case .projection(let program):
            let trace = try program.forward(input, record: record)
            // The add may write into the projection's output unless the record keeps more than
            // its shape (then the record is made from the values before the add).
            let fresh = trace.last! !== input && (!record || program.keepsOnlyOutputShape)
            return (fresh ? trace.last! : trace.last!.copy(), record ? trace : [])
        case .none: throw NetsError("block \(index) ('\(spec.name)') is residual but has no shortcut")
        }
    }

    private func makeRecord(_ x: Tensor, _ preactTrace: [Tensor], _ bodyTrace: [Tensor], _ shortcutTrace: [Tensor],
                            _ output: Tensor, _ dropped: Bool) -> Record {
        // (When the output is in x's buffer, the traces kept no more than x's shape.)
        Record(input: nil, preactTrace: Trace(preactTrace, of: preact),
               bodyTrace: bodyTrace.isEmpty ? nil : Trace(bodyTrace, of: body),
               shortcutTrace: shortcutTrace.isEmpty ? nil : projectionProgram.map { Trace(shortcutTrace, of: $0) },
               mergeSigns: spec.mergeReLU ? SignMask(of: output) : nil, addedInPlace: output === x, dropped: dropped,
               transform: nil, gateValues: nil)
    }

    private func forwardHighway(_ x: inout Tensor, dropped: Bool, alpha: Float, record: Bool, hooks: Hooks) throws -> (Tensor, Record?) {
        guard let gate else { throw NetsError("highway block \(index) ('\(spec.name)') has no gate") }
        // Each y depends on its own x alone, and x's lines are in the cache, just read.
        let reusable = mayWriteOver(&x, record: record)
        var gateValues = try gate.forward(x, sigmoid: true)
        gateValues = try hooks.run(.blockGate(index), gateValues)
        var bodyTrace: [Tensor] = []
        var transform: Tensor? = nil
        if !dropped {
            bodyTrace = try body.forward(x, record: record)
            let h = alpha == 1 ? bodyTrace.last! : ParallelElementwise.scaled(bodyTrace.last!, by: alpha)
            transform = try hooks.run(.blockBranch(index), h)
        }
        let output = HighwayMath.merge(h: transform, t: gateValues, x: x, into: reusable ? x : nil)
        let kept = record ? Record(input: x, preactTrace: Trace([x], of: preact),
                                   bodyTrace: bodyTrace.isEmpty ? nil : Trace(bodyTrace, of: body), shortcutTrace: nil,
                                   mergeSigns: nil, addedInPlace: false, dropped: dropped, transform: transform, gateValues: gateValues) : nil
        return (output, kept)
    }

    // MARK: - Backward

    /// The gradient at the block's input from the gradient `g` at its output, along `route`.
    /// Consumes `g`.
    func backward(_ g: Tensor, record: Record, route: Route) throws -> Tensor {
        if spec.kind == .highway { return try backwardHighway(g, record: record, route: route) }
        record.mergeSigns?.backward(g)
        var inputGradient: Tensor? = nil
        var branchInputGradient: Tensor? = nil

        if spec.kind == .plain {
            if record.dropped {
                inputGradient = g   // a removed plain block is the identity
            } else if route.usesBranch {
                branchInputGradient = try branchBackward(g, record: record)
            }
        } else if case .identity = shortcut, spec.shortcutFrom == .input, preact.steps.isEmpty, !body.steps.isEmpty,
                  route == .both, !record.dropped, record.alpha == 1 {
            // The common case: the shortcut's gradient is g itself, and the branch's input
            // gradient is added into it by its first convolution.
            return try branchBackward(g, record: record, accumulatingInto: g)
        } else {
            if route.usesBranch && !record.dropped {
                let branchGradient = record.alpha == 1 ? g : ParallelElementwise.scaled(g, by: record.alpha)
                let part = try branchBackward(branchGradient, record: record)
                // Without a pre-activation the branch's input gradient is the block input's.
                if preact.steps.isEmpty {
                    try accumulate(&inputGradient, part)
                } else {
                    try accumulate(&branchInputGradient, part)
                }
            }
            if route.usesShortcut || record.dropped {
                var target = spec.shortcutFrom == .preact ? branchInputGradient : inputGradient
                switch shortcut {
                case .identity: try accumulate(&target, g)
                case .zeroPad(let pad): try accumulate(&target, pad.backward(g, inputShape: record.inputShape))
                case .projection(let program):
                    // Added into the branch's gradient by the projection itself where it can
                    // (a fused sum, or a strided add of only the pixels it reads).
                    guard let trace = record.shortcutTrace else { throw NetsError("block \(index) has no projection record") }
                    if let target {
                        _ = try program.backward(g, trace: trace, accumulatingInto: target)
                    } else {
                        target = try program.backward(g, trace: trace)
                    }
                case .none: throw NetsError("block \(index) has no shortcut")
                }
                if spec.shortcutFrom == .preact {
                    branchInputGradient = target
                } else {
                    inputGradient = target
                }
            }
        }
        if let branchInputGradient {
            try accumulate(&inputGradient, preact.backward(branchInputGradient, trace: record.preactTrace))
        }
        return inputGradient ?? Tensor(zeros: record.inputShape)
    }

    /// Back through the last convolution and the body, to the branch input; added into `total`
    /// if given (which `g` may be: it is read only before the body's first step writes).
    private func branchBackward(_ g: Tensor, record: Record, accumulatingInto total: Tensor? = nil) throws -> Tensor {
        guard let trace = record.bodyTrace else { throw NetsError("block \(index) has no branch record") }
        let hiddenShape = trace.outputShape
        let hiddenGradient = try lastConv.map { try $0.backwardData(g, inputShape: hiddenShape) } ?? g.copy()
        return try body.backward(hiddenGradient, trace: trace, accumulatingInto: total)
    }

    private func backwardHighway(_ g: Tensor, record: Record, route: Route) throws -> Tensor {
        guard let gate, let t = record.gateValues, let x = record.input else {
            throw NetsError("highway block \(index) has no gate record")
        }
        var inputGradient: Tensor? = nil
        if route.usesShortcut { inputGradient = HighwayMath.carry(g, t: t) }
        if route.usesBranch {
            let gateGradient = HighwayMath.gate(g, h: record.transform, x: x, t: t)
            try accumulate(&inputGradient, gate.backwardData(gateGradient, inputShape: x.shape))
            if !record.dropped, let trace = record.bodyTrace {
                let transformGradient = HighwayMath.transform(g, t: t)
                try accumulate(&inputGradient, body.backward(transformGradient, trace: trace))
            }
        }
        return inputGradient ?? Tensor(zeros: x.shape)
    }
}

/// total += part, taking `part` as the total when there is none yet.
func accumulate(_ total: inout Tensor?, _ part: Tensor) throws {
    if let existing = total {
        try ParallelElementwise.add(existing, part)
    } else {
        total = part
    }
}
