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

/// Runs `body` for each image of a batch of `count`, whole images to each thread: for ops whose
/// windows overlap within an image but never across images.
func forEachImage(_ count: Int, _ body: (Int) -> Void) {
    parallelRanges(count, minimum: 2) { images in
        for image in images { body(image) }
    }
}
