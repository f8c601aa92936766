/// One compiled operation of a layer list: batch norm is folded into the convolution before it,
/// and a ReLU is fused into the operation before it.
enum Step {
    case conv(Convolution, relu: Bool)
    case scaleShift(ScaleShift, relu: Bool)
    case relu
    case maxPool(MaxPool)
    case avgPool(AvgPool)
    case squeezeExcitation(SqueezeExcitation)
    case globalAvgPool
    case linear(Linear)

    func forward(_ x: Tensor) throws -> Tensor {
        switch self {
        case .conv(let conv, let relu): return try conv.forward(x, relu: relu)
        case .scaleShift(let bn, let relu): return try bn.forward(x, relu: relu)
        case .relu:
            let y = Tensor(shape: x.shape)
            ParallelElementwise.relu(x, into: y)
            return y
        case .maxPool(let pool): return pool.forward(x)
        case .avgPool(let pool): return pool.forward(x)
        case .squeezeExcitation(let se): return try se.forward(x)
        case .globalAvgPool: return GlobalAvgPool.forward(x)
        case .linear(let linear): return try linear.forward(x)
        }
    }

    /// The gradient at the input, from the gradient at the output `g` (which may be consumed),
    /// the step's input `x` and output `y`. `x` may be nil (its buffer written over since) for a
    /// step that reads only its input's shape (`readsInput` false).
    func backward(_ g: Tensor, input x: Tensor?, inputShape: [Int], output y: Tensor) throws -> Tensor {
        switch self {
        case .conv(let conv, let relu):
            if relu { try ParallelElementwise.reluBackward(g, output: y) }
            return try conv.backwardData(g, inputShape: inputShape)
        case .scaleShift(let bn, let relu):
            return bn.backward(g, reluOutput: relu ? y : nil)
        case .relu:
            try ParallelElementwise.reluBackward(g, output: y)
            return g
        case .maxPool(let pool): return pool.backward(g, input: try Step.values(x), output: y)
        case .avgPool(let pool): return pool.backward(g, inputShape: inputShape)
        case .squeezeExcitation(let se): return try se.backward(g, input: try Step.values(x))
        case .globalAvgPool: return GlobalAvgPool.backward(g, inputShape: inputShape)
        case .linear(let linear): return linear.backward(g)
        }
    }

    /// Whether the backward pass reads the input's values, not just its shape.
    var readsInput: Bool {
        switch self {
        case .maxPool, .squeezeExcitation: true
        default: false
        }
    }

    private static func values(_ x: Tensor?) throws -> Tensor {
        guard let x else { throw NetsError("a step whose backward reads its input lost it to an in-place write") }
        return x
    }
}

/// What a recorded program kept for its backward pass: each step's output, and its input unless
/// that buffer was written over since (a block adding its output in place), when only the
/// input's shape is known.
struct Trace {
    let input: Tensor?
    let inputShape: [Int]
    let outputs: [Tensor]

    /// From `Program.forward`'s recorded [x, a1, ..., output].
    init(_ recorded: [Tensor]) {
        input = recorded[0]
        inputShape = recorded[0].shape
        outputs = Array(recorded.dropFirst())
    }

    private init(inputShape: [Int], outputs: [Tensor]) {
        input = nil
        self.inputShape = inputShape
        self.outputs = outputs
    }

    /// The same trace without its input if that is `x`, which is about to be written over.
    func forgetting(_ x: Tensor) -> Trace {
        input === x ? Trace(inputShape: inputShape, outputs: outputs) : self
    }

    /// The program's output (its input when it has no steps).
    var last: Tensor? { outputs.last ?? input }

    var tensors: [Tensor] { (input.map { [$0] } ?? []) + outputs }
}

/// A compiled layer list run in order. With `record`, it keeps every intermediate tensor for
/// the backward pass.
struct Program {
    let steps: [Step]

    /// Returns the trace [x, a1, ..., output] when recording, else [x, output].
    func forward(_ x: Tensor, record: Bool) throws -> [Tensor] {
        var trace = [x]
        var current = x
        for step in steps {
            current = try step.forward(current)
            if record { trace.append(current) }
        }
        if !record && !steps.isEmpty { trace.append(current) }
        return trace
    }

    /// Whether the backward pass reads the program's input values, not just its shape.
    var readsInput: Bool { steps.first?.readsInput ?? false }

    /// The gradient at the program's input, from a trace `forward` recorded. With `total`, it is
    /// added into `total` (and `total` returned); a leading convolution then fuses the add.
    func backward(_ g: Tensor, trace: [Tensor], accumulatingInto total: Tensor? = nil) throws -> Tensor {
        precondition(trace.count == steps.count + 1, "backward needs a recorded trace")
        return try backward(g, trace: Trace(trace), accumulatingInto: total)
    }

    func backward(_ g: Tensor, trace: Trace, accumulatingInto total: Tensor? = nil) throws -> Tensor {
        precondition(trace.outputs.count == steps.count, "backward needs a recorded trace")
        precondition(trace.input != nil || !readsInput, "backward needs the input it read")
        func input(_ index: Int) -> Tensor? { index == 0 ? trace.input : trace.outputs[index - 1] }
        var gradient = g
        for index in steps.indices.reversed() {
            if index == 0, let total, case .conv(let conv, let relu) = steps[0] {
                if relu { try ParallelElementwise.reluBackward(gradient, output: trace.outputs[0]) }
                try conv.backwardData(gradient, inputShape: trace.inputShape, accumulatingInto: total)
                return total
            }
            gradient = try steps[index].backward(gradient, input: input(index),
                                                 inputShape: input(index)?.shape ?? trace.inputShape,
                                                 output: trace.outputs[index])
        }
        if let total {
            try ParallelElementwise.add(total, gradient)
            return total
        }
        return gradient
    }
}
