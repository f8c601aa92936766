/// A problem with a results file: in use by another process, or holding a different experiment.
public struct AnalysisError: Error, CustomStringConvertible, Equatable, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
