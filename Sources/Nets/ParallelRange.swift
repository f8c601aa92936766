import CDNNL

/// Splits 0..<count into one contiguous range per thread and runs `body` on each, on the
/// OpenMP threads oneDNN uses (see unravel_parallel.h for why not Dispatch's). Small counts
/// run inline. `body` must only write to its own range.
func parallelRanges(_ count: Int, minimum: Int = 1 << 15, _ body: (Range<Int>) -> Void) {
    let threads = count >= minimum ? Compute.threads : 1
    withoutActuallyEscaping(body) { body in
        var context = body
        withUnsafeMutablePointer(to: &context) { pointer in
            unravel_parallel_range(count, Int32(threads), { first, last, context in
                let body = context!.assumingMemoryBound(to: ((Range<Int>) -> Void).self).pointee
                body(Int(first)..<Int(last))
            }, pointer)
        }
    }
}
