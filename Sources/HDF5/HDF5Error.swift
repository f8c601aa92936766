/// The one error every HDF5 operation throws.
///
/// It names the file, the object inside it and what was expected, and carries HDF5's own
/// error stack (innermost cause last) for anyone who wants the details.
public struct HDF5Error: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Kind: String, Sendable {
        case notHDF5 = "not an HDF5 file"
        case missing = "missing object"
        case wrongType = "wrong type"
        case wrongShape = "wrong shape"
        case alreadyExists = "already exists"
        case invalidArgument = "invalid argument"
        case library = "HDF5 failure"
        /// Structure that cannot be right (a count larger than the file), caught before libhdf5
        /// would follow it.
        case damaged = "damaged file"
        /// Writing failed for a reason outside the file's content (no space, no permission).
        case io = "cannot write"
    }

    public let kind: Kind
    /// The file's path on disk.
    public let file: String
    /// The object's path inside the file ("/" for the root group), with "@name" for an attribute.
    public let object: String
    /// What went wrong, in words that say what was expected.
    public let message: String
    /// HDF5's own messages, outermost call first.
    public let stack: [String]

    public init(_ kind: Kind, file: String, object: String, _ message: String, stack: [String] = []) {
        self.kind = kind
        self.file = file
        self.object = object
        self.message = message
        self.stack = stack
    }

    public var description: String {
        var text = "\(file)"
        if !object.isEmpty { text += ": \(object)" }
        text += ": \(message)"
        if let cause = stack.last { text += " (HDF5: \(cause))" }
        return text
    }
}
