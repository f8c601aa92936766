/// A network ready to run: stem → blocks → head, compiled from an Architecture and its weights.
public final class Network: @unchecked Sendable {
    public let architecture: Architecture
    let stem: Program
    let blocks: [Block]
    let head: Program
    /// Learnable parameters per block, and in all (as the weights file counts them).
    let blockParameters: [Int]
    /// The name and shape of every weight each block reads, for re-initialising it.
    let blockWeightShapes: [[String: [Int]]]
    public let parameterCount: Int
    /// The weights it was compiled from, for re-estimating batch-norm statistics.
    let origin: WeightsOrigin
    /// Re-initialised blocks, made on first use.
    let reinitialized: ReinitializedBlocks
    /// The recalibration walk's layer programs (batch norms unfolded), made on first use.
    let unfoldedLayers = UnfoldedLayers()
    /// What a recorded pass keeps per image, for sizing gradient chunks; measured on first use.
    let footprint = RecordFootprint()

    /// Compiles and checks: every weight the architecture names must exist with the right shape
    /// and finite values, and every weight given must be used.
    public convenience init(_ architecture: Architecture, weights: Weights) throws {
        try self.init(architecture, weights: weights, origin: WeightsOrigin(keeping: weights))
    }

    /// A `weights` not kept by `origin` is handed over to the compiler, which folds batch norms
    /// into its arrays in place.
    init(_ architecture: Architecture, weights: consuming Weights, origin: WeightsOrigin) throws {
        self.architecture = architecture
        self.origin = origin
        reinitialized = ReinitializedBlocks()
        let source = weights.source
        let reader = WeightReader(weights, handingOver: !origin.holdsWeights)
        let input = architecture.input
        var compiler = Compiler(reader: reader, channels: input.channels, height: input.height, width: input.width)
        stem = try compiler.compile(architecture.stem, context: "stem")
        var blocks: [Block] = []
        var blockParameters: [Int] = []
        var blockWeightShapes: [[String: [Int]]] = []
        for (index, spec) in architecture.blocks.enumerated() {
            let before = reader.learnableCount
            let usedBefore = reader.used
            blocks.append(try compiler.compileBlock(spec, index: index))
            blockParameters.append(reader.learnableCount - before)
            let names = reader.used.subtracting(usedBefore)
            blockWeightShapes.append(Dictionary(uniqueKeysWithValues: names.map { ($0, reader.shapes[$0]!) }))
        }
        self.blocks = blocks
        self.blockParameters = blockParameters
        self.blockWeightShapes = blockWeightShapes
        head = try compiler.compile(architecture.head, context: "head")
        parameterCount = reader.learnableCount
        guard compiler.features == architecture.classes else {
            throw NetsError("\(source): the head ends with \(compiler.shape), expected \(architecture.classes) class scores")
        }
        try reader.checkAllUsed()
    }

    /// `base` with the blocks from `start` on and the head compiled from `weights`, which differ
    /// from base's only in those blocks' and the head's entries; the stem, the blocks before
    /// `start` (with their plans) and the re-initialised blocks are base's.
    init(sharing base: Network, before start: Int, weights: Weights) throws {
        precondition((0...base.blocks.count).contains(start), "no block position \(start)")
        architecture = base.architecture
        origin = WeightsOrigin(keeping: weights)
        reinitialized = base.reinitialized
        stem = base.stem
        let shape = start < base.blocks.count ? base.blocks[start].inputShape : base.blocks.last?.outputShape ?? []
        var compiler = Compiler(reader: WeightReader(weights), channels: shape.last ?? 0,
                                height: shape.count == 3 ? shape[0] : 0, width: shape.count == 3 ? shape[1] : 0)
        if shape.count == 1 { compiler.features = shape[0] }
        var blocks = Array(base.blocks[..<start])
        for index in start..<base.blocks.count {
            blocks.append(try compiler.compileBlock(architecture.blocks[index], index: index))
        }
        self.blocks = blocks
        head = try compiler.compile(architecture.head, context: "head")
        blockParameters = base.blockParameters
        blockWeightShapes = base.blockWeightShapes
        parameterCount = base.parameterCount
    }

    // MARK: - Facts

    public var blockCount: Int { blocks.count }

    /// Blocks that change the activation's shape: the first block of each later stage.
    public var downsamplingBlocks: [Int] { blocks.filter(\.isDownsampling).map(\.index) }

    /// Why block `index`'s branch cannot be removed, or nil if it can.
    public func dropRefusal(_ index: Int) -> String? { blocks[index].dropRefusal }

    /// Why block `index` cannot run twice in place, or nil if it can: its output must have its
    /// input's shape.
    public func duplicateRefusal(_ index: Int) -> String? {
        let block = blocks[index]
        return block.isDownsampling
            ? "block \(index) ('\(block.spec.name)') maps \(block.inputShape) to \(block.outputShape): its output cannot be its input"
            : nil
    }

    /// Why block `index`'s branch cannot be scaled, or nil if it can.
    public func scaleRefusal(_ index: Int) -> String? { blocks[index].scaleRefusal }

    /// [height, width, channels] at the input and output of each block.
    public func blockShapes(_ index: Int) -> (input: [Int], output: [Int]) {
        (blocks[index].inputShape, blocks[index].outputShape)
    }

    /// One image's larger activation of block `index`, its input or its output, in bytes.
    func activationBytes(_ index: Int) -> Int {
        let shapes = blockShapes(index)
        return max(shapes.input.reduce(1, *), shapes.output.reduce(1, *)) * MemoryLayout<Float>.stride
    }

    /// The bytes of one image that block `index` streams through in one pass over memory. A
    /// residual or plain block's sums and ReLUs are fused into its convolutions, so that is its
    /// larger activation; a highway layer's merge reads H, T and x and writes y, four of them.
    func streamedBytes(_ index: Int) -> Int {
        activationBytes(index) * (blocks[index].spec.kind == .highway ? 4 : 1)
    }
}
