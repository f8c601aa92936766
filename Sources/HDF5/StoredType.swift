import CHDF5

/// What a dataset or attribute holds on disk, in numpy's words.
public enum StoredType: Equatable, Sendable, CustomStringConvertible {
    case float(bits: Int)
    case integer(bits: Int, signed: Bool)
    case string
    case other(String)

    public var description: String {
        switch self {
        case .float(let bits): return "float\(bits)"
        case .integer(let bits, let signed): return "\(signed ? "int" : "uint")\(bits)"
        case .string: return "string"
        case .other(let name): return name
        }
    }

    /// Classifies an HDF5 datatype id.
    init(type: hid_t) {
        let size = H5Tget_size(type) * 8
        switch H5Tget_class(type) {
        case H5T_FLOAT: self = .float(bits: size)
        case H5T_INTEGER: self = .integer(bits: size, signed: H5Tget_sign(type) == H5T_SGN_2)
        case H5T_STRING: self = .string
        case H5T_COMPOUND: self = .other("compound")
        case H5T_ENUM: self = .other("enum")
        case H5T_ARRAY: self = .other("array")
        case H5T_VLEN: self = .other("vlen")
        case H5T_OPAQUE: self = .other("opaque")
        case H5T_REFERENCE: self = .other("reference")
        case H5T_BITFIELD: self = .other("bitfield")
        default: self = .other("unknown type")
        }
    }

    var isNumeric: Bool {
        switch self {
        case .float, .integer: return true
        default: return false
        }
    }
}
