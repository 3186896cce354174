/// The tag bytes that start every encoded column. These numbers are written into files: a value may be added
/// but never reused or given a new meaning. docs/format/codecs.md describes the bytes that follow each tag.
public enum ColumnTag {
    /// Timestamps: empty column (count 0), nothing follows.
    public static let timestampEmpty: UInt8 = 0x10
    /// Timestamps: an IntColumn (GCD, FOR / delta / delta-of-delta PFOR or run-length) follows.
    public static let timestampPacked: UInt8 = 0x11

    /// Values: empty column (count 0).
    public static let valueEmpty: UInt8 = 0x20
    /// Values: every value is null; nothing follows.
    public static let valueAllNull: UInt8 = 0x21
    /// Values: every (non-null) value has the same bit pattern: 8 bytes follow.
    public static let valueConstant: UInt8 = 0x22
    /// Values: integral doubles as an IntColumn plus exceptions.
    public static let valueInteger: UInt8 = 0x23
    /// Values: decimal-scaled integers (exponent byte, IntColumn, exceptions).
    public static let valueDecimal: UInt8 = 0x24
    /// Values: order-preserving integer keys of the IEEE bit patterns as an IntColumn.
    public static let valueFloatBits: UInt8 = 0x25
    /// Values: Gorilla-style XOR bit stream.
    public static let valueXOR: UInt8 = 0x26
    /// Flag OR-ed into a value tag (0x22...0x26): a validity section follows the tag.
    public static let valueHasNullsFlag: UInt8 = 0x80

    /// Generic integers (``IntegerCodec``): empty column.
    public static let integerEmpty: UInt8 = 0x30
    /// Generic integers: an IntColumn follows.
    public static let integerPacked: UInt8 = 0x31

    /// Outcome codes: empty column.
    public static let outcomeEmpty: UInt8 = 0x40
    /// Outcome codes: (code byte, run length varuint) runs.
    public static let outcomeRunLength: UInt8 = 0x41
    /// Outcome codes: fixed-width bit-packed codes.
    public static let outcomePacked: UInt8 = 0x42

    /// LSNs: empty column.
    public static let lsnEmpty: UInt8 = 0x50
    /// LSNs: (zigzag delta from the previous run's LSN, run length) runs.
    public static let lsnRunLength: UInt8 = 0x51
    /// LSNs: an IntColumn of the LSNs' bit patterns as Int64.
    public static let lsnPacked: UInt8 = 0x52
}

extension ByteReader {
    /// Reads a tag byte, returning it with the offset it was read at.
    @inlinable
    mutating func readTag() throws(EncodingError) -> (tag: UInt8, at: Int) {
        let at = offset
        return (try readUInt8(), at)
    }
}
