import CHDF5

/// A group or a dataset: something with a path that can carry attributes.
public class Node: @unchecked Sendable {
    /// The file it lives in, kept open while this node is alive.
    public let file: File
    /// Its absolute path inside the file.
    public let path: String
    let handle: Handle

    init(file: File, path: String, handle: Handle) {
        self.file = file
        self.path = path
        self.handle = handle
    }

    var location: Location { Location(file: file.path, object: path) }

    func location(_ child: String) -> Location {
        Location(file: file.path, object: Node.join(path, child))
    }

    static func join(_ parent: String, _ child: String) -> String {
        if child.hasPrefix("/") { return child }
        return parent.hasSuffix("/") ? parent + child : parent + "/" + child
    }
}
