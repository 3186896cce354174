/// The representation of a missing value inside a `[Double]` value column.
///
/// A null is one specific quiet-NaN bit pattern. The storage layer canonicalises ordinary NaNs to
/// `0x7FF8_0000_0000_0000` on input, so a null can never be confused with a measured NaN. ``ValueCodec`` stores nulls
/// in a validity bitmap and never passes them to the value encodings.
public enum NullValue {
    /// The bit pattern of a null: `0x7FFC_0000_0000_7A11`.
    public static let bitPattern: UInt64 = 0x7FFC_0000_0000_7A11

    /// The null as a `Double` (a NaN; compare with ``isNull(_:)``, never with `==`).
    @inlinable
    public static var value: Double { Double(bitPattern: bitPattern) }

    /// Whether `v` is exactly the null bit pattern (an ordinary NaN is not null).
    @inlinable @inline(__always)
    public static func isNull(_ v: Double) -> Bool { v.bitPattern == bitPattern }
}
