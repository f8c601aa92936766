/// Errors from building or running a network. Each says what was expected and where.
public struct NetsError: KindedError, Equatable, Sendable {
    public let kind: ErrorKind
    public let message: String

    public init(_ kind: ErrorKind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// A problem with a model or dataset file.
    public init(_ message: String) { self.init(.badInput, message) }

    public var errorKind: ErrorKind { kind }
    public var description: String { message }
}
