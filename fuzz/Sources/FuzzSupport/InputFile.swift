import Foundation

/// The readers take paths, so each input is written to a file in memory (/dev/shm), read, and
/// removed. One file per process: libFuzzer runs inputs one at a time.
public func withInputFile(_ bytes: UnsafeRawPointer, _ count: Int, suffix: String, _ body: (String) throws -> Void) {
    installStructureCheck()
    let path = inputPath(suffix)
    _ = FileManager.default.createFile(atPath: path, contents: Data(bytes: bytes, count: count))
    defer { try? FileManager.default.removeItem(atPath: path) }
    try? body(path)
}

/// A second file beside the input (an output, or a Caffe model's weights).
public func inputPath(_ suffix: String) -> String {
    let folder = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
    return "\(folder)/unravel-fuzz-\(getpid())\(suffix)"
}
