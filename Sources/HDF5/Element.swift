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

/// `count` elements that `read` fills in full (an H5Dread or H5Aread into their bytes), not first
/// set one by one: in generic code `Array(repeating:count:)` copied each through its value
/// witness, 60 ms of the start of a ResNet-50 run. Elements are plain numbers, and a failed read
/// leaves none initialized.
func filledByReading<T: Element>(count: Int, _ read: (UnsafeMutableRawPointer) throws -> Void) throws -> [T] {
    try [T](unsafeUninitializedCapacity: count) { buffer, initialized in
        try read(UnsafeMutableRawPointer(buffer.baseAddress!))
        initialized = count
    }
}
