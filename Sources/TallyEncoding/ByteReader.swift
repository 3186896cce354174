/// A bounds-checked little-endian cursor over borrowed bytes (a file mapping, a page, an array's storage).
///
/// Every read checks the remaining length first and throws ``EncodingError`` (with the absolute offset
/// `baseOffset + offset` of the field) instead of reading out of bounds. Multi-byte fields are read with
/// `loadUnaligned`, so the buffer needs no alignment. The reader does not own the memory: keep the buffer alive
/// while the reader (and any buffer returned by ``readBytes(count:)``) is in use.
///
/// ```swift
/// try bytes.withUnsafeBytes { raw in
///     var r = ByteReader(raw, baseOffset: fileOffset)
///     let magic = try r.readUInt32LE()
///     try TimestampCodec.decode(&r, count: n, into: out)
/// }
/// ```
public struct ByteReader {
    /// The bytes being read.
    public let buffer: UnsafeRawBufferPointer
    /// Added to `offset` in error messages (e.g. the buffer's position in its file).
    public let baseOffset: Int
    /// Position of the next byte to read, relative to the start of `buffer`.
    public var offset: Int

    /// Creates a reader at the start of `buffer`.
    public init(_ buffer: UnsafeRawBufferPointer, baseOffset: Int = 0) {
        self.buffer = buffer
        self.baseOffset = baseOffset
        self.offset = 0
    }

    /// Number of bytes left after `offset` (0 if `offset` was moved past the end).
    @inlinable
    public var remaining: Int { offset >= 0 && offset <= buffer.count ? buffer.count &- offset : 0 }

    /// Whether every byte has been consumed.
    @inlinable
    public var isAtEnd: Bool { remaining == 0 }

    /// The absolute offset of the next byte (`baseOffset + offset`), as used in errors.
    @inlinable
    public var absoluteOffset: Int { baseOffset &+ offset }

    /// Makes an error located at the current position.
    @inlinable
    public func error(_ kind: EncodingError.Kind, _ detail: String) -> EncodingError {
        EncodingError(kind, offset: absoluteOffset, detail)
    }

    /// Makes an error located at a given position of this buffer.
    @inlinable
    public func error(_ kind: EncodingError.Kind, at position: Int, _ detail: String) -> EncodingError {
        EncodingError(kind, offset: baseOffset &+ position, detail)
    }

    /// Checks that `n` bytes are readable and returns their start, advancing past them.
    @inlinable
    mutating func take(_ n: Int, _ what: StaticString) throws(EncodingError) -> UnsafeRawPointer {
        guard n >= 0, offset >= 0, offset <= buffer.count, n <= buffer.count &- offset else {
            throw error(.truncated, "need \(n) bytes for \(what), \(remaining) left")
        }
        let p = buffer.baseAddress.map { UnsafeRawPointer($0) + offset } ?? UnsafeRawPointer(bitPattern: 1)!
        offset &+= n
        return p
    }

    /// Reads one byte.
    @inlinable
    public mutating func readUInt8() throws(EncodingError) -> UInt8 {
        try take(1, "UInt8").load(as: UInt8.self)
    }

    /// Reads a 2-byte little-endian integer.
    @inlinable
    public mutating func readUInt16LE() throws(EncodingError) -> UInt16 {
        UInt16(littleEndian: try take(2, "UInt16").loadUnaligned(as: UInt16.self))
    }

    /// Reads a 4-byte little-endian integer.
    @inlinable
    public mutating func readUInt32LE() throws(EncodingError) -> UInt32 {
        UInt32(littleEndian: try take(4, "UInt32").loadUnaligned(as: UInt32.self))
    }

    /// Reads an 8-byte little-endian integer.
    @inlinable
    public mutating func readUInt64LE() throws(EncodingError) -> UInt64 {
        UInt64(littleEndian: try take(8, "UInt64").loadUnaligned(as: UInt64.self))
    }

    /// Reads an 8-byte little-endian two's-complement integer.
    @inlinable
    public mutating func readInt64LE() throws(EncodingError) -> Int64 {
        Int64(bitPattern: try readUInt64LE())
    }

    /// Reads an 8-byte little-endian IEEE-754 double (bit-exact).
    @inlinable
    public mutating func readFloat64LE() throws(EncodingError) -> Double {
        Double(bitPattern: try readUInt64LE())
    }

    /// Reads `count` 8-byte little-endian integers (one copy on little-endian machines).
    public mutating func readInt64sLE(count: Int) throws(EncodingError) -> [Int64] {
        let (bytes, overflow) = count.multipliedReportingOverflow(by: 8)
        guard count >= 0, !overflow else { throw error(.corrupt, "\(count) 8-byte values do not fit") }
        let p = try take(bytes, "Int64 column")
        return [Int64](unsafeUninitializedCapacity: count) { out, initialized in
            if count > 0 { UnsafeMutableRawPointer(out.baseAddress!).copyMemory(from: p, byteCount: bytes) }
            #if !_endian(little)
            for i in 0..<count { out[i] = Int64(littleEndian: out[i]) }
            #endif
            initialized = count
        }
    }

    /// Reads `count` little-endian IEEE-754 doubles, bit-exact (one copy on little-endian machines).
    public mutating func readFloat64sLE(count: Int) throws(EncodingError) -> [Double] {
        try readInt64sLE(count: count).map { Double(bitPattern: UInt64(bitPattern: $0)) }
    }

    /// Reads an unsigned LEB128 varint. Throws `.truncated` if the input ends inside it and `.corrupt` if it is
    /// longer than 10 bytes or overflows 64 bits.
    public mutating func readVarUInt() throws(EncodingError) -> UInt64 {
        let start = offset
        guard offset >= 0, offset < buffer.count, let base = buffer.baseAddress else {
            throw error(.truncated, "need a varint, \(remaining) bytes left")
        }
        var result: UInt64 = 0
        var shift: UInt64 = 0
        var i = offset
        while true {
            guard i < buffer.count else {
                throw error(.truncated, at: start, "varint runs past the end of the input")
            }
            let byte = base.load(fromByteOffset: i, as: UInt8.self)
            i &+= 1
            if shift == 63 && byte > 1 {
                throw error(.corrupt, at: start, "varint overflows 64 bits")
            }
            result |= UInt64(byte & 0x7F) &<< shift
            if byte < 0x80 { break }
            shift &+= 7
            if shift > 63 { throw error(.corrupt, at: start, "varint longer than 10 bytes") }
        }
        offset = i
        return result
    }

    /// Reads a zigzag-coded signed varint (see ``ByteWriter/writeVarInt(_:)``).
    public mutating func readVarInt() throws(EncodingError) -> Int64 {
        ZigZag.decode(try readVarUInt())
    }

    /// Reads a varuint and checks it is at most `limit`, returning it as an `Int`.
    @inlinable
    public mutating func readVarCount(max limit: Int, _ what: StaticString) throws(EncodingError) -> Int {
        let start = offset
        let v = try readVarUInt()
        guard v <= UInt64(limit) else {
            throw error(.corrupt, at: start, "\(what) \(v) exceeds the limit \(limit)")
        }
        return Int(v)
    }

    /// Returns the next `count` bytes without copying and advances past them.
    public mutating func readBytes(count: Int) throws(EncodingError) -> UnsafeRawBufferPointer {
        let p = try take(count, "byte string")
        return UnsafeRawBufferPointer(start: count == 0 ? nil : p, count: count)
    }

    /// Advances past `count` bytes.
    public mutating func skip(_ count: Int) throws(EncodingError) {
        _ = try take(count, "skipped bytes")
    }

    /// Reads a varuint byte length followed by that many bytes of UTF-8. Throws `.corrupt` on invalid UTF-8.
    public mutating func readString() throws(EncodingError) -> String {
        let start = offset
        let n = try readVarUInt()
        guard n <= UInt64(remaining) else {
            throw error(.truncated, at: start, "string of \(n) bytes, \(remaining) left")
        }
        let raw = try readBytes(count: Int(n))
        guard let s = String(validating: raw, as: UTF8.self) else {
            throw error(.corrupt, at: start, "string is not valid UTF-8")
        }
        return s
    }
}
