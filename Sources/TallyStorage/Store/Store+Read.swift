/// A series as reads and listings describe it.
public struct SeriesInfo: Sendable, Equatable {
    public var id: SeriesID
    public var key: SeriesKey
    public var kind: SeriesKind
    public var attributes: Attributes

    public init(id: SeriesID, key: SeriesKey, kind: SeriesKind, attributes: Attributes) {
        self.id = id
        self.key = key
        self.kind = kind
        self.attributes = attributes
    }
}

extension Store {
    /// The series a selector chooses, ordered by metric, then labels. Series with no points left (after
    /// retention, deletes or a link) are not listed.
    public func series(matching selector: SeriesSelector = .all) -> [SeriesInfo] {
        series(matching: selector, includingEmpty: false)
    }

    /// The series a selector chooses, ordered by metric, then labels; with `includingEmpty`, also those with no
    /// points left (after retention, deletes or a link).
    public func series(matching selector: SeriesSelector, includingEmpty: Bool) -> [SeriesInfo] {
        state.withLock { s in
            s.index.orderedByKey(s.index.select(selector)).compactMap { id -> SeriesInfo? in
                let hasPoints = Int(id) < s.index.latest.count && s.index.latest[Int(id)] != nil
                guard hasPoints || includingEmpty, let r = s.index.record(id) else { return nil }
                return SeriesInfo(id: r.id, key: r.key, kind: r.kind, attributes: r.attributes)
            }
        }
    }

    /// The series with this id, if there is one.
    public func series(id: SeriesID) -> SeriesInfo? {
        state.withLock { s in
            s.index.record(id).map { SeriesInfo(id: $0.id, key: $0.key, kind: $0.kind, attributes: $0.attributes) }
        }
    }

    /// The series with this key, if there is one.
    public func series(key: SeriesKey) -> SeriesInfo? {
        guard let id = state.withLock({ s -> SeriesID? in
            s.index.prepareKeyLookups()
            return s.index.id(of: key)
        }) else { return nil }
        return series(id: id)
    }

    /// The points of a series in a time range, sorted by time, one per time (the latest write wins).
    ///
    /// - Throws: ``StoreError/corrupt(path:offset:detail:)`` or ``StoreError/io(_:)`` when a segment cannot be
    ///   read; the error names the file, the offset and the series.
    public func read(_ id: SeriesID, in range: TimeRange = .all) throws(StoreError) -> PointColumns {
        let (runs, headPoints) = state.withLock { s -> ([SegmentRun], PointColumns?) in
            (s.index.runs(of: id, in: range), s.head.points(of: id, in: range))
        }
        do throws(StoreError) {
            return try readStored(id, runs: runs, headPoints: headPoints, in: range)
        } catch {
            throw naming(error, series: id)
        }
    }

    /// ``read(_:in:)`` once the runs and the head's points are taken: reads the blocks outside the store's lock.
    private func readStored(_ id: SeriesID, runs: [SegmentRun], headPoints: PointColumns?,
                            in range: TimeRange) throws(StoreError) -> PointColumns {
        let blocks = try SegmentRun.blocks(runs, overlapping: range)
        var columns = PointColumns()
        columns.reserveCapacity(blocks.reduce(headPoints?.count ?? 0) { $0 + $1.meta.count }, outcomes: false)
        var inOrder = true
        var previousMax = Int64.min
        // Blocks that follow each other in one file are read with one pread (one I/O when the cache is cold).
        var k = 0
        while k < blocks.count {
            var end = k + 1
            while end < blocks.count && blocks[end].segment === blocks[k].segment
                    && blocks[end].meta.offset == blocks[end - 1].meta.offset + blocks[end - 1].meta.length
                    && blocks[end].meta.offset + blocks[end].meta.length - blocks[k].meta.offset <= 1 << 24 {
                end += 1
            }
            for block in blocks[k..<end] {
                if block.meta.minTime <= previousMax && !columns.isEmpty { inOrder = false }
                previousMax = max(previousMax, block.meta.maxTime)
            }
            if end - k == 1 {
                try blocks[k].segment.readBlock(blocks[k].meta, into: &columns)
            } else {
                try blocks[k].segment.readBlocks(blocks[k..<end].map(\.meta), into: &columns)
            }
            k = end
        }
        if let headPoints {
            columns.append(contentsOf: headPoints)
            inOrder = false
        }
        if !inOrder { columns = columns.resolved() }
        return columns.slice(range)
    }

    /// The points of several series in one call.
    public func read(_ ids: [SeriesID], in range: TimeRange = .all) throws(StoreError) -> [PointColumns] {
        var out: [PointColumns] = []
        out.reserveCapacity(ids.count)
        for id in ids { out.append(try read(id, in: range)) }
        return out
    }

    /// The newest point of each series (nil for a series with no points), from the latest-point cache.
    public func latest(_ ids: [SeriesID]) -> [LatestPoint?] {
        state.withLock { s in
            ids.map { Int($0) < s.index.latest.count ? s.index.latest[Int($0)] : nil }
        }
    }

    /// The distinct values of a label across all series, sorted.
    public func labelValues(_ name: String) -> [String] {
        state.withLock { $0.index.labelValues(name) }
    }

    /// Every label name in use, sorted.
    public func labelNames() -> [String] {
        state.withLock { $0.index.labelNames }
    }

    /// The batch with this LSN (written, or still pending in the WAL), or nil: one catalog lookup, not the list.
    public func importRecord(lsn: LSN) throws(StoreError) -> ImportRecord? {
        // The pending batches first: a flush moves them into the catalog, never the other way.
        if let record = state.withLock({ s in s.pending.imports.first { $0.lsn == lsn } }) { return record }
        // One read transaction: the record and its details from one snapshot, whatever another process writes.
        return try catalog.db.readTransaction { () throws(StoreError) in try catalog.importRecord(lsn: lsn) }
    }

    /// The batches written so far (imports, scans, API writes), oldest first.
    public func imports() throws(StoreError) -> [ImportRecord] {
        // The pending batches first: a flush between the two reads moves them into the catalog, read second.
        let pending = state.withLock { $0.pending.imports }
        let recorded = try catalog.db.readTransaction { () throws(StoreError) in try catalog.loadImports() }
        let known = Set(recorded.map(\.lsn))
        return (recorded + pending.filter { !known.contains($0.lsn) }).sorted { $0.lsn < $1.lsn }
    }
}

extension Store {
    /// The series whose attribute `name` has `value` (e.g. a Soda identity), ordered by key.
    ///
    /// - Complexity: O(series); attributes are not indexed.
    public func series(whereAttribute name: String, equals value: String) -> [SeriesInfo] {
        let infos = state.withLock { s in
            s.index.ids(whereAttributes: { $0[name] == value }).compactMap { id -> SeriesInfo? in
                s.index.record(id).map { SeriesInfo(id: $0.id, key: $0.key, kind: $0.kind, attributes: $0.attributes) }
            }
        }
        return infos.sorted { $0.key < $1.key }
    }
}

/// One stored block of a series: its statistics, readable on demand. For plans that answer aggregates from
/// block statistics and decode only the blocks they must.
public struct BlockHandle: Sendable {
    public let meta: BlockMeta
    let segment: SegmentReader
    /// The series the block belongs to, and the store that knows its key (only to name it in errors).
    let series: SeriesID
    private let store: Store

    init(meta: BlockMeta, segment: SegmentReader, series: SeriesID, store: Store) {
        self.meta = meta
        self.segment = segment
        self.series = series
        self.store = store
    }

    /// Decodes the block's points (sorted by time, one per time).
    ///
    /// - Throws: ``StoreError/corrupt(path:offset:detail:)`` or ``StoreError/io(_:)`` when the block cannot be
    ///   read; the error names the file, the offset and the series.
    public func read() throws(StoreError) -> PointColumns {
        var columns = PointColumns()
        do throws(StoreError) {
            try segment.readBlock(meta, into: &columns)
        } catch {
            throw store.naming(error, series: series)
        }
        return columns
    }
}

extension Store {
    /// `error`, naming the series `id` as its key is written (`row_count{dataset="orders"}`; by id when the store
    /// does not know it). For errors of reads of a series' blocks or footer entries, which know only the file and
    /// offset. Takes the store's lock: call it without holding it.
    func naming(_ error: StoreError, series id: SeriesID) -> StoreError {
        let key = state.withLock { $0.index.key(of: id) }
        return error.reading(series: key?.description ?? "with id \(id)")
    }
}

extension Store {
    /// The stored blocks of a series that overlap `range`, in time order, and whether their points alone are
    /// the series' points there: false when the head holds points in the range or two blocks overlap in time
    /// (then only a merging read gives the right answer). When the head holds points in the range no footer is
    /// read and the list is empty: callers then read the points anyway.
    public func blocks(of id: SeriesID, in range: TimeRange) throws(StoreError) -> (blocks: [BlockHandle], exclusive: Bool) {
        let runs = state.withLock { s in s.head.points(of: id, in: range) == nil ? s.index.runs(of: id, in: range) : nil }
        guard let runs else { return ([], false) }
        let refs: [BlockRef]
        do throws(StoreError) {
            refs = try SegmentRun.blocks(runs, overlapping: range)
        } catch {
            throw naming(error, series: id)
        }
        var exclusive = true
        for k in refs.indices.dropFirst() where refs[k].meta.minTime <= refs[k - 1].meta.maxTime { exclusive = false }
        return (refs.map { BlockHandle(meta: $0.meta, segment: $0.segment, series: id, store: self) }, exclusive)
    }
}
