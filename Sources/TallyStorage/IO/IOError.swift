#if canImport(Glibc)
import Glibc
#endif

/// A system call failed: which one, on which file, at which offset, and the system's reason.
public struct IOError: Error, Sendable, CustomStringConvertible {
    public var operation: String
    public var path: String
    public var errno: Int32
    public var offset: Int?

    public init(operation: String, path: String, errno: Int32, offset: Int? = nil) {
        self.operation = operation
        self.path = path
        self.errno = errno
        self.offset = offset
    }

    public var description: String {
        let reason = String(cString: strerror(errno))
        let at = offset.map { " at offset \($0)" } ?? ""
        return "\(operation) \(path)\(at) failed: \(reason) (errno \(errno))"
    }
}
