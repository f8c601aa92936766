import Foundation

/// Lowers a Keras functional graph to a `LayerGraph` (then `BlockFinder` finds the blocks, by the
/// rule every importer shares). It tracks each layer's output shape, because Keras' 'same'
/// padding and whole-map pooling depend on it. Every layer kind it cannot map exactly is an error
/// naming the layer and its class.
struct KerasConverter {
    let graph: KerasGraph
    /// Keras layer name → what it became, for reading its weights.
    private(set) var roles: [String: Role] = [:]

    enum Role { case conv(groups: Int), batchnorm(center: Bool, scale: Bool), dense }

    /// (height, width, channels), or (0, 0, features) after pooling.
    typealias Shape = (h: Int, w: Int, c: Int)
    typealias Padding = (top: Int, bottom: Int, left: Int, right: Int)

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
        let lowered = try lower(input: (h, w, c))
        let finder = try BlockFinder(lowered, source: graph.source)
        return try finder.architecture(name: name, input: InputShape(channels: c, height: h, width: w))
    }

    /// One graph node per Keras layer (two when a layer carries its own activation); a
    /// ZeroPadding2D is folded into the convolution or pooling that reads it.
    private mutating func lower(input: Shape) throws -> LayerGraph {
        var nodes: [GraphNode] = []
        var shapes: [String: Shape] = [:]
        /// The node that holds a Keras layer's output.
        var outputOf: [String: String] = [:]
        /// ZeroPadding2D layers: the padding and the node they pad.
        var padded: [String: (padding: Padding, of: String)] = [:]

        for layer in graph.layers {
            let where_ = "\(graph.source): layer '\(layer.name)' (\(layer.className))"
            let config = layer.config
            var shape = layer.inputs.first.flatMap { shapes[$0] } ?? input
            var readsPadding: Padding? = nil
            var sources: [String] = []
            for name in layer.inputs {
                if let pad = padded[name] {
                    guard ["Conv2D", "MaxPooling2D"].contains(layer.className) else {
                        throw NetsError("\(where_): reads ZeroPadding2D '\(name)'; only a convolution or max pooling may")
                    }
                    readsPadding = pad.padding
                    sources.append(pad.of)
                } else {
                    guard let node = outputOf[name] else { throw NetsError("\(where_): reads an unknown layer '\(name)'") }
                    sources.append(node)
                }
            }
            func emit(_ op: GraphNode.Op, _ l: Layer? = nil, id: String? = nil, stride: Int? = nil) {
                // A layer's own activation reads the layer's first node.
                let inputs = id == nil ? sources : [outputOf[layer.name]!]
                let nodeID = id ?? layer.name
                nodes.append(GraphNode(id: nodeID, op: op, inputs: inputs, layer: l, stride: stride))
                outputOf[layer.name] = nodeID
            }
            func activation(_ name: String?) throws {
                switch name ?? "linear" {
                case "linear": break
                case "relu": emit(.relu, .relu, id: "\(layer.name)/relu")
                case "sigmoid": emit(.sigmoid, id: "\(layer.name)/sigmoid")
                case "softmax": emit(.softmax, id: "\(layer.name)/softmax")
                default: throw NetsError("\(where_): activation '\(name ?? "")' is not supported (only relu and sigmoid, and a final softmax)")
                }
            }
            switch layer.className {
            case "InputLayer":
                nodes.append(GraphNode(id: layer.name, op: .input, inputs: []))
                outputOf[layer.name] = layer.name
            case "Dropout", "SpatialDropout2D":
                emit(.identity)
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
                var padding: Padding
                switch config["padding"] as? String ?? "valid" {
                case "valid": padding = readsPadding ?? (0, 0, 0, 0)
                case "same":
                    guard readsPadding == nil else { throw NetsError("\(where_): 'same' padding after ZeroPadding2D") }
                    let (top, bottom) = KerasConverter.same(shape.h, kh, sh), (left, right) = KerasConverter.same(shape.w, kw, sw)
                    padding = (top, bottom, left, right)
                default: throw NetsError("\(where_): padding '\(config["padding"] ?? "")' is not supported")
                }
                emit(.conv, Layer(op: .conv, name: layer.name, out: filters, kernel: kh, stride: sh,
                                  padding: [padding.top, padding.left, padding.bottom, padding.right], groups: groups,
                                  bias: config["use_bias"] as? Bool ?? true))
                roles[layer.name] = .conv(groups: groups)
                shape = ((shape.h + padding.top + padding.bottom - kh) / sh + 1, (shape.w + padding.left + padding.right - kw) / sw + 1, filters)
                try activation(config["activation"] as? String)
            case "BatchNormalization":
                let axis = (config["axis"] as? [Int])?.first ?? config["axis"] as? Int ?? -1
                guard axis == -1 || axis == 3 || (axis == 1 && shape.h == 0) else {
                    throw NetsError("\(where_): batch norm over axis \(axis); only the channel axis (-1) is supported")
                }
                emit(.batchnorm, .batchnorm(layer.name, eps: Float(config["epsilon"] as? Double ?? 1e-3)))
                roles[layer.name] = .batchnorm(center: config["center"] as? Bool ?? true, scale: config["scale"] as? Bool ?? true)
            case "Activation":
                let name = config["activation"] as? String
                guard ["relu", "sigmoid", "softmax", "linear"].contains(name ?? "linear") else {
                    throw NetsError("\(where_): activation '\(name ?? "")' is not supported (only relu and sigmoid, and a final softmax)")
                }
                switch name ?? "linear" {
                case "relu": emit(.relu, .relu)
                case "sigmoid": emit(.sigmoid)
                case "softmax": emit(.softmax)
                default: emit(.identity)
                }
            case "ReLU":
                guard isReLU(layer) else { throw NetsError("\(where_): only a plain ReLU (no max_value, slope or threshold) is supported") }
                emit(.relu, .relu)
            case "ZeroPadding2D":
                guard let p = KerasConverter.padding(config["padding"]) else { throw NetsError("\(where_): cannot read its padding") }
                guard let of = sources.first else { throw NetsError("\(where_): pads nothing") }
                padded[layer.name] = (p, of)
                shapes[layer.name] = shape   // the unpadded shape: the reader adds the padding
                continue
            case "MaxPooling2D":
                guard let (ph, pw) = pair(config["pool_size"]), ph == pw else { throw NetsError("\(where_): needs a square pool") }
                let (sh, _) = pair(config["strides"]) ?? (ph, ph)
                if ph == 1, readsPadding == nil {
                    // ResNet50V2's shortcut: a 1x1 max pooling with a stride keeps every s-th pixel.
                    emit(.subsample, stride: sh)
                    shape = ((shape.h + sh - 1) / sh, (shape.w + sh - 1) / sh, shape.c)
                    break
                }
                // Keras' 'same' pooling pads with -infinity, after the map when the padding is odd.
                var padding: Padding = (0, 0, 0, 0)
                var zeroPadded = false
                if let read = readsPadding {
                    padding = read
                    zeroPadded = true
                } else if (config["padding"] as? String) == "same" {
                    let (top, bottom) = KerasConverter.same(shape.h, ph, sh), (left, right) = KerasConverter.same(shape.w, ph, sh)
                    padding = (top, bottom, left, right)
                }
                emit(.maxpool, Layer(op: .maxpool, kernel: ph, stride: sh,
                                     padding: [padding.top, padding.left, padding.bottom, padding.right],
                                     zeroPadded: zeroPadded ? true : nil))
                shape = ((shape.h + padding.top + padding.bottom - ph) / sh + 1,
                         (shape.w + padding.left + padding.right - ph) / sh + 1, shape.c)
            case "AveragePooling2D":
                guard let (ph, pw) = pair(config["pool_size"]), ph == shape.h, pw == shape.w else {
                    throw NetsError("\(where_): only average pooling over the whole \(shape.h)x\(shape.w) map is supported")
                }
                emit(.globalAvgPool, .globalAvgPool)
                shape = (0, 0, shape.c)
            case "GlobalAveragePooling2D":
                emit(.globalAvgPool, .globalAvgPool)
                shape = (0, 0, shape.c)
            case "Flatten":
                guard shape.h == 0 || (shape.h == 1 && shape.w == 1) else {
                    throw NetsError("\(where_): Flatten is only supported after pooling to one value per channel")
                }
                emit(.flatten, Layer(op: .flatten))
                shape = (0, 0, shape.c)
            case "Dense":
                guard shape.h == 0, let units = config["units"] as? Int else {
                    throw NetsError("\(where_): a Dense layer must follow global pooling")
                }
                emit(.linear, Layer(op: .linear, name: layer.name, out: units, bias: config["use_bias"] as? Bool ?? true))
                roles[layer.name] = .dense
                shape = (0, 0, units)
                try activation(config["activation"] as? String)
            case "Add":
                guard layer.inputs.count == 2 else {
                    throw NetsError("\(where_): adds \(layer.inputs.count) inputs; residual blocks add two")
                }
                let other = shapes[layer.inputs[1]] ?? shape
                guard other == shape else { throw NetsError("\(where_): adds \(shape) and \(other)") }
                emit(.add)
            case "Reshape":
                // Squeeze-excitation's gate, pooled features viewed as a 1x1 map before the Multiply.
                let target = config["target_shape"] as? [Int]
                guard shape.h == 0, target == [1, 1, shape.c] else {
                    throw NetsError("\(where_): only pooled features reshaped to (1, 1, channels) are supported, "
                                    + "not \(target.map { "\($0)" } ?? "this shape")")
                }
                emit(.identity)
            case "Multiply":
                emit(.mul)
            default:
                throw NetsError("\(where_): this layer class cannot be mapped to Unravel's engine")
            }
            shapes[layer.name] = shape
        }
        if let (name, _) = padded.first(where: { name, _ in !graph.layers.contains { $0.inputs.contains(name) } }) {
            throw NetsError("\(graph.source): ZeroPadding2D '\(name)' is not followed by a convolution or pooling")
        }
        return LayerGraph(nodes: nodes)
    }

    private func isReLU(_ layer: KerasGraph.Layer) -> Bool {
        layer.className == "ReLU" && (layer.config["max_value"] is NSNull || layer.config["max_value"] == nil)
            && ((layer.config["negative_slope"] as? Double) ?? 0) == 0 && ((layer.config["threshold"] as? Double) ?? 0) == 0
    }

    /// Keras 'same' padding: (before, after) for one dimension; the odd pixel goes after.
    static func same(_ size: Int, _ kernel: Int, _ stride: Int) -> (Int, Int) {
        let out = (size + stride - 1) / stride
        let total = max((out - 1) * stride + kernel - size, 0)
        return (total / 2, total - total / 2)
    }

    static func padding(_ value: Any?) -> Padding? {
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
