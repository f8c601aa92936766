import CHDF5

/// How a string attribute is written. h5py writes `str` as variable-length UTF-8 and numpy
/// bytes arrays as fixed-length ASCII; Keras files hold both.
public enum StringForm: Sendable {
    case variable(utf8: Bool)
    case fixed(utf8: Bool)

    public static let standard = StringForm.variable(utf8: true)
}

extension Node {
    /// The names of this object's attributes, in creation or name order.
    public var attributeNames: [String] {
        get throws {
            try library {
                let count = H5Aget_num_attrs(handle.id)
                if count < 0 { throw location.error(.library, "cannot count the attributes") }
                return try (0..<count).map { index in
                    let id = try location.check(
                        H5Aopen_by_idx(handle.id, ".", H5_INDEX_NAME, H5_ITER_INC, hsize_t(index), unravel_p_default(), unravel_p_default()),
                        "cannot open attribute \(index)")
                    defer { H5Aclose(id) }
                    let length = H5Aget_name(id, 0, nil)
                    var buffer = [CChar](repeating: 0, count: max(Int(length), 0) + 1)
                    H5Aget_name(id, buffer.count, &buffer)
                    return String(nulTerminated: buffer)
                }
            }
        }
    }

    /// Whether the attribute exists.
    public func hasAttribute(_ name: String) -> Bool {
        library {
            let exists = H5Aexists(handle.id, name) > 0
            H5Eclear2(unravel_e_default())
            return exists
        }
    }

    /// The stored type of an attribute.
    public func attributeType(_ name: String) throws -> StoredType {
        try library {
            try withAttribute(name) { attribute in
                try attributeLocation(name).withType(of: attribute, isAttribute: true) { StoredType(type: $0) }
            }
        }
    }

    /// Reads a numeric attribute holding exactly one value (a scalar or a one-element array).
    public func attribute<T: Element>(_ name: String, as _: T.Type = T.self, converting: Bool = false) throws -> T {
        let values = try attributeArray(name, as: T.self, converting: converting)
        guard values.count == 1 else {
            throw attributeLocation(name).error(.wrongShape, "expected a single \(T.storedType), found \(values.count) values")
        }
        return values[0]
    }

    /// Reads a numeric attribute as a flat array.
    public func attributeArray<T: Element>(_ name: String, as _: T.Type = T.self, converting: Bool = false) throws -> [T] {
        try library {
            let here = attributeLocation(name)
            return try withAttribute(name) { attribute in
                let stored = try here.withType(of: attribute, isAttribute: true) { StoredType(type: $0) }
                guard stored == T.storedType || (converting && stored.isNumeric) else {
                    throw here.error(.wrongType, "expected \(T.storedType), found \(stored)")
                }
                let extent = try here.withSpace(of: attribute, isAttribute: true) { try Extent(space: $0, at: here) }
                try extent.checkReadable(bytesPerElement: MemoryLayout<T>.stride, at: here)
                if extent.count == 0 { return [] }
                return try filledByReading(count: extent.count) { buffer in
                    try here.check(H5Aread(attribute, T.memoryType, buffer), "cannot read the attribute")
                }
            }
        }
    }

    /// Reads a string attribute holding exactly one string.
    public func stringAttribute(_ name: String) throws -> String {
        let strings = try stringArrayAttribute(name)
        guard strings.count == 1 else {
            throw attributeLocation(name).error(.wrongShape, "expected one string, found \(strings.count)")
        }
        return strings[0]
    }

    /// Reads a string-array attribute in any form h5py or Keras writes. An empty numeric
    /// array (Keras' empty `weight_names`) reads as [].
    public func stringArrayAttribute(_ name: String) throws -> [String] {
        try library {
            let here = attributeLocation(name)
            return try withAttribute(name) { attribute in
                try here.withType(of: attribute, isAttribute: true) { type in
                    try here.withSpace(of: attribute, isAttribute: true) { space in
                        try StringCodec.read(fileType: type, space: space, at: here) { memoryType, buffer in
                            H5Aread(attribute, memoryType, buffer)
                        }
                    }
                }
            }
        }
    }

    /// Writes a scalar numeric attribute, replacing any attribute of that name.
    public func setAttribute<T: Element>(_ name: String, _ value: T) throws {
        try writeAttribute(name, shape: [], fileType: T.fileType, memoryType: T.memoryType) { write in
            try withUnsafeBytes(of: value) { try write($0.baseAddress!) }
        }
    }

    /// Writes a one-dimensional numeric attribute.
    public func setAttribute<T: Element>(_ name: String, _ values: [T]) throws {
        try writeAttribute(name, shape: [values.count], fileType: T.fileType, memoryType: T.memoryType) { write in
            try values.withUnsafeBytes { try write($0.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!) }
        }
    }

    /// Writes a scalar string attribute.
    public func setAttribute(_ name: String, _ value: String, form: StringForm = .standard) throws {
        try writeStrings(name, [value], shape: [], form: form)
    }

    /// Writes a one-dimensional string-array attribute.
    public func setAttribute(_ name: String, _ values: [String], form: StringForm = .standard) throws {
        try writeStrings(name, values, shape: [values.count], form: form)
    }

    /// Removes an attribute.
    public func removeAttribute(_ name: String) throws {
        try library {
            let here = attributeLocation(name)
            guard H5Aexists(handle.id, name) > 0 else { throw here.error(.missing, "no such attribute") }
            try here.check(H5Adelete(handle.id, name), "cannot remove the attribute")
        }
    }

    // MARK: - Internals

    func attributeLocation(_ name: String) -> Location {
        Location(file: file.path, object: "\(path)@\(name)")
    }

    func withAttribute<R>(_ name: String, _ body: (hid_t) throws -> R) throws -> R {
        let here = attributeLocation(name)
        guard H5Aexists(handle.id, name) > 0 else { throw here.error(.missing, "no such attribute") }
        let id = try here.check(H5Aopen(handle.id, name, unravel_p_default()), "cannot open the attribute")
        defer { H5Aclose(id) }
        return try body(id)
    }

    private func writeStrings(_ name: String, _ values: [String], shape: [Int], form: StringForm) throws {
        let here = attributeLocation(name)
        switch form {
        case .variable(let utf8):
            try library {
                try here.withNewType({ StringCodec.variableType(utf8: utf8) }) { type in
                    try writeAttribute(name, shape: shape, fileType: type, memoryType: type) { write in
                        try StringCodec.withVariable(values) { try write($0) }
                    }
                }
            }
        case .fixed(let utf8):
            let size = max(1, values.map { $0.utf8.count }.max() ?? 1)
            let bytes = StringCodec.packFixed(values, size: size)
            try library {
                try here.withNewType({ StringCodec.fixedType(size: size, utf8: utf8) }) { type in
                    try writeAttribute(name, shape: shape, fileType: type, memoryType: type) { write in
                        try bytes.withUnsafeBytes { try write($0.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!) }
                    }
                }
            }
        }
    }

    private func writeAttribute(
        _ name: String, shape: [Int], fileType: hid_t, memoryType: hid_t,
        _ body: ((UnsafeRawPointer) throws -> Void) throws -> Void
    ) throws {
        try library {
            let here = attributeLocation(name)
            if H5Aexists(handle.id, name) > 0 {
                try here.check(H5Adelete(handle.id, name), "cannot replace the attribute")
            }
            let attribute = try here.withSpace(shape: shape) { space in
                try here.check(
                    H5Acreate2(handle.id, name, fileType, space, unravel_p_default(), unravel_p_default()),
                    "cannot create the attribute")
            }
            defer { H5Aclose(attribute) }
            try body { pointer in
                try here.check(H5Awrite(attribute, memoryType, pointer), "cannot write the attribute")
            }
        }
    }
}

