import TallyStorage
import TallyEncoding
/// Limits that keep one query from exhausting the machine.
public struct QueryLimits: Sendable, Equatable {
    /// The most series a selector may match.
    public var maxSeries: Int
    /// The most points a query may read from the data source, over all its reads.
    public var maxPointsRead: Int
    /// The most points one series may get from `bucket … fill` (which makes points out of nothing).
    public var maxFilledPoints: Int
    /// The longest a query may read for (checked at each read of a series).
    public var maxDuration: Duration = .seconds(30)

    /// Creates limits; the defaults are 10,000 series, 50,000,000 points read and 1,000,000 filled points per series.
    public init(maxSeries: Int = 10_000, maxPointsRead: Int = 50_000_000, maxFilledPoints: Int = 1_000_000) {
        self.maxSeries = maxSeries
        self.maxPointsRead = maxPointsRead
        self.maxFilledPoints = maxFilledPoints
    }
}

/// Runs queries over a `QueryDataSource`.
///
/// ```swift
/// let executor = QueryExecutor(dataSource: StoreDataSource(store: store))   // StoreDataSource is in the Tally module
/// let result = try executor.run("row_count{dataset=\"orders\"} | since 30d | bucket 1d last", now: nowMillis)
/// print(result.json())
/// ```
///
/// The time-range stages (`since`, `until`, `between`) that directly follow the selector are pushed down to
/// the data source as the range of every read. A `last N`, `latest` or `change` right after them reads only the
/// tail of each series (`readLast`), and a `bucket` with a decomposable aggregate first asks the data source's
/// `bucketAggregates` fast path.
public struct QueryExecutor {
    /// Where series and points come from.
    public var dataSource: any QueryDataSource
    /// The limits of every run.
    public var limits: QueryLimits
    /// Evaluates `anomalies`, `forecast` and `where anomaly`; without it those stages fail.
    public var stageExtension: (any QueryStageExtension)?

    /// Creates an executor.
    public init(dataSource: any QueryDataSource, limits: QueryLimits = QueryLimits(),
                stageExtension: (any QueryStageExtension)? = nil) {
        self.dataSource = dataSource
        self.limits = limits
        self.stageExtension = stageExtension
    }

    /// Parses and runs a query.
    ///
    /// - Parameters:
    ///   - text: The query.
    ///   - now: The query's `now` in epoch milliseconds, fixed for the whole run.
    /// - Throws: `QueryError` for problems with the query or its limits; the data source's and the stage
    ///   extension's own errors unchanged.
    public func run(_ text: String, now: Int64) throws -> QueryResult {
        try run(try Parser.parse(text), now: now)
    }

    /// Runs a parsed query. See `run(_:now:)`.
    public func run(_ query: Query, now: Int64) throws -> QueryResult {
        for stage in query.stages { try stage.kind.validate(at: stage.span) }
        let refs = try dataSource.matchSeries(query.selector).sorted {
            $0.metric != $1.metric ? $0.metric < $1.metric : $0.labels < $1.labels
        }
        guard refs.count <= limits.maxSeries else {
            throw QueryError(.limitExceeded,
                             "the selector matched \(refs.count) series, more than the limit of \(limits.maxSeries); narrow it with more label matchers",
                             at: query.selectorSpan)
        }

        // The leading time-range stages become the range of every read.
        let (context, rangeStages) = try query.readContext(now: now)
        let from = context.from
        var next = rangeStages
        // A range with a start and no end reads up to `now`, which it includes: `since 30d` is the 30 days up to
        // now, also when `now` is set in the past (points after it have not happened yet, for this query).
        var reader = Reader(source: dataSource, limits: limits, span: query.selectorSpan,
                            from: from ?? .min, to: context.readEnd ?? .max)
        var series: [ResultSeries]
        let first = next < query.stages.count ? query.stages[next] : nil
        switch first?.kind {
        case .last(let n)?:
            series = try refs.map { ResultSeries($0, try reader.readLast($0, count: n)) }
            next += 1
        case .latest?:
            series = try refs.map { ResultSeries($0, try reader.readLast($0, count: 1)) }
            next += 1
        case .change(let spec)?:
            series = try refs.map { ResultSeries($0, try reader.tailForChange($0, spec)) }
        case .bucket(let spec)? where spec.aggregate.isDecomposable:
            let bucketing = Bucketing(width: spec.width)!
            series = try refs.map { ref in
                if let cols = try reader.bucketAggregates(ref, bucketing: bucketing, aggregate: spec.aggregate) {
                    var bucketed = ResultSeries(ref, SeriesColumns(times: cols.times, values: cols.values))
                    if cols.values.contains(where: NullValue.isNull) {
                        bucketed.reasons = cols.values.map { NullValue.isNull($0) ? "all values in the bucket are null" : nil }
                    }
                    return try fill(bucketed, spec, bucketing, context, span: first!.span)
                }
                return try bucket(ResultSeries(ref, try reader.read(ref)), spec, context, span: first!.span)
            }
            next += 1
        default:
            series = try refs.map { ResultSeries($0, try reader.read($0)) }
        }

        for stage in query.stages[next...] {
            series = try apply(stage, to: series, context: context)
        }
        let partial = PartialBuckets(query.bucketing(before: query.stages.count), context: context)
        return QueryResult(series: series, inProgress: Self.inProgress(partial.last, series: series),
                           partialFirst: Self.partialFirst(partial.first, series: series))
    }

    /// The first part bucket of the query's last `bucket` stage, when the result has points in it.
    static func partialFirst(_ bucket: InProgressBucket?, series: [ResultSeries]) -> InProgressBucket? {
        guard let bucket else { return nil }
        return series.contains { s in s.times.contains(where: bucket.contains) } ? bucket : nil
    }

    /// The last part bucket of the query's last `bucket` stage, unless the result has points after it (a query
    /// without a range reads points stored after `now`): its time did not end there.
    static func inProgress(_ bucket: InProgressBucket?, series: [ResultSeries]) -> InProgressBucket? {
        guard let bucket else { return nil }
        // Forecast points (no value, after the history) do not count: they are the future the query asked for.
        let later = series.contains { s in s.times.indices.contains { s.times[$0] >= bucket.end && !s.isNull(at: $0) } }
        return later ? nil : bucket
    }

    // MARK: - Stages

    private func apply(_ stage: Stage, to input: [ResultSeries], context: QueryContext) throws -> [ResultSeries] {
        let now = context.now
        switch stage.kind {
        case .since(let t):
            let from = t.resolve(now: now)
            return input.map { TimeRangeStage.range($0, from: from, to: .max) }
        case .until(let t):
            let to = t.resolve(now: now)
            return input.map { TimeRangeStage.range($0, from: .min, to: to) }
        case .between(let a, let b):
            let (from, to) = try Query.between(a, b, now: now, span: stage.span)
            return input.map { TimeRangeStage.range($0, from: from, to: to) }
        case .last(let n):
            return input.map { TimeRangeStage.last($0, n) }
        case .bucket(let spec):
            return try input.map { try bucket($0, spec, context, span: stage.span) }
        case .change(let spec):
            return input.map { ChangeStageEvaluator.evaluate($0, spec, now: now) }
        case .diff:
            return input.map(SequentialStages.diff)
        case .rolling(let n, let aggregate):
            return input.map { SequentialStages.rolling($0, window: n, aggregate: aggregate) }
        case .agg(let aggregate, let by):
            return CombineStage.evaluate(input, aggregate: aggregate, by: by)
        case .latest:
            return input.map(FilterStages.latest)
        case .whereValue(let op, let operand):
            return input.map { FilterStages.whereValue($0, op, operand) }.filter { $0.count > 0 }
        case .whereNull(let isNull):
            return input.map { FilterStages.whereNull($0, isNull) }.filter { $0.count > 0 }
        case .whereOutcome(let equal, let outcome):
            return input.map { FilterStages.whereOutcome($0, equal: equal, outcome) }.filter { $0.count > 0 }
        case .top(let n, let aggregate):
            return RankStage.evaluate(input, n: n, aggregate: aggregate, top: true)
        case .bottom(let n, let aggregate):
            return RankStage.evaluate(input, n: n, aggregate: aggregate, top: false)
        case .outcomes(let by):
            return OutcomesStage.evaluate(input, by: by)
        case .downsample(let n):
            return input.map { DownsampleStage.evaluate($0, maxPoints: n) }
        case .external(let external):
            guard let stageExtension else {
                let module = external.name == "forecast" ? "forecasting" : "anomaly detection"
                throw QueryError(.stageUnavailable,
                                 "the `\(external.name)` stage is not available: no \(module) module is connected to this query engine",
                                 at: stage.span)
            }
            return try stageExtension.evaluate(external, span: stage.span, input: input, context: context)
        }
    }

    private func bucket(_ s: ResultSeries, _ spec: BucketStage, _ context: QueryContext,
                        span: SourceSpan) throws(QueryError) -> ResultSeries {
        let bucketing = Bucketing(width: spec.width)!
        return try fill(BucketStageEvaluator.aggregate(s, bucketing: bucketing, aggregate: spec.aggregate),
                        spec, bucketing, context, span: span)
    }

    /// Fills a bucketed series between the query's range (when given) or its first and last bucket.
    private func fill(_ s: ResultSeries, _ spec: BucketStage, _ bucketing: Bucketing, _ context: QueryContext,
                      span: SourceSpan) throws(QueryError) -> ResultSeries {
        guard let mode = spec.fill else { return s }
        let end = context.readEnd
        // An empty range (`since` after `until`, or after `now`) has no buckets to fill.
        if let end, end <= (context.from ?? .min) { return s }
        let lower = context.from.map { bucketing.start(of: $0) }
        let upper = end.map { bucketing.start(of: $0 - 1) }
        let limit = limits.maxFilledPoints
        return try BucketStageEvaluator.fill(s, bucketing: bucketing, mode: mode, lower: lower, upper: upper,
                                             maxPoints: limit) {
            QueryError(.limitExceeded,
                       "`fill` would make more than \(limit) buckets for one series; use wider buckets or a shorter range",
                       at: span)
        }
    }
}

/// Reads through the data source within the query's range, counting points against the limit.
struct Reader {
    let source: any QueryDataSource
    let limits: QueryLimits
    let span: SourceSpan
    let from: Int64
    let to: Int64
    private(set) var pointsRead = 0
    private let started = ContinuousClock.now

    init(source: any QueryDataSource, limits: QueryLimits, span: SourceSpan, from: Int64, to: Int64) {
        self.source = source
        self.limits = limits
        self.span = span
        self.from = from
        self.to = to
    }

    private mutating func count(_ columns: SeriesColumns) throws(QueryError) -> SeriesColumns {
        pointsRead += columns.count
        guard pointsRead <= limits.maxPointsRead else {
            throw QueryError(.limitExceeded,
                             "the query read more than \(limits.maxPointsRead) points, the limit; narrow the selector or the time range (e.g. `| since 30d`)",
                             at: span)
        }
        guard ContinuousClock.now - started <= limits.maxDuration else {
            throw QueryError(.limitExceeded,
                             "the query ran longer than \(limits.maxDuration), the limit; narrow the selector or the time range",
                             at: span)
        }
        return columns
    }

    mutating func read(_ ref: SeriesRef) throws -> SeriesColumns {
        guard from < to else { return SeriesColumns() }
        return try count(try source.read(ref, from: from, to: to))
    }

    mutating func read(_ ref: SeriesRef, from a: Int64, to b: Int64) throws -> SeriesColumns {
        let lo = Swift.max(a, from), hi = Swift.min(b, to)
        guard lo < hi else { return SeriesColumns() }
        return try count(try source.read(ref, from: lo, to: hi))
    }

    mutating func readLast(_ ref: SeriesRef, count n: Int) throws -> SeriesColumns {
        guard from < to else { return SeriesColumns() }
        return try count(try source.readLast(ref, count: n, from: from, to: to))
    }

    mutating func bucketAggregates(_ ref: SeriesRef, bucketing: Bucketing, aggregate: Aggregate) throws -> SeriesColumns? {
        guard from < to else { return SeriesColumns() }
        return try source.bucketAggregates(ref, from: from, to: to, bucketing: bucketing, aggregate: aggregate)
            .map { (c: SeriesColumns) throws(QueryError) -> SeriesColumns in try count(c) }
    }

    /// Enough of the tail of a series for `change` to give the same answer as over the whole range.
    mutating func tailForChange(_ ref: SeriesRef, _ spec: ChangeStage) throws -> SeriesColumns {
        guard let need = ChangeStageEvaluator.pointsNeeded(spec.baseline) else {
            // Same day last week: the latest point, and the UTC day a week before its day.
            let latest = try readLast(ref, count: 1)
            guard let t = latest.times.last else { return latest }
            let week = CivilTime.day(-7, from: t)
            let day = try read(ref, from: week.from, to: week.to)
            return SeriesColumns(times: day.times + latest.times, values: day.values + latest.values,
                                 outcomes: day.outcomes.map { $0 + (latest.outcomes ?? [0]) })
        }
        var k = need + 1
        while true {
            let columns = try readLast(ref, count: k)
            if columns.count < k { return columns }
            let nonNull = (0..<(columns.count - 1)).reduce(0) { $0 + (columns.isNull(at: $1) ? 0 : 1) }
            if nonNull >= need { return columns }
            // Grow fourfold; past a quarter of the limit, ask for one more than the limit (which then trips it).
            k = k > limits.maxPointsRead / 4 ? (limits.maxPointsRead == .max ? .max : limits.maxPointsRead + 1) : k * 4
        }
    }
}
