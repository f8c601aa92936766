import HDF5

/// What kind of failure an error is: what the caller must change to succeed. The CLI maps each
/// kind to one exit code (README, "Exit codes").
public enum ErrorKind: String, Sendable, CaseIterable {
    /// A model, dataset or results file that is malformed, or that does not fit the others.
    case badInput = "bad input"
    /// Arguments the call cannot work with: a batch size of 0, a path length out of range.
    case badUsage = "bad usage"
    /// The output is being written by another process, or already holds a different experiment.
    case conflict = "conflict"
    /// Something that failed while running and is not the caller's doing: a write that failed.
    case failure = "failure"
}

/// An error that says which kind of failure it is.
public protocol KindedError: Error, CustomStringConvertible {
    var errorKind: ErrorKind { get }
}

/// An HDF5 failure is in a file Unravel was given, unless writing a new one failed.
extension HDF5Error: KindedError {
    public var errorKind: ErrorKind { kind == .io ? .failure : .badInput }
}
