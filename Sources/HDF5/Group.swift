import CHDF5

/// A group: a folder of named groups and datasets. Paths with '/' work in every method.
public final class Group: Node, @unchecked Sendable {
    /// What a group member is.
    public enum MemberKind: String, Sendable {
        case group, dataset, namedType = "named type", other
    }

    static func open(in file: File, path: String) throws -> Group {
        try library {
            let here = Location(file: file.path, object: path)
            let id = try here.check(H5Gopen2(file.handle.id, path, unravel_p_default()), "cannot open the group", kind: .library)
            return Group(file: file, path: path, handle: Handle(id, .group))
        }
    }

    /// Whether an object exists at `path` (relative to this group, or absolute).
    public func contains(_ path: String) -> Bool {
        library {
            var prefix = path.hasPrefix("/") ? "/" : ""
            for component in path.split(separator: "/") {
                prefix += (prefix.isEmpty || prefix.hasSuffix("/") ? "" : "/") + component
                if H5Lexists(handle.id, prefix, unravel_p_default()) <= 0 { return false }
            }
            let exists = H5Oexists_by_name(handle.id, path.isEmpty ? "." : path, unravel_p_default()) > 0
            H5Eclear2(unravel_e_default())
            return exists
        }
    }

    /// The kind of the object at `path`, or nil if there is none.
    public func kind(of path: String) -> MemberKind? {
        guard contains(path) else { return nil }
        return library {
            switch unravel_object_type(handle.id, path) {
            case H5O_TYPE_GROUP: return .group
            case H5O_TYPE_DATASET: return .dataset
            case H5O_TYPE_NAMED_DATATYPE: return .namedType
            default: return .other
            }
        }
    }

    /// The names of this group's members in name order, with their kinds.
    public func members() throws -> [(name: String, kind: MemberKind)] {
        let names: [String] = try library {
            var info = H5G_info_t()
            try location.check(H5Gget_info(handle.id, &info), "cannot read the group's member list")
            return try (0..<info.nlinks).map { index in
                let length = H5Lget_name_by_idx(handle.id, ".", H5_INDEX_NAME, H5_ITER_INC, index, nil, 0, unravel_p_default())
                if length < 0 { throw location.error(.library, "cannot read the name of member \(index)") }
                var buffer = [CChar](repeating: 0, count: Int(length) + 1)
                H5Lget_name_by_idx(handle.id, ".", H5_INDEX_NAME, H5_ITER_INC, index, &buffer, buffer.count, unravel_p_default())
                return String(nulTerminated: buffer)
            }
        }
        return names.map { ($0, kind(of: $0) ?? .other) }
    }

    /// Opens the group at `path`.
    public func group(_ path: String) throws -> Group {
        let here = location(path)
        guard let found = kind(of: path) else { throw here.error(.missing, "no such group") }
        guard found == .group else { throw here.error(.wrongType, "expected a group, found a \(found.rawValue)") }
        return try library {
            let id = try here.check(H5Gopen2(handle.id, path, unravel_p_default()), "cannot open the group")
            return Group(file: file, path: here.object, handle: Handle(id, .group))
        }
    }

    /// Creates a group at `path`, with any missing intermediate groups.
    @discardableResult
    public func createGroup(_ path: String) throws -> Group {
        let here = location(path)
        if contains(path) { throw here.error(.alreadyExists, "an object with this name already exists") }
        return try library {
            let id = try here.withLinkCreation { links in
                try here.withGroupCreation { creation in
                    try here.check(H5Gcreate2(handle.id, path, links, creation, unravel_p_default()), "cannot create the group")
                }
            }
            return Group(file: file, path: here.object, handle: Handle(id, .group))
        }
    }

    /// Opens the group at `path`, creating it (and its parents) if needed.
    public func groupCreatingIfNeeded(_ path: String) throws -> Group {
        contains(path) ? try group(path) : try createGroup(path)
    }

    /// Opens the dataset at `path`.
    public func dataset(_ path: String) throws -> Dataset {
        let here = location(path)
        guard let found = kind(of: path) else { throw here.error(.missing, "no such dataset") }
        guard found == .dataset else { throw here.error(.wrongType, "expected a dataset, found a \(found.rawValue)") }
        return try library {
            let id = try here.check(H5Dopen2(handle.id, path, unravel_p_default()), "cannot open the dataset")
            return Dataset(file: file, path: here.object, handle: Handle(id, .dataset))
        }
    }

    /// Removes the link at `path`. The space is reclaimed only when the file is repacked.
    public func remove(_ path: String) throws {
        let here = location(path)
        guard contains(path) else { throw here.error(.missing, "no such object") }
        try library { try here.check(H5Ldelete(handle.id, path, unravel_p_default()), "cannot remove the object") }
    }
}


extension Group {
    /// Copies the object at `path` (with everything below it) into `destination` under `name`,
    /// possibly in another file.
    public func copy(_ path: String, to destination: Group, as name: String? = nil) throws {
        let here = location(path)
        guard contains(path) else { throw here.error(.missing, "no such object to copy") }
        let target = name ?? String(path.split(separator: "/").last ?? "")
        try library {
            try here.withLinkCreation { links in
                try here.check(
                    H5Ocopy(handle.id, path, destination.handle.id, target, unravel_p_default(), links),
                    "cannot copy to \(destination.file.path):\(Node.join(destination.path, target))")
            }
        }
    }
}
