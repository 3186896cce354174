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
    /// One code per point (0 for measurement points).
    public private(set) var outcomes: [UInt8] = []
    private var indexByKey: [SeriesKey: Int] = [:]

    public init(origin: BatchOrigin) {
        self.origin = origin
    }

    public var pointCount: Int { times.count }
    public var isEmpty: Bool { times.isEmpty && series.isEmpty }

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
        outcomes.reserveCapacity(points)
    }

    /// Appends one point. `value` nil is a null; `outcome` is for check series only.
    public mutating func append(series index: Int, time: Int64, value: Double?, outcome: Outcome? = nil) {
        seriesIndexes.append(UInt32(index))
        times.append(time)
        values.append(columnValue(value))
        outcomes.append(outcome?.rawValue ?? Outcome.noneCode)
    }

    /// Appends one point whose value is already in column form (see ``columnValue(_:)``).
    public mutating func append(series index: Int, time: Int64, columnValue value: Double, outcomeCode: UInt8) {
        seriesIndexes.append(UInt32(index))
        times.append(time)
        values.append(value)
        outcomes.append(outcomeCode)
    }

    /// Appends a run of measurement points of one series at once: `times[k]` with `columnValues[k]`, values in
    /// column form (nulls as ``NullValue/value``; see ``columnValue(_:)``). Any other NaN is stored as the
    /// canonical NaN. The bulk form of ``append(series:time:value:outcome:)`` for importers holding columns.
    public mutating func append(series index: Int, times runTimes: ArraySlice<Int64>, columnValues runValues: ArraySlice<Double>) {
        precondition(runTimes.count == runValues.count, "a run needs as many values as times")
        let start = values.count
        seriesIndexes.append(contentsOf: repeatElement(UInt32(index), count: runTimes.count))
        times.append(contentsOf: runTimes)
        values.append(contentsOf: runValues)
        outcomes.append(contentsOf: repeatElement(Outcome.noneCode, count: runTimes.count))
        values.withUnsafeMutableBufferPointer { v in
            for k in start..<v.count where v[k].isNaN && !NullValue.isNull(v[k]) { v[k] = Double.nan }
        }
    }

    /// Checks names, kinds and outcomes. The store makes the same checks before anything is written (it checks
    /// the names of new series only: a series it knows had its name checked when it was created).
    public func validate() throws(InputError) {
        try validateKindsAndOutcomes()
        for definition in series { try definition.key.validate() }
    }

    /// ``validate()`` without the series names.
    func validateKindsAndOutcomes() throws(InputError) {
        if let key = conflictingKinds.first {
            throw InputError(field: key.metric, message: "series \(key) is given both as a measurement and as a check")
        }
        // Usually every point is a measurement point without an outcome: one pass over the codes says so.
        if outcomes.allSatisfy({ $0 == Outcome.noneCode }) && !series.contains(where: { $0.kind == .check }) { return }
        let isCheck = series.map { $0.kind == .check }
        for i in outcomes.indices {
            let code = outcomes[i]
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
    /// True when an earlier batch had the same content hash, so nothing was written.
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
}
