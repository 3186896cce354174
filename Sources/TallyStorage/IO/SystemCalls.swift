#if canImport(Glibc)
import Glibc
#endif

/// The system calls Tally makes on its data files. Every call goes through ``SystemCalls``, so tests can make
/// any of them fail (ENOSPC, EIO, a short write, a failed fsync or rename) and check what the store does.
package enum SystemCall: String, Sendable, CaseIterable {
    case open, read, write, fsync, rename, unlink, truncate, mkdir
}

/// A fault a test asks for: the call fails with `errno`, or (for `write`) writes only part of the data first.
package struct InjectedFault: Sendable {
    package var errno: Int32
    /// For writes: how many bytes to write before failing (a short write). Zero writes nothing.
    package var bytesBeforeFailure: Int

    package init(errno: Int32, bytesBeforeFailure: Int = 0) {
        self.errno = errno
        self.bytesBeforeFailure = bytesBeforeFailure
    }
}

/// The one place where Tally's file system calls are made.
package enum SystemCalls {
    /// A test hook: called before each call with its kind and path; a returned fault makes the call fail.
    package typealias FaultHook = @Sendable (SystemCall, String) -> InjectedFault?

    // A pthread mutex (`Locked`), not the standard library's `Mutex`: ThreadSanitizer reported every access through
    // `Mutex<FaultHook?>` here as a race (72 reports in the storage tests), which hid anything real behind them.
    private static let hook = Locked<FaultHook?>(nil)

    /// Installs (or, with nil, removes) the fault hook. For tests.
    package static func setFaultHook(_ newHook: FaultHook?) {
        hook.withLock { $0 = newHook }
    }

    @inline(__always)
    static func fault(_ call: SystemCall, _ path: String) -> InjectedFault? {
        hook.withLock { $0 }?(call, path)
    }

    static func open(_ path: String, flags: Int32, mode: mode_t = 0o644) throws(IOError) -> Int32 {
        if let f = fault(.open, path) { throw IOError(operation: "open", path: path, errno: f.errno) }
        while true {
            let fd = Glibc.open(path, flags | O_CLOEXEC, mode)
            if fd >= 0 { return fd }
            if Glibc.errno == EINTR { continue }
            throw IOError(operation: "open", path: path, errno: Glibc.errno)
        }
    }

    /// Reads up to `buffer.count` bytes at `offset`; fewer only at the end of the file.
    static func pread(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer, offset: Int, path: String) throws(IOError) -> Int {
        if let f = fault(.read, path) { throw IOError(operation: "read", path: path, errno: f.errno, offset: offset) }
        var done = 0
        while done < buffer.count {
            let n = Glibc.pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
            if n > 0 { done += n; continue }
            if n == 0 { break }
            if Glibc.errno == EINTR { continue }
            throw IOError(operation: "read", path: path, errno: Glibc.errno, offset: offset + done)
        }
        return done
    }

    /// Writes all of `bytes` at `offset`.
    static func pwrite(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, offset: Int, path: String) throws(IOError) {
        var limit = bytes.count
        var injected: InjectedFault?
        if let f = fault(.write, path) {
            injected = f
            limit = min(f.bytesBeforeFailure, bytes.count)
        }
        var done = 0
        while done < limit {
            let n = Glibc.pwrite(fd, bytes.baseAddress! + done, limit - done, off_t(offset + done))
            if n >= 0 { done += n; continue }
            if Glibc.errno == EINTR { continue }
            throw IOError(operation: "write", path: path, errno: Glibc.errno, offset: offset + done)
        }
        if let injected { throw IOError(operation: "write", path: path, errno: injected.errno, offset: offset + done) }
    }

    static func fdatasync(_ fd: Int32, path: String) throws(IOError) {
        if let f = fault(.fsync, path) { throw IOError(operation: "fdatasync", path: path, errno: f.errno) }
        while Glibc.fdatasync(fd) != 0 {
            if Glibc.errno == EINTR { continue }
            throw IOError(operation: "fdatasync", path: path, errno: Glibc.errno)
        }
    }

    static func fsync(_ fd: Int32, path: String) throws(IOError) {
        if let f = fault(.fsync, path) { throw IOError(operation: "fsync", path: path, errno: f.errno) }
        while Glibc.fsync(fd) != 0 {
            if Glibc.errno == EINTR { continue }
            throw IOError(operation: "fsync", path: path, errno: Glibc.errno)
        }
    }

    static func ftruncate(_ fd: Int32, size: Int, path: String) throws(IOError) {
        if let f = fault(.truncate, path) { throw IOError(operation: "truncate", path: path, errno: f.errno) }
        while Glibc.ftruncate(fd, off_t(size)) != 0 {
            if Glibc.errno == EINTR { continue }
            throw IOError(operation: "truncate", path: path, errno: Glibc.errno, offset: size)
        }
    }

    static func fileSize(_ fd: Int32, path: String) throws(IOError) -> Int {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw IOError(operation: "fstat", path: path, errno: Glibc.errno) }
        return Int(st.st_size)
    }

    static func rename(_ from: String, _ to: String) throws(IOError) {
        if let f = fault(.rename, from) { throw IOError(operation: "rename to \(to)", path: from, errno: f.errno) }
        guard Glibc.rename(from, to) == 0 else {
            throw IOError(operation: "rename to \(to)", path: from, errno: Glibc.errno)
        }
    }

    static func unlink(_ path: String) throws(IOError) {
        if let f = fault(.unlink, path) { throw IOError(operation: "unlink", path: path, errno: f.errno) }
        guard Glibc.unlink(path) == 0 || Glibc.errno == ENOENT else {
            throw IOError(operation: "unlink", path: path, errno: Glibc.errno)
        }
    }

    static func mkdir(_ path: String) throws(IOError) {
        if let f = fault(.mkdir, path) { throw IOError(operation: "mkdir", path: path, errno: f.errno) }
        guard Glibc.mkdir(path, 0o755) == 0 || Glibc.errno == EEXIST else {
            throw IOError(operation: "mkdir", path: path, errno: Glibc.errno)
        }
    }

    static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }

    /// Asks the kernel to start reading a whole file into the page cache, if it is at most `limit` bytes: one
    /// sequential read-ahead instead of many small reads when the cache is cold. Only a hint; failures are ignored.
    static func prefetch(_ path: String, upTo limit: Int) {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        defer { _ = Glibc.close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, Int(st.st_size) <= limit else { return }
        _ = posix_fadvise(fd, 0, 0, POSIX_FADV_WILLNEED)
    }
}
