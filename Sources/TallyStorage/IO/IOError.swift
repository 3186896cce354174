#if canImport(Glibc)
import Glibc
#endif

/// A system call failed: which one, on which file, at which offset, and the system's reason.
public struct IOError: Error, Sendable, CustomStringConvertible {
    public var operation: String
    public var path: String
    public var errno: Int32
    public var offset: Int?
    /// The series whose data was being read, as its key is written (`row_count{dataset="orders"}`), when the store
    /// knows it: a file read knows only the path and the offset.
    public var series: String?

    public init(operation: String, path: String, errno: Int32, offset: Int? = nil, series: String? = nil) {
        self.operation = operation
        self.path = path
        self.errno = errno
        self.offset = offset
        self.series = series
    }

    public var description: String {
        let reason = String(cString: strerror(errno))
        let at = offset.map { " at offset \($0)" } ?? ""
        let whose = series.map { " for series \($0) in" } ?? ""
        return "\(operation)\(whose) \(path)\(at) failed: \(reason) (errno \(errno))"
    }
}
