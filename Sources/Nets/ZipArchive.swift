import Foundation
import ZIPFoundation

/// The members of a .keras file (a zip archive), read with ZIPFoundation: stored members as Keras
/// writes them, and deflated ones as a re-zipped archive has them, each checked by its CRC-32.
struct ZipArchive {
    let path: String
    private let archive: Archive

    init(_ path: String) throws {
        self.path = path
        guard FileManager.default.isReadableFile(atPath: path) else { throw NetsError("\(path): cannot read the file") }
        do {
            archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read)
        } catch {
            throw NetsError("\(path): not a zip archive (\(error)); is the .keras file truncated?")
        }
    }

    func member(_ name: String) throws -> Data {
        guard let entry = archive[name] else { throw NetsError("\(path): the archive has no \(name)") }
        var data = Data()
        let checksum: CRC32
        do {
            checksum = try archive.extract(entry, skipCRC32: false) { data.append($0) }
        } catch {
            throw NetsError("\(path): the zip member \(name) cannot be read (\(error)); is the .keras file damaged?")
        }
        // Extracting to memory returns the checksum without comparing it (extracting to a file would).
        guard checksum == entry.checksum else {
            throw NetsError("\(path): the zip member \(name) cannot be read (its CRC-32 does not match); is the .keras file damaged?")
        }
        return data
    }
}
