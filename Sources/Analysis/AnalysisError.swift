import Nets

/// A problem with a results file (in use by another process, holding a different experiment,
/// failing to save) or with an experiment's settings.
public struct AnalysisError: KindedError, Equatable, Sendable {
    /// What the caller can do about it, for front ends that name their own flags for it.
    public enum Remedy: Equatable, Sendable {
        /// The output already holds this experiment: resume it, or replace it.
        case resumeOrReplace
        /// The output was made with another batch size: resume with that one.
        case useBatchSize(Int)
        /// The output holds results on this many images: add to it only with as many.
        case addWithImages(Int)
        /// The output holds results made with this batch size: add to it only with that one.
        case addWithBatchSize(Int)
    }

    public let kind: ErrorKind
    public let message: String
    public let remedy: Remedy?

    public init(_ kind: ErrorKind, _ message: String, remedy: Remedy? = nil) {
        self.kind = kind
        self.message = message
        self.remedy = remedy
    }

    public var errorKind: ErrorKind { kind }

    public var description: String {
        switch remedy {
        case nil: return message
        case .resumeOrReplace: return message + "; resume it (Study.Options.resume) or replace it (.force)"
        case .useBatchSize(let size): return message + "; resume with batch size \(size)"
        case .addWithImages(let count): return message + "; use \(count) images (Study.Options.limit), or write to another file"
        case .addWithBatchSize(let size): return message + "; use batch size \(size), or write to another file"
        }
    }
}
