/// A block of a segment, as a read uses it.
struct BlockRef: Sendable {
    let segment: SegmentReader
    let meta: BlockMeta
}

/// A series' blocks in one segment, as the index keeps them: the segment's slot in the index's segment table and
/// where the series' entry is in that segment's footer (with its checksum). Twelve bytes, no reference counting;
/// the blocks' metadata is read from the footer when a read needs it.
struct BlockRun: Sendable, Equatable {
    var slot: UInt32
    var footer: FooterRun
}

/// A series' runs of blocks, one per segment holding it, ordered by segment time. A store of many short series
/// has one segment per series, so a single run is kept inline, with no array (and no allocation) of its own.
enum BlockList: Sendable {
    case empty
    case one(BlockRun)
    case many([BlockRun])

    /// Calls `body` with each run in order (no array is made for a single run).
    func forEach(_ body: (BlockRun) -> Void) {
        switch self {
        case .empty: break
        case .one(let run): body(run)
        case .many(let list): for run in list { body(run) }
        }
    }

    var isEmpty: Bool {
        if case .empty = self { return true }
        return false
    }

    mutating func append(_ run: BlockRun) {
        switch self {
        case .empty: self = .one(run)
        case .one(let first): self = .many([first, run])
        case .many(var list):
            self = .empty   // drop the enum's reference so the array is uniquely held while appending
            list.append(run)
            self = .many(list)
        }
    }

    init(_ runs: [BlockRun]) {
        switch runs.count {
        case 0: self = .empty
        case 1: self = .one(runs[0])
        default: self = .many(runs)
        }
    }
}

/// A series' blocks in one segment, ready to be read: the segment and where its entry is in the footer.
struct SegmentRun: Sendable {
    let segment: SegmentReader
    let footer: FooterRun

    /// The metadata of the blocks of every run (read from the footers), those overlapping `range`, in order.
    static func blocks(_ runs: [SegmentRun], overlapping range: TimeRange) throws(StoreError) -> [BlockRef] {
        var refs: [BlockRef] = []
        var metas: [BlockMeta] = []
        for run in runs {
            metas.removeAll(keepingCapacity: true)
            try run.segment.readRun(run.footer, into: &metas)
            for meta in metas where range.overlaps(minTime: meta.minTime, maxTime: meta.maxTime) {
                refs.append(BlockRef(segment: run.segment, meta: meta))
            }
        }
        return refs
    }
}

/// What the index keeps of a series' record besides its id and key. Widest fields first: 24 bytes as an optional.
struct StoredRecord: Sendable {
    var attributes: Attributes
    var createdLSN: LSN
    var kind: SeriesKind
}

/// The in-memory indexes, rebuilt at open from the catalog, the segment footers and the WAL:
/// series by key, metric and label postings, per-series lists of block runs, and the latest point of each series.
struct SeriesIndex: Sendable {
    /// What a record holds besides its id and key, indexed by series id (id 0 is never used). The keys are in
    /// ``keys``, packed.
    private var records: [StoredRecord?] = [nil]
    private var keys = KeyArena()
    /// Built at open for up to ``eagerKeyTableLimit`` series; above that on the first lookup by key
    /// (``prepareKeyLookups()``): reads select series through the postings, so an open of very many series that
    /// only reads (a query, a listing) never pays for hashing every key.
    private var idByKey: KeyTable?
    private(set) var seriesCount = 0
    private var idsByMetric: [String: [SeriesID]] = [:]
    /// label name → label value → ascending series ids.
    private var postings: [String: [String: [SeriesID]]] = [:]
    /// Per series id: its runs of blocks, one per segment, ordered by the segments' first times.
    private var blockLists: [BlockList] = [.empty]
    /// The segments the block lists point into; a removed segment leaves its slot empty.
    private var segmentSlots: [SegmentReader?] = []
    /// Per slot: the times the segment spans and its id. The first time and the id order a series' runs; the span
    /// lets a read of a time range skip the segments outside it without reading their footers.
    private var slotSpans: [(minTime: Int64, maxTime: Int64, id: UInt64)] = []
    private(set) var latest: [LatestPoint?] = [nil]
    /// Every series id ordered by key, kept until a series is added (listings of many series reuse it).
    private var keyOrder: [SeriesID]?

    /// Makes room for `count` series (opens know the number up front; the packed keys come whole from the catalog,
    /// so the key arena needs no room made).
    mutating func reserveCapacity(_ count: Int) {
        records.reserveCapacity(count + 1)
        idByKey?.reserveCapacity(count, keys: keys)
        blockLists.reserveCapacity(count + 1)
        latest.reserveCapacity(count + 1)
    }

    /// The runs of blocks of a series in segments that span times in `range`, in order (their metadata is read
    /// with ``SegmentRun/blocks(_:overlapping:)``, outside the store's lock).
    func runs(of id: SeriesID, in range: TimeRange = .all) -> [SegmentRun] {
        guard Int(id) < blockLists.count else { return [] }
        var runs: [SegmentRun] = []
        blockLists[Int(id)].forEach { run in
            let span = slotSpans[Int(run.slot)]
            guard range.overlaps(minTime: span.minTime, maxTime: span.maxTime) else { return }
            runs.append(SegmentRun(segment: segmentSlots[Int(run.slot)]!, footer: run.footer))
        }
        return runs
    }

    /// The runs of a series in segments other than `excluded` (ids).
    func runs(of id: SeriesID, excluding excluded: Set<UInt64>) -> [SegmentRun] {
        runs(of: id).filter { !excluded.contains($0.segment.id) }
    }

    var nextID: SeriesID { SeriesID(records.count) }

    /// Builds the table of series by key if it is not built yet. Call it (under the state lock) before
    /// ``id(of:)``; the writer and lookups by key do.
    mutating func prepareKeyLookups() {
        guard idByKey == nil else { return }
        var table = KeyTable()
        table.reserveCapacity(seriesCount, keys: keys)
        for i in records.indices where records[i] != nil { table.insert(SeriesID(i), in: keys) }
        idByKey = table
    }

    /// The id of the series with this key. Without ``prepareKeyLookups()`` first it still answers, by a scan.
    func id(of key: SeriesKey) -> SeriesID? {
        if let idByKey { return idByKey.find(key, in: keys) }
        return keys.withPacked(key) { packed in
            records.indices.last { records[$0] != nil && keys.withPacked(SeriesID($0)) { $0.elementsEqual(packed) } }
                .map { SeriesID($0) }
        } ?? nil
    }

    /// True when the series is defined (without copying its record).
    func knows(_ id: SeriesID) -> Bool {
        Int(id) < records.count && records[Int(id)] != nil
    }

    /// The key of a series, unpacked (without the rest of its record).
    func key(of id: SeriesID) -> SeriesKey? {
        knows(id) ? keys.key(id) : nil
    }

    /// The kind of a series (measurement when unknown), without copying its record.
    func kind(of id: SeriesID) -> SeriesKind {
        Int(id) < records.count ? records[Int(id)]?.kind ?? .measurement : .measurement
    }

    /// The record of a series, its key unpacked.
    func record(_ id: SeriesID) -> SeriesRecord? {
        guard Int(id) < records.count, let stored = records[Int(id)] else { return nil }
        return SeriesRecord(id: id, key: keys.key(id), kind: stored.kind, attributes: stored.attributes,
                            createdLSN: stored.createdLSN)
    }

    /// The attributes of a series (without unpacking its key).
    func attributes(of id: SeriesID) -> Attributes? {
        Int(id) < records.count ? records[Int(id)]?.attributes : nil
    }

    /// Every series' record, ascending ids.
    func allRecords() -> [SeriesRecord] {
        records.indices.compactMap { record(SeriesID($0)) }
    }

    /// The ids of the series whose attributes satisfy `test`, ascending.
    func ids(whereAttributes test: (Attributes) -> Bool) -> [SeriesID] {
        records.indices.compactMap { i in records[i].map { test($0.attributes) } == true ? SeriesID(i) : nil }
    }

    /// Adds a series (or, when its id is known, updates its attributes).
    mutating func add(_ record: SeriesRecord) {
        guard insertRecord(record) else { return }
        // The key as the arena keeps it: a text that arrived earlier in another Unicode form (é precomposed or
        // decomposed) is kept in that first form, and the postings must hold the same strings that matching keys
        // and a reopen (``addAll(_:)``) see.
        let key = keys.key(record.id)
        SeriesIndex.insertSorted(record.id, into: &idsByMetric[key.metric, default: []])
        for label in key.labels {
            SeriesIndex.insertSorted(record.id, into: &postings[label.name, default: [:]][label.value, default: []])
        }
    }

    /// The record, its key and its per-series slots, without the postings; false (attributes merged) when the
    /// id is known.
    @discardableResult
    private mutating func insertRecord(_ record: SeriesRecord) -> Bool {
        let i = Int(record.id)
        if i < records.count, let existing = records[i] {
            records[i]!.attributes = existing.attributes.merging(record.attributes)
            return false
        }
        insertStoredRecord(record.id, StoredRecord(attributes: record.attributes, createdLSN: record.createdLSN,
                                                   kind: record.kind))
        keys.append(record.id, record.key)
        idByKey?.insert(record.id, in: keys)
        return true
    }

    /// The record without its key, and the id's per-series slots (for a new id).
    private mutating func insertStoredRecord(_ id: SeriesID, _ stored: StoredRecord) {
        let i = Int(id)
        while records.count <= i {
            records.append(nil)
            blockLists.append(.empty)
            latest.append(nil)
        }
        if records[i] == nil { seriesCount += 1 }
        records[i] = stored
        keyOrder = nil
    }

    /// Fills an empty index with the catalog's series, in ascending id order (an open). The packed keys are taken
    /// as they are, and the label postings and metric lists are built by counting sorts on the string numbers — for
    /// 10,000 series and more on another core, while this one fills the records and the per-series lists. The
    /// table of series by key is built here too unless there are very many series (``eagerKeyTableLimit``): then on
    /// the first lookup.
    mutating func addAll(_ packed: PackedSeries) {
        precondition(seriesCount == 0, "addAll fills an empty index")
        assert(zip(packed.ids, packed.ids.dropFirst()).allSatisfy { $0 < $1 }, "the postings need ascending ids")
        defer { if seriesCount <= SeriesIndex.eagerKeyTableLimit { prepareKeyLookups() } }
        let lists = { @Sendable () -> ([String: [String: [SeriesID]]], [String: [SeriesID]]) in
            (SeriesIndex.postings(of: packed.ids, in: packed.keys), SeriesIndex.metricLists(of: packed.ids, in: packed.keys))
        }
        let background = packed.count >= 10_000
            ? BackgroundWork { () throws(StoreError) -> ([String: [String: [SeriesID]]], [String: [SeriesID]]) in lists() }
            : nil
        reserveCapacity(packed.count)
        for (id, stored) in zip(packed.ids, packed.records) { insertStoredRecord(id, stored) }
        keys = packed.keys
        do throws(StoreError) {
            (postings, idsByMetric) = try background?.value() ?? lists()
        } catch {
            preconditionFailure("building the postings throws nothing: \(error)")
        }
    }

    /// A counting sort of `(number, id, tag)` entries by number: `ids[starts[n]..<starts[n + 1]]` are the ids
    /// given with number `n`, in the order given, and `tags` runs beside `ids`. `entries` is called twice (a
    /// count, then a fill) and must give the same entries both times.
    private static func groupedByNumber(_ numberCount: Int,
                                        _ entries: ((UInt32, SeriesID, UInt32) -> Void) -> Void)
        -> (starts: [Int], ids: [SeriesID], tags: [UInt32])
    {
        var starts = [Int](repeating: 0, count: numberCount + 1)
        entries { number, _, _ in starts[Int(number) + 1] += 1 }
        for k in 0..<numberCount { starts[k + 1] += starts[k] }
        var ids = [SeriesID](repeating: 0, count: starts[numberCount])
        var tags = [UInt32](repeating: 0, count: starts[numberCount])
        var next = starts
        entries { number, id, tag in
            let k = next[Int(number)]
            ids[k] = id
            tags[k] = tag
            next[Int(number)] = k + 1
        }
        return (starts, ids, tags)
    }

    /// The series `ids` (ascending) by metric, grouped by the metrics' string numbers.
    private static func metricLists(of ids: [SeriesID], in arena: KeyArena) -> [String: [SeriesID]] {
        let strings = arena.internedStrings
        let groups = groupedByNumber(strings.count) { entry in
            for id in ids { entry(arena.metricNumber(id), id, 0) }
        }
        var lists: [String: [SeriesID]] = [:]
        for m in strings.indices where groups.starts[m] < groups.starts[m + 1] {
            lists[strings[m]] = Array(groups.ids[groups.starts[m]..<groups.starts[m + 1]])
        }
        return lists
    }

    /// The label postings of the series `ids` (ascending) whose keys are in `arena`. The labels are grouped by
    /// value number (ids stay ascending in each group), then split by name where a value appears under several
    /// names: no hashing per label, only per distinct name and value.
    private static func postings(of ids: [SeriesID], in arena: KeyArena) -> [String: [String: [SeriesID]]] {
        let strings = arena.internedStrings
        let groups = groupedByNumber(strings.count) { entry in
            for id in ids { arena.forEachLabel(of: id) { name, value in entry(value, id, name) } }
        }
        var entries: [(name: UInt32, value: Int, ids: [SeriesID])] = []
        for value in strings.indices where groups.starts[value] < groups.starts[value + 1] {
            let range = groups.starts[value]..<groups.starts[value + 1]
            let first = groups.tags[range.lowerBound]
            if groups.tags[range].allSatisfy({ $0 == first }) {
                entries.append((first, value, Array(groups.ids[range])))
            } else {
                var byName: [UInt32: [SeriesID]] = [:]
                for k in range { byName[groups.tags[k], default: []].append(groups.ids[k]) }
                for (name, list) in byName { entries.append((name, value, list)) }
            }
        }
        // Each name's dictionary is made at its final size: growing it would hash every value again.
        var valuesPerName: [UInt32: Int] = [:]
        for entry in entries { valuesPerName[entry.name, default: 0] += 1 }
        var byNumber = valuesPerName.mapValues { [String: [SeriesID]](minimumCapacity: $0) }
        for entry in entries { byNumber[entry.name]![strings[entry.value]] = entry.ids }
        var byLabel: [String: [String: [SeriesID]]] = [:]
        for (name, values) in byNumber { byLabel[strings[Int(name)]] = values }
        return byLabel
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
        guard knows(id) else { return }
        records[Int(id)]!.attributes = records[Int(id)]!.attributes.merging(attributes)
    }

    /// Adds a segment's runs of blocks to the per-series lists, and its blocks to the latest-point cache.
    mutating func addSegment(_ segment: SegmentReader, directory: SegmentDirectory) {
        let slot = UInt32(segmentSlots.count)
        segmentSlots.append(segment)
        var span = (minTime: Int64.max, maxTime: Int64.min)
        for meta in directory.metas {
            span = (Swift.min(span.minTime, meta.minTime), Swift.max(span.maxTime, meta.maxTime))
        }
        slotSpans.append((span.minTime, span.maxTime, segment.id))
        for entry in directory.entries where Int(entry.id) < blockLists.count {
            let id = Int(entry.id)
            blockLists[id].append(BlockRun(slot: slot, footer: entry.run))
            for k in entry.firstBlock..<(entry.firstBlock + entry.blockCount) {
                noteLatest(entry.id, LatestPoint(directory.metas[Int(k)]))
            }
        }
    }

    /// Drops the runs in the segments with these ids (after compaction replaced them).
    mutating func removeSegments(_ ids: Set<UInt64>) {
        var removed = Set<UInt32>()
        for (slot, segment) in segmentSlots.enumerated() where segment.map({ ids.contains($0.id) }) ?? false {
            removed.insert(UInt32(slot))
            segmentSlots[slot] = nil
        }
        guard !removed.isEmpty else { return }
        for i in blockLists.indices {
            switch blockLists[i] {
            case .empty: break
            case .one(let run):
                if removed.contains(run.slot) { blockLists[i] = .empty }
            case .many(let list):
                if list.contains(where: { removed.contains($0.slot) }) {
                    blockLists[i] = BlockList(list.filter { !removed.contains($0.slot) })
                }
            }
        }
    }

    /// Sets a series' latest point anew: `stored` is the newest point of its blocks (read by the caller), then the
    /// head's points are noted.
    mutating func resetLatest(_ id: SeriesID, stored: LatestPoint?, head: Head) {
        let i = Int(id)
        guard i < latest.count else { return }
        latest[i] = stored
        if let points = head.points(of: id, in: .all) {
            for k in points.times.indices {
                noteLatest(id, LatestPoint(time: points.times[k], value: points.values[k],
                                           outcome: points.outcomes.isEmpty ? 0 : points.outcomes[k], lsn: points.lsns[k]))
            }
        }
    }

    /// Orders each series' runs by their segments' first times (then ids), so reads of segments that do not
    /// overlap in time need no merge.
    mutating func sortBlocks(_ ids: [SeriesID]) {
        for id in ids where Int(id) < blockLists.count {
            guard case .many(let list) = blockLists[Int(id)] else { continue }
            let sorted = list.sorted { a, b in
                let oa = slotSpans[Int(a.slot)], ob = slotSpans[Int(b.slot)]
                return (oa.minTime, oa.id) < (ob.minTime, ob.id)
            }
            blockLists[Int(id)] = .many(sorted)
        }
    }

    /// The ids of the segments that hold blocks of any of these series.
    func segments(holding ids: Set<SeriesID>) -> Set<UInt64> {
        var out = Set<UInt64>()
        for id in ids where Int(id) < blockLists.count {
            blockLists[Int(id)].forEach { run in
                if let segment = segmentSlots[Int(run.slot)] { out.insert(segment.id) }
            }
        }
        return out
    }

    /// True when the series has any stored point (in segments; the head is checked by the caller).
    func hasBlocks(_ id: SeriesID) -> Bool {
        Int(id) < blockLists.count && !blockLists[Int(id)].isEmpty
    }

    /// Notes every point of a WAL batch in the latest-point cache (one pass, one access to the cache).
    mutating func noteLatest(_ batch: WALBatch) {
        latest.withUnsafeMutableBufferPointer { cache in
            for i in batch.times.indices {
                let point = LatestPoint(time: batch.times[i], value: batch.values[i],
                                        outcome: batch.outcomes.isEmpty ? Outcome.noneCode : batch.outcomes[i],
                                        lsn: batch.lsn)
                let slot = Int(batch.seriesIDs[i])
                cache[slot].keepLatest(point)
            }
        }
    }

    mutating func noteLatest(_ id: SeriesID, _ point: LatestPoint) {
        latest[Int(id)].keepLatest(point)
    }

    /// The ids of the series that a selector chooses, ascending.
    func select(_ selector: SeriesSelector) -> [SeriesID] {
        var candidates: [SeriesID]?
        if let metric = selector.metric { candidates = idsByMetric[metric] ?? [] }
        var answered = [Bool](repeating: false, count: selector.matchers.count)
        // The series lists of a label's values; for `__name__`, the lists by metric.
        func valueLists(_ name: String) -> [String: [SeriesID]]? {
            name == metricNameLabel ? idsByMetric : postings[name]
        }
        for (k, matcher) in selector.matchers.enumerated() where matcher.op == .equal && !matcher.value.isEmpty {
            let list = valueLists(matcher.name)?[matcher.value] ?? []
            candidates = candidates.map { intersect($0, list) } ?? list
            answered[k] = true
        }
        // A matcher that rejects a missing label (`=~` that cannot match "", `!=""`, `!~` that matches "") selects
        // only series that have the label: it is tried once per distinct value of the label rather than once per
        // series, when the label has fewer values than there are candidates left.
        for (k, matcher) in selector.matchers.enumerated() where !answered[k] && !matcher.matches(nil) {
            let values = valueLists(matcher.name) ?? [:]
            guard values.count < candidates?.count ?? seriesCount else { continue }
            let (lists, total) = SeriesIndex.lists(of: values, matcher, accepted: true)
            // Gathering and sorting many ids to keep a few candidates costs more than matching those candidates' keys.
            if let candidates, total > 8 * candidates.count { continue }
            candidates = candidates.map { intersect($0, union(lists, total)) } ?? union(lists, total)
            answered[k] = true
        }
        // A matcher that accepts series without the label (`!=`, `!~` that cannot match "", `=""`) is answered the
        // other way round: the series of the values it rejects are taken away.
        for (k, matcher) in selector.matchers.enumerated() where !answered[k] && matcher.matches(nil) {
            let values = valueLists(matcher.name) ?? [:]
            guard values.count < candidates?.count ?? seriesCount else { continue }
            let (lists, total) = SeriesIndex.lists(of: values, matcher, accepted: false)
            if let candidates, total > 8 * candidates.count { continue }
            candidates = subtract(union(lists, total), from: candidates ?? allIDs())
            answered[k] = true
        }
        let ids = candidates ?? allIDs()
        // The metric and the matchers answered by the lists are done: only the others need the keys.
        let rest = selector.matchers.indices.filter { !answered[$0] }.map { selector.matchers[$0] }
        if rest.isEmpty { return ids }
        return ids.filter { id in
            let key = keys.key(id)
            return rest.allSatisfy { $0.matches(key.selectorValue(of: $0.name)) }
        }
    }

    /// The series lists of the label values that `matcher` accepts (`accepted` true) or rejects, and how many ids
    /// they hold. The comparison is chosen once, and each loop tests a value before it takes the value's list, so
    /// only the lists kept are retained. Testing through a closure retained every value's list first, reading the
    /// header of each (cache misses): `{dataset=~"d1"}` on a million series took 0.55 ms instead of 0.15.
    private static func lists(of values: [String: [SeriesID]], _ matcher: LabelMatcher,
                              accepted: Bool) -> (lists: [[SeriesID]], total: Int) {
        var lists: [[SeriesID]] = []
        var total = 0
        switch matcher.op {
        case .equal, .notEqual:
            let keepEqual = (matcher.op == .equal) == accepted
            // Keeping the one equal value is a lookup, not a comparison with every value.
            if keepEqual {
                let ids = values[matcher.value] ?? []
                return (ids.isEmpty ? [] : [ids], ids.count)
            }
            for (value, ids) in values where value != matcher.value {
                lists.append(ids)
                total += ids.count
            }
        case .matchesRegex, .notMatchesRegex:
            let keepMatching = (matcher.op == .matchesRegex) == accepted
            let pattern = matcher.pattern!
            for (value, ids) in values where pattern.matchesWhole(value) == keepMatching {
                lists.append(ids)
                total += ids.count
            }
        }
        return (lists, total)
    }

    /// `ids` ordered by series key. Large selections are taken from a cached order of every series, so listing a
    /// store's series repeatedly does not sort them each time.
    mutating func orderedByKey(_ ids: [SeriesID]) -> [SeriesID] {
        if ids.count < 4096 { return sortedByKey(ids) }
        if keyOrder == nil { keyOrder = everySeriesInKeyOrder() }
        var selected = [Bool](repeating: false, count: records.count)
        for id in ids { selected[Int(id)] = true }
        return keyOrder!.filter { selected[Int($0)] }
    }

    /// `ids` sorted by key, each key unpacked once.
    private func sortedByKey(_ ids: [SeriesID]) -> [SeriesID] {
        ids.map { ($0, keys.key($0)) }.sorted { $0.1 < $1.1 }.map(\.0)
    }

    /// Up to how many series an open builds the table of series by key at once (a few milliseconds per 10,000
    /// series). Above it the table waits for the first lookup by key, so a read-only open of a million series does
    /// not hash every key.
    static let eagerKeyTableLimit = 200_000

    /// Every series id ordered by key. Keys are first turned into sequences of small integers — the rank of each
    /// interned string (metric, then each label's name and value) among all of them — that compare as the keys
    /// do, so the sort compares integers instead of strings.
    func everySeriesInKeyOrder() -> [SeriesID] {
        let strings = keys.internedStrings
        var rank = [UInt32](repeating: 0, count: strings.count)
        for (position, number) in strings.indices.sorted(by: { strings[$0] < strings[$1] }).enumerated() {
            rank[number] = UInt32(position)
        }
        var ids: [SeriesID] = []
        var starts: [Int] = [0]
        var codes: [UInt32] = []
        ids.reserveCapacity(records.count)
        starts.reserveCapacity(records.count + 1)
        for i in records.indices where records[i] != nil {
            ids.append(SeriesID(i))
            keys.forEachNumber(of: SeriesID(i)) { codes.append(rank[Int($0)]) }
            starts.append(codes.count)
        }
        // Position k of `ids` has codes[starts[k]..<starts[k + 1]]; sort positions, then map them to ids.
        var order = Array(0..<ids.count)
        codes.withUnsafeBufferPointer { c in
            starts.withUnsafeBufferPointer { st in
                order.sort { a, b in
                    var i = st[a], j = st[b]
                    let endA = st[a + 1], endB = st[b + 1]
                    while i < endA && j < endB {
                        if c[i] != c[j] { return c[i] < c[j] }
                        i += 1
                        j += 1
                    }
                    return endA - st[a] < endB - st[b]
                }
            }
        }
        return order.map { ids[$0] }
    }

    /// The ids of disjoint lists (`total` of them), ascending.
    private func union(_ lists: [[SeriesID]], _ total: Int) -> [SeriesID] {
        var list: [SeriesID] = []
        list.reserveCapacity(total)
        for ids in lists { list.append(contentsOf: ids) }
        list.sort()   // the values' lists are disjoint: a series has one value per label
        return list
    }

    /// Every series id, ascending.
    private func allIDs() -> [SeriesID] {
        records.indices.compactMap { records[$0] == nil ? nil : SeriesID($0) }
    }

    /// The ids of `a` that are not in `b` (both ascending).
    private func subtract(_ b: [SeriesID], from a: [SeriesID]) -> [SeriesID] {
        var out: [SeriesID] = []
        out.reserveCapacity(a.count)
        var j = 0
        for id in a {
            while j < b.count && b[j] < id { j += 1 }
            if j < b.count && b[j] == id { continue }
            out.append(id)
        }
        return out
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
