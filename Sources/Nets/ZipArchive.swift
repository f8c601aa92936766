import Foundation

/// Reads the members of a zip archive that are stored uncompressed, as Keras writes .keras files.
/// Compressed members are refused with a clear error rather than misread.
struct ZipArchive {
    let path: String
    private let data: Data
    private(set) var entries: [String: (offset: Int, size: Int, method: UInt16)] = [:]

    init(_ path: String) throws {
        self.path = path
        guard let data = FileManager.default.contents(atPath: path) else { throw NetsError("\(path): cannot read the file") }
        self.data = data
        func u16(_ at: Int) -> Int { at + 2 <= data.count ? Int(data[at]) | Int(data[at + 1]) << 8 : -1 }
        func u32(_ at: Int) -> Int { at + 4 <= data.count ? u16(at) | u16(at + 2) << 16 : -1 }
        // The end-of-central-directory record: within the last 64 KiB + 22 bytes.
        guard let end = stride(from: data.count - 22, through: max(0, data.count - 65_557), by: -1).first(where: { u32($0) == 0x0605_4b50 }) else {
            throw NetsError("\(path): not a zip archive (no end-of-central-directory record); is the .keras file truncated?")
        }
        let count = u16(end + 10)
        var at = u32(end + 16)
        for _ in 0..<count {
            guard at >= 0, u32(at) == 0x0201_4b50 else { throw NetsError("\(path): damaged zip central directory") }
            let method = UInt16(u16(at + 10)), size = u32(at + 20), nameLength = u16(at + 28)
            let extra = u16(at + 30), comment = u16(at + 32), local = u32(at + 42)
            guard at + 46 + nameLength <= data.count, local >= 0, u32(local) == 0x0403_4b50 else {
                throw NetsError("\(path): damaged zip entry")
            }
            let name = String(decoding: data[(at + 46)..<(at + 46 + nameLength)], as: UTF8.self)
            let start = local + 30 + u16(local + 26) + u16(local + 28)
            guard start + size <= data.count else { throw NetsError("\(path): the zip member \(name) is truncated") }
            entries[name] = (start, size, method)
            at += 46 + nameLength + extra + comment
        }
    }

    func member(_ name: String) throws -> Data {
        guard let entry = entries[name] else { throw NetsError("\(path): the archive has no \(name)") }
        guard entry.method == 0 else {
            throw NetsError("\(path): \(name) is compressed (zip method \(entry.method)); Keras stores .keras members "
                            + "uncompressed: re-save the model with Keras")
        }
        return data[entry.offset..<(entry.offset + entry.size)]
    }
}
