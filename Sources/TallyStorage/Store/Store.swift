/// How to open a store.
public struct StoreOptions: Sendable {
    /// Open without the writer lock: reads see every acknowledged point (segments and WAL) at open time.
    public var readOnly: Bool
    /// Create the store when the directory does not hold one (it must be missing or empty).
    public var createIfMissing: Bool
    /// Flush the head into segments when it holds this many points (at most 2^31: the head addresses its points
    /// with 32 bits, so a larger setting flushes at 2^31).
    public var flushThresholdPoints: Int

    /// ``flushThresholdPoints`` within the head's limit.
    var effectiveFlushThreshold: Int { min(flushThresholdPoints, 1 << 31) }

    public init(readOnly: Bool = false, createIfMissing: Bool = true, flushThresholdPoints: Int = 4_000_000) {
        self.readOnly = readOnly
        self.createIfMissing = createIfMissing
        self.flushThresholdPoints = flushThresholdPoints
    }
}

/// An embedded Tally store: a directory with `catalog.sqlite`, `wal/`, `segments/` and a `LOCK` file.
///
/// One process writes (it holds the lock); any number of threads and processes read. Every write batch is
/// validated whole, appended to the WAL as one record and synced before it is acknowledged.
///
/// ```swift
/// let store = try Store.open(at: "/var/lib/tally")
/// var batch = WriteBatch(origin: BatchOrigin(kind: "api", source: "example"))
/// let rows = batch.addSeries(SeriesKey(metric: "row_count", labels: ["dataset": "orders"]))
/// batch.append(series: rows, time: 1_714_550_400_000, value: 1_200)
/// try store.write(batch)
/// ```
public final class Store: Sendable {
    /// The store's directory.
    public let path: String
    public let options: StoreOptions
    let state: Locked<StoreState>
    /// Held by writers for the whole of a write, flush or import. Nil when read-only.
    let writer: Locked<WriterState?>
    let catalog: Catalog
    /// Serialises compaction, retention and deletes with each other (writers go on meanwhile).
    let maintenance = Locked<Void>(())
    /// What this open found at the end of the WAL and cut off, if anything (see ``CutWALTail``).
    public let cutWALTail: CutWALTail?

    var walDirectory: String { path + "/wal" }
    var segmentDirectory: String { path + "/segments" }

    private init(path: String, options: StoreOptions, state: StoreState, writer: WriterState?, catalog: Catalog,
                 cutWALTail: CutWALTail? = nil) {
        self.path = path
        self.options = options
        self.state = Locked(state)
        self.writer = Locked(writer)
        self.catalog = catalog
        self.cutWALTail = cutWALTail
    }

    /// Opens (or creates) the store at `path`.
    ///
    /// - Throws: ``StoreError/locked(path:holder:)`` when another writer holds the lock, ``StoreError/corrupt(path:offset:detail:)``
    ///   when a file is damaged (other than a torn last WAL record, which is dropped), ``StoreError/notAStore(path:detail:)``
    ///   for a directory that holds something else.
    public static func open(at path: String, options: StoreOptions = StoreOptions()) throws(StoreError) -> Store {
        let hasCatalog = Directory.exists(path + "/" + Catalog.fileName)
        if !hasCatalog {
            if options.readOnly || !options.createIfMissing {
                throw StoreError.notAStore(path: path, detail: "no \(Catalog.fileName) (create it by writing to it)")
            }
            if Directory.exists(path) {
                let entries: [String]
                do throws(IOError) { entries = try Directory.list(path) } catch { throw .io(error) }
                let ours: Set<String> = ["wal", "segments", "documents", "LOCK"]
                if let stranger = entries.first(where: { !ours.contains($0) }) {
                    throw StoreError.notAStore(path: path, detail: "the directory is not empty (it holds \(stranger))")
                }
            }
        }
        if options.readOnly { return try openReadOnly(at: path, options: options) }
        do throws(IOError) {
            try Directory.create(path)
            try Directory.create(path + "/wal")
            try Directory.create(path + "/segments")
            try Directory.create(path + "/documents")
        } catch {
            throw .io(error)
        }
        let lock = try WriterLock(path: path + "/LOCK")
        let catalog = try Catalog(directory: path, readOnly: false)
        var state = try loadCatalogState(path: path, catalog: catalog)
        try removeOrphanSegments(path: path, known: Set(state.segments.map(\.file)))

        let flushed = try catalog.flushedLSN()
        let wal = try WALReader.read(directory: path + "/wal", afterLSN: flushed)
        for batch in wal.batches { state.apply(batch) }
        state.skipLSNs(through: max(try catalog.lastLSN(), flushed))
        // Every batch the catalog recorded above the flushed LSN (an earlier open replayed it, or a bulk import
        // wrote it) must be in the WAL or in a segment: one in neither was acknowledged and is gone — a damaged last
        // record the catalog knows, a WAL file cut between records or lost. That is damage, not a crash to recover.
        if let lost = try catalog.batchesHeldByNothing(above: flushed, walLSNs: Set(wal.batches.map(\.lsn)),
                                                       segments: state.segments).first {
            let place = wal.tornTail.map { ($0.file, $0.offset) } ?? (path + "/wal", 0)
            throw StoreError.corrupt(path: place.0, offset: place.1, detail: lost.heldByNothingMessage
                + ": this is damage, not a write cut off by a crash (`tally repair` keeps what can be read and names what is lost)")
        }
        // A damaged last record is cut off below; its bytes are kept, and the LSNs it claims are never given again.
        var cut: CutWALTail?
        var reservedLSN: LSN?
        if let torn = wal.tornTail {
            cut = try keepTornTail(torn, storePath: path)
            if let claimed = torn.claimedLSNs.last, claimed >= state.nextLSN, claimed - state.nextLSN < 1 << 32 {
                state.skipLSNs(through: claimed)
                reservedLSN = claimed
            }
        }
        // Bring the catalog up to date with the series and imports the WAL holds (idempotent).
        if !state.pending.isEmpty || reservedLSN != nil {
            let pending = state.pending
            try catalog.db.transaction { () throws(StoreError) in
                try applyPending(pending, to: catalog)
                // A claimed LSN stays reserved across opens, though its record is gone.
                if let reservedLSN { try catalog.reserveLSNs(through: reservedLSN) }
            }
        }
        let walWriter: WALWriter
        do throws(IOError) {
            let directory = path + "/wal"
            if let lastFile = wal.files.last, wal.lastFileValidSize == 0 {
                // Its header was cut off: nothing was ever appended to it.
                try Directory.remove(lastFile)
                walWriter = try WALWriter(directory: directory, firstLSN: state.nextLSN)
            } else if let lastFile = wal.files.last,
                      (wal.lastRecordLSN ?? WALReader.firstLSN(of: lastFile) &- 1) &+ 1 == state.nextLSN,
                      wal.lastFileVersion == WALFormat.version {
                walWriter = try WALWriter(directory: directory, continuing: lastFile, validSize: wal.lastFileValidSize)
            } else {
                // A new file when the next LSN does not follow the last file's last record (a reserved LSN, a bulk
                // import), so that LSNs rise by one within a file; and after a file of an older version, which must
                // not hold records that version does not know. The last file is cut back to its intact records.
                if let lastFile = wal.files.last { try WALWriter.cutBack(lastFile, to: wal.lastFileValidSize) }
                walWriter = try WALWriter(directory: directory, firstLSN: state.nextLSN)
            }
        } catch {
            throw .io(error)
        }
        return Store(path: path, options: options, state: state, writer: WriterState(lock: lock, wal: walWriter, documents: DocumentLog(directory: path + "/documents")),
                     catalog: catalog, cutWALTail: cut)
    }

    private static func openReadOnly(at path: String, options: StoreOptions) throws(StoreError) -> Store {
        // A concurrent flush or compaction may delete a file between reading the catalog and opening it:
        // then read everything again.
        var attempt = 0
        while true {
            attempt += 1
            do throws(StoreError) {
                let catalog = try Catalog(directory: path, readOnly: true)
                // The segments and the flushed LSN from one snapshot: read apart, a flush in between would make
                // replay skip records that the segments read do not hold.
                let snapshot = try catalog.db.readTransaction { () throws(StoreError) -> (StoreState, LSN) in
                    (try loadCatalogState(path: path, catalog: catalog), try catalog.flushedLSN())
                }
                var state = snapshot.0
                let flushed = snapshot.1
                let wal = try WALReader.read(directory: path + "/wal", afterLSN: flushed)
                // A flush that committed since may have deleted WAL files before they were listed, and their
                // records are only in segments this snapshot does not have: read everything again.
                if try catalog.flushedLSN() != flushed {
                    if attempt < 50 { continue }
                    throw StoreError.catalog("the store was flushed during each of \(attempt) attempts to open it; try again")
                }
                for batch in wal.batches { state.apply(batch) }
                return Store(path: path, options: options, state: state, writer: nil, catalog: catalog)
            } catch let error {
                if case .io(let io) = error, io.errno == 2, attempt < 50 { continue }
                throw error
            }
        }
    }

    /// Loads series and segments from the catalog and opens every segment.
    private static func loadCatalogState(path: String, catalog: Catalog) throws(StoreError) -> StoreState {
        var state = StoreState()
        // The segment files are read, checked and their footers decoded on another core meanwhile.
        // In time order, so each series' runs of blocks are listed in time order as they are added.
        let segmentRecords = try catalog.loadSegments().sorted { ($0.minTime, $0.id) < ($1.minTime, $1.id) }
        let opening = BackgroundWork { () throws(StoreError) -> [SegmentReader.Opened] in
            var opened: [SegmentReader.Opened] = []
            for record in segmentRecords {
                opened.append(try SegmentReader.open(path: path + "/segments/" + record.file, id: record.id,
                                                     expectedBytes: record.bytes))
            }
            return opened
        }
        state.index.addAll(try catalog.loadPackedSeries())
        for (record, opened) in zip(segmentRecords, try opening.value()) { state.addSegment(record, opened) }
        for record in try catalog.loadImports() {
            state.nextLSN = max(state.nextLSN, record.lsn + 1)
            state.noteImport(record.origin, lsn: record.lsn)
        }
        return state
    }

    /// Removes segment files the catalog does not list: left by a flush or import that did not commit.
    /// Only files named as the store names segments (`<id>.tseg`, and `<id>.tseg.tmp` while one is written) are
    /// removed: anything else a person put there is left alone.
    private static func removeOrphanSegments(path: String, known: Set<String>) throws(StoreError) {
        do throws(IOError) {
            for name in try Directory.list(path + "/segments")
            where !known.contains(name) && isSegmentFileName(name) && !Directory.isDirectory(path + "/segments/" + name) {
                try Directory.remove(path + "/segments/" + name)
            }
        } catch {
            throw .io(error)
        }
    }

    /// `<16 hex digits>.tseg`, or that with `.tmp`: the names the store gives segment files.
    static func isSegmentFileName(_ name: String) -> Bool {
        let base = name.hasSuffix(".tmp") ? String(name.dropLast(4)) : name
        guard base.hasSuffix(".tseg") else { return false }
        let id = base.dropLast(5)
        return id.count == 16 && id.allSatisfy { $0.isHexDigit }
    }

    static func applyPending(_ pending: PendingCatalog, to catalog: Catalog) throws(StoreError) {
        try catalog.insertSeries(pending.series)
        try catalog.setAttributes(pending.attributeUpdates)
        for record in pending.imports { try catalog.insertImport(record) }
    }

    /// A number that changes whenever this handle makes a change to what the store holds visible: points written,
    /// imported, loaded or deleted, series edited, anomaly feedback set or removed (``setFeedback(series:time:verdict:note:wallTime:)``; not the Soda Cloud feedback side table), metadata set (not a flush or a
    /// compaction, which keep what readers see). A reader can keep what it computed from the store with the number it read before, and reuse it while
    /// the number is the same. Changes made by another process are not counted.
    public var changeCount: UInt64 { state.withLock { $0.changes } }

    /// True when this handle may write.
    public var isWritable: Bool { writer.withLock { $0 != nil } }

    /// Flushes the head and releases the writer lock. Further writes, flushes and feedback reads fail with
    /// ``StoreError/closed``; reads of points, series and batches keep answering from what the handle holds until it is
    /// released. On a read-only handle it does nothing.
    public func close() throws(StoreError) {
        try writer.withLock { (w: inout WriterState?) throws(StoreError) in
            guard var current = w else { return }
            if state.withLock({ $0.closed }) { return }
            try flushLocked(&current)
            w = nil
            state.withLock { $0.closed = true }
        }
    }

    func checkOpen() throws(StoreError) {
        if state.withLock({ $0.closed }) { throw StoreError.closed }
    }
}

/// The end of the last WAL file that an open for writing cut off: a record whose write was cut off by a crash
/// before it was acknowledged, or one damaged in a way that cannot be told from that (its length or checksum,
/// with nothing valid after it). Bytes that are not all zero are kept in `damaged/` first.
public struct CutWALTail: Sendable, Equatable, CustomStringConvertible {
    /// The WAL file and the offset where the cut record starts.
    public var file: String
    public var offset: Int
    /// How many bytes were cut.
    public var bytes: Int
    /// The LSNs the cut bytes claim, ascending: the damaged record's, when its first bytes hold one, and those of
    /// whole records of the same append after it. The highest is reserved: no batch gets these LSNs again.
    public var claimedLSNs: [LSN]
    /// Where the cut bytes were kept; nil when they were all zero (nothing was written there).
    public var keptAt: String?

    /// One line for an operator.
    public var description: String {
        var text = "cut \(bytes) bytes off the end of \(file) at offset \(offset): an incomplete or damaged last record"
        text += TornTail.claimsPhrase(claimedLSNs)
        text += keptAt.map { "; the bytes are kept in \($0)" } ?? "; they were all zero"
        return text + ". A write cut off by a crash was never acknowledged; if this store had acknowledged that batch, restore it from a backup"
    }
}

extension Store {
    /// Copies a torn tail's bytes into `damaged/` unless they are all zero, before the writer cuts the file: a new
    /// file (named by the WAL file, the offset and the time), synced with its directory.
    static func keepTornTail(_ torn: TornTail, storePath: String) throws(StoreError) -> CutWALTail {
        var cut = CutWALTail(file: torn.file, offset: torn.offset, bytes: torn.bytes, claimedLSNs: torn.claimedLSNs, keptAt: nil)
        do throws(IOError) {
            let bytes = try File.openForReading(torn.file).read(count: torn.bytes, at: torn.offset)
            guard bytes.contains(where: { $0 != 0 }) else { return cut }
            let directory = storePath + "/damaged"
            try Directory.create(directory)
            let name = torn.file.split(separator: "/").last.map(String.init) ?? "wal"
            var target = directory + "/\(name).cut-at-\(torn.offset).\(currentTimeMillis())"
            while Directory.exists(target) { target += "-1" }
            let out = try File.openForWriting(target, create: true, truncate: true)
            try out.write(bytes, at: 0)
            try out.sync()
            try Directory.sync(directory)
            try Directory.sync(storePath)
            cut.keptAt = target
        } catch {
            throw .io(error)
        }
        return cut
    }
}
