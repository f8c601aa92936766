import Foundation

/// An unrecorded pass whose early blocks run a few images at a time. At 224 a ResNet's first
/// stage moves 3.2 MB an image per activation; at batch 32 its 1×1 convolutions stream them
/// from memory and ran at 52–58% of the peak, at 4–8 images at 71–81% (docs/performance.md).
/// Later stages, with small activations and large weights, run faster on more images. So each
/// block gets the most images whose streamed bytes (its larger activation; the four tensors of
/// a highway layer's merge) fit `Compute.stageBytes`, and blocks with the same count run
/// together, chunk by chunk, before the next run of blocks takes the assembled batch. Each
/// image's values depend on that image alone, so no value changes.
extension Network {
    /// Fewer images per call cost more in oneDNN's per-call work than the cache saves.
    static let minimumStageChunk = 4

    /// Images per call for each step of `steps`, never fewer than for the step before.
    func stageChunks(_ steps: [Variant.Step], batch: Int, budget: Int) -> [Int] {
        var running = 1
        return steps.map { step in
            let bytes = streamedBytes(step.block)
            running = max(running, min(batch, max(Network.minimumStageChunk, budget / max(bytes, 1))))
            return running
        }
    }

    /// `steps` (with the stem first when `throughStem`) on `input` in stages, or nil when the
    /// first stage would take the whole batch (then the plain pass is the same work). `input` is
    /// the caller's and is never written.
    func runStaged(_ input: Tensor, steps: ArraySlice<Variant.Step>, throughStem: Bool) throws -> Tensor? {
        guard let budget = Compute.stageBytes, !steps.isEmpty else { return nil }
        let batch = input.batch
        let chunks = stageChunks(Array(steps), batch: batch, budget: budget)
        guard chunks[0] < batch else { return nil }
        var current = input
        var start = 0
        while start < chunks.count {
            var end = start
            while end < chunks.count && chunks[end] == chunks[start] { end += 1 }
            let stage = steps.dropFirst(start).prefix(end - start)
            if chunks[start] >= batch {
                for step in stage { current = try runStep(step, &current, record: false, hooks: Hooks()) }
            } else {
                let first = start == 0
                current = try runInChunks(current, chunk: chunks[start], writable: !first) { part in
                    // `part` is the only reference to the chunk's view, so a block may write over it.
                    if first && throughStem { part = try stem.forward(part, record: false).last! }
                    for step in stage { part = try runStep(step, &part, record: false, hooks: Hooks()) }
                    return part
                }
            }
            start = end
        }
        return current
    }

    /// `body` on even chunks of at most `chunk` images of `batch`, each a view of its buffer;
    /// when `writable` (only this pass holds `batch`) a block may write its output over it.
    /// Outputs that are not already in place are put together in a new batch.
    func runInChunks(_ batch: Tensor, chunk: Int, writable: Bool, _ body: (inout Tensor) throws -> Tensor) throws -> Tensor {
        let count = (batch.batch + chunk - 1) / chunk
        var assembled: Tensor? = nil
        var inPlace: [Range<Int>] = []
        for index in 0..<count {
            let range = (index * batch.batch / count)..<((index + 1) * batch.batch / count)
            var view = Tensor(viewing: batch, images: range)
            // A second reference makes a block copy rather than write over the caller's tensor.
            let held = writable ? nil : view
            let part = try body(&view)
            withExtendedLifetime(held) {}
            if part.pointer == batch.pointer + range.lowerBound * batch.imageSize, part.shape.dropFirst() == batch.shape.dropFirst() {
                inPlace.append(range)
            } else {
                if assembled == nil { assembled = Tensor(shape: [batch.batch] + part.shape.dropFirst()) }
                assembled!.setImages(from: part, at: range.lowerBound)
            }
        }
        guard let assembled else { return batch }
        for range in inPlace { assembled.setImages(from: Tensor(viewing: batch, images: range), at: range.lowerBound) }
        return assembled
    }
}
