/// A residual, plain or highway block compiled from its spec, the compiler's shape carried from
/// its input to its output.
extension Compiler {
    /// The branch's trailing convolution (and its batch norm) is kept apart, so the block can fuse
    /// it with the residual add.
    mutating func compileBlock(_ spec: BlockSpec, index: Int) throws -> Block {
        let context = "block \(index) ('\(spec.name)')"
        let inputShape = shape
        let preact = try compile(spec.preact, context: "\(context) preact")
        let afterPreact = self
        var layers = spec.branch
        var lastLayers: [Layer] = []
        // A trailing conv (+ BN) with no ReLU after it is fused with the residual add (and, in a
        // plain block, with the block's ReLU).
        if spec.kind != .highway, let convAt = layers.lastIndex(where: { $0.op == .conv }),
           layers[convAt...].allSatisfy({ $0.op == .conv || $0.op == .batchnorm }), layers.count - convAt <= 2 {
            lastLayers = Array(layers[convAt...])
            layers.removeSubrange(convAt...)
        }
        let body = try compile(layers, context: "\(context) branch")
        var lastConv: Convolution? = nil
        if !lastLayers.isEmpty {
            let program = try compile(lastLayers, context: "\(context) branch end")
            guard case .conv(let conv, false)? = program.steps.first, program.steps.count == 1 else {
                throw NetsError("\(context): internal error fusing the branch's last convolution")
            }
            lastConv = conv
        }
        let outputShape = shape
        var shortcut = Block.ShortcutOp.none
        var gate: Convolution? = nil
        var shortcutCompiler = afterPreact
        if spec.shortcutFrom == .input {
            (shortcutCompiler.channels, shortcutCompiler.height, shortcutCompiler.width) = (inputShape[2], inputShape[0], inputShape[1])
        }
        switch spec.kind {
        case .residual:
            switch spec.shortcut.kind {
            case .identity:
                guard inputShape == outputShape else {
                    throw NetsError("\(context): an identity shortcut cannot map \(inputShape) to \(outputShape); use zero_pad or projection")
                }
                shortcut = .identity
            case .zeroPad:
                let pad = try ZeroPadShortcut(stride: spec.shortcut.stride ?? 2, inChannels: inputShape[2],
                                              outChannels: spec.shortcut.out ?? outputShape[2],
                                              placement: spec.shortcut.placement ?? .split)
                guard Array(pad.outputShape([1] + inputShape).dropFirst()) == outputShape else {
                    throw NetsError("\(context): the option-A shortcut gives \(Array(pad.outputShape([1] + inputShape).dropFirst())), the branch \(outputShape)")
                }
                shortcut = .zeroPad(pad)
            case .projection:
                let program = try shortcutCompiler.compile(spec.shortcut.layers ?? [], context: "\(context) shortcut")
                guard shortcutCompiler.shape == outputShape else {
                    throw NetsError("\(context): the projection shortcut gives \(shortcutCompiler.shape), the branch \(outputShape)")
                }
                shortcut = .projection(program)
            case .none:
                throw NetsError("\(context): a residual block needs a shortcut (identity, zero_pad or projection)")
            }
        case .plain:
            guard spec.shortcut.kind == .none else { throw NetsError("\(context): a plain block has no shortcut") }
        case .highway:
            guard inputShape == outputShape else {
                throw NetsError("\(context): a highway layer must keep the shape, but maps \(inputShape) to \(outputShape)")
            }
            guard let gateLayer = spec.gate, gateLayer.op == .conv else {
                throw NetsError("\(context): a highway block needs a 'gate' convolution")
            }
            var gateCompiler = shortcutCompiler
            gate = try gateCompiler.convolution(gateLayer, at: "\(context) gate")
            guard gateCompiler.shape == inputShape else {
                throw NetsError("\(context): the gate gives \(gateCompiler.shape), expected \(inputShape)")
            }
        }
        return Block(spec: spec, index: index, preact: preact, body: body, lastConv: lastConv, shortcut: shortcut,
                     gate: gate, inputShape: inputShape, outputShape: outputShape)
    }
}
