/// What a compaction, retention or delete did.
public struct RewriteReport: Sendable, Equatable {
    public var segmentsRemoved = 0
    public var segmentsWritten = 0
    public var pointsBefore = 0
    public var pointsAfter = 0
    public var bytesBefore = 0
    public var bytesAfter = 0
}

extension Store {
    /// Rewrites `segments` (grouped by UTC month): per series, reads all their points, resolves duplicates by
    /// LSN, passes them through `keep`, and writes new segments with full blocks. The new files replace the old
    /// ones in one catalog transaction; old files are deleted afterwards (open readers keep their descriptors, so
    /// a reader in the middle of a read is never cut off). Writers are blocked only for the final swap.
    func rewrite(_ segments: [SegmentRecord], level: Int,
                 keep: (SeriesID, PointColumns) -> PointColumns) throws(StoreError) -> RewriteReport {
        var report = RewriteReport()
        guard !segments.isEmpty else { return report }
        let readers = state.withLock { s in segments.compactMap { s.readers[$0.id] } }
        let kinds = state.withLock { s in
            Dictionary(readers.flatMap { $0.directory.map { ($0.0, s.index.record($0.0)?.kind ?? $0.1) } },
                       uniquingKeysWith: { a, _ in a })
        }
        var byMonth: [Int: [SegmentReader]] = [:]
        for (record, reader) in zip(segments, readers) { byMonth[utcMonthIndex(record.minTime), default: []].append(reader) }
        var written: [(SegmentRecord, SegmentReader)] = []
        do throws(StoreError) {
            for month in byMonth.keys.sorted() {
                let group = byMonth[month]!
                let ids = Set(group.flatMap { $0.directory.map(\.0) }).sorted()
                // Each directory is sorted by series id: walk them side by side instead of searching each.
                var cursors = [Int](repeating: 0, count: group.count)
                var output: SegmentOutput?
                for id in ids {
                    var columns = PointColumns()
                    for (k, reader) in group.enumerated() {
                        let directory = reader.directory
                        while cursors[k] < directory.count && directory[cursors[k]].0 < id { cursors[k] += 1 }
                        guard cursors[k] < directory.count, directory[cursors[k]].0 == id else { continue }
                        for block in directory[cursors[k]].2 { try reader.readBlock(block, into: &columns) }
                    }
                    report.pointsBefore += columns.count
                    let kept = keep(id, columns.resolved())
                    report.pointsAfter += kept.count
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
        // Swap under the writer lock, so no flush registers segments in between.
        try writer.withLock { (w: inout WriterState?) throws(StoreError) in
            guard w != nil else {
                for (record, _) in written { try? Directory.remove(segmentDirectory + "/" + record.file) }
                throw readOnlyOrClosed()
            }
            do throws(StoreError) {
                try catalog.db.transaction { () throws(StoreError) in
                    for record in segments { try catalog.deleteSegment(id: record.id) }
                    for (record, _) in written { try catalog.insertSegment(record) }
                }
            } catch {
                for (record, _) in written { try? Directory.remove(segmentDirectory + "/" + record.file) }
                throw error
            }
            state.withLock { s in
                let removed = Set(segments.map(\.id))
                s.segments.removeAll { removed.contains($0.id) }
                for id in removed { s.readers[id] = nil }
                var affected = s.index.removeSegments(removed)
                for (record, reader) in written {
                    s.addSegment(record, reader: reader)
                    affected.append(contentsOf: reader.directory.map(\.0))
                }
                let unique = Array(Set(affected))
                s.index.sortBlocks(unique)
                for id in unique { s.index.recomputeLatest(id, head: s.head) }
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

    /// Merges small and overlapping segments: within each UTC month, all segments become one with full
    /// per-series blocks (duplicates resolved by LSN: a later write always wins). Flushes the head first.
    ///
    /// Readers go on reading the old files until they finish; writers wait only while the new files are swapped in.
    @discardableResult
    public func compact() throws(StoreError) -> RewriteReport {
        try flush()
        return try maintenance.withLock { (_: inout Void) throws(StoreError) -> RewriteReport in
            let (segments, readers) = state.withLock { ($0.segments, $0.readers) }
            var byMonth: [Int: [SegmentRecord]] = [:]
            for record in segments { byMonth[utcMonthIndex(record.minTime), default: []].append(record) }
            // A month with one segment whose series are already in as few blocks as possible is left alone.
            func hasSmallBlocks(_ record: SegmentRecord) -> Bool {
                guard let reader = readers[record.id] else { return false }
                return reader.directory.contains { _, _, blocks in
                    let points = blocks.reduce(0) { $0 + $1.count }
                    return blocks.count > (points + SegmentFormat.maxBlockPoints - 1) / SegmentFormat.maxBlockPoints
                }
            }
            let worth = byMonth.values.filter { group in group.count > 1 || group.contains(where: hasSmallBlocks) }
                .flatMap { $0 }
            let level = (worth.map(\.level).max() ?? 0) + 1
            return try rewrite(worth, level: level) { _, columns in columns }
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
                s.segments.filter { record in
                    guard record.minTime < cutoff, let reader = s.readers[record.id] else { return false }
                    guard let selected else { return true }
                    return reader.directory.contains { selected.contains($0.0) }
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
                s.segments.filter { record in
                    range.overlaps(minTime: record.minTime, maxTime: record.maxTime)
                        && (s.readers[record.id]?.directory.contains { selected.contains($0.0) } ?? false)
                }
            }
            return try rewrite(affected, level: 1) { id, columns in
                guard selected.contains(id) else { return columns }
                return columns.removing { range.contains(columns.times[$0]) }
            }
        }
    }

    /// Deletes every point one batch wrote (a bad push, test data). Values that batch had replaced are not
    /// brought back: a later write always wins, and the earlier values were resolved away when stored.
    @discardableResult
    public func delete(batch lsn: LSN) throws(StoreError) -> RewriteReport {
        try flush()
        return try maintenance.withLock { (_: inout Void) throws(StoreError) -> RewriteReport in
            let affected = state.withLock { s in s.segments.filter { $0.minLSN <= lsn && lsn <= $0.maxLSN } }
            return try rewrite(affected, level: 1) { _, columns in
                columns.removing { columns.lsns[$0] == lsn }
            }
        }
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
