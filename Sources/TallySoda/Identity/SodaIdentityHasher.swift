/// One value fed to Soda's identity hash (soda-core 3.x `ConsistentHashBuilder`).
///
/// How each case is fed (all text UTF-8):
/// * `string(s)`: the bytes of `s`;
/// * `number(n)`: the bytes of Python's `str(n)`; pass the number's ``SodaNumber/literal`` exactly as
///   Python would print it (`10`, `10.0`);
/// * `bool(b)`: `"True"` / `"False"` (Python `str(bool)`);
/// * `list`: each element in order; `dict`: each key then its value, in order;
/// * `property(name, value)`: `name` then `value`, and nothing at all when `value` is `nil`;
/// * `none`: nothing (Python `None` is skipped).
public indirect enum SodaIdentityPart: Sendable, Equatable {
    /// A string.
    case string(String)
    /// A number, by its Python `str()` text.
    case number(SodaNumber)
    /// A boolean.
    case bool(Bool)
    /// A list walked in order.
    case list([SodaIdentityPart])
    /// A dict walked key, value, key, value, ... in order.
    case dict([(String, SodaIdentityPart)])
    /// An `IdentityProperty(field_name, value)`.
    case property(String, SodaIdentityPart?)
    /// Python `None` (adds nothing).
    case none

    /// Equality by structure.
    public static func == (lhs: SodaIdentityPart, rhs: SodaIdentityPart) -> Bool {
        switch (lhs, rhs) {
        case let (.string(a), .string(b)): return a == b
        case let (.number(a), .number(b)): return a == b
        case let (.bool(a), .bool(b)): return a == b
        case let (.list(a), .list(b)): return a == b
        case let (.dict(a), .dict(b)): return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        case let (.property(n1, v1), .property(n2, v2)): return n1 == n2 && v1 == v2
        case (.none, .none): return true
        default: return false
        }
    }
}

/// Soda's identity hash: BLAKE2b with a 4-byte digest over the parts fed in order, as 8 lowercase
/// hex characters (soda-core 3.x `ConsistentHashBuilder(8)`).
///
/// Like Soda, the hash is `nil` when nothing at all was fed (every part was `none` or a property
/// with no value), which makes Soda leave the `-hash8` suffix off a metric identity.
public struct SodaIdentityHasher: Sendable {
    private var hasher: BLAKE2b?

    /// A fresh builder.
    public init() {}

    /// Feeds one part.
    public mutating func add(_ part: SodaIdentityPart) {
        switch part {
        case let .string(s): feed(Array(s.utf8))
        case let .number(n): feed(Array(n.literal.utf8))
        case let .bool(b): feed(Array((b ? "True" : "False").utf8))
        case let .list(elements): for element in elements { add(element) }
        case let .dict(pairs):
            for (key, value) in pairs {
                add(.string(key))
                add(value)
            }
        case let .property(name, value):
            if let value, value != .none {
                add(.string(name))
                add(value)
            }
        case .none: break
        }
    }

    /// Feeds a string.
    public mutating func add(_ string: String) { add(.string(string)) }

    /// The 8-hex hash, or `nil` when nothing was fed.
    public var hash: String? {
        hasher.map { hexString($0.finalize()) }
    }

    /// The hash of `parts` fed in order (`nil` when they add nothing).
    public static func hash(_ parts: [SodaIdentityPart]) -> String? {
        var builder = SodaIdentityHasher()
        for part in parts { builder.add(part) }
        return builder.hash
    }

    private mutating func feed(_ bytes: [UInt8]) {
        if hasher == nil { hasher = BLAKE2b(digestLength: 4) }
        hasher!.update(bytes)
    }
}
