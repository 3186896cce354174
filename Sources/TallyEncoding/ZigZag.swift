/// ZigZag mapping between signed and unsigned integers: 0, -1, 1, -2, 2 ... map to 0, 1, 2, 3, 4 ...
///
/// Small magnitudes of either sign become small unsigned numbers, which keeps varints short.
public enum ZigZag {
    /// Maps a signed value to its zigzag code. Total: every `Int64` (including `.min`) has a code.
    @inlinable @inline(__always)
    public static func encode(_ v: Int64) -> UInt64 {
        UInt64(bitPattern: (v &<< 1) ^ (v &>> 63))
    }

    /// Inverse of ``encode(_:)``.
    @inlinable @inline(__always)
    public static func decode(_ u: UInt64) -> Int64 {
        Int64(bitPattern: (u &>> 1) ^ (0 &- (u & 1)))
    }
}

/// Number of bytes of the LEB128 varint encoding of `v` (1...10).
@inlinable @inline(__always)
func varUIntSize(_ v: UInt64) -> Int {
    let bits = 64 &- (v | 1).leadingZeroBitCount
    return (bits &+ 6) / 7
}
