/// What a compaction, retention or delete did.
public struct RewriteReport: Sendable, Equatable {
    public var segmentsRemoved = 0
    public var segmentsWritten = 0
    /// Points in the rewritten segments, duplicates included, and what is left of them.
    public var pointsBefore = 0
    public var pointsAfter = 0
    /// Points the operation removed: of those a read returned (duplicates resolved by LSN, never read, not counted).
    public var pointsDropped = 0
    public var bytesBefore = 0
    public var bytesAfter = 0
}

/// What else a rewrite changes in its swap, so that it lands with the new segments or not at all: `catalog` runs
/// inside the catalog transaction, `state` under the state lock (a deleted batch's record and content hash).
struct RewriteSwapExtras {
    var catalog: (Catalog) throws(StoreError) -> Void
    var state: (inout StoreState) -> Void
}

extension Store {
    /// Rewrites `segments` (grouped by UTC month): per series, reads all their points, resolves duplicates by
    /// LSN, passes them through `keep`, and writes new segments with full blocks. The new files replace the old
    /// ones in one catalog transaction; old files are deleted afterwards (open readers keep their descriptors, so
    /// a reader in the middle of a read is never cut off). Writers are blocked only for the final swap.
    /// `extras` are changes made in the same swap (with no segments to rewrite, the swap still makes them).
    /// `keepsContent`: the rewrite leaves what readers see as it was (a compaction), so ``changeCount`` stays.
    func rewrite(_ segments: [SegmentRecord], level: Int, alsoSwapping extras: RewriteSwapExtras? = nil,
                 keepsContent: Bool = false,
                 keep: (SeriesID, PointColumns) -> PointColumns) throws(StoreError) -> RewriteReport {
        var report = RewriteReport()
        guard !segments.isEmpty || extras != nil else { return report }
        let readers = state.withLock { s in segments.compactMap { s.readers[$0.id] } }
        var old: [(reader: SegmentReader, directory: SegmentDirectory)] = []
        for reader in readers { old.append((reader, try reader.readDirectory())) }
        let kinds = state.withLock { s in
            Dictionary(old.flatMap { $0.directory.map { ($0.0, s.index.knows($0.0) ? s.index.kind(of: $0.0) : $0.1) } },
                       uniquingKeysWith: { a, _ in a })
        }
        var byMonth: [Int64: [(reader: SegmentReader, directory: SegmentDirectory)]] = [:]
        for (record, segment) in zip(segments, old) { byMonth[CivilCalendar.monthIndex(ofMillis: record.minTime), default: []].append(segment) }
        var written: [(SegmentRecord, SegmentReader.Opened)] = []
        do throws(StoreError) {
            for month in byMonth.keys.sorted() {
                let group = byMonth[month]!
                let ids = Set(group.flatMap { $0.directory.map(\.0) }).sorted()
                // Each directory is sorted by series id: walk them side by side instead of searching each.
                var cursors = [Int](repeating: 0, count: group.count)
                var output: SegmentOutput?
                for id in ids {
                    var columns = PointColumns()
                    for (k, (reader, directory)) in group.enumerated() {
                        while cursors[k] < directory.count && directory[cursors[k]].0 < id { cursors[k] += 1 }
                        guard cursors[k] < directory.count, directory[cursors[k]].0 == id else { continue }
                        do throws(StoreError) {
                            for block in directory[cursors[k]].2 { try reader.readBlock(block, into: &columns) }
                        } catch {
                            throw naming(error, series: id)
                        }
                    }
                    report.pointsBefore += columns.count
                    let resolved = columns.resolved()
                    let kept = keep(id, resolved)
                    report.pointsAfter += kept.count
                    report.pointsDropped += resolved.count - kept.count
                    guard !kept.isEmpty else { continue }
                    if output == nil { output = try SegmentOutput(store: self, level: level) }
                    try output!.add(series: id, kind: kinds[id] ?? .measurement, columns: kept)
                }
                if var finished = output { written.append(try finished.finish()) }
            }
        } catch {
            for (record, _) in written { try? Directory.remove(segmentDirectory + "/" + record.file) }
            throw error
        }
        let removed = Set(segments.map(\.id))
        let affected = Array(Set(old.flatMap { $0.directory.map(\.0) }))
        let newestRemoved = SegmentDirectory.newestPoints(old.map(\.directory))
        let newestWritten = SegmentDirectory.newestPoints(written.map(\.1.directory))
        // A series' latest point changes only when it was in the removed segments and is not in the new ones. For
        // those, the newest point of the segments that stay is read from their footers, before the writer lock (the
        // reads can be many: a delete of a month takes the latest point of every series it selects) and before the
        // catalog changes, so a failed read leaves the store as it was.
        let candidates = affected.filter { newestRemoved[$0] != nil && newestRemoved[$0] != newestWritten[$0] }
        let staying = state.withLock { s in Set(s.segments.map(\.id)) }.subtracting(removed)
        var storedBefore: [SeriesID: LatestPoint] = [:]
        do throws(StoreError) {
            storedBefore = try newestStoredPoints(of: candidates, excluding: removed, adding: newestWritten)
        } catch {
            for (record, _) in written { try? Directory.remove(segmentDirectory + "/" + record.file) }
            throw error
        }
        // Swap under the writer lock, so no flush registers segments in between.
        try writer.withLock { (w: inout WriterState?) throws(StoreError) in
            guard w != nil else {
                for (record, _) in written { try? Directory.remove(segmentDirectory + "/" + record.file) }
                throw readOnlyOrClosed()
            }
            // Writes wait for the writer lock, so the cache holds still: the series whose latest point is lost.
            let lost = state.withLock { s in
                candidates.filter { id in
                    let current = Int(id) < s.index.latest.count ? s.index.latest[Int(id)] : nil
                    return current != nil && current == newestRemoved[id]
                }
            }
            let latestStored: [SeriesID: LatestPoint]
            do throws(StoreError) {
                // Only segments a flush added since the reads above are read here (usually none).
                latestStored = try newestStoredPoints(of: lost, excluding: removed.union(staying), adding: storedBefore)
                try catalog.db.transaction { () throws(StoreError) in
                    for record in segments { try catalog.deleteSegment(id: record.id) }
                    for (record, _) in written { try catalog.insertSegment(record) }
                    try extras?.catalog(catalog)
                }
            } catch {
                for (record, _) in written { try? Directory.remove(segmentDirectory + "/" + record.file) }
                throw error
            }
            state.withLock { s in
                s.segments.removeAll { removed.contains($0.id) }
                for id in removed { s.readers[id] = nil }
                s.index.removeSegments(removed)
                for (record, opened) in written { s.addSegment(record, opened) }
                s.index.sortBlocks(affected)
                for id in lost { s.index.resetLatest(id, stored: latestStored[id], head: s.head) }
                extras?.state(&s)
                if !keepsContent { s.noteChange() }
            }
        }
        for record in segments { try? Directory.remove(segmentDirectory + "/" + record.file) }
        try? Directory.sync(segmentDirectory)
        report.segmentsRemoved = segments.count
        report.segmentsWritten = written.count
        report.bytesBefore = segments.reduce(0) { $0 + $1.bytes }
        report.bytesAfter = written.reduce(0) { $0 + $1.0.bytes }
        return report
    }

    /// The newest stored point of each series among its blocks outside the `excluded` segments (read from their
    /// footers) and `written` (points already known: the newest of the new segments, or of an earlier read).
    private func newestStoredPoints(of ids: [SeriesID], excluding excluded: Set<UInt64>,
                                    adding written: [SeriesID: LatestPoint]) throws(StoreError) -> [SeriesID: LatestPoint] {
        var newest: [SeriesID: LatestPoint] = [:]
        let runs = state.withLock { s in ids.map { s.index.runs(of: $0, excluding: excluded) } }
        for (id, list) in zip(ids, runs) {
            var point = written[id]
            let blocks: [BlockRef]
            do throws(StoreError) {
                blocks = try SegmentRun.blocks(list, overlapping: .all)
            } catch {
                throw naming(error, series: id)
            }
            for block in blocks { point.keepLatest(LatestPoint(block.meta)) }
            newest[id] = point
        }
        return newest
    }

    /// Merges small and overlapping segments: within each UTC month, all segments become one with full
    /// per-series blocks (duplicates resolved by LSN: a later write always wins). Flushes the head first.
    ///
    /// Readers go on reading the old files until they finish; writers wait only while the new files are swapped in.
    @discardableResult
    public func compact() throws(StoreError) -> RewriteReport {
        try flush()
        return try maintenance.withLock { (_: inout Void) throws(StoreError) -> RewriteReport in
            let (segments, readers) = state.withLock { ($0.segments, $0.readers) }
            var byMonth: [Int64: [SegmentRecord]] = [:]
            for record in segments { byMonth[CivilCalendar.monthIndex(ofMillis: record.minTime), default: []].append(record) }
            // A month with one segment whose series are already in as few blocks as possible is left alone.
            let worth = byMonth.values.filter { group in
                group.count > 1 || group.contains { readers[$0.id]?.hasSmallBlocks ?? false }
            }.flatMap { $0 }
            let level = (worth.map(\.level).max() ?? 0) + 1
            return try rewrite(worth, level: level, keepsContent: true) { _, columns in columns }
        }
    }

    /// Drops every point older than `cutoff` (of the selected series, or of all), and reclaims the space:
    /// segments wholly older than the cutoff are deleted, others rewritten without those points.
    @discardableResult
    public func retain(before cutoff: Int64, selector: SeriesSelector? = nil) throws(StoreError) -> RewriteReport {
        try flush()
        return try maintenance.withLock { (_: inout Void) throws(StoreError) -> RewriteReport in
            let selected: Set<SeriesID>? = selector.map { sel in state.withLock { Set($0.index.select(sel)) } }
            let affected = state.withLock { s in
                let holding = selected.map { s.index.segments(holding: $0) }
                return s.segments.filter { record in
                    record.minTime < cutoff && (holding?.contains(record.id) ?? true)
                }
            }
            return try rewrite(affected, level: 1) { id, columns in
                guard selected?.contains(id) ?? true else { return columns }
                return columns.slice(TimeRange(from: cutoff, to: .max))
            }
        }
    }

    /// Deletes the points of the selected series in a time range (half-open).
    @discardableResult
    public func delete(_ selector: SeriesSelector, in range: TimeRange = .all) throws(StoreError) -> RewriteReport {
        try flush()
        return try maintenance.withLock { (_: inout Void) throws(StoreError) -> RewriteReport in
            let selected = state.withLock { Set($0.index.select(selector)) }
            let affected = state.withLock { s in
                let holding = s.index.segments(holding: selected)
                return s.segments.filter { record in
                    range.overlaps(minTime: record.minTime, maxTime: record.maxTime) && holding.contains(record.id)
                }
            }
            return try rewrite(affected, level: 1) { id, columns in
                guard selected.contains(id) else { return columns }
                return columns.removing { range.contains(columns.times[$0]) }
            }
        }
    }

    /// Deletes every point one batch wrote (a bad push, test data) and forgets the batch: its record goes in the
    /// same catalog transaction, so it is no longer listed (nor its scan) and content it carried can be written again,
    /// as a new batch. Where the batch's point was the one read, no point is left: a value it had replaced is not
    /// brought back, whether or not a compaction had resolved it away; a point a later batch wrote over it stays.
    ///
    /// - Throws: ``StoreError/invalid(_:)`` naming the id when no batch has it (never written, or deleted).
    @discardableResult
    public func delete(batch lsn: LSN) throws(StoreError) -> RewriteReport {
        try flush()
        return try maintenance.withLock { (_: inout Void) throws(StoreError) -> RewriteReport in
            guard let record = try batchRecord(lsn) else {
                throw StoreError.invalid(InputError(message: "no batch \(lsn) in \(path) (never written, or deleted)"))
            }
            let holders = state.withLock { s in s.segments.filter { $0.covers(lsn) } }
            // The series the batch may have written and the time span of its points in each, from the blocks' LSN
            // ranges (a compacted block's range may hold the LSN without any of its points).
            var spans: [SeriesID: (min: Int64, max: Int64)] = [:]
            let readers = state.withLock { s in holders.compactMap { s.readers[$0.id] } }
            for reader in readers {
                let directory = try reader.readDirectory()
                for (id, _, metas) in directory {
                    for meta in metas where meta.minLSN <= lsn && lsn <= meta.maxLSN {
                        let span = spans[id] ?? (meta.minTime, meta.maxTime)
                        spans[id] = (min(span.min, meta.minTime), max(span.max, meta.maxTime))
                    }
                }
            }
            // Every segment with points of those series in those spans is rewritten, not only the batch's own: the
            // values it replaced, in earlier segments, are resolved away with it (the later write wins) before its
            // points are dropped, and points later batches wrote over it win there too, as after a compaction.
            let affected = state.withLock { s in
                var overlapping = Set<UInt64>()
                for (id, span) in spans {
                    let range = TimeRange(from: span.min, to: span.max == .max ? .max : span.max + 1)
                    for run in s.index.runs(of: id, in: range) { overlapping.insert(run.segment.id) }
                }
                return s.segments.filter { overlapping.contains($0.id) }
            }
            // The batch's record goes with its points: the same content loads again as a new batch, unless another
            // batch holds it too (a scan stored both ways before such duplicates were refused), which then stands
            // for it.
            let forget = RewriteSwapExtras(catalog: { (catalog) throws(StoreError) in try catalog.deleteImport(lsn: record.lsn) },
                                           state: { $0.forgetImport(record.origin, lsn: record.lsn) })
            return try rewrite(affected, level: 1, alsoSwapping: forget) { _, columns in
                columns.removing { columns.lsns[$0] == lsn }
            }
        }
    }

    /// The catalog's record of batch `lsn`, flushing first when the batch is newer than the last flush (written
    /// meanwhile: its points and record must be stored before they can be deleted); nil when there is none.
    private func batchRecord(_ lsn: LSN) throws(StoreError) -> ImportRecord? {
        // The pending batches first: a flush moves them into the catalog, never the other way.
        if state.withLock({ s in s.pending.imports.contains { $0.lsn == lsn } }) { try flush() }
        return try catalog.db.exclusive { () throws(StoreError) in try catalog.importRecord(lsn: lsn) }
    }
}

extension PointColumns {
    /// These points without those at the indexes where `drop` is true.
    func removing(where drop: (Int) -> Bool) -> PointColumns {
        var out = PointColumns()
        out.reserveCapacity(count, outcomes: !outcomes.isEmpty)
        for i in 0..<count where !drop(i) {
            out.append(time: times[i], value: values[i], outcome: outcomes.isEmpty ? nil : outcomes[i], lsn: lsns[i])
        }
        return out
    }
}
