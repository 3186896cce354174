import TallyAnalysis
import TallyQuery
import TallyStorage

/// A series a check report names: by metric and labels.
public protocol CheckReportSeries {
    var metric: String { get }
    var labels: Labels { get }
}

extension CheckReportSeries {
    /// `metric{labels}` as selectors write it.
    public var seriesText: String { SeriesKey(metric: metric, labels: Array(labels)).description }
}

/// What `Store.check` found: the query as run, and the points that make the check fail.
public struct AnomalyCheckReport: Sendable {
    /// How the result decides the check.
    public enum Mode: String, Sendable {
        /// The check fails when the latest point (at or before `now`) of any series raises an alert (the `alert`
        /// column: the `anomaly` flag, unless `anomalies` has `refractory=` or `likelihood=on`).
        case latestPoint = "latest_point"
        /// The query has a `where`: the check fails when any point remains.
        case anyPoint = "any_point"
    }

    /// One point that fails the check.
    public struct Finding: Sendable, CheckReportSeries {
        public var metric: String
        public var labels: Labels
        public var time: Int64
        /// The value (nil for null).
        public var value: Double?
        /// The expected value and range (nil when the point has none: cold start, no `anomalies` stage).
        public var expected: Double?
        public var lower: Double?
        public var upper: Double?
        public var score: Double?
        /// Whether the detector flagged the point (nil without an `anomalies` stage).
        public var anomaly: Bool?
        /// Whether the point raises a new alert (nil without an `anomalies` stage); equal to `anomaly` unless
        /// `anomalies` has `refractory=` or `likelihood=on`.
        public var alert: Bool?
        /// The detector's sentence, or the reason a stage gave.
        public var reason: String?
        /// A check point's outcome (`fail`), nil for a measurement.
        public var outcome: String?
        /// A check series' name (its `name` attribute: what the checks file calls it), when it has one.
        public var name: String?
    }

    /// The query as written.
    public var text: String
    /// The query as run (with `anomalies` added when it had none).
    public var query: Query
    /// How the result decides.
    public var mode: Mode
    /// The series the selector matched.
    public var matchedSeries: Int
    /// The series of the result. In `latestPoint` mode, when the query ends with its only `anomalies` stage (as
    /// the default `tally check` does), each series holds just its latest point at or before `now`, annotated (no
    /// points when it has none): the check walks each series only up to that point and annotates nothing else.
    public var result: QueryResult
    /// The points that fail the check, by series.
    public var findings: [Finding]
    /// In `latestPoint` mode: latest points that are flagged (`anomaly`) but raise no new alert — inside the
    /// refractory period after an earlier alert, or held back by the likelihood gate. They do not fail the check.
    /// Always empty with the default options (every flag is an alert).
    public var quiet: [Finding] = []
    /// In `latestPoint` mode: latest points the detector could not judge — too little history (cold start), no
    /// value (null), or, after a `bucket`, only a bucket in progress or cut by the range's end — so the check says
    /// nothing about them. They do not fail the check, but they are not "ok"
    /// either: `tally check` lists them.
    public var unjudged: [Finding] = []
    /// A series the check could not look at.
    public struct SeriesName: Sendable, CheckReportSeries {
        public var metric: String
        public var labels: Labels
    }

    /// In `latestPoint` mode: the series with no point at or before `now` in the range the query reads, so nothing
    /// to judge; listed beside ``unjudged``.
    public var withoutPoints: [SeriesName] = []

    /// True when the check fails.
    public var failed: Bool { !findings.isEmpty }
    /// The number of series with findings.
    public var failingSeries: Int { Set(findings.map { SeriesKey(metric: $0.metric, labels: Array($0.labels)) }).count }
}

extension Store {
    /// The check for scripts and CI (`tally check`): runs `text` — with `| anomalies` added when it has no
    /// `anomalies` stage and no `where` (and inserted before a `where anomaly` that has none before it) — and
    /// reports the series whose latest point at or before `now` raises an alert, or, when the query has a `where`,
    /// every point at or before `now` that remains. The latest point is judged by the `alert` column: with the default options that
    /// is the `anomaly` flag; with `anomalies refractory=…` a point inside the refractory period after an earlier
    /// alert (the same incident, still going on) does not fail the check but is listed in `quiet`, and with
    /// `likelihood=on` neither does a flag the gate holds back.
    ///
    /// In the latest-point mode, when the query ends with its only `anomalies` stage, only the verdicts the check
    /// needs are computed: each series is walked up to its latest point at or before `now` and only that point is
    /// annotated — the same findings as annotating every point (the detector is walk-forward), in a fraction of
    /// the time and memory. A query of only a selector and time ranges is read one series at a time.
    ///
    /// - Throws: `QueryError` for a bad query, `StoreError` when reading fails.
    public func check(_ text: String, now: Int64 = currentTimeMillis(), limits: QueryLimits = QueryLimits()) throws -> AnomalyCheckReport {
        try check(text, now: now, limits: limits, fullWalk: false)
    }

    /// `check`, with `fullWalk`: always run the whole query and annotate every point (the path the latest-point
    /// shortcut must agree with; for tests).
    func check(_ text: String, now: Int64, limits: QueryLimits, fullWalk: Bool) throws -> AnomalyCheckReport {
        let parsed = try Parser.parse(text)
        let (query, mode) = Self.checkQuery(parsed)
        let result: QueryResult
        if mode == .latestPoint, !fullWalk, let (stage, span) = Self.finalAnomaliesStage(query) {
            result = try latestPoints(query, stage: stage, span: span, now: now, limits: limits)
        } else {
            result = try self.query(query, now: now, limits: limits)
        }
        let matched = (try? series(matching: query.selector.seriesSelector()).count) ?? result.series.count
        var findings: [AnomalyCheckReport.Finding] = [], quiet: [AnomalyCheckReport.Finding] = []
        var unjudged: [AnomalyCheckReport.Finding] = []
        var withoutPoints: [AnomalyCheckReport.SeriesName] = []
        // The buckets the query's time covers only in part, which the `anomalies` stage left unjudged.
        let partial = result.partialBuckets
        for s in result.series {
            switch mode {
            case .anyPoint:
                // As of `now`: a point after it has not happened yet, for this check.
                for i in 0..<s.count where s.times[i] <= now { findings.append(Self.finding(s, i)) }
            case .latestPoint:
                guard let i = Self.latestJudgedIndex(s, now: now, partial: partial) else {
                    // A point but no whole bucket: the bucket in progress (or cut by the range's end), kept
                    // unjudged with its reason.
                    if let j = s.times.lastIndex(where: { $0 <= now }) {
                        unjudged.append(Self.finding(s, j))
                    } else {
                        withoutPoints.append(AnomalyCheckReport.SeriesName(metric: s.metric, labels: s.labels))
                    }
                    continue
                }
                if (s.alert ?? s.anomaly)?[i] == true { findings.append(Self.finding(s, i)) }
                else if s.anomaly?[i] == true { quiet.append(Self.finding(s, i)) }
                else if let expected = s.expected, optionalValue(expected[i]) == nil { unjudged.append(Self.finding(s, i)) }
            }
        }
        // A check is listed by what the checks file calls it, beside its labels (Soda's are identity hashes).
        var names: [String: String?] = [:]
        func named(_ list: [AnomalyCheckReport.Finding]) -> [AnomalyCheckReport.Finding] {
            list.map { f in
                guard f.outcome != nil else { return f }   // a check's points have outcomes
                var f = f
                let text = f.seriesText
                if names[text] == nil {
                    names[text] = series(key: SeriesKey(metric: f.metric, labels: Array(f.labels)))?.attributes["name"]
                        .flatMap { $0.isEmpty ? nil : $0 }
                }
                f.name = names[text] ?? nil
                return f
            }
        }
        return AnomalyCheckReport(text: text, query: query, mode: mode, matchedSeries: matched, result: result,
                                  findings: named(findings), quiet: named(quiet), unjudged: named(unjudged), withoutPoints: withoutPoints)
    }

    /// The query `check` runs, and how its result decides.
    static func checkQuery(_ query: Query) -> (Query, AnomalyCheckReport.Mode) {
        func isExternal(_ stage: Stage, _ name: String) -> Bool {
            if case .external(let e) = stage.kind { return e.name == name }
            return false
        }
        let hasAnomalies = query.stages.contains { isExternal($0, "anomalies") }
        let hasWhere = query.hasWhere
        var q = query
        // A check is as of `now`: a query without a range of its own reads up to `now` (inclusive), so that
        // `latest`, `change` or a window of the last points see the series as it was then, not its points after.
        if !q.startsWithRange {
            let end = TimeExpression(base: .now, adjustments: [.init(subtract: false, duration: QueryDuration(milliseconds: 1))])
            // An empty span at the selector's start: unique, as the extension needs each stage's span to be.
            q.stages.insert(Stage(.until(end), span: SourceSpan(start: q.selectorSpan.start, end: q.selectorSpan.start)), at: 0)
        }
        if !hasAnomalies {
            // An empty span at the insertion point: unique among the stages', so the extension finds its place.
            func anomaliesStage(at position: SourcePosition) -> Stage {
                Stage(.external(ExternalStage(name: "anomalies", options: "", optionsSpan: nil, arguments: [])),
                      span: SourceSpan(start: position, end: position))
            }
            if let i = q.stages.firstIndex(where: { isExternal($0, "where anomaly") }) {
                q.stages.insert(anomaliesStage(at: q.stages[i].span.start), at: i)
            } else if !hasWhere {
                q.stages.append(anomaliesStage(at: (q.stages.last?.span ?? q.selectorSpan).end))
            }
        }
        return (q, hasWhere ? .anyPoint : .latestPoint)
    }

    /// The point a latest-point check judges: the latest at or before `now` outside the buckets of `partial` (a
    /// bucket in progress or cut by the range, which is not judged, and would leave the check nothing to fail on).
    static func latestJudgedIndex(_ s: ResultSeries, now: Int64, partial: PartialBuckets) -> Int? {
        s.times.lastIndex { t in t <= now && !partial.contains(t) }
    }

    static func finding(_ s: ResultSeries, _ i: Int) -> AnomalyCheckReport.Finding {
        func cell(_ column: [Double]?) -> Double? { column.flatMap { optionalValue($0[i]) } }
        let outcome = s.outcomes.flatMap { $0[i] == 0 ? nil : NumberFormat.outcomeName($0[i]) }
        return AnomalyCheckReport.Finding(metric: s.metric, labels: s.labels, time: s.times[i], value: s.value(at: i),
                                          expected: cell(s.expected), lower: cell(s.lower), upper: cell(s.upper),
                                          score: cell(s.score), anomaly: s.anomaly?[i], alert: s.alert?[i],
                                          reason: s.shownReason(at: i), outcome: outcome)
    }
}

/// Numbers as anomaly reasons write them: thousands separators, decimals up to `significant` significant digits
/// (`11,200`, `84.53`).
package func formatAnomalyNumber(_ x: Double, significant: Int = 6) -> String {
    TallyAnalysis.formatNumber(x, significant: significant)
}

/// An expected range as anomaly reasons write it (`10,900–11,500`; `≥ 10,900` when one side is open).
package func formatAnomalyRange(lower: Double?, upper: Double?) -> String {
    TallyAnalysis.formatRange(lower: lower ?? -.infinity, upper: upper ?? .infinity)
}
