import CHDF5
import Foundation

/// An open HDF5 file. Objects opened from it keep it open; it closes when the last goes away.
public final class File: @unchecked Sendable {
    public enum Mode: Sendable { case readOnly, readWrite }
    public enum CreateMode: Sendable { case failIfExists, truncate }

    /// The path it was opened with.
    public let path: String
    let handle: Handle

    private init(path: String, id: hid_t) {
        self.path = path
        self.handle = Handle(id, .file)
    }

    /// Called with each path before it is opened, outside the library's lock; it throws to refuse
    /// the file. `lesion` sets it to walk each file in a child process, because libhdf5 can crash
    /// or hang on damaged files (StructureWalk.swift). It is asked once per version of a file, and
    /// not for files this process wrote with `writeWhole`. Nil, the default, opens directly.
    public static var checkBeforeOpening: (@Sendable (String) throws -> Void)? {
        get { OpeningCheck.check.withLock { $0 } }
        set { OpeningCheck.check.withLock { $0 = newValue } }
    }

    /// Begins `checkBeforeOpening` now, on threads of its own, for each HDF5 file among `paths`
    /// (a command line's arguments, say): the checks of several files run side by side, and a
    /// later `open` of an unchanged file waits for its outcome instead of checking again.
    public static func beginChecks(_ paths: [String]) {
        OpeningCheck.begin(paths)
    }

    /// Opens an existing file.
    public static func open(_ path: String, _ mode: Mode = .readOnly) throws -> File {
        try OpeningCheck.run(before: path)
        return try library {
            let here = Location(file: path, object: "")
            guard FileManager.default.fileExists(atPath: path) else {
                throw HDF5Error(.missing, file: path, object: "", "no such file")
            }
            // libhdf5 would try to read it and report errno, a buffer's address and -1 bytes read.
            if File.isFolder(path) { throw HDF5Error(.notHDF5, file: path, object: "", "a folder, not a file") }
            if H5Fis_hdf5(path) <= 0 {
                throw here.error(.notHDF5, "not an HDF5 file (no HDF5 signature found)")
            }
            let flags = mode == .readOnly ? unravel_acc_rdonly() : unravel_acc_rdwr()
            let id = try here.check(H5Fopen(path, flags, unravel_p_default()), "cannot open the file", kind: .notHDF5)
            return File(path: path, id: id)
        }
    }

    /// Creates a file. By default it fails if the file exists.
    ///
    /// New files use the 1.8+ format, whose metadata carries checksums: a damaged file is then
    /// reported as damaged instead of being misread.
    public static func create(_ path: String, _ mode: CreateMode = .failIfExists) throws -> File {
        try library {
            let here = Location(file: path, object: "")
            if File.isFolder(path) { throw HDF5Error(.alreadyExists, file: path, object: "", "a folder, not a file") }
            if mode == .failIfExists && FileManager.default.fileExists(atPath: path) {
                throw HDF5Error(.alreadyExists, file: path, object: "", "the file already exists")
            }
            let access = try here.check(H5Pcreate(unravel_plist_file_access()), "cannot make a property list")
            defer { H5Pclose(access) }
            try here.check(H5Pset_libver_bounds(access, H5F_LIBVER_V18, H5F_LIBVER_V110), "cannot set the format")
            let flags = mode == .failIfExists ? unravel_acc_excl() : unravel_acc_trunc()
            let id = try here.withPropertyList({ H5Pcreate(unravel_plist_file_create()) }) { creation in
                try here.keepAttributesCompact(creation)   // for the root group's attributes
                return try here.check(H5Fcreate(path, flags, creation, access), "cannot create the file")
            }
            return File(path: path, id: id)
        }
    }

    /// Whether a folder stands at `path`, where a file is meant to be.
    public static func isFolder(_ path: String) -> Bool {
        var folder: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &folder) && folder.boolValue
    }

    /// The root group.
    public var root: Group {
        get throws { try Group.open(in: self, path: "/") }
    }

    /// Writes everything buffered to disk, so that a process killed afterwards leaves a readable file.
    public func flush() throws {
        try library {
            try Location(file: path, object: "/").check(H5Fflush(handle.id, H5F_SCOPE_GLOBAL), "cannot flush")
        }
    }

    /// The number of HDF5 objects (files, groups, datasets, attributes, types) open in this
    /// process, counting the files themselves. Tests use it to prove nothing leaks.
    public static var openObjectCount: Int {
        library { Int(H5Fget_obj_count(hid_t(unravel_obj_all()), unravel_obj_all())) }
    }
}
