#if canImport(Glibc)
import Glibc
#endif
import TallyStorage
import TallyAnalysis

/// A fresh directory under /tmp, removed when the value goes away.
public final class TemporaryDirectory: @unchecked Sendable {
    public let path: String

    public init(_ prefix: String = "tally-test") {
        var template = Array("/tmp/\(prefix)-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "mkdtemp failed")
        path = String(cString: template.withUnsafeBufferPointer { $0.baseAddress! })
    }

    /// A path inside the directory (not created).
    public func child(_ name: String) -> String { path + "/" + name }

    deinit { Directory.removeTree(path) }
}

/// A deterministic random number generator for reproducible tests.
public typealias SeededGenerator = TallyAnalysis.SplitMix64

/// Reads a whole file's bytes.
public func readFileBytes(_ path: String) throws -> [UInt8] {
    let file = try File.openForReading(path)
    return try file.read(count: try file.size(), at: 0)
}

/// Overwrites a whole file with `bytes`.
public func writeFileBytes(_ path: String, _ bytes: [UInt8]) throws {
    let file = try File.openForWriting(path, create: true, truncate: true)
    try file.write(bytes, at: 0)
}
