import Nets

/// What a patched run gave: its logits and the values at the points it was asked to read.
public struct PatchedRun {
    public let logits: Tensor
    private let values: [HookPoint: Tensor]

    init(logits: Tensor, values: [HookPoint: Tensor]) {
        self.logits = logits
        self.values = values
    }

    /// The value at `point` in the patched run. Throws unless `point` was in `reading`.
    public func activation(_ point: HookPoint) throws -> Tensor {
        guard let value = values[point] else { throw ProbeError("the patched run read no value at '\(point)': pass it in `reading`") }
        return value
    }
}

extension Batch {
    /// Activation patching: runs this batch through the network with the value at each point of
    /// `patches` replaced by the tensor given (from this batch, another one, or the probe's own
    /// computation; it must have the shape of the value it replaces), optionally as a lesioned or
    /// intervened `variant`. Returns the logits and the values at `reading`.
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
        let logits = try network.forward(images, options: RunOptions(variant: variant, hooks: hooks))
        return PatchedRun(logits: logits, values: captured)
    }
}
