import Dispatch
import TallyAnalysis
import TallyQuery
import TallyStorage

// The latest-point check without annotating every point: `Store.check`'s default mode needs one verdict per series.

extension Store {
    /// The query's `anomalies` stage when it is the last stage and the only anomaly stage (then only each series'
    /// latest verdict matters to the check); nil otherwise.
    static func finalAnomaliesStage(_ query: Query) -> (ExternalStage, SourceSpan)? {
        guard let last = query.stages.last, case .external(let stage) = last.kind, stage.name == "anomalies" else {
            return nil
        }
        for other in query.stages.dropLast() {
            if case .external(let e) = other.kind, e.name == "anomalies" || e.name == "where anomaly" { return nil }
        }
        return (stage, last.span)
    }

    /// Each series' latest point at or before `now`, annotated by `stage` as the full query would annotate it.
    func latestPoints(_ query: Query, stage: ExternalStage, span: SourceSpan, now: Int64,
                      limits: QueryLimits) throws -> QueryResult {
        let feedback = try PrefetchedFeedbackSource(store: self)
        if let result = try streamLatestPoints(query, stage: stage, span: span, now: now, limits: limits,
                                               feedback: feedback) {
            return result
        }
        var analysis = AnomalyStageExtension(dataSource: StoreDataSource(store: self), feedback: feedback,
                                             query: query, limits: limits)
        analysis.latestOnly = true
        return try QueryExecutor(dataSource: StoreDataSource(store: self), limits: limits, stageExtension: analysis)
            .run(query, now: now)
    }

    /// A query of a selector, time ranges and `anomalies`, one series at a time: each series is read once, from
    /// the start of its history to its latest point at or before `now`, and judged. Nil when the query has another
    /// shape, or when it would fail (a bad range, a limit; the executor then runs it and reports the error), or
    /// with `training=N` points and a range (the look-back then depends on every series).
    ///
    /// Equal to the executor's path because, with only time ranges before `anomalies`, a series' displayed points
    /// are its stored points in the range, and its history — the stored points before its first displayed one,
    /// from the look-back grid — is its stored points in [history start, range start) (none without a range
    /// start: the displayed points then begin with the series' first point).
    private func streamLatestPoints(_ query: Query, stage: ExternalStage, span: SourceSpan, now: Int64,
                                    limits: QueryLimits, feedback: PrefetchedFeedbackSource) throws -> QueryResult? {
        guard let range = try? query.leadingRange(now: now), range.stageCount == query.stages.count - 1 else { return nil }
        let from = range.from, to = range.to
        // In the executor's order: the selector, the series limit, then the stage's options.
        let source = StoreDataSource(store: self)
        let refs = try source.matchSeries(query.selector).sorted {
            $0.metric != $1.metric ? $0.metric < $1.metric : $0.labels < $1.labels
        }
        guard refs.count <= limits.maxSeries else { return nil }
        let options = try AnomalyStageExtension.options(stage.arguments, stage: stage, span: span)
        if from != nil, case .points = options.training { return nil }

        let historyStart = from.map {
            AnomalyStageExtension.historyStart(displayStart: $0,
                                               lookback: AnomalyStageExtension.lookback(for: options.training))
        }
        let readFrom = historyStart ?? .min
        let readTo = Swift.min(to ?? .max, now == .max ? .max : now + 1)
        let analysis = AnomalyStageExtension(dataSource: source, feedback: feedback, query: query, limits: limits)
        let detector = AnomalyDetector(options: options)
        let started = ContinuousClock.now
        // Series are independent: judge them in two interleaved parts on two cores (every other series, so long
        // series listed together do not all land in one part), then put them back in order.
        let rangeStart = from
        nonisolated(unsafe) let analysisCopy = analysis
        nonisolated(unsafe) let sourceCopy = source
        let judge: @Sendable (StrideTo<Int>) throws -> (series: [ResultSeries], displayed: Int, history: Int)? = { part in
            var displayedPoints = 0, historyPoints = 0
            var out: [ResultSeries] = []
            out.reserveCapacity(part.underestimatedCount)
            for i in part {
                let ref = refs[i]
                guard readFrom < readTo else {
                    out.append(ResultSeries(metric: ref.metric, labels: ref.labels, kind: ref.kind))
                    continue
                }
                let columns = try sourceCopy.read(ref, from: readFrom, to: readTo)
                var split = 0
                if let from = rangeStart {
                    // The first point at or after the range start (times ascend).
                    var hi = columns.count
                    while split < hi {
                        let mid = (split + hi) / 2
                        if columns.times[mid] < from { split = mid + 1 } else { hi = mid }
                    }
                }
                displayedPoints += columns.count - split
                historyPoints += split
                guard displayedPoints <= limits.maxPointsRead, historyPoints <= limits.maxPointsRead,
                      ContinuousClock.now - started <= limits.maxDuration else { return nil }
                let displayed = ResultSeries(ref, split == 0 ? columns : columns.slice(split..<columns.count))
                let history = split > 0 ? HistoryColumns(ResultSeries(ref, columns), before: rangeStart!) : nil
                out.append(try analysisCopy.annotateLatest(displayed, history: history, detector: detector, now: now, partial: PartialBuckets()))
            }
            return (out, displayedPoints, historyPoints)
        }
        let shares = refs.count >= 64 ? [stride(from: 0, to: refs.count, by: 2), stride(from: 1, to: refs.count, by: 2)]
            : [stride(from: 0, to: refs.count, by: 1)]
        var parts = [Result<(series: [ResultSeries], displayed: Int, history: Int)?, any Error>?](
            repeating: nil, count: shares.count)
        parts.withUnsafeMutableBufferPointer { slots in
            nonisolated(unsafe) let slots = slots
            DispatchQueue.concurrentPerform(iterations: shares.count) { k in
                slots[k] = Result { try judge(shares[k]) }
            }
        }
        var out: [ResultSeries] = []
        out.reserveCapacity(refs.count)
        var displayedPoints = 0, historyPoints = 0
        var judgedParts: [[ResultSeries]] = []
        for part in parts {
            // A limit passed in either part: let the executor's path report it as it always does.
            guard let judged = try part!.get() else { return nil }
            judgedParts.append(judged.series)
            displayedPoints += judged.displayed
            historyPoints += judged.history
        }
        // Series i was judged by part i % parts.count, as its (i / parts.count)-th.
        for i in refs.indices { out.append(judgedParts[i % judgedParts.count][i / judgedParts.count]) }
        guard displayedPoints <= limits.maxPointsRead, historyPoints <= limits.maxPointsRead else { return nil }
        return QueryResult(series: out)
    }
}

/// The store's verdicts, read in one catalog query and handed out by series (instead of one query per series).
struct PrefetchedFeedbackSource: AnomalyFeedbackSource {
    let store: Store
    private var verdicts: [SeriesID: [(time: Int64, verdict: FeedbackVerdict)]] = [:]

    init(store: Store) throws {
        self.store = store
        for record in try store.feedback() { verdicts[record.series, default: []].append((record.time, record.verdict)) }
    }

    func feedback(metric: String, labels: Labels, from: Int64, to: Int64) throws -> [(time: Int64, verdict: FeedbackVerdict)] {
        guard !verdicts.isEmpty, let info = store.series(key: SeriesKey(metric: metric, labels: Array(labels))),
              let all = verdicts[info.id] else { return [] }
        return all.filter { $0.time >= from && $0.time < to }
    }
}
