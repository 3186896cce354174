/// Catalog changes written to the WAL but not yet to the catalog: applied at the next flush.
struct PendingCatalog: Sendable {
    var series: [SeriesRecord] = []
    var attributeUpdates: [(SeriesID, Attributes)] = []
    var imports: [ImportRecord] = []

    var isEmpty: Bool { series.isEmpty && attributeUpdates.isEmpty && imports.isEmpty }

    mutating func add(_ batch: WALBatch) {
        series.append(contentsOf: batch.newSeries)
        attributeUpdates.append(contentsOf: batch.attributeUpdates)
        imports.append(batch.importRecord)
    }
}

/// What readers and the writer share, behind the store's state lock.
struct StoreState: Sendable {
    var index = SeriesIndex()
    var segments: [SegmentRecord] = []
    var readers: [UInt64: SegmentReader] = [:]
    var head = Head()
    var pending = PendingCatalog()
    var nextLSN: LSN = 1
    var nextSegmentID: UInt64 = 1
    var closed = false
    /// Content identity (``BatchOrigin/sameContentKeys``) → every batch that carries it, ascending (for idempotent
    /// writes: the first stands for it, and a deleted one leaves the next).
    var contentHashes: [String: [LSN]] = [:]
    /// Batch → where its original document is kept (a ``DocumentRef``'s text), for batches that kept one.
    var documentRefs: [LSN: String] = [:]
    /// The series of the last batch applied, with their ids (every one of them is in the index).
    var lastSeriesList: SeriesList?
    /// How many changes to what the store holds (points, series, feedback, metadata) this handle has made visible.
    var changes: UInt64 = 0

    /// Counts a change, once it is visible to readers.
    mutating func noteChange() { changes &+= 1 }

    /// Makes sure no batch gets an LSN up to `lsn` (given out before, reserved, or burnt by a failed write).
    mutating func skipLSNs(through lsn: LSN) { nextLSN = max(nextLSN, lsn + 1) }

    mutating func noteImport(_ origin: BatchOrigin, lsn: LSN) {
        for hash in origin.contentIdentities where contentHashes[hash]?.contains(lsn) != true {
            var holders = contentHashes[hash] ?? []
            holders.insert(lsn, at: holders.firstIndex { $0 > lsn } ?? holders.count)
            contentHashes[hash] = holders
        }
        if let ref = origin.detail(BatchOrigin.documentKey) { documentRefs[lsn] = ref }
    }

    /// The earliest stored batch that holds one of `origin`'s content identities (a batch with it changes nothing).
    func earlierBatch(for origin: BatchOrigin) -> LSN? {
        origin.contentIdentities.lazy.compactMap { self.contentHashes[$0]?.first }.first
    }

    /// Forgets a deleted batch: its content hash (the same content may be written again) and its document.
    mutating func forgetImport(_ origin: BatchOrigin, lsn: LSN) {
        for hash in origin.contentIdentities {
            contentHashes[hash]?.removeAll { $0 == lsn }
            if contentHashes[hash]?.isEmpty == true { contentHashes[hash] = nil }
        }
        documentRefs[lsn] = nil
    }

    /// Applies a batch that is durable in the WAL: new series, attributes, points, the latest-point cache.
    mutating func apply(_ batch: WALBatch) {
        for record in batch.newSeries { index.add(record) }
        // A series whose defining record was lost (a repaired WAL) keeps its points under a stand-in name, so
        // nothing acknowledged disappears; `tally series link` can join it to the right series.
        for id in batch.seriesIDs where !index.knows(id) {
            let record = SeriesRecord(
                id: id, key: SeriesKey(metric: "tally_unknown_series", labels: ["series_id": String(id)]),
                kind: batch.outcomes.isEmpty ? .measurement : .check, attributes: Attributes(), createdLSN: batch.lsn)
            index.add(record)
            pending.series.append(record)
        }
        for (id, attributes) in batch.attributeUpdates { index.setAttributes(id, attributes) }
        do {
            // A short-lived copy (no storage is duplicated: the copy ends before the index changes again).
            let lookup = index
            head.apply(batch) { lookup.kind(of: $0) }
        }
        index.noteLatest(batch)
        if let list = batch.seriesList { lastSeriesList = list }
        pending.add(batch)
        noteImport(batch.origin, lsn: batch.lsn)
        nextLSN = max(nextLSN, batch.lsn + 1)
        noteChange()
    }

    /// Adds an open segment to the manifest and the indexes.
    mutating func addSegment(_ record: SegmentRecord, _ opened: SegmentReader.Opened) {
        segments.append(record)
        readers[record.id] = opened.reader
        index.addSegment(opened.reader, directory: opened.directory)
        nextSegmentID = max(nextSegmentID, record.id + 1)
        nextLSN = max(nextLSN, record.maxLSN + 1)
    }
}

/// What only the writer touches, behind the writer lock.
struct WriterState: @unchecked Sendable {
    let lock: WriterLock
    var wal: WALWriter
    let documents: DocumentLog
}
