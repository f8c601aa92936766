import CHDF5

/// Owns one HDF5 identifier and closes it when the last Swift reference goes away.
final class Handle: @unchecked Sendable {
    enum Kind { case file, group, dataset, attribute, dataspace, datatype, propertyList }

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
            case .attribute: _ = H5Aclose(id)
            case .dataspace: _ = H5Sclose(id)
            case .datatype: _ = H5Tclose(id)
            case .propertyList: _ = H5Pclose(id)
            }
            H5Eclear2(unravel_e_default())
        }
    }
}
