/// Whether a lesion's damage is only a shift of batch-norm statistics: the network of a variant
/// with every batch norm after its first changed block given new statistics, the mean and the
/// biased variance over every pixel of every image given, computed from that variant's own
/// activations. Batch norms are re-estimated in the order they run, each from the activations the
/// re-estimated ones before it produce, so the statistics are exactly the population's (not
/// PyTorch's running averages over batches).
///
/// The work is split so that a sweep shares what it can: `firstChange` says where a variant leaves
/// the intact network, `recalibrationStatistics` walks the recalibration images from the intact
/// activations there (kept by the caller across variants), and `withStatistics` compiles only the
/// blocks from that point on, sharing the stem and the earlier blocks with this network.
extension Network {
    /// The position of the first step where `variant` differs from the intact network, or nil for
    /// the intact network itself. Steps before it run the trained blocks in their order, so the
    /// position is also the block number whose intact input the variant starts from.
    public func firstChange(in variant: Variant) -> Int? {
        let intact = Variant.intact(blocks: blockCount).steps
        return variant.steps.indices.first { $0 >= intact.count || variant.steps[$0] != intact[$0] }
    }

    /// The new running_mean and running_var of every batch norm after `variant`'s first changed
    /// block (at `start`, `firstChange(in:)`), from `blockInputs`: the intact network's inputs to
    /// block `start` for the recalibration images (NHWC batches, taken as one population).
    public func recalibrationStatistics(for variant: Variant, from start: Int, blockInputs: [Tensor]) throws -> [String: Weights.Entry] {
        try checkRecalibratable()
        guard !blockInputs.isEmpty else { throw NetsError("batch-norm recalibration needs at least one image") }
        guard variant.steps.indices.contains(start) else {
            throw NetsError("the variant has \(variant.steps.count) steps; it cannot change at step \(start)")
        }
        var walk = StatisticsWalk(network: self)
        // The changed block runs as it is (a re-initialised block with its reset batch norms);
        // every batch norm after it is re-estimated.
        let first = variant.steps[start]
        var current = try blockInputs.map { x in var input = x; return try runStep(first, &input, record: false, hooks: Hooks()) }
        for step in variant.steps[(start + 1)...] {
            current = try walk.block(blocks[step.block], action: step.action, current)
        }
        _ = try walk.layers(architecture.head, current, shape: blocks.last.map(\.outputShape) ?? [], context: "head")
        return walk.statistics
    }

    /// This network with the weight entries `changed` (new batch-norm statistics) for the blocks
    /// from `start` on and the head. The stem, the blocks before `start` and their compiled plans
    /// are shared; the rest is compiled again, each batch norm folded anew.
    public func withStatistics(_ changed: [String: Weights.Entry], from start: Int, note: String) throws -> Network {
        var weights = try origin.weights()
        for (name, entry) in changed {
            guard let old = weights.entries[name], old.shape == entry.shape else {
                throw NetsError("\(origin.source): no weight '\(name)' of shape \(entry.shape) to replace")
            }
            weights.entries[name] = entry
        }
        weights.source = "\(origin.source) (\(note))"
        return try Network(sharing: self, before: start, weights: weights)
    }

    /// The recalibrated network for `variant` on `images` (NHWC, preprocessed; taken as one
    /// population however many), and the position of the first changed block, from which it must
    /// be run: blocks before it are the intact network's.
    public func recalibrated(for variant: Variant, on images: [Tensor]) throws -> (network: Network, start: Int) {
        guard !images.isEmpty else { throw NetsError("batch-norm recalibration needs at least one image") }
        guard let start = firstChange(in: variant) else { return (self, variant.steps.count) }
        let inputs = try images.map { image -> Tensor in
            var x = try runStem(image)
            for step in variant.steps[..<start] { x = try runBlock(step.block, &x, action: step.action) }
            return x
        }
        let statistics = try recalibrationStatistics(for: variant, from: start, blockInputs: inputs)
        let count = images.reduce(0) { $0 + $1.shape[0] }
        return (try withStatistics(statistics, from: start, note: "batch norms re-estimated on \(count) images"), start)
    }

    /// Refuses a network whose batch norms an export folded away.
    public func checkRecalibratable() throws {
        guard !architecture.batchNormFolded else {
            throw NetsError(.badInput, "\(origin.source): its batch norms were folded into the convolutions when it was "
                            + "exported (ONNX), so there are no statistics to re-estimate; export it with its batch norms "
                            + "(torch.onnx.export(..., do_constant_folding=False, training=TrainingMode.PRESERVE), or "
                            + "export_pytorch.py)")
        }
        guard architecture.layerOps.contains(.batchnorm) else {
            throw NetsError(.badInput, "\(origin.source): it has no batch norm (a group norm keeps no statistics), so there is "
                            + "nothing to re-estimate; run without --recalibrate-bn")
        }
    }
}
