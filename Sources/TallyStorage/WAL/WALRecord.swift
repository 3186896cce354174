import TallyEncoding

/// One write batch as the WAL records it: everything needed to apply it to the head and the catalog.
struct WALBatch: Sendable {
    var lsn: LSN
    var origin: BatchOrigin
    /// Series this batch creates, with the ids the store assigned.
    var newSeries: [SeriesRecord]
    /// Attribute changes of series that already existed.
    var attributeUpdates: [(SeriesID, Attributes)]
    var seriesIDs: [SeriesID]
    var times: [Int64]
    var values: [Double]
    /// Empty when no point has an outcome; else one code per point.
    var outcomes: [UInt8]
    /// How many distinct series the batch writes, when known (-1: count them when needed).
    var seriesCount: Int = -1
    /// The batch's series as the writer named them, with their ids (not written to the WAL; nil on replay).
    var seriesList: SeriesList?

    var importRecord: ImportRecord {
        ImportRecord(lsn: lsn, origin: origin, seriesCount: seriesCount >= 0 ? seriesCount : Set(seriesIDs).count,
                     pointCount: times.count)
    }
}

/// The WAL file and record layout (docs/format/wal.md).
enum WALFormat {
    static let magic: [UInt8] = Array("TLYW".utf8)
    /// 2 since records say whether they start an append (version 1 files hold only records that do).
    static let version: UInt8 = 2
    /// magic (4) · version (1) · reserved (3) · CRC32C of the first 8 bytes (4).
    static let headerSize = 12
    /// payload length (4) · CRC32C of length and payload (4).
    static let recordHeaderSize = 8
    /// Records larger than this are refused as damage rather than allocated.
    static let maxRecordSize = 1 << 30

    /// A batch record that starts an append (a single write, or the first batch of a group commit).
    static let batchRecordType: UInt8 = 1
    /// A batch record written in the same append as the record before it (a group commit's later batches): a crash
    /// can damage it and that record together, since nothing was acknowledged until the append's one sync.
    static let continuingBatchRecordType: UInt8 = 2

    /// Whether a payload's first byte is a batch record's.
    static func isBatchType(_ type: UInt8) -> Bool { type == batchRecordType || type == continuingBatchRecordType }

    static func header() -> [UInt8] { FileHeader.bytes(magic: magic, version: version) }

    /// The checksum of the record at `offset` that ends at `end`: CRC32C of its length field and its payload.
    static func recordChecksum(_ raw: UnsafeRawBufferPointer, at offset: Int, end: Int) -> UInt32 {
        CRC32C.update(CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + 4)])),
                      UnsafeRawBufferPointer(rebasing: raw[(offset + recordHeaderSize)..<end]))
    }

    /// Whether the record at `offset` that ends at `end` (inside `raw`) has the checksum it stores.
    static func hasIntactChecksum(_ raw: UnsafeRawBufferPointer, at offset: Int, end: Int) -> Bool {
        recordChecksum(raw, at: offset, end: end) == raw.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self).littleEndian
    }

    /// Encodes a batch as one complete record: length, checksum and payload. `continuing`: the record follows
    /// another in the same append.
    static func encode(_ batch: WALBatch, continuing: Bool = false) -> [UInt8] {
        var w = ByteWriter(capacity: recordHeaderSize + 64 + batch.times.count * 20)
        w.writeUInt32LE(0)  // length, patched below
        w.writeUInt32LE(0)  // checksum, patched below
        w.writeUInt8(continuing ? continuingBatchRecordType : batchRecordType)
        w.writeUInt64LE(batch.lsn)
        writeOrigin(batch.origin, into: &w)
        w.writeVarUInt(UInt64(batch.newSeries.count))
        for series in batch.newSeries {
            w.writeVarUInt(UInt64(series.id))
            w.writeUInt8(series.kind.rawValue)
            w.writeString(series.key.metric)
            writePairs(series.key.labels, into: &w)
            writePairs(series.attributes.entries, into: &w)
        }
        w.writeVarUInt(UInt64(batch.attributeUpdates.count))
        for (id, attributes) in batch.attributeUpdates {
            w.writeVarUInt(UInt64(id))
            writePairs(attributes.entries, into: &w)
        }
        let n = batch.times.count
        w.writeVarUInt(UInt64(n))
        w.writeVarUInts(batch.seriesIDs)
        w.writeInt64sLE(batch.times)
        w.writeFloat64sLE(batch.values)
        w.writeUInt8(batch.outcomes.isEmpty ? 0 : 1)
        if !batch.outcomes.isEmpty { w.writeBytes(batch.outcomes) }
        var bytes = w.bytes
        let payloadLength = bytes.count - recordHeaderSize
        withUnsafeBytes(of: UInt32(payloadLength).littleEndian) { raw in
            for i in 0..<4 { bytes[i] = raw[i] }
        }
        let crc = bytes.withUnsafeBytes { raw in recordChecksum(raw, at: 0, end: raw.count) }
        withUnsafeBytes(of: crc.littleEndian) { raw in
            for i in 0..<4 { bytes[4 + i] = raw[i] }
        }
        return bytes
    }

    /// Decodes a record's payload (after its length and checksum were verified).
    static func decodePayload(_ payload: UnsafeRawBufferPointer, fileOffset: Int) throws(EncodingError) -> WALBatch {
        var r = ByteReader(payload, baseOffset: fileOffset)
        let type = try r.readUInt8()
        guard isBatchType(type) else {
            throw EncodingError(.invalidTag, offset: fileOffset, "unknown WAL record type \(type)")
        }
        let lsn = try r.readUInt64LE()
        let origin = try readOrigin(&r)
        let newCount = try readCount(&r, limit: payload.count)
        var newSeries: [SeriesRecord] = []
        newSeries.reserveCapacity(newCount)
        for _ in 0..<newCount {
            let id = SeriesID(truncatingIfNeeded: try r.readVarUInt())
            let kindCode = try r.readUInt8()
            guard let kind = SeriesKind(rawValue: kindCode) else {
                throw EncodingError(.invalidTag, offset: r.absoluteOffset, "unknown series kind \(kindCode)")
            }
            let metric = try r.readString()
            let labels = try readPairs(&r, limit: payload.count)
            let attributes = try readPairs(&r, limit: payload.count)
            newSeries.append(SeriesRecord(
                id: id, key: SeriesKey(metric: metric, labels: labels), kind: kind,
                attributes: Attributes(Dictionary(attributes.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 })),
                createdLSN: lsn))
        }
        let updateCount = try readCount(&r, limit: payload.count)
        var updates: [(SeriesID, Attributes)] = []
        for _ in 0..<updateCount {
            let id = SeriesID(truncatingIfNeeded: try r.readVarUInt())
            let pairs = try readPairs(&r, limit: payload.count)
            updates.append((id, Attributes(Dictionary(pairs.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 }))))
        }
        let n = try readCount(&r, limit: payload.count)
        var ids = [SeriesID](repeating: 0, count: n)
        for i in 0..<n { ids[i] = SeriesID(truncatingIfNeeded: try r.readVarUInt()) }
        let times = try r.readInt64sLE(count: n)
        let values = try r.readFloat64sLE(count: n)
        var outcomes: [UInt8] = []
        if try r.readUInt8() == 1 {
            let raw = try r.readBytes(count: n)
            outcomes = Array(raw.bindMemory(to: UInt8.self))
        }
        return WALBatch(lsn: lsn, origin: origin, newSeries: newSeries, attributeUpdates: updates,
                        seriesIDs: ids, times: times, values: values, outcomes: outcomes, seriesCount: Set(ids).count)
    }

    private static func readCount(_ r: inout ByteReader, limit: Int) throws(EncodingError) -> Int {
        let offset = r.absoluteOffset
        let n = try r.readVarUInt()
        guard n <= UInt64(limit) else {
            throw EncodingError(.corrupt, offset: offset, "count \(n) exceeds the record's size")
        }
        return Int(n)
    }

    private static func writeOrigin(_ origin: BatchOrigin, into w: inout ByteWriter) {
        w.writeString(origin.kind)
        w.writeString(origin.source)
        w.writeInt64LE(origin.wallTime)
        writePairs(origin.details, into: &w)
    }

    private static func readOrigin(_ r: inout ByteReader) throws(EncodingError) -> BatchOrigin {
        let kind = try r.readString()
        let source = try r.readString()
        let wallTime = try r.readInt64LE()
        let details = try readPairs(&r, limit: r.remaining)
        var origin = BatchOrigin(kind: kind, source: source, wallTime: wallTime)
        origin.details = details
        return origin
    }

    private static func writePairs(_ pairs: [Label], into w: inout ByteWriter) {
        w.writeVarUInt(UInt64(pairs.count))
        for pair in pairs {
            w.writeString(pair.name)
            w.writeString(pair.value)
        }
    }

    private static func readPairs(_ r: inout ByteReader, limit: Int) throws(EncodingError) -> [Label] {
        let n = try readCount(&r, limit: limit)
        var pairs: [Label] = []
        pairs.reserveCapacity(n)
        for _ in 0..<n { pairs.append(Label(try r.readString(), try r.readString())) }
        return pairs
    }
}
