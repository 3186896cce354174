/// Which encoding ``ValueCodec`` chose for a block (the low 7 bits of its tag).
public enum ValueEncoding: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// No values.
    case empty = 0x20
    /// Every value is null.
    case allNull = 0x21
    /// Every non-null value has the same bit pattern.
    case constant = 0x22
    /// Integral values as bit-packed integers (delta, delta-of-delta, frame of reference or run-length, whichever
    /// is smallest), with exceptions for the few values that are not integral.
    case integerDelta = 0x23
    /// Values with at most 15 decimal places, scaled by 10^e to integers and packed like ``integerDelta``.
    case decimal = 0x24
    /// Full-precision doubles: order-preserving integer keys of the bit patterns, delta / FOR bit-packed.
    case floatBits = 0x25
    /// Full-precision doubles: Gorilla-style XOR with the previous value.
    case xor = 0x26

    /// The case's name.
    public var description: String {
        switch self {
        case .empty: "empty"
        case .allNull: "allNull"
        case .constant: "constant"
        case .integerDelta: "integerDelta"
        case .decimal: "decimal"
        case .floatBits: "floatBits"
        case .xor: "xor"
        }
    }
}

/// Codec for a block's value column (`Double`, with nulls as ``NullValue``).
///
/// Bit-exact for every bit pattern: NaN payloads, -0.0, infinities, subnormals. Nulls go to a validity section
/// (a bitmap or run lengths, whichever is smaller); the non-null values are encoded with the smallest of:
/// constant, integer (delta / FOR / RLE bit-packing with patched exceptions), decimal (ALP-like: the smallest
/// exponent e such that `Double(q) / 10^e` reproduces the value exactly, then like integers), float-bit keys
/// (delta / FOR of order-preserving bit patterns) and Gorilla XOR.
public enum ValueCodec {
    /// 10^0 ... 10^15; every entry is exact in binary64.
    static let powersOfTen: [Double] = [
        1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    ]

    /// The largest decimal exponent tried.
    public static let maxDecimalExponent = 15

    // MARK: Encoding

    /// Appends the encoded column (tag first) and returns the encoding chosen. The count is not stored: pass it to
    /// ``decode(_:count:into:)``.
    @discardableResult
    public static func encode(_ values: UnsafeBufferPointer<Double>, into w: inout ByteWriter) -> ValueEncoding {
        let n = values.count
        guard n > 0 else { w.writeUInt8(ColumnTag.valueEmpty); return .empty }
        let firstBits = values[0].bitPattern
        var nulls = 0
        var same = true
        for v in values {
            let b = v.bitPattern
            nulls &+= b == NullValue.bitPattern ? 1 : 0
            same = same && b == firstBits
        }
        if nulls == n {
            w.writeUInt8(ColumnTag.valueAllNull)
            return .allNull
        }
        if nulls == 0 {
            if same {
                w.writeUInt8(ColumnTag.valueConstant)
                w.writeUInt64LE(firstBits)
                return .constant
            }
            return encodeNonNull(values, flag: 0, validity: nil, into: &w)
        }
        // Nulls present: build the validity section and compact the non-null values.
        var validity = ByteWriter()
        writeValidity(values, into: &validity)
        let compact = [Double](unsafeUninitializedCapacity: n &- nulls) { buf, initialized in
            var j = 0
            for v in values where v.bitPattern != NullValue.bitPattern {
                buf[j] = v
                j &+= 1
            }
            initialized = j
        }
        return compact.withUnsafeBufferPointer { c in
            encodeNonNull(c, flag: ColumnTag.valueHasNullsFlag, validity: validity.bytes, into: &w)
        }
    }

    /// Appends the encoded column for an array.
    @discardableResult
    public static func encode(_ values: [Double], into w: inout ByteWriter) -> ValueEncoding {
        values.withUnsafeBufferPointer { encode($0, into: &w) }
    }

    /// Validity form bytes (fixed, written into files).
    static let validityBitmap: UInt8 = 0
    static let validityRuns: UInt8 = 1

    static func writeValidity(_ values: UnsafeBufferPointer<Double>, into w: inout ByteWriter) {
        let n = values.count
        // Run lengths alternate non-null, null, non-null, ... starting with a (possibly empty) non-null run.
        var runBytes = 0
        var runs = 0
        var i = 0
        var wantNull = false
        while i < n {
            var j = i
            while j < n && NullValue.isNull(values[j]) == wantNull { j &+= 1 }
            runBytes &+= varUIntSize(UInt64(j &- i))
            runs &+= 1
            i = j
            wantNull.toggle()
        }
        runBytes &+= varUIntSize(UInt64(runs))
        let bitmapBytes = (n &+ 7) / 8
        if runBytes < bitmapBytes {
            w.writeUInt8(validityRuns)
            w.writeVarUInt(UInt64(runs))
            i = 0
            wantNull = false
            while i < n {
                var j = i
                while j < n && NullValue.isNull(values[j]) == wantNull { j &+= 1 }
                w.writeVarUInt(UInt64(j &- i))
                i = j
                wantNull.toggle()
            }
        } else {
            w.writeUInt8(validityBitmap)
            w.appendWithUnsafeStorage(maxCount: bitmapBytes &+ 8) { dst in
                var bw = RawBitWriter(dst)
                for v in values { bw.write(NullValue.isNull(v) ? 0 : 1, 1) }
                return bw.finish()
            }
        }
    }

    /// Scales `v` by 10^e to an integer if `Double(q) / 10^e` (or `Double(q)` for e == 0) gives back exactly `v`.
    @inline(__always)
    static func scaled(_ v: Double, _ p: Double, exponent e: Int) -> Int64? {
        let x = v * p
        // |q| <= 2^53: beyond that a "decimal" is just a full-precision double with extra digits.
        guard x >= -9_007_199_254_740_992 && x <= 9_007_199_254_740_992 else { return nil }
        let q = Int64(x + (x < 0 ? -0.5 : 0.5))
        let back = e == 0 ? Double(q) : Double(q) / p
        return back.bitPattern == v.bitPattern ? q : nil
    }

    /// The smallest exponent in 0...15 at which `v` is an exact scaled decimal, or nil.
    static func minimalExponent(_ v: Double) -> Int? {
        for e in 0...maxDecimalExponent where scaled(v, powersOfTen[e], exponent: e) != nil { return e }
        return nil
    }

    /// Result of scaling a column at one exponent.
    struct DecimalCandidate {
        var exponent: Int
        var q: [Int64]
        var exceptionPositions: [Int]
        var exceptionBits: [UInt64]
        var neededExponent: Int
    }

    static func scaleColumn(_ values: UnsafeBufferPointer<Double>, exponent e: Int) -> DecimalCandidate {
        let m = values.count
        let p = powersOfTen[e]
        var positions: [Int] = []
        var bits: [UInt64] = []
        var needed = e
        let q = [Int64](unsafeUninitializedCapacity: m) { buf, initialized in
            var last: Int64 = 0
            for i in 0..<m {
                let v = values[i]
                if let s = scaled(v, p, exponent: e) {
                    buf[i] = s
                    last = s
                } else {
                    buf[i] = last
                    positions.append(i)
                    bits.append(v.bitPattern)
                    if positions.count <= 8, let ne = minimalExponent(v), ne > needed { needed = ne }
                }
            }
            initialized = m
        }
        return DecimalCandidate(exponent: e, q: q, exceptionPositions: positions, exceptionBits: bits,
                                neededExponent: needed)
    }

    /// Exact size in bits of the XOR stream for `values`.
    static func xorStreamBits(_ values: UnsafeBufferPointer<Double>) -> Int {
        var bits = 64
        var prev = values[0].bitPattern
        var prevLz = 64
        var prevTz = 64
        for i in 1..<values.count {
            let b = values[i].bitPattern
            let x = b ^ prev
            prev = b
            if x == 0 { bits &+= 1; continue }
            let lz = min(x.leadingZeroBitCount, 31)
            let tz = x.trailingZeroBitCount
            if lz >= prevLz && tz >= prevTz {
                bits &+= 2 &+ 64 &- prevLz &- prevTz
            } else {
                bits &+= 13 &+ 64 &- lz &- tz
                prevLz = lz
                prevTz = tz
            }
        }
        return bits
    }

    static func writeXOR(_ values: UnsafeBufferPointer<Double>, streamBits: Int, into w: inout ByteWriter) {
        let byteCount = (streamBits &+ 7) / 8
        w.writeVarUInt(UInt64(byteCount))
        w.appendWithUnsafeStorage(maxCount: byteCount &+ 8) { dst in
            var bw = RawBitWriter(dst)
            var prev = values[0].bitPattern
            bw.write(prev, 64)
            var prevLz = 64
            var prevTz = 64
            for i in 1..<values.count {
                let b = values[i].bitPattern
                let x = b ^ prev
                prev = b
                if x == 0 { bw.write(0, 1); continue }
                let lz = min(x.leadingZeroBitCount, 31)
                let tz = x.trailingZeroBitCount
                if lz >= prevLz && tz >= prevTz {
                    bw.write(1, 2)
                    bw.write(x &>> UInt64(prevTz), 64 &- prevLz &- prevTz)
                } else {
                    let len = 64 &- lz &- tz
                    bw.write(3 | UInt64(lz) &<< 2 | UInt64(len &- 1) &<< 7, 13)
                    bw.write(x &>> UInt64(tz), len)
                    prevLz = lz
                    prevTz = tz
                }
            }
            let used = bw.finish()
            precondition(used == byteCount, "XOR size estimate mismatch")
            return used
        }
    }

    /// Order-preserving map between a double's bit pattern and an Int64 key (an involution).
    @inline(__always)
    static func orderedKey(_ bits: UInt64) -> UInt64 {
        bits ^ (UInt64(bitPattern: Int64(bitPattern: bits) &>> 63) &>> 1)
    }

    static func encodeNonNull(_ values: UnsafeBufferPointer<Double>, flag: UInt8, validity: [UInt8]?,
                              into w: inout ByteWriter) -> ValueEncoding
    {
        let m = values.count
        func header(_ kind: ValueEncoding) {
            w.writeUInt8(kind.rawValue | flag)
            if let validity { w.writeBytes(validity) }
        }
        let firstBits = values[0].bitPattern
        var same = true
        for v in values where v.bitPattern != firstBits { same = false; break }
        if same {
            header(.constant)
            w.writeUInt64LE(firstBits)
            return .constant
        }

        // 1. Decimal / integer candidate, from a sample.
        var decimal: (DecimalCandidate, IntColumnPlan, Int)? = nil
        let sampleCount = min(m, 32)
        var maxE = 0
        var misses = 0
        for j in 0..<sampleCount {
            let v = values[j &* (m / sampleCount)]
            if let e = minimalExponent(v) { maxE = max(maxE, e) } else { misses &+= 1 }
            if misses &* 8 > sampleCount { break }
        }
        // Try decimal scaling only if nearly all sampled values are exact decimals (full-precision doubles
        // between 1 and 1000 pass at e = 13...15 about half the time, which is not a decimal column).
        if misses &* 8 <= sampleCount {
            func evaluate(_ e: Int) -> (DecimalCandidate, IntColumnPlan, Int) {
                let c = scaleColumn(values, exponent: e)
                let plan = c.q.withUnsafeBufferPointer { IntColumn.plan($0) }
                let cost = plan.costBits &+ c.exceptionPositions.count &* 80 &+ 16
                return (c, plan, cost)
            }
            var best = evaluate(maxE)
            let c = best.0
            if c.exceptionPositions.count &* 64 > m && c.neededExponent > c.exponent {
                let retry = evaluate(c.neededExponent)
                if retry.2 < best.2 { best = retry }
            }
            decimal = best
        }

        // 2. Full-precision candidates, unless the decimal one is already small.
        var bestCost = decimal?.2 ?? Int.max
        var choice: ValueEncoding = decimal == nil ? .xor : (decimal!.0.exponent == 0 ? .integerDelta : .decimal)
        var floatPlan: IntColumnPlan? = nil
        var keys: [Int64] = []
        var xorBits = 0
        if bestCost > 16 &* m {
            xorBits = xorStreamBits(values)
            let xorCost = xorBits &+ 8 &* varUIntSize(UInt64((xorBits &+ 7) / 8))
            if xorCost < bestCost { bestCost = xorCost; choice = .xor }
            keys = [Int64](unsafeUninitializedCapacity: m) { buf, initialized in
                for i in 0..<m { buf[i] = Int64(bitPattern: orderedKey(values[i].bitPattern)) }
                initialized = m
            }
            let plan = keys.withUnsafeBufferPointer { IntColumn.plan($0) }
            if plan.costBits < bestCost { bestCost = plan.costBits; choice = .floatBits; floatPlan = plan }
        }

        header(choice)
        switch choice {
        case .xor:
            writeXOR(values, streamBits: xorBits, into: &w)
        case .floatBits:
            keys.withUnsafeBufferPointer { IntColumn.write($0, plan: floatPlan!, into: &w) }
        default:
            let (c, plan, _) = decimal!
            if choice == .decimal { w.writeUInt8(UInt8(c.exponent)) }
            c.q.withUnsafeBufferPointer { IntColumn.write($0, plan: plan, into: &w) }
            w.writeVarUInt(UInt64(c.exceptionPositions.count))
            var last = -1
            for k in 0..<c.exceptionPositions.count {
                let pos = c.exceptionPositions[k]
                w.writeVarUInt(UInt64(pos &- last &- 1))
                w.writeUInt64LE(c.exceptionBits[k])
                last = pos
            }
        }
        return choice
    }

    // MARK: Decoding

    /// Reads the tag of the next value column without consuming anything: which encoding it uses and whether it
    /// has a validity section.
    public static func peekEncoding(_ reader: ByteReader) throws(EncodingError) -> (encoding: ValueEncoding, hasNulls: Bool) {
        var r = reader
        let (tag, at) = try r.readTag()
        guard let e = ValueEncoding(rawValue: tag & ~ColumnTag.valueHasNullsFlag) else {
            throw r.error(.invalidTag, at: at, "not a value column tag: 0x\(String(tag, radix: 16))")
        }
        return (e, tag & ColumnTag.valueHasNullsFlag != 0)
    }

    /// Decodes `count` values into the first `count` elements of `into` (which must have at least `count`),
    /// bit-exact, with nulls as ``NullValue/value``.
    ///
    /// - Throws: ``EncodingError`` (with the byte offset) on truncated or malformed input; never reads or writes
    ///   out of bounds.
    public static func decode(_ r: inout ByteReader, count: Int, into out: UnsafeMutableBufferPointer<Double>)
        throws(EncodingError)
    {
        precondition(count >= 0 && out.count >= count, "output buffer smaller than count")
        let (tag, at) = try r.readTag()
        let hasNulls = tag & ColumnTag.valueHasNullsFlag != 0
        guard let kind = ValueEncoding(rawValue: tag & ~ColumnTag.valueHasNullsFlag) else {
            throw r.error(.invalidTag, at: at, "not a value column tag: 0x\(String(tag, radix: 16))")
        }
        switch kind {
        case .empty:
            guard count == 0, !hasNulls else { throw r.error(.corrupt, at: at, "empty value column, expected \(count)") }
            return
        case .allNull:
            guard count > 0, !hasNulls else { throw r.error(.corrupt, at: at, "unexpected all-null column") }
            for i in 0..<count { out[i] = NullValue.value }
            return
        default:
            guard count > 0 else { throw r.error(.corrupt, at: at, "non-empty value column, expected 0 values") }
        }
        let dst = UnsafeMutableRawPointer(out.baseAddress!)
        guard hasNulls else {
            try decodePayload(kind, &r, m: count, into: dst)
            return
        }
        // Validity section.
        let formAt = r.offset
        let form = try r.readUInt8()
        var bitmap: UnsafeRawBufferPointer? = nil
        var runs: [Int] = []
        var m = 0
        switch form {
        case validityBitmap:
            let bytes = try r.readBytes(count: (count &+ 7) / 8)
            var br = BitReader(bytes)
            var remaining = count
            while remaining >= 64 { m &+= br.read(bitCount: 64).nonzeroBitCount; remaining &-= 64 }
            m &+= br.read(bitCount: remaining).nonzeroBitCount
            bitmap = bytes
        case validityRuns:
            let runCount = try r.readVarCount(max: count &+ 1, "validity run count")
            runs.reserveCapacity(runCount)
            var total = 0
            for k in 0..<runCount {
                let lenAt = r.offset
                let len = try r.readVarCount(max: count &- total, "validity run length")
                guard len > 0 || k == 0 else { throw r.error(.corrupt, at: lenAt, "empty validity run") }
                runs.append(len)
                total &+= len
                if k & 1 == 0 { m &+= len }
            }
            guard total == count else {
                throw r.error(.corrupt, at: formAt, "validity runs cover \(total) values, expected \(count)")
            }
        default:
            throw r.error(.invalidTag, at: formAt, "unknown validity form \(form)")
        }
        guard m > 0 else { throw r.error(.corrupt, at: formAt, "validity section marks every value null") }
        try decodePayload(kind, &r, m: m, into: dst)
        // Expand in place, back to front: non-null values move to their positions, gaps become null.
        let null = NullValue.bitPattern
        if let bitmap {
            var j = m &- 1
            var i = count &- 1
            while i >= 0 {
                let byte = bitmap.load(fromByteOffset: i &>> 3, as: UInt8.self)
                if (byte &>> UInt8(i & 7)) & 1 != 0 {
                    dst.storeBytes(of: dst.load(fromByteOffset: j &* 8, as: UInt64.self), toByteOffset: i &* 8,
                                   as: UInt64.self)
                    j &-= 1
                } else {
                    dst.storeBytes(of: null, toByteOffset: i &* 8, as: UInt64.self)
                }
                i &-= 1
            }
        } else {
            var end = count
            var srcEnd = m
            var k = runs.count &- 1
            while k >= 0 {
                let len = runs[k]
                let start = end &- len
                if k & 1 == 0 {
                    let srcStart = srcEnd &- len
                    if srcStart != start && len > 0 {
                        (dst + start &* 8).copyMemory(from: dst + srcStart &* 8, byteCount: len &* 8)
                    }
                    srcEnd = srcStart
                } else {
                    for i in start..<end { dst.storeBytes(of: null, toByteOffset: i &* 8, as: UInt64.self) }
                }
                end = start
                k &-= 1
            }
        }
    }

    /// Decodes `count` values into a new array.
    public static func decode(_ r: inout ByteReader, count: Int) throws(EncodingError) -> [Double] {
        var out = [Double](repeating: 0, count: count)
        try out.withUnsafeMutableBufferPointer { (b) throws(EncodingError) in try decode(&r, count: count, into: b) }
        return out
    }

    static func decodePayload(_ kind: ValueEncoding, _ r: inout ByteReader, m: Int, into dst: UnsafeMutableRawPointer)
        throws(EncodingError)
    {
        switch kind {
        case .constant:
            let bits = try r.readUInt64LE()
            for i in 0..<m { dst.storeBytes(of: bits, toByteOffset: i &* 8, as: UInt64.self) }
        case .integerDelta, .decimal:
            var e = 0
            if kind == .decimal {
                let eAt = r.offset
                e = Int(try r.readUInt8())
                guard e >= 1 && e <= maxDecimalExponent else {
                    throw r.error(.corrupt, at: eAt, "decimal exponent \(e) outside 1...\(maxDecimalExponent)")
                }
            }
            try IntColumn.decode(&r, count: m, into: dst)
            if e == 0 {
                for i in 0..<m {
                    let q = dst.load(fromByteOffset: i &* 8, as: Int64.self)
                    dst.storeBytes(of: Double(q), toByteOffset: i &* 8, as: Double.self)
                }
            } else {
                let p = powersOfTen[e]
                for i in 0..<m {
                    let q = dst.load(fromByteOffset: i &* 8, as: Int64.self)
                    dst.storeBytes(of: Double(q) / p, toByteOffset: i &* 8, as: Double.self)
                }
            }
            let exceptions = try r.readVarCount(max: m, "exception count")
            var pos = -1
            for _ in 0..<exceptions {
                let at = r.offset
                let gap = try r.readVarUInt()
                guard gap < UInt64(m &- pos &- 1) else {
                    throw r.error(.corrupt, at: at, "value exception position past the end of \(m) values")
                }
                pos = pos &+ 1 &+ Int(gap)
                dst.storeBytes(of: try r.readUInt64LE(), toByteOffset: pos &* 8, as: UInt64.self)
            }
        case .floatBits:
            try IntColumn.decode(&r, count: m, into: dst)
            for i in 0..<m {
                let k = dst.load(fromByteOffset: i &* 8, as: UInt64.self)
                dst.storeBytes(of: orderedKey(k), toByteOffset: i &* 8, as: UInt64.self)
            }
        case .xor:
            try decodeXOR(&r, m: m, into: dst)
        case .empty, .allNull:
            throw r.error(.corrupt, "\(kind) cannot carry a validity section")
        }
    }

    static func decodeXOR(_ r: inout ByteReader, m: Int, into dst: UnsafeMutableRawPointer) throws(EncodingError) {
        let start = r.offset
        let byteCount = try r.readVarCount(max: r.remaining, "XOR stream length")
        let stream = try r.readBytes(count: byteCount)
        var br = BitReader(stream)
        var v = br.read(bitCount: 64)
        dst.storeBytes(of: v, as: UInt64.self)
        var lz = -1
        var tz = 0
        var len = 0
        var i = 1
        while i < m {
            if br.read(bitCount: 1) != 0 {
                if br.read(bitCount: 1) == 0 {
                    guard lz >= 0 else { throw r.error(.corrupt, at: start, "XOR window reused before one was set") }
                } else {
                    let h = Int(br.read(bitCount: 11))
                    lz = h & 31
                    len = (h &>> 5) &+ 1
                    guard lz &+ len <= 64 else {
                        throw r.error(.corrupt, at: start, "XOR window \(lz)+\(len) exceeds 64 bits")
                    }
                    tz = 64 &- lz &- len
                }
                v ^= br.read(bitCount: len) &<< UInt64(tz)
            }
            dst.storeBytes(of: v, toByteOffset: i &* 8, as: UInt64.self)
            if br.isOverrun { break }
            i &+= 1
        }
        guard !br.isOverrun else { throw r.error(.truncated, at: start, "XOR stream ends early") }
    }
}
