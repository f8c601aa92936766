/// Ranges of images in a batch: the first dimension.
extension Tensor {
    /// Floats per image.
    public var imageSize: Int { shape.isEmpty ? count : count / max(shape[0], 1) }

    /// Images `range` of the batch as a tensor of their own: the tensor itself when the range is
    /// the whole batch, else a copy.
    public func images(_ range: Range<Int>) -> Tensor {
        precondition(range.lowerBound >= 0 && range.upperBound <= batch, "images \(range) of a batch of \(batch)")
        if range == 0..<batch { return self }
        let part = Tensor(shape: [range.count] + shape.dropFirst())
        part.pointer.update(from: pointer + range.lowerBound * imageSize, count: part.count)
        return part
    }

    /// The images at `rows`, in that order, as a batch of their own: the tensor itself when
    /// they are the whole batch in order, else a copy.
    public func images(at rows: [Int]) -> Tensor {
        precondition(rows.allSatisfy { $0 >= 0 && $0 < batch }, "images \(rows) of a batch of \(batch)")
        if rows.count == batch && rows == Array(0..<batch) { return self }
        let part = Tensor(shape: [rows.count] + shape.dropFirst())
        for (index, row) in rows.enumerated() {
            (part.pointer + index * imageSize).update(from: pointer + row * imageSize, count: imageSize)
        }
        return part
    }

    /// Writes the images of `part` over this batch's, from image `offset` on.
    public func setImages(from part: Tensor, at offset: Int) {
        precondition(Array(part.shape.dropFirst()) == Array(shape.dropFirst()) && offset + part.batch <= batch,
                     "cannot write \(part.shape) at image \(offset) of \(shape)")
        let destination = pointer + offset * imageSize
        parallelRanges(part.count) { (destination + $0.lowerBound).update(from: part.pointer + $0.lowerBound, count: $0.count) }
    }
}

/// A batch put together from its chunks' tensors, in any order. A chunk that is the whole batch
/// is kept as it is, without a copy.
public final class BatchAssembly {
    public let batch: Int
    public private(set) var whole: Tensor? = nil

    public init(batch: Int) { self.batch = batch }

    /// `part` holds images `range` of the batch.
    public func place(_ part: Tensor, at range: Range<Int>) {
        precondition(part.batch == range.count, "\(part.shape) does not hold images \(range)")
        if range == 0..<batch { whole = part; return }
        if whole == nil { whole = Tensor(shape: [batch] + part.shape.dropFirst()) }
        whole!.setImages(from: part, at: range.lowerBound)
    }
}
