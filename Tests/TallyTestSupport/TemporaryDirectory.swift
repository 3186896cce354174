#if canImport(Glibc)
import Glibc
#endif
import TallyStorage

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

/// A deterministic random number generator (SplitMix64) for reproducible tests.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

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
