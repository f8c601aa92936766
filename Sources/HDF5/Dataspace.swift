import CHDF5

/// The shape behind a dataspace id. A scalar has shape [] and one element; a null space
/// (h5py's Empty) has no elements.
struct Extent {
    let shape: [Int]
    let count: Int

    /// Larger reads than this are refused: a damaged header must not make us allocate terabytes.
    static let readLimitBytes = 1 << 34

    init(space: hid_t, at here: Location) throws {
        let spaceClass = H5Sget_simple_extent_type(space)
        if spaceClass == H5S_NULL {
            shape = [0]; count = 0
            return
        }
        let rank = H5Sget_simple_extent_ndims(space)
        if rank < 0 { throw here.error(.library, "cannot read the shape") }
        var dims = [hsize_t](repeating: 0, count: Int(rank))
        if rank > 0 && H5Sget_simple_extent_dims(space, &dims, nil) < 0 {
            throw here.error(.library, "cannot read the shape")
        }
        var total = 1
        for dim in dims {
            guard dim <= hsize_t(Int.max) else { throw here.error(.wrongShape, "dimension \(dim) is out of range") }
            let (product, overflow) = total.multipliedReportingOverflow(by: Int(dim))
            if overflow { throw here.error(.wrongShape, "shape \(dims) is too large") }
            total = product
        }
        shape = dims.map { Int($0) }
        count = total
    }

    func checkReadable(bytesPerElement: Int, at here: Location) throws {
        let (bytes, overflow) = count.multipliedReportingOverflow(by: bytesPerElement)
        if overflow || bytes > Extent.readLimitBytes {
            throw here.error(.wrongShape, "shape \(shape) is too large to read at once; read it in slabs")
        }
    }
}

