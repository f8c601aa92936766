import Foundation
import Nets

/// Where a results file came from: enough to reproduce it or to tell two apart.
public struct Provenance: Sendable {
    public var toolVersion: String
    public var commandLine: String
    public var model: String
    public var modelSHA256: String
    public var data: String
    public var dataSHA256: String
    public var threads: Int
    public var batchSize: Int
    public var images: Int
    public var started: String
    /// What decides the results' last digits (`Arithmetic.current`): a file adds, resumes and
    /// merges only results computed with the same.
    public var arithmetic = Arithmetic.current

    /// `digests` hashes the model and the data files, in that order.
    public init(toolVersion: String, commandLine: String, model: String, data: String, threads: Int, batchSize: Int,
                images: Int, digests: FileDigest.Pending) throws {
        self.toolVersion = toolVersion
        self.commandLine = commandLine
        self.model = model
        self.data = data
        self.threads = threads
        self.batchSize = batchSize
        self.images = images
        let hashes = try digests.wait()
        (modelSHA256, dataSHA256) = (hashes[0], hashes[1])
        started = Provenance.now()
    }

    /// The time in ISO 8601, to the millisecond: it orders the networks of one file
    /// (`StudyResults`), and several small networks are studied within a second.
    public static func now() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date())
    }
}
