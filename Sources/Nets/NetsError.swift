/// Errors from building or running a network. Each says what was expected and where.
public struct NetsError: Error, CustomStringConvertible, Equatable, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
