import CHDF5

extension Group {
    /// Creates a dataset at `path` (intermediate groups too) holding `values` in row-major order.
    ///
    /// `shape` [] makes a scalar. With `options.extendable`, rows can be appended later and
    /// the shape's first dimension may be 0.
    @discardableResult
    public func createDataset<T: Element>(
        _ path: String, shape: [Int], values: [T], options: DatasetOptions = .plain
    ) throws -> Dataset {
        let here = location(path)
        let count = shape.reduce(1, *)
        guard shape.allSatisfy({ $0 >= 0 }), values.count == count else {
            throw here.error(.invalidArgument, "shape \(shape) needs \(count) values, got \(values.count)")
        }
        if contains(path) { throw here.error(.alreadyExists, "an object with this name already exists") }
        var options = options
        // A scalar cannot be chunked, and an empty fixed-size dataset has no chunk to check.
        if options.checksum && (shape.isEmpty || (count == 0 && !options.extendable)) { options.checksum = false }
        if options.needsChunks && shape.isEmpty {
            throw here.error(.invalidArgument, "a scalar cannot be chunked, compressed or extended")
        }
        return try library {
            let maxShape = options.extendable ? [unravel_unlimited()] + shape.dropFirst().map { hsize_t($0) } : nil
            let id = try here.withSpace(shape: shape, maxShape: maxShape) { space in
                try here.withDatasetCreation(options, shape: shape, elementSize: MemoryLayout<T>.stride) { creation in
                    try here.withLinkCreation { links in
                        try here.check(
                            H5Dcreate2(handle.id, path, T.fileType, space, links, creation, unravel_p_default()),
                            "cannot create the dataset")
                    }
                }
            }
            let dataset = Dataset(file: file, path: here.object, handle: Handle(id, .dataset))
            if count > 0 {
                try values.withUnsafeBytes { buffer in
                    try here.check(
                        H5Dwrite(id, T.memoryType, unravel_s_all(), unravel_s_all(), unravel_p_default(), buffer.baseAddress),
                        "cannot write the data")
                }
            }
            return dataset
        }
    }

    /// Creates a one-dimensional dataset of variable-length UTF-8 strings.
    @discardableResult
    public func createDataset(_ path: String, strings: [String]) throws -> Dataset {
        let here = location(path)
        if contains(path) { throw here.error(.alreadyExists, "an object with this name already exists") }
        return try library {
            try here.withNewType({ StringCodec.variableType(utf8: true) }) { type in
                let id = try here.withSpace(shape: [strings.count]) { space in
                    try here.withLinkCreation { links in
                        try here.withDatasetCreation(.plain, shape: [strings.count], elementSize: 8) { creation in
                            try here.check(
                                H5Dcreate2(handle.id, path, type, space, links, creation, unravel_p_default()),
                                "cannot create the dataset")
                        }
                    }
                }
                let dataset = Dataset(file: file, path: here.object, handle: Handle(id, .dataset))
                try StringCodec.withVariable(strings) { pointers in
                    try here.check(
                        H5Dwrite(id, type, unravel_s_all(), unravel_s_all(), unravel_p_default(), pointers),
                        "cannot write the strings")
                }
                return dataset
            }
        }
    }
}

extension Dataset {
    /// Appends rows along the first axis of an extendable dataset. `values` holds whole rows.
    public func appendRows<T: Element>(_ values: [T]) throws {
        try library {
            let stored = try location.withType(of: handle.id) { StoredType(type: $0) }
            guard stored == T.storedType else {
                throw location.error(.wrongType, "expected rows of \(stored) to match the dataset, got \(T.storedType)")
            }
            let extent = try extent()
            guard let first = extent.shape.first else { throw location.error(.wrongShape, "cannot append to a scalar") }
            let rowShape = Array(extent.shape.dropFirst())
            let rowSize = rowShape.reduce(1, *)
            guard rowSize > 0, values.count % rowSize == 0 else {
                throw location.error(.wrongShape, "\(values.count) values are not whole rows of \(rowSize)")
            }
            let newRows = values.count / rowSize
            if newRows == 0 { return }
            let newShape = [hsize_t(first + newRows)] + rowShape.map { hsize_t($0) }
            try location.check(H5Dset_extent(handle.id, newShape), "cannot extend the dataset (was it created extendable?)")
            try writeSlab(values, start: first, rows: newRows, rowShape: rowShape)
        }
    }

    /// Overwrites `values.count / rowSize` rows starting at row `start`.
    public func writeRows<T: Element>(_ values: [T], at start: Int) throws {
        try library {
            try checkType(T.self, converting: false)
            let extent = try extent()
            guard let first = extent.shape.first else { throw location.error(.wrongShape, "cannot write rows of a scalar") }
            let rowShape = Array(extent.shape.dropFirst())
            let rowSize = rowShape.reduce(1, *)
            guard rowSize > 0, values.count % rowSize == 0, start >= 0, start + values.count / rowSize <= first else {
                throw location.error(.wrongShape, "\(values.count) values at row \(start) do not fit shape \(extent.shape)")
            }
            try writeSlab(values, start: start, rows: values.count / rowSize, rowShape: rowShape)
        }
    }

    private func writeSlab<T: Element>(_ values: [T], start: Int, rows: Int, rowShape: [Int]) throws {
        try values.withUnsafeBytes { buffer in
            try withRowSelection(start: start, rows: rows, rowShape: rowShape) { memory, file in
                try location.check(
                    H5Dwrite(handle.id, T.memoryType, memory, file, unravel_p_default(), buffer.baseAddress),
                    "cannot write rows \(start)..<\(start + rows)")
            }
        }
    }
}

extension Location {
    /// The dataset-creation property list for a set of options.
    func withDatasetCreation<R>(
        _ options: DatasetOptions, shape: [Int], elementSize: Int, _ body: (hid_t) throws -> R
    ) throws -> R {
        try withPropertyList({ H5Pcreate(unravel_plist_dataset_create()) }) { list in
            try keepAttributesCompact(list)
            if options.needsChunks {
                let chunks = options.chunkShape(for: shape, elementSize: elementSize)
                guard chunks.count == shape.count, chunks.allSatisfy({ $0 > 0 }) else {
                    throw error(.invalidArgument, "chunk shape \(chunks) does not fit shape \(shape)")
                }
                try check(H5Pset_chunk(list, Int32(chunks.count), chunks.map { hsize_t($0) }), "cannot set chunk shape \(chunks)")
                if options.shuffle { try check(H5Pset_shuffle(list), "cannot set the shuffle filter") }
                if let level = options.deflate {
                    guard (0...9).contains(level) else { throw error(.invalidArgument, "deflate level \(level) is not in 0...9") }
                    try check(H5Pset_deflate(list, UInt32(level)), "cannot set the deflate filter")
                }
                // Last, so it checks the bytes as stored.
                if options.checksum { try check(H5Pset_fletcher32(list), "cannot set the Fletcher-32 filter") }
            }
            return try body(list)
        }
    }
}
