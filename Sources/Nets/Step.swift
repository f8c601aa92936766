/// One compiled operation of a layer list: batch norm is folded into the convolution before it,
/// and a ReLU is fused into the operation before it.
enum Step {
    case conv(Convolution, relu: Bool)
    case scaleShift(ScaleShift, relu: Bool)
    case groupNorm(GroupNorm, relu: Bool)
    case relu
    case silu
    case maxPool(MaxPool)
    case avgPool(AvgPool)
    case squeezeExcitation(SqueezeExcitation)
    case globalAvgPool
    case linear(Linear)

    func forward(_ x: Tensor) throws -> Tensor {
        switch self {
        case .conv(let conv, let relu): return try conv.forward(x, relu: relu)
        case .scaleShift(let bn, let relu): return try bn.forward(x, relu: relu)
        case .groupNorm(let norm, let relu): return try norm.forward(x, relu: relu)
        case .relu:
            let y = Tensor(shape: x.shape)
            ParallelElementwise.relu(x, into: y)
            return y
        case .silu: return SiLU.forward(x)
        case .maxPool(let pool): return pool.forward(x)
        case .avgPool(let pool): return pool.forward(x)
        case .squeezeExcitation(let se): return try se.forward(x)
        case .globalAvgPool: return GlobalAvgPool.forward(x)
        case .linear(let linear): return try linear.forward(x)
        }
    }

    /// The gradient at the input, from the gradient at the output `g` (which may be consumed)
    /// and what the trace kept of the step's input and output (`Kept`).
    func backward(_ g: Tensor, input: Kept, output: Kept) throws -> Tensor {
        switch self {
        case .conv(let conv, let relu):
            if relu { try output.maskReLUGradient(g) }
            return try conv.backwardData(g, inputShape: input.shape)
        case .scaleShift(let bn, let relu):
            return bn.backward(g, reluOutput: relu ? try output.values() : nil)
        case .groupNorm(let norm, let relu):
            return norm.backward(g, input: try input.values(), reluOutput: relu ? try output.values() : nil)
        case .relu:
            try output.maskReLUGradient(g)
            return g
        case .silu: return SiLU.backward(g, input: try input.values())
        case .maxPool(let pool): return pool.backward(g, input: try input.values(), output: try output.values())
        case .avgPool(let pool): return pool.backward(g, inputShape: input.shape)
        case .squeezeExcitation(let se): return try se.backward(g, input: try input.values())
        case .globalAvgPool: return GlobalAvgPool.backward(g, inputShape: input.shape)
        case .linear(let linear): return linear.backward(g)
        }
    }

    /// Whether the backward pass reads the input's values, not just its shape.
    var readsInput: Bool {
        switch self {
        case .maxPool, .squeezeExcitation, .groupNorm, .silu: true
        default: false
        }
    }

    /// Whether the backward pass reads the output's values: max pooling routes to the tap equal
    /// to it, and a norm's fused ReLU masks with it in the same pass.
    var readsOutput: Bool {
        switch self {
        case .maxPool: true
        case .scaleShift(_, let relu), .groupNorm(_, let relu): relu
        default: false
        }
    }

    /// Whether the backward pass reads the output only for a ReLU's mask (its signs).
    var masksOutput: Bool {
        switch self {
        case .conv(_, let relu): relu
        case .relu: true
        default: false
        }
    }
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

    /// Whether a `Trace` keeps only the output's shape: no step's backward reads its values.
    var keepsOnlyOutputShape: Bool { Kept.form(producer: steps.last, consumer: nil) == .shape }

    /// The gradient at the program's input, from what a recorded run kept (`Trace`). With
    /// `total`, it is added into `total` (and `total` returned); a leading convolution then
    /// fuses the add.
    func backward(_ g: Tensor, trace: Trace, accumulatingInto total: Tensor? = nil) throws -> Tensor {
        precondition(trace.outputs.count == steps.count, "backward needs a trace of this program")
        func input(_ index: Int) -> Kept { index == 0 ? trace.input : trace.outputs[index - 1] }
        var gradient = g
        for index in steps.indices.reversed() {
            if index == 0, let total, case .conv(let conv, let relu) = steps[0] {
                if relu { try trace.outputs[0].maskReLUGradient(gradient) }
                try conv.backwardData(gradient, inputShape: trace.input.shape, accumulatingInto: total)
                return total
            }
            gradient = try steps[index].backward(gradient, input: input(index), output: trace.outputs[index])
        }
        if let total {
            try ParallelElementwise.add(total, gradient)
            return total
        }
        return gradient
    }
}
