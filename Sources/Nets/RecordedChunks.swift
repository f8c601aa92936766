import Foundation

/// Gradients a chunk of images at a time. A record keeps little (`Trace`: signs where it can,
/// not activations), but the passes stream each activation and its gradient: chunks whose
/// largest activation fits in a core's own cache (L2) made the CIFAR forms' gradient pass a few
/// percent faster than whole batches of 128, and highway layers, whose records still keep
/// activations, gain from records that fit in the last-level cache (docs/performance.md).
/// Each image's gradient depends on that image alone, so chunking changes no value.
extension Network {
    /// Fewer images per oneDNN call cost more in per-call work than the cache saves.
    public static let minimumChunk = 8

    /// Images per recorded pass when even `minimumChunk` images' activation is over a core's
    /// cache (ImageNet sizes): ResNet-50 at 224 ran 1.5% faster in chunks of 16 than of 32 (eight
    /// alternating pairs, 16 ahead in all) and slower in chunks of 8, and its record halves.
    public static let largeActivationChunk = 16

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
    /// keep the network's largest activation within a core's cache and the record within a
    /// quarter of the last-level cache (a highway layer's still holds three activations),
    /// evened out over the chunks. When even the minimum's activation is over a core's cache
    /// (ResNet-50 at 224 has 3.2 MB an image), `largeActivationChunk` images, evened out.
    private func chunkSize(_ images: Tensor, start: Int) throws -> Int {
        if let fixed = Compute.recordedChunk { return fixed }
        return try Network.chunkSize(remaining: images.batch - start, activationBytes: largestActivationBytes,
                                     recordBytes: { try recordedBytesPerImage(images) },
                                     coreCache: Compute.coreCacheBytes, lastLevelCache: Compute.lastLevelCacheBytes)
    }

    /// `recordBytes` is asked only when the caches decide: measuring costs a pass and leaves
    /// buffers of a second size in the pool.
    static func chunkSize(remaining: Int, activationBytes: Int, recordBytes: () throws -> Int, coreCache: Int,
                          lastLevelCache: Int) rethrows -> Int {
        guard remaining > minimumChunk else { return remaining }
        let fitting = minimumChunk * activationBytes > coreCache ? largeActivationChunk
            : max(minimumChunk, min(coreCache / max(activationBytes, 1), lastLevelCache / 4 / max(try recordBytes(), 1)))
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

    /// One image's largest block input or output, in bytes (the stem's output is the first
    /// block's input).
    var largestActivationBytes: Int {
        blocks.indices.map(activationBytes).max() ?? 0
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
    /// Bytes the record holds: its distinct tensors and its packed signs.
    var bytes: Int {
        var seen = Set<ObjectIdentifier>(), floats = 0, signBytes = 0
        func add(_ t: Tensor?) {
            guard let t, seen.insert(ObjectIdentifier(t)).inserted else { return }
            floats += t.count
        }
        add(logits)
        for trace in [stemTrace, headTrace] {
            trace?.tensors.forEach(add)
            signBytes += trace?.signBytes ?? 0
        }
        for (_, r) in blockRecords {
            for trace in [r.preactTrace, r.bodyTrace, r.shortcutTrace] {
                trace?.tensors.forEach(add)
                signBytes += trace?.signBytes ?? 0
            }
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
