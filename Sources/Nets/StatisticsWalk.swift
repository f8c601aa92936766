import Foundation

/// Runs layer lists one layer at a time over every recalibration image, batch norms unfolded:
/// each batch norm first gathers its input's statistics over all images, then normalises with
/// them. The layers between batch norms run on programs compiled once per network
/// (`UnfoldedLayers`), so a sweep's variants share their plans.
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
        default: throw NetsError(.badUsage, "\(context): batch-norm recalibration through a \(action) block is not supported yet")
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
        let shortcutInputs = spec.shortcutFrom == .preact ? pre : inputs
        let shortcutShape = spec.shortcutFrom == .preact ? preShape : block.inputShape
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

    /// `layers` over every image, starting from activations of `shape` ([h, w, c] or [f]). A ReLU
    /// right after a batch norm is applied in the same pass as the normalisation.
    mutating func layers(_ layers: [Layer], _ inputs: [Tensor], shape: [Int], context: String) throws -> [Tensor] {
        let programs = try network.unfoldedLayers.programs(context) {
            try UnfoldedLayers.compile(layers, reader: WeightReader(try network.origin.weights()), shape: shape, context: context)
        }
        var current = inputs
        var index = 0
        while index < layers.count {
            if layers[index].op == .batchnorm {
                let relu = index + 1 < layers.count && layers[index + 1].op == .relu
                current = try normalize(layers[index], current, relu: relu, at: "\(context) layer \(index)")
                index += relu ? 2 : 1
                continue
            }
            guard let program = programs[index] else { throw NetsError("\(context) layer \(index): internal error, no program") }
            current = try current.map { try program.forward($0, record: false).last! }
            index += 1
        }
        return current
    }

    /// Gathers the per-channel mean and biased variance over every pixel of every image, in
    /// double precision, then normalises with them.
    private mutating func normalize(_ layer: Layer, _ inputs: [Tensor], relu: Bool, at where_: String) throws -> [Tensor] {
        guard let name = layer.name else { throw NetsError("\(where_): a batch norm needs a name") }
        let channels = inputs[0].shape.last!
        var moments = ChannelMoments(channels: channels)
        for x in inputs { moments.add(x) }
        let (mean, variance) = moments.meanAndBiasedVariance
        let (meanValues, varianceValues) = (mean.map { Float($0) }, variance.map { Float($0) })
        statistics["\(name).running_mean"] = Weights.Entry(shape: [channels], values: meanValues)
        statistics["\(name).running_var"] = Weights.Entry(shape: [channels], values: varianceValues)
        let reader = WeightReader(try network.origin.weights())
        let bn = ScaleShift(gamma: try reader.take("\(name).weight", shape: [channels]),
                            beta: try reader.take("\(name).bias", shape: [channels]),
                            mean: meanValues, variance: varianceValues, eps: layer.eps ?? 1e-5)
        return try inputs.map { try bn.forward($0, relu: relu) }
    }
}

/// The programs of the statistics walk, by layer list: each layer other than a batch norm
/// compiled alone (a convolution unfolded, so its output is what the batch norm after it sees).
/// Made once per network: every variant of a sweep reuses them and their oneDNN plans.
final class UnfoldedLayers: @unchecked Sendable {
    private let lock = NSLock()
    private var made: [String: [Program?]] = [:]

    func programs(_ context: String, make: () throws -> [Program?]) throws -> [Program?] {
        lock.lock()
        defer { lock.unlock() }
        if let programs = made[context] { return programs }
        let programs = try make()
        made[context] = programs
        return programs
    }

    /// One program per layer, nil for batch norms (the walk normalises those itself).
    static func compile(_ layers: [Layer], reader: WeightReader, shape: [Int], context: String) throws -> [Program?] {
        var compiler = Compiler(reader: reader, channels: shape.last ?? 0,
                                height: shape.count == 3 ? shape[0] : 0, width: shape.count == 3 ? shape[1] : 0)
        if shape.count == 1 { compiler.features = shape[0] }
        return try layers.enumerated().map { index, layer in
            layer.op == .batchnorm ? nil : try compiler.compile([layer], context: "\(context) layer \(index)")
        }
    }
}

/// Per-channel sums of x and x² over the pixels of NHWC tensors, in double precision. Each image
/// is summed on its own (in parallel) and the images are added in order, so the result does not
/// depend on the thread count.
struct ChannelMoments {
    let channels: Int
    private(set) var sum: [Double]
    private(set) var squares: [Double]
    private(set) var count = 0

    init(channels: Int) {
        self.channels = channels
        sum = [Double](repeating: 0, count: channels)
        squares = sum
    }

    mutating func add(_ x: Tensor) {
        let images = x.shape[0], pixels = x.count / max(images, 1) / channels
        var partial = [Double](repeating: 0, count: 2 * images * channels)
        partial.withUnsafeMutableBufferPointer { buffer in
            let out = buffer.baseAddress!
            let channels = self.channels
            parallelRanges(images, minimum: 2) { range in
                for image in range {
                    let (s, q) = (out + 2 * image * channels, out + (2 * image + 1) * channels)
                    var row = x.pointer + image * pixels * channels
                    for _ in 0..<pixels {
                        for c in 0..<channels { let v = Double(row[c]); s[c] += v; q[c] += v * v }
                        row += channels
                    }
                }
            }
        }
        for image in 0..<images {
            for c in 0..<channels {
                sum[c] += partial[2 * image * channels + c]
                squares[c] += partial[(2 * image + 1) * channels + c]
            }
        }
        count += images * pixels
    }

    var meanAndBiasedVariance: (mean: [Double], variance: [Double]) {
        let n = Double(max(count, 1))
        let mean = sum.map { $0 / n }
        return (mean, zip(squares, mean).map { max($0 / n - $1 * $1, 0) })
    }
}
