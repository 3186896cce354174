/// An append-only little-endian byte buffer used by every encoder in this module.
///
/// Fixed-width integers are written little-endian; `writeVarUInt` is unsigned LEB128 (7 bits per byte, low
/// group first, high bit = "more follows", at most 10 bytes); `writeVarInt` is the zigzag code of the value as a
/// varuint.
///
/// ```swift
/// var w = ByteWriter(capacity: 64)
/// w.writeUInt32LE(0xCAFE_F00D)
/// w.writeVarInt(-3)          // one byte: 0x05
/// TimestampCodec.encode(times, into: &w)
/// ```
public struct ByteWriter: Sendable {
    /// The bytes written so far.
    public var bytes: [UInt8]

    /// Creates an empty writer whose storage has room for `capacity` bytes.
    public init(capacity: Int = 0) {
        bytes = []
        if capacity > 0 { bytes.reserveCapacity(capacity) }
    }

    /// Number of bytes written so far.
    @inlinable
    public var count: Int { bytes.count }

    /// Ensures room for at least `capacity` bytes in total.
    public mutating func reserveCapacity(_ capacity: Int) { bytes.reserveCapacity(capacity) }

    /// Removes every byte, keeping the storage for reuse by default.
    public mutating func removeAll(keepingCapacity: Bool = true) {
        bytes.removeAll(keepingCapacity: keepingCapacity)
    }

    /// Appends one byte.
    @inlinable
    public mutating func writeUInt8(_ v: UInt8) { bytes.append(v) }

    /// Appends a 2-byte little-endian integer.
    public mutating func writeUInt16LE(_ v: UInt16) {
        withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// Appends a 4-byte little-endian integer.
    public mutating func writeUInt32LE(_ v: UInt32) {
        withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// Appends an 8-byte little-endian integer.
    public mutating func writeUInt64LE(_ v: UInt64) {
        withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// Appends an 8-byte little-endian two's-complement integer.
    public mutating func writeInt64LE(_ v: Int64) { writeUInt64LE(UInt64(bitPattern: v)) }

    /// Appends the 8-byte little-endian IEEE-754 bit pattern of `v` (bit-exact: NaN payloads and -0.0 survive).
    public mutating func writeFloat64LE(_ v: Double) { writeUInt64LE(v.bitPattern) }

    /// Appends `v` as an unsigned LEB128 varint (1...10 bytes).
    @inlinable
    public mutating func writeVarUInt(_ v: UInt64) {
        var v = v
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v &>>= 7
        }
        bytes.append(UInt8(truncatingIfNeeded: v))
    }

    /// Appends every value as an 8-byte little-endian integer (one copy on little-endian machines).
    public mutating func writeInt64sLE(_ values: [Int64]) {
        appendLittleEndianColumn(values) { $0.writeInt64LE($1) }
    }

    /// Appends the little-endian IEEE-754 bit pattern of every value (one copy on little-endian machines).
    public mutating func writeFloat64sLE(_ values: [Double]) {
        appendLittleEndianColumn(values) { $0.writeFloat64LE($1) }
    }

    /// The column's memory as it is on a little-endian machine; value by value (`each`) elsewhere.
    private mutating func appendLittleEndianColumn<T>(_ values: [T], each: (inout ByteWriter, T) -> Void) {
        #if _endian(little)
        values.withUnsafeBytes { bytes.append(contentsOf: $0) }
        #else
        for v in values { each(&self, v) }
        #endif
    }

    /// Appends every value as an unsigned LEB128 varint, without a growth check per byte.
    public mutating func writeVarUInts(_ values: [UInt32]) {
        appendWithUnsafeStorage(maxCount: values.count * 5) { out in
            var used = 0
            for value in values {
                var v = value
                while v >= 0x80 {
                    out.storeBytes(of: UInt8(truncatingIfNeeded: v) | 0x80, toByteOffset: used, as: UInt8.self)
                    used &+= 1
                    v &>>= 7
                }
                out.storeBytes(of: UInt8(truncatingIfNeeded: v), toByteOffset: used, as: UInt8.self)
                used &+= 1
            }
            return used
        }
    }

    /// Appends `v` as the varuint of its zigzag code (see ``ZigZag``), so small negative values stay short.
    public mutating func writeVarInt(_ v: Int64) { writeVarUInt(ZigZag.encode(v)) }

    /// Appends the bytes of a collection.
    @inlinable
    public mutating func writeBytes<C: Collection>(_ source: C) where C.Element == UInt8 {
        bytes.append(contentsOf: source)
    }

    /// Appends raw bytes.
    public mutating func writeBytes(_ source: UnsafeRawBufferPointer) {
        bytes.append(contentsOf: source)
    }

    /// Appends a string as a varuint byte length followed by its UTF-8 bytes.
    public mutating func writeString(_ s: String) {
        var s = s
        s.withUTF8 { utf8 in
            writeVarUInt(UInt64(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    /// Overwrites 4 bytes at `offset` (which must already have been written) with `v`, little-endian.
    /// Typical use: reserve a length or checksum field, write the payload, then patch the field.
    public mutating func patchUInt32LE(at offset: Int, _ v: UInt32) {
        precondition(offset >= 0 && offset <= bytes.count - 4, "patchUInt32LE out of range")
        bytes.withUnsafeMutableBytes { $0.storeBytes(of: v.littleEndian, toByteOffset: offset, as: UInt32.self) }
    }

    /// Appends `maxCount` zero bytes, lets `body` fill a prefix of them through a raw pointer and keeps only the
    /// `used` bytes `body` returns. Lets kernels write whole 8-byte words without per-byte growth checks.
    @usableFromInline
    mutating func appendWithUnsafeStorage(maxCount: Int, _ body: (UnsafeMutableRawPointer) -> Int) {
        if maxCount <= 0 { return }
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: maxCount))
        let used = bytes.withUnsafeMutableBytes { raw in body(raw.baseAddress! + start) }
        precondition(used >= 0 && used <= maxCount, "kernel wrote past its reservation")
        bytes.removeLast(maxCount - used)
    }
}
