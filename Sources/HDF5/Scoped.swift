import CHDF5

// Temporary ids (dataspaces, datatypes, property lists, attributes) are closed by `defer` at the
// end of a scope, never by an owning object: ARC may release an object right after its last use,
// which would close an id that a following C call still needs.

extension Location {
    func withSpace<R>(shape: [Int], maxShape: [hsize_t]? = nil, _ body: (hid_t) throws -> R) throws -> R {
        let dims = shape.map { hsize_t($0) }
        let created = shape.isEmpty ? H5Screate(H5S_SCALAR) : H5Screate_simple(Int32(dims.count), dims, maxShape)
        let id = try check(created, "cannot make a dataspace of shape \(shape)")
        defer { H5Sclose(id) }
        return try body(id)
    }

    func withSpace<R>(of id: hid_t, isAttribute: Bool = false, _ body: (hid_t) throws -> R) throws -> R {
        let space = try check(isAttribute ? H5Aget_space(id) : H5Dget_space(id), "cannot read the dataspace")
        defer { H5Sclose(space) }
        return try body(space)
    }

    func withType<R>(of id: hid_t, isAttribute: Bool = false, _ body: (hid_t) throws -> R) throws -> R {
        let type = try check(isAttribute ? H5Aget_type(id) : H5Dget_type(id), "cannot read the datatype")
        defer { H5Tclose(type) }
        return try body(type)
    }

    /// A copy of a type (or a new one), closed after `body`.
    func withNewType<R>(_ make: () -> hid_t, _ body: (hid_t) throws -> R) throws -> R {
        let type = try check(make(), "cannot make a datatype")
        defer { H5Tclose(type) }
        return try body(type)
    }

    func withPropertyList<R>(_ make: () -> hid_t, _ body: (hid_t) throws -> R) throws -> R {
        let list = try check(make(), "cannot make a property list")
        defer { H5Pclose(list) }
        return try body(list)
    }

    /// Objects we create keep their attributes in compact storage (in the object header), never
    /// in dense storage: HDF5 1.10 crashes (a null call in H5T__conv_vlen) when H5Ocopy copies
    /// densely stored variable-length string attributes to another file, which it switches to
    /// beyond 8 attributes by default.
    func keepAttributesCompact(_ list: hid_t) throws {
        try check(H5Pset_attr_phase_change(list, 1024, 1000), "cannot set attribute storage")
    }

    func withGroupCreation<R>(_ body: (hid_t) throws -> R) throws -> R {
        try withPropertyList({ H5Pcreate(unravel_plist_group_create()) }) { list in
            try keepAttributesCompact(list)
            return try body(list)
        }
    }

    /// A link-creation list that makes intermediate groups, so "a/b/c" can be created at once.
    func withLinkCreation<R>(_ body: (hid_t) throws -> R) throws -> R {
        try withPropertyList({ H5Pcreate(unravel_plist_link_create()) }) { list in
            try check(H5Pset_create_intermediate_group(list, 1), "cannot set intermediate group creation")
            try check(H5Pset_char_encoding(list, H5T_CSET_UTF8), "cannot set UTF-8 names")
            return try body(list)
        }
    }
}
