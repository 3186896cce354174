import TallyAnalysis
import TallyQuery
import TallyStorage

/// Where the anomaly stages find people's verdicts on points (`tally feedback`).
public protocol AnomalyFeedbackSource {
    /// The verdicts on the series with this metric and labels, with times in `from ..< to`.
    func feedback(metric: String, labels: Labels, from: Int64, to: Int64) throws -> [(time: Int64, verdict: FeedbackVerdict)]
}

/// The verdicts a store keeps (`Store.setFeedback`), found by the series' key.
public struct StoreFeedbackSource: AnomalyFeedbackSource {
    public let store: Store

    public init(store: Store) {
        self.store = store
    }

    public func feedback(metric: String, labels: Labels, from: Int64, to: Int64) throws -> [(time: Int64, verdict: FeedbackVerdict)] {
        guard let info = store.series(key: SeriesKey(metric: metric, labels: Array(labels))) else { return [] }
        return try store.feedback(series: [info.id], in: TimeRange(from: from, to: to)).map { ($0.time, $0.verdict) }
    }
}

/// Evaluates the query stages of the analysis module — `anomalies [OPTIONS]`, `forecast HORIZON [OPTIONS]` and
/// `where anomaly` (the points whose `alert` is true) — with the detectors of TallyAnalysis (docs/anomaly-detection.md, docs/query-language.md).
///
/// **Walk forward, with history.** Every point's verdict uses only earlier points, and the displayed range is
/// not where a series starts: before running the detector, the extension reads each series' history before
/// its first displayed point — by running the stages before `anomalies` again over an earlier range (so
/// `bucket 1d avg | anomalies` learns from daily averages), or, without the query, by reading the stored series
/// with the same metric and labels. The history starts on a fixed grid (multiples of the look-back since the
/// epoch) at least `lookback` before the displayed range, so that a range and a longer range containing it
/// walk the same points and give their common points the same verdicts.
///
/// Null values are skipped (the detector never sees them; their annotations are null). People's verdicts
/// (`expected`, `anomaly`, `exclude`) are passed to the detector for the points they name.
public struct AnomalyStageExtension: QueryStageExtension {
    /// Where series are read.
    public var dataSource: any QueryDataSource
    /// Where verdicts come from (none: the detector judges alone).
    public var feedbackSource: (any AnomalyFeedbackSource)?
    /// The query being run, so that the history goes through the same stages; nil: raw stored history.
    public var query: Query?
    /// Limits for the history reads.
    public var limits: QueryLimits
    /// `Store.check`'s latest-point mode: `anomalies` outputs, for each series, only its latest point at or before
    /// the query's `now`, annotated as the full stage annotates it, and walks only up to that point (the detector
    /// is walk-forward, so the verdict is the same). Only for a query whose single `anomalies` stage is its last.
    var latestOnly = false

    /// History read before the displayed range: 365 days (or `training` when that is longer).
    public static let defaultLookback: Int64 = 365 * 86_400_000
    /// At most this many history points per series (the most recent).
    public static let maxHistoryPoints = 20_000
    /// At most this many forecast points per series.
    public static let maxForecastPoints = 10_000

    /// An extension over a store: its series, its verdicts.
    ///
    /// - Parameter query: the query being run (pass it so that history goes through the stages before
    ///   `anomalies`; `Store.query` does).
    public init(store: Store, query: Query? = nil, limits: QueryLimits = QueryLimits()) {
        self.init(dataSource: StoreDataSource(store: store), feedback: StoreFeedbackSource(store: store), query: query,
                  limits: limits)
    }

    /// An extension over any data source.
    public init(dataSource: any QueryDataSource, feedback: (any AnomalyFeedbackSource)? = nil, query: Query? = nil,
                limits: QueryLimits = QueryLimits()) {
        self.dataSource = dataSource
        self.feedbackSource = feedback
        self.query = query
        self.limits = limits
    }

    public func evaluate(_ stage: ExternalStage, span: SourceSpan, input: [ResultSeries],
                         context: QueryContext) throws -> [ResultSeries] {
        switch stage.name {
        case "anomalies":
            let options = try Self.options(stage.arguments, stage: stage, span: span)
            let partial = PartialBuckets(precedingBucketing(before: span), context: context)
            let annotated = try annotate(input, options: options, span: span, context: context, partial: partial)
            guard !partial.all.isEmpty else { return annotated }
            return annotated.map { Self.leavingPartialBucketsUnjudged($0, partial, now: context.now) }
        case "forecast":
            guard let first = stage.arguments.first, first.key == nil else {
                throw QueryError(.invalid, "`forecast` needs a horizon first: a duration such as `14d`, or a number of points",
                                 at: stage.arguments.first?.span ?? span)
            }
            let horizon = try Self.horizon(first)
            let options = try Self.options(Array(stage.arguments.dropFirst()), stage: stage, span: span)
            return try forecast(input, horizon: horizon, options: options, span: span, context: context)
        case "where anomaly":
            if let extra = stage.arguments.first {
                throw QueryError(.syntax, "`where anomaly` takes no options; expected `|` or the end of the query",
                                 at: extra.span)
            }
            return try Self.keepAnomalies(input, span: span)
        default:
            throw QueryError(.stageUnavailable, "the `\(stage.name)` stage is not known to the analysis module", at: span)
        }
    }

    // MARK: - Options

    /// Parses `key=value` arguments into detector options; an error points at the argument that caused it.
    static func options(_ arguments: [ExternalStage.Argument], stage: ExternalStage,
                        span: SourceSpan) throws(QueryError) -> AnomalyOptions {
        func text(_ a: ExternalStage.Argument) -> String { a.key.map { "\($0)=\(a.value)" } ?? a.value }
        var parsed = AnomalyOptions()
        // Parse growing prefixes: the first prefix that fails names the culprit (an unknown option, a bad
        // value, an option given twice).
        for k in arguments.indices {
            do throws(AnomalyOptionsError) {
                parsed = try AnomalyOptions.parse(arguments[...k].map(text).joined(separator: " "))
            } catch {
                // A misspelt option (`sensitivty=3`) gets the nearest one.
                let suggestion = error.kind == .unknownOption
                    ? Suggestions.nearest(to: error.option, in: AnomalyOptions.optionNames) : nil
                throw QueryError(.invalid, "`\(stage.name)`: \(error.message)", at: arguments[k].span, suggestion: suggestion)
            }
        }
        return parsed
    }

    /// A forecast horizon: a duration (`14d`, `1mo`) or a number of points (`30`, `30p`).
    enum Horizon {
        case duration(QueryDuration)
        case points(Int)
    }

    static func horizon(_ argument: ExternalStage.Argument) throws(QueryError) -> Horizon {
        if let n = parsePointCount(argument.value) {
            guard n > 0 else {
                throw QueryError(.invalid, "the forecast horizon must be at least 1 point", at: argument.span)
            }
            guard n <= maxForecastPoints else {
                throw QueryError(.invalid, "the forecast horizon is at most \(formatNumber(Double(maxForecastPoints), significant: 6)) points, found \(n)",
                                 at: argument.span)
            }
            return .points(n)
        }
        guard let d = try? QueryDuration(parsing: argument.value), !d.isZero, d.months >= 0, d.milliseconds >= 0 else {
            throw QueryError(.invalid, "expected a forecast horizon such as `14d`, `12w` or `30` (points), found `\(argument.value)`",
                             at: argument.span)
        }
        return .duration(d)
    }

    // MARK: - anomalies

    func annotate(_ input: [ResultSeries], options: AnomalyOptions, span: SourceSpan,
                  context: QueryContext, partial: PartialBuckets) throws -> [ResultSeries] {
        let history = try histories(for: input, stageSpan: span, context: context, training: options.training)
        let detector = AnomalyDetector(options: options)
        if latestOnly {
            // The latest point a check judges: after a `bucket`, the latest whole bucket.
            return try input.map { try annotateLatest($0, history: history[SeriesIdentity($0)], detector: detector,
                                                      now: context.now, partial: partial) }
        }
        return try input.map { s in
            var out = s
            // A first bucket the range's start cut is no evidence: it neither trains the model nor raises an alert.
            let walk = try self.walk(Self.withoutValues(in: partial.first, s), history: history[SeriesIdentity(s)])
            let null = columnValue(nil)
            var expected = [Double](repeating: null, count: s.count)
            var lower = expected, upper = expected, score = expected
            var anomaly = [Bool](repeating: false, count: s.count)
            var alert = anomaly
            var reasons: [String?] = s.reasons ?? [String?](repeating: nil, count: s.count)
            if !walk.times.isEmpty {
                let r = detector.detect(times: walk.times, values: walk.values, feedback: walk.feedback)
                for i in 0..<s.count {
                    let k = walk.indexOfInput[i]
                    guard k >= 0 else { continue }
                    expected[i] = Self.cell(r.expected[k])
                    lower[i] = Self.cell(r.lower[k])
                    upper[i] = Self.cell(r.upper[k])
                    score[i] = Self.cell(r.score[k])
                    anomaly[i] = r.anomaly[k]
                    alert[i] = r.alert[k]
                    reasons[i] = r.reason(at: k)
                }
            }
            out.expected = expected
            out.lower = lower
            out.upper = upper
            out.score = score
            out.anomaly = anomaly
            out.alert = alert
            out.reasons = reasons.contains { $0 != nil } ? reasons : nil
            return out
        }
    }

    /// The latest point of `s` at or before `now` (a series without points when there is none), with the columns
    /// `annotate` gives it — walking the history and the displayed points only up to that point, and building one
    /// reason. The detector is walk-forward (a verdict, and the alert column, use only the point and the points
    /// before it), so this equals the point's row in the fully annotated series. A point in a bucket of `partial`
    /// is not judged: the latest point before it is.
    func annotateLatest(_ s: ResultSeries, history: HistoryColumns?, detector: AnomalyDetector,
                        now: Int64, partial: PartialBuckets) throws -> ResultSeries {
        var out = ResultSeries(metric: s.metric, labels: s.labels, kind: s.kind)
        let null = columnValue(nil)
        let judged = Store.latestJudgedIndex(s, now: now, partial: partial)
        guard let i = judged ?? s.times.lastIndex(where: { $0 <= now }) else { return out }
        out.times = [s.times[i]]
        out.values = [s.values[i]]
        out.outcomes = s.outcomes.map { [$0[i]] }
        if judged == nil, !partial.all.isEmpty {
            // No bucket is whole: the part one is kept, unjudged, as the full walk leaves it.
            // (`evaluate` gives it its reason, as for the full walk.)
            out.expected = [null]; out.lower = [null]; out.upper = [null]; out.score = [null]
            out.anomaly = [false]; out.alert = [false]
            return out
        }
        var expected = null, lower = null, upper = null, score = null
        var anomaly = false, alert = false
        var reason = s.reason(at: i)
        if !s.isNull(at: i) {
            let walk = try self.walk(Self.withoutValues(in: partial.first, s), history: history, through: i)
            let k = walk.indexOfInput[i]
            if k >= 0 {
                let r = detector.detect(times: walk.times, values: walk.values, feedback: walk.feedback)
                expected = Self.cell(r.expected[k])
                lower = Self.cell(r.lower[k])
                upper = Self.cell(r.upper[k])
                score = Self.cell(r.score[k])
                anomaly = r.anomaly[k]
                alert = r.alert[k]
                reason = r.reason(at: k)
            }
        }
        out.expected = [expected]
        out.lower = [lower]
        out.upper = [upper]
        out.score = [score]
        out.anomaly = [anomaly]
        out.alert = [alert]
        out.reasons = reason.map { [$0] }
        return out
    }

    /// The buckets of the nearest `bucket` stage before the stage at `span`, if there is one.
    func precedingBucketing(before span: SourceSpan) -> Bucketing? {
        guard let query, let index = query.stages.firstIndex(where: { $0.span == span }) else { return nil }
        return query.bucketing(before: index)
    }

    /// `s` with the values of the points in `bucket` made null, for a walk: a part of a bucket trains nothing and
    /// raises no alert (the result keeps the values; only the detector does not see them).
    static func withoutValues(in bucket: InProgressBucket?, _ s: ResultSeries) -> ResultSeries {
        guard let bucket, s.times.contains(where: bucket.contains) else { return s }
        var out = s
        for i in s.times.indices where bucket.contains(s.times[i]) { out.values[i] = columnValue(nil) }
        return out
    }

    /// `s` with the verdict taken off the points of `partial`'s buckets: the last point at or before `now` when it
    /// is in the last bucket (one that had not ended by `now`, today's `bucket 1d` hours into the day, or one the
    /// range's end cut), and the points in the first bucket when the range's start cut it. A part of a bucket is
    /// no evidence about the whole: judging it made a morning check fail every day, and a first week of four days
    /// read as a drop. Its reason says so; `tally check` judges the latest whole bucket, and lists a part one as
    /// not judged when there is no whole one.
    static func leavingPartialBucketsUnjudged(_ s: ResultSeries, _ partial: PartialBuckets, now: Int64) -> ResultSeries {
        var indices: [(Int, String)] = []
        if let bucket = partial.last, let i = s.times.lastIndex(where: { $0 <= now }), bucket.contains(s.times[i]) {
            indices.append((i, bucket.endsAtNow ? "bucket in progress until \(TimeText.format(bucket.end)): not judged"
                               : "partial bucket (the range ends before it does, at \(TimeText.format(bucket.end))): not judged"))
        }
        if let bucket = partial.first {
            for i in s.times.indices where bucket.contains(s.times[i]) && !indices.contains(where: { $0.0 == i }) {
                indices.append((i, "partial bucket (it began at \(TimeText.format(bucket.start)), before the range): not judged"))
            }
        }
        guard !indices.isEmpty else { return s }
        var out = s
        let null = columnValue(nil)
        var reasons = out.reasons ?? [String?](repeating: nil, count: out.count)
        for (i, reason) in indices {
            for column in [\ResultSeries.expected, \.lower, \.upper, \.score] where out[keyPath: column] != nil {
                out[keyPath: column]![i] = null
            }
            out.anomaly?[i] = false
            out.alert?[i] = false
            reasons[i] = reason
        }
        out.reasons = reasons
        return out
    }

    /// A column cell: NaN (cold start) and the infinite side of a one-directional range become null.
    static func cell(_ v: Double) -> Double { v.isFinite ? v : columnValue(nil) }

    // MARK: - forecast

    func forecast(_ input: [ResultSeries], horizon: Horizon, options: AnomalyOptions, span: SourceSpan,
                  context: QueryContext) throws -> [ResultSeries] {
        let history = try histories(for: input, stageSpan: span, context: context, training: options.training)
        let detector = AnomalyDetector(options: options)
        let partial = PartialBuckets(precedingBucketing(before: span), context: context)
        let bucket = partial.last
        return try input.map { full in
            // The last point of a bucket in progress (this week so far) is no evidence of the whole: the forecast is
            // made from the whole buckets, and gives the bucket in progress its expected value and range as well.
            // (As the result marks it: the bucket holding the end of the query's time, `now` or its range's end.)
            var open: Int?
            if let bucket, let i = full.times.indices.last, bucket.contains(full.times[i]) { open = i }
            let s = open.map { full.slice(0..<$0) } ?? full
            // Nor is a first bucket the range's start cut: the forecast is fitted on the whole buckets.
            let walk = try self.walk(Self.withoutValues(in: partial.first, s), history: history[SeriesIdentity(s)])
            guard walk.times.count >= 2, let last = walk.times.last else {
                return Self.noting(full, "no forecast: needs more points with values")
            }
            // Forecast points follow the series' last point, a null one (a scan that recorded no value) included;
            // the walk ends at the last value, so the detector is asked for the steps in between as well.
            let seriesLast = Swift.max(s.times.last ?? last, last)
            let step = Self.typicalStep(walk.times)
            // Two more than the typical step says: the detector's own step may be a little shorter.
            let behind = step > 0 ? Int(Swift.min(seriesLast.subtractingReportingOverflow(last).partialValue / step,
                                                  Int64(Self.maxForecastPoints))) + 2 : 0
            // The horizon counts from the series' last point, a bucket in progress included; the detector steps from
            // the last whole one, so the bucket in progress takes one of its steps.
            let horizonStart = Swift.max(full.times.last ?? seriesLast, seriesLast)
            let openSteps = open == nil ? 0 : 1
            // The detector's steps: the new points, and the bucket in progress's step before them.
            let count: Int
            var end = Int64.max
            switch horizon {
            case .points(let n):
                count = n + openSteps
            case .duration(let d):
                end = d.added(to: horizonStart)
                guard step > 0 else { return full }
                let (gap, overflow) = end.subtractingReportingOverflow(seriesLast)
                let points = overflow ? Int64.max : Swift.max(1, gap / step)
                guard points <= Int64(Self.maxForecastPoints) else {
                    throw QueryError(.invalid, "`forecast \(d)` is \(points) points at the typical step of \(SeriesKey(metric: s.metric, labels: s.labels.pairs)) "
                                     + "(\(QueryDuration(milliseconds: step))), more than the limit of "
                                     + "\(formatNumber(Double(Self.maxForecastPoints), significant: 6)); use a shorter horizon", at: span)
                }
                count = Int(points)
            }
            let f = detector.forecast(times: walk.times, values: walk.values, feedback: walk.feedback, horizon: count + behind)
            guard !f.times.isEmpty else {
                // Too little history: no points are made up; the last point says why there is no forecast.
                guard f.needed > 0 else { return full }
                return Self.noting(full, "no forecast: needs \(f.needed) more point\(f.needed == 1 ? "" : "s")")
            }
            let reason = "forecast" + (f.model.map { "; " + $0.summary } ?? "")
            var out = full
            let null = columnValue(nil)
            let n = full.count
            var expected = full.expected ?? [Double](repeating: null, count: n)
            var lower = full.lower ?? [Double](repeating: null, count: n)
            var upper = full.upper ?? [Double](repeating: null, count: n)
            var reasons = full.reasons ?? [String?](repeating: nil, count: n)
            var added = 0
            // The bucket in progress takes the forecast step nearest its start (the detector steps from the last
            // whole bucket by its typical step, which months or irregular buckets need not hit exactly).
            // The forecast points follow it: after the step it took, and after its bucket (a month's step of 31 days
            // from the 1st of February falls inside March).
            var after = horizonStart, from = 0
            if let open, let bucket, let j = f.times.indices.min(by: { abs(timeGap(f.times[$0], full.times[open])) < abs(timeGap(f.times[$1], full.times[open])) }),
               step <= 0 || abs(timeGap(f.times[j], full.times[open])) <= step / 2 {
                expected[open] = Self.cell(f.expected[j])
                lower[open] = Self.cell(f.lower[j])
                upper[open] = Self.cell(f.upper[j])
                reasons[open] = "bucket in progress; the whole bucket's " + reason
                from = j + 1
                after = Swift.max(after, bucket.end - 1)
            }
            for j in f.times.indices.dropFirst(from) where f.times[j] <= end && f.times[j] > after && added < count - openSteps {
                added += 1
                out.times.append(f.times[j])
                out.values.append(null)
                expected.append(Self.cell(f.expected[j]))
                lower.append(Self.cell(f.lower[j]))
                upper.append(Self.cell(f.upper[j]))
                reasons.append(reason)
                out.outcomes?.append(0)
                out.score?.append(null)
                out.anomaly?.append(false)
                out.alert?.append(false)
            }
            out.expected = expected
            out.lower = lower
            out.upper = upper
            out.reasons = reasons
            return out
        }
    }

    /// `s` with `note` after the reason of its last point (a null's own reason, `no value recorded`, kept).
    static func noting(_ s: ResultSeries, _ note: String) -> ResultSeries {
        guard s.count > 0 else { return s }
        var out = s
        var reasons = s.reasons ?? [String?](repeating: nil, count: s.count)
        let last = s.count - 1
        let own = s.shownReason(at: last)
        reasons[last] = own.map { $0 + "; " + note } ?? note
        out.reasons = reasons
        return out
    }

    /// The median gap between successive times (of the last 1,000).
    static func typicalStep(_ times: [Int64]) -> Int64 {
        guard times.count >= 2 else { return 0 }
        let start = Swift.max(1, times.count - 1000)
        var gaps = (start..<times.count).map { times[$0] - times[$0 - 1] }.filter { $0 > 0 }
        guard !gaps.isEmpty else { return 0 }
        gaps.sort()
        return gaps[gaps.count / 2]
    }

    // MARK: - where anomaly

    /// `where anomaly`: the points that raise an alert — the `alert` column, which is the `anomaly` column unless
    /// `anomalies` was given `refractory=` or `likelihood=on` (a series with only an `anomaly` column, built by
    /// another extension, is filtered on that).
    static func keepAnomalies(_ input: [ResultSeries], span: SourceSpan) throws(QueryError) -> [ResultSeries] {
        var out: [ResultSeries] = []
        for s in input {
            guard let flags = s.alert ?? s.anomaly else {
                throw QueryError(.invalid, "`where anomaly` needs an `anomalies` stage before it, e.g. `... | anomalies | where anomaly`",
                                 at: span)
            }
            let kept = flags.indices.filter { flags[$0] }
            if !kept.isEmpty { out.append(select(s, kept)) }
        }
        return out
    }

    /// The points at `indices`, with every column.
    static func select(_ s: ResultSeries, _ indices: [Int]) -> ResultSeries {
        var r = s
        r.times = indices.map { s.times[$0] }
        r.values = indices.map { s.values[$0] }
        r.outcomes = s.outcomes.map { c in indices.map { c[$0] } }
        r.reasons = s.reasons.map { c in indices.map { c[$0] } }
        r.expected = s.expected.map { c in indices.map { c[$0] } }
        r.lower = s.lower.map { c in indices.map { c[$0] } }
        r.upper = s.upper.map { c in indices.map { c[$0] } }
        r.score = s.score.map { c in indices.map { c[$0] } }
        r.anomaly = s.anomaly.map { c in indices.map { c[$0] } }
        r.alert = s.alert.map { c in indices.map { c[$0] } }
        return r
    }

    // MARK: - The walk

    /// What the detector walks for one series: its history, then its non-null displayed points.
    struct Walk {
        var times: [Int64] = []
        var values: [Double] = []
        var feedback: [Feedback]?
        /// For each displayed point, its index in the walk (-1 for a null point).
        var indexOfInput: [Int] = []
    }

    /// The walk of `s` after its history: its non-null displayed points, in order, up to and including point
    /// `through` (all of them when nil), and the verdicts on the walked points.
    func walk(_ s: ResultSeries, history: HistoryColumns?, through: Int? = nil) throws -> Walk {
        var w = Walk()
        if let history {
            w.times = history.times
            w.values = history.values
        }
        w.indexOfInput = [Int](repeating: -1, count: s.count)
        let end = through.map { Swift.min($0 + 1, s.count) } ?? s.count
        for i in 0..<end where !s.isNull(at: i) {
            if let last = w.times.last, s.times[i] <= last { continue }   // never out of order
            w.indexOfInput[i] = w.times.count
            w.times.append(s.times[i])
            w.values.append(s.values[i])
        }
        if let source = feedbackSource, let first = w.times.first, let last = w.times.last {
            let verdicts = try source.feedback(metric: s.metric, labels: s.labels, from: first, to: last + 1)
            if !verdicts.isEmpty {
                var byTime: [Int64: Feedback] = [:]
                for v in verdicts { byTime[v.time] = Feedback(v.verdict) }
                w.feedback = w.times.map { byTime[$0] ?? Feedback.none }
            }
        }
        return w
    }
}

extension Feedback {
    /// The detector's feedback for a stored verdict.
    public init(_ verdict: FeedbackVerdict) {
        switch verdict {
        case .expected: self = .expected
        case .anomaly: self = .anomaly
        case .exclude: self = .exclude
        }
    }
}

/// A series' identity in query results: metric and labels.
struct SeriesIdentity: Hashable {
    var metric: String
    var labels: Labels

    init(_ s: ResultSeries) {
        metric = s.metric
        labels = s.labels
    }
}
