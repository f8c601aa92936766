import CDNNL

/// Which values of a ReLU's output were positive, one bit each: all the ReLU's backward reads,
/// in a 32nd of the output's memory. A recorded pass keeps this instead of a block's output,
/// so the next block may add its output into that buffer in place (`Block.forward`).
final class SignMask: @unchecked Sendable {
    let count: Int
    /// In float-sized words, so that the buffer pool recycles them with the tensors.
    private let words: Int
    private let bits: UnsafeMutablePointer<UInt8>

    /// The signs of `y`'s values, packed on all threads.
    init(of y: Tensor) {
        count = y.count
        words = (count + 31) / 32
        bits = UnsafeMutableRawPointer(BufferPool.shared.take(words)).assumingMemoryBound(to: UInt8.self)
        SignMask.forEachSpan(count) { span in
            unravel_signs_pack(y.pointer + span.lowerBound, bits + span.lowerBound / 8, span.count)
        }
    }

    deinit { BufferPool.shared.give(UnsafeMutableRawPointer(bits).assumingMemoryBound(to: Float.self), words) }

    /// g *= [y > 0 or NaN], a product as oneDNN's ReLU backward computes it: a masked negative
    /// gradient becomes -0, a NaN one stays NaN.
    func backward(_ g: Tensor) {
        precondition(g.count == count, "a ReLU mask of \(count) values cannot mask a gradient of \(g.count)")
        SignMask.forEachSpan(count) { span in
            unravel_signs_mask(g.pointer + span.lowerBound, bits + span.lowerBound / 8, span.count)
        }
    }

    /// The packed bits' size.
    var bytes: Int { words * MemoryLayout<Float>.stride }

    /// Splits 0..<count over the threads at multiples of 512 values, so that no two threads
    /// write one cache line of bits.
    private static func forEachSpan(_ count: Int, _ body: (Range<Int>) -> Void) {
        let lines = (count + 511) / 512
        parallelRanges(lines, minimum: 64) { range in
            body(range.lowerBound * 512..<min(range.upperBound * 512, count))
        }
    }
}
