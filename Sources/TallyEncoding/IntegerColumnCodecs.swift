/// Codec for a block's timestamp column (Int64, typically milliseconds since the epoch).
///
/// Tuned for sorted, possibly repeating and irregular times: the encoder tries frame-of-reference, delta and
/// delta-of-delta bit-packing (after dividing by the GCD of all offsets from the first time, so second-rounded
/// millisecond data costs what second data would), with patched exceptions for gaps, and run-length encoding; it
/// keeps the smallest. Unsorted input, negative times and `Int64.min`/`.max` round-trip exactly (all differences
/// are modulo 2^64), only less compactly.
public enum TimestampCodec {
    /// Appends the encoded column (tag first). The count is not stored: pass it to ``decode(_:count:into:)``.
    public static func encode(_ times: UnsafeBufferPointer<Int64>, into w: inout ByteWriter) {
        guard times.count > 0 else { w.writeUInt8(ColumnTag.timestampEmpty); return }
        w.writeUInt8(ColumnTag.timestampPacked)
        IntColumn.encode(times, into: &w, tryGrid: true)
    }

    /// Appends the encoded column for an array.
    public static func encode(_ times: [Int64], into w: inout ByteWriter) {
        times.withUnsafeBufferPointer { encode($0, into: &w) }
    }

    /// Decodes `count` timestamps into the first `count` elements of `into` (which must have at least `count`).
    ///
    /// - Throws: ``EncodingError`` (with the byte offset) on truncated or malformed input; never reads or writes
    ///   out of bounds.
    public static func decode(_ r: inout ByteReader, count: Int, into out: UnsafeMutableBufferPointer<Int64>)
        throws(EncodingError)
    {
        precondition(count >= 0 && out.count >= count, "output buffer smaller than count")
        let (tag, at) = try r.readTag()
        switch tag {
        case ColumnTag.timestampEmpty:
            guard count == 0 else { throw r.error(.corrupt, at: at, "empty timestamp column, expected \(count)") }
        case ColumnTag.timestampPacked:
            guard count > 0 else { throw r.error(.corrupt, at: at, "non-empty timestamp column, expected 0 values") }
            try IntColumn.decode(&r, count: count, into: UnsafeMutableRawPointer(out.baseAddress!))
        default:
            throw r.error(.invalidTag, at: at, "not a timestamp column tag: 0x\(String(tag, radix: 16))")
        }
    }

    /// Decodes `count` timestamps into a new array.
    public static func decode(_ r: inout ByteReader, count: Int) throws(EncodingError) -> [Int64] {
        var out = [Int64](repeating: 0, count: count)
        try out.withUnsafeMutableBufferPointer { (b) throws(EncodingError) in try decode(&r, count: count, into: b) }
        return out
    }
}

/// Codec for a general Int64 column (counts, ids, offsets): the same integer machinery as ``TimestampCodec``.
public enum IntegerCodec {
    /// Appends the encoded column (tag first).
    public static func encode(_ values: UnsafeBufferPointer<Int64>, into w: inout ByteWriter) {
        guard values.count > 0 else { w.writeUInt8(ColumnTag.integerEmpty); return }
        w.writeUInt8(ColumnTag.integerPacked)
        IntColumn.encode(values, into: &w)
    }

    /// Decodes `count` integers into the first `count` elements of `into`.
    public static func decode(_ r: inout ByteReader, count: Int, into out: UnsafeMutableBufferPointer<Int64>)
        throws(EncodingError)
    {
        precondition(count >= 0 && out.count >= count, "output buffer smaller than count")
        let (tag, at) = try r.readTag()
        switch tag {
        case ColumnTag.integerEmpty:
            guard count == 0 else { throw r.error(.corrupt, at: at, "empty integer column, expected \(count)") }
        case ColumnTag.integerPacked:
            guard count > 0 else { throw r.error(.corrupt, at: at, "non-empty integer column, expected 0 values") }
            try IntColumn.decode(&r, count: count, into: UnsafeMutableRawPointer(out.baseAddress!))
        default:
            throw r.error(.invalidTag, at: at, "not an integer column tag: 0x\(String(tag, radix: 16))")
        }
    }
}

/// Codec for a block's LSN column: the write-batch sequence number of each point.
///
/// Within a block LSNs are usually long runs of one value or a few increasing values, so the main form is
/// run-length: (zigzag varint delta from the previous run's LSN, varuint run length) pairs. Columns with many
/// short runs fall back to an IntColumn (delta / FOR bit-packing) of the LSNs' bit patterns.
public enum LSNCodec {
    /// Appends the encoded column (tag first).
    public static func encode(_ lsns: UnsafeBufferPointer<UInt64>, into w: inout ByteWriter) {
        let n = lsns.count
        guard n > 0 else { w.writeUInt8(ColumnTag.lsnEmpty); return }
        var runs = 1
        for i in 1..<n where lsns[i] != lsns[i &- 1] { runs &+= 1 }
        if runs <= max(1, n / 8) {
            w.writeUInt8(ColumnTag.lsnRunLength)
            w.writeVarUInt(UInt64(runs))
            var prev: UInt64 = 0
            var start = 0
            while start < n {
                let v = lsns[start]
                var end = start &+ 1
                while end < n && lsns[end] == v { end &+= 1 }
                w.writeVarInt(Int64(bitPattern: v &- prev))
                w.writeVarUInt(UInt64(end &- start))
                prev = v
                start = end
            }
            return
        }
        w.writeUInt8(ColumnTag.lsnPacked)
        lsns.withMemoryRebound(to: Int64.self) { IntColumn.encode($0, into: &w) }
    }

    /// Appends the encoded column for an array.
    public static func encode(_ lsns: [UInt64], into w: inout ByteWriter) {
        lsns.withUnsafeBufferPointer { encode($0, into: &w) }
    }

    /// Decodes `count` LSNs into the first `count` elements of `into`.
    public static func decode(_ r: inout ByteReader, count: Int, into out: UnsafeMutableBufferPointer<UInt64>)
        throws(EncodingError)
    {
        precondition(count >= 0 && out.count >= count, "output buffer smaller than count")
        let (tag, at) = try r.readTag()
        switch tag {
        case ColumnTag.lsnEmpty:
            guard count == 0 else { throw r.error(.corrupt, at: at, "empty LSN column, expected \(count)") }
        case ColumnTag.lsnRunLength:
            guard count > 0 else { throw r.error(.corrupt, at: at, "non-empty LSN column, expected 0 values") }
            try IntColumn.readRunLength(&r, n: count, into: UnsafeMutableRawPointer(out.baseAddress!))
        case ColumnTag.lsnPacked:
            guard count > 0 else { throw r.error(.corrupt, at: at, "non-empty LSN column, expected 0 values") }
            try IntColumn.decode(&r, count: count, into: UnsafeMutableRawPointer(out.baseAddress!))
        default:
            throw r.error(.invalidTag, at: at, "not an LSN column tag: 0x\(String(tag, radix: 16))")
        }
    }

    /// Decodes `count` LSNs into a new array.
    public static func decode(_ r: inout ByteReader, count: Int) throws(EncodingError) -> [UInt64] {
        var out = [UInt64](repeating: 0, count: count)
        try out.withUnsafeMutableBufferPointer { (b) throws(EncodingError) in try decode(&r, count: count, into: b) }
        return out
    }
}

/// Codec for a block's outcome column: one small code per point (e.g. pass / warn / fail / error).
///
/// Run-length (code byte, varuint run length) pairs, or fixed-width bit-packing when that is smaller (codes that
/// change often).
public enum OutcomeCodec {
    /// Appends the encoded column (tag first).
    public static func encode(_ codes: UnsafeBufferPointer<UInt8>, into w: inout ByteWriter) {
        let n = codes.count
        guard n > 0 else { w.writeUInt8(ColumnTag.outcomeEmpty); return }
        var runs = 0
        var rleBytes = 0
        var maxCode: UInt8 = 0
        var start = 0
        while start < n {
            let v = codes[start]
            maxCode = max(maxCode, v)
            var end = start &+ 1
            while end < n && codes[end] == v { end &+= 1 }
            runs &+= 1
            rleBytes &+= 1 &+ varUIntSize(UInt64(end &- start))
            start = end
        }
        rleBytes &+= varUIntSize(UInt64(runs))
        let width = bitLength(UInt64(maxCode))
        let packedBytes = 1 &+ (n &* width &+ 7) / 8
        if rleBytes <= packedBytes {
            w.writeUInt8(ColumnTag.outcomeRunLength)
            w.writeVarUInt(UInt64(runs))
            start = 0
            while start < n {
                let v = codes[start]
                var end = start &+ 1
                while end < n && codes[end] == v { end &+= 1 }
                w.writeUInt8(v)
                w.writeVarUInt(UInt64(end &- start))
                start = end
            }
        } else {
            w.writeUInt8(ColumnTag.outcomePacked)
            w.writeUInt8(UInt8(width))
            w.appendWithUnsafeStorage(maxCount: packedBytes &+ 8) { dst in
                var bw = RawBitWriter(dst)
                for i in 0..<n { bw.write(UInt64(codes[i]), width) }
                return bw.finish()
            }
        }
    }

    /// Appends the encoded column for an array.
    public static func encode(_ codes: [UInt8], into w: inout ByteWriter) {
        codes.withUnsafeBufferPointer { encode($0, into: &w) }
    }

    /// Decodes `count` codes into the first `count` elements of `into`.
    public static func decode(_ r: inout ByteReader, count: Int, into out: UnsafeMutableBufferPointer<UInt8>)
        throws(EncodingError)
    {
        precondition(count >= 0 && out.count >= count, "output buffer smaller than count")
        let (tag, at) = try r.readTag()
        switch tag {
        case ColumnTag.outcomeEmpty:
            guard count == 0 else { throw r.error(.corrupt, at: at, "empty outcome column, expected \(count)") }
        case ColumnTag.outcomeRunLength:
            guard count > 0 else { throw r.error(.corrupt, at: at, "non-empty outcome column, expected 0 values") }
            let runs = try r.readVarCount(max: count, "run count")
            var filled = 0
            for _ in 0..<runs {
                let v = try r.readUInt8()
                let lenAt = r.offset
                let len = try r.readVarUInt()
                guard len >= 1, len <= UInt64(count &- filled) else {
                    throw r.error(.corrupt, at: lenAt, "run length \(len) with \(count &- filled) values left")
                }
                let end = filled &+ Int(len)
                while filled < end { out[filled] = v; filled &+= 1 }
            }
            guard filled == count else { throw r.error(.corrupt, "runs cover \(filled) codes, expected \(count)") }
        case ColumnTag.outcomePacked:
            guard count > 0 else { throw r.error(.corrupt, at: at, "non-empty outcome column, expected 0 values") }
            let widthAt = r.offset
            let width = Int(try r.readUInt8())
            guard width <= 8 else { throw r.error(.corrupt, at: widthAt, "outcome bit width \(width) > 8") }
            let bytes = try r.readBytes(count: (count &* width &+ 7) / 8)
            var br = BitReader(bytes)
            for i in 0..<count { out[i] = UInt8(truncatingIfNeeded: br.read(bitCount: width)) }
        default:
            throw r.error(.invalidTag, at: at, "not an outcome column tag: 0x\(String(tag, radix: 16))")
        }
    }

    /// Decodes `count` codes into a new array.
    public static func decode(_ r: inout ByteReader, count: Int) throws(EncodingError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        try out.withUnsafeMutableBufferPointer { (b) throws(EncodingError) in try decode(&r, count: count, into: b) }
        return out
    }
}
