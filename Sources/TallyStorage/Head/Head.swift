/// One point of the head, as it arrived.
struct HeadPoint: Sendable {
    var time: Int64
    var value: Double
    var lsn: LSN
    var outcome: UInt8
}

/// A series' points in the head: one array of whole points, so appending a point touches one array (a scan
/// appends one point to each of thousands of series; four column arrays per series made that memory-bound).
struct HeadSeries: Sendable {
    var points: [HeadPoint]
    /// Check series keep their outcome codes; measurement series have none.
    var hasOutcomes: Bool

    /// The points whose times `include` accepts, as columns (unsorted, possibly with repeated times).
    func columns(where include: (Int64) -> Bool = { _ in true }) -> PointColumns {
        var out = PointColumns()
        out.reserveCapacity(points.count, outcomes: hasOutcomes)
        for p in points where include(p.time) {
            out.times.append(p.time)
            out.values.append(p.value)
            out.lsns.append(p.lsn)
            if hasOutcomes { out.outcomes.append(p.outcome) }
        }
        return out
    }
}

/// The points written since the last flush, per series, in arrival order (not sorted: late and out-of-order
/// writes simply append; reads sort and resolve by time and LSN).
struct Head: Sendable {
    /// Per series id.
    private var series: [SeriesID: HeadSeries] = [:]
    private(set) var pointCount = 0
    private(set) var minLSN = LSN.max
    private(set) var maxLSN = LSN.min

    var isEmpty: Bool { pointCount == 0 }

    /// The series with points in the head.
    var seriesIDs: [SeriesID] { Array(series.keys) }

    /// Every head point of a series (arrival order), as columns.
    func columns(of id: SeriesID) -> PointColumns? {
        series[id]?.columns()
    }

    /// Appends a WAL batch's points.
    mutating func apply(_ batch: WALBatch, kinds: (SeriesID) -> SeriesKind) {
        guard !batch.times.isEmpty else {
            minLSN = min(minLSN, batch.lsn)
            maxLSN = max(maxLSN, batch.lsn)
            return
        }
        for i in batch.times.indices {
            let id = batch.seriesIDs[i]
            let point = HeadPoint(time: batch.times[i], value: batch.values[i], lsn: batch.lsn,
                                  outcome: batch.outcomes.isEmpty ? Outcome.noneCode : batch.outcomes[i])
            if let slot = series.index(forKey: id) {
                series.values[slot].points.append(point)   // in place: the values view's subscript modifies
            } else {
                series[id] = HeadSeries(points: [point], hasOutcomes: kinds(id) == .check)
            }
        }
        pointCount += batch.times.count
        minLSN = min(minLSN, batch.lsn)
        maxLSN = max(maxLSN, batch.lsn)
    }

    /// The points of a series in `range` (unsorted, possibly with repeated times).
    func points(of id: SeriesID, in range: TimeRange) -> PointColumns? {
        guard let head = series[id] else { return nil }
        let out = range == .all ? head.columns() : head.columns { range.contains($0) }
        return out.isEmpty ? nil : out
    }
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

    /// The points whose times fall in `range` (self must be sorted by time).
    public func slice(_ range: TimeRange) -> PointColumns {
        if range == .all { return self }
        let lo = times.partitionPoint { $0 < range.lowerBound }
        let hi = times.partitionPoint { $0 < range.upperBound }
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
