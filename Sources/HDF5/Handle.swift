import CHDF5

/// Owns one HDF5 identifier and closes it when the last Swift reference goes away.
final class Handle: @unchecked Sendable {
    /// What the handle is, for its close call. Attributes, dataspaces, datatypes and property
    /// lists are closed where they are opened (Scoped), so only these three are held.
    enum Kind { case file, group, dataset }

    let id: hid_t
    let kind: Kind

    init(_ id: hid_t, _ kind: Kind) {
        self.id = id
        self.kind = kind
    }

    deinit {
        library {
            switch kind {
            case .file: _ = H5Fclose(id)
            case .group: _ = H5Gclose(id)
            case .dataset: _ = H5Dclose(id)
            }
            H5Eclear2(unravel_e_default())
        }
    }
}
