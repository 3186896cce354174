/// A block of a segment, as the index lists it for a series.
struct BlockRef: Sendable {
    let segment: SegmentReader
    let meta: BlockMeta
}

/// The in-memory indexes, rebuilt at open from the catalog, the segment footers and the WAL:
/// series by key, metric and label postings, per-series block lists, and the latest point of each series.
struct SeriesIndex: Sendable {
    /// Indexed by series id (id 0 is never used).
    private(set) var records: [SeriesRecord?] = [nil]
    private var idByKey: [SeriesKey: SeriesID] = [:]
    private var idsByMetric: [String: [SeriesID]] = [:]
    /// label name → label value → ascending series ids.
    private var postings: [String: [String: [SeriesID]]] = [:]
    /// Per series id: blocks in segment order (older segments first).
    private(set) var blocks: [[BlockRef]] = [[]]
    private(set) var latest: [LatestPoint?] = [nil]

    var seriesCount: Int { idByKey.count }
    var nextID: SeriesID { SeriesID(records.count) }

    func id(of key: SeriesKey) -> SeriesID? { idByKey[key] }

    /// True when the series is defined (without copying its record).
    func knows(_ id: SeriesID) -> Bool {
        Int(id) < records.count && records[Int(id)] != nil
    }

    /// The kind of a series (measurement when unknown), without copying its record.
    func kind(of id: SeriesID) -> SeriesKind {
        Int(id) < records.count ? records[Int(id)]?.kind ?? .measurement : .measurement
    }

    func record(_ id: SeriesID) -> SeriesRecord? {
        Int(id) < records.count ? records[Int(id)] : nil
    }

    /// Adds a series (or, when its id is known, updates its attributes).
    mutating func add(_ record: SeriesRecord) {
        let i = Int(record.id)
        if i < records.count, let existing = records[i] {
            records[i]!.attributes = existing.attributes.merging(record.attributes)
            return
        }
        while records.count <= i {
            records.append(nil)
            blocks.append([])
            latest.append(nil)
        }
        records[i] = record
        idByKey[record.key] = record.id
        SeriesIndex.insertSorted(record.id, into: &idsByMetric[record.key.metric, default: []])
        for label in record.key.labels {
            SeriesIndex.insertSorted(record.id, into: &postings[label.name, default: [:]][label.value, default: []])
        }
    }

    /// Static, not an instance method: calling an instance method with `&postings[…]` would copy `self` and
    /// with it the nested dictionaries, making every add O(series) (measured: opens took seconds at 10k series).
    private static func insertSorted(_ id: SeriesID, into list: inout [SeriesID]) {
        if let last = list.last, last >= id {
            let at = list.firstIndex { $0 >= id } ?? list.count
            if at < list.count && list[at] == id { return }
            list.insert(id, at: at)
        } else {
            list.append(id)
        }
    }

    mutating func setAttributes(_ id: SeriesID, _ attributes: Attributes) {
        guard record(id) != nil else { return }
        records[Int(id)]!.attributes = records[Int(id)]!.attributes.merging(attributes)
    }

    /// Adds a segment's blocks to the per-series lists and the latest-point cache.
    mutating func addSegment(_ segment: SegmentReader) {
        for (id, _, metas) in segment.directory where Int(id) < blocks.count {
            for meta in metas {
                blocks[Int(id)].append(BlockRef(segment: segment, meta: meta))
                noteLatest(id, LatestPoint(time: meta.maxTime, value: meta.lastRawValue, outcome: meta.lastOutcome,
                                           lsn: meta.lastLSN))
            }
        }
    }

    /// Drops the blocks of the segments with these ids (after compaction replaced them); returns the series
    /// that lost blocks.
    @discardableResult
    mutating func removeSegments(_ ids: Set<UInt64>) -> [SeriesID] {
        var affected: [SeriesID] = []
        for i in blocks.indices where blocks[i].contains(where: { ids.contains($0.segment.id) }) {
            blocks[i].removeAll { ids.contains($0.segment.id) }
            affected.append(SeriesID(i))
        }
        return affected
    }

    /// Recomputes a series' latest point from its blocks and the head's points.
    mutating func recomputeLatest(_ id: SeriesID, head: Head) {
        let i = Int(id)
        guard i < latest.count else { return }
        latest[i] = nil
        for block in blocks[i] {
            noteLatest(id, LatestPoint(time: block.meta.maxTime, value: block.meta.lastRawValue,
                                       outcome: block.meta.lastOutcome, lsn: block.meta.lastLSN))
        }
        if let points = head.points(of: id, in: .all) {
            for k in points.times.indices {
                noteLatest(id, LatestPoint(time: points.times[k], value: points.values[k],
                                           outcome: points.outcomes.isEmpty ? 0 : points.outcomes[k], lsn: points.lsns[k]))
            }
        }
    }

    /// Keeps each series' blocks in time order (so reads of non-overlapping blocks need no merge).
    mutating func sortBlocks(_ ids: [SeriesID]) {
        for id in ids where Int(id) < blocks.count {
            blocks[Int(id)].sort { ($0.meta.minTime, $0.segment.id) < ($1.meta.minTime, $1.segment.id) }
        }
    }

    /// True when the series has any stored point (in segments; the head is checked by the caller).
    func hasBlocks(_ id: SeriesID) -> Bool {
        Int(id) < blocks.count && !blocks[Int(id)].isEmpty
    }

    mutating func noteLatest(_ id: SeriesID, _ point: LatestPoint) {
        let i = Int(id)
        if let current = latest[i], !current.isSuperseded(by: point) { return }
        latest[i] = point
    }

    /// The ids of the series that a selector chooses, ascending.
    func select(_ selector: SeriesSelector) -> [SeriesID] {
        var candidates: [SeriesID]?
        if let metric = selector.metric { candidates = idsByMetric[metric] ?? [] }
        for matcher in selector.matchers where matcher.op == .equal && !matcher.value.isEmpty {
            let list = postings[matcher.name]?[matcher.value] ?? []
            candidates = candidates.map { intersect($0, list) } ?? list
        }
        let ids = candidates ?? records.indices.compactMap { records[$0] == nil ? nil : SeriesID($0) }
        return ids.filter { selector.matches(records[Int($0)]!.key) }
    }

    private func intersect(_ a: [SeriesID], _ b: [SeriesID]) -> [SeriesID] {
        var out: [SeriesID] = []
        var i = 0, j = 0
        while i < a.count && j < b.count {
            if a[i] == b[j] { out.append(a[i]); i += 1; j += 1 } else if a[i] < b[j] { i += 1 } else { j += 1 }
        }
        return out
    }

    /// The distinct values of a label across all series, sorted.
    func labelValues(_ name: String) -> [String] {
        (postings[name].map { Array($0.keys) } ?? []).sorted()
    }

    /// Every label name in use, sorted.
    var labelNames: [String] { postings.keys.sorted() }
}
