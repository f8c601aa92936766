import CHDF5

/// A dataset: an n-dimensional array of one element type, stored row-major (C order).
public final class Dataset: Node, @unchecked Sendable {

    /// Its shape. A scalar dataset has shape [].
    public var shape: [Int] {
        get throws { try library { try extent().shape } }
    }

    /// What it holds on disk.
    public var storedType: StoredType {
        get throws { try library { try location.withType(of: handle.id) { StoredType(type: $0) } } }
    }

    /// The chunk shape, or nil for contiguous storage.
    public var chunkShape: [Int]? {
        get throws {
            try library {
                try location.withPropertyList({ H5Dget_create_plist(handle.id) }) { plist in
                    guard H5Pget_layout(plist) == H5D_CHUNKED else { return nil }
                    var dims = [hsize_t](repeating: 0, count: 32)
                    let rank = H5Pget_chunk(plist, 32, &dims)
                    if rank < 0 { throw location.error(.library, "cannot read the chunk shape") }
                    return dims.prefix(Int(rank)).map { Int($0) }
                }
            }
        }
    }

    /// The filters applied to each chunk, in order, by name ("shuffle", "deflate", ...).
    public var filters: [String] {
        get throws {
            try library {
                try location.withPropertyList({ H5Dget_create_plist(handle.id) }) { plist in
                    (0..<max(H5Pget_nfilters(plist), 0)).map { index in
                        var flags: UInt32 = 0
                        var valueCount = 0
                        var name = [CChar](repeating: 0, count: 64)
                        switch H5Pget_filter2(plist, UInt32(index), &flags, &valueCount, nil, 64, &name, nil) {
                        case H5Z_FILTER_DEFLATE: return "deflate"
                        case H5Z_FILTER_SHUFFLE: return "shuffle"
                        case H5Z_FILTER_FLETCHER32: return "fletcher32"
                        default: return String(nulTerminated: name)
                        }
                    }
                }
            }
        }
    }

    /// Reads the whole dataset, flattened in row-major order.
    ///
    /// The stored type must be `T` exactly, unless `converting` is true, in which case any numeric
    /// type is converted by HDF5 (float64 weights read as Float, say).
    public func read<T: Element>(as _: T.Type = T.self, converting: Bool = false) throws -> [T] {
        try library {
            try checkType(T.self, converting: converting)
            let extent = try extent()
            try extent.checkReadable(bytesPerElement: MemoryLayout<T>.stride, at: location)
            if extent.count == 0 { return [] }
            return try filledByReading(count: extent.count) { buffer in
                try location.check(
                    H5Dread(handle.id, T.memoryType, unravel_s_all(), unravel_s_all(), unravel_p_default(), buffer),
                    "cannot read the data")
            }
        }
    }

    /// Reads the whole dataset after checking its shape against `expected`, where nil matches
    /// any size: `[nil, 3, 32, 32]` is a batch of 3-channel 32x32 images.
    public func read<T: Element>(as _: T.Type = T.self, expectingShape expected: [Int?], converting: Bool = false) throws -> [T] {
        try checkShape(expected)
        return try read(as: T.self, converting: converting)
    }

    /// Throws unless the shape matches `expected` (nil matches any size).
    public func checkShape(_ expected: [Int?]) throws {
        let actual = try shape
        let matches = actual.count == expected.count && zip(actual, expected).allSatisfy { $1 == nil || $0 == $1 }
        if !matches {
            let wanted = expected.map { $0.map(String.init) ?? "*" }.joined(separator: ", ")
            throw location.error(.wrongShape, "expected shape [\(wanted)], found \(actual)")
        }
    }

    /// Reads a scalar dataset (or one holding a single element).
    public func readScalar<T: Element>(as _: T.Type = T.self, converting: Bool = false) throws -> T {
        let values = try read(as: T.self, converting: converting)
        guard values.count == 1 else {
            throw location.error(.wrongShape, "expected a single value, found shape \(try shape)")
        }
        return values[0]
    }

    /// Reads `rows` along the first axis: a batch of a large image set, say. Returns the rows
    /// flattened in row-major order.
    public func readRows<T: Element>(_ rows: Range<Int>, as _: T.Type = T.self, converting: Bool = false) throws -> [T] {
        try library {
            try checkType(T.self, converting: converting)
            let extent = try extent()
            guard let first = extent.shape.first else {
                throw location.error(.wrongShape, "expected an array, found a scalar")
            }
            guard rows.lowerBound >= 0, rows.upperBound <= first else {
                throw location.error(.invalidArgument, "rows \(rows.lowerBound)..<\(rows.upperBound) are outside 0..<\(first)")
            }
            let rowShape = Array(extent.shape.dropFirst())
            let count = rows.count * rowShape.reduce(1, *)
            if count == 0 { return [] }
            return try filledByReading(count: count) { buffer in
                try withRowSelection(start: rows.lowerBound, rows: rows.count, rowShape: rowShape) { memory, file in
                    try location.check(
                        H5Dread(handle.id, T.memoryType, memory, file, unravel_p_default(), buffer),
                        "cannot read rows \(rows.lowerBound)..<\(rows.upperBound)")
                }
            }
        }
    }

    /// Reads a dataset of strings (fixed- or variable-length, ASCII or UTF-8).
    public func readStrings() throws -> [String] {
        try library {
            try location.withType(of: handle.id) { fileType in
                try location.withSpace(of: handle.id) { space in
                    try StringCodec.read(fileType: fileType, space: space, at: location) { memoryType, buffer in
                        H5Dread(handle.id, memoryType, unravel_s_all(), unravel_s_all(), unravel_p_default(), buffer)
                    }
                }
            }
        }
    }

    // MARK: - Internals

    func extent() throws -> Extent {
        try location.withSpace(of: handle.id) { try Extent(space: $0, at: location) }
    }

    func checkType<T: Element>(_: T.Type, converting: Bool) throws {
        let stored = try location.withType(of: handle.id) { StoredType(type: $0) }
        if stored == T.storedType { return }
        if converting && stored.isNumeric { return }
        throw location.error(.wrongType, "expected \(T.storedType), found \(stored)")
    }

    /// Calls `body` with a memory space for `rows` whole rows and the file space with those rows selected.
    func withRowSelection<R>(start: Int, rows: Int, rowShape: [Int], _ body: (hid_t, hid_t) throws -> R) throws -> R {
        let slabShape = [rows] + rowShape
        return try location.withSpace(of: handle.id) { file in
            let offset = [hsize_t(start)] + rowShape.map { _ in hsize_t(0) }
            try location.check(
                H5Sselect_hyperslab(file, H5S_SELECT_SET, offset, nil, slabShape.map { hsize_t($0) }, nil),
                "cannot select rows \(start)..<\(start + rows)")
            return try location.withSpace(shape: slabShape) { memory in try body(memory, file) }
        }
    }
}
