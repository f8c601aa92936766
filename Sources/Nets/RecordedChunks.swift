import Foundation

/// Gradients a chunk of images at a time. A recorded pass keeps every activation for the
/// backward pass: ResNet-110 keeps about 4 MB per CIFAR image, so a batch of 128 streams half a
/// gigabyte to memory and back. Chunks whose record fits in a share of the last-level cache
/// made the gradient pass 10-17% faster on the CIFAR forms (docs/performance.md). Each image's
/// gradient depends on that image alone, so chunking changes no value.
extension Network {
    /// Fewer images per oneDNN call cost more in per-call work than the cache saves.
    public static let minimumChunk = 8

    /// Runs `body` on consecutive chunks of `images`: each chunk's image range, its recorded
    /// forward pass and the gradient of `target` at its logits. With hooks the batch is one
    /// chunk, so that hooks see whole batches as they do in `forward`.
    public func forEachRecordedChunk(_ images: Tensor, target: GradientTarget, options: RunOptions = RunOptions(),
                                     _ body: (Range<Int>, ForwardRecord, Tensor) throws -> Void) throws {
        try checkImages(images)
        let batch = images.batch
        try target.check(batch: batch, classes: architecture.classes)
        var start = 0
        repeat {
            let size = options.hooks.isEmpty ? try chunkSize(images, start: start) : batch
            let range = start..<min(start + size, batch)
            let record = try record(images.images(range), options: options)
            try body(range, record, try Loss.logitGradient(record.logits, target: target.images(range)))
            start = range.upperBound
        } while start < batch
    }

    /// Images in the chunk starting at `start`: set by `Compute.recordedChunk`, else as many as
    /// fit a quarter of the last-level cache (the rest holds weights and the kernels' buffers),
    /// evened out over the chunks. When even the minimum's record is over the cache, the whole
    /// batch: ResNet-50 at 224 keeps 46 MB per image, and chunks of 8 measured no faster than 32
    /// on a 300 MB cache.
    private func chunkSize(_ images: Tensor, start: Int) throws -> Int {
        if let fixed = Compute.recordedChunk { return fixed }
        let remaining = images.batch - start
        guard remaining > Network.minimumChunk else { return remaining }
        return Network.chunkSize(remaining: remaining, bytesPerImage: try recordedBytesPerImage(images),
                                 cacheBytes: Compute.lastLevelCacheBytes)
    }

    static func chunkSize(remaining: Int, bytesPerImage bytes: Int, cacheBytes cache: Int) -> Int {
        guard remaining > minimumChunk, minimumChunk * bytes <= cache else { return remaining }
        let fitting = max(minimumChunk, cache / 4 / max(bytes, 1))
        let chunks = (remaining + fitting - 1) / fitting
        return (remaining + chunks - 1) / chunks
    }

    /// What a recorded pass keeps per image, measured once on one image of zeros: measuring on a
    /// chunk of the batch would leave the buffer pool holding tensors of a second size.
    private func recordedBytesPerImage(_ images: Tensor) throws -> Int {
        if let known = footprint.bytesPerImage { return known }
        let record = try record(Tensor(zeros: [1] + images.shape.dropFirst()))
        footprint.note(record.bytes)
        return record.bytes
    }
}

/// The bytes a recorded pass keeps per image, once measured.
final class RecordFootprint: @unchecked Sendable {
    private let lock = NSLock()
    private var measured: Int? = nil

    var bytesPerImage: Int? {
        lock.lock(); defer { lock.unlock() }
        return measured
    }

    func note(_ bytes: Int) {
        lock.lock(); measured = bytes; lock.unlock()
    }
}

extension ForwardRecord {
    /// Bytes of the distinct tensors the record holds.
    var bytes: Int {
        var seen = Set<ObjectIdentifier>(), floats = 0, signBytes = 0
        func add(_ t: Tensor?) {
            guard let t, seen.insert(ObjectIdentifier(t)).inserted else { return }
            floats += t.count
        }
        (stemTrace + headTrace + [logits]).forEach(add)
        for (_, r) in blockRecords {
            for trace in [r.preactTrace, r.bodyTrace, r.shortcutTrace] { trace?.tensors.forEach(add) }
            add(r.input)
            add(r.transform)
            add(r.gateValues)
            signBytes += r.mergeSigns?.bytes ?? 0
        }
        return floats * MemoryLayout<Float>.stride + signBytes
    }
}

extension GradientTarget {
    /// The target's part for images `range`.
    func images(_ range: Range<Int>) -> GradientTarget {
        switch self {
        case .crossEntropy(let labels): .crossEntropy(labels: Array(labels[range]))
        case .logits(let chosen): .logits(Array(chosen[range]))
        case .logitGradient(let gradient): .logitGradient(gradient.images(range))
        }
    }
}
