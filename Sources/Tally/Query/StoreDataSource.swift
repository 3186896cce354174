import TallyQuery
import TallyStorage

/// Serves the query executor from a store through the storage interface: selectors through the label postings,
/// reads as columns, `latest` from the latest-point cache, bucket aggregates from block statistics.
public struct StoreDataSource: QueryDataSource {
    public let store: any MetricStorage

    public init(store: any MetricStorage) {
        self.store = store
    }

    public func matchSeries(_ selector: SelectorExpression) throws -> [SeriesRef] {
        try store.series(matching: selector.seriesSelector()).map { info in
            SeriesRef(id: UInt64(info.id), metric: info.key.metric, labels: Labels(info.key.labels), kind: info.kind)
        }
    }

    public func read(_ series: SeriesRef, from: Int64, to: Int64) throws -> SeriesColumns {
        let columns = try store.read(SeriesID(series.id), in: TimeRange(from: from, to: to))
        return SeriesColumns(times: columns.times, values: columns.values,
                             outcomes: series.kind == .check ? columns.outcomes : nil)
    }

    public func bucketAggregates(_ series: SeriesRef, from: Int64, to: Int64, bucketing: Bucketing,
                                 aggregate: Aggregate) throws -> SeriesColumns? {
        try BlockAggregation.aggregate(store, SeriesID(series.id), from: from, to: to, bucketing: bucketing,
                                       aggregate: aggregate)
    }

    public func readLast(_ series: SeriesRef, count: Int, from: Int64, to: Int64) throws -> SeriesColumns {
        if count == 1, let latest = store.latest([SeriesID(series.id)])[0], from <= latest.time, latest.time < to {
            return SeriesColumns(times: [latest.time], values: [latest.value],
                                 outcomes: series.kind == .check ? [latest.outcome] : nil)
        }
        // Read blocks from the newest back until enough points are in, when the blocks alone hold the series.
        let id = SeriesID(series.id)
        let range = TimeRange(from: from, to: to)
        let (blocks, exclusive) = try store.blocks(of: id, in: range)
        guard exclusive else {
            let all = try read(series, from: from, to: to)
            return all.count <= count ? all : all.slice((all.count - count)..<all.count)
        }
        var parts: [PointColumns] = []
        var total = 0
        for block in blocks.reversed() where total < count {
            let points = try block.read().slice(range)
            total += points.count
            parts.append(points)
        }
        var merged = PointColumns()
        for part in parts.reversed() { merged.append(contentsOf: part) }
        let tail = max(0, merged.count - count)
        return SeriesColumns(times: Array(merged.times[tail...]), values: Array(merged.values[tail...]),
                             outcomes: series.kind == .check ? Array(merged.outcomes[tail...]) : nil)
    }
}

extension SelectorExpression {
    /// The storage selector this expression denotes; a regular expression that does not compile is an error at
    /// its position in the query.
    public func seriesSelector() throws(QueryError) -> SeriesSelector {
        var matchers: [LabelMatcher] = []
        for m in self.matchers {
            let op: MatchOperator
            switch m.op {
            case .equal: op = .equal
            case .notEqual: op = .notEqual
            case .regexMatch: op = .matchesRegex
            case .regexNotMatch: op = .notMatchesRegex
            }
            if let pattern = m.pattern {
                matchers.append(LabelMatcher(name: m.name, op: op, pattern: pattern))   // compiled once, when the matcher was made
                continue
            }
            if let error = m.patternError {   // why it did not compile, found then: not compiled again
                throw QueryError(.invalid, error.describing(pattern: m.value), at: m.span)
            }
            do throws(InputError) {
                matchers.append(try LabelMatcher(name: m.name, op: op, value: m.value))
            } catch {
                throw QueryError(.invalid, error.message, at: m.span)
            }
        }
        return SeriesSelector(metric: metric, matchers: matchers)
    }
}
