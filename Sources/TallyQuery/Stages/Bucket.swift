/// `bucket DURATION AGG [fill MODE]`.
enum BucketStageEvaluator {
    /// One point per bucket that holds points, stamped with the bucket's start.
    ///
    /// A bucket whose values are all null gives a null value (0 for `count`) with a reason. Outcomes and
    /// annotations are dropped: a bucket is a new point.
    static func aggregate(_ s: ResultSeries, bucketing: Bucketing, aggregate: Aggregate) -> ResultSeries {
        var out = SeriesBuilder(like: s)
        var i = 0
        while i < s.count {
            let start = bucketing.start(of: s.times[i])
            let end = bucketing.next(after: start)
            var j = i + 1
            while j < s.count, s.times[j] < end { j += 1 }
            if let v = aggregate.apply(s.values[i..<j]) {
                out.append(start, v)
            } else {
                out.append(start, nil, reason: "all values in the bucket are null")
            }
            i = j
        }
        return out.build()
    }

    /// Adds the absent buckets between `lower` and `upper` (bucket starts, inclusive) as `mode` says.
    ///
    /// - Parameters:
    ///   - s: A bucketed series (one point per non-empty bucket, at bucket starts).
    ///   - lower: The first bucket start to fill from, or `nil` to start at the first bucket with data.
    ///   - upper: The last bucket start to fill to, or `nil` to end at the last bucket with data.
    ///   - maxPoints: The most buckets one series may have; beyond it, `tooMany` is called.
    static func fill(_ s: ResultSeries, bucketing: Bucketing, mode: FillMode, lower: Int64?, upper: Int64?,
                     maxPoints: Int, tooMany: () -> QueryError) throws(QueryError) -> ResultSeries {
        var first = s.times.first, last = s.times.last
        if let lower { first = Swift.min(first ?? lower, lower) }
        if let upper { last = Swift.max(last ?? upper, upper) }
        guard let first, let last, first <= last else { return s }

        // Nearest non-null neighbours, for `previous` and `linear`.
        var nextNonNull = [Int](repeating: -1, count: s.count)
        var k = -1
        for i in stride(from: s.count - 1, through: 0, by: -1) {
            nextNonNull[i] = k
            if !s.isNull(at: i) { k = i }
        }

        var out = SeriesBuilder(like: s)
        var i = 0                  // next data bucket
        var previous = -1          // last non-null data bucket before `t`
        var t = first
        var produced = 0
        while t <= last {
            produced += 1
            if produced > maxPoints { throw tooMany() }
            while i < s.count, s.times[i] < t {   // not on a bucket start (a data source's mistake): keep as is
                out.append(s.times[i], s.value(at: i), reason: s.reason(at: i))
                if !s.isNull(at: i) { previous = i }
                i += 1
            }
            if i < s.count, s.times[i] == t {
                out.append(t, s.value(at: i), reason: s.reason(at: i))
                if !s.isNull(at: i) { previous = i }
                i += 1
            } else {
                switch mode {
                case .zero:
                    out.append(t, 0)
                case .null:
                    out.append(t, nil, reason: "no points in this bucket")
                case .previous:
                    if previous >= 0 {
                        out.append(t, s.values[previous])
                    } else {
                        out.append(t, nil, reason: "no earlier bucket to carry forward")
                    }
                case .linear:
                    let after = i < s.count ? (s.isNull(at: i) ? nextNonNull[i] : i) : -1
                    if previous >= 0, after >= 0 {
                        let (t0, v0) = (Double(s.times[previous]), s.values[previous])
                        let (t1, v1) = (Double(s.times[after]), s.values[after])
                        out.append(t, v0 + (v1 - v0) * (Double(t) - t0) / (t1 - t0))
                    } else {
                        out.append(t, nil, reason: "no buckets with values on both sides to interpolate between")
                    }
                }
            }
            // The last bucket of time ends at `Int64.max`, past every bucket start: there is no bucket after it.
            let next = bucketing.next(after: t)
            if next <= t { break }
            t = next
        }
        return out.build()
    }
}
