import TallyStorage
/// Where the executor gets series and their points. The storage engine implements it; tests use an in-memory fake.
///
/// All time ranges are half-open: `from <= time < to`; `Int64.min` / `Int64.max` mean unbounded.
/// Every call returns whole columns (a batch), never point by point. Errors thrown here reach the caller of
/// `QueryExecutor.run` unchanged.
public protocol QueryDataSource {
    /// The series that `selector` selects, in any order (the executor sorts them by metric, then labels).
    ///
    /// Regex matchers must match the whole label value; a label the series lacks counts as `""`.
    /// `SelectorExpression.matches(metric:labels:)` is the reference behaviour.
    func matchSeries(_ selector: SelectorExpression) throws -> [SeriesRef]

    /// The points of `series` with `from <= time < to`, ascending by time.
    func read(_ series: SeriesRef, from: Int64, to: Int64) throws -> SeriesColumns

    /// The last `count` points of `series` with `from <= time < to` (fewer when there are fewer), ascending by time.
    ///
    /// Used for `latest` (`count == 1`), `last N` and `change`. The default implementation reads the whole range;
    /// storage should answer it from the end (last-point cache, reverse block iteration).
    func readLast(_ series: SeriesRef, count: Int, from: Int64, to: Int64) throws -> SeriesColumns

    /// Optional fast path for `bucket`: one point per non-empty bucket, stamped with the bucket's start, holding
    /// `aggregate` of the non-null values of the points with `from <= time < to` in that bucket (null when all
    /// are null; `count` gives the number of non-null values). Only asked for aggregates whose
    /// `isDecomposable` is true, so block statistics (count, sum, min, max, first, last) can answer it.
    ///
    /// Return `nil` to let the executor read the points and aggregate them itself (the default).
    func bucketAggregates(_ series: SeriesRef, from: Int64, to: Int64, bucketing: Bucketing,
                          aggregate: Aggregate) throws -> SeriesColumns?
}

extension QueryDataSource {
    /// Reads the whole range and keeps its last `count` points.
    public func readLast(_ series: SeriesRef, count: Int, from: Int64, to: Int64) throws -> SeriesColumns {
        let all = try read(series, from: from, to: to)
        return all.count <= count ? all : all.slice((all.count - count)..<all.count)
    }

    /// Declines: the executor aggregates the points itself.
    public func bucketAggregates(_ series: SeriesRef, from: Int64, to: Int64, bucketing: Bucketing,
                                 aggregate: Aggregate) throws -> SeriesColumns? { nil }
}

/// Evaluates the stages that belong to other modules: `anomalies …`, `forecast …` and `where anomaly`.
///
/// Without one, such a stage fails with a `QueryError` of kind `.stageUnavailable` at its position.
public protocol QueryStageExtension {
    /// Runs `stage` over the series produced by the stages before it.
    ///
    /// - Parameters:
    ///   - stage: The stage's name, its raw option text and its arguments with their positions; throw a
    ///     `QueryError` at an argument's `span` to report a bad option.
    ///   - span: The whole stage in the query text.
    ///   - input: The series so far.
    ///   - context: The query's `now` and time range.
    /// - Returns: The series after the stage; annotations go in `expected`, `lower`, `upper`, `score`, `anomaly`, `reasons`.
    func evaluate(_ stage: ExternalStage, span: SourceSpan, input: [ResultSeries],
                  context: QueryContext) throws -> [ResultSeries]
}

/// A `QueryStageExtension` made of a closure.
public struct ClosureStageExtension: QueryStageExtension {
    private let body: (ExternalStage, SourceSpan, [ResultSeries], QueryContext) throws -> [ResultSeries]

    /// Creates an extension that calls `body` for every extension stage.
    public init(_ body: @escaping (ExternalStage, SourceSpan, [ResultSeries], QueryContext) throws -> [ResultSeries]) {
        self.body = body
    }

    public func evaluate(_ stage: ExternalStage, span: SourceSpan, input: [ResultSeries],
                         context: QueryContext) throws -> [ResultSeries] {
        try body(stage, span, input, context)
    }
}

/// What every stage of one query run shares.
public struct QueryContext: Sendable {
    /// The query's `now`, epoch milliseconds; fixed for the whole run.
    public var now: Int64
    /// The lower bound from the `since`/`between` stages that directly follow the selector (`nil`: unbounded).
    public var from: Int64?
    /// The upper bound from the `until`/`between` stages that directly follow the selector (`nil`: unbounded).
    public var to: Int64?

    /// Where the query's reads end: `to`; for a `since` alone just after `now`, which the range includes; without
    /// a range, nil (every point).
    public var readEnd: Int64? {
        to ?? (from != nil ? TimeRange.millisecond(at: now).upperBound : nil)
    }

    /// Creates a context.
    public init(now: Int64, from: Int64? = nil, to: Int64? = nil) {
        self.now = now
        self.from = from
        self.to = to
    }
}
