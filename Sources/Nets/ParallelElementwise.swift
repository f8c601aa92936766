import CDNNL
import Foundation

/// Element-wise passes over whole activations, on all threads. These are memory-bound: on one
/// thread, a ReLU mask or an add over an 8 MB activation takes as long as a convolution, while
/// the other core spins in OpenMP. The ReLU mask and the add run on oneDNN's jit kernels; the
/// ReLU splits our own loop over OpenMP's threads (`parallelRanges`, as `Tensor.copy` does).
/// Small tensors stay on one thread.
enum ParallelElementwise {
    private enum Kind { case reluBackward, add }
    private struct Key: Hashable { let kind: Kind; let count: Int; let threads: Int }
    nonisolated(unsafe) private static var plans: [Key: OpaquePointer] = [:]
    private static let lock = NSLock()
    private static let threshold = 1 << 15

    /// α·x as a new tensor (x is left alone: it may be a recorded activation).
    static func scaled(_ x: Tensor, by alpha: Float) -> Tensor {
        let y = x.copy()
        parallelRanges(y.count) { scaleInPlace(y.pointer + $0.lowerBound, alpha, $0.count) }
        return y
    }

    /// y = max(x, 0); y may be x.
    static func relu(_ x: Tensor, into y: Tensor) {
        precondition(x.count == y.count)
        parallelRanges(x.count, minimum: threshold) { reluForward(x.pointer + $0.lowerBound, y.pointer + $0.lowerBound, $0.count) }
    }

    /// g *= (y > 0), given the ReLU's output y.
    static func reluBackward(_ g: Tensor, output y: Tensor) throws {
        precondition(g.count == y.count)
        guard g.count >= threshold, Compute.threads > 1 else { return Nets.reluBackward(g.pointer, output: y.pointer, g.count) }
        try run(.reluBackward, count: g.count, y.pointer, g.pointer, g.pointer)
    }

    /// a += b.
    static func add(_ a: Tensor, _ b: Tensor) throws {
        precondition(a.count == b.count)
        guard a.count >= threshold, Compute.threads > 1 else { return addInPlace(a.pointer, b.pointer, a.count) }
        try run(.add, count: a.count, a.pointer, b.pointer, a.pointer)
    }

    private static func run(_ kind: Kind, count: Int, _ first: UnsafePointer<Float>, _ second: UnsafePointer<Float>,
                            _ out: UnsafeMutablePointer<Float>) throws {
        let plan = try self.plan(kind, count: count)
        guard unravel_elementwise_execute(plan, first, second, out) == 0 else {
            throw NetsError("oneDNN failed to run an element-wise \(kind) over \(count) values")
        }
    }

    private static func plan(_ kind: Kind, count: Int) throws -> OpaquePointer {
        let key = Key(kind: kind, count: count, threads: Compute.threads)
        lock.lock()
        defer { lock.unlock() }
        if let plan = plans[key] { return plan }
        var error = [CChar](repeating: 0, count: 256)
        let created = switch kind {
        case .reluBackward: unravel_relu_backward_create(count, Int32(key.threads), &error, error.count)
        case .add: unravel_add_create(count, Int32(key.threads), &error, error.count)
        }
        guard let created else { throw NetsError(String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)) }
        plans[key] = created
        return created
    }
}
