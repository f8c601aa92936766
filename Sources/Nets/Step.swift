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
    /// the step's input `x` and output `y`.
    func backward(_ g: Tensor, input x: Tensor, output y: Tensor) throws -> Tensor {
        switch self {
        case .conv(let conv, let relu):
            if relu { try ParallelElementwise.reluBackward(g, output: y) }
            return try conv.backwardData(g, inputShape: x.shape)
        case .scaleShift(let bn, let relu):
            return bn.backward(g, reluOutput: relu ? y : nil)
        case .relu:
            try ParallelElementwise.reluBackward(g, output: y)
            return g
        case .maxPool(let pool): return pool.backward(g, input: x, output: y)
        case .avgPool(let pool): return pool.backward(g, inputShape: x.shape)
        case .squeezeExcitation(let se): return try se.backward(g, input: x)
        case .globalAvgPool: return GlobalAvgPool.backward(g, inputShape: x.shape)
        case .linear(let linear): return linear.backward(g)
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

    /// The gradient at the program's input. With `total`, it is added into `total` (and `total`
    /// returned); a leading convolution then fuses the add.
    func backward(_ g: Tensor, trace: [Tensor], accumulatingInto total: Tensor? = nil) throws -> Tensor {
        precondition(trace.count == steps.count + 1, "backward needs a recorded trace")
        var gradient = g
        for index in steps.indices.reversed() {
            if index == 0, let total, case .conv(let conv, let relu) = steps[0] {
                if relu { try ParallelElementwise.reluBackward(gradient, output: trace[1]) }
                try conv.backwardData(gradient, inputShape: trace[0].shape, accumulatingInto: total)
                return total
            }
            gradient = try steps[index].backward(gradient, input: trace[index], output: trace[index + 1])
        }
        if let total {
            try ParallelElementwise.add(total, gradient)
            return total
        }
        return gradient
    }
}
