/// What a recorded program run keeps of one of its values, the input or a step's output: only
/// what the backward pass reads. A ReLU's output read only for its mask is kept as its signs,
/// a 32nd of its size; a value read only for its shape is not kept at all, so its buffer goes
/// back to the pool, and a block may add its output into its input's buffer (`Block.forward`).
enum Kept {
    case values(Tensor)
    case signs(SignMask, shape: [Int])
    case shape([Int])

    enum Form { case values, signs, shape }

    /// How a trace keeps a value made by `producer` and read by `consumer` (nil: the program's
    /// input, or its output, which the program's own backward is the last to read).
    static func form(producer: Step?, consumer: Step?) -> Form {
        if consumer?.readsInput == true || producer?.readsOutput == true { return .values }
        return producer?.masksOutput == true ? .signs : .shape
    }

    var shape: [Int] {
        switch self {
        case .values(let tensor): tensor.shape
        case .signs(_, let shape), .shape(let shape): shape
        }
    }

    /// The tensor itself; throws where the trace kept less (a step that reads more of a value
    /// than `Trace` judged it would: a bug, not a user's error).
    func values() throws -> Tensor {
        guard let tensor else { throw NetsError("a recorded pass did not keep a value its backward reads") }
        return tensor
    }

    /// g *= [y > 0 or NaN] with this value as the ReLU's output y.
    func maskReLUGradient(_ g: Tensor) throws {
        switch self {
        case .values(let y): try ParallelElementwise.reluBackward(g, output: y)
        case .signs(let signs, _): signs.backward(g)
        case .shape: throw NetsError("a recorded pass did not keep a ReLU's output for its backward")
        }
    }

    var tensor: Tensor? {
        if case .values(let tensor) = self { tensor } else { nil }
    }
}

/// What a recorded run of a program keeps for its backward pass: its input and each step's
/// output, each as much as `Program.backward` reads of it.
struct Trace {
    let input: Kept
    let outputs: [Kept]

    /// The program's output's shape (its input's when it has no steps).
    var outputShape: [Int] { (outputs.last ?? input).shape }

    var tensors: [Tensor] { ([input] + outputs).compactMap(\.tensor) }

    var signBytes: Int {
        ([input] + outputs).reduce(0) { total, kept in
            if case .signs(let signs, _) = kept { total + signs.bytes } else { total }
        }
    }
}

extension Trace {
    /// From `program`'s recorded run [x, a1, ..., output] (`Program.forward`).
    init(_ recorded: [Tensor], of program: Program) {
        precondition(recorded.count == program.steps.count + 1, "a trace needs a recorded run of its program")
        let steps = program.steps
        func kept(_ index: Int) -> Kept {
            let value = recorded[index]
            switch Kept.form(producer: index > 0 ? steps[index - 1] : nil, consumer: index < steps.count ? steps[index] : nil) {
            case .values: return .values(value)
            case .signs: return .signs(SignMask(of: value), shape: value.shape)
            case .shape: return .shape(value.shape)
            }
        }
        input = kept(0)
        outputs = (1..<recorded.count).map(kept)
    }
}
