import TallyAnalysis
import TallyQuery
import TallyStorage

/// The non-null points of a series before its first displayed point, ascending.
struct HistoryColumns {
    var times: [Int64] = []
    var values: [Double] = []

    init() {}

    /// The non-null points of `s` before `end`, ascending without repeated times, at most
    /// `AnomalyStageExtension.maxHistoryPoints` (the most recent).
    init(_ s: ResultSeries, before end: Int64) {
        for i in 0..<s.count where s.times[i] < end && !s.isNull(at: i) {
            if let last = times.last, s.times[i] <= last { continue }
            times.append(s.times[i])
            values.append(s.values[i])
        }
        let limit = AnomalyStageExtension.maxHistoryPoints
        if times.count > limit {
            times.removeFirst(times.count - limit)
            values.removeFirst(values.count - limit)
        }
    }
}

extension AnomalyStageExtension {
    /// How far back history is read for a training window: 365 days, or the window when it is longer.
    static func lookback(for training: TrainingWindow) -> Int64 {
        if case .duration(let d) = training { return Swift.max(defaultLookback, d) }
        return defaultLookback
    }

    /// The history of every input series: its non-null points before its first displayed point, from the
    /// grid-aligned start at least a look-back before the earliest displayed point, at most
    /// `maxHistoryPoints` (the most recent). With `training=N` points, the look-back doubles (up to 64×) until
    /// each series has N points of history or no earlier points exist.
    func histories(for input: [ResultSeries], stageSpan: SourceSpan, context: QueryContext,
                   training: TrainingWindow) throws -> [SeriesIdentity: HistoryColumns] {
        var firsts: [SeriesIdentity: Int64] = [:]
        for s in input {
            if let t = s.times.first { firsts[SeriesIdentity(s)] = Swift.min(firsts[SeriesIdentity(s)] ?? .max, t) }
        }
        guard let earliest = firsts.values.min(), let latestFirst = firsts.values.max() else { return [:] }
        let displayStart = Swift.min(earliest, context.from ?? .max)
        var neededPoints = 0
        if case .points(let n) = training { neededPoints = n }
        var lookback = Self.lookback(for: training)
        var result: [SeriesIdentity: HistoryColumns] = [:]
        var attempts = 0
        while true {
            attempts += 1
            let from = Self.historyStart(displayStart: displayStart, lookback: lookback)
            let next = try readHistory(input, firsts: firsts, from: from, to: latestFirst, stageSpan: stageSpan,
                                       context: context)
            let grew = next.contains { $0.value.times.count > (result[$0.key]?.times.count ?? 0) }
            let short = next.values.contains { $0.times.count < neededPoints }
            result = next
            if neededPoints == 0 || !short || from == .min || attempts >= 7 || (attempts > 1 && !grew) { break }
            lookback = lookback > Int64.max / 4 ? Int64.max / 2 : lookback * 2
        }
        return result
    }

    /// Where the history read starts: on the look-back grid, at least `lookback` before `displayStart`.
    static func historyStart(displayStart: Int64, lookback: Int64) -> Int64 {
        let start = timeShift(displayStart, back: lookback)
        return start < Int64.min / 2 ? Int64.min : Self.floor(start, to: lookback)
    }

    /// `t` rounded down to a multiple of `step` (since the epoch).
    static func floor(_ t: Int64, to step: Int64) -> Int64 {
        let q = t / step, r = t % step
        return (r < 0 ? q - 1 : q) * step
    }

    /// Reads the history in `from ..< to` and keeps, for each series, the non-null points before its first
    /// displayed point.
    private func readHistory(_ input: [ResultSeries], firsts: [SeriesIdentity: Int64], from: Int64, to: Int64,
                             stageSpan: SourceSpan, context: QueryContext) throws -> [SeriesIdentity: HistoryColumns] {
        guard from < to else { return [:] }
        var series: [ResultSeries]
        if let query, let index = query.stages.firstIndex(where: { $0.span == stageSpan }) {
            guard let historyQuery = Self.historyQuery(query, before: index, from: from, to: to) else { return [:] }
            series = try QueryExecutor(dataSource: dataSource, limits: limits).run(historyQuery, now: context.now).series
        } else {
            // Without the query: the stored series with the same metric and labels.
            series = []
            for s in input where s.count > 0 {
                let selector = SelectorExpression(metric: s.metric,
                                                  matchers: s.labels.map { MatcherExpression($0.name, .equal, $0.value) })
                for ref in try dataSource.matchSeries(selector) where ref.labels == s.labels {
                    series.append(ResultSeries(ref, try dataSource.read(ref, from: from, to: to)))
                }
            }
        }
        var out: [SeriesIdentity: HistoryColumns] = [:]
        for s in series {
            let id = SeriesIdentity(s)
            guard let first = firsts[id], out[id] == nil else { continue }
            out[id] = HistoryColumns(s, before: first)
        }
        return out
    }

    /// The query that gives the series as the stages before stage `index` shape them, over `from ..< to`:
    /// the selector, that range, then the stages that transform points (`bucket`, `diff`, `rolling`, `agg`,
    /// `outcomes`, `where value/outcome`). Stages that pick points by position or by range (`last`, `latest`,
    /// `top`, `bottom`, `downsample`, later time ranges) and extension stages are left out; nil when a `change`
    /// comes first (a single value per series has no history).
    static func historyQuery(_ query: Query, before index: Int, from: Int64, to: Int64) -> Query? {
        var stages = [Stage(.between(TimeExpression(base: .absolute(from)), TimeExpression(base: .absolute(to))),
                            span: query.selectorSpan)]
        for stage in query.stages[..<index] {
            switch stage.kind {
            case .since, .until, .between:
                continue
            case .last, .latest, .top, .bottom, .downsample, .external:
                continue
            case .change:
                return nil
            default:
                stages.append(stage)
            }
        }
        return Query(selector: query.selector, selectorSpan: query.selectorSpan, stages: stages, source: query.source)
    }
}
