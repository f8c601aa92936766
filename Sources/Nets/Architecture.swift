/// A network described as data: stem → residual blocks in stages → head. Model files store it as
/// JSON (docs/model-format.md); the exporters in notebooks-export/ write it.
public struct Architecture: Codable, Equatable, Sendable {
    public var name: String
    public var input: InputShape
    public var preprocessing: Preprocessing
    public var stem: [Layer]
    public var blocks: [BlockSpec]
    public var head: [Layer]
    public var classes: Int
    /// What the network was trained with that inference leaves out, e.g. "stochastic depth":
    /// recorded by the exporters so that a lesion result can be read in its light.
    public var trainedWith: [String]
    /// The exporter found batch norm folded into the convolutions (an ONNX export's usual form):
    /// the statistics are gone, so they cannot be re-estimated.
    public var batchNormFolded = false

    public init(name: String, input: InputShape, preprocessing: Preprocessing = .identity,
                stem: [Layer], blocks: [BlockSpec], head: [Layer], classes: Int, trainedWith: [String] = []) {
        self.trainedWith = trainedWith
        self.name = name
        self.input = input
        self.preprocessing = preprocessing
        self.stem = stem
        self.blocks = blocks
        self.head = head
        self.classes = classes
    }

    enum CodingKeys: String, CodingKey {
        case name, input, preprocessing, stem, blocks, head, classes
        case trainedWith = "trained_with"
        case batchNormFolded = "batchnorm_folded"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        input = try c.decode(InputShape.self, forKey: .input)
        preprocessing = try c.decodeIfPresent(Preprocessing.self, forKey: .preprocessing) ?? .identity
        stem = try c.decode([Layer].self, forKey: .stem)
        blocks = try c.decode([BlockSpec].self, forKey: .blocks)
        head = try c.decode([Layer].self, forKey: .head)
        classes = try c.decode(Int.self, forKey: .classes)
        trainedWith = try c.decodeIfPresent([String].self, forKey: .trainedWith) ?? []
        batchNormFolded = try c.decodeIfPresent(Bool.self, forKey: .batchNormFolded) ?? false
    }

    /// Optional fields are written only when set, so files stay as they were before them.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(input, forKey: .input)
        try c.encode(preprocessing, forKey: .preprocessing)
        try c.encode(stem, forKey: .stem)
        try c.encode(blocks, forKey: .blocks)
        try c.encode(head, forKey: .head)
        try c.encode(classes, forKey: .classes)
        if !trainedWith.isEmpty { try c.encode(trainedWith, forKey: .trainedWith) }
        if batchNormFolded { try c.encode(true, forKey: .batchNormFolded) }
    }

    /// Every kind of layer the network holds, in the stem, the blocks (shortcuts and gates too),
    /// the head and inside squeeze-excitation.
    public var layerOps: Set<Layer.Op> {
        func ops(_ layers: [Layer]) -> [Layer.Op] { layers.flatMap { [$0.op] + ops($0.layers ?? []) } }
        let lists = [stem, head] + blocks.flatMap { [$0.preact, $0.branch, $0.shortcut.layers ?? [], $0.gate.map { [$0] } ?? []] }
        return Set(lists.flatMap(ops))
    }
}

public struct InputShape: Codable, Equatable, Sendable {
    public var channels: Int
    public var height: Int
    public var width: Int

    public init(channels: Int, height: Int, width: Int) {
        self.channels = channels
        self.height = height
        self.width = width
    }
}

/// How stored images become network input:
/// x = (pixel * scale - meanImage[c, h, w] - mean[c]) / std[c].
public struct Preprocessing: Codable, Equatable, Sendable {
    public var scale: Float
    public var mean: [Float]
    public var std: [Float]
    /// The order the network expects. Dataset files say theirs.
    public var channelOrder: ChannelOrder
    /// The name the exporter was given ("imagenet", "cifar10", ...), or nil when the numbers were
    /// spelled out. For people: the numbers are what runs.
    public var preset: String?
    /// A per-pixel mean (C, H, W), subtracted after scaling, as Caffe-era models do. The JSON
    /// names the dataset in the model file that holds it; `ModelFile` reads it into `meanImage`.
    public var meanImageDataset: String?
    public var meanImage: [Float]?

    public init(scale: Float, mean: [Float], std: [Float], channelOrder: ChannelOrder = .RGB, preset: String? = nil,
                meanImage: [Float]? = nil) {
        self.scale = scale
        self.mean = mean
        self.std = std
        self.channelOrder = channelOrder
        self.preset = preset
        self.meanImage = meanImage
        self.meanImageDataset = meanImage == nil ? nil : "mean_image"
    }

    /// No change: float inputs used as they are.
    public static let identity = Preprocessing(scale: 1, mean: [], std: [])

    /// Whether it takes pixels in 0–255: it scales by 1/255, or subtracts a mean above 1 (or a
    /// mean image) from unscaled pixels, as Caffe models do.
    public var takesBytePixels: Bool {
        abs(scale * 255 - 1) < 1e-4 || (scale == 1 && (mean.contains { $0 > 1 } || meanImage != nil))
    }

    enum CodingKeys: String, CodingKey {
        case scale, mean, std, preset
        case channelOrder = "channel_order"
        case meanImageDataset = "mean_image"
    }

    /// One line for people: "imagenet: pixel × 0.00392, mean [...], std [...], RGB".
    public var summary: String {
        func list(_ values: [Float]) -> String { "[" + values.map { String(format: "%.4g", $0) }.joined(separator: ", ") + "]" }
        var parts = ["pixel × \(String(format: "%.6g", scale))"]
        if meanImage != nil || meanImageDataset != nil { parts.append("− mean image") }
        if !mean.isEmpty { parts.append("− \(list(mean))") }
        if !std.isEmpty { parts.append("÷ \(list(std))") }
        parts.append(channelOrder.rawValue)
        return (preset.map { "\($0): " } ?? "") + parts.joined(separator: ", ")
    }
}

/// The order of an image's colour channels.
public enum ChannelOrder: String, Codable, Sendable, CaseIterable {
    case RGB, BGR
}

/// One layer of a stem, branch, shortcut or head.
public struct Layer: Codable, Equatable, Sendable {
    public enum Op: String, Codable, Sendable {
        case conv, batchnorm, relu, maxpool
        case globalAvgPool = "global_avg_pool"
        case linear
        /// Average pooling with PyTorch's options (ResNet-D's shortcut: 2x2, ceil mode, padding
        /// not counted).
        case avgpool
        /// A no-op on pooled features or on a 1x1 map (PyTorch's flatten before the linear layer).
        case flatten
        /// y = x · sigmoid(expand(relu(reduce(mean over h, w of x)))), per channel: `layers`
        /// holds reduce (a 1x1 convolution with bias), relu and expand; or, for ECA, one
        /// channel_conv.
        case squeezeExcitation = "squeeze_excitation"
        /// Group normalisation over `groups` runs of channels, per image (`name`.weight, .bias).
        case groupnorm
        /// x · sigmoid(x) (SiLU or swish: timm's ByobNet ResNets, the '-ts' models).
        case silu
        /// ECA's excitation, inside squeeze_excitation: one filter of `kernel` taps across the
        /// channels of pooled features, zero-padded by `padding` (`name`.weight [1, 1, kernel]).
        case channelConv = "channel_conv"
    }

    public var op: Op
    /// The weight-name prefix: "layer1.0.conv1" owns "layer1.0.conv1.weight".
    public var name: String?
    public var out: Int?
    public var kernel: Int?
    public var stride: Int?
    /// [p] for symmetric padding, or [top, left, bottom, right].
    public var padding: [Int]?
    public var groups: Int?
    public var bias: Bool?
    public var eps: Float?
    /// maxpool: pad with zeros instead of -infinity (Keras' ZeroPadding2D then MaxPooling2D).
    public var zeroPadded: Bool?
    /// avgpool and maxpool: round the output size up (Caffe's pooling always does); avgpool:
    /// count padding in the divisor (PyTorch's defaults: false, true).
    public var ceilMode: Bool?
    public var countIncludePad: Bool?
    /// squeeze_excitation: its inner layers.
    public var layers: [Layer]?

    enum CodingKeys: String, CodingKey {
        case op, name, out, kernel, stride, padding, groups, bias, eps, zeroPadded, layers
        case ceilMode = "ceil_mode"
        case countIncludePad = "count_include_pad"
    }

    public init(op: Op, name: String? = nil, out: Int? = nil, kernel: Int? = nil, stride: Int? = nil,
                padding: [Int]? = nil, groups: Int? = nil, bias: Bool? = nil, eps: Float? = nil, zeroPadded: Bool? = nil,
                ceilMode: Bool? = nil, countIncludePad: Bool? = nil, layers: [Layer]? = nil) {
        self.zeroPadded = zeroPadded
        self.ceilMode = ceilMode
        self.countIncludePad = countIncludePad
        self.layers = layers
        self.op = op
        self.name = name
        self.out = out
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.groups = groups
        self.bias = bias
        self.eps = eps
    }

    public static func conv(_ name: String, out: Int, kernel: Int, stride: Int = 1, padding: Int? = nil,
                            groups: Int = 1, bias: Bool = false) -> Layer {
        Layer(op: .conv, name: name, out: out, kernel: kernel, stride: stride,
              padding: [padding ?? kernel / 2], groups: groups, bias: bias)
    }
    public static func batchnorm(_ name: String, eps: Float = 1e-5) -> Layer { Layer(op: .batchnorm, name: name, eps: eps) }
    public static let relu = Layer(op: .relu)
    public static func maxpool(kernel: Int, stride: Int, padding: Int) -> Layer {
        Layer(op: .maxpool, kernel: kernel, stride: stride, padding: [padding])
    }
    public static let globalAvgPool = Layer(op: .globalAvgPool)
    public static func linear(_ name: String, out: Int) -> Layer { Layer(op: .linear, name: name, out: out, bias: true) }
}

/// A block: a branch, a shortcut and a merge.
public struct BlockSpec: Codable, Equatable, Sendable {
    public enum Kind: String, Codable, Sendable {
        /// y = merge(shortcut(x) + branch(x)).
        case residual
        /// y = branch(x): the control without shortcuts.
        case plain
        /// y = H(x)T(x) + x(1 - T(x)), T = sigmoid(gate(x)).
        case highway
    }

    public var name: String
    /// Stages count from 1.
    public var stage: Int
    public var kind: Kind
    /// "basic", "bottleneck", ...: for people; the layers say what runs.
    public var form: String?
    /// Layers shared by branch and (optionally) shortcut, e.g. a pre-activation BN-ReLU.
    public var preact: [Layer]
    public var branch: [Layer]
    public var shortcut: Shortcut
    /// Whether the shortcut reads the block input or the pre-activation's output.
    public var shortcutFrom: ShortcutSource
    /// Post-activation ResNets apply ReLU after the add.
    public var mergeReLU: Bool
    /// The highway transform gate: a convolution with bias.
    public var gate: Layer?

    public init(name: String, stage: Int, kind: Kind, form: String? = nil, preact: [Layer] = [], branch: [Layer],
                shortcut: Shortcut = .identity, shortcutFrom: ShortcutSource = .input, mergeReLU: Bool = false, gate: Layer? = nil) {
        self.name = name
        self.stage = stage
        self.kind = kind
        self.form = form
        self.preact = preact
        self.branch = branch
        self.shortcut = shortcut
        self.shortcutFrom = shortcutFrom
        self.mergeReLU = mergeReLU
        self.gate = gate
    }

    enum CodingKeys: String, CodingKey {
        case name, stage, kind, form, preact, branch, shortcut, gate
        case shortcutFrom = "shortcut_from"
        case mergeReLU = "merge_relu"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        stage = try c.decode(Int.self, forKey: .stage)
        kind = try c.decode(Kind.self, forKey: .kind)
        form = try c.decodeIfPresent(String.self, forKey: .form)
        preact = try c.decodeIfPresent([Layer].self, forKey: .preact) ?? []
        branch = try c.decode([Layer].self, forKey: .branch)
        shortcut = try c.decodeIfPresent(Shortcut.self, forKey: .shortcut) ?? (kind == .plain ? .none : .identity)
        shortcutFrom = try c.decodeIfPresent(ShortcutSource.self, forKey: .shortcutFrom) ?? .input
        mergeReLU = try c.decodeIfPresent(Bool.self, forKey: .mergeReLU) ?? false
        gate = try c.decodeIfPresent(Layer.self, forKey: .gate)
    }
}

/// What a block's shortcut reads.
public enum ShortcutSource: String, Codable, Sendable {
    /// The block's input.
    case input
    /// The output of the layers shared by branch and shortcut (a pre-activation BN-ReLU).
    case preact
}

/// Where option A puts its zero channels: half before and half after the input channels
/// (akamaster's CIFAR code), or all after (fb.resnet.torch).
public enum ZeroPadPlacement: String, Codable, Sendable {
    case split, append
}

/// What carries x past the branch.
public struct Shortcut: Codable, Equatable, Sendable {
    public enum Kind: String, Codable, Sendable {
        case identity
        /// Option A: subsample by `stride` (top-left pixel) and add zero channels up to `out`.
        case zeroPad = "zero_pad"
        /// Options B and C: a 1x1 convolution (and usually a batch norm).
        case projection
        /// Plain blocks.
        case none
    }

    public var kind: Kind
    public var stride: Int?
    public var out: Int?
    /// Option A's zero channels (split when absent).
    public var placement: ZeroPadPlacement?
    public var layers: [Layer]?

    public init(kind: Kind, stride: Int? = nil, out: Int? = nil, placement: ZeroPadPlacement? = nil, layers: [Layer]? = nil) {
        self.kind = kind
        self.stride = stride
        self.out = out
        self.placement = placement
        self.layers = layers
    }

    public static let identity = Shortcut(kind: .identity)
    public static let none = Shortcut(kind: .none)
}
