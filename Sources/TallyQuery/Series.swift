import TallyStorage
import TallyEncoding

/// A series as the data source names it: an id, a metric, labels and a kind.
public struct SeriesRef: Sendable, Hashable {
    /// The storage's id of the series (opaque to the query engine).
    public var id: UInt64
    /// The metric name.
    public var metric: String
    /// The labels, sorted by name.
    public var labels: Labels
    /// Measurement or check.
    public var kind: SeriesKind

    /// Creates a series reference.
    public init(id: UInt64, metric: String, labels: Labels, kind: SeriesKind = .measurement) {
        self.id = id
        self.metric = metric
        self.labels = labels
        self.kind = kind
    }
}

/// The points of one series as columns.
///
/// - `times`: epoch milliseconds (UTC), strictly ascending;
/// - `values`: one per time; null is the NaN with bit pattern `0x7FFC_0000_0000_7A11` (any other NaN is a value);
/// - `outcomes`: for check series, one per time: 1 pass, 2 warn, 3 fail, 4 error, 5 not evaluated, 0 none;
///   `nil` for measurement series.
public struct SeriesColumns: Sendable, Equatable {
    /// Epoch milliseconds, ascending.
    public var times: [Int64]
    /// Values; see the type's description for null.
    public var values: [Double]
    /// Outcome codes for check series, `nil` otherwise.
    public var outcomes: [UInt8]?

    /// Creates columns; all given columns must have the same length.
    public init(times: [Int64] = [], values: [Double] = [], outcomes: [UInt8]? = nil) {
        precondition(times.count == values.count && (outcomes?.count ?? times.count) == times.count,
                     "SeriesColumns: columns of different lengths")
        self.times = times
        self.values = values
        self.outcomes = outcomes
    }

    /// The number of points.
    public var count: Int { times.count }

    /// Whether the value at `index` is null.
    public func isNull(at index: Int) -> Bool { NullValue.isNull(values[index]) }

    /// The points at `range`.
    public func slice(_ range: Range<Int>) -> SeriesColumns {
        SeriesColumns(times: Array(times[range]), values: Array(values[range]), outcomes: outcomes.map { Array($0[range]) })
    }

    public static func == (a: SeriesColumns, b: SeriesColumns) -> Bool {
        // Bitwise on values, so that null equals null and NaN equals the same NaN.
        a.times == b.times && a.outcomes == b.outcomes
            && a.values.map(\.bitPattern) == b.values.map(\.bitPattern)
    }
}

/// UTC-aligned time buckets of a fixed width (`1h`, `1d`, `1w`) or a number of calendar months (`1mo`, `1y`).
///
/// Fixed widths are aligned to the Unix epoch (so days start at 00:00 UTC), except widths that are a whole
/// number of weeks, which are aligned to Monday 1970-01-05 (so weeks start on Monday 00:00 UTC).
/// Month widths start on the 1st at 00:00 UTC, counted from January 1970 (so `3mo` gives quarters and `1y`
/// gives calendar years).
public struct Bucketing: Sendable, Hashable {
    /// The width.
    public let width: QueryDuration

    /// Buckets of `width`; `nil` when the width is zero, negative, or mixes months with a fixed part.
    public init?(width: QueryDuration) {
        guard width.months >= 0, width.milliseconds >= 0, !width.isZero,
              width.months == 0 || width.milliseconds == 0 else { return nil }
        self.width = width
    }

    private var origin: Int64 {
        width.milliseconds % CivilTime.msPerWeek == 0 ? 4 * CivilTime.msPerDay : 0   // Monday 1970-01-05
    }

    /// The number of the fixed-width bucket holding `t`, counted from the origin (wide, so that no time overflows).
    private func fixedIndex(_ t: Int64) -> Int128 {
        CivilCalendar.floorDiv(Int128(t) - Int128(origin), Int128(width.milliseconds))
    }

    /// The start of the fixed-width bucket with that number, stopped at the ends of the range of times.
    private func fixedStart(_ index: Int128) -> Int64 {
        Int64(clamping: index * Int128(width.milliseconds) + Int128(origin))
    }

    /// The months since January 1970 of the first month of the bucket holding `t` (month widths).
    private func monthBucketIndex(_ t: Int64) -> Int64 {
        CivilCalendar.floorDiv(CivilCalendar.monthIndex(ofMillis: t), width.months) * width.months
    }

    /// The start of the bucket that contains `t`. The first bucket of time can start before the earliest time
    /// (`Int64.min`); its start is then `Int64.min`.
    public func start(of t: Int64) -> Int64 {
        if width.months > 0 { return CivilCalendar.startOfMonth(index: monthBucketIndex(t)) }
        if isPlain(t) {
            return CivilCalendar.floorDiv(t - origin, width.milliseconds) * width.milliseconds + origin
        }
        return fixedStart(fixedIndex(t))
    }

    /// Whether the bucket of `t` and the next one are computed without overflow in 64 bits: `t` is far from the
    /// ends of the range of times, and the width is not absurd (the query language allows at most 10,000 years).
    private func isPlain(_ t: Int64) -> Bool {
        t >= Int64.min / 2 && t <= Int64.max / 2 && width.milliseconds <= Int64.max / 4
    }

    /// When the bucket holding `t` ends (the start of the next one).
    public func end(ofBucketHolding t: Int64) -> Int64 { next(after: start(of: t)) }

    /// Whether the bucket holding `t` has ended by `now` (a bucket still in progress is not judged).
    public func hasEnded(bucketHolding t: Int64, by now: Int64) -> Bool { end(ofBucketHolding: t) <= now }

    /// The start of the bucket after the one that starts at `bucketStart` (or holds it). The last bucket of time
    /// ends past the latest time; its end is then `Int64.max`, the end of every time range.
    public func next(after bucketStart: Int64) -> Int64 {
        if width.months > 0 { return CivilCalendar.startOfMonth(index: monthBucketIndex(bucketStart) + width.months) }
        if isPlain(bucketStart) { return start(of: bucketStart) + width.milliseconds }
        return fixedStart(fixedIndex(bucketStart) + 1)
    }
}
