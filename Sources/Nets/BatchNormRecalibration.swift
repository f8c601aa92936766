/// Whether a lesion's damage is only a shift of batch-norm statistics: the network of a variant
/// with every batch norm after its first changed block given new statistics, the mean and the
/// biased variance over every pixel of every image given, computed from that variant's own
/// activations. Batch norms are re-estimated in the order they run, each from the activations the
/// re-estimated ones before it produce, so the statistics are exactly the population's (not
/// PyTorch's running averages over batches).
extension Network {
    /// The recalibrated network for `variant` on `images` (NHWC, preprocessed; taken as one
    /// population however many), and the position of the first changed block, from which it must
    /// be run: blocks before it are the intact network's.
    public func recalibrated(for variant: Variant, on images: [Tensor]) throws -> (network: Network, start: Int) {
        guard !images.isEmpty else { throw NetsError("batch-norm recalibration needs at least one image") }
        let intact = Variant.intact(blocks: blockCount).steps
        guard let start = variant.steps.indices.first(where: { $0 >= intact.count || variant.steps[$0] != intact[$0] }) else {
            return (self, variant.steps.count)   // the intact network: nothing changed, nothing to re-estimate
        }
        var walk = StatisticsWalk(network: self)
        // The input of the first changed block is the intact network's.
        var current = try images.map { image -> Tensor in
            var x = try runStem(image)
            for step in variant.steps[..<start] { x = try runBlock(step.block, &x, action: step.action) }
            return x
        }
        // The changed block runs as it is (a re-initialised block with its reset batch norms);
        // every batch norm after it is re-estimated.
        let first = variant.steps[start]
        current = try current.map { x in var input = x; return try runBlock(first.block, &input, action: first.action) }
        for step in variant.steps[(start + 1)...] {
            current = try walk.block(blocks[step.block], action: step.action, current)
        }
        _ = try walk.layers(architecture.head, current, shape: blocks.last.map(\.outputShape) ?? [], context: "head")
        var weights = self.weights
        for (name, entry) in walk.statistics { weights.entries[name] = entry }
        weights.source = "\(self.weights.source) (batch norms re-estimated on \(images.reduce(0) { $0 + $1.shape[0] }) images)"
        return (try Network(architecture, weights: weights), start)
    }
}

/// Runs layer lists one layer at a time over every image, batch norms unfolded: each batch norm
/// first gathers its input's statistics over all images, then normalises with them.
struct StatisticsWalk {
    let network: Network
    /// New running_mean / running_var entries, by weight name.
    private(set) var statistics: [String: Weights.Entry] = [:]

    init(network: Network) { self.network = network }

    mutating func block(_ block: Block, action: BlockAction, _ inputs: [Tensor]) throws -> [Tensor] {
        let spec = block.spec
        let context = "block \(block.index) ('\(spec.name)')"
        switch action {
        case .run, .skip, .scale: break
        default: throw NetsError("\(context): batch-norm recalibration through a \(action) block is not supported yet")
        }
        if spec.kind == .highway {
            guard let gate = block.gate else { throw NetsError("\(context): no gate") }
            let h = action == .skip ? nil : try layers(spec.branch, inputs, shape: block.inputShape, context: context)
            return try inputs.indices.map { i in
                let t = try gate.forward(inputs[i], sigmoid: true)
                return HighwayMath.merge(h: h.map { action.alpha == 1 ? $0[i] : ParallelElementwise.scaled($0[i], by: action.alpha) },
                                         t: t, x: inputs[i])
            }
        }
        let pre = try layers(spec.preact, inputs, shape: block.inputShape, context: "\(context) preact")
        let preShape = pre.first.map { Array($0.shape.dropFirst()) } ?? block.inputShape
        if spec.kind == .plain {
            if action == .skip { return inputs }
            let out = try layers(spec.branch, pre, shape: preShape, context: context)
            if spec.mergeReLU { out.forEach { ParallelElementwise.relu($0, into: $0) } }
            return out
        }
        let shortcutInputs = spec.shortcutFrom == "preact" ? pre : inputs
        let shortcutShape = spec.shortcutFrom == "preact" ? preShape : block.inputShape
        var out: [Tensor]
        switch block.shortcut {
        case .identity: out = shortcutInputs.map { $0.copy() }
        case .zeroPad(let pad): out = shortcutInputs.map { pad.forward($0) }
        case .projection:
            out = try layers(spec.shortcut.layers ?? [], shortcutInputs, shape: shortcutShape, context: "\(context) shortcut")
                .map { $0.copy() }
        case .none: throw NetsError("\(context): a residual block without a shortcut")
        }
        if action != .skip {
            let branch = try layers(spec.branch, pre, shape: preShape, context: context)
            for i in out.indices {
                try ParallelElementwise.add(out[i], action.alpha == 1 ? branch[i] : ParallelElementwise.scaled(branch[i], by: action.alpha))
            }
        }
        if spec.mergeReLU { out.forEach { ParallelElementwise.relu($0, into: $0) } }
        return out
    }

    /// `layers` over every image, starting from activations of `shape` ([h, w, c] or [f]).
    mutating func layers(_ layers: [Layer], _ inputs: [Tensor], shape: [Int], context: String) throws -> [Tensor] {
        var current = inputs
        var compiler = Compiler(reader: WeightReader(network.weights), channels: shape.last ?? 0,
                                height: shape.count == 3 ? shape[0] : 0, width: shape.count == 3 ? shape[1] : 0)
        if shape.count == 1 { compiler.features = shape[0] }
        for (index, layer) in layers.enumerated() {
            let where_ = "\(context) layer \(index)"
            if layer.op == .batchnorm {
                current = try normalize(layer, current, at: where_)
                continue
            }
            let program = try compiler.compile([layer], context: where_)
            current = try current.map { try program.forward($0, record: false).last! }
        }
        return current
    }

    /// Gathers the per-channel mean and biased variance over every pixel of every image, in
    /// double precision, then normalises with them.
    private mutating func normalize(_ layer: Layer, _ inputs: [Tensor], at where_: String) throws -> [Tensor] {
        guard let name = layer.name else { throw NetsError("\(where_): a batch norm needs a name") }
        let channels = inputs[0].shape.last!
        var sum = [Double](repeating: 0, count: channels), squares = sum
        var count = 0.0
        for x in inputs {
            let rows = x.count / channels
            for r in 0..<rows {
                let row = x.pointer + r * channels
                for c in 0..<channels { sum[c] += Double(row[c]); squares[c] += Double(row[c]) * Double(row[c]) }
            }
            count += Double(rows)
        }
        let mean = sum.map { $0 / count }
        let variance = zip(squares, mean).map { max($0 / count - $1 * $1, 0) }
        let (meanValues, varianceValues) = (mean.map { Float($0) }, variance.map { Float($0) })
        statistics["\(name).running_mean"] = Weights.Entry(shape: [channels], values: meanValues)
        statistics["\(name).running_var"] = Weights.Entry(shape: [channels], values: varianceValues)
        let reader = WeightReader(network.weights)
        let bn = ScaleShift(gamma: try reader.take("\(name).weight", shape: [channels]),
                            beta: try reader.take("\(name).bias", shape: [channels]),
                            mean: meanValues, variance: varianceValues, eps: layer.eps ?? 1e-5)
        return try inputs.map { try bn.forward($0, relu: false) }
    }
}
