/// An error thrown by a TallyEncoding reader or decoder: what went wrong and at which byte offset.
///
/// Decoders never trap on malformed input; they throw this error instead. `offset` is the absolute byte offset
/// (the reader's `baseOffset` plus its position) of the field that could not be read or failed validation.
public struct EncodingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The category of an ``EncodingError``.
    ///
    /// A struct rather than an enum so that layers above (segments, WAL) can define their own kinds without
    /// breaking exhaustive switches.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        /// A short stable name such as `"truncated"`.
        public let rawValue: String

        /// Creates a kind with the given name.
        public init(rawValue: String) { self.rawValue = rawValue }

        /// The input ended before a field that had to be there.
        public static let truncated = Kind(rawValue: "truncated")
        /// A tag or layout byte has a value this version does not know.
        public static let invalidTag = Kind(rawValue: "invalidTag")
        /// A field has an impossible value (bad varint, width > 64, run lengths not adding up, ...).
        public static let corrupt = Kind(rawValue: "corrupt")
        /// A stored checksum does not match the data.
        public static let checksumMismatch = Kind(rawValue: "checksumMismatch")
        /// A size exceeds what the format or a library supports.
        public static let tooLarge = Kind(rawValue: "tooLarge")

        /// The kind's name.
        public var description: String { rawValue }
    }

    /// What went wrong.
    public var kind: Kind
    /// The absolute byte offset at which the problem was detected.
    public var offset: Int
    /// A human-readable explanation.
    public var detail: String

    /// Creates an error.
    public init(_ kind: Kind, offset: Int, _ detail: String) {
        self.kind = kind
        self.offset = offset
        self.detail = detail
    }

    /// For example `corrupt at byte offset 17: bit width 70 > 64`.
    public var description: String { "\(kind) at byte offset \(offset): \(detail)" }
}
