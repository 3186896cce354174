import TallyEncoding

/// What the footer of a segment says about one block of one series: where it is, and statistics that answer
/// counts, bucket aggregates and "latest" without decoding it. Statistics skip nulls and NaN.
public struct BlockMeta: Sendable, Equatable {
    /// Byte offset of the block in its file, and its length including its checksum.
    public var offset: Int
    public var length: Int
    public var count: Int
    public var nullCount: Int
    public var minTime: Int64
    public var maxTime: Int64
    public var minLSN: LSN
    public var maxLSN: LSN
    /// Over non-null, non-NaN values; `count - nullCount - nanCount` of them. NaN when there are none.
    public var minValue: Double
    public var maxValue: Double
    public var sum: Double
    /// The first and last non-null, non-NaN values by time (NaN when there are none).
    public var firstValue: Double
    public var lastValue: Double
    /// The value of the block's last point by time as stored (possibly null) and its outcome code.
    public var lastRawValue: Double
    public var lastOutcome: UInt8
    /// The LSN of the block's last point by time (decides between blocks whose last points share a time).
    public var lastLSN: LSN
    /// How many values are finite or infinite numbers (not null, not NaN): the count `sum` covers.
    public var statCount: Int
}

/// The segment file layout (docs/format/segment.md).
enum SegmentFormat {
    static let magic: [UInt8] = Array("TLYS".utf8)
    static let version: UInt8 = 1
    /// magic (4) · version (1) · reserved (3) · CRC32C of the first 8 bytes (4).
    static let headerSize = 12
    /// footer offset (8) · footer length (4) · footer CRC32C (4) · CRC32C of the previous 16 bytes (4) · magic (4).
    static let trailerSize = 24
    /// Points per block at most. Flushes write what the head holds; compaction fills blocks to this size.
    static let maxBlockPoints = 4096

    /// Block flags.
    static let flagLZ4: UInt8 = 1
    static let flagOutcomes: UInt8 = 2

    static func header() -> [UInt8] { FileHeader.bytes(magic: magic, version: version) }

    static func trailer(footerOffset: Int, footerLength: Int, footerCRC: UInt32) -> [UInt8] {
        var w = ByteWriter(capacity: trailerSize)
        w.writeUInt64LE(UInt64(footerOffset))
        w.writeUInt32LE(UInt32(footerLength))
        w.writeUInt32LE(footerCRC)
        let crc = w.bytes.withUnsafeBytes { CRC32C.checksum($0) }
        w.writeUInt32LE(crc)
        w.writeBytes(magic)
        return w.bytes
    }

    /// The footer: per series (ascending id) its kind and the metadata of its blocks in time order.
    static func encodeFooter(_ directory: [(SeriesID, SeriesKind, [BlockMeta])]) -> [UInt8] {
        var w = ByteWriter(capacity: 64 + directory.count * 96)
        w.writeVarUInt(UInt64(directory.count))
        for (id, kind, blocks) in directory {
            w.writeVarUInt(UInt64(id))
            w.writeUInt8(kind.rawValue)
            w.writeVarUInt(UInt64(blocks.count))
            for b in blocks {
                w.writeVarUInt(UInt64(b.offset))
                w.writeVarUInt(UInt64(b.length))
                w.writeVarUInt(UInt64(b.count))
                w.writeVarUInt(UInt64(b.nullCount))
                w.writeVarUInt(UInt64(b.statCount))
                w.writeVarInt(b.minTime)
                w.writeVarInt(b.maxTime &- b.minTime)
                w.writeVarUInt(b.minLSN)
                w.writeVarUInt(b.maxLSN &- b.minLSN)
                w.writeFloat64LE(b.minValue)
                w.writeFloat64LE(b.maxValue)
                w.writeFloat64LE(b.sum)
                w.writeFloat64LE(b.firstValue)
                w.writeFloat64LE(b.lastValue)
                w.writeFloat64LE(b.lastRawValue)
                w.writeUInt8(b.lastOutcome)
                w.writeVarUInt(b.lastLSN)
            }
        }
        return w.bytes
    }

    static func decodeFooter(_ raw: UnsafeRawBufferPointer, fileOffset: Int) throws(EncodingError)
        -> SegmentDirectory
    {
        var r = ByteReader(raw, baseOffset: fileOffset)
        let seriesCount = try count(&r, limit: raw.count)
        var directory = SegmentDirectory()
        directory.entries.reserveCapacity(seriesCount)
        directory.metas.reserveCapacity(seriesCount)
        for _ in 0..<seriesCount {
            let start = r.offset
            let first = directory.metas.count
            let (id, kind) = try decodeSeriesEntry(&r, into: &directory.metas, limit: raw.count)
            let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[start..<r.offset]))
            let blocks = directory.metas.count - first
            if blocks > 1 {
                let points = directory.metas[first...].reduce(0) { $0 + $1.count }
                if blocks > (points + maxBlockPoints - 1) / maxBlockPoints { directory.hasSmallBlocks = true }
            }
            directory.entries.append(SegmentDirectory.Entry(
                id: id, kind: kind, firstBlock: UInt32(first), blockCount: UInt32(directory.metas.count - first),
                run: FooterRun(position: UInt32(start), crc: crc)))
        }
        guard r.remaining == 0 else {
            throw EncodingError(.corrupt, offset: r.absoluteOffset, "\(r.remaining) unexpected bytes after the footer")
        }
        return directory
    }

    /// The most bytes one block's entry in the footer can take (every varint at its longest).
    static let maxBlockEntryBytes = 9 * 10 + 6 * 8 + 1 + 10
    /// The most bytes a series entry's own fields (id, kind, block count) can take.
    static let maxSeriesHeaderBytes = 10 + 1 + 10

    /// Decodes one series' entry of the footer (its id, kind and blocks), appending the blocks to `metas`.
    static func decodeSeriesEntry(_ r: inout ByteReader, into metas: inout [BlockMeta], limit: Int)
        throws(EncodingError) -> (SeriesID, SeriesKind)
    {
        let id = SeriesID(truncatingIfNeeded: try r.readVarUInt())
        let kindCode = try r.readUInt8()
        guard let kind = SeriesKind(rawValue: kindCode) else {
            throw EncodingError(.invalidTag, offset: r.absoluteOffset - 1, "unknown series kind \(kindCode)")
        }
        let blockCount = try count(&r, limit: limit)
        for _ in 0..<blockCount {
            let offset = Int(truncatingIfNeeded: try r.readVarUInt())
            let length = Int(truncatingIfNeeded: try r.readVarUInt())
            let n = Int(truncatingIfNeeded: try r.readVarUInt())
            let nulls = Int(truncatingIfNeeded: try r.readVarUInt())
            let statCount = Int(truncatingIfNeeded: try r.readVarUInt())
            let minTime = try r.readVarInt()
            let maxTime = minTime &+ (try r.readVarInt())
            let minLSN = try r.readVarUInt()
            let maxLSN = minLSN &+ (try r.readVarUInt())
            metas.append(BlockMeta(
                offset: offset, length: length, count: n, nullCount: nulls, minTime: minTime, maxTime: maxTime,
                minLSN: minLSN, maxLSN: maxLSN, minValue: try r.readFloat64LE(), maxValue: try r.readFloat64LE(),
                sum: try r.readFloat64LE(), firstValue: try r.readFloat64LE(), lastValue: try r.readFloat64LE(),
                lastRawValue: try r.readFloat64LE(), lastOutcome: try r.readUInt8(), lastLSN: try r.readVarUInt(),
                statCount: statCount))
        }
        return (id, kind)
    }

    /// Reads the block count of a series entry without decoding its blocks.
    static func peekBlockCount(_ raw: UnsafeRawBufferPointer, baseOffset: Int, limit: Int) throws(EncodingError) -> Int {
        var r = ByteReader(raw, baseOffset: baseOffset)
        _ = try r.readVarUInt()
        _ = try r.readUInt8()
        return try count(&r, limit: limit)
    }

    private static func count(_ r: inout ByteReader, limit: Int) throws(EncodingError) -> Int {
        let offset = r.absoluteOffset
        let n = try r.readVarUInt()
        guard n <= UInt64(limit) else {
            throw EncodingError(.corrupt, offset: offset, "count \(n) exceeds the footer's size")
        }
        return Int(n)
    }
}

/// Where one series' entry lies in a segment's footer (its byte offset from the footer's start) and the CRC32C
/// of the entry's bytes, taken when the footer was checked at open. The index keeps this instead of the decoded
/// block metadata, and reads the entry again when a query needs it (``SegmentReader/readRun(_:into:)``).
struct FooterRun: Sendable, Equatable {
    var position: UInt32
    var crc: UInt32
}

/// A segment's footer decoded, flat: one array of every block's metadata (series by series, each in time order)
/// and one small entry per series pointing into it — no array per series, so a segment of a million one-block
/// series costs two allocations. Stores keep it only while they index the segment (at open, after a flush);
/// compaction and verification decode it again (``SegmentReader/readDirectory()``). As a collection it lists
/// `(series, kind, blocks)` per series, ascending ids.
struct SegmentDirectory: RandomAccessCollection, Sendable {
    struct Entry: Sendable {
        var id: SeriesID
        var kind: SeriesKind
        var firstBlock: UInt32
        var blockCount: UInt32
        /// Where the series' entry is in the footer, and its checksum: enough to read its blocks' metadata again.
        var run: FooterRun
    }

    var entries: [Entry] = []
    /// Every block of the segment; ``Entry/firstBlock`` indexes it.
    var metas: [BlockMeta] = []

    var startIndex: Int { 0 }
    var endIndex: Int { entries.count }

    /// The newest point of each series over the blocks of these directories.
    static func newestPoints(_ directories: [SegmentDirectory]) -> [SeriesID: LatestPoint] {
        var newest: [SeriesID: LatestPoint] = [:]
        for directory in directories {
            for entry in directory.entries where entry.blockCount > 0 {
                for k in entry.firstBlock..<(entry.firstBlock + entry.blockCount) {
                    newest[entry.id].keepLatest(LatestPoint(directory.metas[Int(k)]))
                }
            }
        }
        return newest
    }

    /// Whether some series has more blocks than its points need (blocks of at most ``SegmentFormat/maxBlockPoints``);
    /// noted while the footer is decoded.
    var hasSmallBlocks = false

    subscript(position: Int) -> (SeriesID, SeriesKind, ArraySlice<BlockMeta>) {
        let entry = entries[position]
        let first = Int(entry.firstBlock)
        return (entry.id, entry.kind, metas[first..<(first + Int(entry.blockCount))])
    }
}
