import Foundation

/// A block's weights redrawn as at initialisation, for Zhang, Bengio & Singer's (2019)
/// re-initialisation robustness: convolutions He-normal as torchvision initialises ResNets
/// (std = √(2 / fan_out), fan_out = out channels × kernel area), every bias 0, batch norm reset
/// to the identity (γ 1, β 0, running mean 0, running variance 1), and so a group norm's γ and β
/// (a one-dimensional weight is a norm's scale).
///
/// The draw is specified so that any implementation gives the same numbers (the PyTorch fixture
/// script reproduces it): a SplitMix64 generator seeded with `seed &+ block`, the block's weights
/// in sorted name order, each value of a weight tensor in memory order from one Box-Muller pair:
/// u1 = ((next() >> 11) + 1) / 2^53, u2 = (next() >> 11) / 2^53, z = √(−2 ln u1) · cos(2π u2),
/// computed in Double and rounded to Float.
public enum Reinitialization {
    public static func weights(block: Int, shapes: [String: [Int]], seed: UInt64) -> Weights {
        var generator = SplitMix64(seed: seed &+ UInt64(block))
        var result = Weights(source: "block \(block) re-initialised (seed \(seed))")
        for name in shapes.keys.sorted() {
            let shape = shapes[name]!
            let count = shape.reduce(1, *)
            let prefix = String(name[..<(name.lastIndex(of: ".") ?? name.endIndex)])
            let isNorm = shapes["\(prefix).running_mean"] != nil || shape.count == 1
            let values: [Float]
            if name.hasSuffix(".running_var") || (isNorm && name.hasSuffix(".weight")) {
                values = [Float](repeating: 1, count: count)
            } else if name.hasSuffix(".weight") && shape.count >= 2 {
                let fanOut = Double(shape[0] * shape.dropFirst(2).reduce(1, *))
                let std = (2 / fanOut).squareRoot()
                values = (0..<count).map { _ in Float(std * normal(&generator)) }
            } else {
                values = [Float](repeating: 0, count: count)   // biases and running means
            }
            result.entries[name] = Weights.Entry(shape: shape, values: values)
        }
        return result
    }

    static func normal(_ generator: inout SplitMix64) -> Double {
        let u1 = (Double(generator.next() >> 11) + 1) / 9_007_199_254_740_992
        let u2 = Double(generator.next() >> 11) / 9_007_199_254_740_992
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}

/// Blocks compiled with re-initialised weights, by (block, seed), made once.
final class ReinitializedBlocks: @unchecked Sendable {
    private let lock = NSLock()
    private var blocks: [Int: [UInt64: Block]] = [:]

    func block(_ index: Int, seed: UInt64, make: () throws -> Block) rethrows -> Block {
        lock.lock()
        defer { lock.unlock() }
        if let made = blocks[index]?[seed] { return made }
        let made = try make()
        blocks[index, default: [:]][seed] = made
        return made
    }
}

extension Network {
    /// Block `index` with its weights redrawn from `seed` (`Reinitialization`).
    func reinitializedBlock(_ index: Int, seed: UInt64) throws -> Block {
        try reinitialized.block(index, seed: seed) {
            let original = blocks[index]
            let weights = Reinitialization.weights(block: index, shapes: blockWeightShapes[index], seed: seed)
            let shape = original.inputShape
            var compiler = Compiler(reader: WeightReader(weights), channels: shape[2], height: shape[0], width: shape[1])
            return try compiler.compileBlock(original.spec, index: index)
        }
    }

    /// The weights block `index` runs with when re-initialised from `seed`, in PyTorch layout.
    public func reinitializedWeights(_ index: Int, seed: UInt64) -> Weights {
        Reinitialization.weights(block: index, shapes: blockWeightShapes[index], seed: seed)
    }
}
