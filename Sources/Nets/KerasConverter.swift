import Foundation

/// Turns a Keras functional graph into an Architecture: the stem up to the first residual block,
/// one block per Add node (the longer input chain is the branch, the other the shortcut), and
/// the head. Every layer kind it cannot map exactly is an error naming the layer and its class.
struct KerasConverter {
    let graph: KerasGraph
    /// Keras layer name → what it became, for reading its weights.
    private(set) var roles: [String: Role] = [:]

    enum Role { case conv(groups: Int), batchnorm(center: Bool, scale: Bool), dense }

    /// (height, width, channels), or (0, 0, features) after pooling.
    typealias Shape = (h: Int, w: Int, c: Int)

    init(_ graph: KerasGraph) { self.graph = graph }

    mutating func architecture(name: String) throws -> Architecture {
        let inputs = graph.layers.filter { $0.className == "InputLayer" }
        guard inputs.count == 1, let input = inputs.first else {
            throw NetsError("\(graph.source): the model needs exactly one input layer, found \(inputs.count)")
        }
        let dims = (input.config["batch_shape"] ?? input.config["batch_input_shape"]) as? [Any] ?? []
        guard dims.count == 4, let h = dims[1] as? Int, let w = dims[2] as? Int, let c = dims[3] as? Int else {
            throw NetsError("\(graph.source): the input '\(input.name)' must be (batch, height, width, channels) with known sizes, got \(dims)")
        }
        guard let output = graph.layers.last(where: { graph.consumers[$0.name] == nil }) else {
            throw NetsError("\(graph.source): no output layer")
        }
        var shape: Shape = (h, w, c)
        var blocks: [BlockSpec] = []
        var boundary = input.name
        var stem: [Layer] = []
        let adds = graph.layers.filter { $0.className == "Add" }
        for (index, add) in adds.enumerated() {
            guard add.inputs.count == 2 else {
                throw NetsError("\(graph.source): Add '\(add.name)' has \(add.inputs.count) inputs; residual blocks add two")
            }
            let meeting = try graph.meetingPoint(add.inputs[0], add.inputs[1])
            var gap = try graph.chain(from: boundary, to: meeting)
            if index > 0, let first = gap.first, isReLU(first) {
                blocks[index - 1].mergeReLU = true
                gap.removeFirst()
            }
            let gapLayers = try convert(gap, &shape)
            if index == 0 { stem = gapLayers }
            let start = shape
            var chains = [try graph.chain(from: meeting, to: add.inputs[0]), try graph.chain(from: meeting, to: add.inputs[1])]
            chains.sort { convCount($0) > convCount($1) }
            var branchShape = start, shortcutShape = start
            let branch = try convert(chains[0], &branchShape)
            let shortcut = try shortcutSpec(chains[1], &shortcutShape)
            guard branchShape == shortcutShape else {
                throw NetsError("\(graph.source): Add '\(add.name)' adds \(branchShape) and \(shortcutShape)")
            }
            shape = branchShape
            let preact = index > 0 ? gapLayers : []
            blocks.append(BlockSpec(name: add.name, stage: 0, kind: .residual, form: convCount(chains[0]) == 3 ? "bottleneck" : "basic",
                                    preact: preact, branch: branch, shortcut: shortcut,
                                    shortcutFrom: preact.isEmpty ? "input" : "preact"))
            boundary = add.name
        }
        var tail = try graph.chain(from: boundary, to: output.name)
        if !blocks.isEmpty, let first = tail.first, isReLU(first) {
            blocks[blocks.count - 1].mergeReLU = true
            tail.removeFirst()
        }
        if blocks.isEmpty { stem = [] }
        let head = try convert(tail, &shape, allowFinalSoftmax: true)
        guard shape.h == 0, shape.w == 0 else { throw NetsError("\(graph.source): the model does not end in pooled class scores") }
        numberStages(&blocks)
        return Architecture(name: name, input: InputShape(channels: c, height: h, width: w), stem: stem, blocks: blocks,
                            head: head, classes: shape.c)
    }

    /// Stages count from 1 and advance at each block that changes the shape.
    private func numberStages(_ blocks: inout [BlockSpec]) {
        var stage = 1
        for i in blocks.indices {
            if i > 0, blocks[i].branch.contains(where: { ($0.stride ?? 1) > 1 }) { stage += 1 }
            blocks[i].stage = stage
        }
    }

    private func convCount(_ chain: [KerasGraph.Layer]) -> Int { chain.filter { $0.className == "Conv2D" }.count }

    private func isReLU(_ layer: KerasGraph.Layer) -> Bool {
        (layer.className == "Activation" && layer.config["activation"] as? String == "relu")
            || (layer.className == "ReLU" && (layer.config["max_value"] is NSNull || layer.config["max_value"] == nil)
                && ((layer.config["negative_slope"] as? Double) ?? 0) == 0 && ((layer.config["threshold"] as? Double) ?? 0) == 0)
    }

    private mutating func shortcutSpec(_ chain: [KerasGraph.Layer], _ shape: inout Shape) throws -> Shortcut {
        if chain.isEmpty { return .identity }
        if chain.count == 1, chain[0].className == "MaxPooling2D", (pair(chain[0].config["pool_size"]) ?? (0, 0)) == (1, 1) {
            let (s, _) = pair(chain[0].config["strides"]) ?? (1, 1)
            shape = ((shape.h + s - 1) / s, (shape.w + s - 1) / s, shape.c)
            return Shortcut(kind: .zeroPad, stride: s, out: shape.c, placement: "append")
        }
        return Shortcut(kind: .projection, layers: try convert(chain, &shape))
    }

    /// Maps a chain of Keras layers to ours, tracking the shape.
    private mutating func convert(_ chain: [KerasGraph.Layer], _ shape: inout Shape, allowFinalSoftmax: Bool = false) throws -> [Layer] {
        var out: [Layer] = []
        var pending: (top: Int, bottom: Int, left: Int, right: Int)? = nil
        for (position, layer) in chain.enumerated() {
            let where_ = "\(graph.source): layer '\(layer.name)' (\(layer.className))"
            let config = layer.config
            let isLast = position == chain.count - 1
            func activation(_ name: String?) throws {
                switch name ?? "linear" {
                case "linear": break
                case "relu": out.append(.relu)
                case "softmax" where allowFinalSoftmax && isLast: break   // Unravel works on logits
                default: throw NetsError("\(where_): activation '\(name ?? "")' is not supported (only relu, and a final softmax)")
                }
            }
            switch layer.className {
            case "InputLayer", "Dropout", "SpatialDropout2D":
                continue
            case "Conv2D":
                guard let filters = config["filters"] as? Int, let (kh, kw) = pair(config["kernel_size"]), kh == kw else {
                    throw NetsError("\(where_): needs square kernels")
                }
                let (sh, sw) = pair(config["strides"]) ?? (1, 1)
                guard sh == sw, (pair(config["dilation_rate"]) ?? (1, 1)) == (1, 1) else {
                    throw NetsError("\(where_): only equal strides and no dilation are supported")
                }
                guard (config["data_format"] as? String ?? "channels_last") == "channels_last" else {
                    throw NetsError("\(where_): only channels_last is supported")
                }
                let groups = config["groups"] as? Int ?? 1
                var padding: (top: Int, bottom: Int, left: Int, right: Int)
                switch config["padding"] as? String ?? "valid" {
                case "valid": padding = pending ?? (0, 0, 0, 0)
                case "same":
                    guard pending == nil else { throw NetsError("\(where_): 'same' padding after ZeroPadding2D") }
                    let (top, bottom) = KerasConverter.same(shape.h, kh, sh), (left, right) = KerasConverter.same(shape.w, kw, sw)
                    padding = (top, bottom, left, right)
                default: throw NetsError("\(where_): padding '\(config["padding"] ?? "")' is not supported")
                }
                pending = nil
                let useBias = config["use_bias"] as? Bool ?? true
                out.append(Layer(op: .conv, name: layer.name, out: filters, kernel: kh, stride: sh,
                                 padding: [padding.top, padding.left, padding.bottom, padding.right], groups: groups, bias: useBias))
                roles[layer.name] = .conv(groups: groups)
                shape = ((shape.h + padding.top + padding.bottom - kh) / sh + 1, (shape.w + padding.left + padding.right - kw) / sw + 1, filters)
                try activation(config["activation"] as? String)
            case "BatchNormalization":
                let axis = (config["axis"] as? [Int])?.first ?? config["axis"] as? Int ?? -1
                guard axis == -1 || axis == 3 || (axis == 1 && shape.h == 0) else {
                    throw NetsError("\(where_): batch norm over axis \(axis); only the channel axis (-1) is supported")
                }
                out.append(.batchnorm(layer.name, eps: Float(config["epsilon"] as? Double ?? 1e-3)))
                roles[layer.name] = .batchnorm(center: config["center"] as? Bool ?? true, scale: config["scale"] as? Bool ?? true)
            case "Activation":
                try activation(config["activation"] as? String)
            case "ReLU":
                guard isReLU(layer) else { throw NetsError("\(where_): only a plain ReLU (no max_value, slope or threshold) is supported") }
                out.append(.relu)
            case "ZeroPadding2D":
                let p = KerasConverter.padding(config["padding"])
                guard let p else { throw NetsError("\(where_): cannot read its padding") }
                pending = p
                continue
            case "MaxPooling2D":
                guard let (ph, pw) = pair(config["pool_size"]), ph == pw else { throw NetsError("\(where_): needs a square pool") }
                let (sh, _) = pair(config["strides"]) ?? (ph, ph)
                var p = 0
                var zeroPadded = false
                if let padding = pending {
                    guard padding.top == padding.bottom, padding.left == padding.right, padding.top == padding.left else {
                        throw NetsError("\(where_): zero padding before max pooling must be the same on every side")
                    }
                    p = padding.top
                    zeroPadded = true
                } else if (config["padding"] as? String) == "same" {
                    let (top, bottom) = KerasConverter.same(shape.h, ph, sh)
                    guard top == bottom else { throw NetsError("\(where_): 'same' max pooling with asymmetric padding is not supported") }
                    p = top
                }
                pending = nil
                out.append(Layer(op: .maxpool, kernel: ph, stride: sh, padding: [p], zeroPadded: zeroPadded ? true : nil))
                shape = ((shape.h + 2 * p - ph) / sh + 1, (shape.w + 2 * p - ph) / sh + 1, shape.c)
            case "AveragePooling2D":
                guard let (ph, pw) = pair(config["pool_size"]), ph == shape.h, pw == shape.w else {
                    throw NetsError("\(where_): only average pooling over the whole \(shape.h)x\(shape.w) map is supported")
                }
                out.append(.globalAvgPool)
                shape = (0, 0, shape.c)
            case "GlobalAveragePooling2D":
                out.append(.globalAvgPool)
                shape = (0, 0, shape.c)
            case "Flatten":
                guard shape.h == 0 || (shape.h == 1 && shape.w == 1) else {
                    throw NetsError("\(where_): Flatten is only supported after pooling to one value per channel")
                }
                if shape.h == 1 { out.append(.globalAvgPool) }
                shape = (0, 0, shape.c)
            case "Dense":
                guard shape.h == 0, let units = config["units"] as? Int else {
                    throw NetsError("\(where_): a Dense layer must follow global pooling")
                }
                out.append(Layer(op: .linear, name: layer.name, out: units, bias: config["use_bias"] as? Bool ?? true))
                roles[layer.name] = .dense
                shape = (0, 0, units)
                try activation(config["activation"] as? String)
            default:
                throw NetsError("\(where_): this layer class cannot be mapped to Unravel's engine")
            }
        }
        if pending != nil { throw NetsError("\(graph.source): ZeroPadding2D not followed by a convolution or pooling") }
        return out
    }

    /// Keras 'same' padding: (before, after) for one dimension; the odd pixel goes after.
    static func same(_ size: Int, _ kernel: Int, _ stride: Int) -> (Int, Int) {
        let out = (size + stride - 1) / stride
        let total = max((out - 1) * stride + kernel - size, 0)
        return (total / 2, total - total / 2)
    }

    static func padding(_ value: Any?) -> (top: Int, bottom: Int, left: Int, right: Int)? {
        if let p = value as? Int { return (p, p, p, p) }
        guard let parts = value as? [Any], parts.count == 2 else { return nil }
        if let a = parts[0] as? Int, let b = parts[1] as? Int { return (a, a, b, b) }
        if let a = parts[0] as? [Int], let b = parts[1] as? [Int], a.count == 2, b.count == 2 { return (a[0], a[1], b[0], b[1]) }
        return nil
    }
}

/// (a, b) from a Keras int or [a, b] field.
func pair(_ value: Any?) -> (Int, Int)? {
    if let v = value as? Int { return (v, v) }
    if let v = value as? [Int], v.count == 2 { return (v[0], v[1]) }
    return nil
}
