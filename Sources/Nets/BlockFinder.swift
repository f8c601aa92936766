/// The one rule that turns a captured layer graph into stem → blocks → head, for every importer
/// (Keras here; PyTorch and ONNX through the graph their exporters write):
/// - each add node is a residual block: of the two chains that lead back to where its inputs
///   meet, the one with more convolutions is the branch and the other the shortcut;
/// - a ReLU right after the add is the block's merge;
/// - layers between two blocks are the next block's pre-activation, shared by branch and
///   shortcut when the shortcut reads their output;
/// - add(H·T, x·(1 − T)) with T = sigmoid(conv(x)) is a highway layer;
/// - x · sigmoid(… mean(x)) is squeeze-excitation, one layer of the branch;
/// - modules named in `plainBlocks` are blocks without shortcuts (the plain control).
/// Anything it cannot map exactly is an error naming the node, its op and its module.
public struct BlockFinder {
    let source: String
    private var nodes: [String: GraphNode] = [:]
    private var order: [String] = []
    private let plainBlocks: [String]

    public init(_ graph: LayerGraph, source: String) throws {
        self.source = source
        plainBlocks = graph.plainBlocks
        var alias: [String: String] = [:]
        func resolve(_ id: String) -> String { alias[id].map(resolve) ?? id }
        for var node in graph.nodes {
            guard nodes[node.id] == nil, alias[node.id] == nil else {
                throw NetsError("\(source): two graph nodes are called '\(node.id)'")
            }
            node.inputs = node.inputs.map(resolve)
            for input in node.inputs where nodes[input] == nil {
                throw NetsError("\(source): \(node.described) reads '\(input)', which no earlier node defines")
            }
            if node.op == .identity {
                guard node.inputs.count == 1 else { throw NetsError("\(source): \(node.described) must read one input") }
                alias[node.id] = node.inputs[0]
                continue
            }
            nodes[node.id] = node
            order.append(node.id)
        }
        try collapseSqueezeExcitation()
    }

    // MARK: - Graph queries

    private func consumers(of id: String) -> [String] { order.filter { nodes[$0]!.inputs.contains(id) } }

    private func node(_ id: String) -> GraphNode { nodes[id]! }

    /// The nodes after `start` up to `end` (inclusive), following single inputs back from `end`.
    private func chain(from start: String, to end: String) throws -> [GraphNode] {
        var result: [GraphNode] = []
        var current = end
        while current != start {
            let n = node(current)
            guard n.inputs.count == 1 else {
                if n.op == .input {
                    throw NetsError("\(source): no chain of layers leads from '\(start)' to '\(end)': a shortcut that "
                                    + "spans more than one block, or a join that is not a residual add")
                }
                throw NetsError("\(source): \(n.described) joins \(n.inputs.count) inputs where a chain of "
                                + "single-input layers from '\(start)' was expected")
            }
            result.append(n)
            current = n.inputs[0]
        }
        return result.reversed()
    }

    /// Where two inputs of an add meet: the nearest node both lead back to through single inputs.
    private func meetingPoint(_ a: String, _ b: String, at add: GraphNode) throws -> String {
        var ancestors: [String] = [b]
        var current = b
        while node(current).inputs.count == 1 {
            current = node(current).inputs[0]
            ancestors.append(current)
        }
        current = a
        while true {
            if ancestors.contains(current) { return current }
            let n = node(current)
            guard n.inputs.count == 1 else {
                let why = n.op == .add
                    ? "its shortcut spans more than one block (it passes \(n.described)); only shortcuts around one block are unraveled"
                    : n.op == .input ? "they reach the input separately" : "\(n.described) joins \(n.inputs.count) inputs on the way back"
                throw NetsError("\(source): the two inputs of \(add.described) ('\(a)', '\(b)') do not lead back to one node: \(why)")
            }
            current = n.inputs[0]
        }
    }

    /// x · sigmoid(chain(mean(x))) becomes one squeeze_excitation node.
    private mutating func collapseSqueezeExcitation() throws {
        for id in order where node(id).op == .mul {
            let mul = node(id)
            guard mul.inputs.count == 2 else { continue }
            for (x, g) in [(mul.inputs[0], mul.inputs[1]), (mul.inputs[1], mul.inputs[0])] where node(g).op == .sigmoid {
                guard let path = try? chain(from: x, to: g), path.count >= 3, path[0].op == .globalAvgPool,
                      path.dropLast().allSatisfy({ consumers(of: $0.id).count == 1 }) else { continue }
                let inner = try path.dropFirst().dropLast().map { try layer($0, in: "squeeze-excitation") }
                let se = Layer(op: .squeezeExcitation, layers: inner)
                nodes[id] = GraphNode(id: id, op: .squeezeExcitation, inputs: [x], module: mul.module, layer: se)
                for removed in path { nodes[removed.id] = nil }
                order.removeAll { id in path.contains { $0.id == id } }
                break
            }
        }
    }

    // MARK: - Mapping

    private func layer(_ n: GraphNode, in part: String) throws -> Layer {
        guard let layer = n.layer, n.op.layerOp != nil else {
            throw NetsError("\(source): \(n.described) cannot be part of a \(part); only layers can "
                            + "(conv, batchnorm, groupnorm, relu, silu, pooling, flatten, linear, squeeze-excitation)")
        }
        return layer
    }

    private func layers(_ chain: [GraphNode], in part: String) throws -> [Layer] {
        try chain.map { try layer($0, in: part) }
    }

    private func shortcut(_ chain: [GraphNode], of add: GraphNode) throws -> Shortcut {
        if chain.isEmpty { return .identity }
        let ops = chain.map(\.op)
        if ops == [.subsample] || ops == [.subsample, .padChannels] || ops == [.padChannels, .subsample] {
            let subsample = chain.first { $0.op == .subsample }!
            let pad = chain.first { $0.op == .padChannels }
            let (before, after) = (pad?.before ?? 0, pad?.after ?? 0)
            let placement: ZeroPadPlacement
            if before == 0 { placement = .append }
            else if before == (before + after) / 2 { placement = .split }
            else {
                throw NetsError("\(source): \(pad!.described) puts \(before) zero channels before and \(after) after; "
                                + "Unravel's option-A shortcut puts half the new channels before (split) or all after (append)")
            }
            return Shortcut(kind: .zeroPad, stride: subsample.stride ?? 2, placement: placement)
        }
        return Shortcut(kind: .projection, layers: try layers(chain, in: "shortcut of \(add.described)"))
    }

    private func convCount(_ layers: [Layer]) -> Int { layers.filter { $0.op == .conv }.count }

    private func isModule(_ n: GraphNode, in module: String) -> Bool {
        guard let m = n.module else { return false }
        return m == module || m.hasPrefix(module + ".")
    }

    /// The highway pattern add(H·T, x·(1 − T)), T = sigmoid(gate(x)): (x, H's chain, the gate).
    private func highway(_ add: GraphNode) throws -> (x: String, transform: [GraphNode], gate: GraphNode)? {
        guard add.inputs.count == 2 else { return nil }
        for (p, q) in [(add.inputs[0], add.inputs[1]), (add.inputs[1], add.inputs[0])] {
            let (gated, carried) = (node(p), node(q))
            guard gated.op == .mul, carried.op == .mul, gated.inputs.count == 2, carried.inputs.count == 2 else { continue }
            for (x, oneMinus) in [(carried.inputs[0], carried.inputs[1]), (carried.inputs[1], carried.inputs[0])] {
                let om = node(oneMinus)
                guard om.op == .oneMinus, om.inputs.count == 1, node(om.inputs[0]).op == .sigmoid else { continue }
                let t = om.inputs[0]
                guard gated.inputs.contains(t), let h = gated.inputs.first(where: { $0 != t }) else { continue }
                let sigmoid = node(t)
                guard sigmoid.inputs.count == 1, node(sigmoid.inputs[0]).op == .conv, node(sigmoid.inputs[0]).inputs == [x] else {
                    throw NetsError("\(source): \(add.described) looks like a highway layer, but its gate is not "
                                    + "sigmoid(conv(x)) of the layer's input")
                }
                return (x, try chain(from: x, to: h), node(sigmoid.inputs[0]))
            }
        }
        return nil
    }

    // MARK: - The walk

    /// Stem, blocks and head.
    public func architecture(name: String, input: InputShape, preprocessing: Preprocessing = .identity,
                             classes: Int? = nil, trainedWith: [String] = []) throws -> Architecture {
        let inputs = order.filter { node($0).op == .input }
        guard inputs.count == 1 else { throw NetsError("\(source): the graph needs exactly one input node, found \(inputs.count)") }
        var outputs = order.filter { consumers(of: $0).isEmpty }
        if outputs.count == 1, node(outputs[0]).op == .softmax { outputs = node(outputs[0]).inputs }   // Unravel works on logits
        guard outputs.count == 1, let output = outputs.first else {
            throw NetsError("\(source): the graph must end in one output, found \(outputs.count): \(outputs.prefix(4).joined(separator: ", "))")
        }

        var stem: [Layer] = []
        var blocks: [BlockSpec] = []
        var boundary = inputs[0]
        var pending: [Layer] = []   // loose layers waiting for the block they open

        // Layers from the last block's output up to `end`: a merge ReLU, plain blocks, and loose
        // layers left in `pending`.
        func takeGap(_ gap: [GraphNode]) throws {
            var gap = gap
            if let last = blocks.last, last.kind == .residual, !last.mergeReLU, pending.isEmpty, gap.first?.op == .relu {
                blocks[blocks.count - 1].mergeReLU = true
                gap.removeFirst()
            }
            var index = 0
            while index < gap.count {
                if let module = plainBlocks.first(where: { isModule(gap[index], in: $0) }) {
                    var end = index
                    while end < gap.count, isModule(gap[end], in: module) { end += 1 }
                    var branch = try layers(Array(gap[index..<end]), in: "plain block '\(module)'")
                    let mergeReLU = branch.last?.op == .relu
                    if mergeReLU { branch.removeLast() }
                    if blocks.isEmpty { stem = pending } else { branch = pending + branch }
                    pending = []
                    blocks.append(BlockSpec(name: module, stage: 0, kind: .plain, form: convCount(branch) == 1 ? "transition" : nil,
                                            branch: branch, shortcut: .none, mergeReLU: mergeReLU))
                    index = end
                } else {
                    pending.append(try layer(gap[index], in: blocks.isEmpty ? "stem" : "block's pre-activation"))
                    index += 1
                }
            }
        }

        for id in order where node(id).op == .add {
            let add = node(id)
            let blockName = add.module.flatMap { $0.isEmpty ? nil : $0 } ?? add.id
            if let (x, transform, gate) = try highway(add) {
                try takeGap(try chain(from: boundary, to: x))
                if blocks.isEmpty { stem = pending; pending = [] }
                guard pending.isEmpty else {
                    throw NetsError("\(source): highway layer \(add.described) is preceded by layers that belong to no block "
                                    + "(\(pending.map(\.op.rawValue).joined(separator: ", "))); name their module in plain_blocks")
                }
                blocks.append(BlockSpec(name: blockName, stage: 0, kind: .highway, form: "highway",
                                        branch: try layers(transform, in: "highway transform"), shortcut: .identity,
                                        gate: try layer(gate, in: "highway gate")))
                boundary = add.id
                continue
            }
            guard add.inputs.count == 2 else {
                throw NetsError("\(source): \(add.described) adds \(add.inputs.count) inputs; residual blocks add two")
            }
            let meeting = try meetingPoint(add.inputs[0], add.inputs[1], at: add)
            try takeGap(try chain(from: boundary, to: meeting))
            let preact: [Layer]
            if blocks.isEmpty { stem = pending; preact = [] } else { preact = pending }
            pending = []
            var chains = [try chain(from: meeting, to: add.inputs[0]), try chain(from: meeting, to: add.inputs[1])]
            let branches = chains.map { try? layers($0, in: "branch") }
            // The branch is the chain with more convolutions; a tie goes to the first input.
            if convCount(branches[1] ?? []) > convCount(branches[0] ?? []) { chains.swapAt(0, 1) }
            let branch = try layers(chains[0], in: "branch of \(add.described)")
            blocks.append(BlockSpec(name: blockName, stage: 0, kind: .residual, form: convCount(branch) == 3 ? "bottleneck" : "basic",
                                    preact: preact, branch: branch, shortcut: try shortcut(chains[1], of: add),
                                    shortcutFrom: preact.isEmpty ? .input : .preact))
            boundary = add.id
        }
        try takeGap(try chain(from: boundary, to: output))
        var head = pending
        if blocks.isEmpty { head = stem + head; stem = [] }
        numberStages(&blocks)
        let found = classes ?? classifierWidth(head)
        guard let found else {
            throw NetsError("\(source): the network does not end in a linear layer (or a 1x1 convolution on pooled features) giving class scores")
        }
        return Architecture(name: name, input: input, preprocessing: preprocessing, stem: stem, blocks: makeUnique(blocks),
                            head: head, classes: found, trainedWith: trainedWith)
    }

    /// The width of the class scores: the head's last linear layer, or its last convolution after
    /// the pooling (a classifier written as a 1x1 convolution, as in timm's ResNetV2).
    private func classifierWidth(_ head: [Layer]) -> Int? {
        let pooled = head.firstIndex { $0.op == .globalAvgPool || $0.op == .flatten } ?? head.count
        return head.indices.last { head[$0].op == .linear || (head[$0].op == .conv && $0 > pooled) }.flatMap { head[$0].out }
    }

    /// Stages count from 1 and advance at each block that subsamples.
    private func numberStages(_ blocks: inout [BlockSpec]) {
        var stage = 1
        for i in blocks.indices {
            let strided = (blocks[i].preact + blocks[i].branch + (blocks[i].shortcut.layers ?? [])).contains { ($0.stride ?? 1) > 1 }
                || (blocks[i].shortcut.stride ?? 1) > 1
            if i > 0, strided { stage += 1 }
            blocks[i].stage = stage
        }
    }

    private func makeUnique(_ blocks: [BlockSpec]) -> [BlockSpec] {
        var seen: [String: Int] = [:]
        return blocks.map { block in
            var block = block
            seen[block.name, default: 0] += 1
            if seen[block.name]! > 1 { block.name += "#\(seen[block.name]!)" }
            return block
        }
    }
}
