import Nets

/// What a patched run gave: the values at the points it was asked to read, and its logits,
/// computed only when read (a run that only reads block activations stops after the last one).
public struct PatchedRun {
    private let values: [HookPoint: Tensor]
    private let rest: Rest

    init(values: [HookPoint: Tensor], rest: Rest) {
        self.values = values
        self.rest = rest
    }

    /// The logits of the patched run; the blocks after the last point read, and the head, run on
    /// first use.
    public var logits: Tensor {
        get throws { try rest.logits() }
    }

    /// The value at `point` in the patched run. Throws unless `point` was in `reading`.
    public func activation(_ point: HookPoint) throws -> Tensor {
        guard let value = values[point] else { throw ProbeError("the patched run read no value at '\(point)': pass it in `reading`") }
        return value
    }

    /// The part of a run left for when its logits are read: made once.
    final class Rest {
        private var make: (() throws -> Tensor)?
        private var made: Tensor?

        init(_ make: @escaping () throws -> Tensor) { self.make = make }
        init(done logits: Tensor) { made = logits }

        func logits() throws -> Tensor {
            if let made { return made }
            let logits = try make!()
            (made, make) = (logits, nil)
            return logits
        }
    }
}

extension Batch {
    /// Activation patching: runs this batch through the network with the value at each point of
    /// `patches` replaced by the tensor given (from this batch, another one, or the probe's own
    /// computation; it must have the shape of the value it replaces), optionally as a lesioned or
    /// intervened `variant`. Returns the logits and the values at `reading`.
    ///
    /// Only what the patches can change is run: the run starts from the intact pass's input to the
    /// first block a patch, a read or the variant touches, and stops after the last point read
    /// unless the logits are asked for.
    ///
    ///     let clean = try batch.activation(.blockOutput(4))
    ///     let restored = try batch.run([.stem: corrupted, .blockOutput(4): clean]).logits
    public func run(_ patches: [HookPoint: Tensor], reading: [HookPoint] = [], variant: Variant? = nil) throws -> PatchedRun {
        for point in Array(patches.keys) + reading {
            do {
                try network.checkHookPoint(point, for: "a patched run")
            } catch let error as NetsError {
                throw ProbeError(error.message)
            }
        }
        var hooks = Hooks()
        for (point, value) in patches {
            hooks.add(point) { point, current in
                guard value.shape == current.shape else {
                    throw ProbeError("the patch at '\(point)' has shape \(value.shape), the value it replaces \(current.shape)")
                }
                return value.copy()   // the run may write into the tensor it is given
            }
        }
        var captured: [HookPoint: Tensor] = [:]
        for point in reading {
            hooks.add(point) { point, tensor in captured[point] = tensor.copy(); return nil }
        }
        let options = RunOptions(variant: variant, hooks: hooks)
        let steps = (variant ?? .intact(blocks: network.blockCount)).steps
        guard let span = PatchSpan(steps: steps, touched: Array(patches.keys), read: reading,
                                   firstChange: variant.flatMap { network.firstChange(in: $0) }) else {
            // The stem is patched or read, or a point lies in a block the variant does not run.
            let logits = try network.forward(images, options: options)
            return PatchedRun(values: captured, rest: .init(done: logits))
        }
        let start = try intactBlockInput(span.start)
        guard let last = span.lastRead else {
            let logits = try network.forward(fromPosition: span.start, blockInput: start, options: options)
            return PatchedRun(values: captured, rest: .init(done: logits))
        }
        let reached = try network.activation(fromPosition: span.start, blockInput: start, through: last, options: options)
        // The rest runs with the patches only: the reads are done.
        var later = Hooks()
        for (point, value) in patches { later.add(point) { _, _ in value.copy() } }
        return PatchedRun(values: captured, rest: .init { [network] in
            try network.forward(fromPosition: last + 1, blockInput: reached, options: RunOptions(variant: variant, hooks: later))
        })
    }
}

/// The positions of a run that patches and reads can change: from the first block touched (by a
/// patch, a read or the variant's first change) to the last block read.
struct PatchSpan {
    let start: Int
    /// nil: the logits are read, or nothing is, so the run goes to the end.
    let lastRead: Int?

    /// Where a point lies in the run.
    private enum Place {
        case image   // the stem's output, or a block the run does not reach
        case position(Int)
        case head
    }

    /// nil when the run must start from the image.
    init?(steps: [Variant.Step], touched: [HookPoint], read: [HookPoint], firstChange: Int?) {
        func place(_ point: HookPoint) -> Place {
            if point == .logits { return .head }
            guard let block = point.block, let at = steps.firstIndex(where: { $0.block == block }) else { return .image }
            return .position(at)
        }
        var start = firstChange ?? steps.count
        for point in touched + read {
            switch place(point) {
            case .image: return nil
            case .position(let at): start = min(start, at)
            case .head: break
            }
        }
        guard start < steps.count else { return nil }   // only the head is touched: it is cheap to run it all
        self.start = start
        var last: Int? = nil
        for point in read {
            guard case .position(let at) = place(point) else { last = nil; break }
            last = max(last ?? at, at)
        }
        lastRead = last
    }
}
