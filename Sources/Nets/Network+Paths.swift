/// The input gradient split by path length (the unraveled view, measured exactly).
///
/// Unraveled, a network of n blocks is 2ⁿ paths; a path of length k goes through the branch of
/// k blocks and the shortcut of the rest. At a fixed forward point (ReLU masks fixed) the input
/// gradient is the sum over paths, and the sum over the paths of each length can be carried
/// backward at once: with c_k the gradient of all length-k paths so far,
///
///     c_k ← Sᵢᵀ c_k + Bᵢᵀ c_{k−1}
///
/// at block i, where Sᵢ is the shortcut's Jacobian and Bᵢ the branch's (a post-activation ReLU
/// mask applies to both). A plain block has no shortcut; a highway block's carry and transform
/// paths take the shortcut's and the branch's places.
extension Network {
    /// c_0 ... c_maxLength at the input: the summed input gradient of all paths of each length.
    /// Lengths above maxLength are dropped, so with maxLength < n they do not add up to the full
    /// gradient. Cost: about n·maxLength − maxLength²/2 branch backward passes.
    public func pathGradients(_ record: ForwardRecord, logitGradient: Tensor, maxLength: Int) throws -> [Tensor?] {
        guard maxLength >= 0 else { throw NetsError(.badUsage, "the longest path length must be at least 0, not \(maxLength)") }
        guard let stemTrace = record.stemTrace, let headTrace = record.headTrace else {
            throw NetsError("path gradients need a recorded pass from the input (use record(_:options:))")
        }
        let top = try head.backward(logitGradient.copy(), trace: headTrace)
        var coefficients: [Tensor?] = [top] + [Tensor?](repeating: nil, count: maxLength)
        for (index, kept) in record.blockRecords.reversed() {
            let block = kept.ranBy ?? blocks[index]
            var next = [Tensor?](repeating: nil, count: maxLength + 1)
            for k in 0...maxLength {
                guard let c = coefficients[k] else { continue }
                if k < maxLength {
                    try accumulate(&next[k + 1], block.backward(c.copy(), record: kept, route: .branch))
                }
                if block.spec.kind != .plain || kept.dropped {
                    try accumulate(&next[k], block.backward(c, record: kept, route: .shortcut))
                }
            }
            coefficients = next
        }
        return try coefficients.map { c in try c.map { try stem.backward($0, trace: stemTrace) } }
    }

    /// `pathGradients` of `target` for a batch of images, a cache-sized chunk at a time
    /// (`forEachRecordedChunk`), with the full input gradient too when `withFullGradient` (to
    /// check that the c_k add up to it).
    public func pathGradients(_ images: Tensor, target: GradientTarget, maxLength: Int,
                              withFullGradient: Bool = false) throws -> (coefficients: [Tensor?], full: Tensor?) {
        var parts: [BatchAssembly?] = []
        let full = BatchAssembly(batch: images.batch)
        try forEachRecordedChunk(images, target: target) { range, record, seed in
            let chunk = try pathGradients(record, logitGradient: seed, maxLength: maxLength)
            if parts.isEmpty { parts = chunk.map { $0.map { _ in BatchAssembly(batch: images.batch) } } }
            for (k, c) in chunk.enumerated() { if let c { parts[k]?.place(c, at: range) } }
            if withFullGradient { full.place(try backward(record, logitGradient: seed), at: range) }
        }
        return (parts.map { $0?.whole }, full.whole)
    }
}
