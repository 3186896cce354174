import TallyStorage
import TallyEncoding
/// One series of a query result: identity plus columns, with optional annotation columns.
///
/// Every column that is present has one entry per point. Values use the same null marker as the storage
/// (see `isNull(at:)`); a null value usually has a reason (`reasons`), e.g. why a change could not be computed.
public struct ResultSeries: Sendable {
    /// The metric name (stages that build new series name them, e.g. `outcomes`).
    public var metric: String
    /// The labels.
    public var labels: Labels
    /// Measurement or check.
    public var kind: SeriesKind
    /// Epoch milliseconds, ascending.
    public var times: [Int64]
    /// The values (null marker for null).
    public var values: [Double]
    /// Outcome codes of check points (1 pass, 2 warn, 3 fail, 4 error, 5 not evaluated, 0 none).
    public var outcomes: [UInt8]?
    /// Why a value is null (or other remarks on a point); `nil` entries for points with nothing to say.
    public var reasons: [String?]?
    /// The expected value (anomaly and forecast stages).
    public var expected: [Double]?
    /// The lower bound of the expected range.
    public var lower: [Double]?
    /// The upper bound of the expected range.
    public var upper: [Double]?
    /// The anomaly score.
    public var score: [Double]?
    /// Whether the point is an anomaly: outside its expected range (or stuck, or drifting).
    public var anomaly: [Bool]?
    /// Whether the point raises a new alert: a flagged point that the alert rules let through — not within the
    /// refractory period after the previous alert, past the likelihood gate, not a recurring flag, when those are on
    /// (`anomalies refractory=… likelihood=… recurring=on`). Equal to `anomaly` with the default options.
    /// `where anomaly` keeps the points where this is true.
    public var alert: [Bool]?

    /// Creates a series without annotations.
    public init(metric: String, labels: Labels, kind: SeriesKind = .measurement, times: [Int64] = [],
                values: [Double] = [], outcomes: [UInt8]? = nil, reasons: [String?]? = nil) {
        self.metric = metric
        self.labels = labels
        self.kind = kind
        self.times = times
        self.values = values
        self.outcomes = outcomes
        self.reasons = reasons
    }

    /// A series holding the columns read for `ref`.
    public init(_ ref: SeriesRef, _ columns: SeriesColumns) {
        self.init(metric: ref.metric, labels: ref.labels, kind: ref.kind, times: columns.times,
                  values: columns.values, outcomes: columns.outcomes)
    }

    /// The number of points.
    public var count: Int { times.count }

    /// Whether the value at `index` is null.
    public func isNull(at index: Int) -> Bool { NullValue.isNull(values[index]) }

    /// The value at `index`, `nil` when null.
    public func value(at index: Int) -> Double? { NullValue.isNull(values[index]) ? nil : values[index] }

    /// The reason at `index`, if any.
    public func reason(at index: Int) -> String? { reasons?[index] ?? nil }
    /// The reason output shows for a point: its own, or for a null without one `no value recorded`.
    public func shownReason(at index: Int) -> String? {
        reason(at: index) ?? (isNull(at: index) ? NumberFormat.nullReason : nil)
    }

    /// The same identity with no points and no annotation columns.
    func emptied() -> ResultSeries {
        ResultSeries(metric: metric, labels: labels, kind: kind)
    }

    /// The points at `indices` (ascending), with every column kept.
    func selecting(_ indices: [Int]) -> ResultSeries {
        var s = self
        s.times = indices.map { times[$0] }
        s.values = indices.map { values[$0] }
        s.outcomes = outcomes.map { o in indices.map { o[$0] } }
        s.reasons = reasons.map { r in indices.map { r[$0] } }
        s.expected = expected.map { c in indices.map { c[$0] } }
        s.lower = lower.map { c in indices.map { c[$0] } }
        s.upper = upper.map { c in indices.map { c[$0] } }
        s.score = score.map { c in indices.map { c[$0] } }
        s.anomaly = anomaly.map { c in indices.map { c[$0] } }
        s.alert = alert.map { c in indices.map { c[$0] } }
        return s
    }

    /// The points at `range`, with every column kept.
    public func slice(_ range: Range<Int>) -> ResultSeries {
        if range == 0..<count { return self }
        return selecting(Array(range))
    }

    /// Whether `self` sorts before `other`: by metric, then labels.
    func sortsBefore(_ other: ResultSeries) -> Bool {
        metric != other.metric ? metric < other.metric : labels < other.labels
    }
}

/// Builds a series point by point (times ascending), with a reason column only when some point has a reason.
struct SeriesBuilder {
    var series: ResultSeries
    private var anyReason = false
    private var reasons: [String?] = []

    init(like template: ResultSeries) {
        series = template.emptied()
    }

    init(metric: String, labels: Labels, kind: SeriesKind = .measurement) {
        series = ResultSeries(metric: metric, labels: labels, kind: kind)
    }

    mutating func append(_ time: Int64, _ value: Double?, reason: String? = nil) {
        series.times.append(time)
        series.values.append(value ?? NullValue.value)
        reasons.append(reason)
        if reason != nil { anyReason = true }
    }

    func build() -> ResultSeries {
        var s = series
        s.reasons = anyReason ? reasons : nil
        return s
    }
}

/// The result of a query: series in a stable order.
///
/// Series come sorted by metric, then labels, except after `top`/`bottom`, which give rank order.
public struct QueryResult: Sendable {
    /// The series.
    public var series: [ResultSeries]
    /// The last bucket of a `bucket` stage, when it had not ended where the query's time ended (`now`, or the end
    /// of its range): its points summarise only part of their bucket (the week so far, on a Wednesday). `nil` without a `bucket` stage, or when the last bucket is whole.
    public var inProgress: InProgressBucket?
    /// The first bucket of the last `bucket` stage, when the range's start (a time written as such: `between
    /// 2024-05-01 and …`) cut it: its points summarise only the part after that start (``InProgressBucket/cutAtStart``).
    /// `nil` when the range starts on a bucket's start, or the result has no point in that bucket.
    public var partialFirst: InProgressBucket?

    /// Creates a result.
    public init(series: [ResultSeries], inProgress: InProgressBucket? = nil, partialFirst: InProgressBucket? = nil) {
        self.series = series
        self.inProgress = inProgress
        self.partialFirst = partialFirst
    }

    /// The buckets the query's time covers only part of: the first and the last.
    public var partialBuckets: PartialBuckets { PartialBuckets(first: partialFirst, last: inProgress) }

    /// The total number of points.
    public var pointCount: Int { series.reduce(0) { $0 + $1.count } }
}

/// A bucket the query's time covers only part of, so its points summarise only part of it: the last, when it had not
/// ended when the query ran (in progress) or the range's end cut it; or the first, when the range's start cut it.
public struct InProgressBucket: Sendable, Equatable {
    /// The bucket's start and end (exclusive): the points in between are in progress (a bucket's point is at
    /// its start; a forecast after it is not).
    public var start: Int64, end: Int64
    /// The bucket's width, as the query wrote it (`1w`).
    public var width: QueryDuration
    /// Whether the query's time ended at `now` inside the bucket (it is in progress); `false` when the end of the
    /// query's range cut it (a `between` or `until` in the past).
    public var endsAtNow: Bool
    /// Whether it is the first bucket, which the range's start cut (it began before the range).
    public var cutAtStart: Bool

    public init(start: Int64, end: Int64, width: QueryDuration, endsAtNow: Bool = true, cutAtStart: Bool = false) {
        self.start = start
        self.end = end
        self.width = width
        self.endsAtNow = endsAtNow && !cutAtStart
        self.cutAtStart = cutAtStart
    }

    /// Whether a point at `time` is in the bucket.
    public func contains(_ time: Int64) -> Bool { time >= start && time < end }

    /// The JSON key its points and bars carry: `in_progress`, or `partial` when the range's end cut it.
    public var jsonKey: String { endsAtNow ? "in_progress" : "partial" }

    /// How a table writes its value: `(in progress)` or `(partial)`.
    public var label: String { endsAtNow ? "(in progress)" : "(partial)" }

    /// The bucket of `bucketing` holding `readStart`, the start of the query's range, when it began before it.
    public static func first(of bucketing: Bucketing, readStart: Int64?) -> InProgressBucket? {
        guard let readStart else { return nil }
        let start = bucketing.start(of: readStart)
        guard start < readStart else { return nil }
        return InProgressBucket(start: start, end: bucketing.next(after: start), width: bucketing.width, endsAtNow: false,
                                cutAtStart: true)
    }

    /// The bucket of `bucketing` holding the last instant the query's time reaches (its range's end, at the latest
    /// `now`; `readEnd` exclusive), when that bucket had not ended there.
    public static func last(of bucketing: Bucketing, readEnd: Int64?, now: Int64) -> InProgressBucket? {
        let atNow = TimeRange.millisecond(at: now).upperBound
        let end = Swift.min(readEnd ?? .max, atNow)   // exclusive
        guard end > .min else { return nil }
        let start = bucketing.start(of: end - 1), bucketEnd = bucketing.next(after: start)
        guard bucketEnd > end else { return nil }
        return InProgressBucket(start: start, end: bucketEnd, width: bucketing.width, endsAtNow: end == atNow)
    }
}

/// The buckets a result's time covers only part of (``QueryResult/partialBuckets``): its first, which the range's
/// start cut, and its last, in progress or cut by the range's end.
public struct PartialBuckets: Sendable, Equatable {
    public var first: InProgressBucket?
    public var last: InProgressBucket?

    public init(first: InProgressBucket? = nil, last: InProgressBucket? = nil) {
        self.first = first
        self.last = last
    }

    /// The part buckets of `bucketing` where the query's time (`context`) begins and ends: the last, holding the
    /// last instant it reaches when that bucket had not ended there (``InProgressBucket/last(of:readEnd:now:)``);
    /// the first, holding the range's start when it began before it, unless it is also the last (a range within
    /// one bucket).
    public init(_ bucketing: Bucketing?, context: QueryContext) {
        guard let bucketing else { self.init(); return }
        let last = InProgressBucket.last(of: bucketing, readEnd: context.readEnd, now: context.now)
        let first = InProgressBucket.first(of: bucketing, readStart: context.from)
        self.init(first: first?.start == last?.start ? nil : first, last: last)
    }

    /// The one holding `time`, if either does.
    public func bucket(holding time: Int64) -> InProgressBucket? {
        if let last, last.contains(time) { return last }
        if let first, first.contains(time) { return first }
        return nil
    }

    /// Whether a point at `time` is in one of them.
    public func contains(_ time: Int64) -> Bool { bucket(holding: time) != nil }

    /// Both, first first.
    public var all: [InProgressBucket] { [first, last].compactMap { $0 } }
}
