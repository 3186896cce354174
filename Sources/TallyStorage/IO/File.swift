#if canImport(Glibc)
import Glibc
#endif

/// An open file, closed when the last reference goes away. Reads and writes are positional (pread/pwrite):
/// Tally never maps data files, so a truncated or failing file gives an error rather than a SIGBUS.
public final class File: @unchecked Sendable {
    public let path: String
    let fd: Int32

    private init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    deinit { SystemCalls.close(fd) }

    /// Opens an existing file for reading.
    public static func openForReading(_ path: String) throws(IOError) -> File {
        File(fd: try SystemCalls.open(path, flags: O_RDONLY), path: path)
    }

    /// Opens a file for reading and writing, creating it when missing.
    public static func openForWriting(_ path: String, create: Bool = true, truncate: Bool = false) throws(IOError) -> File {
        var flags = O_RDWR
        if create { flags |= O_CREAT }
        if truncate { flags |= O_TRUNC }
        return File(fd: try SystemCalls.open(path, flags: flags), path: path)
    }

    /// The file's size in bytes.
    public func size() throws(IOError) -> Int { try SystemCalls.fileSize(fd, path: path) }

    /// Reads exactly `count` bytes at `offset`, or throws when the file ends first.
    public func read(count: Int, at offset: Int) throws(IOError) -> [UInt8] {
        var failure: IOError?
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            do throws(IOError) {
                initialized = try SystemCalls.pread(fd, UnsafeMutableRawBufferPointer(buffer), offset: offset, path: path)
            } catch {
                failure = error
                initialized = 0
            }
        }
        if let failure { throw failure }
        guard bytes.count == count else {
            throw IOError(operation: "read \(count) bytes (file ends after \(bytes.count))", path: path, errno: EIO, offset: offset)
        }
        return bytes
    }

    /// Reads into `buffer` at `offset`; returns how many bytes were read (fewer only at the end of the file).
    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(IOError) -> Int {
        try SystemCalls.pread(fd, buffer, offset: offset, path: path)
    }

    /// Writes all of `bytes` at `offset`.
    public func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(IOError) {
        try SystemCalls.pwrite(fd, bytes, offset: offset, path: path)
    }

    /// Writes all of `bytes` at `offset`.
    public func write(_ bytes: [UInt8], at offset: Int) throws(IOError) {
        var failure: IOError?
        bytes.withUnsafeBytes { raw in
            do throws(IOError) { try SystemCalls.pwrite(fd, raw, offset: offset, path: path) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Makes the file's data durable (fdatasync).
    public func syncData() throws(IOError) { try SystemCalls.fdatasync(fd, path: path) }

    /// Makes the file's data and metadata durable (fsync).
    public func sync() throws(IOError) { try SystemCalls.fsync(fd, path: path) }

    /// Cuts the file to `size` bytes.
    public func truncate(to size: Int) throws(IOError) { try SystemCalls.ftruncate(fd, size: size, path: path) }
}

/// Directory operations on the store's folders.
public enum Directory {
    /// Creates the directory (and its parents) when missing.
    public static func create(_ path: String) throws(IOError) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for part in path.split(separator: "/") {
            prefix += part
            if !exists(prefix) { try SystemCalls.mkdir(prefix) }
            prefix += "/"
        }
    }

    /// Makes the directory's entries durable (after a create, rename or unlink inside it).
    public static func sync(_ path: String) throws(IOError) {
        let fd = try SystemCalls.open(path, flags: O_RDONLY | O_DIRECTORY)
        defer { SystemCalls.close(fd) }
        try SystemCalls.fsync(fd, path: path)
    }

    /// True when something exists at `path`.
    public static func exists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }

    /// True when `path` is a directory.
    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// The names in a directory (not `.` or `..`), sorted.
    public static func list(_ path: String) throws(IOError) -> [String] {
        guard let dir = opendir(path) else { throw IOError(operation: "opendir", path: path, errno: Glibc.errno) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// The size of a file, or nil when it cannot be read.
    public static func fileSize(_ path: String) -> Int? {
        var st = stat()
        return stat(path, &st) == 0 ? Int(st.st_size) : nil
    }

    /// Renames a file and makes the rename durable.
    public static func renameDurably(_ from: String, _ to: String, directory: String) throws(IOError) {
        try SystemCalls.rename(from, to)
        try sync(directory)
    }

    /// Renames a file and makes the rename durable in the directory that holds `to`.
    public static func renameDurably(_ from: String, _ to: String) throws(IOError) {
        try renameDurably(from, to, directory: parent(of: to))
    }

    /// `backups/b/` as `backups/b` (but `/` stays `/`): a path names the same directory either way, and a
    /// sibling of it (`backups/b.partial`) is built from the form without the slash.
    public static func withoutTrailingSlashes(_ path: String) -> String {
        var trimmed = path
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
        return trimmed
    }

    /// The directory that holds `path`: `a/b` → `a`, `/b` → `/`, `b` → `.` (trailing slashes ignored).
    public static func parent(of path: String) -> String {
        let trimmed = withoutTrailingSlashes(path)
        guard let slash = trimmed.lastIndex(of: "/") else { return "." }
        return slash == trimmed.startIndex ? "/" : String(trimmed[..<slash])
    }

    /// Removes a file (no error when it is already gone).
    public static func remove(_ path: String) throws(IOError) { try SystemCalls.unlink(path) }

    /// Removes a directory tree. For tests and for replacing a demo store.
    public static func removeTree(_ path: String) {
        if isDirectory(path) {
            for name in (try? list(path)) ?? [] { removeTree(path + "/" + name) }
            rmdir(path)
        } else {
            unlink(path)
        }
    }
}

/// The store's writer lock: one writing process per store, held with flock on `LOCK` until closed.
final class WriterLock: @unchecked Sendable {
    private let fd: Int32

    init(path: String) throws(StoreError) {
        let fd: Int32
        do throws(IOError) { fd = try SystemCalls.open(path, flags: O_RDWR | O_CREAT) } catch { throw StoreError.io(error) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let code = Glibc.errno
            SystemCalls.close(fd)
            if code == EWOULDBLOCK {
                // The holder wrote its process id into the file when it took the lock.
                let text = try? { () throws(IOError) -> String in
                    let file = try File.openForReading(path)
                    return String(decoding: try file.read(count: min(32, try file.size()), at: 0), as: UTF8.self)
                }()
                let holder = text?.split(separator: "\n").first.flatMap { Int32($0) }
                throw StoreError.locked(path: path, holder: holder)
            }
            throw StoreError.io(IOError(operation: "flock", path: path, errno: code))
        }
        self.fd = fd
        var pid = "\(getpid())\n".utf8.map { $0 }
        _ = ftruncate(fd, 0)
        _ = pwrite(fd, &pid, pid.count, 0)
    }

    deinit {
        flock(fd, LOCK_UN)
        SystemCalls.close(fd)
    }
}
