import CaffeProto

/// Lowers a Caffe network to a `LayerGraph`, for `BlockFinder` to find the blocks by the rule
/// every importer shares. It follows blobs through in-place layers (Caffe's BatchNorm, Scale and
/// ReLU usually write their input's blob), tracks shapes for Caffe's pooling rounding and for
/// whole-map pooling, and turns each BatchNorm + Scale pair into one batch norm. A layer type or
/// setting it cannot map exactly is an error naming the layer.
struct CaffeConverter {
    let net: CaffeNet
    /// BatchNorm layer name → the Scale layer that applies its γ and β, if any.
    private(set) var scaleOf: [String: String] = [:]
    /// The weights each mapped layer reads, by layer name, in the order they run.
    private(set) var parameterized: [(layer: String, kind: WeightKind)] = []
    /// Layer name → the Eltwise coefficient folded into its weights and bias (γ and β for a
    /// batch norm): a coefficient c on a sum's input is exact as c times the layer that makes it.
    private(set) var coefficientOf: [String: Float] = [:]
    private var pendingCoefficients: [(node: String, coefficient: Float, blob: String, where_: String)] = []

    enum WeightKind {
        /// [out, in/groups, k, k] and a bias when it has one.
        case conv(out: Int, inPerGroup: Int, kernel: Int, bias: Bool)
        case batchnorm(channels: Int)
        /// [out, in].
        case linear(out: Int, in: Int, bias: Bool)
    }

    /// (channels, height, width), height and width 0 after global pooling.
    typealias Shape = (c: Int, h: Int, w: Int)

    init(_ net: CaffeNet) { self.net = net }

    mutating func architecture() throws -> Architecture {
        guard let input = net.input, input.shape.count == 4 else {
            throw NetsError("\(net.source): the net declares no 4-D input (an Input layer, or input + input_dim/input_shape)")
        }
        let graph = try lower(input: input)
        let finder = try BlockFinder(graph, source: net.source)
        return try finder.architecture(name: net.name.isEmpty ? "caffe" : net.name,
                                       input: InputShape(channels: input.shape[1], height: input.shape[2], width: input.shape[3]))
    }

    mutating func lower(input: (name: String, shape: [Int])) throws -> LayerGraph {
        var nodes = [GraphNode(id: input.name, op: .input, inputs: [])]
        /// The node that last wrote each blob.
        var writer: [String: String] = [input.name: input.name]
        var shapes: [String: Shape] = [input.name: (input.shape[1], input.shape[2], input.shape[3])]
        let layers = net.layers.filter { !["Input", "Data", "ImageData", "HDF5Data", "MemoryData"].contains($0.type) }
        var index = 0
        while index < layers.count {
            let layer = layers[index]
            index += 1
            let where_ = "\(net.source): layer '\(layer.name)' (\(layer.type))"
            let sources = try layer.bottoms.map { blob -> String in
                guard let node = writer[blob] else { throw NetsError("\(where_): reads blob '\(blob)', which no earlier layer writes") }
                return node
            }
            guard let first = layer.bottoms.first, var shape = shapes[first] else {
                throw NetsError("\(where_): reads no input")
            }
            guard layer.tops.count == 1, let top = layer.tops.first else {
                throw NetsError("\(where_): writes \(layer.tops.count) blobs; only layers with one output can be mapped")
            }
            func emit(_ op: GraphNode.Op, _ l: Layer? = nil) {
                nodes.append(GraphNode(id: layer.name, op: op, inputs: sources, module: layer.name, layer: l))
                writer[top] = layer.name
            }
            let p = layer.parameters
            switch layer.type {
            case "Convolution":
                let c = p.convolutionParam
                let kernel = try square(c.kernelSize.first.map(Int.init), c.hasKernelH ? Int(c.kernelH) : nil,
                                        c.hasKernelW ? Int(c.kernelW) : nil, "kernel", where_)
                let stride = try square(c.stride.first.map(Int.init) ?? (c.hasStrideH ? nil : 1), c.hasStrideH ? Int(c.strideH) : nil,
                                        c.hasStrideW ? Int(c.strideW) : nil, "stride", where_)
                let (padH, padW) = c.hasPadH || c.hasPadW ? (Int(c.padH), Int(c.padW)) : (Int(c.pad.first ?? 0), Int(c.pad.first ?? 0))
                guard c.dilation.allSatisfy({ $0 == 1 }), c.axis == 1 else { throw NetsError("\(where_): dilation and a channel axis other than 1 are not supported") }
                guard c.numOutput > 0 else { throw NetsError("\(where_): num_output must be positive") }
                let groups = Int(c.group)
                guard groups > 0, shape.c % groups == 0, Int(c.numOutput) % groups == 0 else {
                    throw NetsError("\(where_): \(shape.c) input and \(c.numOutput) output channels do not split into \(groups) groups")
                }
                emit(.conv, Layer(op: .conv, name: layer.name, out: Int(c.numOutput), kernel: kernel, stride: stride,
                                  padding: [padH, padW, padH, padW], groups: groups, bias: c.biasTerm))
                parameterized.append((layer.name, .conv(out: Int(c.numOutput), inPerGroup: shape.c / groups, kernel: kernel, bias: c.biasTerm)))
                shape = (Int(c.numOutput), (shape.h + 2 * padH - kernel) / stride + 1, (shape.w + 2 * padW - kernel) / stride + 1)
            case "BatchNorm":
                // Its γ and β live in the Scale layer that reads its output, when there is one.
                if index < layers.count, layers[index].type == "Scale", layers[index].bottoms == [top] {
                    let scale = layers[index]
                    guard scale.parameters.scaleParam.biasTerm, scale.parameters.scaleParam.axis == 1,
                          scale.parameters.scaleParam.numAxes == 1, scale.tops.count == 1 else {
                        throw NetsError("\(net.source): layer '\(scale.name)' (Scale) after batch norm '\(layer.name)' must scale "
                                        + "and shift each channel (axis 1, num_axes 1, bias_term true)")
                    }
                    scaleOf[layer.name] = scale.name
                    parameterized.append((layer.name, .batchnorm(channels: shape.c)))
                    index += 1
                    nodes.append(GraphNode(id: layer.name, op: .batchnorm, inputs: sources, module: layer.name,
                                           layer: .batchnorm(layer.name, eps: p.batchNormParam.eps)))
                    writer[scale.tops[0]] = layer.name
                    shapes[scale.tops[0]] = shape
                    continue
                }
                emit(.batchnorm, .batchnorm(layer.name, eps: p.batchNormParam.eps))
                parameterized.append((layer.name, .batchnorm(channels: shape.c)))
            case "ReLU":
                guard p.reluParam.negativeSlope == 0 else { throw NetsError("\(where_): a leaky ReLU (negative_slope \(p.reluParam.negativeSlope)) is not supported") }
                emit(.relu, .relu)
            case "Pooling":
                let q = p.poolingParam
                let global = q.globalPooling
                let kernel = global ? shape.h : try square(q.hasKernelSize ? Int(q.kernelSize) : nil, q.hasKernelH ? Int(q.kernelH) : nil,
                                                           q.hasKernelW ? Int(q.kernelW) : nil, "kernel", where_)
                let stride = global ? 1 : try square(q.hasStrideH ? nil : Int(q.stride), q.hasStrideH ? Int(q.strideH) : nil,
                                                     q.hasStrideW ? Int(q.strideW) : nil, "stride", where_)
                let pad = q.hasPadH || q.hasPadW ? Int(q.padH) : Int(q.pad)
                guard !(q.hasPadH || q.hasPadW) || q.padH == q.padW else { throw NetsError("\(where_): unequal padding is not supported") }
                /// The map after a windowed pooling, rounded up as Caffe rounds.
                func pooled() -> Shape {
                    (shape.c, pooledSize(shape.h, kernel: kernel, stride: stride, padding: pad, ceilMode: true),
                     pooledSize(shape.w, kernel: kernel, stride: stride, padding: pad, ceilMode: true))
                }
                switch q.pool {
                case .ave where global || (pad == 0 && kernel == shape.h && kernel == shape.w):
                    emit(.globalAvgPool, .globalAvgPool)
                    shape = (shape.c, 0, 0)
                case .ave:
                    emit(.avgpool, Layer(op: .avgpool, kernel: kernel, stride: stride, padding: [pad], ceilMode: true, countIncludePad: true))
                    shape = pooled()
                case .max:
                    guard !global else { throw NetsError("\(where_): global max pooling is not supported") }
                    emit(.maxpool, Layer(op: .maxpool, kernel: kernel, stride: stride, padding: [pad], ceilMode: true))
                    shape = pooled()
                case .stochastic:
                    throw NetsError("\(where_): stochastic pooling is not supported")
                }
            case "InnerProduct":
                let q = p.innerProductParam
                guard shape.h == 0 || (shape.h == 1 && shape.w == 1) else {
                    throw NetsError("\(where_): an inner product must follow global pooling (it reads a \(shape.h)x\(shape.w) map)")
                }
                guard q.axis == 1, !q.transpose, q.numOutput > 0 else { throw NetsError("\(where_): only axis 1, untransposed, is supported") }
                emit(.linear, Layer(op: .linear, name: layer.name, out: Int(q.numOutput), bias: q.biasTerm))
                parameterized.append((layer.name, .linear(out: Int(q.numOutput), in: shape.c, bias: q.biasTerm)))
                shape = (Int(q.numOutput), 0, 0)
            case "Eltwise":
                let q = p.eltwiseParam
                guard q.operation == .sum else {
                    throw NetsError("\(where_): operation \(q.operation == .prod ? "PROD" : "MAX") is not a residual add; only SUM is supported")
                }
                guard layer.bottoms.count == 2 else { throw NetsError("\(where_): sums \(layer.bottoms.count) blobs; residual blocks sum two") }
                guard q.coeff.isEmpty || q.coeff.count == 2 else {
                    throw NetsError("\(where_): \(q.coeff.count) coefficients for 2 inputs")
                }
                for (blob, coefficient) in zip(layer.bottoms, q.coeff) where coefficient != 1 {
                    try foldCoefficient(coefficient, into: writer[blob]!, blob: blob, nodes: nodes, where_)
                }
                guard let other = shapes[layer.bottoms[1]], other == shape else {
                    throw NetsError("\(where_): sums \(shape) and \(shapes[layer.bottoms[1]].map { "\($0)" } ?? "an unknown shape")")
                }
                emit(.add)
            case "Softmax":
                emit(.softmax)
            case "Dropout":
                emit(.identity)
            case "Flatten":
                guard shape.h == 0 || (shape.h == 1 && shape.w == 1) else { throw NetsError("\(where_): only a flatten after pooling is supported") }
                emit(.flatten, Layer(op: .flatten))
                shape = (shape.c, 0, 0)
            case "Scale":
                throw NetsError("\(where_): a Scale layer is supported only right after a BatchNorm layer")
            default:
                throw NetsError("\(where_): this layer type cannot be mapped to Unravel's engine")
            }
            guard shape.h >= 0, shape.w >= 0 else { throw NetsError("\(where_): the map is too small") }
            shapes[top] = shape
        }
        try checkCoefficients(nodes)
        return LayerGraph(nodes: nodes)
    }

    /// Records `coefficient` for the convolution or batch norm that writes `blob` into the sum
    /// `add`; `checkCoefficients` then makes sure nothing else reads that layer's output.
    private mutating func foldCoefficient(_ coefficient: Float, into node: String, blob: String, nodes: [GraphNode],
                                          _ where_: String) throws {
        let foldable = nodes.last { $0.id == node }.map { [.conv, .batchnorm].contains($0.op) } ?? false
        guard foldable, coefficientOf[node] == nil else { throw coefficientError(coefficient, blob, where_) }
        coefficientOf[node] = coefficient
        pendingCoefficients.append((node, coefficient, blob, where_))
    }

    /// Scaling a layer that another layer also reads would change that reader too.
    private func checkCoefficients(_ nodes: [GraphNode]) throws {
        for (node, coefficient, blob, where_) in pendingCoefficients where nodes.filter({ $0.inputs.contains(node) }).count != 1 {
            throw coefficientError(coefficient, blob, where_)
        }
    }

    private func coefficientError(_ coefficient: Float, _ blob: String, _ where_: String) -> NetsError {
        NetsError("\(where_): coefficient \(coefficient) on '\(blob)' is supported only when that blob comes straight from "
                  + "a Convolution or BatchNorm(+Scale) that nothing else reads; an identity shortcut cannot be scaled")
    }

    /// One size for both axes, from `size` or the (h, w) pair, which must agree.
    private func square(_ size: Int?, _ h: Int?, _ w: Int?, _ what: String, _ where_: String) throws -> Int {
        if let h, let w {
            guard h == w else { throw NetsError("\(where_): a \(h)x\(w) \(what) is not square; only square ones are supported") }
            return h
        }
        guard let size, size > 0 else { throw NetsError("\(where_): no \(what) size") }
        return size
    }
}

extension CaffeNet {
    /// The network's blocks, found by the same rule as every importer's.
    public func architecture() throws -> Architecture {
        var converter = CaffeConverter(self)
        return try converter.architecture()
    }
}
