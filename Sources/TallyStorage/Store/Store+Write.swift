extension Store {
    /// Writes a batch durably: validated whole, appended to the WAL as one record and synced, then applied.
    ///
    /// - Returns: the batch's LSN and counts, once the batch is durable.
    /// - Throws: ``StoreError/invalid(_:)`` for bad input (nothing is written), ``StoreError/io(_:)`` when the
    ///   WAL cannot be written (nothing is acknowledged; the store stays readable).
    @discardableResult
    public func write(_ batch: WriteBatch) throws(StoreError) -> WriteReceipt {
        try write(batch, document: nil)
    }

    /// Writes a batch together with the document it came from (e.g. a Soda scan result), kept in the document
    /// log so it can be given back verbatim (``document(ofBatch:)``). The document is appended and synced
    /// first; the batch's WAL record then refers to it, so an acknowledged batch always has its document.
    ///
    /// A batch whose origin carries a content identity (``BatchOrigin/sameContentKeys``: a `content_hash` or a
    /// `results_hash` detail) that a stored batch has changes nothing: the receipt names that batch and has
    /// ``WriteReceipt/isDuplicate`` set. (A deleted batch's identities no longer count.)
    @discardableResult
    public func write(_ batch: WriteBatch, document: (kind: String, bytes: [UInt8])?) throws(StoreError) -> WriteReceipt {
        do { try batch.validatePoints() } catch { throw .invalid(error) }
        return try writer.withLock { (w: inout WriterState?) throws(StoreError) -> WriteReceipt in
            guard var current = w else { throw readOnlyOrClosed() }
            try checkOpen()
            if let earlier = state.withLock({ $0.earlierBatch(for: batch.origin) }) {
                return WriteReceipt(lsn: earlier, pointCount: 0, newSeriesCount: 0, isDuplicate: true)
            }
            var walBatch = try state.withLock { (s: inout StoreState) throws(StoreError) in
                s.index.prepareKeyLookups()
                return try resolve(batch, in: s)
            }
            if let document {
                let ref = try current.documents.append(lsn: walBatch.lsn, kind: document.kind, bytes: document.bytes)
                walBatch.origin.setDetail(BatchOrigin.documentKey, ref.description)
            }
            let record = WALFormat.encode(walBatch)
            do throws(IOError) { try current.wal.append(record) } catch {
                // The LSN is not given again: a client may have logged it with the error.
                state.withLock { $0.skipLSNs(through: walBatch.lsn) }
                throw .io(error)
            }
            let headPoints = state.withLock { (s: inout StoreState) -> Int in
                s.apply(walBatch)
                return s.head.pointCount
            }
            if headPoints >= options.effectiveFlushThreshold { try flushLocked(&current) }
            w = current
            return WriteReceipt(lsn: walBatch.lsn, pointCount: batch.pointCount, newSeriesCount: walBatch.newSeries.count)
        }
    }

    func readOnlyOrClosed() -> StoreError {
        state.withLock { $0.closed } ? .closed : .readOnly
    }

    /// Assigns ids to the batch's new series and the next LSN, and checks kinds against existing series.
    func resolve(_ batch: WriteBatch, in state: StoreState) throws(StoreError) -> WALBatch {
        try resolveInGroup(batch, in: state, overlay: GroupOverlay())
    }

    /// Writes a large batch straight into segment files, synced once at the end, and publishes it in one
    /// catalog transaction. Nothing is visible, and nothing is acknowledged, until then.
    ///
    /// Within the batch, a later point for the same series and time replaces an earlier one. Like ``write(_:)``, a
    /// batch whose content identity (``BatchOrigin/sameContentKeys``) a stored batch has changes nothing: the
    /// receipt names that batch and has ``WriteReceipt/isDuplicate`` set.
    @discardableResult
    public func importBulk(_ batch: WriteBatch) throws(StoreError) -> WriteReceipt {
        do throws(InputError) { try batch.validatePoints() } catch { throw .invalid(error) }
        return try writer.withLock { (w: inout WriterState?) throws(StoreError) -> WriteReceipt in
            guard w != nil else { throw readOnlyOrClosed() }
            try checkOpen()
            if let earlier = state.withLock({ $0.earlierBatch(for: batch.origin) }) {
                return WriteReceipt(lsn: earlier, pointCount: 0, newSeriesCount: 0, isDuplicate: true)
            }
            let walBatch = try state.withLock { (s: inout StoreState) throws(StoreError) in
                s.index.prepareKeyLookups()
                return try resolveInGroup(batch, in: s, overlay: GroupOverlay(), pointIDs: false)
            }
            let perSeries = groupBySeries(batch, ids: walBatch.seriesList!.ids, lsn: walBatch.lsn)
            let written = try writeSegments(perSeries, level: 0)
            do throws(StoreError) {
                try catalog.db.transaction { () throws(StoreError) in
                    try catalog.insertSeries(walBatch.newSeries)
                    try catalog.setAttributes(walBatch.attributeUpdates)
                    try catalog.insertImport(walBatch.importRecord)
                    for (record, _) in written { try catalog.insertSegment(record) }
                    try catalog.setMeta("last_lsn", "\(walBatch.lsn)")
                }
            } catch {
                for (record, _) in written { try? Directory.remove(segmentDirectory + "/" + record.file) }
                throw error
            }
            state.withLock { s in
                for record in walBatch.newSeries { s.index.add(record) }
                for (id, attributes) in walBatch.attributeUpdates { s.index.setAttributes(id, attributes) }
                for (record, opened) in written { s.addSegment(record, opened) }
                s.noteImport(walBatch.origin, lsn: walBatch.lsn)
                s.nextLSN = max(s.nextLSN, walBatch.lsn + 1)
                s.noteChange()
            }
            return WriteReceipt(lsn: walBatch.lsn, pointCount: batch.pointCount, newSeriesCount: walBatch.newSeries.count)
        }
    }

    /// The batch's points per series (ascending id), each sorted by time with one point per time, all with the
    /// batch's LSN. `ids[k]` is the id of the batch's series `k`. Grouped by the batch's dense series indexes (a
    /// counting sort, no per-point hashing).
    private func groupBySeries(_ batch: WriteBatch, ids: [SeriesID], lsn: LSN) -> [SeriesPoints] {
        let codes = batch.outcomeCodes
        if let runs = sortedSeriesRuns(batch) {
            // Each series' points are already one time-ordered run: the series share the batch's columns.
            let anyCheck = batch.series.contains { $0.kind == .check }
            let columns = PointColumns(times: batch.times, values: batch.values, outcomes: anyCheck ? codes : [])
            return runs.map { run in
                SeriesPoints(id: ids[run.series], kind: batch.series[run.series].kind, columns: columns,
                             range: run.range, uniformLSN: lsn)
            }.sorted { $0.id < $1.id }
        }
        let seriesCount = batch.series.count
        var counts = [Int](repeating: 0, count: seriesCount)
        for s in batch.seriesIndexes { counts[Int(s)] += 1 }
        var columns = (0..<seriesCount).map { i -> PointColumns in
            var c = PointColumns()
            c.reserveCapacity(counts[i], outcomes: batch.series[i].kind == .check)
            return c
        }
        for i in 0..<batch.pointCount {
            let s = Int(batch.seriesIndexes[i])
            columns[s].append(time: batch.times[i], value: batch.values[i],
                              outcome: batch.series[s].kind == .check ? codes[i] : nil, lsn: lsn)
        }
        return (0..<seriesCount).filter { counts[$0] > 0 }
            .map { i -> SeriesPoints in
                let resolved = columns[i].resolved()
                return SeriesPoints(id: ids[i], kind: batch.series[i].kind, columns: resolved, range: 0..<resolved.count)
            }
            .sorted { $0.id < $1.id }
    }

    /// The batch as runs of consecutive points of one series each, when every series has exactly one run and its
    /// times strictly increase (the shape of a bulk import sorted by series); nil otherwise.
    private func sortedSeriesRuns(_ batch: WriteBatch) -> [(series: Int, range: Range<Int>)]? {
        let n = batch.pointCount
        guard n > 0 else { return nil }
        var seen = [Bool](repeating: false, count: batch.series.count)
        var runs: [(series: Int, range: Range<Int>)] = []
        return batch.seriesIndexes.withUnsafeBufferPointer { s in
            batch.times.withUnsafeBufferPointer { t in
                var start = 0
                for i in 1...n {
                    if i < n && s[i] == s[start] {
                        if t[i] <= t[i &- 1] { return nil }
                        continue
                    }
                    let series = Int(s[start])
                    if seen[series] { return nil }
                    seen[series] = true
                    runs.append((series, start..<i))
                    start = i
                }
                return runs
            }
        }
    }
}
