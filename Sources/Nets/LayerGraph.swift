/// A network as its importer captured it: a graph of layers in topological order, before any
/// residual block is found. The PyTorch and ONNX exporters write it into the model file, and the
/// Keras reader builds it; `BlockFinder` turns every one of them into an `Architecture` by the
/// same rule (docs/architecture.md).
public struct LayerGraph: Codable, Equatable, Sendable {
    public var nodes: [GraphNode]
    /// Modules (by path) that are blocks even without a shortcut: the plain control network's
    /// blocks, or a highway network's transitions, which no add node marks.
    public var plainBlocks: [String]

    public init(nodes: [GraphNode], plainBlocks: [String] = []) {
        self.nodes = nodes
        self.plainBlocks = plainBlocks
    }

    enum CodingKeys: String, CodingKey {
        case nodes
        case plainBlocks = "plain_blocks"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        nodes = try c.decode([GraphNode].self, forKey: .nodes)
        plainBlocks = try c.decodeIfPresent([String].self, forKey: .plainBlocks) ?? []
    }
}

/// One node: an operation, the nodes it reads, and where it came from.
public struct GraphNode: Codable, Equatable, Sendable {
    public enum Op: String, Codable, Sendable {
        case input
        // Layers: their parameters are a `Layer`.
        case conv, batchnorm, relu, maxpool, avgpool, flatten, linear
        case globalAvgPool = "global_avg_pool"
        case squeezeExcitation = "squeeze_excitation"
        case groupnorm, silu
        case channelConv = "channel_conv"
        // Joins and gates, which the block finder turns into blocks.
        case add, mul, sigmoid
        /// 1 − x (a highway network's carry gate).
        case oneMinus = "one_minus"
        /// x[:, :, ::stride, ::stride] (option A's shortcut, and ResNet50V2's 1x1 max pooling).
        case subsample
        /// `before` zero channels ahead of the input's and `after` behind (option A).
        case padChannels = "pad_channels"
        /// Dropout and stochastic depth at inference.
        case identity
        /// A final softmax: dropped, since Unravel works on logits.
        case softmax

        var layerOp: Layer.Op? {
            switch self {
            case .conv: .conv
            case .batchnorm: .batchnorm
            case .relu: .relu
            case .maxpool: .maxpool
            case .avgpool: .avgpool
            case .flatten: .flatten
            case .linear: .linear
            case .globalAvgPool: .globalAvgPool
            case .squeezeExcitation: .squeezeExcitation
            case .groupnorm: .groupnorm
            case .silu: .silu
            case .channelConv: .channelConv
            default: nil
            }
        }
    }

    public var id: String
    public var op: Op
    public var inputs: [String]
    /// The module path (PyTorch) or layer name (Keras) it belongs to, for messages and names.
    public var module: String?
    /// The layer's parameters when `op` is a layer.
    public var layer: Layer?
    /// subsample
    public var stride: Int?
    /// pad_channels
    public var before: Int?
    public var after: Int?

    public init(id: String, op: Op, inputs: [String], module: String? = nil, layer: Layer? = nil,
                stride: Int? = nil, before: Int? = nil, after: Int? = nil) {
        self.id = id
        self.op = op
        self.inputs = inputs
        self.module = module
        self.layer = layer
        self.stride = stride
        self.before = before
        self.after = after
    }

    /// A layer node, its parameters taken from `layer`.
    public init(id: String, layer: Layer, inputs: [String], module: String? = nil) {
        let op = Op.allLayerOps.first { $0.layerOp == layer.op }!
        self.init(id: id, op: op, inputs: inputs, module: module, layer: layer)
    }

    /// "node 'layer1_0_conv1' (conv) in module 'layer1.0.conv1'".
    public var described: String {
        "node '\(id)' (\(op.rawValue))" + (module.map { $0.isEmpty ? "" : " in module '\($0)'" } ?? "")
    }

    enum CodingKeys: String, CodingKey { case id, op, inputs, module, stride, before, after }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        op = try c.decode(Op.self, forKey: .op)
        inputs = try c.decodeIfPresent([String].self, forKey: .inputs) ?? []
        module = try c.decodeIfPresent(String.self, forKey: .module)
        // A layer's fields sit beside the node's own, as in the block form: its "stride" is the layer's.
        layer = op.layerOp == nil ? nil : try Layer(from: decoder)
        stride = layer == nil ? try c.decodeIfPresent(Int.self, forKey: .stride) : nil
        before = try c.decodeIfPresent(Int.self, forKey: .before)
        after = try c.decodeIfPresent(Int.self, forKey: .after)
    }

    public func encode(to encoder: Encoder) throws {
        if let layer { try layer.encode(to: encoder) }
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(op, forKey: .op)
        try c.encode(inputs, forKey: .inputs)
        try c.encodeIfPresent(module, forKey: .module)
        if layer == nil { try c.encodeIfPresent(stride, forKey: .stride) }
        try c.encodeIfPresent(before, forKey: .before)
        try c.encodeIfPresent(after, forKey: .after)
    }
}

extension GraphNode.Op {
    static let allLayerOps: [GraphNode.Op] = [.conv, .batchnorm, .relu, .maxpool, .avgpool, .flatten, .linear, .globalAvgPool,
                                               .squeezeExcitation, .groupnorm, .silu, .channelConv]
}
