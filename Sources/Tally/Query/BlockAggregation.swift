import TallyQuery
import TallyStorage

/// Answers `bucket DURATION AGG` from block statistics where a block lies inside one bucket and the query range,
/// decoding only the blocks that straddle a bucket edge, hold NaN values or whose sum is not finite. Used when the
/// series' blocks are its only points in the range (no overlapping blocks, nothing in the head); otherwise the
/// executor reads the points.
public enum BlockAggregation {
    /// How an aggregation was answered: blocks whose statistics sufficed, and blocks that had to be decoded.
    public struct Usage: Sendable, Equatable {
        public var blocksFromStatistics = 0
        public var blocksDecoded = 0

        public init() {}
    }

    /// What a bucket has accumulated.
    struct Partial {
        var points = 0            // including nulls
        var count = 0             // non-null values (NaN included)
        var sum = OverflowSafeSum()
        var minimum = Double.infinity
        var maximum = -Double.infinity
        var hasNaN = false
        var first: (time: Int64, value: Double)?
        var last: (time: Int64, value: Double)?

        mutating func add(time: Int64, value: Double) {
            points += 1
            guard let v = optionalValue(value) else { return }
            count += 1
            if v.isNaN { hasNaN = true } else {
                sum.add(v)
                minimum = Swift.min(minimum, v)
                maximum = Swift.max(maximum, v)
            }
            if first == nil || time < first!.time { first = (time, v) }
            if last == nil || time >= last!.time { last = (time, v) }
        }

        mutating func add(_ b: BlockMeta) {
            points += b.count
            count += b.statCount
            guard b.statCount > 0 else { return }
            sum.add(b.sum)
            minimum = Swift.min(minimum, b.minValue)
            maximum = Swift.max(maximum, b.maxValue)
            if first == nil || b.minTime < first!.time { first = (b.minTime, b.firstValue) }
            if last == nil || b.maxTime >= last!.time { last = (b.maxTime, b.lastValue) }
        }

        func value(_ aggregate: Aggregate) -> Double {
            // A bucket of nulls only counts 0 values; every other aggregate of it is null.
            guard count > 0 else { return aggregate == .count ? 0 : columnValue(nil) }
            switch aggregate {
            case .count: return Double(count)
            case .first: return first!.value
            case .last: return last!.value
            case .sum: return hasNaN ? .nan : sum.total
            case .avg: return hasNaN ? .nan : sum.mean(count: count)
            case .min: return hasNaN ? .nan : minimum
            case .max: return hasNaN ? .nan : maximum
            default: return columnValue(nil)
            }
        }
    }

    static func aggregate(_ store: any MetricStorage, _ id: SeriesID, from: Int64, to: Int64, bucketing: Bucketing,
                          aggregate: Aggregate) throws -> SeriesColumns? {
        var usage = Usage()
        return try self.aggregate(store, id, from: from, to: to, bucketing: bucketing, aggregate: aggregate,
                                  usage: &usage)
    }

    /// `aggregate` of each bucket of series `id` in [from, to), from block statistics where they suffice; nil when
    /// the blocks are not the series' only points in the range or the aggregate needs every value (the caller then
    /// reads the points). `usage` counts the blocks answered each way.
    public static func aggregate(_ store: any MetricStorage, _ id: SeriesID, from: Int64, to: Int64,
                                 bucketing: Bucketing, aggregate: Aggregate,
                                 usage: inout Usage) throws -> SeriesColumns? {
        switch aggregate {
        case .avg, .min, .max, .sum, .count, .first, .last: break
        default: return nil
        }
        let range = TimeRange(from: from, to: to)
        let (blocks, exclusive) = try store.blocks(of: id, in: range)
        guard exclusive else { return nil }
        var buckets: [(start: Int64, partial: Partial)] = []
        func partial(for t: Int64) -> Int {
            let start = bucketing.start(of: t)
            if let last = buckets.last, last.start == start { return buckets.count - 1 }
            buckets.append((start, Partial()))
            return buckets.count - 1
        }
        for block in blocks {
            let m = block.meta
            let inside = m.minTime >= from && m.maxTime < to
            let oneBucket = bucketing.start(of: m.minTime) == bucketing.start(of: m.maxTime)
            let noNaN = m.count - m.nullCount == m.statCount
            // A stored sum that is not finite (it overflowed, or the block holds an infinity) cannot be combined
            // with others in any order: only the block's values give the right total and mean.
            if inside && oneBucket && noNaN && m.sum.isFinite {
                buckets[partial(for: m.minTime)].partial.add(m)
                usage.blocksFromStatistics += 1
                continue
            }
            usage.blocksDecoded += 1
            let points = try block.read()
            for i in points.times.indices where range.contains(points.times[i]) {
                buckets[partial(for: points.times[i])].partial.add(time: points.times[i], value: points.values[i])
            }
        }
        return SeriesColumns(times: buckets.map(\.start), values: buckets.map { $0.partial.value(aggregate) }, outcomes: nil)
    }
}
