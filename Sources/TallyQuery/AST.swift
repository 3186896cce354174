import TallyStorage

/// A parsed query: a selector, then stages applied in order.
public struct Query: Sendable {
    /// Which series the query starts from.
    public var selector: SelectorExpression
    /// Where the selector is in the text.
    public var selectorSpan: SourceSpan
    /// The stages, in the order they run.
    public var stages: [Stage]
    /// The query text.
    public var source: String

    /// Creates a query.
    public init(selector: SelectorExpression, selectorSpan: SourceSpan, stages: [Stage], source: String) {
        self.selector = selector
        self.selectorSpan = selectorSpan
        self.stages = stages
        self.source = source
    }
}

extension Query {
    /// The buckets of the nearest `bucket` stage before the stage at `index` (`stages.count`: before the end).
    public func bucketing(before index: Int) -> Bucketing? {
        for stage in stages[..<index].reversed() {
            if case .bucket(let spec) = stage.kind { return Bucketing(width: spec.width) }
        }
        return nil
    }

    /// The range the `since`, `until` and `between` stages right after the selector give every read of the query.
    public struct LeadingRange: Sendable, Equatable {
        /// The start (inclusive); `nil`: unbounded.
        public var from: Int64?
        /// The end (exclusive); `nil`: unbounded.
        public var to: Int64?
        /// Whether the start in force came from a `since` relative to `now` (`since 90d`).
        public var relativeStart: Bool
        /// How many stages make the range: the first stage after it is `stages[stageCount]`.
        public var stageCount: Int
    }

    /// The times of `between a and b` at `now`, `a` before `b`.
    ///
    /// - Throws: `QueryError` at `span` when the first time is not before the second.
    static func between(_ a: TimeExpression, _ b: TimeExpression, now: Int64,
                        span: SourceSpan) throws(QueryError) -> (Int64, Int64) {
        let x = a.resolve(now: now), y = b.resolve(now: now)
        guard x < y else {
            throw QueryError(.invalid, "`between` needs the first time (\(TimeText.format(x))) to be before the second (\(TimeText.format(y)))",
                             at: span)
        }
        return (x, y)
    }

    /// The context the query's stages run in at `now`: the range of its leading range stages, with a relative start
    /// moved to the start of the bucket holding it when a `bucket` follows; and how many stages make the range.
    ///
    /// A `bucket` right after a start relative to now (`since 90d`, `since now-2d`) begins at the start of the
    /// bucket holding it, so that the first bucket is whole: the first day is not the hours after a cutoff that
    /// only says when the query ran. A start written as a time (`since 2024-05-01T12:00`, `between`) is kept, as is
    /// a relative one with a stage that needs each point between it and the `bucket` (`rolling`, `diff`): the first
    /// bucket is then ``QueryResult/partialFirst``. Only a range of at least one bucket: `since 1h | bucket
    /// 1d` stays the last hour. So too when only stages that keep each point's time come between (`since 90d |
    /// outcomes | bucket 1w sum`, `| agg sum by (dataset)`, `| where …`): the outcome bars of a first week cut
    /// short read as a drop too.
    ///
    /// - Throws: `QueryError` for a `between` whose first time is not before its second.
    public func readContext(now: Int64) throws(QueryError) -> (context: QueryContext, rangeStages: Int) {
        let range = try leadingRange(now: now)
        var from = range.from
        let bucketAhead = stages[range.stageCount...].first { !$0.kind.keepsPointTimes }
        if let start = from, range.relativeStart, start <= now, case .bucket(let spec)? = bucketAhead?.kind,
           let bucketing = Bucketing(width: spec.width), bucketing.hasEnded(bucketHolding: start, by: now) {
            from = bucketing.start(of: start)
        }
        return (QueryContext(now: now, from: from, to: range.to), range.stageCount)
    }

    /// Whether the query's first stage is a `since`, `until` or `between`.
    public var startsWithRange: Bool {
        switch stages.first?.kind {
        case .since?, .until?, .between?: return true
        default: return false
        }
    }

    /// The range of the leading `since`, `until` and `between` stages at `now`, each narrowing the ones before.
    ///
    /// - Throws: `QueryError` for a `between` whose first time is not before its second.
    public func leadingRange(now: Int64) throws(QueryError) -> LeadingRange {
        var range = LeadingRange(from: nil, to: nil, relativeStart: false, stageCount: 0)
        rangeLoop: for stage in stages {
            switch stage.kind {
            case .since(let t):
                let start = t.resolve(now: now)
                if start >= (range.from ?? .min) { range.relativeStart = t.base == .now }
                range.from = Swift.max(range.from ?? .min, start)
            case .until(let t):
                range.to = Swift.min(range.to ?? .max, t.resolve(now: now))
            case .between(let a, let b):
                let (x, y) = try Self.between(a, b, now: now, span: stage.span)
                if x >= (range.from ?? .min) { range.relativeStart = false }
                range.from = Swift.max(range.from ?? .min, x)
                range.to = Swift.min(range.to ?? .max, y)
            default:
                break rangeLoop
            }
            range.stageCount += 1
        }
        return range
    }

    /// Whether a stage drops points by their values (`where …`, `where anomaly` included): then a series it leaves
    /// without points is left out of the result.
    public var hasWhere: Bool {
        stages.contains { stage in
            switch stage.kind {
            case .whereValue, .whereNull, .whereOutcome: return true
            case .external(let external): return external.name.hasPrefix("where")
            default: return false
            }
        }
    }
}

/// One stage of a query, with its place in the text.
public struct Stage: Sendable, Equatable {
    /// What the stage does.
    public var kind: StageKind
    /// From the stage's keyword to its last token.
    public var span: SourceSpan

    /// Creates a stage.
    public init(_ kind: StageKind, span: SourceSpan) {
        self.kind = kind
        self.span = span
    }
}

/// What a stage does. See docs/query-language.md for the exact meaning of each.
public enum StageKind: Sendable, Equatable {
    /// `since DURATION` (from `now - DURATION`) or `since TIME`: keep points with `time >= from`.
    case since(TimeExpression)
    /// `until TIME`: keep points with `time < to`.
    case until(TimeExpression)
    /// `between TIME and TIME`: keep points with `from <= time < to`.
    case between(TimeExpression, TimeExpression)
    /// `last N`: the last N points of each series.
    case last(Int)
    /// `bucket DURATION AGG [fill MODE]`.
    case bucket(BucketStage)
    /// `change …`: one point per series, the latest value against a baseline.
    case change(ChangeStage)
    /// `diff`: successive differences.
    case diff
    /// `rolling N AGG`: the aggregate of a trailing window of N points.
    case rolling(window: Int, aggregate: Aggregate)
    /// `agg AGG [by (label, ...)]`: combine series point-wise at equal timestamps.
    case agg(Aggregate, by: [String]?)
    /// `latest`: the last point of each series, even when its value is null.
    case latest
    /// `where value OP NUMBER`.
    case whereValue(Comparison, Double)
    /// `where value is null` (`true`) / `where value is not null` (`false`).
    case whereNull(Bool)
    /// `where outcome = "fail"` (`equal: true`) / `where outcome != "pass"` (`equal: false`).
    case whereOutcome(equal: Bool, CheckOutcome)
    /// `top N by AGG`.
    case top(Int, by: Aggregate)
    /// `bottom N by AGG`.
    case bottom(Int, by: Aggregate)
    /// `outcomes [by (label, ...)]`: outcome counts per scan time.
    case outcomes(by: [String]?)
    /// `downsample N`: at most N points per series (Largest-Triangle-Three-Buckets).
    case downsample(Int)
    /// A stage evaluated by an extension: `anomalies …`, `forecast …`, `where anomaly`.
    case external(ExternalStage)

    /// Whether the stage keeps each point at its time and judges it on its own (or with the points of other series
    /// at the same time): what comes after it sees the same times the range read.
    var keepsPointTimes: Bool {
        switch self {
        case .outcomes, .agg, .whereValue, .whereNull, .whereOutcome: return true
        default: return false
        }
    }
}

/// A time in a query: `now` or a literal, moved by durations (`now-7d`, `2024-05-01+12h`).
public struct TimeExpression: Sendable, Equatable {
    /// What the expression starts from.
    public enum Base: Sendable, Equatable {
        /// The query's evaluation time, fixed once per query.
        case now
        /// A literal time, epoch milliseconds.
        case absolute(Int64)
    }

    /// A signed duration added to the base.
    public struct Adjustment: Sendable, Equatable {
        /// `true` for `-`.
        public var subtract: Bool
        /// The duration.
        public var duration: QueryDuration

        /// Creates an adjustment.
        public init(subtract: Bool, duration: QueryDuration) {
            self.subtract = subtract
            self.duration = duration
        }
    }

    /// What the expression starts from.
    public var base: Base
    /// The durations added or subtracted, left to right.
    public var adjustments: [Adjustment]

    /// Creates a time expression.
    public init(base: Base, adjustments: [Adjustment] = []) {
        self.base = base
        self.adjustments = adjustments
    }

    /// The time in epoch milliseconds, given the query's `now`.
    public func resolve(now: Int64) -> Int64 {
        var t: Int64
        switch base {
        case .now: t = now
        case .absolute(let v): t = v
        }
        for a in adjustments {
            t = a.subtract ? a.duration.subtracted(from: t) : a.duration.added(to: t)
        }
        return t
    }

    /// Whether the expression depends on `now`.
    public var isRelative: Bool { base == .now }
}

/// `bucket DURATION AGG [fill MODE]`.
public struct BucketStage: Sendable, Equatable {
    /// The bucket width.
    public var width: QueryDuration
    /// How the points of a bucket are combined.
    public var aggregate: Aggregate
    /// How absent buckets are filled; `nil` leaves them absent.
    public var fill: FillMode?

    /// Creates a bucket stage.
    public init(width: QueryDuration, aggregate: Aggregate, fill: FillMode? = nil) {
        self.width = width
        self.aggregate = aggregate
        self.fill = fill
    }
}

/// How `bucket … fill` fills buckets that hold no points.
public enum FillMode: String, Sendable, Equatable, CaseIterable {
    /// 0.
    case zero
    /// The last non-null bucket value before it.
    case previous
    /// Linear interpolation between the nearest non-null buckets on either side.
    case linear
    /// A null value.
    case null
}

/// `change …`.
public struct ChangeStage: Sendable, Equatable {
    /// What the latest value is compared with.
    public enum Baseline: Sendable, Equatable {
        /// The last non-null value before the latest point (`change`).
        case previous
        /// The average of the N non-null values before the latest point (`change avg last N`).
        case average(Int)
        /// Their minimum (`change min last N`).
        case minimum(Int)
        /// Their maximum (`change max last N`).
        case maximum(Int)
        /// The last non-null value on the UTC day 7 days before the latest point's day (`change same day last week`).
        case sameDayLastWeek
    }

    /// What the latest value is compared with.
    public var baseline: Baseline
    /// Whether the change is given in percent of the baseline.
    public var percent: Bool

    /// Creates a change stage.
    public init(baseline: Baseline, percent: Bool = false) {
        self.baseline = baseline
        self.percent = percent
    }
}

/// A comparison operator of `where value`.
public enum Comparison: String, Sendable, Equatable, CaseIterable {
    case less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">=", equal = "=", notEqual = "!="

    /// Whether `a OP b` holds (false for NaN operands, as IEEE comparisons are).
    public func holds(_ a: Double, _ b: Double) -> Bool {
        switch self {
        case .less: return a < b
        case .lessOrEqual: return a <= b
        case .greater: return a > b
        case .greaterOrEqual: return a >= b
        case .equal: return a == b
        case .notEqual: return a != b && !a.isNaN && !b.isNaN
        }
    }
}

/// A check outcome as the query language names it: the store's ``Outcome``.
public typealias CheckOutcome = Outcome

extension Outcome {
    /// The name used in queries and output: `pass`, `warn`, `fail`, `error`, `not_evaluated`.
    public var name: String { description }

    /// The outcome with exactly that name (queries spell outcomes one way only).
    public init?(name: String) {
        guard let o = Outcome.allCases.first(where: { $0.name == name }) else { return nil }
        self = o
    }
}

/// A stage that another module evaluates (`anomalies`, `forecast`, `where anomaly`).
///
/// The parser keeps the stage's option text as written, and also splits it into arguments:
/// `anomalies method=seasonal sensitivity=3` has the raw text `method=seasonal sensitivity=3` and the arguments
/// `method`=`seasonal`, `sensitivity`=`3`; `forecast 14d` has one positional argument `14d`.
public struct ExternalStage: Sendable, Equatable {
    /// `anomalies`, `forecast` or `where anomaly`.
    public var name: String
    /// The options as written (comments removed, whitespace runs collapsed to one space).
    public var options: String
    /// Where the options are; `nil` when there are none.
    public var optionsSpan: SourceSpan?
    /// The options split into `key=value` and positional arguments.
    public var arguments: [Argument]

    /// One option: `key=value`, or a positional value (`key == nil`).
    public struct Argument: Sendable, Equatable {
        /// The key, for `key=value`.
        public var key: String?
        /// The value as written (strings without quotes).
        public var value: String
        /// Where the argument is.
        public var span: SourceSpan

        /// Creates an argument.
        public init(key: String?, value: String, span: SourceSpan) {
            self.key = key
            self.value = value
            self.span = span
        }
    }

    /// Creates an external stage.
    public init(name: String, options: String, optionsSpan: SourceSpan?, arguments: [Argument]) {
        self.name = name
        self.options = options
        self.optionsSpan = optionsSpan
        self.arguments = arguments
    }
}
