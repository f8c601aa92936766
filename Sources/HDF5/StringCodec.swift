import CHDF5
import Foundation

/// Reads and writes HDF5 strings in every form h5py and Keras produce: variable- or fixed-length,
/// ASCII or UTF-8, NUL- or space-padded, scalar or array.
enum StringCodec {
    /// Reads all strings of a dataset or attribute. `read` performs the actual H5Dread/H5Aread
    /// into the given memory type and buffer.
    ///
    /// Keras writes an empty `weight_names` as an empty float64 array, so an empty numeric array
    /// reads as no strings.
    static func read(
        fileType: hid_t, space: hid_t, at here: Location,
        _ read: (hid_t, UnsafeMutableRawPointer) -> herr_t
    ) throws -> [String] {
        let extent = try Extent(space: space, at: here)
        let stored = StoredType(type: fileType)
        guard stored == .string else {
            if extent.count == 0 && stored.isNumeric { return [] }
            throw here.error(.wrongType, "expected strings, found \(stored)")
        }
        if extent.count == 0 { return [] }
        let characterSet = H5Tget_cset(fileType)
        if H5Tis_variable_str(fileType) > 0 {
            try extent.checkReadable(bytesPerElement: MemoryLayout<UnsafeMutablePointer<CChar>?>.stride, at: here)
            return try here.withNewType({ variableType(utf8: characterSet == H5T_CSET_UTF8) }) { memoryType in
                var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: extent.count)
                try pointers.withUnsafeMutableBytes { buffer in
                    try here.check(read(memoryType, buffer.baseAddress!), "cannot read the strings")
                }
                let strings = pointers.map { pointer in pointer.map { String(cString: $0) } ?? "" }
                _ = pointers.withUnsafeMutableBytes { buffer in
                    unravel_vlen_reclaim(memoryType, space, buffer.baseAddress)
                }
                return strings
            }
        }
        let size = H5Tget_size(fileType)
        guard size > 0 else { throw here.error(.wrongType, "a fixed-length string type of size 0") }
        try extent.checkReadable(bytesPerElement: size, at: here)
        let spacePadded = H5Tget_strpad(fileType) == H5T_STR_SPACEPAD
        var bytes = [UInt8](repeating: 0, count: extent.count * size)
        try here.withNewType({ H5Tcopy(fileType) }) { memoryType in
            try bytes.withUnsafeMutableBytes { buffer in
                try here.check(read(memoryType, buffer.baseAddress!), "cannot read the strings")
            }
        }
        return (0..<extent.count).map { index in
            var field = bytes[index * size ..< (index + 1) * size]
            if let end = field.firstIndex(of: 0) { field = field[..<end] }
            if spacePadded { while field.last == 0x20 { field = field.dropLast() } }
            return String(decoding: field, as: UTF8.self)
        }
    }

    /// A new variable-length string type, or a negative id. The caller closes it.
    static func variableType(utf8: Bool) -> hid_t {
        let type = H5Tcopy(unravel_c_string())
        guard type >= 0,
              H5Tset_size(type, unravel_variable_size()) >= 0,
              H5Tset_cset(type, utf8 ? H5T_CSET_UTF8 : H5T_CSET_ASCII) >= 0
        else { if type >= 0 { H5Tclose(type) }; return -1 }
        return type
    }

    /// A new fixed-length, NUL-padded string type of `size` bytes (numpy's "S" dtype), or a
    /// negative id. The caller closes it.
    static func fixedType(size: Int, utf8: Bool) -> hid_t {
        let type = H5Tcopy(unravel_c_string())
        guard type >= 0,
              H5Tset_size(type, max(size, 1)) >= 0,
              H5Tset_strpad(type, H5T_STR_NULLPAD) >= 0,
              H5Tset_cset(type, utf8 ? H5T_CSET_UTF8 : H5T_CSET_ASCII) >= 0
        else { if type >= 0 { H5Tclose(type) }; return -1 }
        return type
    }

    /// Calls `body` with an array of C string pointers that live until it returns.
    static func withVariable<R>(_ strings: [String], _ body: (UnsafeRawPointer) throws -> R) rethrows -> R {
        let pointers = strings.map { strdup($0) }
        defer { pointers.forEach { free($0) } }
        return try pointers.withUnsafeBytes { try body($0.baseAddress!) }
    }

    /// Packs strings into NUL-padded fields of `size` bytes.
    static func packFixed(_ strings: [String], size: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: strings.count * max(size, 1))
        for (index, string) in strings.enumerated() {
            for (offset, byte) in string.utf8.prefix(size).enumerated() { bytes[index * size + offset] = byte }
        }
        return bytes
    }
}

extension String {
    /// A name HDF5 wrote into `buffer`, up to its first NUL, as UTF-8.
    init(nulTerminated buffer: [CChar]) {
        self.init(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
