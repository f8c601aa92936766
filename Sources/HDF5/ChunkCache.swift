import CHDF5

/// How much of a chunked dataset HDF5 keeps decompressed between reads.
///
/// HDF5 keeps 1 MiB per open dataset by default, and a chunk larger than its cache is not kept at
/// all: every read that touches it decompresses the whole chunk again. A dataset of 224×224 images
/// stored in chunks of 128 is read that way four times over in batches of 32.
public enum ChunkCache: Sendable, Equatable {
    /// HDF5's own setting.
    case libraryDefault
    /// Room for the chunks one slab of rows spans (one, when a chunk holds whole rows), if they
    /// are at most `limit` bytes (else HDF5's setting). Rows read in order then decompress each
    /// chunk once.
    case rowOfChunks(limit: Int)
}

extension Group {
    /// Opens the dataset at `path` with the chunk cache `cache`.
    public func dataset(_ path: String, chunkCache cache: ChunkCache) throws -> Dataset {
        guard case .rowOfChunks(let limit) = cache, let access = try accessForRowOfChunks(path, limit: limit) else {
            return try dataset(path)
        }
        let here = location(path)
        return try library {
            defer { H5Pclose(access) }
            let id = try here.check(H5Dopen2(handle.id, path, access), "cannot open the dataset")
            return Dataset(file: file, path: here.object, handle: Handle(id, .dataset))
        }
    }

    /// A dataset access list with room for the chunks of `path` that one slab of rows spans, or
    /// nil when HDF5's cache holds them already or they are more than `limit` bytes.
    ///
    /// HDF5 shares one cache among all open handles of a dataset, made at the first open. So the
    /// dataset is measured through a handle that is closed before it is opened with this list.
    private func accessForRowOfChunks(_ path: String, limit: Int) throws -> hid_t? {
        let probe = try dataset(path)
        guard let bytes = try probe.rowOfChunksBytes, bytes <= limit else { return nil }
        return try library {
            let list = try probe.location.check(H5Dget_access_plist(probe.handle.id), "cannot read the access properties")
            var handedOver = false
            defer { if !handedOver { H5Pclose(list) } }
            let cache = try ChunkCacheSettings(of: list, at: probe.location)
            guard bytes > cache.bytes else { return nil }
            try probe.location.check(H5Pset_chunk_cache(list, cache.slots, bytes, cache.evictFullyRead),
                                     "cannot set the chunk cache")
            handedOver = true
            return list
        }
    }
}

extension Dataset {
    /// Bytes, before compression, of the chunks that hold one row (all chunks along the other
    /// axes: a file chunked by channel has three for an RGB image), or nil for contiguous storage.
    var rowOfChunksBytes: Int? {
        get throws {
            guard let chunk = try chunkShape else { return nil }
            let element = try library { try location.withType(of: handle.id) { H5Tget_size($0) } }
            let across = zip(try shape.dropFirst(), chunk.dropFirst()).reduce(1) { $0 * (($1.0 + $1.1 - 1) / $1.1) }
            return chunk.reduce(element, *) * across
        }
    }

    /// The chunk cache's size in bytes for this open dataset.
    var chunkCacheBytes: Int {
        get throws {
            try library {
                try location.withPropertyList({ H5Dget_access_plist(handle.id) }) { try ChunkCacheSettings(of: $0, at: location).bytes }
            }
        }
    }
}

/// A dataset access list's chunk cache (H5Pget_chunk_cache).
private struct ChunkCacheSettings {
    var slots = 0, bytes = 0
    var evictFullyRead = 0.0

    init(of list: hid_t, at here: Location) throws {
        try here.check(H5Pget_chunk_cache(list, &slots, &bytes, &evictFullyRead), "cannot read the chunk cache")
    }
}
