import Nets

/// A probe asked for something the network or the batch does not have: a hook point the network
/// lacks, or a value it did not declare in `reads`. Raised before any work where it can be.
public struct ProbeError: KindedError, Equatable, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    /// The probe's author must change the probe.
    public var errorKind: ErrorKind { .badUsage }
    public var description: String { message }
}
