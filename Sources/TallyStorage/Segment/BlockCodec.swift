import TallyEncoding

/// Encodes and decodes one block: the columns of up to ``SegmentFormat/maxBlockPoints`` points of one series.
///
/// Layout: flags (1) · raw body length (varuint, only when LZ4-compressed) · body · CRC32C of all before it (4).
/// Body: timestamps · values · LSNs · outcomes (check series only), each column self-describing.
enum BlockCodec {
    /// Appends the encoded block for `columns[range]` to `out` and returns its metadata (offset relative to
    /// `baseOffset + out.count` at the call). With `uniformLSN`, every point has that LSN and `columns.lsns` is
    /// not read.
    static func encode(_ columns: PointColumns, range: Range<Int>, uniformLSN: LSN? = nil, hasOutcomes: Bool,
                       baseOffset: Int, into out: inout [UInt8], scratch: inout ByteWriter) -> BlockMeta {
        scratch.removeAll()
        columns.times.withUnsafeBufferPointer { t in
            TimestampCodec.encode(UnsafeBufferPointer(rebasing: t[range]), into: &scratch)
        }
        columns.values.withUnsafeBufferPointer { v in
            _ = ValueCodec.encode(UnsafeBufferPointer(rebasing: v[range]), into: &scratch)
        }
        if let uniformLSN {
            withUnsafeTemporaryAllocation(of: LSN.self, capacity: range.count) { l in
                l.initialize(repeating: uniformLSN)
                LSNCodec.encode(UnsafeBufferPointer(l), into: &scratch)
            }
        } else {
            columns.lsns.withUnsafeBufferPointer { l in
                LSNCodec.encode(UnsafeBufferPointer(rebasing: l[range]), into: &scratch)
            }
        }
        if hasOutcomes {
            columns.outcomes.withUnsafeBufferPointer { o in
                OutcomeCodec.encode(UnsafeBufferPointer(rebasing: o[range]), into: &scratch)
            }
        }
        let start = out.count
        var flags: UInt8 = hasOutcomes ? SegmentFormat.flagOutcomes : 0
        var compressed: [UInt8] = []
        if scratch.count >= 256 {
            let ok = scratch.bytes.withUnsafeBytes { body in
                (try? LZ4.compress(UnsafeRawBufferPointer(rebasing: body[0..<scratch.count]), into: &compressed)) != nil
            }
            if ok && compressed.count + 4 < scratch.count * 9 / 10 { flags |= SegmentFormat.flagLZ4 }
        }
        var header = ByteWriter(capacity: 8)
        header.writeUInt8(flags)
        if flags & SegmentFormat.flagLZ4 != 0 {
            header.writeVarUInt(UInt64(scratch.count))
            out.append(contentsOf: header.bytes)
            out.append(contentsOf: compressed)
        } else {
            out.append(contentsOf: header.bytes)
            out.append(contentsOf: scratch.bytes[0..<scratch.count])
        }
        let crc = out.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[start...])) }
        withUnsafeBytes(of: crc.littleEndian) { out.append(contentsOf: $0) }

        var meta = statistics(columns, range: range, uniformLSN: uniformLSN)
        meta.offset = baseOffset + start
        meta.length = out.count - start
        return meta
    }

    /// Statistics of `columns[range]` (sorted by time); with `uniformLSN`, every point has that LSN.
    static func statistics(_ columns: PointColumns, range: Range<Int>, uniformLSN: LSN? = nil) -> BlockMeta {
        var nulls = 0, statCount = 0
        var minValue = Double.infinity, maxValue = -Double.infinity, sum = 0.0
        var first = Double.nan, last = Double.nan
        var minLSN = LSN.max, maxLSN = LSN.min
        if let uniformLSN {
            minLSN = uniformLSN
            maxLSN = uniformLSN
        } else {
            columns.lsns.withUnsafeBufferPointer { lsns in
                for i in range {
                    minLSN = Swift.min(minLSN, lsns[i])
                    maxLSN = Swift.max(maxLSN, lsns[i])
                }
            }
        }
        columns.values.withUnsafeBufferPointer { values in
            for i in range {
                let v = values[i]
                if v.isNaN {
                    if NullValue.isNull(v) { nulls &+= 1 }
                    continue
                }
                statCount &+= 1
                if v < minValue { minValue = v }
                if v > maxValue { maxValue = v }
                sum += v
                if first.isNaN { first = v }
                last = v
            }
        }
        if statCount == 0 { minValue = .nan; maxValue = .nan }
        let lastIndex = range.upperBound - 1
        return BlockMeta(
            offset: 0, length: 0, count: range.count, nullCount: nulls,
            minTime: columns.times[range.lowerBound], maxTime: columns.times[lastIndex],
            minLSN: minLSN, maxLSN: maxLSN, minValue: minValue, maxValue: maxValue, sum: sum,
            firstValue: first, lastValue: last, lastRawValue: columns.values[lastIndex],
            lastOutcome: columns.outcomes.isEmpty ? 0 : columns.outcomes[lastIndex], lastLSN: uniformLSN ?? columns.lsns[lastIndex],
            statCount: statCount)
    }

    /// Checks a block's checksum and decodes it, appending its points to `columns`.
    static func decode(_ raw: UnsafeRawBufferPointer, meta: BlockMeta, path: String,
                       into columns: inout PointColumns) throws(StoreError) {
        guard raw.count >= 5 else {
            throw StoreError.corrupt(path: path, offset: meta.offset, detail: "block too short (\(raw.count) bytes)")
        }
        let bodyEnd = raw.count - 4
        let stored = raw.loadUnaligned(fromByteOffset: bodyEnd, as: UInt32.self).littleEndian
        guard CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[0..<bodyEnd])) == stored else {
            throw StoreError.corrupt(path: path, offset: meta.offset, detail: "block checksum mismatch")
        }
        do throws(EncodingError) {
            var header = ByteReader(UnsafeRawBufferPointer(rebasing: raw[0..<bodyEnd]), baseOffset: meta.offset)
            let flags = try header.readUInt8()
            if flags & SegmentFormat.flagLZ4 != 0 {
                let rawLength = Int(truncatingIfNeeded: try header.readVarUInt())
                guard rawLength >= 0 && rawLength <= 64 * meta.count + 4096 else {
                    throw EncodingError(.corrupt, offset: meta.offset, "implausible block size \(rawLength)")
                }
                let compressed = try header.readBytes(count: header.remaining)
                var body = [UInt8](repeating: 0, count: rawLength)
                try body.withMutableBytes { dst throws(EncodingError) in
                    try LZ4.decompress(compressed, originalCount: rawLength, into: dst)
                }
                try body.withBytes { b throws(EncodingError) in
                    var r = ByteReader(b, baseOffset: meta.offset)
                    try decodeColumns(&r, count: meta.count, hasOutcomes: flags & SegmentFormat.flagOutcomes != 0,
                                      into: &columns)
                }
            } else {
                try decodeColumns(&header, count: meta.count, hasOutcomes: flags & SegmentFormat.flagOutcomes != 0,
                                  into: &columns)
            }
        } catch {
            throw StoreError.corrupt(path: path, offset: error.offset, detail: error.description)
        }
    }

    private static func decodeColumns(_ r: inout ByteReader, count n: Int, hasOutcomes: Bool,
                                      into columns: inout PointColumns) throws(EncodingError) {
        let base = columns.count
        columns.times.append(contentsOf: repeatElement(0, count: n))
        columns.values.append(contentsOf: repeatElement(0, count: n))
        columns.lsns.append(contentsOf: repeatElement(0, count: n))
        try columns.times.withMutableBuffer { t throws(EncodingError) in
            try TimestampCodec.decode(&r, count: n, into: UnsafeMutableBufferPointer(rebasing: t[base...]))
        }
        try columns.values.withMutableBuffer { v throws(EncodingError) in
            try ValueCodec.decode(&r, count: n, into: UnsafeMutableBufferPointer(rebasing: v[base...]))
        }
        try columns.lsns.withMutableBuffer { l throws(EncodingError) in
            try LSNCodec.decode(&r, count: n, into: UnsafeMutableBufferPointer(rebasing: l[base...]))
        }
        if hasOutcomes {
            if columns.outcomes.count < base { columns.outcomes.append(contentsOf: repeatElement(0, count: base - columns.outcomes.count)) }
            columns.outcomes.append(contentsOf: repeatElement(0, count: n))
            try columns.outcomes.withMutableBuffer { o throws(EncodingError) in
                try OutcomeCodec.decode(&r, count: n, into: UnsafeMutableBufferPointer(rebasing: o[base...]))
            }
        }
        guard r.remaining == 0 else {
            throw EncodingError(.corrupt, offset: r.absoluteOffset, "\(r.remaining) unexpected bytes after the block's columns")
        }
    }
}
