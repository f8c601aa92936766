/// Which parts of a block the backward pass goes through. The path experiments use it: a path
/// of length k goes through the branch of k blocks and the shortcut of the others.
public enum Route: String, Sendable, CaseIterable {
    /// The ordinary gradient: branch and shortcut.
    case both
    /// The residual branch only (a highway block's transform path, gate term included).
    case branch
    /// The skip connection only (a highway block's carry path, gate held fixed). A plain block
    /// has none, so no gradient passes.
    case shortcut

    var usesBranch: Bool { self != .shortcut }
    var usesShortcut: Bool { self != .branch }
}
