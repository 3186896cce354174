import TallyEncoding

/// Writes one segment file: series in ascending id order, each as blocks of sorted, de-duplicated points.
///
/// The file is written under a temporary name and made durable by ``finish()``; the store renames it into
/// place and registers it in the catalog.
struct SegmentWriter {
    let path: String
    private let file: File
    private var buffer: [UInt8] = []
    private var written = 0
    private var directory: [(SeriesID, SeriesKind, [BlockMeta])] = []
    private(set) var pointCount = 0
    private(set) var minTime = Int64.max
    private(set) var maxTime = Int64.min
    private(set) var minLSN = LSN.max
    private(set) var maxLSN = LSN.min
    private var lastSeries: SeriesID?

    init(path: String) throws(IOError) {
        self.path = path
        file = try File.openForWriting(path, create: true, truncate: true)
        buffer = SegmentFormat.header()
        buffer.reserveCapacity(1 << 20)
    }

    /// Adds a series' points (sorted by time, one point per time), split into blocks of at most `blockPoints`.
    mutating func add(series id: SeriesID, kind: SeriesKind, columns: PointColumns,
                      blockPoints: Int = SegmentFormat.maxBlockPoints) throws(IOError) {
        let run = SeriesPoints(id: id, kind: kind, columns: columns, range: 0..<columns.count)
        try append(EncodedSeries.encode([run][...], blockPoints: blockPoints))
    }

    /// Appends series already encoded in memory (``EncodedSeries``), in ascending id order after those added so far.
    mutating func append(_ encoded: EncodedSeries) throws(IOError) {
        guard let first = encoded.directory.first else { return }
        precondition(lastSeries.map { $0 < first.0 } ?? true, "series must be added in ascending id order")
        let base = written + buffer.count
        for (id, kind, metas) in encoded.directory {
            var blocks = metas
            for k in blocks.indices {
                blocks[k].offset += base
                minTime = min(minTime, blocks[k].minTime)
                maxTime = max(maxTime, blocks[k].maxTime)
                minLSN = min(minLSN, blocks[k].minLSN)
                maxLSN = max(maxLSN, blocks[k].maxLSN)
            }
            directory.append((id, kind, blocks))
            lastSeries = id
        }
        buffer.append(contentsOf: encoded.bytes)
        pointCount += encoded.pointCount
        if buffer.count >= 1 << 22 { try drain() }
    }

    private mutating func drain() throws(IOError) {
        try file.write(buffer, at: written)
        written += buffer.count
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes the footer and trailer and syncs the file. Returns the file's size.
    mutating func finish() throws(IOError) -> Int {
        let footerOffset = written + buffer.count
        let footer = SegmentFormat.encodeFooter(directory)
        let footerCRC = footer.withUnsafeBytes { CRC32C.checksum($0) }
        buffer.append(contentsOf: footer)
        buffer.append(contentsOf: SegmentFormat.trailer(footerOffset: footerOffset, footerLength: footer.count,
                                                        footerCRC: footerCRC))
        try drain()
        try file.sync()
        return written
    }

    var seriesCount: Int { directory.count }
}

/// Series encoded into blocks in memory, ready to be appended to a segment by ``SegmentWriter/append(_:)``: block
/// offsets count from the start of `bytes`. Several pieces of one segment can be encoded on several cores at once.
struct EncodedSeries: Sendable {
    var bytes: [UInt8] = []
    var directory: [(SeriesID, SeriesKind, [BlockMeta])] = []
    var pointCount = 0

    /// Encodes `runs` (ascending ids; each range sorted by time, one point per time) into blocks of at most
    /// `blockPoints` points.
    static func encode(_ runs: ArraySlice<SeriesPoints>, blockPoints: Int = SegmentFormat.maxBlockPoints) -> EncodedSeries {
        var out = EncodedSeries()
        out.bytes.reserveCapacity(runs.reduce(0) { $0 + $1.range.count } * 4)
        var scratch = ByteWriter(capacity: 1 << 16)
        for run in runs where !run.range.isEmpty {
            let hasOutcomes = run.kind == .check && run.columns.outcomes.count == run.columns.count
            var blocks: [BlockMeta] = []
            var start = run.range.lowerBound
            while start < run.range.upperBound {
                let end = min(start + blockPoints, run.range.upperBound)
                blocks.append(BlockCodec.encode(run.columns, range: start..<end, uniformLSN: run.uniformLSN, hasOutcomes: hasOutcomes,
                                                baseOffset: 0, into: &out.bytes, scratch: &scratch))
                start = end
            }
            out.pointCount += run.range.count
            out.directory.append((run.id, run.kind, blocks))
        }
        return out
    }
}
