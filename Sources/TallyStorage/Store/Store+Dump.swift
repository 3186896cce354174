extension Store {
    /// Every series the store knows, with its attributes, ordered by id (including series with no points left).
    public func allSeriesRecords() -> [SeriesRecord] {
        state.withLock { s in s.index.allRecords() }
    }

    /// Rebuilds the contents of another store in this one, which must be empty: series with their ids, batches
    /// with their LSNs, points with the LSNs that wrote them, the documents the batches kept, and the verdicts on
    /// points (with their row ids). Everything is written into segments and published in one catalog transaction
    /// (nothing is visible before it commits).
    /// `reserved` carries what the dumped store had reserved beyond its contents: its last LSN (batch ids given out,
    /// such as a cut WAL tail's or a dropped batch's) and its next feedback id, so that neither is given again.
    public func load(series: [SeriesRecord], imports: [ImportRecord], documents: [StoredDocument],
                     points: [SeriesID: PointColumns], feedback: [FeedbackRecord] = [],
                     reserved: ReservedIDs = ReservedIDs()) throws(StoreError) {
        try writer.withLock { (w: inout WriterState?) throws(StoreError) in
            guard let current = w else { throw readOnlyOrClosed() }
            guard state.withLock({ $0.index.seriesCount == 0 && $0.head.isEmpty && $0.segments.isEmpty }) else {
                throw StoreError.invalid(InputError(message: "load needs an empty store: \(path) already holds data"))
            }
            let kinds = Dictionary(series.map { ($0.id, $0.kind) }, uniquingKeysWith: { a, _ in a })
            for (id, columns) in points {
                guard kinds[id] != nil else {
                    throw StoreError.invalid(InputError(field: "points", message: "points of series \(id), which the dump does not define"))
                }
                guard columns.lsns.count == columns.count, columns.values.count == columns.count,
                      columns.outcomes.isEmpty || columns.outcomes.count == columns.count else {
                    throw StoreError.invalid(InputError(field: "points", message: "series \(id): columns of different lengths"))
                }
            }
            for verdict in feedback where kinds[verdict.series] == nil {
                throw StoreError.invalid(InputError(field: "feedback", message: "a verdict on series \(verdict.series), which the dump does not define"))
            }
            var records = imports
            for document in documents {
                let ref = try current.documents.append(lsn: document.lsn, kind: document.kind, bytes: document.bytes)
                if let i = records.firstIndex(where: { $0.lsn == document.lsn }) {
                    records[i].origin.setDetail(BatchOrigin.documentKey, ref.description)
                }
            }
            let perSeries = points.keys.sorted().map { ($0, kinds[$0]!, points[$0]!.resolved()) }
            let written = try writeSegments(perSeries, level: 1)
            let lastLSN = max(records.map(\.lsn).max() ?? 0, written.map(\.0.maxLSN).max() ?? 0, reserved.lastLSN)
            do throws(StoreError) {
                try catalog.db.transaction { () throws(StoreError) in
                    try catalog.insertSeries(series)
                    for record in records { try catalog.insertImport(record) }
                    for (record, _) in written { try catalog.insertSegment(record) }
                    let insertFeedback = try catalog.db.prepare(
                        "INSERT INTO feedback(id, series_id, time, verdict, note, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
                    for verdict in feedback {
                        try insertFeedback.bind(.int(verdict.id), .int(Int64(verdict.series)), .int(verdict.time),
                                                .text(verdict.verdict.rawValue), .text(verdict.note), .int(verdict.created)).run()
                    }
                    try catalog.setMeta("last_lsn", "\(lastLSN)")
                    try catalog.setMeta("flushed_lsn", "\(lastLSN)")
                    if reserved.nextFeedbackID > 1 { try catalog.setMeta(Catalog.nextFeedbackIDKey, "\(reserved.nextFeedbackID)") }
                }
            } catch {
                for (record, _) in written { try? Directory.remove(segmentDirectory + "/" + record.file) }
                throw error
            }
            state.withLock { s in
                for record in series { s.index.add(record) }
                for (record, opened) in written { s.addSegment(record, opened) }
                s.index.sortBlocks(series.map(\.id))
                for record in records { s.noteImport(record.origin, lsn: record.lsn) }
                s.nextLSN = max(s.nextLSN, lastLSN + 1)
                s.noteChange()
            }
        }
    }
}

/// Ids a store has given out or reserved beyond what its contents show, which a dump carries to the loaded store.
public struct ReservedIDs: Sendable, Equatable {
    /// The highest LSN given out or reserved (0: none beyond the batches).
    public var lastLSN: LSN
    /// The id the next new verdict gets (1: none reserved).
    public var nextFeedbackID: Int64

    public init(lastLSN: LSN = 0, nextFeedbackID: Int64 = 1) {
        self.lastLSN = lastLSN
        self.nextFeedbackID = nextFeedbackID
    }
}

extension Store {
    /// The ids this store has given out or reserved: its last LSN and the next feedback id.
    public func reservedIDs() throws(StoreError) -> ReservedIDs {
        let given = state.withLock { $0.nextLSN - 1 }
        // The catalog's last_lsn too: a read-only handle does not count its reservations in its next LSN.
        let (recorded, next) = try catalog.db.exclusive { () throws(StoreError) in
            (try catalog.lastLSN(), try catalog.nextFeedbackID())
        }
        return ReservedIDs(lastLSN: max(given, recorded), nextFeedbackID: next)
    }
}
