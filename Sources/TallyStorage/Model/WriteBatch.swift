import TallyEncoding

/// A series as a write batch names it: its key, its kind and the attributes to set.
public struct SeriesDefinition: Hashable, Sendable {
    public var key: SeriesKey
    public var kind: SeriesKind
    public var attributes: Attributes

    public init(key: SeriesKey, kind: SeriesKind = .measurement, attributes: Attributes = Attributes()) {
        self.key = key
        self.kind = kind
        self.attributes = attributes
    }
}

/// What wrote a batch: recorded with it, so every point can be traced to (and deleted by) its batch.
public struct BatchOrigin: Hashable, Sendable {
    /// The kind of writer: `csv`, `soda`, `api`, `demo`, ...
    public var kind: String
    /// Where the data came from: a file name, a client, a scan definition.
    public var source: String
    /// Wall-clock time of the write, epoch milliseconds.
    public var wallTime: Int64
    /// Anything else worth keeping (file size, scan id, content hash...).
    public var details: [Label]

    public init(kind: String, source: String, wallTime: Int64 = currentTimeMillis(), details: [String: String] = [:]) {
        self.kind = kind
        self.source = source
        self.wallTime = wallTime
        self.details = details.map { Label($0.key, $0.value) }.sorted()
    }

    /// The detail that makes a batch idempotent: a second batch with the same value changes nothing.
    public static let contentHashKey = "content_hash"
    /// The details whose values say what a batch holds: a batch with a value an earlier batch (not deleted) had
    /// changes nothing. `content_hash` (its document's content), and `results_hash` (a Soda scan's results, the
    /// same whether the scan came as a `soda scan -srf` file or as a Cloud payload).
    public static let sameContentKeys = [contentHashKey, resultsHashKey]
    /// The detail holding a Soda scan's results hash (its document without `type` and `logs`).
    public static let resultsHashKey = "results_hash"

    /// The values of ``sameContentKeys`` this origin has.
    public var contentIdentities: [String] { BatchOrigin.sameContentKeys.compactMap(detail) }
    /// The detail that says where the batch's original document is kept (a ``DocumentRef``).
    public static let documentKey = "document"

    /// The value of a detail.
    public func detail(_ name: String) -> String? {
        details.first { $0.name == name }?.value
    }

    /// Sets a detail.
    public mutating func setDetail(_ name: String, _ value: String) {
        details.removeAll { $0.name == name }
        details.append(Label(name, value))
        details.sort()
    }
}

/// Points to write, as columns, with the series they belong to and the origin of the batch.
///
/// A batch is validated whole and written atomically: all of it lands, or none of it.
public struct WriteBatch: Sendable {
    public var origin: BatchOrigin
    public private(set) var series: [SeriesDefinition] = []
    /// For each point, the index of its series in ``series``.
    public private(set) var seriesIndexes: [UInt32] = []
    public private(set) var times: [Int64] = []
    public private(set) var values: [Double] = []
    /// The outcome codes, one per point; empty while no point has an outcome (every code is then
    /// ``Outcome/noneCode``), so measurement-only batches carry no outcome column.
    private(set) var outcomeCodes: [UInt8] = []
    /// Whether ``outcomeCodes`` is kept (it is from the first point with an outcome on).
    private var keepsOutcomes = false
    private var indexByKey: [SeriesKey: Int] = [:]

    public init(origin: BatchOrigin) {
        self.origin = origin
    }

    /// A batch of measurement points already grouped by series, taking the caller's columns without copying them:
    /// `series[k]` has the next `pointCounts[k]` points of `times` and `columnValues` (values in column form, nulls
    /// as ``NullValue/value``; any other NaN is stored as the canonical NaN). A key given twice is one series,
    /// as with ``addSeries(_:kind:attributes:)``. The form for importers that hold whole columns. Counts that do not
    /// match the columns are a programming error, not bad input: they stop the program (a precondition).
    public init(origin: BatchOrigin, series definitions: [SeriesKey], pointCounts: [Int], times: [Int64],
                columnValues: [Double]) {
        precondition(definitions.count == pointCounts.count, "one point count per series")
        precondition(times.count == columnValues.count, "as many values as times")
        precondition(pointCounts.allSatisfy { $0 >= 0 } && pointCounts.reduce(0, +) == times.count,
                     "the point counts must add up to the number of points")
        self.origin = origin
        self.times = times
        self.values = columnValues
        series.reserveCapacity(definitions.count)
        indexByKey.reserveCapacity(definitions.count)
        seriesIndexes = [UInt32](unsafeUninitializedCapacity: times.count) { out, initialized in
            var at = 0
            for (k, key) in definitions.enumerated() {
                let index = UInt32(addSeries(key))
                let count = pointCounts[k]
                if count > 0 { (out.baseAddress! + at).initialize(repeating: index, count: count) }
                at += count
            }
            initialized = at
        }
        canonicalizeNaNs(from: 0)
    }

    public var pointCount: Int { times.count }
    public var isEmpty: Bool { times.isEmpty && series.isEmpty }

    /// One outcome code per point (``Outcome/noneCode`` for measurement points).
    public var outcomes: [UInt8] {
        keepsOutcomes ? outcomeCodes : [UInt8](repeating: Outcome.noneCode, count: pointCount)
    }

    /// Adds a series (or finds it, when the key was added before) and returns its index in this batch.
    ///
    /// Adding the same key twice merges the attributes; the kind must agree, which ``validate()`` checks.
    @discardableResult
    public mutating func addSeries(_ key: SeriesKey, kind: SeriesKind = .measurement,
                                   attributes: Attributes = Attributes()) -> Int {
        if let index = indexByKey[key] {
            series[index].attributes = series[index].attributes.merging(attributes)
            if series[index].kind != kind { conflictingKinds.append(key) }
            return index
        }
        let index = series.count
        series.append(SeriesDefinition(key: key, kind: kind, attributes: attributes))
        indexByKey[key] = index
        return index
    }

    private var conflictingKinds: [SeriesKey] = []

    public mutating func reserveCapacity(points: Int) {
        seriesIndexes.reserveCapacity(points)
        times.reserveCapacity(points)
        values.reserveCapacity(points)
    }

    /// Appends one point. `value` nil is a null; `outcome` is for check series only.
    public mutating func append(series index: Int, time: Int64, value: Double?, outcome: Outcome? = nil) {
        append(series: index, time: time, columnValue: columnValue(value), outcomeCode: outcome?.rawValue ?? Outcome.noneCode)
    }

    /// Appends one point whose value is already in column form (see ``columnValue(_:)``).
    public mutating func append(series index: Int, time: Int64, columnValue value: Double, outcomeCode: UInt8) {
        if outcomeCode != Outcome.noneCode && !keepsOutcomes {
            // The first outcome: every earlier point had none.
            keepsOutcomes = true
            outcomeCodes.reserveCapacity(Swift.max(times.capacity, times.count + 1))
            outcomeCodes.append(contentsOf: repeatElement(Outcome.noneCode, count: times.count))
        }
        seriesIndexes.append(Self.slot(index))
        times.append(time)
        values.append(value)
        if keepsOutcomes { outcomeCodes.append(outcomeCode) }
    }

    /// Appends a run of measurement points of one series at once: `times[k]` with `columnValues[k]`, values in
    /// column form (nulls as ``NullValue/value``; see ``columnValue(_:)``). Any other NaN is stored as the
    /// canonical NaN. The bulk form of ``append(series:time:value:outcome:)`` for importers holding columns.
    public mutating func append(series index: Int, times runTimes: ArraySlice<Int64>, columnValues runValues: ArraySlice<Double>) {
        precondition(runTimes.count == runValues.count, "a run needs as many values as times")
        let start = values.count
        seriesIndexes.append(contentsOf: repeatElement(Self.slot(index), count: runTimes.count))
        times.append(contentsOf: runTimes)
        values.append(contentsOf: runValues)
        if keepsOutcomes { outcomeCodes.append(contentsOf: repeatElement(Outcome.noneCode, count: runTimes.count)) }
        canonicalizeNaNs(from: start)
    }

    /// A series index as stored: one that no batch can have (negative, or beyond 32 bits) becomes `UInt32.max`,
    /// which ``validate()`` refuses with the point's number instead of the append stopping the program.
    private static func slot(_ index: Int) -> UInt32 { UInt32(exactly: index) ?? .max }

    /// Stores every NaN from `start` on that is not the null marker as the canonical NaN (reading first, so
    /// columns taken from the caller are copied only when one needs changing).
    private mutating func canonicalizeNaNs(from start: Int) {
        let needed = values.withUnsafeBufferPointer { v in
            v[start...].contains { $0.isNaN && !NullValue.isNull($0) && $0.bitPattern != Double.nan.bitPattern }
        }
        guard needed else { return }
        values.withUnsafeMutableBufferPointer { v in
            for k in start..<v.count where v[k].isNaN && !NullValue.isNull(v[k]) { v[k] = Double.nan }
        }
    }

    /// The latest time a store keeps: `Int64.max` is the end of every time range (ranges are half-open), so no
    /// point can be at it.
    public static let latestTime = Int64.max - 1

    /// Checks names, kinds, outcomes and times. The store makes the same checks before anything is written (it
    /// checks the names of new series only: a series it knows had its name checked when it was created).
    public func validate() throws(InputError) {
        try validatePoints()
        for definition in series { try definition.key.validate() }
    }

    /// The first point, in batch order, at the same series and time as an earlier point of the batch, with that
    /// earlier point (indexes into the points); nil when every series has one point per time. Linear when each
    /// series' points come in time order (as files usually list them), else a sort of the points.
    public func firstRepeatedPoint() -> (earlier: Int, later: Int)? {
        var latest = [Int](repeating: -1, count: series.count)   // per series: the index of its latest point so far
        var ordered = true
        for k in times.indices {
            let s = Int(seriesIndexes[k])
            guard s < series.count else { continue }   // an index the batch lacks: validate() refuses it
            let previous = latest[s]
            if previous < 0 || times[k] > times[previous] { latest[s] = k; continue }
            if times[k] == times[previous] { return (previous, k) }
            ordered = false
            break
        }
        if ordered { return nil }
        // Out of order: sorted by series, time and index, a repeat is next to the point it repeats.
        let order = times.indices.sorted { a, b in
            (seriesIndexes[a], times[a], a) < (seriesIndexes[b], times[b], b)
        }
        var best: (earlier: Int, later: Int)?
        for (a, b) in zip(order, order.dropFirst())
        where seriesIndexes[a] == seriesIndexes[b] && Int(seriesIndexes[a]) < series.count && times[a] == times[b]
            && b < (best?.later ?? .max) {
            best = (a, b)
        }
        return best
    }

    /// The sentence for a point ``firstRepeatedPoint()`` found: its series and time, and where the earlier point
    /// is (`earlierPlace`: "on line 12", "at $.series[0].points[3]").
    package func repeatedPointMessage(_ repeated: (earlier: Int, later: Int), earlierPlace: String) -> String {
        let key = series[Int(seriesIndexes[repeated.later])].key
        return "\(key) already has a point at \(TimeText.format(times[repeated.later])), \(earlierPlace): "
            + "a file holds at most one point per series and time"
    }

    /// ``validate()`` without the series names.
    func validatePoints() throws(InputError) {
        // Indexes from `append(series:…)`: each must name one of the batch's series.
        if let highest = seriesIndexes.max(), Int(highest) >= series.count {
            let i = seriesIndexes.firstIndex { Int($0) >= series.count }!
            let named = highest == .max ? "an index out of range" : "index \(seriesIndexes[i])"
            let has = series.isEmpty ? "no series" : "\(series.count) series (indexes 0–\(series.count - 1))"
            throw InputError(message: "point \(i) is appended to series \(named), but the batch has \(has): "
                + "add each series with addSeries and append with the index it returns")
        }
        if let key = conflictingKinds.first {
            throw InputError(message: "series \(key) is given both as a measurement and as a check")
        }
        if let i = times.firstIndex(of: .max) {
            throw InputError(field: "time", message: "point \(i) of series \(series[Int(seriesIndexes[i])].key) is at "
                + "\(TimeText.format(.max)), the end of every time range; the latest time a point can have is "
                + TimeText.format(Self.latestTime))
        }
        // Usually every point is a measurement point without an outcome.
        if !keepsOutcomes && !series.contains(where: { $0.kind == .check }) { return }
        let isCheck = series.map { $0.kind == .check }
        let codes = outcomes
        for i in codes.indices {
            let code = codes[i]
            let kind: SeriesKind = isCheck[Int(seriesIndexes[i])] ? .check : .measurement
            if kind == .measurement && code != Outcome.noneCode {
                throw InputError(field: "outcome", message: "point \(i) of measurement series \(series[Int(seriesIndexes[i])].key) has an outcome")
            }
            if kind == .check && Outcome(rawValue: code) == nil {
                throw InputError(field: "outcome", message: "point \(i) of check series \(series[Int(seriesIndexes[i])].key) has no valid outcome (code \(code))")
            }
        }
    }
}

/// What the store answers when a batch is durable.
public struct WriteReceipt: Sendable, Equatable {
    /// The batch's log sequence number (for a duplicate: the earlier batch's).
    public var lsn: LSN
    public var pointCount: Int
    public var newSeriesCount: Int
    /// True when an earlier batch had the same content identity (``BatchOrigin/sameContentKeys``), so nothing was
    /// written.
    public var isDuplicate: Bool

    public init(lsn: LSN, pointCount: Int, newSeriesCount: Int, isDuplicate: Bool = false) {
        self.lsn = lsn
        self.pointCount = pointCount
        self.newSeriesCount = newSeriesCount
        self.isDuplicate = isDuplicate
    }
}

/// A batch as the store keeps a record of it.
public struct ImportRecord: Sendable, Equatable {
    public var lsn: LSN
    public var origin: BatchOrigin
    public var seriesCount: Int
    public var pointCount: Int

    public init(lsn: LSN, origin: BatchOrigin, seriesCount: Int, pointCount: Int) {
        self.lsn = lsn
        self.origin = origin
        self.seriesCount = seriesCount
        self.pointCount = pointCount
    }

    /// What open, verify and repair say of a recorded batch that no WAL record or segment holds any more.
    var heldByNothingMessage: String {
        "the catalog recorded batch \(lsn) (\(origin.kind) \(origin.source)), so it was acknowledged, but no WAL record "
            + "or segment holds it: its points are lost"
    }
}
