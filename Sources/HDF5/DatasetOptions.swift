/// How a new dataset is laid out on disk.
public struct DatasetOptions: Sendable, Equatable {
    /// The chunk shape; nil picks one when chunking is needed (compression or extendable).
    public var chunks: [Int]?
    /// Deflate (gzip) level 0-9, or nil for none.
    public var deflate: Int?
    /// Byte-shuffle before compressing: usually smaller files for floats.
    public var shuffle: Bool
    /// Whether rows can be appended along the first axis later.
    public var extendable: Bool
    /// A Fletcher-32 checksum on each chunk, which HDF5 verifies on every read: a flipped bit
    /// on disk is an error, never a wrong number. Left off scalars and empty datasets.
    public var checksum: Bool

    public init(chunks: [Int]? = nil, deflate: Int? = nil, shuffle: Bool = false, extendable: Bool = false,
                checksum: Bool = false) {
        self.chunks = chunks
        self.deflate = deflate
        self.shuffle = shuffle
        self.extendable = extendable
        self.checksum = checksum
    }

    /// Contiguous, uncompressed.
    public static let plain = DatasetOptions()
    /// Chunked, shuffled and deflated at level 4: the usual choice for large arrays.
    public static let compressed = DatasetOptions(deflate: 4, shuffle: true)
    /// Rows can be appended later; compressed.
    public static let appendable = DatasetOptions(deflate: 4, shuffle: true, extendable: true)
    /// Uncompressed, with a checksum on each chunk.
    public static let checksummed = DatasetOptions(checksum: true)

    /// These options with a checksum on each chunk.
    public var checksummed: DatasetOptions {
        var options = self
        options.checksum = true
        return options
    }

    var needsChunks: Bool { chunks != nil || deflate != nil || shuffle || extendable || checksum }

    /// A chunk of about 64 KiB made of whole rows when no shape was given.
    func chunkShape(for shape: [Int], elementSize: Int) -> [Int] {
        if let chunks { return chunks }
        guard let first = shape.first else { return [] }
        let rowBytes = max(1, shape.dropFirst().reduce(1, *) * elementSize)
        let rows = max(1, min(max(first, 1), (64 * 1024) / rowBytes))
        return [rows] + shape.dropFirst().map { max($0, 1) }
    }
}
