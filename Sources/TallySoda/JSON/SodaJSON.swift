/// A parsed JSON value that keeps what a Soda document says exactly.
///
/// * Numbers keep their literal text (see ``SodaNumber``), so `10` and `10.0` stay different.
/// * Objects keep their members in document order (``SodaJSONObject``); keys are unique (the parser
///   rejects duplicates).
/// * Strings compare by their UTF-8 bytes, not by Swift's canonical equivalence, so two strings
///   that JSON considers different never compare equal.
public enum SodaJSON: Sendable, Equatable, CustomStringConvertible {
    /// `null`.
    case null
    /// `true` / `false`.
    case bool(Bool)
    /// A number, literal kept.
    case number(SodaNumber)
    /// A string.
    case string(String)
    /// An array.
    case array([SodaJSON])
    /// An object.
    case object(SodaJSONObject)

    /// Equality of JSON values: numbers by literal, strings by UTF-8 bytes, objects by their key/value
    /// pairs regardless of member order, arrays element by element.
    public static func == (lhs: SodaJSON, rhs: SodaJSON) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case let (.bool(a), .bool(b)): return a == b
        case let (.number(a), .number(b)): return a == b
        case let (.string(a), .string(b)): return a.utf8.elementsEqual(b.utf8)
        case let (.array(a), .array(b)): return a == b
        case let (.object(a), .object(b)): return a == b
        default: return false
        }
    }

    /// The member `key` when this is an object; `nil` otherwise or when absent.
    public subscript(key: String) -> SodaJSON? {
        if case let .object(object) = self { return object[key] }
        return nil
    }

    /// The string payload, if this is a string.
    public var stringValue: String? {
        if case let .string(s) = self { return s }
        return nil
    }

    /// The number payload, if this is a number.
    public var numberValue: SodaNumber? {
        if case let .number(n) = self { return n }
        return nil
    }

    /// The elements, if this is an array.
    public var arrayValue: [SodaJSON]? {
        if case let .array(a) = self { return a }
        return nil
    }

    /// The object, if this is an object.
    public var objectValue: SodaJSONObject? {
        if case let .object(o) = self { return o }
        return nil
    }

    /// `true` for `null`.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// A short name of the JSON type, used in error messages (`"string"`, `"number"`, ...).
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    /// The compact JSON text of the value, members in document order.
    public var description: String {
        String(decoding: SodaJSONWriter.bytes(self, sortKeys: false), as: UTF8.self)
    }

    /// The canonical form: compact, object keys sorted by their UTF-8 bytes, numbers as their
    /// literal, strings minimally escaped. Two documents with the same content but other key
    /// order or whitespace give the same bytes.
    public var canonicalBytes: [UInt8] {
        SodaJSONWriter.bytes(self, sortKeys: true)
    }

    /// The compact JSON bytes with members in the order they are stored (for responses).
    public var compactBytes: [UInt8] {
        SodaJSONWriter.bytes(self, sortKeys: false)
    }

    /// A short, human-readable rendering for error messages: strings quoted, long values cut.
    var shortDescription: String {
        let text = description
        if text.count > 60 { return String(text.prefix(57)) + "..." }
        return text
    }

    /// The value as an error message quotes what it found: short values as JSON (`"x"`, `1.5`, `true`, `null`),
    /// long ones cut, and `an array` or `an object`.
    public var foundText: String {
        switch self {
        case .array: return "an array"
        case .object: return "an object"
        case .string, .number, .bool, .null: return shortDescription
        }
    }
}

/// A JSON object: members in document order, keys unique.
public struct SodaJSONObject: Sendable, Equatable, Sequence {
    /// One `"key": value` member.
    public struct Member: Sendable {
        /// The key.
        public let key: String
        /// The value.
        public let value: SodaJSON

        /// Creates a member.
        public init(key: String, value: SodaJSON) {
            self.key = key
            self.value = value
        }
    }

    /// The members in document order.
    public private(set) var members: [Member]

    /// Creates an empty object.
    public init() { members = [] }

    /// Creates an object from members (a later duplicate key replaces the earlier value).
    public init(_ members: [Member]) {
        self.members = []
        for member in members { self[member.key] = member.value }
    }

    /// Members already known to have unique keys (the parser checks duplicates itself).
    init(uniqueMembers: [Member]) {
        self.members = uniqueMembers
    }

    /// Creates an object from `(key, value)` pairs, keeping their order; `nil` values are left out.
    public init(_ pairs: KeyValuePairs<String, SodaJSON?>) {
        self.members = []
        for (key, value) in pairs { if let value { self[key] = value } }
    }

    /// The keys in document order.
    public var keys: [String] { members.map(\.key) }

    /// The number of members.
    public var count: Int { members.count }

    /// Gets or sets a member by key (keys compared by UTF-8 bytes). Setting `nil` removes it; setting
    /// a new key appends it.
    public subscript(key: String) -> SodaJSON? {
        get { members.first(where: { $0.key.utf8.elementsEqual(key.utf8) })?.value }
        set {
            let index = members.firstIndex(where: { $0.key.utf8.elementsEqual(key.utf8) })
            switch (index, newValue) {
            case let (i?, value?): members[i] = Member(key: key, value: value)
            case let (i?, nil): members.remove(at: i)
            case let (nil, value?): members.append(Member(key: key, value: value))
            case (nil, nil): break
            }
        }
    }

    /// Whether `key` is present (even with a `null` value).
    public func contains(_ key: String) -> Bool { self[key] != nil }

    /// Iterates members in document order.
    public func makeIterator() -> IndexingIterator<[Member]> { members.makeIterator() }

    /// Objects are equal when they have the same keys with equal values, in any order.
    public static func == (lhs: SodaJSONObject, rhs: SodaJSONObject) -> Bool {
        guard lhs.members.count == rhs.members.count else { return false }
        for member in lhs.members {
            guard let other = rhs[member.key], other == member.value else { return false }
        }
        return true
    }
}
