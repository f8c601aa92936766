import CHDF5

/// A numeric type that datasets and attributes can hold.
public protocol Element: Sendable, Equatable {
    /// How it is stored in a file, e.g. "float32".
    static var storedType: StoredType { get }
    static var memoryType: hid_t { get }
    static var fileType: hid_t { get }
    static var zero: Self { get }
}

extension Float: Element {
    public static var storedType: StoredType { .float(bits: 32) }
    public static var memoryType: hid_t { unravel_native_float() }
    public static var fileType: hid_t { unravel_file_float() }
    public static var zero: Float { 0 }
}

extension Double: Element {
    public static var storedType: StoredType { .float(bits: 64) }
    public static var memoryType: hid_t { unravel_native_double() }
    public static var fileType: hid_t { unravel_file_double() }
    public static var zero: Double { 0 }
}

extension Int32: Element {
    public static var storedType: StoredType { .integer(bits: 32, signed: true) }
    public static var memoryType: hid_t { unravel_native_int32() }
    public static var fileType: hid_t { unravel_file_int32() }
    public static var zero: Int32 { 0 }
}

extension Int64: Element {
    public static var storedType: StoredType { .integer(bits: 64, signed: true) }
    public static var memoryType: hid_t { unravel_native_int64() }
    public static var fileType: hid_t { unravel_file_int64() }
    public static var zero: Int64 { 0 }
}

extension UInt8: Element {
    public static var storedType: StoredType { .integer(bits: 8, signed: false) }
    public static var memoryType: hid_t { unravel_native_uint8() }
    public static var fileType: hid_t { unravel_file_uint8() }
    public static var zero: UInt8 { 0 }
}
