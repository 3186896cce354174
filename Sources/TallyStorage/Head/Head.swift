/// A run of head points in arrival order, as columns of fixed capacity (``Head/chunkCapacity``): a chunk is
/// filled and never grown, so the head never copies points it already holds.
struct HeadChunk: Sendable {
    var times: [Int64] = []
    var values: [Double] = []
    var lsns: [LSN] = []
    /// One code per point (``Outcome/noneCode`` for measurement points).
    var outcomes: [UInt8] = []
    var seriesIDs: [SeriesID] = []
    /// For each point, the head position + 1 of the same series' previous point (0: none).
    var previous: [UInt32] = []

    init() {
        times.reserveCapacity(Head.chunkCapacity)
        values.reserveCapacity(Head.chunkCapacity)
        lsns.reserveCapacity(Head.chunkCapacity)
        outcomes.reserveCapacity(Head.chunkCapacity)
        seriesIDs.reserveCapacity(Head.chunkCapacity)
        previous.reserveCapacity(Head.chunkCapacity)
    }

    var count: Int { times.count }
}

/// What the head knows of one series: its newest point and how many it has.
struct HeadSlot: Sendable {
    /// Head position + 1 of the series' newest point (0: the series has no point in the head).
    var last: UInt32 = 0
    var count: UInt32 = 0
    /// Check series keep their outcome codes on reads; measurement series have none.
    var hasOutcomes = false
}

/// The points written since the last flush, in arrival order (not sorted: late and out-of-order writes simply
/// append; reads sort and resolve by time and LSN).
///
/// Points are kept as columns in fixed-size chunks, so appending a batch copies its columns in bulk and touches
/// one slot per point; each point links to the previous point of its series, so one series is read without
/// scanning the others. Series ids are dense (the index keeps its records by id), so slots are an array.
struct Head: Sendable {
    /// Points per chunk.
    static let chunkCapacity = 1 << 16

    private var chunks: [HeadChunk] = []
    /// Per series id.
    private var slots: [HeadSlot] = []
    /// The series with points in the head, in the order they first arrived.
    private(set) var seriesIDs: [SeriesID] = []
    private(set) var pointCount = 0
    private(set) var minLSN = LSN.max
    private(set) var maxLSN = LSN.min

    var isEmpty: Bool { pointCount == 0 }

    /// Appends a WAL batch's points.
    mutating func apply(_ batch: WALBatch, kinds: (SeriesID) -> SeriesKind) {
        minLSN = min(minLSN, batch.lsn)
        maxLSN = max(maxLSN, batch.lsn)
        let n = batch.times.count
        guard n > 0 else { return }
        precondition(pointCount + n < Int(UInt32.max), "the head holds at most 2^32 - 1 points; flush more often")
        if let maxID = batch.seriesIDs.max(), Int(maxID) >= slots.count {
            slots.append(contentsOf: repeatElement(HeadSlot(), count: Int(maxID) + 1 - slots.count))
        }
        var done = 0
        while done < n {
            if chunks.isEmpty || chunks[chunks.count - 1].count == Head.chunkCapacity { chunks.append(HeadChunk()) }
            let c = chunks.count - 1
            let take = min(n - done, Head.chunkCapacity - chunks[c].count)
            let piece = done..<(done + take)
            let firstPosition = pointCount + done
            // Link each point to its series' previous one; note series seen for the first time.
            let previous = [UInt32](unsafeUninitializedCapacity: take) { out, initialized in
                slots.withUnsafeMutableBufferPointer { slot in
                    batch.seriesIDs.withUnsafeBufferPointer { ids in
                        for k in 0..<take {
                            let id = ids[done + k]
                            let s = Int(id)
                            out[k] = slot[s].last
                            if slot[s].last == 0 {
                                seriesIDs.append(id)
                                slot[s].hasOutcomes = kinds(id) == .check
                            }
                            slot[s].last = UInt32(firstPosition + k + 1)
                            slot[s].count += 1
                        }
                    }
                }
                initialized = take
            }
            chunks[c].times.append(contentsOf: batch.times[piece])
            chunks[c].values.append(contentsOf: batch.values[piece])
            chunks[c].lsns.append(contentsOf: repeatElement(batch.lsn, count: take))
            if batch.outcomes.isEmpty {
                chunks[c].outcomes.append(contentsOf: repeatElement(Outcome.noneCode, count: take))
            } else {
                chunks[c].outcomes.append(contentsOf: batch.outcomes[piece])
            }
            chunks[c].seriesIDs.append(contentsOf: batch.seriesIDs[piece])
            chunks[c].previous.append(contentsOf: previous)
            done += take
        }
        pointCount += n
    }

    /// The points of a series in `range` (arrival order, possibly with repeated times); nil when there are none.
    func points(of id: SeriesID, in range: TimeRange) -> PointColumns? {
        guard Int(id) < slots.count else { return nil }
        let slot = slots[Int(id)]
        guard slot.count > 0 else { return nil }
        // The chain runs newest to oldest: collect positions, then read them oldest first.
        var positions = [Int](repeating: 0, count: Int(slot.count))
        var link = slot.last
        var k = positions.count
        while link != 0 {
            let p = Int(link) - 1
            k -= 1
            positions[k] = p
            link = chunks[p >> Head.chunkShift].previous[p & Head.chunkMask]
        }
        var out = PointColumns()
        out.reserveCapacity(positions.count, outcomes: slot.hasOutcomes)
        for p in positions {
            let chunk = p >> Head.chunkShift, i = p & Head.chunkMask
            let time = chunks[chunk].times[i]
            guard range.contains(time) else { continue }
            out.times.append(time)
            out.values.append(chunks[chunk].values[i])
            out.lsns.append(chunks[chunk].lsns[i])
            if slot.hasOutcomes { out.outcomes.append(chunks[chunk].outcomes[i]) }
        }
        return out.isEmpty ? nil : out
    }

    /// Every series' head points, ascending by id, each sorted by time with one point per time: what a flush
    /// writes. Grouped with one pass over the head (a counting sort by series), not one chain walk per series.
    func pointsBySeries() -> [(id: SeriesID, hasOutcomes: Bool, points: PointColumns)] {
        let ids = seriesIDs.sorted()
        var start = [Int](repeating: 0, count: slots.count)
        var total = 0
        for id in ids {
            start[Int(id)] = total
            total += Int(slots[Int(id)].count)
        }
        var order = [Int](repeating: 0, count: total)
        var cursor = start
        var base = 0
        for chunk in chunks {
            chunk.seriesIDs.withUnsafeBufferPointer { sid in
                for i in 0..<sid.count {
                    let s = Int(sid[i])
                    order[cursor[s]] = base + i
                    cursor[s] += 1
                }
            }
            base += chunk.count
        }
        return ids.map { id in
            let slot = slots[Int(id)]
            let from = start[Int(id)]
            var out = PointColumns()
            out.reserveCapacity(Int(slot.count), outcomes: slot.hasOutcomes)
            for p in order[from..<(from + Int(slot.count))] {
                let chunk = p >> Head.chunkShift, i = p & Head.chunkMask
                out.times.append(chunks[chunk].times[i])
                out.values.append(chunks[chunk].values[i])
                out.lsns.append(chunks[chunk].lsns[i])
                if slot.hasOutcomes { out.outcomes.append(chunks[chunk].outcomes[i]) }
            }
            return (id, slot.hasOutcomes, out.resolved())
        }
    }

    private static let chunkShift = Head.chunkCapacity.trailingZeroBitCount
    private static let chunkMask = Head.chunkCapacity - 1
}

extension PointColumns {
    /// Appends one point; `outcome` nil for measurement series.
    mutating func append(time: Int64, value: Double, outcome: UInt8?, lsn: LSN) {
        times.append(time)
        values.append(value)
        lsns.append(lsn)
        if let outcome { outcomes.append(outcome) }
    }

    /// These points sorted by time with one point per time: at equal times the higher LSN wins (and, at equal
    /// LSNs, the one appended last).
    func resolved() -> PointColumns {
        let n = count
        if n <= 1 { return self }
        var sorted = true
        for i in 1..<n where times[i - 1] >= times[i] {
            sorted = false
            break
        }
        if sorted { return self }
        let order = (0..<n).sorted { a, b in
            if times[a] != times[b] { return times[a] < times[b] }
            if lsns[a] != lsns[b] { return lsns[a] < lsns[b] }
            return a < b
        }
        var out = PointColumns()
        out.reserveCapacity(n, outcomes: !outcomes.isEmpty)
        for (k, i) in order.enumerated() {
            if k + 1 < order.count && times[order[k + 1]] == times[i] { continue }
            out.append(time: times[i], value: values[i], outcome: outcomes.isEmpty ? nil : outcomes[i], lsn: lsns[i])
        }
        return out
    }

    /// Appends all points of `other`.
    public mutating func append(contentsOf other: PointColumns) {
        times.append(contentsOf: other.times)
        values.append(contentsOf: other.values)
        lsns.append(contentsOf: other.lsns)
        outcomes.append(contentsOf: other.outcomes)
    }

    /// The points whose times fall in `range` (self must be sorted by time); none when the range is empty or
    /// reversed.
    public func slice(_ range: TimeRange) -> PointColumns {
        if range == .all { return self }
        let lo = times.partitionPoint { $0 < range.lowerBound }
        let hi = Swift.max(lo, times.partitionPoint { $0 < range.upperBound })
        if lo == 0 && hi == count { return self }
        return PointColumns(times: Array(times[lo..<hi]), values: Array(values[lo..<hi]),
                            outcomes: outcomes.isEmpty ? [] : Array(outcomes[lo..<hi]), lsns: Array(lsns[lo..<hi]))
    }
}

extension RandomAccessCollection where Index == Int {
    /// The first index whose element does not satisfy `belongsBefore` (the collection must be partitioned by it).
    func partitionPoint(_ belongsBefore: (Element) -> Bool) -> Int {
        var lo = startIndex, hi = endIndex
        while lo < hi {
            let mid = (lo + hi) / 2
            if belongsBefore(self[mid]) { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}
