/// A mask of the low `n` bits, for `n` in 0...64.
@inlinable @inline(__always)
func lowMask(_ n: Int) -> UInt64 {
    n == 0 ? 0 : (~UInt64(0)) &>> UInt64(truncatingIfNeeded: 64 &- n)
}

/// Number of significant bits of `v` (0 for 0, 64 for values with the top bit set).
@inlinable @inline(__always)
func bitLength(_ v: UInt64) -> Int { 64 &- v.leadingZeroBitCount }

/// Writes a stream of bit fields, least-significant bit first, into a growing buffer of 64-bit words.
///
/// Field `k` of width `w` occupies the next `w` bits of the stream; bit `i` of the stream is bit `i % 8` of byte
/// `i / 8` of the output. This is the bit order used by every bit-packed section in Tally's formats (see
/// docs/format/codecs.md). A 64-bit accumulator is flushed one whole word at a time.
///
/// ```swift
/// var bits = BitWriter()
/// bits.write(5, bitCount: 3)
/// bits.write(1, bitCount: 1)
/// bits.finish(into: &byteWriter)   // appends 1 byte: 0b0000_1101
/// ```
public struct BitWriter: Sendable {
    @usableFromInline var words: [UInt64]
    @usableFromInline var acc: UInt64 = 0
    @usableFromInline var used: Int = 0

    /// Creates an empty writer with room for `capacityBits` bits.
    public init(capacityBits: Int = 0) {
        words = []
        if capacityBits > 0 { words.reserveCapacity((capacityBits &+ 63) / 64) }
    }

    /// Number of bits written so far.
    @inlinable
    public var bitCount: Int { words.count &* 64 &+ used }

    /// Appends the low `bitCount` bits of `value` (`bitCount` in 0...64; higher bits of `value` are ignored).
    @inlinable @inline(__always)
    public mutating func write(_ value: UInt64, bitCount n: Int) {
        precondition(n >= 0 && n <= 64, "bit count out of range")
        let v = value & lowMask(n)
        acc |= v &<< UInt64(truncatingIfNeeded: used)
        let total = used &+ n
        if total >= 64 {
            words.append(acc)
            let consumed = 64 &- used
            acc = consumed == 64 ? 0 : v &>> UInt64(truncatingIfNeeded: consumed)
            used = total &- 64
        } else {
            used = total
        }
    }

    /// Appends one bit.
    @inlinable @inline(__always)
    public mutating func writeBit(_ bit: Bool) { write(bit ? 1 : 0, bitCount: 1) }

    /// Appends the stream to `writer` as `(bitCount + 7) / 8` bytes; unused high bits of the last byte are zero.
    /// The bit writer itself is left unchanged.
    public func finish(into writer: inout ByteWriter) {
        let byteCount = (bitCount &+ 7) / 8
        writer.appendWithUnsafeStorage(maxCount: byteCount) { dst in
            var off = 0
            for w in words {
                dst.storeBytes(of: w.littleEndian, toByteOffset: off, as: UInt64.self)
                off &+= 8
            }
            var a = acc
            while off < byteCount {
                dst.storeBytes(of: UInt8(truncatingIfNeeded: a), toByteOffset: off, as: UInt8.self)
                a &>>= 8
                off &+= 1
            }
            return byteCount
        }
    }
}

/// Reads a least-significant-bit-first stream written by ``BitWriter`` (or by the codecs' internal packers).
///
/// Reading never touches memory outside `buffer`: past the end it returns zero bits and ``isOverrun`` becomes true,
/// so a decoder can check once at the end instead of on every field.
public struct BitReader {
    @usableFromInline let base: UnsafeRawPointer?
    @usableFromInline let byteCount: Int
    @usableFromInline var nextByte: Int = 0
    @usableFromInline var acc: UInt64 = 0
    @usableFromInline var avail: Int = 0

    /// Creates a reader over `buffer`.
    public init(_ buffer: UnsafeRawBufferPointer) {
        base = buffer.baseAddress.map { UnsafeRawPointer($0) }
        byteCount = buffer.count
    }

    /// Number of bits consumed so far (may exceed `8 * buffer.count` after an overrun).
    @inlinable
    public var bitsConsumed: Int { nextByte &* 8 &- avail }

    /// Whether more bits were read than the buffer holds.
    @inlinable
    public var isOverrun: Bool { bitsConsumed > byteCount &* 8 }

    @inlinable @inline(__always)
    mutating func nextWord() -> UInt64 {
        let at = nextByte
        nextByte &+= 8
        if at &+ 8 <= byteCount, let base {
            return UInt64(littleEndian: base.loadUnaligned(fromByteOffset: at, as: UInt64.self))
        }
        return loadTail(at)
    }

    @usableFromInline
    func loadTail(_ at: Int) -> UInt64 {
        guard let base else { return 0 }
        var w: UInt64 = 0
        var i = at
        var shift: UInt64 = 0
        while i < byteCount && shift < 64 {
            w |= UInt64(base.load(fromByteOffset: i, as: UInt8.self)) &<< shift
            i &+= 1
            shift &+= 8
        }
        return w
    }

    /// Reads the next `bitCount` bits (0...64) as an unsigned integer.
    @inlinable @inline(__always)
    public mutating func read(bitCount n: Int) -> UInt64 {
        if n <= avail {
            let v = acc & lowMask(n)
            acc = n >= 64 ? 0 : acc &>> UInt64(truncatingIfNeeded: n)
            avail &-= n
            return v
        }
        let w = nextWord()
        let need = n &- avail
        let v = (acc | (w &<< UInt64(truncatingIfNeeded: avail))) & lowMask(n)
        acc = need >= 64 ? 0 : w &>> UInt64(truncatingIfNeeded: need)
        avail = 64 &- need
        return v
    }

    /// Reads one bit.
    @inlinable @inline(__always)
    public mutating func readBit() -> Bool { read(bitCount: 1) != 0 }
}

/// Internal LSB-first bit writer over memory the caller has already reserved (no growth checks).
@usableFromInline
struct RawBitWriter {
    @usableFromInline let dst: UnsafeMutableRawPointer
    @usableFromInline var off: Int = 0
    @usableFromInline var acc: UInt64 = 0
    @usableFromInline var used: Int = 0

    @inlinable
    init(_ dst: UnsafeMutableRawPointer) { self.dst = dst }

    /// `v` must have no bits above `n`; `n` in 0...64.
    @inlinable @inline(__always)
    mutating func write(_ v: UInt64, _ n: Int) {
        acc |= v &<< UInt64(truncatingIfNeeded: used)
        let total = used &+ n
        if total >= 64 {
            dst.storeBytes(of: acc.littleEndian, toByteOffset: off, as: UInt64.self)
            off &+= 8
            let consumed = 64 &- used
            acc = consumed == 64 ? 0 : v &>> UInt64(truncatingIfNeeded: consumed)
            used = total &- 64
        } else {
            used = total
        }
    }

    /// Flushes the partial word (writes a full 8-byte word; the caller's reservation must allow it) and
    /// returns the number of meaningful bytes.
    @inlinable
    mutating func finish() -> Int {
        let bytes = off &+ (used &+ 7) / 8
        if used > 0 { dst.storeBytes(of: acc.littleEndian, toByteOffset: off, as: UInt64.self) }
        return bytes
    }
}

/// Packs `count` values of `width` bits (their high bits must be zero) LSB-first into `dst`, which must have
/// room for `(count * width + 7) / 8 + 8` bytes. Returns the bytes used: `(count * width + 7) / 8`.
@usableFromInline
func packBits(_ src: UnsafePointer<UInt64>, count: Int, width: Int, into dst: UnsafeMutableRawPointer) -> Int {
    if width == 0 { return 0 }
    var w = RawBitWriter(dst)
    for i in 0..<count { w.write(src[i], width) }
    return w.finish()
}

/// Unpacks `count` values of `width` bits from `src` (exactly `(count * width + 7) / 8` readable bytes) into
/// 8-byte slots at `dst` (raw, little-endian host order). Never reads outside `src`.
@usableFromInline
func unpackBits(_ src: UnsafeRawPointer, byteCount: Int, count: Int, width: Int, into dst: UnsafeMutableRawPointer) {
    if count == 0 { return }
    if width == 0 {
        dst.initializeMemory(as: UInt8.self, repeating: 0, count: count &* 8)
        return
    }
    if width <= 56 {
        let mask = lowMask(width)
        // Fast region: every index whose 8-byte window lies inside the input.
        var fast = 0
        if byteCount >= 8 {
            fast = min(count, ((byteCount &- 8) &* 8) / width &+ 1)
        }
        var bit = 0
        var i = 0
        while i < fast {
            let word = UInt64(littleEndian: src.loadUnaligned(fromByteOffset: bit &>> 3, as: UInt64.self))
            dst.storeBytes(of: (word &>> UInt64(truncatingIfNeeded: bit & 7)) & mask,
                           toByteOffset: i &* 8, as: UInt64.self)
            bit &+= width
            i &+= 1
        }
        if i < count {
            let startByte = bit &>> 3
            var r = BitReader(UnsafeRawBufferPointer(start: src + startByte, count: byteCount &- startByte))
            _ = r.read(bitCount: bit & 7)
            while i < count {
                dst.storeBytes(of: r.read(bitCount: width), toByteOffset: i &* 8, as: UInt64.self)
                i &+= 1
            }
        }
        return
    }
    var r = BitReader(UnsafeRawBufferPointer(start: src, count: byteCount))
    for i in 0..<count {
        dst.storeBytes(of: r.read(bitCount: width), toByteOffset: i &* 8, as: UInt64.self)
    }
}

