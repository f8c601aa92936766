/// Turns layer lists into Programs, tracking the activation shape, checking every weight, and
/// folding each batch norm that follows a convolution into it.
struct Compiler {
    let reader: WeightReader
    /// (channels, height, width) of the activation at the current point.
    var channels: Int
    var height: Int
    var width: Int
    var features: Int? = nil

    var shape: [Int] { features.map { [$0] } ?? [height, width, channels] }

    mutating func compile(_ layers: [Layer], context: String) throws -> Program {
        var steps: [Step] = []
        var index = 0
        while index < layers.count {
            let layer = layers[index]
            let where_ = "\(context) layer \(index) (\(layer.op.rawValue)\(layer.name.map { " '\($0)'" } ?? ""))"
            func next(_ op: Layer.Op) -> Bool { index + 1 < layers.count && layers[index + 1].op == op }
            switch layer.op {
            case .conv where features != nil:
                // A classifier written as a 1x1 convolution on the pooled map (timm's ResNetV2 head).
                let linear = try pointwiseLinear(layer, in: features!, foldingIn: nil,
                                                 part: "a convolution on pooled features", at: where_)
                features = linear.outFeatures
                steps.append(.linear(linear))
            case .conv:
                var conv = try convolutionParts(layer, at: where_)
                if next(.batchnorm) {
                    index += 1
                    try fold(&conv, into: layers[index], at: "\(context) layer \(index)")
                }
                let relu = next(.relu)
                if relu { index += 1 }
                steps.append(.conv(conv.compiled, relu: relu))
            case .batchnorm:
                let bn = try batchNorm(layer, at: where_)
                let relu = next(.relu)
                if relu { index += 1 }
                steps.append(.scaleShift(bn, relu: relu))
            case .groupnorm:
                let norm = try groupNorm(layer, at: where_)
                let relu = next(.relu)
                if relu { index += 1 }
                steps.append(.groupNorm(norm, relu: relu))
            case .relu:
                steps.append(.relu)
            case .silu:
                steps.append(.silu)
            case .maxpool:
                guard features == nil, let kernel = layer.kernel else { throw NetsError("\(where_): needs an image and a kernel") }
                let pad = try paddingSides(layer, at: where_)
                let pool = MaxPool(kernel: kernel, stride: layer.stride ?? kernel, padTop: pad.top, padLeft: pad.left,
                                   padBottom: pad.bottom, padRight: pad.right,
                                   zeroPadded: layer.zeroPadded ?? false, ceilMode: layer.ceilMode ?? false)
                guard !(pool.zeroPadded && pool.ceilMode) else { throw NetsError("\(where_): zero padding and ceil mode together are not supported") }
                guard pool.zeroPadded || [pad.top, pad.left, pad.bottom, pad.right].allSatisfy({ $0 < kernel }) else {
                    // A window wholly in -infinity padding would have no maximum.
                    throw NetsError("\(where_): padding \(layer.padding ?? []) must be less than the kernel (\(kernel))")
                }
                (height, width) = pool.outputSize(height, width)
                guard height > 0, width > 0 else { throw NetsError("\(where_): the image is too small to pool") }
                steps.append(.maxPool(pool))
            case .avgpool:
                guard features == nil, let kernel = layer.kernel else { throw NetsError("\(where_): needs an image and a kernel") }
                let pad = try paddingSides(layer, at: where_)
                guard pad.top == pad.left, pad.left == pad.bottom, pad.bottom == pad.right else {
                    throw NetsError("\(where_): average pooling needs the same padding on every side, not \(layer.padding ?? [])")
                }
                let pool = AvgPool(kernel: kernel, stride: layer.stride ?? kernel, padding: pad.top,
                                   ceilMode: layer.ceilMode ?? false, countIncludePad: layer.countIncludePad ?? true)
                guard 2 * pool.padding <= kernel else { throw NetsError("\(where_): padding must be at most half the kernel") }
                (height, width) = pool.outputSize(height, width)
                guard height > 0, width > 0 else { throw NetsError("\(where_): the image is too small to pool") }
                steps.append(.avgPool(pool))
            case .globalAvgPool:
                guard features == nil else { throw NetsError("\(where_): the input is already pooled") }
                features = channels
                steps.append(.globalAvgPool)
            case .flatten:
                // Pooled features are flat already; a 1x1 map becomes them (its mean is itself).
                if features == nil {
                    guard height == 1, width == 1 else {
                        throw NetsError("\(where_): flattening a \(height)x\(width) map; only pooled features or a 1x1 map can feed a linear layer")
                    }
                    features = channels
                    steps.append(.globalAvgPool)
                }
            case .squeezeExcitation:
                steps.append(.squeezeExcitation(try squeezeExcitation(layer, at: where_)))
            case .channelConv:
                throw NetsError("\(where_): a channel convolution (ECA's) is only supported inside squeeze-excitation, "
                                + "as x · sigmoid(channel_conv(mean(x)))")
            case .linear:
                guard let inFeatures = features else { throw NetsError("\(where_): a linear layer needs pooled features") }
                guard let name = layer.name, let out = layer.out else { throw NetsError("\(where_): needs a name and 'out'") }
                let weight = try reader.take("\(name).weight", shape: [out, inFeatures])
                let bias = layer.bias == false ? nil : try reader.take("\(name).bias", shape: [out])
                features = out
                steps.append(.linear(Linear(inFeatures: inFeatures, outFeatures: out, weight: weight, bias: bias)))
            }
            index += 1
        }
        return Program(steps: steps)
    }

    /// A convolution's geometry and arrays before it is compiled, so that a batch norm can be
    /// folded into arrays nobody else holds.
    struct ConvolutionParts {
        var geometry: ConvGeometry
        var weights: [Float]
        var bias: [Float]?
        var compiled: Convolution { Convolution(geometry, weights: weights, bias: bias) }
    }

    /// A layer's `padding` as its four sides: none, [p] on every side, or [top, left, bottom, right].
    func paddingSides(_ layer: Layer, at where_: String) throws -> (top: Int, left: Int, bottom: Int, right: Int) {
        let p = layer.padding ?? []
        guard p.allSatisfy({ $0 >= 0 }) else { throw NetsError("\(where_): padding \(p) is negative") }
        switch p.count {
        case 0: return (0, 0, 0, 0)
        case 1: return (p[0], p[0], p[0], p[0])
        case 4: return (p[0], p[1], p[2], p[3])
        default: throw NetsError("\(where_): padding must be [p] or [top, left, bottom, right], not \(p)")
        }
    }

    mutating func convolution(_ layer: Layer, at where_: String) throws -> Convolution {
        try convolutionParts(layer, at: where_).compiled
    }

    mutating func convolutionParts(_ layer: Layer, at where_: String) throws -> ConvolutionParts {
        guard features == nil else { throw NetsError("\(where_): a convolution needs an image, not pooled features") }
        guard let name = layer.name, let out = layer.out, let kernel = layer.kernel else {
            throw NetsError("\(where_): a convolution needs 'name', 'out' and 'kernel'")
        }
        var geometry = ConvGeometry(inChannels: channels, outChannels: out, kernel: kernel,
                                    stride: layer.stride ?? 1, padding: 0, groups: layer.groups ?? 1)
        (geometry.padTop, geometry.padLeft, geometry.padBottom, geometry.padRight) = try paddingSides(layer, at: where_)
        guard geometry.groups >= 1, channels % geometry.groups == 0, out % geometry.groups == 0 else {
            throw NetsError("\(where_): \(channels) -> \(out) channels do not split into \(geometry.groups) groups")
        }
        let weights = try reader.take("\(name).weight", shape: [out, channels / geometry.groups, kernel, kernel])
        let bias = layer.bias == true ? try reader.take("\(name).bias", shape: [out]) : nil
        let size = geometry.outputSize(height: height, width: width)
        guard size.height > 0, size.width > 0 else { throw NetsError("\(where_): the image is too small") }
        (channels, height, width) = (out, size.height, size.width)
        return ConvolutionParts(geometry: geometry, weights: weights, bias: bias)
    }

    func batchNorm(_ layer: Layer, features count: Int? = nil, at where_: String) throws -> ScaleShift {
        guard let name = layer.name else { throw NetsError("\(where_): a batch norm needs a name") }
        let c = count ?? features ?? channels
        return ScaleShift(
            gamma: try reader.take("\(name).weight", shape: [c]),
            beta: try reader.take("\(name).bias", shape: [c]),
            mean: try reader.take("\(name).running_mean", shape: [c]),
            variance: try reader.take("\(name).running_var", shape: [c]),
            eps: layer.eps ?? 1e-5)
    }

    func groupNorm(_ layer: Layer, at where_: String) throws -> GroupNorm {
        guard features == nil else { throw NetsError("\(where_): group norm needs an image, not pooled features") }
        guard let name = layer.name, let groups = layer.groups, groups >= 1, channels % groups == 0 else {
            throw NetsError("\(where_): group norm needs a name and a number of groups that divides its \(channels) channels")
        }
        return GroupNorm(groups: groups, gamma: try reader.take("\(name).weight", shape: [channels]),
                         beta: try reader.take("\(name).bias", shape: [channels]), eps: layer.eps ?? 1e-5)
    }

    /// reduce (1x1 conv with bias, optionally a batch norm), ReLU, expand (1x1 conv with bias),
    /// read as linear layers over the pooled channels. Users' own squeeze-excitation often pools,
    /// flattens and uses linear layers (senet.pytorch's SELayer): the same map, read the same way.
    func squeezeExcitation(_ layer: Layer, at where_: String) throws -> SqueezeExcitation {
        guard features == nil else { throw NetsError("\(where_): squeeze-excitation needs an image") }
        var inner = layer.layers ?? []
        if inner.first?.op == .flatten { inner.removeFirst() }
        let ops = inner.map { $0.op == .linear ? .conv : $0.op }
        if ops == [.channelConv] { return SqueezeExcitation(excitation: .channelConvolution(try channelConvolution(inner[0], at: where_))) }
        guard ops == [.conv, .relu, .conv] || ops == [.conv, .batchnorm, .relu, .conv] else {
            throw NetsError("\(where_): squeeze-excitation must be conv (or linear), [batchnorm,] relu, conv (or linear), "
                            + "or one channel_conv (ECA); found \((layer.layers ?? []).map(\.op.rawValue))")
        }
        let part = "squeeze-excitation's convolutions"
        let reduce = try pointwiseLinear(inner[0], in: channels, foldingIn: inner.count == 4 ? inner[1] : nil, part: part, at: where_)
        let expand = try pointwiseLinear(inner.last!, in: reduce.outFeatures, foldingIn: nil, part: part, at: where_)
        guard expand.outFeatures == channels else {
            throw NetsError("\(where_): squeeze-excitation expands to \(expand.outFeatures) channels, the input has \(channels)")
        }
        return SqueezeExcitation(excitation: .bottleneck(reduce: reduce, expand: expand))
    }

    /// ECA's 1-D convolution across the channels: an odd kernel, zero-padded to keep the length.
    func channelConvolution(_ layer: Layer, at where_: String) throws -> ChannelConvolution {
        guard let name = layer.name, let kernel = layer.kernel, kernel % 2 == 1, kernel <= channels else {
            throw NetsError("\(where_): a channel convolution needs a name and an odd kernel of at most \(channels) taps")
        }
        let pad = try paddingSides(layer, at: where_)
        guard layer.padding == nil || [pad.top, pad.left, pad.bottom, pad.right].allSatisfy({ $0 == kernel / 2 }) else {
            throw NetsError("\(where_): a channel convolution of \(kernel) taps must pad by \(kernel / 2), not \(layer.padding ?? [])")
        }
        let taps = try reader.take("\(name).weight", shape: [1, 1, kernel])
        let bias = layer.bias == true ? try reader.take("\(name).bias", shape: [1])[0] : nil
        return ChannelConvolution(taps: taps, bias: bias)
    }

    /// A 1x1 convolution on pooled features, read as the linear layer it is: the weights laid
    /// out [out, in, 1, 1] are those of [out, in]. A linear layer is taken as it is (biased
    /// unless it says not, as the model format's linear layers are). `bn`, a batch norm after
    /// it, is folded in.
    func pointwiseLinear(_ conv: Layer, in inFeatures: Int, foldingIn bn: Layer?, part: String, at where_: String) throws -> Linear {
        let isLinear = conv.op == .linear
        guard let name = conv.name, let out = conv.out, isLinear || (conv.kernel == 1 && (conv.groups ?? 1) == 1
              && (conv.stride ?? 1) == 1 && (conv.padding ?? [0]).allSatisfy({ $0 == 0 })) else {
            throw NetsError("\(where_): \(part) must be 1x1, ungrouped and unpadded")
        }
        var weight = try reader.take("\(name).weight", shape: isLinear ? [out, inFeatures] : [out, inFeatures, 1, 1])
        let biased = isLinear ? conv.bias != false : conv.bias == true
        var bias = biased ? try reader.take("\(name).bias", shape: [out]) : [Float](repeating: 0, count: out)
        if let bn {
            let norm = try batchNorm(bn, features: out, at: where_)
            for o in 0..<out {
                for i in 0..<inFeatures { weight[o * inFeatures + i] *= norm.scale[o] }
                bias[o] = bias[o] * norm.scale[o] + norm.shift[o]
            }
        }
        return Linear(inFeatures: inFeatures, outFeatures: out, weight: weight, bias: bias)
    }

    /// conv then BN equals one convolution with weights scaled per output channel and a bias.
    func fold(_ conv: inout ConvolutionParts, into layer: Layer, at where_: String) throws {
        let bn = try batchNorm(layer, at: where_)
        let outChannels = conv.geometry.outChannels
        let perChannel = conv.weights.count / outChannels
        // In place, through a buffer pointer: indexed through the array, this loop took 50 ms of
        // loading ResNet-50, and scaling a copy (of arrays a kept Weights still holds) 50 ms more.
        conv.weights.withUnsafeMutableBufferPointer { folded in
            for o in 0..<outChannels {
                let scale = bn.scale[o]
                for k in o * perChannel..<(o + 1) * perChannel { folded[k] *= scale }
            }
        }
        conv.bias = (0..<outChannels).map { o in (conv.bias?[o] ?? 0) * bn.scale[o] + bn.shift[o] }
    }
}
