/// What `lesion info` shows: blocks, parameters and cost.
public struct NetworkSummary: Codable, Sendable {
    public enum ChannelGate: String, Codable, Sendable {
        /// Hu et al.'s squeeze-excitation: reduce, ReLU, expand.
        case squeezeExcitation = "SE"
        /// Wang et al.'s ECA: a 1-D convolution across the channels.
        case eca = "ECA"
    }

    public struct BlockSummary: Codable, Sendable {
        public var index: Int
        public var name: String
        public var stage: Int
        public var kind: String
        public var form: String?
        /// A norm and ReLU open the branch (He et al.'s identity mappings), not close the block.
        public var preactivation: Bool
        /// How the branch gates its channels, if it does: squeeze-excitation or ECA.
        public var channelGate: ChannelGate?
        public var shortcut: String
        public var downsampling: Bool
        public var input: [Int]
        public var output: [Int]
        public var parameters: Int
        /// Multiply-accumulates per image.
        public var macs: Int
    }

    public var name: String
    public var input: [Int]
    public var classes: Int
    public var parameters: Int
    public var macs: Int
    /// What the model file declares, in one line ("imagenet: pixel × 0.00392157, ...").
    public var preprocessing: String
    public var trainedWith: [String]
    public var batchNormFolded: Bool
    /// Whether any layer is a group norm (per image: no statistics to re-estimate).
    public var groupNorm: Bool
    public var blocks: [BlockSummary]
}

extension Step {
    /// (parameters, multiply-accumulates per image) given the step's input [h, w, c] or [f].
    func cost(input: [Int]) -> (parameters: Int, macs: Int, output: [Int]) {
        switch self {
        case .conv(let conv, _):
            let g = conv.geometry
            let size = g.outputSize(height: input[0], width: input[1])
            let parameters = g.weightCount + g.outChannels
            return (parameters, g.weightCount * size.height * size.width, [size.height, size.width, g.outChannels])
        case .scaleShift(let bn, _): return (2 * bn.scale.count, 0, input)
        case .groupNorm(let norm, _): return (2 * norm.channels, 0, input)
        case .relu, .silu: return (0, 0, input)
        case .maxPool(let pool):
            let (h, w) = pool.outputSize(input[0], input[1])
            return (0, 0, [h, w, input[2]])
        case .avgPool(let pool):
            let (h, w) = pool.outputSize(input[0], input[1])
            return (0, 0, [h, w, input[2]])
        case .squeezeExcitation(let se):
            switch se.excitation {
            case .bottleneck(let reduce, let expand):
                let weights = reduce.weight.count + expand.weight.count
                return (weights + reduce.outFeatures + expand.outFeatures, weights, input)
            case .channelConvolution(let conv):
                return (conv.taps.count + (conv.bias == nil ? 0 : 1), conv.taps.count * input[2], input)
            }
        case .globalAvgPool: return (0, 0, [input[2]])
        case .linear(let linear):
            return (linear.weight.count + linear.outFeatures, linear.weight.count, [linear.outFeatures])
        }
    }
}

extension Program {
    func cost(input: [Int]) -> (parameters: Int, macs: Int) {
        var shape = input
        var total = (parameters: 0, macs: 0)
        for step in steps {
            let c = step.cost(input: shape)
            total.parameters += c.parameters
            total.macs += c.macs
            shape = c.output
        }
        return total
    }
}

extension Network {
    /// Blocks, learnable parameters and multiply-accumulates per image.
    public var summary: NetworkSummary {
        var macs = 0
        let input = [architecture.input.height, architecture.input.width, architecture.input.channels]
        let stemCost = stem.cost(input: input)
        macs += stemCost.macs
        let blockSummaries = blocks.map { block -> NetworkSummary.BlockSummary in
            var cost = block.preact.cost(input: block.inputShape)
            let body = block.body.cost(input: block.inputShape)
            cost.parameters += body.parameters; cost.macs += body.macs
            if let last = block.lastConv {
                let c = Step.conv(last, relu: false).cost(input: block.body.steps.isEmpty ? block.inputShape : bodyOutput(block))
                cost.parameters += c.parameters; cost.macs += c.macs
            }
            if case .projection(let program) = block.shortcut {
                let c = program.cost(input: block.inputShape)
                cost.parameters += c.parameters; cost.macs += c.macs
            }
            if let gate = block.gate {
                let c = Step.conv(gate, relu: false).cost(input: block.inputShape)
                cost.parameters += c.parameters; cost.macs += c.macs
            }
            macs += cost.macs
            return .init(index: block.index, name: block.spec.name, stage: block.spec.stage, kind: block.spec.kind.rawValue,
                         form: block.spec.form, preactivation: isPreactivation(block.spec, index: block.index),
                         channelGate: channelGate(block),
                         shortcut: shortcutName(block), downsampling: block.isDownsampling,
                         input: block.inputShape, output: block.outputShape, parameters: blockParameters[block.index],
                         macs: cost.macs)
        }
        let last = blocks.last?.outputShape ?? input
        let headCost = head.cost(input: last)
        macs += headCost.macs
        return NetworkSummary(name: architecture.name, input: input, classes: architecture.classes,
                              parameters: parameterCount, macs: macs, preprocessing: architecture.preprocessing.summary,
                              trainedWith: architecture.trainedWith, batchNormFolded: architecture.batchNormFolded,
                              groupNorm: architecture.layerOps.contains(.groupnorm), blocks: blockSummaries)
    }

    private func channelGate(_ block: Block) -> NetworkSummary.ChannelGate? {
        for step in block.preact.steps + block.body.steps {
            guard case .squeezeExcitation(let gate) = step else { continue }
            if case .channelConvolution = gate.excitation { return .eca }
            return .squeezeExcitation
        }
        return nil
    }

    /// A residual block with no ReLU after its add whose branch opens with a norm. The first
    /// block's opening norm may sit at the stem's end (the block finder puts the layers before
    /// the first add in the stem): it counts when a later block is pre-activation by its own.
    private func isPreactivation(_ spec: BlockSpec, index: Int) -> Bool {
        let norms: Set<Layer.Op> = [.batchnorm, .groupnorm]
        func opensWithNorm(_ spec: BlockSpec) -> Bool {
            spec.kind == .residual && !spec.mergeReLU
                && (spec.preact + spec.branch).prefix(while: { $0.op != .conv }).contains { norms.contains($0.op) }
        }
        if opensWithNorm(spec) { return true }
        guard index == 0, spec.kind == .residual, !spec.mergeReLU,
              architecture.blocks.dropFirst().contains(where: opensWithNorm) else { return false }
        return architecture.stem.reversed().prefix(while: { $0.op != .conv }).contains { norms.contains($0.op) }
    }

    private func bodyOutput(_ block: Block) -> [Int] {
        var shape = block.inputShape
        for step in block.preact.steps + block.body.steps { shape = step.cost(input: shape).output }
        return shape
    }

    private func shortcutName(_ block: Block) -> String {
        switch block.shortcut {
        case .identity: return "identity"
        case .zeroPad(let pad): return "zero-pad (option A, \(pad.before == 0 ? "append" : "split"))"
        case .projection: return "projection"
        case .none: return block.spec.kind == .highway ? "carry gate" : "none"
        }
    }
}
