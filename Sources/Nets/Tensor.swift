import Foundation

/// A dense float tensor. Images are NHWC ([batch, height, width, channels]), features are
/// [batch, features]. NHWC is what oneDNN's fastest CPU kernels take, so activations and
/// gradients stay in it end to end; files use NCHW and are converted at the edges.
///
/// Reference semantics: a tensor is a buffer. Ops that produce values return new tensors; the
/// few that write in place say so. Buffers are 64-byte aligned and recycled through a pool,
/// because a fresh 8 MB buffer costs ~2,000 page faults, as much as a convolution.
public final class Tensor: @unchecked Sendable {
    public let shape: [Int]
    public let count: Int
    public let pointer: UnsafeMutablePointer<Float>
    /// For a view, the tensor whose buffer it lies in, kept alive by it; nil when the buffer is its own.
    private let base: Tensor?

    /// An uninitialised tensor.
    public init(shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        self.shape = shape
        self.count = shape.reduce(1, *)
        self.pointer = BufferPool.shared.take(count)
        self.base = nil
    }

    /// Images `range` of `batch`, in its buffer: writing to the view writes to `batch`. Only for
    /// code that owns `batch` (a block holding the only reference may write its output over it).
    init(viewing batch: Tensor, images range: Range<Int>) {
        precondition(range.lowerBound >= 0 && range.upperBound <= batch.batch, "images \(range) of a batch of \(batch.batch)")
        self.shape = [range.count] + batch.shape.dropFirst()
        self.count = shape.reduce(1, *)
        self.pointer = batch.pointer + range.lowerBound * batch.imageSize
        self.base = batch
    }

    /// Large ones are zeroed by every thread, as `copy()` copies.
    public convenience init(zeros shape: [Int]) {
        self.init(shape: shape)
        parallelRanges(count) { (pointer + $0.lowerBound).update(repeating: 0, count: $0.count) }
    }

    public convenience init(shape: [Int], values: [Float]) {
        precondition(values.count == shape.reduce(1, *), "\(values.count) values do not fill shape \(shape)")
        self.init(shape: shape)
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: count) }
    }

    deinit { if base == nil { BufferPool.shared.give(pointer, count) } }

    public var values: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }

    /// A new tensor with the same values. Large ones are copied by every thread: one core alone
    /// leaves the other to an OpenMP worker spinning after the last kernel.
    public func copy() -> Tensor {
        let result = Tensor(shape: shape)
        parallelRanges(count) { (result.pointer + $0.lowerBound).update(from: pointer + $0.lowerBound, count: $0.count) }
        return result
    }

    /// Batch size: the first dimension.
    public var batch: Int { shape.first ?? 1 }
    /// Height, width and channels of an NHWC image tensor.
    public var height: Int { shape[1] }
    public var width: Int { shape[2] }
    public var channels: Int { shape[shape.count - 1] }
}

/// Recycles tensor buffers by size. Bounded: beyond `limitBytes` buffers are freed.
final class BufferPool: @unchecked Sendable {
    static let shared = BufferPool()
    private let lock = NSLock()
    private var free: [Int: [UnsafeMutablePointer<Float>]] = [:]
    private var cachedBytes = 0
    private let limitBytes = 2 << 30

    func take(_ count: Int) -> UnsafeMutablePointer<Float> {
        lock.lock()
        if let pointer = free[count]?.popLast() {
            cachedBytes -= count * 4
            lock.unlock()
            return pointer
        }
        lock.unlock()
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, 64, max(count, 1) * MemoryLayout<Float>.stride) == 0, let raw else {
            fatalError("out of memory allocating \(count) floats")
        }
        return raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    func give(_ pointer: UnsafeMutablePointer<Float>, _ count: Int) {
        lock.lock()
        if cachedBytes + count * 4 <= limitBytes {
            free[count, default: []].append(pointer)
            cachedBytes += count * 4
            lock.unlock()
        } else {
            lock.unlock()
            Foundation.free(pointer)
        }
    }
}
